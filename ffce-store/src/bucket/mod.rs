//! Bucket-wide operations of the S3 store (FFCE-SPEC §5 and §6): create a
//! bucket with the provisioning spec's settings, read those settings back for a
//! conformance check, and empty a bucket of every version, delete marker and
//! incomplete multipart upload.
//!
//! The provisioning spec is the one `deploy/s3-device-backups.yaml` deploys: all four
//! public-access-block settings on, versioning `Enabled`, default encryption `aws:kms`
//! (with an S3 Bucket Key, as the template sets it).
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
use aws_sdk_s3::types::{
    BucketLocationConstraint, BucketVersioningStatus, CreateBucketConfiguration, Delete,
    ObjectIdentifier, PublicAccessBlockConfiguration, ServerSideEncryption,
    ServerSideEncryptionByDefault, ServerSideEncryptionConfiguration, ServerSideEncryptionRule,
    VersioningConfiguration,
};
use serde_json::{Value, json};

use crate::S3Store;
use crate::error::{StoreError, StoreResult};

/// Default encryption the spec asks for (FFCE-SPEC §5).
pub const EXPECTED_SSE_ALGORITHM: &str = "aws:kms";
/// Versioning status the spec asks for (FFCE-SPEC §5).
pub const EXPECTED_VERSIONING: &str = "Enabled";
/// The four public-access-block settings, as `bucket check` names them.
pub const PUBLIC_ACCESS_BLOCK_SETTINGS: [&str; 4] = [
    "block_public_acls",
    "ignore_public_acls",
    "block_public_policy",
    "restrict_public_buckets",
];
/// Most keys one `DeleteObjects` request may name (an S3 limit).
pub const DELETE_BATCH: usize = 1000;
/// How many example keys a [`Contents`] keeps.
const EXAMPLES: usize = 5;

/// What `create_provisioned` found or did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Created {
    /// A new bucket, with every setting of the spec applied.
    New,
    /// The bucket already existed and these credentials can reach it; nothing was
    /// changed (its settings are `bucket check`'s business).
    AlreadyExisted,
}

/// A bucket's default encryption rule, as S3 reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DefaultEncryption {
    /// `aws:kms`, `AES256`, `aws:kms:dsse`, ...
    pub algorithm: String,
    /// The KMS key, when one is named (none means the AWS-managed `aws/s3` key).
    pub kms_key_id: Option<String>,
    /// Whether an S3 Bucket Key is used.
    pub bucket_key_enabled: Option<bool>,
}

/// The settings `bucket check` compares, as S3 reports them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BucketSettings {
    /// The four public-access-block flags in [`PUBLIC_ACCESS_BLOCK_SETTINGS`] order;
    /// `None` when the bucket has no public-access-block configuration at all (then
    /// S3 applies none of them at the bucket level).
    pub public_access_block: Option<[Option<bool>; 4]>,
    /// `Enabled` or `Suspended`; `None` when versioning was never enabled.
    pub versioning: Option<String>,
    /// The default encryption rule; `None` when the bucket has none.
    pub default_encryption: Option<DefaultEncryption>,
}

/// One setting compared with the spec.
#[derive(Clone, Debug, PartialEq)]
pub struct Check {
    /// The setting, e.g. `block_public_acls`, `versioning`, `default_encryption`.
    pub setting: &'static str,
    /// What the spec asks for.
    pub expected: Value,
    /// What the bucket has (`null`: not configured).
    pub found: Value,
    /// Whether they agree.
    pub ok: bool,
}

