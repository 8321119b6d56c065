//! `ffce put`: upload a device's backup, an existing blob or a plaintext sealed first.
//!
//! Everything that can be refused is refused before the store is touched: the UUID
//! (exit 2), the key (with `--encrypt`), the body against the cloud's upload rules
//! (docs/SPEC.md §3: exit 4 with the numbers, nothing uploaded). The output names where
//! the backup went, its ETag and its version id; a conditional put that finds the
//! identical backup already there writes nothing and says so (exit 0).
//!
//! Mistakes that would make a backup no device can read are refused too: sealing a
//! file that already is a blob (exit 2 unless `--force`), a key for any purpose but
//! `backup` (exit 2), and, when a key is given for an existing blob, a blob that does
//! not open with it (exit 4). `restore` shares these checks ([`check_backup`]).
//! Whenever the plaintext is in hand (sealed here, or a blob opened with the key), it
//! must be one the controller restores (exit 4 unless `--force`), and its SHA-256 is
//! stored as the object's plaintext digest (`etag` metadata, docs/SPEC.md §7), as the
//! device API stores it, so the API's next GET serves it.
//!
//! A put that would destroy the only copy of a backup (over an existing one on the
//! local store or a bucket without versioning) is asked about like a permanent delete:
//! `yes` typed on a terminal or `--yes`, else exit 5 before anything is written. A
//! device's first backup, a versioned bucket and `--if-absent` ask nothing.

use std::path::{Path, PathBuf};

use bytes::Bytes;
use sha2::{Digest, Sha256};

use super::store_common::confirm_overwrite;
use crate::exit::{CliError, CliResult};
use crate::files;
use crate::keys::{self, LoadedKey};
use crate::output::Printer;
use crate::output::changes::Stored;
use crate::report::{key_hint, refuse_unrestorable};
use crate::store_choice::{DeviceTarget, StoreTarget};
use crate::ui::Ui;
use ffce_core::layout::ObjectKey;
use ffce_core::{Key, Purpose, keys::KeyOrigin, numbers::Grouped};
use ffce_store::{
    Condition, GetOptions, PlaintextDigest, PutOptions, PutStatus, Store, StoreError, unquote_etag,
};

/// `ffce put`, resolved.
pub struct Put {
    /// Where the backup goes.
    pub store: StoreTarget,
    /// The device and its (lowercase) key.
    pub target: DeviceTarget,
    /// The blob, or with `encrypt` the plaintext.
    pub file: PathBuf,
    /// Seal `file` first.
    pub encrypt: bool,
    /// With `encrypt`, seal a file that already is a blob.
    pub force: bool,
    /// The key: required with `encrypt`, else it checks the blob.
    pub key: Option<LoadedKey>,
    /// SSE-KMS key.
    pub sse_kms_key_id: Option<String>,
    /// `--if-absent` / `--if-match`.
    pub condition: Condition,
    /// `--yes`: replace a backup the store keeps no version of without asking.
    pub yes: bool,
}

/// Runs `ffce put`.
pub async fn run(ui: &Ui, printer: &mut Printer, args: Put) -> CliResult {
    let target = args.target;
    let UploadBody {
        blob,
        plaintext_sha256,
    } = prepare_upload(
        ui,
        &args.file,
        args.key.as_ref(),
        args.encrypt,
        args.force,
        &UPLOAD,
    )?;
    let content_sha256: [u8; 32] = Sha256::digest(&blob).into();
    let len = blob.len();

    let store = args.store.open_for_change(ui).await?;
    // `--if-absent` never replaces anything.
    if !args.yes && args.condition != Condition::IfAbsent {
        confirm_overwrite(store.as_ref(), &target.key).await?;
    }
    let opts = PutOptions {
        content_sha256,
        plaintext_sha256,
        sse_kms_key_id: args.sse_kms_key_id.clone(),
        condition: args.condition.clone(),
    };
    let outcome = match store.put(&target.key, Bytes::from(blob), &opts).await {
        Ok(outcome) => outcome,
        Err(e @ StoreError::PreconditionFailed { missing: false, .. }) => {
            return Err(if_match_hint(store.as_ref(), &target.key, &args.condition, e).await);
        }
        Err(e) => return Err(e.into()),
    };
    printer.document(&Stored {
        device: target.device.to_string(),
        key: target.key.as_string(),
        written: outcome.status == PutStatus::Written,
        location: outcome.location,
        size: len,
        object_etag: outcome.etag,
        version_id: outcome.version_id.map(|v| v.to_string()),
        content_sha256: hex::encode(content_sha256),
        plaintext_digest: plaintext_sha256.map(hex::encode),
    })
}

