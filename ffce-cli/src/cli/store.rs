//! Where backups live and the per-device and fleet commands on them: `put`, `get`,
//! `delete`, `ls`, `versions`, `restore`, `audit`.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use super::KeyArgs;
use super::values::{self, DeviceArg};
use crate::output::OutputArgs;

/// Where backups live: an S3 bucket, a local directory, or the embedded default.
#[derive(Debug, Clone, Args)]
pub struct StoreArgs {
    /// S3 bucket holding the backups. Default: FFCE_BUCKET.
    ///
    /// The command line wins: --bucket or --dir overrides both FFCE_BUCKET and FFCE_DIR.
    /// Without --bucket, FFCE_BUCKET, --dir or FFCE_DIR, the cloud's own variable
    /// S3_BACKUP_BUCKET_NAME is used; with none of them, a local store in the user's data
    /// directory ($XDG_DATA_HOME/ffce/backups or ~/.local/share/ffce/backups).
    // The variables are read in `store_choice`, not by clap: clap would count a
    // variable as a typed flag and call `--dir` with FFCE_BUCKET set a conflict.
    #[arg(long, conflicts_with = "dir")]
    pub bucket: Option<String>,
    /// Local directory laid out like the bucket. Default: FFCE_DIR.
    #[arg(long, value_name = "PATH")]
    pub dir: Option<PathBuf>,
    /// Object key layout: `{uuid}/backup.ffce` (nested) or `{uuid}` (flat, newer deployments).
    #[arg(long, value_name = "LAYOUT", default_value = "nested", value_parser = values::LayoutParser)]
    pub layout: ffce_core::layout::Layout,
    #[command(flatten)]
    pub s3: S3Args,
}

/// How to reach S3: the usual AWS settings, plus limits on retries and waiting. Shared by
/// the per-device commands and `ffce bucket`.
#[derive(Debug, Clone, Args)]
pub struct S3Args {
    /// AWS profile to use.
    #[arg(long)]
    pub profile: Option<String>,
    /// AWS region.
    #[arg(long)]
    pub region: Option<String>,
    /// Custom S3 endpoint (also AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL); uses path-style addressing.
    #[arg(long, value_name = "URL", value_parser = values::endpoint_url())]
    pub endpoint_url: Option<String>,
    /// Attempts per request, including the first (the SDK's standard retry).
    #[arg(long, value_name = "N", default_value = "3", value_parser = values::attempts())]
    pub max_attempts: u32,
    /// Give up on one operation (all its attempts) after this many seconds (at most 86400).
    #[arg(long, value_name = "SECONDS", value_parser = values::seconds())]
    pub timeout: Option<Duration>,
    /// Abandon one attempt after this many seconds and retry (if attempts are left).
    #[arg(long, value_name = "SECONDS", default_value = "60", value_parser = values::seconds())]
    pub attempt_timeout: Duration,
}

impl S3Args {
    /// The connection flags the user gave, to repeat them in a suggested command.
    pub fn given_flags(&self) -> impl Iterator<Item = (&'static str, &str)> {
        [
            ("--profile", &self.profile),
            ("--region", &self.region),
            ("--endpoint-url", &self.endpoint_url),
        ]
        .into_iter()
        .filter_map(|(flag, value)| Some((flag, value.as_deref()?)))
    }
}

