//! Sorting `aws-sdk-s3` errors into [`StoreError`]s.
//!
//! S3 answers with an HTTP status and, when there is a body, an XML error code; HEAD
//! answers have no body, so only the status speaks for them. The classification looks
//! at the code first and falls back to the status:
//!
//! | answer | becomes |
//! |---|---|
//! | missing credentials (the SDK's credential chain) | [`StoreError::NoCredentials`] |
//! | `NoSuchBucket` | [`StoreError::NoBucket`] |
//! | `NoSuchKey`, `NoSuchVersion`, `NotFound`, or 404 | [`StoreError::NotFound`] |
//! | 403 `InvalidAccessKeyId`, `SignatureDoesNotMatch`, `ExpiredToken`, `InvalidToken`, `TokenRefreshRequired` | [`StoreError::BadCredentials`] |
//! | other 403 (`AccessDenied`, `AllAccessDisabled`, a bodiless HEAD) | [`StoreError::PermissionDenied`] |
//! | `PreconditionFailed` or 412; 409 `ConditionalRequestConflict` | [`StoreError::PreconditionFailed`] |
//! | 409 `OperationAborted` | [`StoreError::Conflict`] (a concurrent bucket operation) |
//! | a timeout | [`StoreError::Timeout`] |
//! | no connection (refused, no route, DNS, TLS) | [`StoreError::Unreachable`], with the cause |
//! | anything else (other 409s, 400, 405, 5xx after the SDK's retries) | [`StoreError::Other`], naming status and code |
//!
//! Only 412 and the one 409 code that S3 documents for conditional writes are
//! precondition failures: S3 also answers 409 for `OperationAborted`,
//! `BucketNotEmpty`, `BucketAlreadyExists` and more, none of which is about an ETag.

use std::error::Error as StdError;

use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;

use crate::error::StoreError;

/// The HTTP response type of the S3 client's errors.
pub(crate) type HttpResponse = aws_sdk_s3::config::http::HttpResponse;

/// Sorts an SDK error into a [`StoreError`]. `bucket` is the store's bucket (for
/// [`StoreError::NoBucket`]); `what` names the object or action for messages.
pub(crate) fn classify<E>(err: SdkError<E, HttpResponse>, bucket: &str, what: &str) -> StoreError
where
    E: ProvideErrorMetadata + StdError + Send + Sync + 'static,
{
    if chain_has::<aws_credential_types::provider::error::CredentialsError>(&err) {
        // The store adds its profile (see `S3Store::classify`).
        return StoreError::NoCredentials {
            profile: None,
            source: Box::new(err),
        };
    }
    let status = err.raw_response().map(|r| r.status().as_u16());
    let code = err.code().map(str::to_owned);
    match (code.as_deref(), status) {
        (Some("NoSuchBucket"), _) => StoreError::NoBucket {
            bucket: bucket.to_string(),
        },
        (Some("NoSuchKey" | "NoSuchVersion" | "NotFound"), _) | (_, Some(404)) => {
            StoreError::NotFound {
                what: what.to_string(),
            }
        }
        (
            Some(
                c @ ("InvalidAccessKeyId"
                | "SignatureDoesNotMatch"
                | "ExpiredToken"
                | "InvalidToken"
                | "TokenRefreshRequired"),
            ),
            _,
        ) => StoreError::BadCredentials {
            code: c.to_string(),
            source: Box::new(err),
        },
        (Some("AccessDenied" | "AllAccessDisabled"), _) | (_, Some(403)) => {
            StoreError::PermissionDenied {
                what: what.to_string(),
                source: Box::new(err),
            }
        }
        (Some("PreconditionFailed" | "ConditionalRequestConflict"), _) | (_, Some(412)) => {
            StoreError::PreconditionFailed {
                what: what.to_string(),
                missing: false,
            }
        }
        (Some(c @ "OperationAborted"), _) => StoreError::Conflict {
            what: what.to_string(),
            code: c.to_string(),
        },
        _ => {
            let message = match &err {
                SdkError::TimeoutError(_) => {
                    return StoreError::Timeout {
                        what: what.to_string(),
                        // The store knows its limits and fills this in (S3Store::classify).
                        limit: crate::error::TimeoutLimit::Unknown,
                        source: Box::new(err),
                    };
                }
                SdkError::DispatchFailure(_) => {
                    // The store names its endpoint (see `S3Store::classify`).
                    return StoreError::Unreachable {
                        what: what.to_string(),
                        endpoint: String::new(),
                        cause: connect_cause(&err),
                        source: Box::new(err),
                    };
                }
                _ => match (code.as_deref(), status) {
                    (Some(c), Some(s)) => format!("{what}: S3 answered HTTP {s} {c}"),
                    (None, Some(s)) => format!("{what}: S3 answered HTTP {s}"),
                    _ => format!("{what}: the S3 request failed"),
                },
            };
            StoreError::Other {
                message,
                source: Some(Box::new(err)),
            }
        }
    }
}

