//! The S3 store: the device-backups bucket through `aws-sdk-s3` (docs/SPEC.md §5).
//!
//! - Configuration comes from `aws-config`'s usual chain (environment, profiles, SSO,
//!   web identity, IMDS) with the [`S3Config`]'s profile, region and endpoint on top;
//!   `AWS_ENDPOINT_URL_S3` / `AWS_ENDPOINT_URL` are read by the SDK itself. A custom
//!   endpoint switches to path-style addressing (S3-compatible servers rarely have
//!   wildcard DNS). `max_attempts` sets the standard retry mode, `attempt_timeout` and
//!   `timeout` bound each attempt and the whole operation.
//! - Uploads carry Content-Type `application/octet-stream`, the body's SHA-256 as an S3
//!   checksum (computed by the caller, sent with `x-amz-sdk-checksum-algorithm: SHA256`;
//!   AWS rejects a body that does not match it), and user metadata `etag` = hex SHA-256
//!   of the plaintext when known. [`Condition::IfAbsent`] is `If-None-Match: *`,
//!   [`Condition::IfMatch`] is `If-Match`, so the server decides atomically.
//! - Downloads ask for the checksum (`x-amz-checksum-mode: ENABLED`) and the store
//!   compares the body with it itself, in whichever of S3's five algorithms the object
//!   carries (`crate::checksum`; `aws s3 cp` stores CRC32): it does not rely on the
//!   server or the SDK to have checked (S3-compatible test servers do not). The ETag
//!   is never used as a digest (under SSE-KMS it is not an MD5).
//! - Errors are sorted as [`errors`] describes; the SDK's error is kept as the source.
//!
//! Files: this one (the store, its deletes and the `Store` impl), `get` (the checked
//! download), `put` (the checked upload and its conditions), `connect` (the
//! [`S3Config`] and how the clients are built from it), `errors` (classification),
//! `list` (the whole bucket's listing, its spans at once), `versions` (the
//! [`VersionedStore`] operations), `ranged` (reads of part of an object: the header
//! reads of an audit, a head), `direct` (those header reads sent without the SDK's
//! per-operation machinery), `limit` (the operation time limit, and which limit a
//! timeout was), `activity` (what the store is waiting for), `profile` (the
//! named-profile check); bucket-wide operations are in [`crate::bucket`].
//!
//! A device API's Lambda role may allow exactly one S3 action per route (docs/SPEC.md
//! §7): [`GetOptions::explain_missing`] off makes a read one request (no
//! ListObjectVersions to explain a missing key), and [`DeleteOptions::blind`] makes a
//! delete one DeleteObject (no HEAD first).

use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_s3::Client;
use bytes::Bytes;
use ffce_core::layout::ObjectKey;
use futures_util::stream::{BoxStream, StreamExt as _};

use crate::error::{StoreError, StoreResult, VersionId};
use crate::listing::ListPace;
use crate::store::{
    DeleteOptions, DeleteOutcome, GetOptions, ListEntry, Object, OverwriteEffect, PutOptions,
    PutOutcome, Store, VersionedStore,
};

mod activity;
mod connect;
mod direct;
pub(crate) mod errors;
mod get;
mod limit;
mod list;
mod profile;
mod put;
mod ranged;
mod versions;

pub use activity::{Activity, Waiting};
pub use connect::{S3Config, check_bucket_name};
use errors::{classify, classify_listing};
pub use limit::OperationTimedOut;
pub(crate) use limit::WithinLimit;

