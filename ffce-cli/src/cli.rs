//! The command line as users type it: every flag, command and help text, in one place.
//!
//! These definitions are also the source of the man pages and shell completions
//! (`ffce man`, `ffce completions`), so help, docs and completions cannot drift apart;
//! `help.rs` adds the environment variables and files each command uses.
//!
//! Examples in `after_help` are one command per line, each short enough for an
//! 80-column terminal: clap wraps help text at the terminal's width, and a wrapped
//! example no longer pastes as one command. Per-device examples set `DEVICE` once so
//! that the UUID does not push a command past the edge.
//! Nothing here does work: validation beyond clap's and building clients, keys and
//! stores happen in the command modules, only when a command needs them.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::exit::EXIT_CODES_HELP;
use crate::output::OutputArgs;

/// Inspect, seal, open and manage FFCE encrypted device backups.
#[derive(Debug, Parser)]
#[command(name = "ffce", version, propagate_version = true, after_help = EXIT_CODES_HELP)]
pub struct Cli {
    /// Print more detail (repeat for more: -v, -vv, -vvv).
    #[arg(short, long, action = clap::ArgAction::Count, global = true,
          help_heading = "Global options")]
    pub verbose: u8,
    /// Print only errors.
    #[arg(
        short,
        long,
        global = true,
        conflicts_with = "verbose",
        help_heading = "Global options"
    )]
    pub quiet: bool,
    /// When to use colour; `auto` means on a terminal and only without NO_COLOR.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, global = true,
          help_heading = "Global options")]
    pub color: ColorChoice,
    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

/// When to colour human-readable output.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// On a terminal, unless NO_COLOR is set.
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

