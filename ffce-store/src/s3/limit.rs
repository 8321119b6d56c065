//! The operation time limit ([`S3Config::timeout`](crate::S3Config::timeout)), kept by
//! the store's own timer, and which limit a timeout was.
//!
//! The SDK is given the attempt limit only (`operation_attempt_timeout`). The limit on a
//! whole operation, retries included, is a `tokio` timer around each request, which
//! fails with [`OperationTimedOut`]. So a timeout is told apart by its type: ours is the
//! operation limit; any timeout the SDK reports is an attempt limit, the only one it was
//! given (its timeout errors do not expose their kind as a type).

use std::future::Future;
use std::time::Duration;

use aws_sdk_s3::error::SdkError;
use aws_sdk_s3::operation::get_object::GetObjectError;

use super::S3Store;
use super::errors::HttpResponse;
use crate::error::{StoreError, TimeoutLimit};

/// The store's own timer ran out: the whole operation took longer than its limit.
#[derive(Debug)]
pub struct OperationTimedOut {
    /// The limit.
    pub limit: Duration,
}

impl std::fmt::Display for OperationTimedOut {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "no answer within the operation's limit of {} s, retries included",
            crate::error::seconds(self.limit)
        )
    }
}

impl std::error::Error for OperationTimedOut {}

/// A request future under the store's operation limit: `req.send().within(store)`.
pub(crate) trait WithinLimit<T, E>:
    Future<Output = Result<T, SdkError<E, HttpResponse>>> + Sized
{
    /// Runs the request, failing with an SDK timeout error whose source is
    /// [`OperationTimedOut`] when the store's operation limit runs out first.
    async fn within(self, store: &S3Store) -> Result<T, SdkError<E, HttpResponse>> {
        let Some(limit) = store.timeout else {
            return self.await;
        };
        match tokio::time::timeout(limit, self).await {
            Ok(result) => result,
            Err(_) => Err(SdkError::timeout_error(OperationTimedOut { limit })),
        }
    }
}

impl<F, T, E> WithinLimit<T, E> for F where
    F: Future<Output = Result<T, SdkError<E, HttpResponse>>> + Sized
{
}

impl S3Store {
    /// The next page of a paginator, under the operation limit as
    /// [`WithinLimit::within`] puts a single request.
    pub(super) async fn next_page_within<T, E>(
        &self,
        next: impl Future<Output = Option<Result<T, SdkError<E, HttpResponse>>>>,
    ) -> Option<Result<T, SdkError<E, HttpResponse>>> {
        let Some(limit) = self.timeout else {
            return next.await;
        };
        match tokio::time::timeout(limit, next).await {
            Ok(page) => page,
            Err(_) => Some(Err(SdkError::timeout_error(OperationTimedOut { limit }))),
        }
    }

    /// A read's attempts, direct and the SDK's (`direct.rs`), under the operation limit
    /// as a whole: when it runs out, the error a request cut off by
    /// [`WithinLimit::within`] gives.
    pub(super) async fn read_within<T>(
        &self,
        what: &str,
        attempts: impl Future<Output = Result<T, StoreError>>,
    ) -> Result<T, StoreError> {
        let Some(limit) = self.timeout else {
            return attempts.await;
        };
        match tokio::time::timeout(limit, attempts).await {
            Ok(result) => result,
            Err(_) => Err(self.classify(
                SdkError::<GetObjectError, HttpResponse>::timeout_error(OperationTimedOut {
                    limit,
                }),
                what,
            )),
        }
    }

    /// Names the limit a timeout hit: the operation's, when the store's own timer
    /// fired; otherwise the attempt limit, the only one the SDK knows.
    pub(super) fn with_limit(&self, err: StoreError) -> StoreError {
        match err {
            StoreError::Timeout {
                what,
                limit: TimeoutLimit::Unknown,
                source,
            } => {
                let limit = match find_operation_timeout(source.as_ref()) {
                    Some(ours) => TimeoutLimit::Operation { total: ours.limit },
                    None => TimeoutLimit::Attempt {
                        each: self.attempt_timeout,
                        attempts: self.max_attempts,
                    },
                };
                StoreError::Timeout {
                    what,
                    limit,
                    source,
                }
            }
            other => other,
        }
    }
}

/// The [`OperationTimedOut`] in `err`'s chain, if there is one.
fn find_operation_timeout<'a>(
    err: &'a (dyn std::error::Error + 'static),
) -> Option<&'a OperationTimedOut> {
    let mut next: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = next {
        if let Some(ours) = e.downcast_ref::<OperationTimedOut>() {
            return Some(ours);
        }
        next = e.source();
    }
    None
}
