//! Explaining a blob that is not what the user meant: what an input that is not a blob
//! looks like (the JSON plaintext, a base64 or hex copy), and which purpose opens a
//! blob the given key does not. Shared by the report, `decrypt` and the downloads.

use ffce_core::{Error, MasterSecret, Purpose, format::Lookalike, keys::KeyOrigin};

use crate::env::{KEY_ENV, MASTER_KEY_ENV};
use crate::exit::CliError;
use crate::keys::{LoadedKey, OtherReading};

/// What an input that is not a blob looks like, in words, with what to do instead.
pub fn lookalike_message(l: Lookalike) -> &'static str {
    match l {
        Lookalike::Empty => "empty file (0 bytes), not an FFCE blob",
        Lookalike::Json => {
            "this looks like a JSON plaintext, not an FFCE blob: use `ffce encrypt` to seal it"
        }
        Lookalike::Base64Blob => {
            "this is a base64 copy of an FFCE blob: decode it first (base64 -d FILE > blob.ffce)"
        }
        Lookalike::HexBlob => {
            "this is a hex copy of an FFCE blob: decode it first (xxd -r -p FILE > blob.ffce)"
        }
        _ => "this is not an FFCE blob",
    }
}

/// What to tell a user whose key opens the blob only with another purpose.
pub fn purpose_hint(found: Purpose) -> String {
    match found {
        Purpose::ConfigFs => "this is an on-device config file (configfs key), not a cloud \
                              backup: use --purpose configfs"
            .into(),
        Purpose::Backup => "this is a cloud backup (backup key), not an on-device config \
                            file: use --purpose backup"
            .into(),
        other => format!("it opens with the {other} key: use --purpose {other}"),
    }
}

/// The error for a blob that `key` did not open, with what the user can do about it:
/// for an input that is not a blob, what it looks like; for an authentication failure,
/// the key that does open it ([`key_hint`]).
pub fn open_error(e: Error, blob: &[u8], key: &LoadedKey) -> CliError {
    if let Some(l) = ffce_core::format::recognise(blob) {
        return CliError::integrity(lookalike_message(l));
    }
    let mut err = CliError::from(e);
    if e == Error::AuthenticationFailed {
        if let Some(hint) = key_hint(blob, key) {
            err.message = format!("{}; {hint}", err.message);
        }
    }
    err
}

/// [`open_error`] for a key without its source (a key from a folder, a content
/// source's): only the other purpose of `master` is tried.
pub fn open_error_derived(
    e: Error,
    blob: &[u8],
    key: &ffce_core::Key,
    master: Option<&MasterSecret>,
) -> CliError {
    if let Some(l) = ffce_core::format::recognise(blob) {
        return CliError::integrity(lookalike_message(l));
    }
    let mut err = CliError::from(e);
    if e == Error::AuthenticationFailed {
        if let Some(found) = other_purpose(blob, key.origin(), master) {
            err.message = format!("{}; {}", err.message, purpose_hint(found));
        }
    }
    err
}

/// For a blob `key` does not open: which key does, among those the user's own bytes
/// give. The same master secret's key for the other purpose ([`purpose_hint`]), or the
/// key file read the other way: a master secret given as `--key-file` (or `FFCE_KEY`),
/// or a derived key given as `--master-key-file` (or `FFCE_MASTER_KEY`). `None` when
/// none of them opens it: then it is the wrong key.
pub fn key_hint(blob: &[u8], key: &LoadedKey) -> Option<String> {
    if let Some(found) = other_purpose(blob, key.key.origin(), key.master.as_ref()) {
        return Some(purpose_hint(found));
    }
    let file = key
        .source
        .file()
        .map(|(_, path)| path.display().to_string());
    match &key.other_reading {
        OtherReading::AsKey(k) if k.open(blob).is_ok() => Some(match file {
            Some(path) => format!(
                "this opens with the file read as an already-derived key: use --key-file \
                 {path} instead of --master-key-file"
            ),
            None => format!(
                "this opens with {MASTER_KEY_ENV} read as an already-derived key: set \
                 {KEY_ENV} to it instead"
            ),
        }),
        OtherReading::AsMaster(m) => {
            let found = m.purpose_of(blob)?;
            let purpose = match found {
                Purpose::Backup => String::new(),
                other => format!(" --purpose {other}"),
            };
            Some(match file {
                Some(path) => format!(
                    "this opens with the file read as a master secret: use \
                     --master-key-file {path}{purpose} instead of --key-file"
                ),
                None => format!(
                    "this opens with {KEY_ENV} read as a master secret: set \
                     {MASTER_KEY_ENV} to it instead{}",
                    if purpose.is_empty() {
                        String::new()
                    } else {
                        format!(" (with{purpose})")
                    }
                ),
            })
        }
        OtherReading::AsKey(_) => None,
    }
}

/// The purpose, other than the one a key was derived for, whose key from the same
/// `master` opens `blob`. `None` for an imported key: its master secret is unknown.
pub(super) fn other_purpose(
    blob: &[u8],
    origin: KeyOrigin,
    master: Option<&MasterSecret>,
) -> Option<Purpose> {
    let KeyOrigin::Derived(used) = origin else {
        return None;
    };
    master?.purpose_of(blob).filter(|&p| p != used)
}
