//! Emptying a bucket: every version, delete marker and incomplete multipart upload.
//!
//! Emptying deletes in batches (`DeleteObjects`, at most 1,000 keys, quiet mode off so
//! S3 names every key it did not delete). It does not page through the listing with
//! markers that point at versions it has just deleted: S3-compatible servers differ on
//! what such a marker means (moto ends the listing there). Instead it lists from the
//! start again after each batch (what it deleted is gone from the listing), and moves
//! the marker only past versions that failed to delete, which still exist. Every round
//! deletes something or moves the marker forward, so the loop ends; a version that is
//! listed again after S3 confirmed its deletion is reported, never retried forever.

use std::collections::HashSet;
use std::time::SystemTime;

use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_sdk_s3::operation::list_object_versions::ListObjectVersionsOutput;
use aws_sdk_s3::types::{Delete, ObjectIdentifier};

use crate::S3Store;
use crate::error::{StoreError, StoreResult};
use crate::s3::WithinLimit;

/// Most keys one `DeleteObjects` request may name (an S3 limit).
pub const DELETE_BATCH: usize = 1000;
/// How many example keys a [`Contents`] keeps.
const EXAMPLES: usize = 5;

/// One version or delete marker, of any key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VersionItem {
    /// The key.
    pub key: String,
    /// The version id (`null` for an object written before versioning was enabled).
    pub version_id: String,
    /// Whether it is a delete marker.
    pub delete_marker: bool,
    /// Size in bytes (0 for a delete marker).
    pub size: u64,
}

/// One incomplete multipart upload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UploadItem {
    /// The key it would create.
    pub key: String,
    /// The upload id.
    pub upload_id: String,
    /// When it was started.
    pub initiated: Option<SystemTime>,
}

/// One thing a bucket holds, as [`S3Store::survey`] walks them.
#[derive(Clone, Copy, Debug)]
pub enum Item<'a> {
    /// A version or delete marker.
    Version(&'a VersionItem),
    /// An incomplete multipart upload.
    Upload(&'a UploadItem),
}

/// What a bucket holds: counts and a few example keys.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Contents {
    /// Object versions (each one's data).
    pub versions: u64,
    /// Delete markers.
    pub delete_markers: u64,
    /// Bytes in all versions.
    pub bytes: u64,
    /// Incomplete multipart uploads.
    pub uploads: u64,
    /// The first few distinct keys of versions and markers, in listing order.
    pub example_keys: Vec<String>,
}

impl Contents {
    /// True when the bucket holds no version, no delete marker and no upload.
    pub fn is_empty(&self) -> bool {
        self.versions == 0 && self.delete_markers == 0 && self.uploads == 0
    }

    /// True when there are versions or delete markers (what the production guard
    /// refuses to delete; an incomplete upload is not a backup).
    pub fn holds_objects(&self) -> bool {
        self.versions > 0 || self.delete_markers > 0
    }

    fn note(&mut self, item: &VersionItem) {
        if item.delete_marker {
            self.delete_markers += 1;
        } else {
            self.versions += 1;
            self.bytes += item.size;
        }
        if self.example_keys.len() < EXAMPLES && !self.example_keys.contains(&item.key) {
            self.example_keys.push(item.key.clone());
        }
    }
}

/// Something `empty` could not delete or abort.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ItemFailure {
    /// The key.
    pub key: String,
    /// The version id, or the upload id for an upload.
    pub id: String,
    /// `version`, `delete_marker` or `upload`.
    pub kind: &'static str,
    /// S3's error code (e.g. `AccessDenied`), or ffce's own (`NotConfirmed`,
    /// `StillListed`).
    pub code: String,
    /// S3's message, or ffce's explanation.
    pub message: String,
}

/// What `empty` has done so far.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EmptyTally {
    /// Versions permanently deleted.
    pub deleted_versions: u64,
    /// Delete markers permanently deleted.
    pub deleted_markers: u64,
    /// Incomplete multipart uploads aborted.
    pub aborted_uploads: u64,
    /// Every version, marker or upload that could not be removed.
    pub failures: Vec<ItemFailure>,
}

impl EmptyTally {
    /// Versions and markers handled (deleted or failed), for a progress bar.
    pub fn handled(&self) -> u64 {
        self.deleted_versions + self.deleted_markers + self.failures.len() as u64
    }
}

/// A listing position: key marker and version-id (or upload-id) marker.
type Marker = (Option<String>, Option<String>);

