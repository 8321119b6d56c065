//! The S3 store: the device-backups bucket through `aws-sdk-s3` (FFCE-SPEC §5, issue 4).
//!
//! - Configuration comes from `aws-config`'s usual chain (environment, profiles, SSO,
//!   web identity, IMDS) with `--profile`, `--region` and `--endpoint-url` on top;
//!   `AWS_ENDPOINT_URL_S3` / `AWS_ENDPOINT_URL` are read by the SDK itself. A custom
//!   endpoint switches to path-style addressing (S3-compatible servers rarely have
//!   wildcard DNS). `--max-attempts` sets the standard retry mode, `--timeout` the
//!   whole-operation timeout.
//! - Uploads carry Content-Type `application/octet-stream`, the body's SHA-256 as an S3
//!   checksum (computed here, sent with `x-amz-sdk-checksum-algorithm: SHA256`; AWS
//!   rejects a body that does not match it), and user metadata `etag` = hex SHA-256 of
//!   the plaintext when known. `--if-absent` is `If-None-Match: *`, `--if-match` is
//!   `If-Match`, so the server decides atomically.
//! - Downloads ask for the checksum (`x-amz-checksum-mode: ENABLED`) and ffce compares
//!   the body's SHA-256 with it itself: it does not rely on the server or the SDK to
//!   have checked (S3-compatible test servers do not). The ETag is never used as a
//!   digest (under SSE-KMS it is not an MD5).
//! - Errors are sorted into missing credentials, missing bucket, access denied, not
//!   found, failed preconditions and the rest; the SDK's own error text goes to `-v`.

use std::error::Error as StdError;
use std::time::{Duration, SystemTime};

use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_sdk_s3::Client;
use aws_sdk_s3::config::Region;
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{ChecksumAlgorithm, ChecksumMode, ServerSideEncryption};
use aws_smithy_types::error::display::DisplayErrorContext;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use bytes::Bytes;
use sha2::{Digest, Sha256};
use tokio::runtime::Runtime;

use super::{
    ChecksumCheck, Condition, DeleteOutcome, ListEntry, Object, PutOptions, PutOutcome, Store,
    StoreError, StoreResult, VersionEntry, VersionId, VersionedStore, unquote_etag,
};
use crate::cli::S3Args;
use crate::device::ObjectKey;
use crate::exit::{CliError, CliResult};
use crate::ui::Ui;

/// User metadata key holding the plaintext's hex SHA-256 (FFCE-SPEC §5).
pub const PLAINTEXT_DIGEST_METADATA: &str = "etag";

/// The content type of every backup object (FFCE-SPEC §5).
pub const CONTENT_TYPE: &str = "application/octet-stream";

/// A bucket, a client for it, and the runtime the client runs on.
pub struct S3Store {
    // Visible to the sibling modules `bucket` (bucket-wide operations) and `fleet`
    // (concurrent reads for the audit), which keep this file about single objects.
    pub(super) bucket: String,
    pub(super) client: Client,
    pub(super) rt: Runtime,
    // The SDK retries requests, not the reading of a response body; `get` retries a
    // download cut off mid-body itself, up to the same number of attempts.
    max_attempts: u32,
}

impl std::fmt::Debug for S3Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Store")
            .field("bucket", &self.bucket)
            .finish_non_exhaustive()
    }
}

/// Checks a bucket name before it reaches a request: 3–255 characters of letters,
/// digits, `.`, `-` and `_` (today's rules are stricter; this admits legacy names and
/// nothing that could change a URL's meaning).
pub fn check_bucket_name(name: &str) -> CliResult<()> {
    let ok = (3..=255).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'));
    if ok {
        Ok(())
    } else {
        Err(CliError::usage(
            "--bucket: not a bucket name (3 to 255 letters, digits, '.', '-' or '_')",
        ))
    }
}