/// A bucket and a client for it. Cheap to share: build it once (e.g. per Lambda
/// process) and call it from any tokio runtime.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use ffce_store::{S3Config, S3Store, Store};
///
/// // Builds the clients; no request is made until the store is used.
/// let config = S3Config {
///     region: Some("eu-west-1".into()),
///     endpoint_url: Some("http://127.0.0.1:9000".into()),
///     ..S3Config::new("firefly-device-backups")
/// };
/// let store = S3Store::connect(&config).await?;
/// assert_eq!(store.to_string(), "s3://firefly-device-backups");
/// assert!(store.path_style(), "a custom endpoint is addressed path-style");
/// assert!(store.versioned().is_some());
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct S3Store {
    // Visible to the sibling modules and to `crate::bucket`, which keep this file
    // about single objects.
    pub(crate) bucket: String,
    pub(crate) client: Client,
    // The same client on a connection pool of its own, for listing the whole bucket
    // (see `listing_http_client`).
    pub(crate) lister: Client,
    // The same client with the SDK's response-checksum validation off, for ranged reads
    // (see `ranged`). Set once here: a per-request config override merges the client's
    // configuration again for every request, which a fleet audit pays per object.
    pub(crate) ranged: Client,
    // The header reads sent without the SDK's per-operation machinery (`direct.rs`);
    // `None` with one attempt per request.
    direct: Option<std::sync::Arc<DirectPath>>,
    // The SDK retries requests, not the reading of a response body; `get` retries a
    // download cut off mid-body itself, up to the same number of attempts.
    max_attempts: u32,
    path_style: bool,
    // Named when S3 cannot be reached: the custom endpoint, or the region's.
    endpoint: String,
    // Named in a missing-credentials error, so the caller need not suggest a profile.
    profile: Option<String>,
    attempt_timeout: Duration,
    timeout: Option<Duration>,
    activity: Activity,
}

/// The direct reads of a store: found out on first use, and the SDK clients that make
/// a request again, with the attempts left, when its direct attempt failed.
struct DirectPath {
    reads: tokio::sync::OnceCell<Option<direct::DirectReads>>,
    /// The SDK configuration's credentials provider (the client's config does not
    /// expose it).
    credentials: aws_credential_types::provider::SharedCredentialsProvider,
    /// The ranged client with `max_attempts - 1` attempts.
    rest_ranged: Client,
    /// The main client with `max_attempts - 1` attempts.
    rest_whole: Client,
}

impl DirectPath {
    /// The direct reads, probed once (again later only if the probe could not be
    /// presigned, e.g. for want of credentials); `None`: the SDK serves them all.
    async fn reads(&self, store: &S3Store) -> Option<&direct::DirectReads> {
        self.reads
            .get_or_try_init(|| {
                direct::DirectReads::probe(
                    &store.ranged,
                    self.credentials.clone(),
                    &store.bucket,
                    store.attempt_timeout,
                )
            })
            .await
            .ok()?
            .as_ref()
    }
}

/// What is left to do after [`S3Store::read_directly`].
enum AfterDirect<'a> {
    /// No direct attempt: the SDK's client with every attempt.
    NotTried,
    /// The answer (a success).
    Answered(direct::Answer),
    /// `416` to a range: the object is empty.
    NoByteZero,
    /// The SDK's clients in `path` make the request again with the attempts left;
    /// `retried`: the direct attempt failed in a way worth retrying.
    ToTheSdk { path: &'a DirectPath, retried: bool },
}

/// `s3://bucket`.
impl std::fmt::Display for S3Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "s3://{}", self.bucket)
    }
}

impl std::fmt::Debug for S3Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Store")
            .field("bucket", &self.bucket)
            .finish_non_exhaustive()
    }
}

impl S3Store {
    /// The bucket's name.
    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    /// The region the client signs for.
    pub fn region(&self) -> Option<&str> {
        self.client.config().region().map(|r| r.as_ref())
    }

    /// What the store is waiting for right now (see [`Activity`]).
    pub fn activity(&self) -> Activity {
        self.activity.clone()
    }

    /// Whether requests use path-style addressing (a custom endpoint).
    pub fn path_style(&self) -> bool {
        self.path_style
    }

    fn url(&self, key: &ObjectKey) -> String {
        format!("s3://{}/{}", self.bucket, key)
    }

