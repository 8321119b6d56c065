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
//! Values are typed as they are parsed ([`values`]: a device or its `s3://` URL, a
//! version id, seconds within their range), so that a malformed one is a usage error
//! before anything runs. Nothing here does work: what the program builds from these
//! (the store, the key, the printer) is built once, in [`crate::commands`], only when a
//! command needs it.
//!
//! One module per group of commands: [`files`] (single files), [`store`] (a bucket or
//! folder of backups), [`bucket`] (a bucket as a whole), [`api`] (the device API).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::exit::EXIT_CODES_HELP;
use crate::output::OutputArgs;

mod api;
mod bucket;
mod content;
mod files;
mod store;
pub mod values;

pub use api::*;
pub use bucket::*;
pub use content::*;
pub use files::*;
pub use store::*;

/// Inspect, seal, open and manage FFCE encrypted device backups.
#[derive(Debug, Parser)]
#[command(name = "ffce", version, propagate_version = true, after_help = EXIT_CODES_HELP)]
pub struct Cli {
    /// Print more detail (repeat for more: -v, -vv, -vvv).
    #[arg(short, long, action = clap::ArgAction::Count, global = true,
          help_heading = "Global options")]
    pub verbose: u8,
    /// Print only errors: no notes, warnings or human reports (the exit code is the
    /// verdict). Kept: --json/--jsonl output, bytes written to stdout (-o -, key derive),
    /// and the text of show and diff.
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
        ffce verify --jsonl --master-key-file device.key a.ffce b.ffce")]
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

impl Command {
    /// True for the commands whose human text on stdout is the answer the user asked
    /// for (a backup's content, a diff), which `-q` does not hide; every other human
    /// report is a verdict the exit code carries, and `-q` leaves it out.
    pub fn answer_is_the_report(&self) -> bool {
        matches!(self, Command::Show(_) | Command::Diff(_))
    }

    /// The output options of a command that reports something (`None` for those that
    /// print only what they make: encrypt, decrypt, key derive, completions, man).
    pub fn output(&self) -> Option<OutputArgs> {
        Some(match self {
            Command::Inspect(a) => a.format,
            Command::Verify(a) => a.format,
            Command::Put(a) => a.format,
            Command::Get(a) => a.format,
            Command::Delete(a) => a.format,
            Command::Ls(a) => a.format,
            Command::Versions(a) => a.format,
            Command::Show(a) => a.format,
            Command::Diff(a) => a.format,
            Command::Restore(a) => a.format,
            Command::Audit(a) => a.format,
            Command::Bucket(BucketCommand::Create(a)) => a.format,
            Command::Bucket(BucketCommand::Check(a)) => a.format,
            Command::Bucket(BucketCommand::Empty(a)) => a.format,
            Command::Api(ApiCommand::Post(a)) => a.format,
            Command::Api(ApiCommand::Get(a)) => a.format,
            Command::Api(ApiCommand::Delete(a)) => a.format,
            Command::Api(ApiCommand::Keygen(a)) => a.format,
            Command::Encrypt(_)
            | Command::Decrypt(_)
            | Command::Key(_)
            | Command::Completions(_)
            | Command::Man(_) => return None,
        })
    }
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
    /// Which key to derive from a master secret [default: backup]. Refused with
    /// --key-file or FFCE_KEY, which hold an already-derived key: it has its purpose
    /// already.
    #[arg(long, value_enum)]
    pub purpose: Option<PurposeArg>,
}

impl KeyArgs {
    /// The purpose to derive a master secret's key for: `--purpose`, else `backup`.
    pub fn purpose(&self) -> ffce_core::Purpose {
        self.purpose.unwrap_or(PurposeArg::Backup).into()
    }
}

/// The key purposes of docs/SPEC.md §2.
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