/// Every command of `ffce`.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Show a blob's header and health; with a key, also authenticate it and summarise
    /// its content.
    #[command(after_help = "Examples:\n  ffce inspect backup.ffce\n  \
        ffce inspect --json --master-key-file device.key backup.ffce\n  \
        cat backup.ffce | ffce inspect -")]
    Inspect(InspectArgs),
    /// Seal a plaintext file into an FFCE blob.
    #[command(
        after_help = "Example:\n  ffce encrypt --master-key-file device.key backup.json -o backup.ffce"
    )]
    Encrypt(CryptArgs),
    /// Open an FFCE blob; plaintext is written only after it authenticated.
    #[command(
        after_help = "Example:\n  ffce decrypt --master-key-file device.key backup.ffce -o backup.json"
    )]
    Decrypt(CryptArgs),
    /// Key utilities.
    #[command(subcommand)]
    Key(KeyCommand),
    /// Check many blobs; one line (or JSON record) each and a total.
    #[command(after_help = "Examples:\n  ffce verify backups/*.ffce\n  \
        ffce verify --json --master-key-file device.key a.ffce b.ffce")]
    Verify(VerifyArgs),
    /// Upload a backup for a device (an existing blob, or a plaintext with --encrypt).
    #[command(
        after_help = "Examples:\n  DEVICE=3f2504e0-4f89-41d3-9a0c-0305e82c3301\n  \
        ffce put $DEVICE backup.ffce\n  \
        ffce put --bucket my-backups $DEVICE backup.ffce\n  \
        ffce put --encrypt --master-key-file device.key $DEVICE backup.json"
    )]
    Put(PutArgs),
    /// Download a device's backup; without -o, show its header report.
    #[command(
        after_help = "Examples:\n  DEVICE=3f2504e0-4f89-41d3-9a0c-0305e82c3301\n  \
        ffce get $DEVICE\n  \
        ffce get $DEVICE -o backup.ffce\n  \
        ffce get $DEVICE --decrypt --master-key-file device.key -o backup.json"
    )]
    Get(GetArgs),
    /// Delete a device's backup (on a versioned bucket: add a delete marker).
    #[command(
        after_help = "Examples:\n  DEVICE=3f2504e0-4f89-41d3-9a0c-0305e82c3301\n  \
        ffce delete $DEVICE\n  \
        ffce delete --all-versions --yes $DEVICE"
    )]
    Delete(DeleteArgs),
    /// List every device that has a backup.
    #[command(after_help = "Examples:\n  ffce ls\n  ffce ls --json --bucket my-backups")]
    Ls(LsArgs),
    /// List a device's backup versions and delete markers, newest first (S3 only).
    #[command(
        after_help = "Examples:\n  DEVICE=3f2504e0-4f89-41d3-9a0c-0305e82c3301\n  \
        ffce versions $DEVICE\n  \
        ffce versions --json $DEVICE\n  \
        ffce versions --content --master-key-file device.key $DEVICE\n\n\
        With --content each version is downloaded and checked: with a key, whether it \
        authenticates, what it holds (database version, tables, rows) and whether the \
        device would restore it; without a key, only its structure."
    )]
    Versions(VersionsArgs),
    /// Show what a backup holds: its database, tables and rows (secrets redacted).
    #[command(after_help = SHOW_HELP)]
    Show(ShowArgs),
    /// Show what changed between two backups: rows added, removed and changed, per
    /// table, matched by primary key (secrets redacted).
    #[command(after_help = DIFF_HELP)]
    Diff(DiffArgs),
    /// Make an older version the latest again, which also undoes a delete (S3 only).
    #[command(
        after_help = "Examples:\n  DEVICE=3f2504e0-4f89-41d3-9a0c-0305e82c3301\n  \
        ffce versions $DEVICE\n  \
        ffce restore $DEVICE --version-id 3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY"
    )]
    Restore(RestoreArgs),
    /// Create, check or empty a device-backups bucket as a whole (S3 only).
    #[command(subcommand)]
    Bucket(BucketCommand),
    /// Check every device's latest backup in the store: each finding, then totals.
    #[command(after_help = "Examples:\n  ffce audit --bucket my-backups\n  \
        ffce audit --json --concurrency 64 --bucket my-backups > audit.json\n  \
        ffce audit --bucket test-bench-backups --master-key-file bench.key\n  \
        ffce audit --bucket my-backups --key-dir escrow/master-secrets\n\n\
        Without a key each object costs one small request (a ranged GET of its 37-byte \
        header, which also returns its size); with a key each object is downloaded and \
        authenticated.\n\n\
        Exit: 4 if any backup is invalid (this wins), else 1 if any read failed (the \
        audit is incomplete), else 0. Stray keys are listed but do not fail the audit.")]
    Audit(AuditArgs),
    /// Talk to the device backup API as a device does (signed requests), or make a test
    /// device key.
    #[command(
        subcommand,
        after_help = "Examples:\n  \
        ffce api keygen -o device.pem\n  \
        DEVICE=3f2504e0-4f89-41d3-9a0c-0305e82c3301\n  \
        API=https://abc123.execute-api.eu-west-1.amazonaws.com\n  \
        ffce api post --api-url $API --device-key device.pem $DEVICE b.ffce\n  \
        ffce api get --api-url $API --device-key device.pem $DEVICE -o b.ffce\n\n\
        FFCE_API_URL and FFCE_DEVICE_KEY stand for --api-url and --device-key."
    )]
    Api(ApiCommand),
    /// Print shell completions for SHELL to stdout.
    #[command(after_help = "Example:\n  ffce completions bash > /etc/bash_completion.d/ffce")]
    Completions(CompletionsArgs),
    /// Print the man page (roff) to stdout, or write one page per command to a folder.
    #[command(after_help = "Examples:\n  ffce man | man -l -\n  \
        ffce man --dir /usr/local/share/man/man1")]
    Man(ManArgs),
}

/// How a command gets its key. With neither flag, `FFCE_MASTER_KEY` and then `FFCE_KEY`
/// (each holding the key as hex or base64) are used.
#[derive(Debug, Clone, Args)]
pub struct KeyArgs {
    /// File holding the device's 32-byte master secret (64 hex digits, base64, or 32 raw
    /// bytes); `-`, /dev/stdin or <(command) read a piped key. Default: FFCE_MASTER_KEY.
    #[arg(long, value_name = "PATH", conflicts_with = "key_file")]
    pub master_key_file: Option<PathBuf>,
    /// File holding an already-derived 32-byte AES key (64 hex digits, base64, or 32 raw
    /// bytes); `-`, /dev/stdin or <(command) read a piped key. Default: FFCE_KEY.
    #[arg(long, value_name = "PATH")]
    pub key_file: Option<PathBuf>,
    /// Which key to derive from a master secret (not used with --key-file or FFCE_KEY,
    /// which hold an already-derived key).
    #[arg(long, value_enum, default_value_t = PurposeArg::Backup)]
    pub purpose: PurposeArg,
}