    /// One direct attempt at `read` (`direct.rs`), when this store has the direct path,
    /// and what is left to do after it.
    ///
    /// A failure worth retrying waits the SDK's first backoff (full jitter over its
    /// initial backoff, as its standard mode waits before a second attempt) and counts
    /// as a retry: the SDK's request is then the second attempt.
    async fn read_directly(
        &self,
        key: &ObjectKey,
        version: Option<&VersionId>,
        read: direct::Read,
    ) -> AfterDirect<'_> {
        let Some(path) = self.direct.as_deref() else {
            return AfterDirect::NotTried;
        };
        let Some(reads) = path.reads(self).await else {
            return AfterDirect::NotTried;
        };
        match reads.read(key, version, read, &self.activity).await {
            Ok(answer) => AfterDirect::Answered(answer),
            Err(direct::Failed::NoByteZero) => AfterDirect::NoByteZero,
            Err(direct::Failed::Retryable) => {
                let backoff = aws_config::retry::RetryConfig::standard().initial_backoff();
                tokio::time::sleep(backoff.mul_f64(fastrand::f64())).await;
                self.activity.count_retry();
                AfterDirect::ToTheSdk {
                    path,
                    retried: true,
                }
            }
            Err(direct::Failed::ForTheSdk) => AfterDirect::ToTheSdk {
                path,
                retried: false,
            },
        }
    }

    /// [`errors::classify`] for this store's bucket.
    pub(crate) fn classify<E>(
        &self,
        err: aws_sdk_s3::error::SdkError<E, errors::HttpResponse>,
        what: &str,
    ) -> StoreError
    where
        E: aws_sdk_s3::error::ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        self.with_limit(self.with_profile(classify(err, &self.bucket, what)))
    }

    /// Names the configured profile in a missing-credentials error, and the endpoint
    /// when S3 could not be reached.
    fn with_profile(&self, err: StoreError) -> StoreError {
        match err {
            StoreError::Unreachable {
                what,
                cause,
                source,
                ..
            } => StoreError::Unreachable {
                what,
                endpoint: self.endpoint.clone(),
                cause,
                source,
            },
            StoreError::NoCredentials {
                profile: None,
                source,
            } => StoreError::NoCredentials {
                profile: self.profile.clone(),
                source,
            },
            other => other,
        }
    }

    /// [`errors::classify_listing`] for this store's bucket.
    pub(crate) fn classify_listing<E>(
        &self,
        err: aws_sdk_s3::error::SdkError<E, errors::HttpResponse>,
        action: impl FnOnce() -> String,
    ) -> StoreError
    where
        E: aws_sdk_s3::error::ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        self.with_limit(self.with_profile(classify_listing(err, &self.bucket, action)))
    }

    /// `head_object` 404s for a missing bucket and a missing key alike (no body, no
    /// error code); asks the bucket to tell them apart.
    async fn missing_key_or_bucket(&self, what: &str) -> StoreError {
        match self
            .client
            .head_bucket()
            .bucket(&self.bucket)
            .send()
            .within(self)
            .await
        {
            Ok(_) => StoreError::NotFound {
                what: what.to_string(),
            },
            Err(e) => self.classify_listing(e, || format!("s3://{}", self.bucket)),
        }
    }

    /// A missing latest object on a versioned bucket may be a deleted one: say so, and
    /// where to look, when earlier versions exist. (S3 also marks such answers with
    /// `x-amz-delete-marker`, but not every S3-compatible server does; the listing is
    /// one extra request, made only on this error path, and its failure is ignored.)
    async fn explain_missing(&self, key: &ObjectKey, what: String) -> StoreError {
        let kept = match self.list_versions_of(key).await {
            Ok(v) => v.iter().filter(|v| !v.is_delete_marker).count(),
            Err(_) => 0,
        };
        if kept == 0 {
            return StoreError::NotFound { what };
        }
        StoreError::Deleted {
            what,
            device: key.device(),
            kept_versions: kept,
        }
    }

    /// The latest version's version id, `Ok(None)` when there is no object (a missing
    /// bucket is an error, not "nothing there").
    async fn latest_version_id(&self, key: &ObjectKey) -> StoreResult<Option<Option<VersionId>>> {
        let url = self.url(key);
        let head = self
            .client
            .head_object()
            .bucket(&self.bucket)
            .key(key.as_string())
            .send()
            .within(self)
            .await;
        match head {
            Ok(h) => Ok(Some(h.version_id().map(VersionId::from_store))),
            Err(e) => match self.classify(e, &url) {
                StoreError::NotFound { .. } => match self.missing_key_or_bucket(&url).await {
                    StoreError::NotFound { .. } => Ok(None),
                    other => Err(other),
                },
                other => Err(other),
            },
        }
    }

    /// What a delete would do. It keeps the data when the latest object has a real
    /// version id: a delete marker hides it. Without one (no versioning) or with the
    /// `null` version (a bucket whose versioning was suspended), the delete replaces it
    /// for good.
    async fn delete_dry_run(&self, key: &ObjectKey) -> StoreResult<DeleteOutcome> {
        let Some(previous_version_id) = self.latest_version_id(key).await? else {
            return Ok(DeleteOutcome::nothing());
        };
        Ok(DeleteOutcome {
            existed: Some(true),
            delete_marker_added: previous_version_id.as_ref().is_some_and(|v| *v != "null"),
            version_id: None,
            previous_version_id,
        })
    }

    /// Deletes the latest object with one DeleteObject request and nothing else (on a
    /// versioned bucket, a delete marker), for a role allowed `s3:DeleteObject` alone.
    /// Like S3 itself, it cannot tell whether there was an object.
    async fn delete_blind(&self, key: &ObjectKey) -> StoreResult<DeleteOutcome> {
        let url = self.url(key);
        let resp = self
            .client
            .delete_object()
            .bucket(&self.bucket)
            .key(key.as_string())
            .send()
            .within(self)
            .await
            .map_err(|e| {
                self.classify(e, &url)
                    .denied_action(|| format!("delete {url}"))
            })?;
        Ok(DeleteOutcome {
            existed: None,
            delete_marker_added: resp.delete_marker() == Some(true),
            version_id: resp.version_id().map(VersionId::from_store),
            previous_version_id: None,
        })
    }

    async fn delete_object(&self, key: &ObjectKey) -> StoreResult<DeleteOutcome> {
        let url = self.url(key);
        let Some(previous_version_id) = self.latest_version_id(key).await? else {
            return Ok(DeleteOutcome::nothing());
        };
        let resp = self
            .client
            .delete_object()
            .bucket(&self.bucket)
            .key(key.as_string())
            .send()
            .within(self)
            .await
            .map_err(|e| {
                self.classify(e, &url)
                    .denied_action(|| format!("delete {url}"))
            })?;
        Ok(DeleteOutcome {
            existed: Some(true),
            delete_marker_added: resp.delete_marker() == Some(true),
            version_id: resp.version_id().map(VersionId::from_store),
            previous_version_id,
        })
    }

    /// The objects whose key starts with `prefix`, one page after the other.
    async fn list_objects(&self, prefix: Option<&str>) -> StoreResult<Vec<ListEntry>> {
        let what = format!("s3://{}", self.bucket);
        let mut pages = self
            .client
            .list_objects_v2()
            .bucket(&self.bucket)
            .set_prefix(prefix.map(str::to_owned))
            .into_paginator()
            .send();
        let mut out = Vec::new();
        while let Some(page) = self.next_page_within(pages.next()).await {
            let page = page.map_err(|e| self.classify_listing(e, || format!("list {what}")))?;
            out.extend(page.contents().iter().map(list::entry));
        }
        Ok(out)
    }
}

