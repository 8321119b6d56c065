//! `ffce show` and `ffce diff`: what a backup holds and what changed between two.

use std::path::PathBuf;

use clap::Args;

use super::KeyArgs;
use super::store::StoreArgs;
use super::values;
use crate::output::OutputArgs;

/// The examples and notes of `ffce show --help`.
pub const SHOW_HELP: &str = "Examples:
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
pub const DIFF_HELP: &str = "Examples:
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
    #[arg(long, value_name = "V", value_parser = values::version_id())]
    pub version_id: Option<ffce_store::VersionId>,
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
    pub format: OutputArgs,
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
    pub format: OutputArgs,
}