/// The key purposes of FFCE-SPEC §2.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum PurposeArg {
    /// Cloud backups (`backup.ffce`), label firefly-backup-v1.
    Backup,
    /// On-device config files, label firefly-configfs-v1.
    Configfs,
}

impl From<PurposeArg> for ffce_core::Purpose {
    fn from(p: PurposeArg) -> ffce_core::Purpose {
        match p {
            PurposeArg::Backup => ffce_core::Purpose::Backup,
            PurposeArg::Configfs => ffce_core::Purpose::ConfigFs,
        }
    }
}

/// `ffce inspect`.
#[derive(Debug, Args)]
pub struct InspectArgs {
    /// Print one JSON object instead of the aligned report.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub key: KeyArgs,
    /// The blob to inspect (`-` for stdin).
    pub input: PathBuf,
}

/// `ffce encrypt` and `ffce decrypt`.
#[derive(Debug, Args)]
pub struct CryptArgs {
    #[command(flatten)]
    pub key: KeyArgs,
    /// Input file (`-` for stdin).
    pub input: PathBuf,
    /// Output file (`-` for stdout); written atomically.
    #[arg(short, long, value_name = "OUTPUT")]
    pub output: PathBuf,
    /// Replace OUTPUT if it exists.
    #[arg(long)]
    pub force: bool,
}

/// `ffce key ...`.
#[derive(Debug, Subcommand)]
pub enum KeyCommand {
    /// Print the derived AES key in hex (for key escrow and test benches).
    #[command(
        after_help = "Example:\n  ffce key derive --master-key-file device.key --purpose configfs"
    )]
    Derive(KeyDeriveArgs),
}

/// `ffce key derive`.
#[derive(Debug, Args)]
pub struct KeyDeriveArgs {
    /// File holding the device's 32-byte master secret (`-` for stdin). Without it,
    /// FFCE_MASTER_KEY holds the master secret itself.
    #[arg(long, value_name = "PATH")]
    pub master_key_file: Option<PathBuf>,
    /// Which key to derive.
    #[arg(long, value_enum, default_value_t = PurposeArg::Backup)]
    pub purpose: PurposeArg,
}

/// `ffce verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// One JSON record per line, then a JSON total.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub key: KeyArgs,
    /// Blobs to check.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
}

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
    #[arg(long, value_enum, default_value_t = LayoutArg::Nested)]
    pub layout: LayoutArg,
    #[command(flatten)]
    pub s3: S3Args,
    /// The exact key an `s3://` URL named, when its UUID is not in lowercase (set by
    /// `store_common::resolve_device_urls`, never by a flag): such a key is another
    /// object than the lowercase one, which a bare UUID of either case names.
    #[arg(skip)]
    pub url_key: Option<ffce_core::ObjectKey>,
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
    #[arg(long, value_name = "URL")]
    pub endpoint_url: Option<String>,
    /// Attempts per request, including the first (the SDK's standard retry).
    #[arg(long, value_name = "N", default_value_t = 3)]
    pub max_attempts: u32,
    /// Give up on one operation (all its attempts) after this many seconds.
    #[arg(long, value_name = "SECONDS")]
    pub timeout: Option<f64>,
    /// Abandon one attempt after this many seconds and retry (if attempts are left).
    #[arg(long, value_name = "SECONDS", default_value_t = 60.0)]
    pub attempt_timeout: f64,
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

/// Object key layouts of FFCE-SPEC §5.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum LayoutArg {
    /// `{uuid}/backup.ffce`.
    Nested,
    /// `{uuid}`.
    Flat,
}

impl From<LayoutArg> for ffce_core::Layout {
    fn from(arg: LayoutArg) -> ffce_core::Layout {
        match arg {
            LayoutArg::Nested => ffce_core::Layout::Nested,
            LayoutArg::Flat => ffce_core::Layout::Flat,
        }
    }
}

/// `ffce put`.
#[derive(Debug, Args)]
pub struct PutArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    /// Device UUID (8-4-4-4-12 hex), or its backup's URL: s3://BUCKET/UUID/backup.ffce (also names the bucket).
    pub uuid: String,
    /// An FFCE blob, or with --encrypt a plaintext (`-` for stdin).
    pub file: PathBuf,
    /// Seal FILE first (needs a key).
    #[arg(long)]
    pub encrypt: bool,
    #[command(flatten)]
    pub key: KeyArgs,
    /// KMS key for SSE-KMS (default: the bucket's default encryption).
    #[arg(long, value_name = "ID")]
    pub sse_kms_key_id: Option<String>,
    /// Only write if the device has no backup yet.
    #[arg(long, conflicts_with = "if_match")]
    pub if_absent: bool,
    /// Only write if the current backup's ETag is ETAG.
    #[arg(long, value_name = "ETAG")]
    pub if_match: Option<String>,
    /// With --encrypt, seal FILE even though it already is an FFCE blob.
    #[arg(long)]
    pub force: bool,
    /// Print the result (location, etag, version id) as one JSON object.
    #[arg(long)]
    pub json: bool,
}

