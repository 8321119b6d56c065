//! Bucket-wide operations of the S3 store (docs/SPEC.md §5 and §6), one file each:
//! provisioning a new bucket to the spec (here), reading its settings back and comparing
//! them with the spec ([`settings`](self#settings)), and emptying it of every version,
//! delete marker and incomplete multipart upload ([`empty`](self#emptying)).
//!
//! The provisioning spec is the one `deploy/s3-device-backups.yaml` deploys: all four
//! public-access-block settings on, versioning `Enabled`, default encryption `aws:kms`
//! (with an S3 Bucket Key, as the template sets it).
//!
//! # Settings
//!
//! [`S3Store::settings`] reads the public access block, versioning and default encryption;
//! [`BucketSettings::compare`] names every deviation from the spec.
//!
//! # Emptying
//!
//! Emptying deletes in batches (`DeleteObjects`, at most 1,000 keys, quiet mode off so
//! S3 names every key it did not delete). It does not page through the listing with
//! markers that point at versions it has just deleted: S3-compatible servers differ on
//! what such a marker means (moto ends the listing there). Instead it lists from the
//! start again after each batch (what it deleted is gone from the listing), and moves
//! the marker only past versions that failed to delete, which still exist. Every round
//! deletes something or moves the marker forward, so the loop ends; a version that is
//! listed again after S3 confirmed its deletion is reported, never retried forever.

use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_sdk_s3::types::{
    BucketLocationConstraint, BucketVersioningStatus, CreateBucketConfiguration,
    PublicAccessBlockConfiguration, ServerSideEncryption, ServerSideEncryptionByDefault,
    ServerSideEncryptionConfiguration, ServerSideEncryptionRule, VersioningConfiguration,
};

use crate::S3Store;
use crate::error::{StoreError, StoreResult};
use crate::s3::WithinLimit;

mod empty;
mod settings;

pub use empty::{Contents, DELETE_BATCH, EmptyTally, Item, ItemFailure, UploadItem, VersionItem};
pub use settings::{
    BucketSettings, Check, DefaultEncryption, EXPECTED_SSE_ALGORITHM, EXPECTED_VERSIONING,
    PUBLIC_ACCESS_BLOCK_SETTINGS, SettingValue,
};

/// What `create_provisioned` found or did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Created {
    /// A new bucket, with every setting of the spec applied.
    New,
    /// The bucket already existed and these credentials can reach it; nothing was
    /// changed (compare its settings with [`S3Store::settings`](crate::S3Store::settings)
    /// and [`BucketSettings::compare`]).
    AlreadyExisted,
}

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
        match self
            .client
            .head_bucket()
            .bucket(&self.bucket)
            .send()
            .within(self)
            .await
        {
            Ok(_) => return Ok(Created::AlreadyExisted),
            Err(e) => match self.classify(e, &url) {
                StoreError::NotFound { .. } | StoreError::NoBucket { .. } => {}
                StoreError::PermissionDenied { source, .. } => {
                    return Err(StoreError::PermissionDenied {
                        what: format!(
                            "{url} exists but these credentials cannot reach it \
                             (a bucket of another account, or no s3:ListBucket)"
                        ),
                        source,
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
        if let Err(e) = create.send().within(self).await {
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
        let incomplete = |step: &str, done: &str, err: StoreError| {
            StoreError::message(format!(
                "created {url}, but {step} failed ({err}); {done}the bucket does not meet \
                 the spec yet: a check of its settings lists what is missing"
            ))
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
            .within(self)
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
            .within(self)
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
            .within(self)
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
}