/// `ffce put`.
#[derive(Debug, Args)]
pub struct PutArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    /// Device UUID (8-4-4-4-12 hex), or its backup's URL: s3://BUCKET/UUID/backup.ffce (also names the bucket).
    #[arg(value_name = "UUID", value_parser = values::device())]
    pub device: DeviceArg,
    /// An FFCE blob, or with --encrypt a plaintext (`-` for stdin).
    pub file: PathBuf,
    /// Seal FILE first (needs a key).
    #[arg(long)]
    pub encrypt: bool,
    #[command(flatten)]
    pub key: KeyArgs,
    /// Folder of per-device master secrets (`{uuid}.key`, as for `ffce audit`): the
    /// target device's key seals (`--encrypt`) or must open the blob (exit 4 if not).
    #[arg(long, value_name = "DIR", conflicts_with_all = ["master_key_file", "key_file"])]
    pub key_dir: Option<PathBuf>,
    /// KMS key for SSE-KMS (default: the bucket's default encryption).
    #[arg(long, value_name = "ID", value_parser = values::kms_key_id())]
    pub sse_kms_key_id: Option<String>,
    /// Only write if the device has no backup yet.
    #[arg(long, conflicts_with = "if_match")]
    pub if_absent: bool,
    /// Only write if the current backup's object ETag is ETAG: S3's ETag as `put`, `get`
    /// and `versions` show it (on the local store, the blob's SHA-256). Not the
    /// plaintext digest, which the device API calls its ETag.
    #[arg(long, value_name = "ETAG", value_parser = values::object_etag())]
    pub if_match: Option<String>,
    /// Upload past a refusal: with --encrypt, seal FILE even though it already is an
    /// FFCE blob; a plaintext the device will not restore (with a warning).
    #[arg(long)]
    pub force: bool,
    /// Confirm, without asking, replacing a backup that the store keeps no earlier
    /// version of (the local store, a bucket without versioning): the put destroys it.
    #[arg(long)]
    pub yes: bool,
    #[command(flatten)]
    pub format: OutputArgs,
}

/// `ffce get`.
#[derive(Debug, Args)]
pub struct GetArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    /// Device UUID, or its backup's URL: s3://BUCKET/UUID/backup.ffce (also names the bucket).
    #[arg(value_name = "UUID", value_parser = values::device())]
    pub device: DeviceArg,
    /// Write the blob (or with --decrypt, the plaintext) here (`-` for stdout).
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Replace FILE if it exists.
    #[arg(long)]
    pub force: bool,
    /// A specific version (S3 only).
    #[arg(long, value_name = "V", value_parser = values::version_id())]
    pub version_id: Option<ffce_store::VersionId>,
    /// Decrypt (needs a key). A key given without --decrypt authenticates the blob,
    /// which is then written as stored.
    #[arg(long)]
    pub decrypt: bool,
    /// Write the object as stored even when it is not a valid blob, to analyse a
    /// broken backup (the download's checksum is still verified); says what is wrong
    /// with it (with a key, whether it authenticates) and exits 4.
    #[arg(long, requires = "output", conflicts_with = "decrypt")]
    pub no_verify: bool,
    #[command(flatten)]
    pub format: OutputArgs,
    #[command(flatten)]
    pub key: KeyArgs,
}

/// `ffce delete`.
#[derive(Debug, Args)]
pub struct DeleteArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    /// Device UUID, or its backup's URL: s3://BUCKET/UUID/backup.ffce (also names the bucket).
    #[arg(value_name = "UUID", value_parser = values::device())]
    pub device: DeviceArg,
    /// Permanently delete this one version (S3 only).
    #[arg(long, value_name = "V", conflicts_with = "all_versions", value_parser = values::version_id())]
    pub version_id: Option<ffce_store::VersionId>,
    /// Permanently delete every version and delete marker of this device.
    #[arg(long)]
    pub all_versions: bool,
    /// Confirm a permanent deletion without asking.
    #[arg(long)]
    pub yes: bool,
    #[command(flatten)]
    pub format: OutputArgs,
}

/// `ffce ls`.
#[derive(Debug, Args)]
pub struct LsArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    #[command(flatten)]
    pub format: OutputArgs,
    /// List only the devices whose backup was last written more than AGE ago (e.g.
    /// 30d, 12h, 90m, 45s, 1d12h), or before a date (2026-11-01: before midnight UTC
    /// that day) or an RFC 3339 time (2026-11-01T08:00:00Z): devices that stopped
    /// backing up.
    #[arg(long, value_name = "AGE")]
    pub older_than: Option<crate::age::OlderThan>,
    /// List the devices whose latest version is a delete marker (backups someone
    /// deleted; `ffce versions UUID` shows what is kept), with when. Needs a versioned
    /// S3 bucket. With --older-than, those deleted more than AGE ago (or before the
    /// date or time).
    #[arg(long)]
    pub deleted: bool,
}