/// `ffce get`.
#[derive(Debug, Args)]
pub struct GetArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    /// Device UUID, or its backup's URL: s3://BUCKET/UUID/backup.ffce (also names the bucket).
    pub uuid: String,
    /// Write the blob (or with --decrypt, the plaintext) here (`-` for stdout).
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Replace FILE if it exists.
    #[arg(long)]
    pub force: bool,
    /// A specific version (S3 only).
    #[arg(long, value_name = "V")]
    pub version_id: Option<String>,
    /// Decrypt (needs a key).
    #[arg(long)]
    pub decrypt: bool,
    /// Write the object as stored even when it is not a valid blob, to analyse a
    /// broken backup (the download's checksum is still verified); says what is wrong
    /// with it and exits 4.
    #[arg(long, requires = "output", conflicts_with = "decrypt")]
    pub no_verify: bool,
    /// Print the report as JSON (when no -o is given).
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub key: KeyArgs,
}

/// `ffce delete`.
#[derive(Debug, Args)]
pub struct DeleteArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    /// Device UUID, or its backup's URL: s3://BUCKET/UUID/backup.ffce (also names the bucket).
    pub uuid: String,
    /// Permanently delete this one version (S3 only).
    #[arg(long, value_name = "V", conflicts_with = "all_versions")]
    pub version_id: Option<String>,
    /// Permanently delete every version and delete marker of this device.
    #[arg(long)]
    pub all_versions: bool,
    /// Confirm a permanent deletion without asking.
    #[arg(long)]
    pub yes: bool,
    /// Print the result as one JSON object.
    #[arg(long)]
    pub json: bool,
}

/// `ffce ls`.
#[derive(Debug, Args)]
pub struct LsArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    /// One JSON object with `devices` and `stray_keys`.
    #[arg(long)]
    pub json: bool,
    /// JSON Lines, streamed: one object per device (with its `uuid`) and one per stray
    /// key (`{"stray_key": {...}}`), printed as each page of the listing arrives (pages
    /// in any order, keys in order within a page), then `{"summary": {...}}`.
    #[arg(long, conflicts_with = "json")]
    pub jsonl: bool,
    /// List only the devices whose backup was last written more than DURATION ago
    /// (e.g. 30d, 12h, 90m, 45s, 1d12h): devices that stopped backing up.
    #[arg(long, value_name = "DURATION")]
    pub older_than: Option<ffce_store::stale::Age>,
    /// List the devices whose latest version is a delete marker (backups someone
    /// deleted; `ffce versions UUID` shows what is kept), with when. Needs a versioned
    /// S3 bucket. With --older-than, those deleted more than DURATION ago.
    #[arg(long)]
    pub deleted: bool,
}

/// `ffce versions`.
#[derive(Debug, Args)]
pub struct VersionsArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    /// Device UUID, or its backup's URL: s3://BUCKET/UUID/backup.ffce (also names the bucket).
    pub uuid: String,
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
    pub output: OutputArgs,
}

/// The examples and notes of `ffce show --help`.
const SHOW_HELP: &str = "Examples:
  DEVICE=3f2504e0-4f89-41d3-9a0c-0305e82c3301
  ffce show --master-key-file device.key $DEVICE
  ffce show --key-dir escrow/keys $DEVICE --table settings
  ffce show --master-key-file device.key backup.ffce
  ffce show backup.json --json | jq '.export.data.tables'
  ffce get $DEVICE -o - | ffce show --master-key-file device.key -

