//! Reads of part of an object: its first bytes and its total size in one request, for
//! an audit of the fleet ([`crate::audit`]), or only its metadata in one HEAD (the
//! device API's `If-None-Match`: the stored `etag`).
//!
//! - Bounded concurrency: [`crate::audit::run`] overlaps the
//!   network waits of up to `concurrency` requests (`buffer_unordered`); the work per
//!   response here is a header's bytes, and authentication happens in the audit, off
//!   the I/O task.
//! - A header read is one ranged GET, `Range: bytes=0-36`. Its `206 Partial Content`
//!   answer carries the object's total size in `Content-Range: bytes 0-36/TOTAL`, so
//!   one small request answers "header, and does the declared length fit the size".
//!   An object shorter than the range comes back whole (`bytes 0-19/20`). An empty
//!   object cannot satisfy any range: S3 answers `416 InvalidRange`, and one HEAD
//!   request then confirms its size. A server that ignores `Range` answers `200` with
//!   the whole body, which is used as it is.
//! - A header read is sent directly (`direct.rs`: signed and sent without the SDK's
//!   per-operation machinery) when the store can; whatever that attempt cannot read
//!   goes to the SDK, which makes the request again with the attempts left.
//! - The SDK's retries (`max_attempts`, standard mode) apply to every request. A
//!   request that still fails is that object's result; the others go on.
//! - The SDK's response-checksum validation is off for ranged reads (the store's
//!   `ranged` client): a checksum covers the whole object, never a part of it. So is
//!   its stalled-stream protection, whose throughput monitor costs more per object
//!   than the 37-byte body it would watch; the body's read is bounded by the attempt
//!   timeout instead.
//!   Whole reads go through the same code as a `get`, which compares the stored
//!   SHA-256 itself.

use std::time::SystemTime;

use aws_sdk_s3::operation::head_object::HeadObjectOutput;
use bytes::Bytes;
use ffce_core::{
    layout::{ObjectKey, PLAINTEXT_DIGEST_METADATA},
    numbers::Grouped,
};

use super::direct::{Answer, Read};
use super::{AfterDirect, MissingKey, S3Store, WithinLimit};
use crate::checksum::ChecksumCheck;
use crate::error::{StoreError, StoreResult, VersionId};
use crate::store::{Object, PlaintextDigest, unquote_etag};

impl S3Store {
    /// The first `n` bytes of `key` (or `version`) and its total size, in one ranged
    /// GET: sent directly when the store can (`direct.rs`), by the SDK otherwise and
    /// for whatever the direct attempt could not read. The operation limit bounds both.
    pub(super) async fn read_prefix(
        &self,
        key: &ObjectKey,
        version: Option<&VersionId>,
        n: usize,
        missing: MissingKey,
    ) -> StoreResult<Object> {
        let url = format!("s3://{}/{}", self.bucket, key);
        if n == 0 {
            return self.size_only(key, version, &url, false, missing).await;
        }
        self.read_within(
            &url,
            self.read_prefix_attempts(key, version, n, missing, &url),
        )
        .await
    }