#[async_trait]
impl Store for S3Store {
    fn describe(&self, key: &ObjectKey) -> String {
        self.url(key)
    }

    async fn put(
        &self,
        key: &ObjectKey,
        body: Bytes,
        opts: &PutOptions,
    ) -> StoreResult<PutOutcome> {
        self.put_object(key, body, opts).await
    }

    /// A whole read is one GetObject (and, for a missing key explained, one
    /// ListObjectVersions); a range one ranged GET; a head one HEAD (`ranged.rs`).
    async fn get_opts(&self, key: &ObjectKey, opts: &GetOptions) -> StoreResult<Object> {
        let missing = if opts.explain_missing {
            MissingKey::Explain
        } else {
            MissingKey::AsIs
        };
        let version = opts.version.as_ref();
        if opts.head {
            return self.head(key, version, missing).await;
        }
        match opts.range {
            Some(range) => self.read_prefix(key, version, range.end, missing).await,
            None => self.get_object(key, version, missing).await,
        }
    }

    /// A dry run is one HEAD (and a HEAD of the bucket for a missing key); a delete
    /// that looks first adds one DeleteObject to those; a blind one is the
    /// DeleteObject alone.
    async fn delete_opts(
        &self,
        key: &ObjectKey,
        opts: &DeleteOptions,
    ) -> StoreResult<DeleteOutcome> {
        if opts.dry_run {
            self.delete_dry_run(key).await
        } else if opts.look_first {
            self.delete_object(key).await
        } else {
            self.delete_blind(key).await
        }
    }