SOURCE is a device (its UUID or s3:// URL: its latest backup, or --version-id) or a \
file: an FFCE blob, or a plaintext JSON export (no key needed); `-` reads stdin. \
Name a file called like a UUID as ./UUID.

Secrets (fields named password, secret, token, private key, psk, ..., and PEM private \
keys) show as [redacted] in every output form unless --reveal-secrets is given. \
--json prints {\"schema_version\", \"source\", \"database\", \"tables\", \"secrets\", \
\"restore_problems\", \"problems\", \"export\"}: .export is the export itself. \
--jsonl prints one {\"type\":\"row\"} record per row, then the summary.

Exit: 4 if the backup does not authenticate or is not a Dexie export (not JSON, \
a NUL byte, another formatName); 3 if the device, version or a --table is not found.";

/// The examples and notes of `ffce diff --help`.
const DIFF_HELP: &str = "Examples:
  DEVICE=3f2504e0-4f89-41d3-9a0c-0305e82c3301
  ffce diff --master-key-file device.key $DEVICE
  ffce diff --key-dir escrow/keys $DEVICE --from 2026-11-30
  ffce diff --key-dir escrow/keys $DEVICE --from V1 --to V2 --stat
  ffce diff --master-key-file device.key old.ffce new.json
  ffce diff --exit-code old.json new.json && echo same

With one device: its latest backup against the version before it; --from V (a \
version id, or a time such as 2026-11-30 or 2026-11-30T08:00:00Z: the version that \
was live then) against the latest, or against --to V. With two sources (devices' \
latest backups or files, blobs or plaintext JSON): the first against the second.

Rows are matched by their table's primary key (from its schema), never by position: \
+ added, - removed, M changed, with the changed fields as paths (value.port). A \
secret's change is named without either value unless --reveal-secrets is given. \
--json prints one document (tables, their rows and fields, totals); --stat counts only.

Exit: 0 whether or not the contents differ; with --exit-code, 6 when they differ. \
Errors keep their codes: 4 a backup does not authenticate or is not a Dexie export, \
3 a device, version or time without a backup, 2 a usage error.";

/// `ffce show`.
#[derive(Debug, Args)]
pub struct ShowArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    /// A device (UUID, or s3://BUCKET/UUID/backup.ffce) or a file: an FFCE blob or a
    /// plaintext JSON export (`-` for stdin).
    #[arg(value_name = "SOURCE")]
    pub source: String,
    /// A specific version of the device's backup (S3 only).
    #[arg(long, value_name = "V")]
    pub version_id: Option<String>,
    /// Show only this table (repeat for more).
    #[arg(long = "table", value_name = "NAME")]
    pub tables: Vec<String>,
    /// Show secrets (passwords, tokens, private keys) instead of [redacted].
    #[arg(long)]
    pub reveal_secrets: bool,
    #[command(flatten)]
    pub key: KeyArgs,
    /// Folder of per-device master secrets (`{uuid}.key`, as for `ffce audit`): the
    /// device's key is read from there.
    #[arg(long, value_name = "DIR", conflicts_with_all = ["master_key_file", "key_file"])]
    pub key_dir: Option<PathBuf>,
    #[command(flatten)]
    pub output: OutputArgs,
}

/// `ffce diff`.
#[derive(Debug, Args)]
pub struct DiffArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    /// The older backup: a device (UUID, or s3://BUCKET/UUID/backup.ffce) or a file (an
    /// FFCE blob or a plaintext JSON export; `-` for stdin).
    #[arg(value_name = "SOURCE")]
    pub first: String,
    /// The newer backup, as SOURCE. Without it, versions of the one device SOURCE names.
    #[arg(value_name = "OTHER")]
    pub second: Option<String>,
    /// The older version of the device: a version id, or a time (2026-11-30,
    /// 2026-11-30T08:00:00Z) meaning the version that was live then. Default: the
    /// version before --to.
    #[arg(long, value_name = "V|TIME", conflicts_with = "second")]
    pub from: Option<String>,
    /// The newer version of the device (a version id or a time, as --from). Default:
    /// the latest.
    #[arg(long, value_name = "V|TIME", conflicts_with = "second")]
    pub to: Option<String>,
    /// Counts only: rows added, removed and changed per table.
    #[arg(long)]
    pub stat: bool,
    /// Only this table (repeat for more).
    #[arg(long = "table", value_name = "NAME")]
    pub tables: Vec<String>,
    /// Exit 6 when the contents differ (0 when they are identical).
    #[arg(long)]
    pub exit_code: bool,
    /// Show secrets' old and new values instead of only saying that they changed.
    #[arg(long)]
    pub reveal_secrets: bool,
    #[command(flatten)]
    pub key: KeyArgs,
    /// Folder of per-device master secrets (`{uuid}.key`, as for `ffce audit`): each
    /// device's key is read from there.
    #[arg(long, value_name = "DIR", conflicts_with_all = ["master_key_file", "key_file"])]
    pub key_dir: Option<PathBuf>,
    #[command(flatten)]
    pub output: OutputArgs,
    /// The exact keys `s3://` URLs named for SOURCE and OTHER when their UUIDs are not
    /// in lowercase (set by `store_common::resolve_device_urls`, never by a flag).
    #[arg(skip)]
    pub url_keys: [Option<ffce_core::ObjectKey>; 2],
}

/// `ffce restore`.
#[derive(Debug, Args)]
pub struct RestoreArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    /// Device UUID, or its backup's URL: s3://BUCKET/UUID/backup.ffce (also names the bucket).
    pub uuid: String,
    /// The version to make latest again.
    #[arg(long, value_name = "V")]
    pub version_id: String,
    // With a key, the version must also authenticate before it is restored.
    #[command(flatten)]
    pub key: KeyArgs,
    /// Restore the version even though it fails the checks of `ffce put`.
    #[arg(long)]
    pub force: bool,
    /// Print the result as one JSON object.
    #[arg(long)]
    pub json: bool,
}

