//! `ffce restore`: make an older version the latest again by a server-side copy, which
//! also undoes a delete. Needs an S3 bucket; on the local store it exits 2.
//! A missing version (or a delete marker's id) exits 3.
//!
//! A restore makes a backup live just as `put` does, so the version must pass the
//! same checks first (the cloud's upload rules and, with a key, authentication and the
//! content verdict on its plaintext: one the controller would not restore): one that
//! fails is refused with exit 4 and nothing is written. `--force` restores it
//! anyway, with a warning that `-q` does not hide.

use super::put::{check_backup, require_backup_key};
use crate::exit::{CliError, CliResult};
use crate::keys::{self, LoadedKey};
use crate::output::changes::Restored;
use crate::output::{Printer, Style};
use crate::report::{content_verdict, key_hint};
use crate::store_choice::{DeviceTarget, StoreTarget};
use crate::ui::Ui;
use bytes::Bytes;
use ffce_core::{content::Unrestorable, layout::ObjectKey, numbers::Grouped, upload::UploadError};
use ffce_store::{Store, StoreError, VersionId, VersionedStore};

/// `ffce restore`, resolved.
pub struct Restore {
    /// Where the backup is.
    pub store: StoreTarget,
    /// The device and its key.
    pub target: DeviceTarget,
    /// The version to make latest again.
    pub version: VersionId,
    /// A key the version must open, when given.
    pub key: Option<LoadedKey>,
    /// `--force`.
    pub force: bool,
}

/// Runs `ffce restore`.
pub async fn run(ui: &Ui, printer: &mut Printer, args: Restore) -> CliResult {
    let key = args.target.key;
    let version = &args.version;
    if let Some(k) = &args.key {
        require_backup_key(&k.key, "nothing was restored")?;
    }
    let store = args.store.open_for_change(ui).await?;
    let versioned = store
        .versioned()
        .ok_or_else(|| CliError::needs_bucket("ffce restore"))?;
    let location = store.describe(&key);

    let cipher_key = args.key.as_ref();
    if let Some(problem) =
        problem_with(store.as_ref(), versioned, &key, version, cipher_key).await?
    {
        let what = format!(
            "version {version} of {location} is not an acceptable backup: {}",
            problem.describe(cipher_key)
        );
        if !args.force {
            return Err(CliError::integrity(format!(
                "{what}; it was not restored and nothing was written (pass --force to \
                 restore it anyway)"
            )));
        }
        // The user overrode a safety check: say so even with -q.
        eprintln!(
            "{} {what}; restoring it anyway (--force)",
            ui.paint(Style::Warn, "warning:")
        );
    }

    let outcome = versioned.restore(&key, version).await?;
    printer.document(&Restored {
        device: args.target.device.to_string(),
        location: outcome.location,
        restored_version_id: version.as_str().to_string(),
        version_id: outcome.version_id.map(|v| v.to_string()),
        object_etag: outcome.etag,
    })
}

/// Why a version is not an acceptable backup.
enum Problem {
    /// The format's checks (the upload rules, authentication), with the blob for the
    /// key hint of an authentication failure.
    Format(ffce_core::Error, Bytes),
    /// Authentic, but the controller would not restore the plaintext.
    Content(Vec<Unrestorable>),
}

impl Problem {
    /// In words, with what the user can do about a key that does not open it.
    fn describe(&self, key: Option<&LoadedKey>) -> String {
        match self {
            Problem::Format(e @ ffce_core::Error::AuthenticationFailed, blob) => format!(
                "{e} (checked with {}{})",
                keys::describe(key),
                key.and_then(|k| key_hint(blob, k))
                    .map(|h| format!("; {h}"))
                    .unwrap_or_default()
            ),
            Problem::Format(e, _) => describe(e),
            Problem::Content(problems) => {
                let reasons: Vec<String> = problems.iter().map(ToString::to_string).collect();
                format!("the device will not restore it: {}", reasons.join("; "))
            }
        }
    }
}

/// What is wrong with `version` as a backup, if anything: the checks of `ffce put`
/// applied to its bytes, and with a key the content verdict on its plaintext
/// ([`content_verdict`]). A version over the upload limit is judged by its listed size,
/// without downloading it.
async fn problem_with(
    store: &dyn Store,
    versioned: &dyn VersionedStore,
    key: &ObjectKey,
    version: &VersionId,
    cipher_key: Option<&LoadedKey>,
) -> CliResult<Option<Problem>> {
    let entry = versioned
        .list_versions(key)
        .await?
        .into_iter()
        .find(|v| v.version_id == version.as_str());
    let what = format!("version {version} of {}", store.describe(key));
    let Some(entry) = entry else {
        return Err(StoreError::NotFound { what }.into());
    };
    if entry.is_delete_marker {
        return Err(StoreError::IsDeleteMarker {
            what,
            device: key.device(),
        }
        .into());
    }
    if let Some(len) = entry.size.and_then(|s| usize::try_from(s).ok()) {
        if let Err(e @ UploadError::TooLarge { .. }) = ffce_core::upload::validate_upload_len(len) {
            return Ok(Some(Problem::Format(e.into(), Bytes::new())));
        }
    }
    let object = store.get(key, Some(version)).await?;
    if let Err(e) = check_backup(&object.body, None) {
        return Ok(Some(Problem::Format(e, object.body)));
    }
    let Some(k) = cipher_key else {
        return Ok(None);
    };
    Ok(match k.key.open(&object.body) {
        Err(e) => Some(Problem::Format(e, object.body.clone())),
        Ok(plaintext) => {
            let problems = content_verdict(&plaintext, &k.key);
            (!problems.is_empty()).then_some(Problem::Content(problems))
        }
    })
}

/// A format error in words, with sizes grouped as everywhere else in ffce.
fn describe(problem: &ffce_core::Error) -> String {
    match problem {
        ffce_core::Error::TooLarge { len, max } => format!(
            "it is {}, over the {}-byte upload limit",
            ffce_core::numbers::bytes(*len),
            Grouped(*max as u64)
        ),
        other => other.to_string(),
    }
}