/// A failed `--if-match`, with a hint when the value given is the current backup's
/// plaintext digest (the device API's ETag) rather than its object ETag: one HEAD,
/// only after the put was refused.
async fn if_match_hint(
    store: &dyn Store,
    key: &ObjectKey,
    condition: &Condition,
    err: StoreError,
) -> CliError {
    let mut error = CliError::from(err);
    let Condition::IfMatch(given) = condition else {
        return error;
    };
    let Ok(head) = store.get_opts(key, &GetOptions::head()).await else {
        return error;
    };
    let given = unquote_etag(given).to_ascii_lowercase();
    if let Some(PlaintextDigest::Sha256(d)) = &head.plaintext_digest {
        if hex::encode(d) == given {
            error.message = format!(
                "{}; that is the plaintext digest (the `etag` metadata, the device API's \
                 ETag); --if-match takes the object ETag: {}",
                error.message,
                head.etag.as_deref().unwrap_or("(not known)")
            );
        }
    }
    error
}

/// How an upload command words what it does, in its refusals: "to upload it as it is",
/// "nothing was uploaded", "uploading it anyway".
pub(super) struct Verb {
    /// The verb: `upload`, `send`.
    pub present: &'static str,
    /// Its past participle: `uploaded`, `sent`.
    pub past: &'static str,
    /// What `--force` does past a refusal: `uploading it anyway`.
    pub anyway: &'static str,
}

/// `ffce put`'s wording.
pub(super) const UPLOAD: Verb = Verb {
    present: "upload",
    past: "uploaded",
    anyway: "uploading it anyway",
};

/// A backup body read, sealed if asked, and checked: what `put` and `api post` send.
pub(super) struct UploadBody {
    /// The blob.
    pub blob: Vec<u8>,
    /// The plaintext's SHA-256 (the plaintext digest, stored as the `etag` metadata,
    /// docs/SPEC.md §7), whenever the plaintext was in hand: sealed here, or a blob
    /// opened with the key given.
    pub plaintext_sha256: Option<[u8; 32]>,
}

/// Reads FILE as an upload's body. With `encrypt`, FILE is a plaintext, sealed with the
/// key (refused if it already is a blob, unless `force`, or too long to seal within the
/// upload limit). Without, FILE is a blob that must pass the cloud's upload rules and,
/// when a key is given, open with it (a blob that does not is a backup the device
/// cannot restore). A key for any purpose but `backup` is refused either way. Whenever
/// the plaintext is in hand, it must be one the controller restores
/// ([`crate::report::refuse_unrestorable`]; `force` writes it anyway, with a warning).
pub(super) fn prepare_upload(
    ui: &Ui,
    file: &Path,
    key: Option<&LoadedKey>,
    encrypt: bool,
    force: bool,
    verb: &Verb,
) -> CliResult<UploadBody> {
    let Verb {
        present,
        past,
        anyway,
    } = verb;
    let shown = if files::is_stdio(file) {
        "stdin".to_string()
    } else {
        file.display().to_string()
    };
    if let Some(key) = key {
        require_backup_key(&key.key, &format!("nothing was {past}"))?;
    }
    // `encrypt` always has a key (`keys::require`); without it, a key given checks the
    // blob.
    let cipher_key = match (encrypt, key) {
        (true, Some(key)) => &key.key,
        (_, checked_with) => {
            let blob = files::read_input_limited(file, &files::UPLOAD_BLOB)?;
            let refusal = |e: ffce_core::Error| {
                let hint = match e {
                    ffce_core::Error::BadMagic { .. } => {
                        format!(" (to {present} a plaintext, seal it with --encrypt)")
                    }
                    ffce_core::Error::AuthenticationFailed => format!(
                        " (checked with {}{})",
                        keys::describe(checked_with),
                        checked_with
                            .and_then(|k| key_hint(&blob, k))
                            .map(|h| format!("; {h}"))
                            .unwrap_or_default()
                    ),
                    _ => String::new(),
                };
                CliError::integrity(format!(
                    "{shown}: not an acceptable backup body: {e}{hint}; nothing was {past}"
                ))
            };
            if let Err(e) = ffce_core::upload::validate_upload(&blob) {
                return Err(refusal(e.into()));
            }
            let Some(k) = checked_with else {
                return Ok(UploadBody {
                    blob,
                    plaintext_sha256: None,
                });
            };
            let plaintext = k.key.open(&blob).map_err(refusal)?;
            refuse_unrestorable(
                ui,
                &shown,
                &plaintext,
                &k.key,
                force,
                &format!("nothing was {past}"),
                anyway,
            )?;
            let plaintext_sha256 = Some(Sha256::digest(&*plaintext).into());
            drop(plaintext); // wiped now, not after the upload
            return Ok(UploadBody {
                blob,
                plaintext_sha256,
            });
        }
    };
    let plaintext = files::read_secret_input_limited(file, &files::UPLOAD_PLAINTEXT)?;
    if looks_like_blob(&plaintext) && !force {
        return Err(CliError::usage(format!(
            "{shown} is already an FFCE blob: --encrypt would seal it a second time and no \
             device could restore it; to {present} it as it is, run the same command without \
             --encrypt (or pass --force to seal it anyway); nothing was {past}"
        )));
    }
    if plaintext.len() > ffce_core::upload::MAX_PLAINTEXT_LEN {
        return Err(CliError::integrity(format!(
            "{shown}: plaintext is {} bytes; sealed it would be {} bytes, over the {}-byte \
             upload limit (at most {} bytes of plaintext); nothing was {past}",
            Grouped(plaintext.len() as u64),
            Grouped((plaintext.len() + ffce_core::format::HEADER_LEN) as u64),
            Grouped(ffce_core::upload::MAX_BLOB_LEN as u64),
            Grouped(ffce_core::upload::MAX_PLAINTEXT_LEN as u64),
        )));
    }
    refuse_unrestorable(
        ui,
        &shown,
        &plaintext,
        cipher_key,
        force,
        &format!("nothing was {past}"),
        anyway,
    )?;
    let plaintext_sha256: [u8; 32] = Sha256::digest(&plaintext[..]).into();
    // Sealed just now: needs no authentication, but must still be a valid upload.
    let blob = cipher_key.seal(&plaintext)?;
    Ok(UploadBody {
        blob,
        plaintext_sha256: Some(plaintext_sha256),
    })
}