/// `ffce bucket ...` (FFCE-SPEC §5 and §6).
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
    /// Print the result as one JSON object.
    #[arg(long)]
    pub json: bool,
}

/// `ffce bucket check`.
#[derive(Debug, Args)]
pub struct BucketCheckArgs {
    #[command(flatten)]
    pub target: BucketTargetArgs,
    /// Also require default encryption with this KMS key (an id, alias or ARN).
    #[arg(long, value_name = "ID")]
    pub kms_key_id: Option<String>,
    /// Print one JSON object: `conforms`, `checks` and `deviations`.
    #[arg(long)]
    pub json: bool,
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
    /// Print the result as one JSON object (with --dry-run: everything that would go).
    #[arg(long)]
    pub json: bool,
}

/// `ffce audit`.
#[derive(Debug, Args)]
pub struct AuditArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    /// One JSON object: every object's verdict, the stray keys and the totals.
    #[arg(long)]
    pub json: bool,
    /// JSON Lines, streamed: one object per device as its verdict arrives (with its
    /// `uuid`), then one per stray key (`{"stray_key": {...}}`), then
    /// `{"summary": {...}}`. No finding is kept once printed.
    #[arg(long, conflicts_with = "json")]
    pub jsonl: bool,
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
    /// Mark and count the backups last written more than DURATION ago (e.g. 30d, 12h,
    /// 90m, 45s, 1d12h): devices that stopped backing up. Stale is not invalid.
    #[arg(long, value_name = "DURATION")]
    pub older_than: Option<ffce_store::stale::Age>,
}

/// `ffce api ...`: the device backup API (FFCE-SPEC §7).
#[derive(Debug, Subcommand)]
pub enum ApiCommand {
    /// Upload a device's backup through the API (an existing blob, or a plaintext with
    /// --encrypt).
    #[command(
        after_help = "Examples (with FFCE_API_URL and FFCE_DEVICE_KEY set):\n  \
        DEVICE=3f2504e0-4f89-41d3-9a0c-0305e82c3301\n  \
        ffce api post $DEVICE backup.ffce\n  \
        ffce api post --encrypt --master-key-file m.key $DEVICE backup.json\n\n\
        Exit: 0 stored (or 304: unchanged); 4 the body is not an acceptable backup \
        (refused here, or 400/413 from the API); 5 the API refused the device \
        (401/403); 1 a server or network fault."
    )]
    Post(ApiPostArgs),
    /// Download a device's backup through the API, verify it, and write it (or with no
    /// -o, show its header report); prints the backup's etag.
    #[command(
        after_help = "Examples (with FFCE_API_URL and FFCE_DEVICE_KEY set):\n  \
        DEVICE=3f2504e0-4f89-41d3-9a0c-0305e82c3301\n  \
        ffce api get $DEVICE -o backup.ffce\n  \
        ffce api get $DEVICE --decrypt --master-key-file m.key -o backup.json\n\n\
        Exit: 3 no backup (404); 4 the downloaded blob is invalid; 5 the API refused \
        the device (401/403); 1 a server or network fault."
    )]
    Get(ApiGetArgs),
    /// Delete a device's backup through the API.
    #[command(
        after_help = "Example (with FFCE_API_URL and FFCE_DEVICE_KEY set):\n  \
        ffce api delete 3f2504e0-4f89-41d3-9a0c-0305e82c3301"
    )]
    Delete(ApiDeleteArgs),
    /// Make a test device key pair: write the private key (PKCS#8 PEM, mode 0600) and
    /// print the public key in the device table's format (base64 of the 65-byte point).
    #[command(after_help = "Example:\n  ffce api keygen -o device.pem")]
    Keygen(ApiKeygenArgs),
}