    /// The pages of [`list_pages`](Store::list_pages), sorted.
    async fn list(&self) -> StoreResult<Vec<ListEntry>> {
        let mut pages = self.list_all_pages(ListPace::Fastest);
        let mut out = Vec::new();
        while let Some(page) = pages.next().await {
            out.extend(page?);
        }
        out.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(out)
    }

    /// The sixteen hex prefixes and the keys outside the layout, as many at once as
    /// `pace` says (`list.rs`).
    fn list_pages(&self, pace: ListPace) -> BoxStream<'_, StoreResult<Vec<ListEntry>>> {
        self.list_all_pages(pace)
    }

    fn retries(&self) -> u64 {
        self.activity.retries()
    }

    /// One prefix listing per spelling of the UUID (lowercase, uppercase), not the
    /// whole bucket.
    async fn list_device(
        &self,
        device: ffce_core::layout::DeviceId,
    ) -> StoreResult<Vec<ListEntry>> {
        let lower = device.to_string();
        let upper = lower.to_uppercase();
        let mut out = self.list_objects(Some(&lower)).await?;
        if upper != lower {
            out.extend(self.list_objects(Some(&upper)).await?);
        }
        Ok(out)
    }

    fn versioned(&self) -> Option<&dyn VersionedStore> {
        Some(self)
    }

    /// One HEAD: a latest object with a real version id stays as an older version;
    /// one without (no versioning) or with the `null` version (versioning suspended) is
    /// replaced for good. A 404 is nothing there (a missing bucket is then the put's
    /// own error), so creating a device's first backup costs this one request.
    async fn overwrite_effect(&self, key: &ObjectKey) -> StoreResult<OverwriteEffect> {
        let url = self.url(key);
        let head = self
            .client
            .head_object()
            .bucket(&self.bucket)
            .key(key.as_string())
            .send()
            .within(self)
            .await;
        match head {
            Ok(h) if h.version_id().is_some_and(|v| v != "null") => {
                Ok(OverwriteEffect::KeepsPrevious)
            }
            Ok(_) => Ok(OverwriteEffect::Destroys),
            Err(e) => match self.classify(e, &url) {
                StoreError::NotFound { .. } => Ok(OverwriteEffect::Nothing),
                other => Err(other.denied_action(|| format!("read the metadata of {url}"))),
            },
        }
    }
}

/// What a read of the latest object does when the key is missing
/// ([`GetOptions::explain_missing`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum MissingKey {
    /// List the key's versions (one more request) to tell a deleted backup, whose
    /// versions are kept, from one never stored ([`StoreError::Deleted`]).
    Explain,
    /// Answer [`StoreError::NotFound`] at once: for a role allowed `s3:GetObject` only,
    /// and a refused request per 404 besides.
    AsIs,
}