/// The checks a body passes before it becomes a device's live backup, shared by `put`
/// and `restore`: the cloud's upload rules (docs/SPEC.md §3) and, with a key,
/// authentication.
pub(super) fn check_backup(body: &[u8], key: Option<&Key>) -> Result<(), ffce_core::Error> {
    match key {
        Some(key) => ffce_core::upload::validate_authentic_upload(body, key).map(|_| ()),
        None => Ok(ffce_core::upload::validate_upload(body).map(|_| ())?),
    }
}

/// Cloud backups are sealed with the `backup` key (docs/SPEC.md §2). A key derived for
/// another purpose (the on-device `configfs` key) makes backups no device can restore,
/// so it is refused (exit 2). An already-derived key (`--key-file`, `FFCE_KEY`) has no
/// known purpose and is taken as given.
pub(super) fn require_backup_key(key: &Key, consequence: &str) -> CliResult {
    match key.origin() {
        KeyOrigin::Derived(purpose) if purpose != Purpose::Backup => Err(CliError::usage(format!(
            "--purpose {purpose}: cloud backups use the backup key; a backup sealed or \
                 checked with the {purpose} key is one no device can restore (drop \
                 --purpose, the default is backup); {consequence}"
        ))),
        _ => Ok(()),
    }
}

/// Whether `bytes` start like an FFCE v1 blob (magic and version), whatever follows.
pub(super) fn looks_like_blob(bytes: &[u8]) -> bool {
    bytes.len() >= ffce_core::format::HEADER_LEN
        && bytes.starts_with(&ffce_core::format::MAGIC)
        && bytes.get(ffce_core::format::MAGIC.len()) == Some(&ffce_core::format::VERSION)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ffce_core::MasterSecret;

    #[test]
    fn blobs_are_recognised_by_magic_and_version() {
        let key = MasterSecret::from_bytes([0x11; 32]).derive(Purpose::Backup);
        let blob = key.seal(b"{}").unwrap();
        assert!(looks_like_blob(&blob));
        assert!(!looks_like_blob(&blob[..20]), "shorter than a header");
        assert!(!looks_like_blob(
            br#"{"formatName":"dexie","formatVersion":1}"#
        ));
        let mut v2 = blob.clone();
        v2[4] = 2;
        assert!(!looks_like_blob(&v2));
    }

    #[test]
    fn only_the_backup_key_uploads() {
        let master = MasterSecret::from_bytes([0x11; 32]);
        assert!(require_backup_key(&master.derive(Purpose::Backup), "x").is_ok());
        let err = require_backup_key(&master.derive(Purpose::ConfigFs), "x").unwrap_err();
        assert_eq!(err.failure, crate::exit::Failure::Usage);
        assert!(err.message.contains("no device can restore"));
        assert!(require_backup_key(&Key::from_bytes(&[0x22; 32]), "x").is_ok());
    }
}