impl BucketSettings {
    /// Compares these settings with the provisioning spec, one [`Check`] per setting:
    /// the four public-access-block flags, versioning, default encryption, and the
    /// KMS key when `kms_key_id` is given (an id or alias matches the ARN S3 reports
    /// for it).
    pub fn compare(&self, kms_key_id: Option<&str>) -> Vec<Check> {
        let mut checks = Vec::new();
        for (i, setting) in PUBLIC_ACCESS_BLOCK_SETTINGS.iter().enumerate() {
            let found = self.public_access_block.and_then(|flags| flags[i]);
            checks.push(Check {
                setting,
                expected: json!(true),
                found: json!(found),
                ok: found == Some(true),
            });
        }
        checks.push(Check {
            setting: "versioning",
            expected: json!(EXPECTED_VERSIONING),
            found: json!(self.versioning),
            ok: self.versioning.as_deref() == Some(EXPECTED_VERSIONING),
        });
        let algorithm = self
            .default_encryption
            .as_ref()
            .map(|e| e.algorithm.as_str());
        checks.push(Check {
            setting: "default_encryption",
            expected: json!(EXPECTED_SSE_ALGORITHM),
            found: json!(algorithm),
            ok: algorithm == Some(EXPECTED_SSE_ALGORITHM),
        });
        if let Some(want) = kms_key_id {
            let found = self
                .default_encryption
                .as_ref()
                .and_then(|e| e.kms_key_id.as_deref());
            checks.push(Check {
                setting: "kms_key_id",
                expected: json!(want),
                found: json!(found),
                ok: found.is_some_and(|f| same_kms_key(f, want)),
            });
        }
        checks
    }
}