    async fn read_prefix_attempts(
        &self,
        key: &ObjectKey,
        version: Option<&VersionId>,
        n: usize,
        missing: MissingKey,
        url: &str,
    ) -> StoreResult<Object> {
        let client = match self.read_directly(key, version, Read::FirstBytes(n)).await {
            AfterDirect::Answered(answer) => return prefix_object(url, answer, n),
            AfterDirect::NoByteZero => {
                return self.size_only(key, version, url, true, missing).await;
            }
            AfterDirect::ToTheSdk { path, .. } => &path.rest_ranged,
            AfterDirect::NotTried => &self.ranged,
        };
        let resp = client
            .get_object()
            .bucket(&self.bucket)
            .key(key.as_string())
            .set_version_id(version.map(|v| v.as_str().to_owned()))
            .range(format!("bytes=0-{}", n - 1))
            .send()
            .await;
        let resp = match resp {
            Ok(r) => r,
            Err(e) => {
                let status = e.raw_response().map(|r| r.status().as_u16());
                let code = aws_sdk_s3::error::ProvideErrorMetadata::code(&e).map(str::to_owned);
                if status == Some(416) || code.as_deref() == Some("InvalidRange") {
                    // Only an empty object has no byte 0; HEAD says how long it is now.
                    return self.size_only(key, version, url, true, missing).await;
                }
                return Err(self
                    .missing(self.classify(e, url), key, version, missing)
                    .await);
            }
        };
        let mut answer = Answer {
            content_range: resp.content_range().map(str::to_owned),
            content_length: resp.content_length().and_then(|l| u64::try_from(l).ok()),
            etag: resp.e_tag().map(str::to_owned),
            version_id: resp.version_id().map(str::to_owned),
            plaintext_digest: resp
                .metadata()
                .and_then(|m| m.get(PLAINTEXT_DIGEST_METADATA))
                .cloned(),
            last_modified: resp
                .last_modified()
                .and_then(|t| SystemTime::try_from(*t).ok()),
            checksums: Vec::new(),
            body: Bytes::new(),
        };
        // The SDK's attempt timeout ends with the headers, and this client reads without
        // its stalled-stream protection (see `connect.rs`): a body that stops arriving is
        // bounded here, by the same limit as one attempt.
        answer.body = match tokio::time::timeout(self.attempt_timeout, resp.body.collect()).await {
            Ok(Ok(body)) => body.into_bytes(),
            Ok(Err(e)) => {
                return Err(StoreError::other(
                    format!("{url}: the download was cut off"),
                    e,
                ));
            }
            Err(_) => {
                return Err(StoreError::message(format!(
                    "{url}: the download was cut off (the header's bytes stopped \
                     arriving for {} s)",
                    crate::error::seconds(self.attempt_timeout)
                )));
            }
        };
        prefix_object(url, answer, n)
    }

    /// The metadata of `key` (or `version`) from one HEAD, no body.
    pub(super) async fn head(
        &self,
        key: &ObjectKey,
        version: Option<&VersionId>,
        missing: MissingKey,
    ) -> StoreResult<Object> {
        let url = format!("s3://{}/{}", self.bucket, key);
        let head = self.head_object(key, version, &url, missing).await?;
        Ok(object_from_head(&head))
    }

    async fn head_object(
        &self,
        key: &ObjectKey,
        version: Option<&VersionId>,
        url: &str,
        missing: MissingKey,
    ) -> StoreResult<HeadObjectOutput> {
        let head = self
            .client
            .head_object()
            .bucket(&self.bucket)
            .key(key.as_string())
            .set_version_id(version.map(|v| v.as_str().to_owned()))
            .send()
            .within(self)
            .await;
        match head {
            Ok(head) => Ok(head),
            Err(e) => {
                let err = self.classify(e, url);
                Err(match (err, missing) {
                    // A HEAD's 404 has no body to tell a missing key from a missing
                    // bucket: ask the bucket before explaining.
                    (StoreError::NotFound { .. }, MissingKey::Explain) => {
                        match self.missing_key_or_bucket(url).await {
                            e @ StoreError::NotFound { .. } => {
                                self.missing(e, key, version, missing).await
                            }
                            other => other,
                        }
                    }
                    (other, _) => other,
                })
            }
        }
    }

    /// A missing key explained when `missing` says so (and the read was of the latest
    /// version); any other error as it is.
    async fn missing(
        &self,
        err: StoreError,
        key: &ObjectKey,
        version: Option<&VersionId>,
        missing: MissingKey,
    ) -> StoreError {
        match err {
            StoreError::NotFound { what }
                if version.is_none() && missing == MissingKey::Explain =>
            {
                self.explain_missing(key, what).await
            }
            other => other,
        }
    }

    /// An object's size from HEAD, with no bytes: `n == 0`, or an object S3 found no byte
    /// 0 in (which must be empty).
    async fn size_only(
        &self,
        key: &ObjectKey,
        version: Option<&VersionId>,
        url: &str,
        must_be_empty: bool,
        missing: MissingKey,
    ) -> StoreResult<Object> {
        let head = self.head_object(key, version, url, missing).await?;
        let object = object_from_head(&head);
        if object.size == 0 || !must_be_empty {
            Ok(object)
        } else {
            Err(StoreError::message(format!(
                "{url}: S3 refused the header range of a {}-byte object \
                 (was it replaced during the audit?)",
                object.size
            )))
        }
    }
}

