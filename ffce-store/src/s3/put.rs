//! The S3 store's write of one object: the checked upload, its conditions decided by
//! the server, and a conditional write of the bytes already there.

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{ChecksumAlgorithm, ChecksumMode, ServerSideEncryption};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use bytes::Bytes;
use ffce_core::layout::{CONTENT_TYPE, ObjectKey, PLAINTEXT_DIGEST_METADATA};

use super::{S3Store, WithinLimit};
use crate::error::{StoreError, StoreResult, VersionId};
use crate::store::{Condition, PutOptions, PutOutcome, PutStatus, unquote_etag};

impl S3Store {
    pub(super) async fn put_object(
        &self,
        key: &ObjectKey,
        body: Bytes,
        opts: &PutOptions,
    ) -> StoreResult<PutOutcome> {
        let url = self.url(key);
        // A conditional put of exactly the bytes already stored writes nothing (see
        // `Store::put`). Asking first (one HEAD, only for conditional puts) also tells
        // this apart from the SDK's retry of our own write, below.
        if opts.condition != Condition::None {
            if let Some(stored) = self.already_ours(key, opts, &url).await {
                let condition_holds = match &opts.condition {
                    Condition::IfMatch(want) => {
                        stored.etag.as_deref() == Some(&*unquote_etag(want))
                    }
                    _ => false,
                };
                if !condition_holds {
                    return Ok(PutOutcome {
                        status: PutStatus::AlreadyStored,
                        ..stored
                    });
                }
            }
        }
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
        let result = req.send().within(self).await.map_err(|e| {
            match (self.classify(e, &url), &opts.condition) {
                (StoreError::PreconditionFailed { what, .. }, Condition::IfAbsent) => {
                    StoreError::AlreadyExists { what }
                }
                (StoreError::NotFound { what }, Condition::IfMatch(_)) => {
                    StoreError::PreconditionFailed {
                        what,
                        missing: true,
                    }
                }
                (other, _) => other.denied_action(|| format!("upload to {url}")),
            }
        });
        let resp = match result {
            Ok(resp) => resp,
            // A conditional put whose answer was lost is retried by the SDK, and the
            // retry then fails its own precondition. If the object now holds exactly
            // our bytes (it did not before: checked above), the write happened: report
            // it, not a conflict.
            Err(
                err @ (StoreError::AlreadyExists { .. }
                | StoreError::PreconditionFailed { missing: false, .. }),
            ) => return self.already_ours(key, opts, &url).await.ok_or(err),
            Err(err) => return Err(err),
        };
        Ok(PutOutcome {
            etag: resp.e_tag().map(unquote_etag),
            version_id: resp.version_id().map(VersionId::from_store),
            location: url,
            status: PutStatus::Written,
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
            .within(self)
            .await
            .ok()?;
        (head.checksum_sha256()? == BASE64.encode(opts.content_sha256)).then(|| PutOutcome {
            etag: head.e_tag().map(unquote_etag),
            version_id: head.version_id().map(VersionId::from_store),
            location: url.to_string(),
            status: PutStatus::Written,
        })
    }
}