/// True when `found` (as S3 reports it: an id, alias or ARN) names `want`.
fn same_kms_key(found: &str, want: &str) -> bool {
    found == want || found.ends_with(&format!("/{want}")) || found.ends_with(&format!(":{want}"))
}

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
    /// Creates the bucket with the spec's settings: public access blocked (all four
    /// flags), versioning enabled, default encryption `aws:kms` with an S3 Bucket Key
    /// (and `kms_key_id` when given). The public access block is set first, so the
    /// bucket is never public-capable for longer than the create request itself.
    ///
    /// An existing bucket these credentials can reach is left exactly as it is
    /// ([`Created::AlreadyExisted`]). A name another account owns is an error.
    pub async fn create_provisioned(&self, kms_key_id: Option<&str>) -> StoreResult<Created> {
        let url = format!("s3://{}", self.bucket);
        // us-east-1 answers 200 to a CreateBucket of a bucket one already owns,
        // so ask first instead of relying on BucketAlreadyOwnedByYou.
        match self.client.head_bucket().bucket(&self.bucket).send().await {
            Ok(_) => return Ok(Created::AlreadyExisted),
            Err(e) => match self.classify(e, &url) {
                StoreError::NotFound { .. } | StoreError::NoBucket { .. } => {}
                StoreError::PermissionDenied { detail, .. } => {
                    return Err(StoreError::PermissionDenied {
                        what: format!(
                            "{url} exists but these credentials cannot reach it \
                             (a bucket of another account, or no s3:ListBucket)"
                        ),
                        detail,
                    });
                }
                other => return Err(other),
            },
        }
        let mut create = self.client.create_bucket().bucket(&self.bucket);
        if let Some(region) = self.client.config().region() {
            if region.as_ref() != "us-east-1" {
                create = create.create_bucket_configuration(
                    CreateBucketConfiguration::builder()
                        .location_constraint(BucketLocationConstraint::from(region.as_ref()))
                        .build(),
                );
            }
        }
        if let Err(e) = create.send().await {
            match e.code() {
                Some("BucketAlreadyOwnedByYou") => return Ok(Created::AlreadyExisted),
                Some("BucketAlreadyExists") => {
                    return Err(StoreError::Other {
                        message: format!(
                            "the bucket name {} is taken by another AWS account \
                             (bucket names are global); pick another name",
                            self.bucket
                        ),
                        source: Some(Box::new(e)),
                    });
                }
                _ => return Err(self.classify(e, &format!("create {url}"))),
            }
        }
        self.apply_spec(kms_key_id).await?;
        Ok(Created::New)
    }

    /// The three settings of a new bucket, in order; the first failure names the step
    /// and what was already done.
    async fn apply_spec(&self, kms_key_id: Option<&str>) -> StoreResult<()> {
        let url = format!("s3://{}", self.bucket);
        let incomplete = |step: &str, done: &str, err: StoreError| StoreError::Other {
            message: format!(
                "created {url}, but {step} failed ({err}); {done}the bucket does not meet \
                 the spec yet: a check of its settings lists what is missing"
            ),
            source: None,
        };
        let pab = PublicAccessBlockConfiguration::builder()
            .block_public_acls(true)
            .ignore_public_acls(true)
            .block_public_policy(true)
            .restrict_public_buckets(true)
            .build();
        self.client
            .put_public_access_block()
            .bucket(&self.bucket)
            .public_access_block_configuration(pab)
            .send()
            .await
            .map_err(|e| {
                incomplete(
                    "blocking public access",
                    "",
                    self.classify(e, "put the public access block"),
                )
            })?;
        self.client
            .put_bucket_versioning()
            .bucket(&self.bucket)
            .versioning_configuration(
                VersioningConfiguration::builder()
                    .status(BucketVersioningStatus::Enabled)
                    .build(),
            )
            .send()
            .await
            .map_err(|e| {
                incomplete(
                    "enabling versioning",
                    "public access is blocked, but ",
                    self.classify(e, "enable versioning"),
                )
            })?;
        let by_default = ServerSideEncryptionByDefault::builder()
            .sse_algorithm(ServerSideEncryption::AwsKms)
            .set_kms_master_key_id(kms_key_id.map(str::to_owned))
            .build()
            .map_err(|e| StoreError::other("cannot build the encryption rule", e))?;
        let encryption = ServerSideEncryptionConfiguration::builder()
            .rules(
                ServerSideEncryptionRule::builder()
                    .apply_server_side_encryption_by_default(by_default)
                    .bucket_key_enabled(true)
                    .build(),
            )
            .build()
            .map_err(|e| StoreError::other("cannot build the encryption rule", e))?;
        self.client
            .put_bucket_encryption()
            .bucket(&self.bucket)
            .server_side_encryption_configuration(encryption)
            .send()
            .await
            .map_err(|e| {
                incomplete(
                    "setting default encryption aws:kms",
                    "public access is blocked and versioning is on, but ",
                    self.classify(e, "set default encryption"),
                )
            })?;
        Ok(())
    }

    /// Reads the settings `bucket check` compares. A missing bucket is
    /// [`StoreError::NoBucket`].
    pub async fn settings(&self) -> StoreResult<BucketSettings> {
        let url = format!("s3://{}", self.bucket);
        self.client
            .head_bucket()
            .bucket(&self.bucket)
            .send()
            .await
            .map_err(|e| match self.classify(e, &url) {
                StoreError::NotFound { .. } => StoreError::NoBucket {
                    bucket: self.bucket.clone(),
                },
                other => other,
            })?;

        let public_access_block = match self
            .client
            .get_public_access_block()
            .bucket(&self.bucket)
            .send()
            .await
        {
            Ok(r) => r.public_access_block_configuration().map(|c| {
                [
                    c.block_public_acls(),
                    c.ignore_public_acls(),
                    c.block_public_policy(),
                    c.restrict_public_buckets(),
                ]
            }),
            Err(e) if e.code() == Some("NoSuchPublicAccessBlockConfiguration") => None,
            Err(e) => {
                return Err(self.classify(e, &format!("read the public access block of {url}")));
            }
        };

        let versioning = match self
            .client
            .get_bucket_versioning()
            .bucket(&self.bucket)
            .send()
            .await
        {
            Ok(r) => r.status().map(|s| s.as_str().to_owned()),
            Err(e) => {
                // moto (5.2) answers 200 with the root element
                // `GetBucketVersioningResponse` instead of `VersioningConfiguration`,
                // which the SDK refuses to parse; the status inside is the same.
                let body = e
                    .raw_response()
                    .filter(|r| r.status().as_u16() == 200)
                    .and_then(|r| r.body().bytes())
                    .map(|b| String::from_utf8_lossy(b).into_owned());
                match body {
                    Some(xml) => versioning_status_from_xml(&xml),
                    None => {
                        return Err(self.classify(e, &format!("read the versioning of {url}")));
                    }
                }
            }
        };

        let default_encryption = match self
            .client
            .get_bucket_encryption()
            .bucket(&self.bucket)
            .send()
            .await
        {
            Ok(r) => r
                .server_side_encryption_configuration()
                .and_then(|c| c.rules().first())
                .and_then(|rule| {
                    let by_default = rule.apply_server_side_encryption_by_default()?;
                    Some(DefaultEncryption {
                        algorithm: by_default.sse_algorithm().as_str().to_owned(),
                        kms_key_id: by_default.kms_master_key_id().map(str::to_owned),
                        bucket_key_enabled: rule.bucket_key_enabled(),
                    })
                }),
            Err(e) if e.code() == Some("ServerSideEncryptionConfigurationNotFoundError") => None,
            Err(e) => {
                return Err(self.classify(e, &format!("read the default encryption of {url}")));
            }
        };

        Ok(BucketSettings {
            public_access_block,
            versioning,
            default_encryption,
        })
    }

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

