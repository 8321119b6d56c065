//! Explaining a blob that is not what the user meant: what an input that is not a blob
//! looks like (the JSON plaintext, a base64 or hex copy), and which purpose opens a
//! blob the given key does not. Shared by the report, `decrypt` and the downloads.

use ffce_core::{Error, Key, MasterSecret, Purpose, format::Lookalike, keys::KeyOrigin};

use crate::exit::CliError;

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
/// for an input that is not a blob, what it looks like; for an authentication failure
/// with a key derived from `master`, the purpose that does open it.
pub fn open_error(e: Error, blob: &[u8], key: &Key, master: Option<&MasterSecret>) -> CliError {
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
