//! `ffce api post|get|delete|keygen`: the device backup API, as a device uses it.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Subcommand};

use super::KeyArgs;
use super::values;
use crate::output::OutputArgs;

/// `ffce api ...`: the device backup API (docs/SPEC.md §7).
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
    /// Give up on the request after this many seconds (at most 3600).
    #[arg(long, value_name = "SECONDS", default_value = "30", value_parser = values::request_seconds())]
    pub timeout: Duration,
}

/// `ffce api post`.
#[derive(Debug, Args)]
pub struct ApiPostArgs {
    #[command(flatten)]
    pub api: ApiArgs,
    /// Device UUID (8-4-4-4-12 hex).
    #[arg(value_name = "UUID", value_parser = values::device_id())]
    pub device: ffce_core::layout::DeviceId,
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
    #[arg(long, value_name = "ETAG", conflicts_with = "encrypt", value_parser = values::plaintext_digest())]
    pub etag: Option<String>,
    /// Store nothing when the device's stored backup already has this etag (304).
    #[arg(long, value_name = "ETAG", value_parser = values::plaintext_digest())]
    pub if_none_match: Option<String>,
    #[command(flatten)]
    pub format: OutputArgs,
}

/// `ffce api get`.
#[derive(Debug, Args)]
pub struct ApiGetArgs {
    #[command(flatten)]
    pub api: ApiArgs,
    /// Device UUID (8-4-4-4-12 hex).
    #[arg(value_name = "UUID", value_parser = values::device_id())]
    pub device: ffce_core::layout::DeviceId,
    /// Write the blob (or with --decrypt, the plaintext) here (`-` for stdout).
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Replace FILE if it exists.
    #[arg(long)]
    pub force: bool,
    /// Decrypt (needs a key). A key given without --decrypt authenticates the blob,
    /// which is then written as stored.
    #[arg(long)]
    pub decrypt: bool,
    #[command(flatten)]
    pub key: KeyArgs,
    #[command(flatten)]
    pub format: OutputArgs,
}

/// `ffce api delete`.
#[derive(Debug, Args)]
pub struct ApiDeleteArgs {
    #[command(flatten)]
    pub api: ApiArgs,
    /// Device UUID (8-4-4-4-12 hex).
    #[arg(value_name = "UUID", value_parser = values::device_id())]
    pub device: ffce_core::layout::DeviceId,
    #[command(flatten)]
    pub format: OutputArgs,
}

/// `ffce api keygen`.
#[derive(Debug, Args)]
pub struct ApiKeygenArgs {
    /// Where to write the private key (PKCS#8 PEM, mode 0600); never overwritten.
    #[arg(short, long, value_name = "FILE")]
    pub output: PathBuf,
    #[command(flatten)]
    pub format: OutputArgs,
}
