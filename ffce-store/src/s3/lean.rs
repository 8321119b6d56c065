//! One-request operations for a caller whose role allows exactly one S3 action per
//! route, as the device API's Lambda functions have (FFCE-SPEC §7): the `etag`
//! metadata of the stored object from a HEAD (`s3:GetObject`), and a delete that looks
//! nothing up first (`s3:DeleteObject` alone). [`Store::delete`](crate::Store::delete)
//! asks first what is there, which such a role may not do.

use ffce_core::{ObjectKey, PLAINTEXT_DIGEST_METADATA};

use super::S3Store;
use crate::error::{StoreError, StoreResult};
use crate::store::PlaintextDigest;

impl S3Store {
    /// The `etag` metadata (the plaintext's SHA-256) of the object at `key`, from one
    /// HEAD request: `None` when there is no object or it has no such metadata. What a
    /// writer compares a device's `If-None-Match` with, without downloading the body.
    pub async fn stored_digest(&self, key: &ObjectKey) -> StoreResult<Option<PlaintextDigest>> {
        let url = self.url(key);
        let head = self
            .client
            .head_object()
            .bucket(&self.bucket)
            .key(key.as_string())
            .send()
            .await;
        match head {
            Ok(h) => Ok(h
                .metadata()
                .and_then(|m| m.get(PLAINTEXT_DIGEST_METADATA))
                .map(|v| PlaintextDigest::parse(v))),
            Err(e) => match self.classify(e, &url) {
                StoreError::NotFound { .. } => Ok(None),
                other => Err(other),
            },
        }
    }

    /// Deletes the latest object at `key` with one DeleteObject request and nothing
    /// else (on a versioned bucket, a delete marker). Like S3 itself, it cannot tell
    /// whether there was an object: a missing key is success.
    pub async fn delete_only(&self, key: &ObjectKey) -> StoreResult<()> {
        let url = self.url(key);
        self.client
            .delete_object()
            .bucket(&self.bucket)
            .key(key.as_string())
            .send()
            .await
            .map_err(|e| {
                self.classify(e, &url)
                    .denied_action(|| format!("delete {url}"))
            })?;
        Ok(())
    }
}