impl S3Store {
    /// Walks every version, delete marker and incomplete multipart upload (read only),
    /// calling `each` for every one, and counts them. Pages are followed with key and
    /// version-id (upload-id) markers.
    pub async fn survey(&self, each: &mut (dyn FnMut(Item<'_>) + Send)) -> StoreResult<Contents> {
        let mut contents = Contents::default();
        let mut marker: Marker = (None, None);
        loop {
            let page = self.list_versions_page(&marker).await?;
            for item in version_items(&page) {
                contents.note(&item);
                each(Item::Version(&item));
            }
            match next_version_marker(&page, &marker) {
                Some(next) => marker = next,
                None => break,
            }
        }
        let mut marker: Marker = (None, None);
        loop {
            let (uploads, next) = self.list_uploads_page(&marker).await?;
            for upload in &uploads {
                contents.uploads += 1;
                each(Item::Upload(upload));
            }
            match next {
                Some(next) => marker = next,
                None => break,
            }
        }
        Ok(contents)
    }

    /// Permanently deletes every version and delete marker, in batches of at most
    /// [`DELETE_BATCH`], adding to `tally` and calling `progress` after each batch.
    /// Per-key failures go to `tally.failures`; a failed request is an error (what was
    /// done until then is in `tally`).
    pub async fn delete_every_version(
        &self,
        tally: &mut EmptyTally,
        progress: &mut (dyn FnMut(&EmptyTally) + Send),
    ) -> StoreResult<()> {
        let mut failed: HashSet<(String, String)> = HashSet::new();
        let mut last_batch: HashSet<(String, String)> = HashSet::new();
        let mut marker: Marker = (None, None);
        loop {
            let page = self.list_versions_page(&marker).await?;
            let mut batch = Vec::new();
            for item in version_items(&page) {
                let id = (item.key.clone(), item.version_id.clone());
                if failed.contains(&id) {
                    continue;
                }
                if last_batch.contains(&id) {
                    tally.failures.push(ItemFailure {
                        key: item.key.clone(),
                        id: item.version_id.clone(),
                        kind: kind_of(&item),
                        code: "StillListed".into(),
                        message: "still listed after S3 confirmed deleting it".into(),
                    });
                    failed.insert(id);
                    continue;
                }
                batch.push(item);
            }
            if batch.is_empty() {
                // Nothing new on this page: move past it (it holds only versions
                // that failed, which still exist, so the marker is sound).
                match next_version_marker(&page, &marker) {
                    Some(next) => {
                        marker = next;
                        last_batch.clear();
                        continue;
                    }
                    None => break,
                }
            }
            last_batch = batch
                .iter()
                .map(|v| (v.key.clone(), v.version_id.clone()))
                .collect();
            for chunk in batch.chunks(DELETE_BATCH) {
                for failure in self.delete_batch(chunk, tally).await? {
                    failed.insert((failure.key.clone(), failure.id.clone()));
                    tally.failures.push(failure);
                }
                progress(tally);
            }
            // List again from the same position: what was deleted is gone.
        }
        Ok(())
    }

    /// One `DeleteObjects` request (quiet mode off); returns what it did not delete.
    async fn delete_batch(
        &self,
        batch: &[VersionItem],
        tally: &mut EmptyTally,
    ) -> StoreResult<Vec<ItemFailure>> {
        let url = format!("s3://{}", self.bucket);
        let objects = batch
            .iter()
            .map(|v| {
                ObjectIdentifier::builder()
                    .key(&v.key)
                    .version_id(&v.version_id)
                    .build()
            })
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| StoreError::other("cannot build a delete request", e))?;
        let delete = Delete::builder()
            .set_objects(Some(objects))
            .quiet(false)
            .build()
            .map_err(|e| StoreError::other("cannot build a delete request", e))?;
        let resp = self
            .client
            .delete_objects()
            .bucket(&self.bucket)
            .delete(delete)
            .send()
            .within(self)
            .await
            .map_err(|e| {
                self.classify(e, &url)
                    .denied_action(|| format!("delete object versions in {url}"))
            })?;
        // What S3 confirmed is the truth; an error entry only explains a missing
        // confirmation (some servers leave the version id out of it).
        let confirmed: HashSet<(&str, Option<&str>)> = resp
            .deleted()
            .iter()
            .map(|d| (d.key().unwrap_or_default(), d.version_id()))
            .collect();
        let mut failures = Vec::new();
        for item in batch {
            let done = confirmed.contains(&(item.key.as_str(), Some(item.version_id.as_str())))
                || confirmed.contains(&(item.key.as_str(), None));
            if done {
                if item.delete_marker {
                    tally.deleted_markers += 1;
                } else {
                    tally.deleted_versions += 1;
                }
                continue;
            }
            let reason = resp.errors().iter().find(|e| {
                e.key() == Some(item.key.as_str())
                    && e.version_id().is_none_or(|v| v == item.version_id)
            });
            failures.push(ItemFailure {
                key: item.key.clone(),
                id: item.version_id.clone(),
                kind: kind_of(item),
                code: reason
                    .and_then(|e| e.code())
                    .unwrap_or("NotConfirmed")
                    .to_owned(),
                message: reason
                    .and_then(|e| e.message())
                    .unwrap_or("S3 did not confirm deleting it")
                    .to_owned(),
            });
        }
        Ok(failures)
    }

    /// Aborts every incomplete multipart upload, adding to `tally`. An upload that is
    /// already gone (`NoSuchUpload`) counts as aborted.
    pub async fn abort_every_upload(
        &self,
        tally: &mut EmptyTally,
        progress: &mut (dyn FnMut(&EmptyTally) + Send),
    ) -> StoreResult<()> {
        let url = format!("s3://{}", self.bucket);
        let mut failed: HashSet<(String, String)> = HashSet::new();
        let mut last_round: HashSet<(String, String)> = HashSet::new();
        let mut marker: Marker = (None, None);
        loop {
            let (uploads, next) = self.list_uploads_page(&marker).await?;
            let mut round = Vec::new();
            for upload in uploads {
                let id = (upload.key.clone(), upload.upload_id.clone());
                if failed.contains(&id) {
                    continue;
                }
                if last_round.contains(&id) {
                    tally.failures.push(ItemFailure {
                        key: upload.key,
                        id: upload.upload_id,
                        kind: "upload",
                        code: "StillListed".into(),
                        message: "still listed after S3 confirmed aborting it".into(),
                    });
                    failed.insert(id);
                    continue;
                }
                round.push(upload);
            }
            if round.is_empty() {
                match next {
                    Some(next) if next != marker => {
                        marker = next;
                        last_round.clear();
                        continue;
                    }
                    _ => break,
                }
            }
            last_round = round
                .iter()
                .map(|u| (u.key.clone(), u.upload_id.clone()))
                .collect();
            for upload in round {
                let result = self
                    .client
                    .abort_multipart_upload()
                    .bucket(&self.bucket)
                    .key(&upload.key)
                    .upload_id(&upload.upload_id)
                    .send()
                    .within(self)
                    .await;
                match result {
                    Ok(_) => tally.aborted_uploads += 1,
                    Err(e) if e.code() == Some("NoSuchUpload") => tally.aborted_uploads += 1,
                    Err(e) => {
                        let code = e.code().unwrap_or("RequestFailed").to_owned();
                        let message = self
                            .classify(e, &format!("abort an upload to {url}/{}", upload.key))
                            .to_string();
                        failed.insert((upload.key.clone(), upload.upload_id.clone()));
                        tally.failures.push(ItemFailure {
                            key: upload.key,
                            id: upload.upload_id,
                            kind: "upload",
                            code,
                            message,
                        });
                    }
                }
                progress(tally);
            }
        }
        Ok(())
    }

    async fn list_versions_page(&self, marker: &Marker) -> StoreResult<ListObjectVersionsOutput> {
        let url = format!("s3://{}", self.bucket);
        self.client
            .list_object_versions()
            .bucket(&self.bucket)
            .set_key_marker(marker.0.clone())
            .set_version_id_marker(marker.1.clone())
            .send()
            .within(self)
            .await
            .map_err(|e| self.classify_listing(e, || format!("list the object versions of {url}")))
    }

    /// One page of incomplete uploads and the marker of the next page, if any.
    async fn list_uploads_page(
        &self,
        marker: &Marker,
    ) -> StoreResult<(Vec<UploadItem>, Option<Marker>)> {
        let url = format!("s3://{}", self.bucket);
        let page = self
            .client
            .list_multipart_uploads()
            .bucket(&self.bucket)
            .set_key_marker(marker.0.clone())
            .set_upload_id_marker(marker.1.clone())
            .send()
            .within(self)
            .await
            .map_err(|e| {
                self.classify_listing(e, || format!("list the incomplete uploads of {url}"))
            })?;
        let uploads = page
            .uploads()
            .iter()
            .map(|u| UploadItem {
                key: u.key().unwrap_or_default().to_owned(),
                upload_id: u.upload_id().unwrap_or_default().to_owned(),
                initiated: u.initiated().and_then(|t| SystemTime::try_from(*t).ok()),
            })
            .collect();
        let next: Marker = (
            page.next_key_marker().map(str::to_owned),
            page.next_upload_id_marker().map(str::to_owned),
        );
        let more = page.is_truncated() == Some(true) && next.0.is_some() && next != *marker;
        Ok((uploads, more.then_some(next)))
    }
}

/// The versions and delete markers of one listing page.
fn version_items(page: &ListObjectVersionsOutput) -> Vec<VersionItem> {
    let versions = page.versions().iter().map(|v| VersionItem {
        key: v.key().unwrap_or_default().to_owned(),
        version_id: v.version_id().unwrap_or("null").to_owned(),
        delete_marker: false,
        size: v.size().and_then(|s| u64::try_from(s).ok()).unwrap_or(0),
    });
    let markers = page.delete_markers().iter().map(|m| VersionItem {
        key: m.key().unwrap_or_default().to_owned(),
        version_id: m.version_id().unwrap_or("null").to_owned(),
        delete_marker: true,
        size: 0,
    });
    versions.chain(markers).collect()
}

/// Where the next page starts, or `None` at the end (or when a server says
/// "truncated" without saying where to go on, or names the same position again).
fn next_version_marker(page: &ListObjectVersionsOutput, current: &Marker) -> Option<Marker> {
    if page.is_truncated() != Some(true) {
        return None;
    }
    let next: Marker = (
        page.next_key_marker().map(str::to_owned),
        page.next_version_id_marker().map(str::to_owned),
    );
    (next.0.is_some() && next != *current).then_some(next)
}

fn kind_of(item: &VersionItem) -> &'static str {
    if item.delete_marker {
        "delete_marker"
    } else {
        "version"
    }
}
