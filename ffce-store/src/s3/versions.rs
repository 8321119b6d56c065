//! The [`VersionedStore`] operations of the S3 store: list a key's versions and delete
//! markers, delete one version, restore one by a server-side copy, and find the keys
//! whose latest version is a delete marker.

use std::time::SystemTime;

use async_trait::async_trait;
use aws_sdk_s3::operation::list_object_versions::ListObjectVersionsOutput;
use aws_sdk_s3::types::{ChecksumAlgorithm, ServerSideEncryption};
use ffce_core::layout::ObjectKey;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use super::S3Store;
use super::WithinLimit;
use crate::error::{StoreError, StoreResult, VersionId};
use crate::store::{
    DeletedEntry, PutOutcome, PutStatus, VersionEntry, VersionedStore, unquote_etag,
};

/// Everything but RFC 3986's unreserved characters is encoded in a copy source's
/// `versionId` (a version id is opaque and may hold `+`, `/` or `=`).
const NOT_UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

impl S3Store {
    /// Every page of ListObjectVersions under `prefix` (the whole bucket for `None`),
    /// handed to `each` as it arrives, so that the caller decides what is kept.
    /// `doing` names the listing in an error ("list the versions of s3://...").
    async fn each_version_page(
        &self,
        prefix: Option<&str>,
        doing: &(dyn Fn() -> String + Sync),
        mut each: impl FnMut(&ListObjectVersionsOutput) + Send,
    ) -> StoreResult<()> {
        let mut key_marker: Option<String> = None;
        let mut version_marker: Option<String> = None;
        loop {
            let page = self
                .client
                .list_object_versions()
                .bucket(&self.bucket)
                .set_prefix(prefix.map(str::to_owned))
                .set_key_marker(key_marker.take())
                .set_version_id_marker(version_marker.take())
                .send()
                .within(self)
                .await
                .map_err(|e| self.classify_listing(e, doing))?;
            each(&page);
            if page.is_truncated() != Some(true) {
                return Ok(());
            }
            key_marker = page.next_key_marker().map(str::to_owned);
            version_marker = page.next_version_id_marker().map(str::to_owned);
            if key_marker.is_none() && version_marker.is_none() {
                return Ok(()); // a server that says "truncated" without saying where to go on
            }
        }
    }

    pub(super) async fn list_versions_of(&self, key: &ObjectKey) -> StoreResult<Vec<VersionEntry>> {
        let url = self.url(key);
        let key_str = key.as_string();
        let mut out = Vec::new();
        let doing = || format!("list the versions of {url}");
        self.each_version_page(Some(&key_str), &doing, |page| {
            // The prefix also matches longer keys (`{uuid}` is a prefix of
            // `{uuid}/backup.ffce`); keep exactly ours.
            for v in page.versions() {
                if v.key() == Some(key_str.as_str()) {
                    out.push(VersionEntry {
                        version_id: VersionId::from_store(v.version_id().unwrap_or("null")),
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
                        version_id: VersionId::from_store(m.version_id().unwrap_or("null")),
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
        })
        .await?;
        // Newest first: the latest entry, then by time (stable for equal times, which
        // keeps the server's own newest-first order within versions and markers).
        out.sort_by(|a, b| {
            b.is_latest
                .cmp(&a.is_latest)
                .then(b.last_modified.cmp(&a.last_modified))
        });
        Ok(out)
    }

    /// One pass of ListObjectVersions over the whole bucket, keeping only the latest
    /// delete markers: memory grows with the deleted keys, not with the versions.
    pub(super) async fn list_deleted_keys(&self) -> StoreResult<Vec<DeletedEntry>> {
        let what = format!("s3://{}", self.bucket);
        let mut out = Vec::new();
        let doing = || format!("list the versions in {what}");
        self.each_version_page(None, &doing, |page| {
            for m in page.delete_markers() {
                if m.is_latest() == Some(true) {
                    out.push(DeletedEntry {
                        key: m.key().unwrap_or_default().to_owned(),
                        marker_version_id: VersionId::from_store(m.version_id().unwrap_or("null")),
                        deleted_at: m
                            .last_modified()
                            .and_then(|t| SystemTime::try_from(*t).ok()),
                    });
                }
            }
        })
        .await?;
        // A bucket never versioned lists no delete markers either: say why rather than
        // "nothing deleted". Asked only when the listing is empty, and a failure to ask
        // (a role that may not read the setting) keeps the empty answer.
        if out.is_empty() && matches!(self.versioning_status().await, Ok(None)) {
            return Err(StoreError::Unversioned {
                bucket: self.bucket.clone(),
            });
        }
        out.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(out)
    }

    async fn find_version(
        &self,
        key: &ObjectKey,
        version: &VersionId,
    ) -> StoreResult<VersionEntry> {
        self.list_versions_of(key)
            .await?
            .into_iter()
            .find(|v| v.version_id == version.as_str())
            .ok_or_else(|| StoreError::NotFound {
                what: format!("version {version} of {}", self.url(key)),
            })
    }

    async fn delete_version_now(&self, key: &ObjectKey, version: &VersionId) -> StoreResult<()> {
        let url = self.url(key);
        self.client
            .delete_object()
            .bucket(&self.bucket)
            .key(key.as_string())
            .version_id(version.as_str())
            .send()
            .within(self)
            .await
            .map_err(|e| {
                self.classify(e, &format!("version {version} of {url}"))
                    .denied_action(|| format!("delete version {version} of {url}"))
            })?;
        Ok(())
    }

    async fn restore_version(
        &self,
        key: &ObjectKey,
        version: &VersionId,
    ) -> StoreResult<PutOutcome> {
        let url = self.url(key);
        let entry = self.find_version(key, version).await?;
        if entry.is_delete_marker {
            return Err(StoreError::IsDeleteMarker {
                what: format!("version {version} of {url}"),
                device: key.device(),
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
            .within(self)
            .await
            .map_err(|e| self.classify(e, &format!("version {version} of {url}")))?;
        let source = format!(
            "{}/{}?versionId={}",
            self.bucket,
            key.as_string(),
            utf8_percent_encode(version.as_str(), NOT_UNRESERVED)
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
            .within(self)
            .await
            .map_err(|e| {
                self.classify(e, &format!("version {version} of {url}"))
                    .denied_action(|| format!("copy version {version} of {url}"))
            })?;
        Ok(PutOutcome {
            etag: resp
                .copy_object_result()
                .and_then(|r| r.e_tag())
                .map(unquote_etag),
            version_id: resp.version_id().map(VersionId::from_store),
            location: url,
            status: PutStatus::Written,
        })
    }
}

#[async_trait]
impl VersionedStore for S3Store {
    async fn list_versions(&self, key: &ObjectKey) -> StoreResult<Vec<VersionEntry>> {
        self.list_versions_of(key).await
    }

    async fn delete_version(&self, key: &ObjectKey, version: &VersionId) -> StoreResult<()> {
        self.delete_version_now(key, version).await
    }

    async fn restore(&self, key: &ObjectKey, version: &VersionId) -> StoreResult<PutOutcome> {
        self.restore_version(key, version).await
    }

    async fn list_deleted(&self) -> StoreResult<Vec<DeletedEntry>> {
        self.list_deleted_keys().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_ids_in_a_copy_source_are_encoded() {
        let encode = |s| utf8_percent_encode(s, NOT_UNRESERVED).to_string();
        assert_eq!(encode("a+b/c=d"), "a%2Bb%2Fc%3Dd");
        assert_eq!(encode("3HL4kq.t_J~-"), "3HL4kq.t_J~-");
    }
}