/// `ffce versions`.
#[derive(Debug, Args)]
pub struct VersionsArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    /// Device UUID, or its backup's URL: s3://BUCKET/UUID/backup.ffce (also names the bucket).
    #[arg(value_name = "UUID", value_parser = values::device())]
    pub device: DeviceArg,
    /// Download every version and say what it is: with a key, whether it
    /// authenticates, its content (database version, row counts) and whether the
    /// device would restore it.
    #[arg(long)]
    pub content: bool,
    #[command(flatten)]
    pub key: KeyArgs,
    /// Folder of per-device master secrets (`{uuid}.key`, as for `ffce audit`): the
    /// device's key is read from there.
    #[arg(long, value_name = "DIR", requires = "content",
          conflicts_with_all = ["master_key_file", "key_file"])]
    pub key_dir: Option<PathBuf>,
    #[command(flatten)]
    pub format: OutputArgs,
}

/// `ffce restore`.
#[derive(Debug, Args)]
pub struct RestoreArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    /// Device UUID, or its backup's URL: s3://BUCKET/UUID/backup.ffce (also names the bucket).
    #[arg(value_name = "UUID", value_parser = values::device())]
    pub device: DeviceArg,
    /// The version to make latest again.
    #[arg(long, value_name = "V", value_parser = values::version_id())]
    pub version_id: ffce_store::VersionId,
    // With a key, the version must also authenticate before it is restored.
    #[command(flatten)]
    pub key: KeyArgs,
    /// Restore the version even though it fails the checks of `ffce put`.
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub format: OutputArgs,
}

/// `ffce audit`.
#[derive(Debug, Args)]
pub struct AuditArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    #[command(flatten)]
    pub format: OutputArgs,
    /// Requests in flight at once (S3).
    // 128: the best throughput of the fleet bench's sweep (`benches/fleet.sh`, README
    // "Fleet health"): against a loopback S3 server answering each request in about
    // 40 ms, 10,000 objects audited at 260/s with 8, 645/s with 32, 788/s with 64,
    // 878/s with 128 and 799/s with 256 in flight (and 25 MiB peak memory at 128, 36 at
    // 256). Below that the reads wait on latency; above it they queue at the server.
    #[arg(long, value_name = "N", default_value_t = 128,
          value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub concurrency: u32,
    #[command(flatten)]
    pub key: KeyArgs,
    /// Folder of per-device master secrets, one file per device named `{uuid}.key`
    /// (lowercase UUID; 64 hex digits, base64, or 32 raw bytes). Each is read only when
    /// that device's backup is audited; a device without a file is reported as `no_key`.
    #[arg(long, value_name = "DIR", conflicts_with_all = ["master_key_file", "key_file"])]
    pub key_dir: Option<PathBuf>,
    /// List only the backups last written more than AGE ago (e.g. 30d, 12h, 90m, 45s,
    /// 1d12h), or before a date (2026-11-01: before midnight UTC that day) or an RFC
    /// 3339 time (2026-11-01T08:00:00Z): devices that stopped backing up. Every backup
    /// is still audited and counted (the totals and the exit code are the whole
    /// fleet's, unless --fail-on stale); stale is not invalid. With --all, every finding
    /// is listed, the stale ones marked.
    #[arg(long, value_name = "AGE")]
    pub older_than: Option<crate::age::OlderThan>,
    /// With --older-than: list every finding, not only the stale ones.
    #[arg(long, requires = "older_than")]
    pub all: bool,
    /// Also fail (exit 4) on these findings, comma-separated: stale (needs
    /// --older-than), no_key (a device without a key file in --key-dir), stray (a key
    /// that is not a backup of the layout). By default only invalid backups exit 4.
    #[arg(long, value_name = "KINDS", value_enum, value_delimiter = ',')]
    pub fail_on: Vec<FailOn>,
}

/// A finding `ffce audit --fail-on` counts as a failure.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, clap::ValueEnum)]
pub enum FailOn {
    /// A backup last written before --older-than's cut-off.
    Stale,
    /// A well-formed backup whose device has no key file.
    #[value(name = "no_key")]
    NoKey,
    /// A key that is not a backup of the layout.
    Stray,
}