/// Sorts the error of a bucket-wide listing: not found can only mean the bucket is
/// missing, and access denied names the listing (`action`) that was refused.
pub(crate) fn classify_listing<E>(
    err: SdkError<E, HttpResponse>,
    bucket: &str,
    action: impl FnOnce() -> String,
) -> StoreError
where
    E: ProvideErrorMetadata + StdError + Send + Sync + 'static,
{
    match classify(err, bucket, &format!("s3://{bucket}")) {
        StoreError::NotFound { .. } => StoreError::NoBucket {
            bucket: bucket.to_string(),
        },
        other => other.denied_action(action),
    }
}

/// Why a connection failed, in a few words: the innermost I/O error's kind
/// (`connection refused`, `network unreachable`), or the innermost error's own words
/// when its kind says nothing (a name that does not resolve).
fn connect_cause(err: &(dyn StdError + 'static)) -> String {
    let mut next: Option<&(dyn StdError + 'static)> = Some(err);
    let mut innermost = err;
    let mut io = None;
    while let Some(e) = next {
        if let Some(io_err) = e.downcast_ref::<std::io::Error>() {
            io = Some(io_err);
        }
        innermost = e;
        next = e.source();
    }
    match io {
        // "Connection refused (os error 111)": the words, not the number.
        Some(e) if e.raw_os_error().is_some() => {
            let text = e.to_string();
            let words = text.split(" (os error").next().unwrap_or(&text);
            let mut chars = words.chars();
            chars.next().map_or_else(String::new, |first| {
                first.to_lowercase().chain(chars).collect()
            })
        }
        Some(e) => e.to_string(),
        None => innermost.to_string(),
    }
}

/// True if `err` or any of its sources is a `T`.
fn chain_has<T: StdError + 'static>(err: &(dyn StdError + 'static)) -> bool {
    let mut next: Option<&(dyn StdError + 'static)> = Some(err);
    while let Some(e) = next {
        if e.is::<T>() {
            return true;
        }
        next = e.source();
    }
    false
}

/// The SDK's own response-checksum failure, as (stored, computed) base64 digests.
///
/// The SDK checks a whole body against its checksum header before ffce can, and reports
/// a mismatch as an error of `aws-smithy-checksums`, which it does not re-export; this
/// matches that type. Should an SDK upgrade bring another major version of that crate,
/// the match would stop working: the integration test
/// `faults::corrupted_download_is_detected_by_checksum_and_never_written` then fails
/// (a corrupted download would be reported as cut off instead of as a mismatch).
pub(crate) fn sdk_checksum_mismatch(err: &(dyn StdError + 'static)) -> Option<(String, String)> {
    use aws_smithy_checksums::body::validate::Error as ChecksumError;
    let mut next: Option<&(dyn StdError + 'static)> = Some(err);
    while let Some(e) = next {
        if let Some(ChecksumError::ChecksumMismatch { expected, actual }) =
            e.downcast_ref::<ChecksumError>()
        {
            return Some((BASE64.encode(expected), BASE64.encode(actual)));
        }
        next = e.source();
    }
    None
}

#[cfg(test)]
#[path = "errors_tests/mod.rs"]
mod tests;
