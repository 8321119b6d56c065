//! The commands on single files: `inspect`, `encrypt`, `decrypt`, `key derive`,
//! `verify`, and the documentation commands `completions` and `man`.

use std::path::PathBuf;

use clap::{Args, Subcommand};

use super::{KeyArgs, PurposeArg};
use crate::output::OutputArgs;

/// `ffce inspect`.
#[derive(Debug, Args)]
pub struct InspectArgs {
    #[command(flatten)]
    pub format: OutputArgs,
    #[command(flatten)]
    pub key: KeyArgs,
    /// Folder of per-device master secrets (`{uuid}.key`, as for `ffce audit`): the
    /// key of the device whose secret opens the blob is used, and the report names
    /// that device.
    #[arg(long, value_name = "DIR", conflicts_with_all = ["master_key_file", "key_file"])]
    pub key_dir: Option<PathBuf>,
    /// The blob to inspect (`-` for stdin).
    pub input: PathBuf,
}

/// `ffce encrypt` and `ffce decrypt`.
#[derive(Debug, Args)]
pub struct CryptArgs {
    #[command(flatten)]
    pub key: KeyArgs,
    /// (decrypt) Folder of per-device master secrets (`{uuid}.key`, as for `ffce
    /// audit`): the key of the device whose secret opens the input is used.
    #[arg(long, value_name = "DIR", conflicts_with_all = ["master_key_file", "key_file"])]
    pub key_dir: Option<PathBuf>,
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
    #[command(flatten)]
    pub format: OutputArgs,
    #[command(flatten)]
    pub key: KeyArgs,
    /// Folder of per-device master secrets (`{uuid}.key`, as for `ffce audit`): each
    /// blob must open with one of them, and its record names that device.
    #[arg(long, value_name = "DIR", conflicts_with_all = ["master_key_file", "key_file"])]
    pub key_dir: Option<PathBuf>,
    /// Blobs to check.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
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