fn check_args(args: &S3Args) -> CliResult<()> {
    if args.max_attempts == 0 {
        return Err(CliError::usage(
            "--max-attempts must be at least 1 (the first try counts)",
        ));
    }
    for (flag, value) in [
        ("--timeout", args.timeout),
        ("--attempt-timeout", Some(args.attempt_timeout)),
    ] {
        if let Some(t) = value {
            if !(t.is_finite() && t > 0.0 && t <= 86_400.0) {
                return Err(CliError::usage(format!(
                    "{flag} must be a number of seconds above 0 and at most 86400"
                )));
            }
        }
    }
    if let Some(url) = &args.endpoint_url {
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(CliError::usage(
                "--endpoint-url must start with http:// or https://",
            ));
        }
    }
    Ok(())
}

/// True when a custom endpoint is configured by flag or by the SDK's environment
/// variables (a profile's `endpoint_url` is not seen here; pass the flag as well if a
/// profile points at an S3-compatible server without virtual-host DNS).
fn custom_endpoint(args: &S3Args) -> bool {
    if args.endpoint_url.is_some() {
        return true;
    }
    let ignored = std::env::var("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")
        .is_ok_and(|v| v.eq_ignore_ascii_case("true"));
    !ignored
        && ["AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"]
            .iter()
            .any(|v| std::env::var_os(v).is_some_and(|s| !s.is_empty()))
}

/// Why one download attempt failed: cut off in transit (worth another attempt) or
/// anything else (final).
enum GetFailure {
    Interrupted(StoreError),
    Store(StoreError),
}

