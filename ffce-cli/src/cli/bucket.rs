//! `ffce bucket create|check|empty`: the bucket as a whole.

use clap::{Args, Subcommand};

use super::store::S3Args;
use crate::output::OutputArgs;

/// `ffce bucket ...` (docs/SPEC.md §5 and §6).
#[derive(Debug, Subcommand)]
pub enum BucketCommand {
    /// Create a bucket as the provisioning spec says: all four public-access-block
    /// settings on, versioning enabled, default encryption aws:kms (for development and
    /// test endpoints; production is deployed from deploy/s3-device-backups.yaml).
    #[command(
        after_help = "Examples:\n  ffce bucket create --bucket dev-device-backups --region eu-west-1\n  \
        ffce bucket create --bucket dev-device-backups --kms-key-id alias/backups\n  \
        ffce bucket create --bucket test-backups --endpoint-url http://127.0.0.1:5000\n\n\
        A bucket that already exists and that these credentials reach is left as it is \
        (exit 0); `ffce bucket check` compares it with the spec."
    )]
    Create(BucketCreateArgs),
    /// Compare a live bucket with the provisioning spec and list each deviation.
    #[command(after_help = "Examples:\n  ffce bucket check --bucket my-backups\n  \
        ffce bucket check --json --bucket my-backups --kms-key-id alias/backups\n\n\
        Exit: 0 when the bucket conforms, 4 when it does not, 3 when it does not exist.")]
    Check(BucketCheckArgs),
    /// Delete every object version, delete marker and incomplete multipart upload,
    /// then verify the bucket is empty (the step before deleting the bucket's stack with
    /// `sam delete`).
    #[command(
        after_help = "Examples:\n  ffce bucket empty --bucket dev-device-backups --dry-run\n  \
        ffce bucket empty --bucket dev-device-backups --yes\n  \
        ffce bucket empty --bucket firefly-device-backups --production --yes\n\n\
        --production is the guard for the production bucket: it refuses (exit 5) when the \
        bucket holds any version or delete marker, and only aborts incomplete uploads.\n\
        Delete the three backup function stacks before the bucket's stack, or the stack \
        deletion ends in DELETE_FAILED.\n\n\
        Exit: 0 when the bucket is empty afterwards; 1 when anything remains; 5 when \
        refused (--production guard, or no --yes and no terminal to confirm on)."
    )]
    Empty(BucketEmptyArgs),
}

/// The bucket a `ffce bucket` command acts on, and how to reach it. The name is never
/// taken from the environment: these commands act on a whole bucket.
#[derive(Debug, Clone, Args)]
pub struct BucketTargetArgs {
    /// The S3 bucket.
    #[arg(long, value_name = "NAME")]
    pub bucket: String,
    #[command(flatten)]
    pub s3: S3Args,
}

/// `ffce bucket create`.
#[derive(Debug, Args)]
pub struct BucketCreateArgs {
    #[command(flatten)]
    pub target: BucketTargetArgs,
    /// KMS key for the default encryption (default: the AWS-managed aws/s3 key).
    #[arg(long, value_name = "ID")]
    pub kms_key_id: Option<String>,
    #[command(flatten)]
    pub format: OutputArgs,
}

/// `ffce bucket check`.
#[derive(Debug, Args)]
pub struct BucketCheckArgs {
    #[command(flatten)]
    pub target: BucketTargetArgs,
    /// Also require default encryption with this KMS key (an id, alias or ARN).
    #[arg(long, value_name = "ID")]
    pub kms_key_id: Option<String>,
    #[command(flatten)]
    pub format: OutputArgs,
}

/// `ffce bucket empty`.
#[derive(Debug, Args)]
pub struct BucketEmptyArgs {
    #[command(flatten)]
    pub target: BucketTargetArgs,
    /// The production guard: refuse when the bucket holds any version or delete marker.
    #[arg(long)]
    pub production: bool,
    /// List what would be deleted and aborted; change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Do not ask; needed when there is no terminal to confirm on.
    #[arg(long)]
    pub yes: bool,
    #[command(flatten)]
    pub format: OutputArgs,
}