/// The object a HEAD describes: no body.
fn object_from_head(head: &HeadObjectOutput) -> Object {
    Object {
        body: Bytes::new(),
        size: head
            .content_length()
            .and_then(|l| u64::try_from(l).ok())
            .unwrap_or(0),
        etag: head.e_tag().map(unquote_etag),
        version_id: head.version_id().map(VersionId::from_store),
        plaintext_digest: head
            .metadata()
            .and_then(|m| m.get(PLAINTEXT_DIGEST_METADATA))
            .map(|v| PlaintextDigest::parse(v)),
        checksum: ChecksumCheck::PartialRead,
        last_modified: head
            .last_modified()
            .and_then(|t| SystemTime::try_from(*t).ok()),
    }
}

/// The object of a ranged GET's answer: its total size from `Content-Range` (or, from
/// a server that ignored the range, the whole body's length), and its first `n` bytes.
fn prefix_object(url: &str, answer: Answer, n: usize) -> StoreResult<Object> {
    let total_len = match answer.content_range.as_deref() {
        Some(range) => total_from_content_range(range).ok_or_else(|| {
            StoreError::message(format!(
                "{url}: S3 answered an unreadable Content-Range {range:?}"
            ))
        })?,
        // No Content-Range: the server ignored the range and sent everything.
        None => answer.content_length.unwrap_or(answer.body.len() as u64),
    };
    Ok(Object {
        body: check_prefix(url, answer.body, n, total_len)?,
        size: total_len,
        etag: answer.etag.as_deref().map(unquote_etag),
        version_id: answer.version_id.as_deref().map(VersionId::from_store),
        plaintext_digest: answer
            .plaintext_digest
            .as_deref()
            .map(PlaintextDigest::parse),
        checksum: ChecksumCheck::PartialRead,
        last_modified: answer.last_modified,
    })
}

/// Keeps the first `n` bytes of `body` and checks that the server sent as many as the
/// object has (fewer means a cut-off response, never a short object).
fn check_prefix(url: &str, body: Bytes, n: usize, total_len: u64) -> StoreResult<Bytes> {
    let expected = usize::try_from(total_len).map_or(n, |t| t.min(n));
    if body.len() < expected {
        return Err(StoreError::message(format!(
            "{url}: S3 sent {} of the first {} of a {}-byte object",
            Grouped(body.len() as u64),
            ffce_core::numbers::bytes(expected),
            Grouped(total_len)
        )));
    }
    Ok(body.slice(..expected))
}

/// The total of `Content-Range: bytes FIRST-LAST/TOTAL` (RFC 9110 §14.4); `None` for
/// anything else, including an unknown total (`*`).
fn total_from_content_range(value: &str) -> Option<u64> {
    let rest = value.trim().strip_prefix("bytes")?.trim_start();
    let (_, total) = rest.split_once('/')?;
    total.trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_range_totals() {
        assert_eq!(total_from_content_range("bytes 0-36/5766"), Some(5766));
        assert_eq!(total_from_content_range("bytes 0-19/20"), Some(20));
        assert_eq!(
            total_from_content_range(" bytes  0-36/524289 "),
            Some(524_289)
        );
        assert_eq!(total_from_content_range("bytes 0-36/*"), None);
        assert_eq!(total_from_content_range("items 0-36/5"), None);
        assert_eq!(total_from_content_range("bytes 0-36"), None);
    }

    #[test]
    fn short_and_long_bodies() {
        let url = "s3://b/k";
        let whole = Bytes::from_static(&[7; 50]);
        // A server that ignored Range: cut to the prefix.
        let f = check_prefix(url, whole.clone(), 37, 50).unwrap();
        assert_eq!(f.len(), 37);
        // A short object comes back whole.
        let f = check_prefix(url, whole.slice(..20), 37, 20).unwrap();
        assert_eq!(f.len(), 20);
        // Fewer bytes than the object has: a cut-off response.
        assert!(check_prefix(url, whole.slice(..20), 37, 50).is_err());
    }
}