impl S3Store {
    /// Loads AWS configuration and builds a client for `bucket`. No request is made.
    pub fn connect(ui: &Ui, bucket: String, args: &S3Args) -> CliResult<S3Store> {
        check_bucket_name(&bucket)?;
        check_args(args)?;
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| CliError::other(format!("cannot start the network runtime: {e}")))?;

        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .retry_config(RetryConfig::standard().with_max_attempts(args.max_attempts));
        if let Some(profile) = &args.profile {
            loader = loader.profile_name(profile);
        }
        if let Some(region) = &args.region {
            loader = loader.region(Region::new(region.clone()));
        }
        if let Some(url) = &args.endpoint_url {
            loader = loader.endpoint_url(url);
        }
        // Each attempt has its own limit, so a stalled request is abandoned and retried
        // instead of hanging forever; --timeout bounds the whole operation on top.
        let mut timeouts = TimeoutConfig::builder()
            .connect_timeout(Duration::from_secs(10))
            .operation_attempt_timeout(Duration::from_secs_f64(args.attempt_timeout));
        if let Some(t) = args.timeout {
            timeouts = timeouts.operation_timeout(Duration::from_secs_f64(t));
        }
        loader = loader.timeout_config(timeouts.build());
        let sdk_config = rt.block_on(loader.load());
        let Some(region) = sdk_config.region() else {
            return Err(CliError::usage(
                "no AWS region configured: pass --region, set AWS_REGION, \
                 or set a region in the AWS profile",
            ));
        };
        ui.detail(1, format!("s3: region {region}"));
        let mut conf = aws_sdk_s3::config::Builder::from(&sdk_config);
        if custom_endpoint(args) {
            ui.detail(1, "s3: custom endpoint, path-style addressing");
            conf = conf.force_path_style(true);
        }
        let client = Client::from_conf(conf.build());
        Ok(S3Store {
            bucket,
            client,
            rt,
            max_attempts: args.max_attempts.max(1),
        })
    }

    /// The bucket's name.
    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    fn url(&self, key: &ObjectKey) -> String {
        format!("s3://{}/{}", self.bucket, key)
    }

    /// Sorts an SDK error into a [`StoreError`]. `what` names the object or action for
    /// messages.
    pub(super) fn classify<E>(
        &self,
        err: SdkError<E, aws_sdk_s3::config::http::HttpResponse>,
        what: &str,
    ) -> StoreError
    where
        E: ProvideErrorMetadata + StdError + Send + Sync + 'static,
    {
        let detail = DisplayErrorContext(&err).to_string();
        if chain_has::<aws_credential_types::provider::error::CredentialsError>(&err) {
            return StoreError::NoCredentials { detail };
        }
        let status = err.raw_response().map(|r| r.status().as_u16());
        let code = err.code().map(str::to_owned);
        match (code.as_deref(), status) {
            (Some("NoSuchBucket"), _) => StoreError::NoBucket {
                bucket: self.bucket.clone(),
            },
            (Some("NoSuchKey" | "NoSuchVersion" | "NotFound"), _) | (_, Some(404)) => {
                StoreError::NotFound {
                    what: what.to_string(),
                }
            }
            (Some("AccessDenied" | "AllAccessDisabled"), _) | (_, Some(403)) => {
                match code.as_deref() {
                    Some(
                        "InvalidAccessKeyId"
                        | "SignatureDoesNotMatch"
                        | "ExpiredToken"
                        | "InvalidToken"
                        | "TokenRefreshRequired",
                    ) => StoreError::Other {
                        message: format!(
                            "AWS rejected the credentials ({}); check the access key, \
                         secret and session token, or log in again",
                            code.as_deref().unwrap_or("403")
                        ),
                        source: Some(Box::new(err)),
                    },
                    _ => StoreError::PermissionDenied {
                        what: what.to_string(),
                        detail,
                    },
                }
            }
            (Some("PreconditionFailed" | "ConditionalRequestConflict"), _)
            | (_, Some(412 | 409)) => StoreError::PreconditionFailed {
                what: what.to_string(),
                missing: false,
            },
            _ => {
                let message = match &err {
                    SdkError::TimeoutError(_) => {
                        format!("{what}: the S3 request timed out (see --timeout)")
                    }
                    SdkError::DispatchFailure(_) => format!(
                        "{what}: could not reach S3 (network or endpoint problem; -v shows why)"
                    ),
                    _ => match (code.as_deref(), status) {
                        (Some(c), Some(s)) => format!("{what}: S3 answered HTTP {s} {c}"),
                        (None, Some(s)) => format!("{what}: S3 answered HTTP {s}"),
                        _ => format!("{what}: the S3 request failed (-v shows why)"),
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
    pub(super) fn classify_listing<E>(
        &self,
        err: SdkError<E, aws_sdk_s3::config::http::HttpResponse>,
        url: &str,
        action: String,
    ) -> StoreError
    where
        E: ProvideErrorMetadata + StdError + Send + Sync + 'static,
    {
        match self.classify(err, url) {
            StoreError::NotFound { .. } => StoreError::NoBucket {
                bucket: self.bucket.clone(),
            },
            StoreError::PermissionDenied { detail, .. } => StoreError::PermissionDenied {
                what: action,
                detail,
            },
            other => other,
        }
    }

    /// `head_object` 404s for a missing bucket and a missing key alike (no body, no
    /// error code); asks the bucket to tell them apart.
    async fn missing_key_or_bucket(&self, what: &str) -> StoreError {
        match self.client.head_bucket().bucket(&self.bucket).send().await {
            Ok(_) => StoreError::NotFound {
                what: what.to_string(),
            },
            Err(e) => match self.classify(e, &format!("s3://{}", self.bucket)) {
                StoreError::NotFound { .. } => StoreError::NoBucket {
                    bucket: self.bucket.clone(),
                },
                other => other,
            },
        }
    }

    /// A missing latest object on a versioned bucket may be a deleted one: say so, and
    /// where to look, when earlier versions exist. (S3 also marks such answers with
    /// `x-amz-delete-marker`, but not every S3-compatible server does; the listing is
    /// one extra request, made only on this error path, and its failure is ignored.)
    async fn explain_missing(&self, key: &ObjectKey, what: String) -> StoreError {
        let kept = match self.list_versions_async(key).await {
            Ok(v) => v.iter().filter(|v| !v.is_delete_marker).count(),
            Err(_) => 0,
        };
        if kept == 0 {
            return StoreError::NotFound { what };
        }
        StoreError::NotFound {
            what: format!(
                "{what} (deleted; {kept} earlier version(s) kept: `ffce versions {}` lists them, \
                 `ffce restore` brings one back)",
                key.device()
            ),
        }
    }

    async fn put_async(
        &self,
        key: &ObjectKey,
        body: Bytes,
        opts: &PutOptions,
    ) -> StoreResult<PutOutcome> {
        let url = self.url(key);
        let len = i64::try_from(body.len()).unwrap_or(i64::MAX);
        let mut req = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(key.as_string())
            .content_type(CONTENT_TYPE)
            .content_length(len)
            .checksum_algorithm(ChecksumAlgorithm::Sha256)
            .checksum_sha256(BASE64.encode(opts.content_sha256))
            .body(ByteStream::from(body));
        if let Some(digest) = &opts.plaintext_sha256 {
            req = req.metadata(PLAINTEXT_DIGEST_METADATA, hex::encode(digest));
        }
        if let Some(kms) = &opts.sse_kms_key_id {
            req = req
                .server_side_encryption(ServerSideEncryption::AwsKms)
                .ssekms_key_id(kms);
        }
        req = match &opts.condition {
            Condition::None => req,
            Condition::IfAbsent => req.if_none_match("*"),
            Condition::IfMatch(etag) => req.if_match(format!("\"{}\"", unquote_etag(etag))),
        };
        let result =
            req.send()
                .await
                .map_err(|e| match (self.classify(e, &url), &opts.condition) {
                    (StoreError::PreconditionFailed { what, .. }, Condition::IfAbsent) => {
                        StoreError::AlreadyExists { what }
                    }
                    (StoreError::NotFound { what }, Condition::IfMatch(_)) => {
                        StoreError::PreconditionFailed {
                            what,
                            missing: true,
                        }
                    }
                    (StoreError::PermissionDenied { detail, .. }, _) => {
                        StoreError::PermissionDenied {
                            what: format!("upload to {url}"),
                            detail,
                        }
                    }
                    (other, _) => other,
                });
        let resp = match result {
            Ok(resp) => resp,
            // A conditional put whose answer was lost is retried by the SDK, and the
            // retry then fails its own precondition. If the object now holds exactly
            // our bytes, the write happened: report it, not a conflict.
            Err(
                err @ (StoreError::AlreadyExists { .. }
                | StoreError::PreconditionFailed { missing: false, .. }),
            ) => return self.already_ours(key, opts, &url).await.ok_or(err),
            Err(err) => return Err(err),
        };
        Ok(PutOutcome {
            etag: resp.e_tag().map(unquote_etag),
            version_id: resp.version_id().map(str::to_owned),
            location: url,
        })
    }

    /// The current object's outcome if its stored SHA-256 checksum is the one of the
    /// body we tried to put.
    async fn already_ours(
        &self,
        key: &ObjectKey,
        opts: &PutOptions,
        url: &str,
    ) -> Option<PutOutcome> {
        let head = self
            .client
            .head_object()
            .bucket(&self.bucket)
            .key(key.as_string())
            .checksum_mode(ChecksumMode::Enabled)
            .send()
            .await
            .ok()?;
        (head.checksum_sha256()? == BASE64.encode(opts.content_sha256)).then(|| PutOutcome {
            etag: head.e_tag().map(unquote_etag),
            version_id: head.version_id().map(str::to_owned),
            location: url.to_string(),
        })
    }

    /// Downloads an object, retrying a body cut off in transit (the SDK retries only
    /// until the response headers arrive). A body that arrives whole but does not match
    /// its checksum is not retried: that is an integrity failure to report.
    pub(super) async fn get_async(
        &self,
        key: &ObjectKey,
        version: Option<&VersionId>,
    ) -> StoreResult<Object> {
        let mut attempt = 1;
        loop {
            match self.get_once(key, version).await {
                Ok(object) => return Ok(object),
                Err(GetFailure::Interrupted(_)) if attempt < self.max_attempts => {
                    attempt += 1;
                    tokio::time::sleep(Duration::from_millis(100 << attempt.min(6))).await;
                }
                Err(GetFailure::Interrupted(e) | GetFailure::Store(e)) => return Err(e),
            }
        }
    }

    async fn get_once(
        &self,
        key: &ObjectKey,
        version: Option<&VersionId>,
    ) -> Result<Object, GetFailure> {
        let url = self.url(key);
        let what = match version {
            Some(v) => format!("version {v} of {url}"),
            None => url.clone(),
        };
        let resp = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key.as_string())
            .set_version_id(version.map(|v| v.as_str().to_owned()))
            .checksum_mode(ChecksumMode::Enabled)
            .send()
            .await;
        let resp = match resp {
            Ok(r) => r,
            Err(e) => {
                let status = e.raw_response().map(|r| r.status().as_u16());
                return Err(GetFailure::Store(match self.classify(e, &what) {
                    StoreError::NotFound { what } if version.is_none() => {
                        self.explain_missing(key, what).await
                    }
                    // GET of a delete marker's version id: 405 Method Not Allowed.
                    StoreError::Other { .. } if status == Some(405) => StoreError::NotFound {
                        what: format!("{what} (a delete marker, which has no content)"),
                    },
                    StoreError::Other { .. } if status == Some(400) && version.is_some() => {
                        StoreError::NotFound {
                            what: format!("{what} (S3 does not accept this version id)"),
                        }
                    }
                    other => other,
                }));
            }
        };
        let stored = resp.checksum_sha256().map(str::to_owned);
        let etag = resp.e_tag().map(unquote_etag);
        let version_id = resp.version_id().map(str::to_owned);
        let last_modified = resp
            .last_modified()
            .and_then(|t| SystemTime::try_from(*t).ok());
        let digest_meta = resp
            .metadata()
            .and_then(|m| m.get(PLAINTEXT_DIGEST_METADATA))
            .map(|s| s.trim().to_ascii_lowercase());
        let body = resp.body.collect().await.map_err(|e| {
            if let Some(mismatch) = sdk_checksum_mismatch(&e) {
                let (expected, actual) = mismatch;
                return GetFailure::Store(StoreError::ChecksumMismatch {
                    what: what.clone(),
                    expected,
                    actual,
                });
            }
            GetFailure::Interrupted(StoreError::other(
                format!("{what}: the download failed (cut off in transit)"),
                e,
            ))
        })?;
        let body = body.into_bytes();

        let checksum = verify_checksum(&body, stored, &what).map_err(GetFailure::Store)?;
        let (plaintext_sha256, odd_plaintext_digest) = match digest_meta {
            Some(d) if d.len() == 64 && d.bytes().all(|b| b.is_ascii_hexdigit()) => {
                (Some(d), false)
            }
            Some(_) => (None, true),
            None => (None, false),
        };
        Ok(Object {
            body,
            etag,
            version_id,
            plaintext_sha256,
            odd_plaintext_digest,
            checksum,
            last_modified,
        })
    }

    async fn delete_async(&self, key: &ObjectKey) -> StoreResult<DeleteOutcome> {
        let url = self.url(key);
        let head = self
            .client
            .head_object()
            .bucket(&self.bucket)
            .key(key.as_string())
            .send()
            .await;
        let previous_version_id = match head {
            Ok(h) => h.version_id().map(str::to_owned),
            Err(e) => match self.classify(e, &url) {
                StoreError::NotFound { .. } => {
                    return match self.missing_key_or_bucket(&url).await {
                        StoreError::NotFound { .. } => Ok(DeleteOutcome {
                            existed: false,
                            delete_marker_added: false,
                            version_id: None,
                            previous_version_id: None,
                        }),
                        other => Err(other),
                    };
                }
                other => return Err(other),
            },
        };
        let resp = self
            .client
            .delete_object()
            .bucket(&self.bucket)
            .key(key.as_string())
            .send()
            .await
            .map_err(|e| match self.classify(e, &url) {
                StoreError::PermissionDenied { detail, .. } => StoreError::PermissionDenied {
                    what: format!("delete {url}"),
                    detail,
                },
                other => other,
            })?;
        Ok(DeleteOutcome {
            existed: true,
            delete_marker_added: resp.delete_marker() == Some(true),
            version_id: resp.version_id().map(str::to_owned),
            previous_version_id,
        })
    }

    async fn list_async(&self) -> StoreResult<Vec<ListEntry>> {
        let what = format!("s3://{}", self.bucket);
        let mut pages = self
            .client
            .list_objects_v2()
            .bucket(&self.bucket)
            .into_paginator()
            .send();
        let mut out = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| match self.classify(e, &what) {
                StoreError::NotFound { .. } => StoreError::NoBucket {
                    bucket: self.bucket.clone(),
                },
                StoreError::PermissionDenied { detail, .. } => StoreError::PermissionDenied {
                    what: format!("list {what}"),
                    detail,
                },
                other => other,
            })?;
            for obj in page.contents() {
                out.push(ListEntry {
                    key: obj.key().unwrap_or_default().to_owned(),
                    size: obj.size().and_then(|s| u64::try_from(s).ok()).unwrap_or(0),
                    last_modified: obj
                        .last_modified()
                        .and_then(|t| SystemTime::try_from(*t).ok()),
                });
            }
        }
        Ok(out)
    }

    async fn list_versions_async(&self, key: &ObjectKey) -> StoreResult<Vec<VersionEntry>> {
        let url = self.url(key);
        let key_str = key.as_string();
        let mut out = Vec::new();
        let mut key_marker: Option<String> = None;
        let mut version_marker: Option<String> = None;
        loop {
            let page = self
                .client
                .list_object_versions()
                .bucket(&self.bucket)
                .prefix(&key_str)
                .set_key_marker(key_marker.take())
                .set_version_id_marker(version_marker.take())
                .send()
                .await
                .map_err(|e| {
                    self.classify_listing(e, &url, format!("list the versions of {url}"))
                })?;
            // The prefix also matches longer keys (`{uuid}` is a prefix of
            // `{uuid}/backup.ffce`); keep exactly ours.
            for v in page.versions() {
                if v.key() == Some(key_str.as_str()) {
                    out.push(VersionEntry {
                        version_id: v.version_id().unwrap_or("null").to_owned(),
                        is_latest: v.is_latest() == Some(true),
                        is_delete_marker: false,
                        size: v.size().and_then(|s| u64::try_from(s).ok()),
                        last_modified: v
                            .last_modified()
                            .and_then(|t| SystemTime::try_from(*t).ok()),
                        etag: v.e_tag().map(unquote_etag),
                    });
                }
            }
            for m in page.delete_markers() {
                if m.key() == Some(key_str.as_str()) {
                    out.push(VersionEntry {
                        version_id: m.version_id().unwrap_or("null").to_owned(),
                        is_latest: m.is_latest() == Some(true),
                        is_delete_marker: true,
                        size: None,
                        last_modified: m
                            .last_modified()
                            .and_then(|t| SystemTime::try_from(*t).ok()),
                        etag: None,
                    });
                }
            }
            if page.is_truncated() != Some(true) {
                break;
            }
            key_marker = page.next_key_marker().map(str::to_owned);
            version_marker = page.next_version_id_marker().map(str::to_owned);
            if key_marker.is_none() && version_marker.is_none() {
                break; // a server that says "truncated" without saying where to go on
            }
        }
        // Newest first: the latest entry, then by time (stable for equal times, which
        // keeps the server's own newest-first order within versions and markers).
        out.sort_by(|a, b| {
            b.is_latest
                .cmp(&a.is_latest)
                .then(b.last_modified.cmp(&a.last_modified))
        });
        Ok(out)
    }

    async fn find_version(
        &self,
        key: &ObjectKey,
        version: &VersionId,
    ) -> StoreResult<VersionEntry> {
        self.list_versions_async(key)
            .await?
            .into_iter()
            .find(|v| v.version_id == version.as_str())
            .ok_or_else(|| StoreError::NotFound {
                what: format!("version {version} of {}", self.url(key)),
            })
    }

    async fn delete_version_async(&self, key: &ObjectKey, version: &VersionId) -> StoreResult<()> {
        let url = self.url(key);
        self.client
            .delete_object()
            .bucket(&self.bucket)
            .key(key.as_string())
            .version_id(version.as_str())
            .send()
            .await
            .map_err(
                |e| match self.classify(e, &format!("version {version} of {url}")) {
                    StoreError::PermissionDenied { detail, .. } => StoreError::PermissionDenied {
                        what: format!("delete version {version} of {url}"),
                        detail,
                    },
                    other => other,
                },
            )?;
        Ok(())
    }

    async fn restore_async(&self, key: &ObjectKey, version: &VersionId) -> StoreResult<PutOutcome> {
        let url = self.url(key);
        let entry = self.find_version(key, version).await?;
        if entry.is_delete_marker {
            return Err(StoreError::NotFound {
                what: format!(
                    "version {version} of {url} is a delete marker, not a backup; \
                     pick a version with content from `ffce versions {}`",
                    key.device()
                ),
            });
        }
        // CopyObject applies the bucket's default encryption, not the source's: carry
        // an explicit SSE-KMS key of the source version over, so a restore never
        // changes how the backup is encrypted.
        let source_head = self
            .client
            .head_object()
            .bucket(&self.bucket)
            .key(key.as_string())
            .version_id(version.as_str())
            .send()
            .await
            .map_err(|e| self.classify(e, &format!("version {version} of {url}")))?;
        let source = format!(
            "{}/{}?versionId={}",
            self.bucket,
            key.as_string(),
            percent_encode(version.as_str())
        );
        let resp = self
            .client
            .copy_object()
            .bucket(&self.bucket)
            .key(key.as_string())
            .copy_source(source)
            .checksum_algorithm(ChecksumAlgorithm::Sha256)
            .set_server_side_encryption(
                source_head
                    .server_side_encryption()
                    .filter(|s| **s == ServerSideEncryption::AwsKms)
                    .cloned(),
            )
            .set_ssekms_key_id(
                source_head
                    .ssekms_key_id()
                    .filter(|_| {
                        source_head.server_side_encryption() == Some(&ServerSideEncryption::AwsKms)
                    })
                    .map(str::to_owned),
            )
            .send()
            .await
            .map_err(
                |e| match self.classify(e, &format!("version {version} of {url}")) {
                    StoreError::PermissionDenied { detail, .. } => StoreError::PermissionDenied {
                        what: format!("copy version {version} of {url}"),
                        detail,
                    },
                    other => other,
                },
            )?;
        Ok(PutOutcome {
            etag: resp
                .copy_object_result()
                .and_then(|r| r.e_tag())
                .map(unquote_etag),
            version_id: resp.version_id().map(str::to_owned),
            location: url,
        })
    }
}

impl Store for S3Store {
    fn describe(&self, key: &ObjectKey) -> String {
        self.url(key)
    }

    fn describe_root(&self) -> String {
        format!("s3://{}", self.bucket)
    }

    fn put(&self, key: &ObjectKey, body: Bytes, opts: &PutOptions) -> StoreResult<PutOutcome> {
        self.rt.block_on(self.put_async(key, body, opts))
    }

    fn get(&self, key: &ObjectKey, version: Option<&VersionId>) -> StoreResult<Object> {
        self.rt.block_on(self.get_async(key, version))
    }

    fn delete(&self, key: &ObjectKey) -> StoreResult<DeleteOutcome> {
        self.rt.block_on(self.delete_async(key))
    }

    fn list(&self) -> StoreResult<Vec<ListEntry>> {
        self.rt.block_on(self.list_async())
    }

    fn versioned(&self) -> Option<&dyn VersionedStore> {
        Some(self)
    }

    fn read_many(
        &self,
        keys: &[ObjectKey],
        scope: super::ReadScope,
        concurrency: usize,
        done: &mut dyn FnMut(usize, StoreResult<super::Fetched>),
    ) {
        self.read_many_concurrently(keys, scope, concurrency, done);
    }
}

impl VersionedStore for S3Store {
    fn list_versions(&self, key: &ObjectKey) -> StoreResult<Vec<VersionEntry>> {
        self.rt.block_on(self.list_versions_async(key))
    }

    fn delete_version(&self, key: &ObjectKey, version: &VersionId) -> StoreResult<()> {
        self.rt.block_on(self.delete_version_async(key, version))
    }

    fn restore(&self, key: &ObjectKey, version: &VersionId) -> StoreResult<PutOutcome> {
        self.rt.block_on(self.restore_async(key, version))
    }
}

/// ffce's own check of a downloaded body against the stored ChecksumSHA256 (base64).
///
/// The SDK also checks when it sees a checksum header, but ffce does not rely on it:
/// this comparison holds whatever the SDK's settings or a server's behaviour.
fn verify_checksum(body: &[u8], stored: Option<String>, what: &str) -> StoreResult<ChecksumCheck> {
    match stored {
        // A multipart object's checksum is of its parts ("...-N"); not comparable.
        Some(s) if is_composite(&s) => Ok(ChecksumCheck::Absent),
        Some(s) => {
            let actual = BASE64.encode(Sha256::digest(body));
            if actual == s.trim() {
                Ok(ChecksumCheck::Verified {
                    sha256_base64: actual,
                })
            } else {
                Err(StoreError::ChecksumMismatch {
                    what: what.to_string(),
                    expected: s,
                    actual,
                })
            }
        }
        None => Ok(ChecksumCheck::Absent),
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
fn sdk_checksum_mismatch(err: &(dyn StdError + 'static)) -> Option<(String, String)> {
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

/// A multipart object's checksum: base64, `-`, part count.
fn is_composite(checksum: &str) -> bool {
    checksum
        .rsplit_once('-')
        .is_some_and(|(_, n)| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// Percent-encodes everything but RFC 3986 unreserved characters.
fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_names() {
        assert!(check_bucket_name("firefly-device-backups").is_ok());
        assert!(check_bucket_name("a.b_c").is_ok());
        for bad in ["", "ab", "a/b", "a?b", "a b", "bucket#x"] {
            assert!(check_bucket_name(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn checksums_are_compared_here() {
        let body = b"FFCE body";
        let good = BASE64.encode(Sha256::digest(body));
        assert_eq!(
            verify_checksum(body, Some(good.clone()), "x").unwrap(),
            ChecksumCheck::Verified {
                sha256_base64: good
            }
        );
        let bad = BASE64.encode(Sha256::digest(b"other"));
        assert!(matches!(
            verify_checksum(body, Some(bad), "x"),
            Err(StoreError::ChecksumMismatch { .. })
        ));
        assert!(matches!(
            verify_checksum(body, Some("not base64".into()), "x"),
            Err(StoreError::ChecksumMismatch { .. })
        ));
        assert_eq!(
            verify_checksum(body, None, "x").unwrap(),
            ChecksumCheck::Absent
        );
    }

    #[test]
    fn composite_checksums() {
        assert!(is_composite("abc=-3"));
        assert!(!is_composite(
            "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
        ));
    }

    #[test]
    fn encoding() {
        assert_eq!(percent_encode("a+b/c=d"), "a%2Bb%2Fc%3Dd");
        assert_eq!(percent_encode("3HL4kq.t_J~-"), "3HL4kq.t_J~-");
    }
}