/// Where the API is and which device key signs: shared by `ffce api post/get/delete`.
#[derive(Debug, Clone, Args)]
pub struct ApiArgs {
    /// The API's base URL; requests go to URL/devices/UUID/backup.
    #[arg(long, env = "FFCE_API_URL", value_name = "URL")]
    pub api_url: String,
    /// File holding the device's P-256 private key: PKCS#8 PEM or DER, SEC1 PEM or DER,
    /// or the 32-byte scalar in hex; `-`, /dev/stdin or <(command) read a piped key.
    #[arg(long, env = "FFCE_DEVICE_KEY", value_name = "PATH")]
    pub device_key: PathBuf,
    /// Give up on the request after this many seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 30.0)]
    pub timeout: f64,
}

/// `ffce api post`.
#[derive(Debug, Args)]
pub struct ApiPostArgs {
    #[command(flatten)]
    pub api: ApiArgs,
    /// Device UUID (8-4-4-4-12 hex).
    pub uuid: String,
    /// An FFCE blob, or with --encrypt a plaintext (`-` for stdin).
    pub file: PathBuf,
    /// Seal FILE first (needs a key) and send the plaintext's SHA-256 as the ETag.
    #[arg(long)]
    pub encrypt: bool,
    /// With --encrypt, seal FILE even though it already is an FFCE blob.
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub key: KeyArgs,
    /// The ETag to store with the backup (hex SHA-256 of its plaintext); --encrypt
    /// computes it.
    #[arg(long, value_name = "ETAG", conflicts_with = "encrypt")]
    pub etag: Option<String>,
    /// Store nothing when the device's stored backup already has this etag (304).
    #[arg(long, value_name = "ETAG")]
    pub if_none_match: Option<String>,
    /// Print the API's answer as one JSON object.
    #[arg(long)]
    pub json: bool,
}

/// `ffce api get`.
#[derive(Debug, Args)]
pub struct ApiGetArgs {
    #[command(flatten)]
    pub api: ApiArgs,
    /// Device UUID (8-4-4-4-12 hex).
    pub uuid: String,
    /// Write the blob (or with --decrypt, the plaintext) here (`-` for stdout).
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Replace FILE if it exists.
    #[arg(long)]
    pub force: bool,
    /// Decrypt (needs a key).
    #[arg(long)]
    pub decrypt: bool,
    #[command(flatten)]
    pub key: KeyArgs,
    /// Print the result as one JSON object.
    #[arg(long)]
    pub json: bool,
}

/// `ffce api delete`.
#[derive(Debug, Args)]
pub struct ApiDeleteArgs {
    #[command(flatten)]
    pub api: ApiArgs,
    /// Device UUID (8-4-4-4-12 hex).
    pub uuid: String,
    /// Print the API's answer as one JSON object.
    #[arg(long)]
    pub json: bool,
}

/// `ffce api keygen`.
#[derive(Debug, Args)]
pub struct ApiKeygenArgs {
    /// Where to write the private key (PKCS#8 PEM, mode 0600); never overwritten.
    #[arg(short, long, value_name = "FILE")]
    pub output: PathBuf,
    /// Print the public key as one JSON object (`public_key`, `key_file`).
    #[arg(long)]
    pub json: bool,
}

/// `ffce completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to generate completions for.
    pub shell: clap_complete::Shell,
}

/// `ffce man`.
#[derive(Debug, Args)]
pub struct ManArgs {
    /// Write every page (ffce.1, ffce-get.1, ffce-key-derive.1, ...) into this existing
    /// folder instead of printing the top page.
    #[arg(long, value_name = "DIR", value_hint = clap::ValueHint::DirPath)]
    pub dir: Option<PathBuf>,
    /// Replace pages that already exist in DIR.
    #[arg(long, requires = "dir")]
    pub force: bool,
}