/// The `<Status>` of a GetBucketVersioning answer the SDK could not parse (see
/// [`S3Store::settings`]); `None` when there is none (versioning never enabled).
fn versioning_status_from_xml(xml: &str) -> Option<String> {
    let start = xml.find("<Status>")? + "<Status>".len();
    let len = xml[start..].find("</Status>")?;
    Some(xml[start..start + len].trim().to_owned()).filter(|s| !s.is_empty())
}

fn kind_of(item: &VersionItem) -> &'static str {
    if item.delete_marker {
        "delete_marker"
    } else {
        "version"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conforming() -> BucketSettings {
        BucketSettings {
            public_access_block: Some([Some(true); 4]),
            versioning: Some("Enabled".into()),
            default_encryption: Some(DefaultEncryption {
                algorithm: "aws:kms".into(),
                kms_key_id: Some("arn:aws:kms:eu-west-1:123456789012:key/abcd-1234".into()),
                bucket_key_enabled: Some(true),
            }),
        }
    }

    fn failing(checks: &[Check]) -> Vec<&'static str> {
        checks.iter().filter(|c| !c.ok).map(|c| c.setting).collect()
    }

    #[test]
    fn a_conforming_bucket_passes() {
        let checks = conforming().compare(None);
        assert_eq!(checks.len(), 6);
        assert!(failing(&checks).is_empty());
        assert!(failing(&conforming().compare(Some("abcd-1234"))).is_empty());
        assert_eq!(
            failing(&conforming().compare(Some("other"))),
            vec!["kms_key_id"]
        );
    }

    #[test]
    fn each_deviation_is_named() {
        let mut s = conforming();
        s.public_access_block = Some([Some(true), Some(true), Some(false), Some(true)]);
        assert_eq!(failing(&s.compare(None)), vec!["block_public_policy"]);
        s.public_access_block = None;
        assert_eq!(
            failing(&s.compare(None)),
            PUBLIC_ACCESS_BLOCK_SETTINGS.to_vec()
        );

        let mut s = conforming();
        s.versioning = Some("Suspended".into());
        let checks = s.compare(None);
        assert_eq!(failing(&checks), vec!["versioning"]);
        assert_eq!(checks[4].found, json!("Suspended"));
        s.versioning = None;
        assert_eq!(s.compare(None)[4].found, Value::Null);

        let mut s = conforming();
        s.default_encryption = Some(DefaultEncryption {
            algorithm: "AES256".into(),
            kms_key_id: None,
            bucket_key_enabled: None,
        });
        assert_eq!(failing(&s.compare(None)), vec!["default_encryption"]);
        s.default_encryption = None;
        let checks = s.compare(Some("k"));
        assert_eq!(failing(&checks), vec!["default_encryption", "kms_key_id"]);
    }

    #[test]
    fn versioning_status_of_an_odd_answer() {
        let moto = "<?xml version=\"1.0\"?>\n<GetBucketVersioningResponse xmlns=\"x\">\
                    <Status>Enabled</Status></GetBucketVersioningResponse>";
        assert_eq!(versioning_status_from_xml(moto).as_deref(), Some("Enabled"));
        assert_eq!(
            versioning_status_from_xml("<GetBucketVersioningResponse xmlns=\"x\"/>"),
            None
        );
    }

    #[test]
    fn kms_key_names() {
        let arn = "arn:aws:kms:us-east-1:123456789012:key/1234abcd";
        assert!(same_kms_key(arn, arn));
        assert!(same_kms_key(arn, "1234abcd"));
        assert!(same_kms_key(
            "arn:aws:kms:us-east-1:123456789012:alias/backups",
            "alias/backups"
        ));
        assert!(!same_kms_key(arn, "34abcd"));
    }
}
