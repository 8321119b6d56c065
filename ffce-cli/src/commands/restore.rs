//! `ffce restore`: make an older version the latest again by a server-side copy, which
//! also undoes a delete. Needs an S3 bucket; on the local store it exits 2.
//! A missing version (or a delete marker's id) exits 3.
//!
//! A restore makes a backup live just as `put` does, so the version must pass the
//! same checks first (the cloud's upload rules and, with a key, authentication): one
//! that fails is refused with exit 4 and nothing is written. `--force` restores it
//! anyway, with a warning that `-q` does not hide.

use serde_json::json;

use super::put::{check_backup, require_backup_key};
use super::store_common::{device_arg, object_key, print, print_json, version_arg};
use crate::cli::RestoreArgs;
use crate::exit::{CliError, CliResult};
use crate::files::group_digits;
use crate::keys::{describe_key_source, load_optional_key};
use crate::store_choice;
use crate::ui::Ui;
use ffce_core::{Key, ObjectKey, UploadError};
use ffce_store::{Store, StoreError, VersionId, VersionedStore};

/// Runs `ffce restore`.
pub async fn run(ui: Ui, args: RestoreArgs) -> CliResult {
    let device = device_arg(&args.uuid)?;
    let key = object_key(device, &args.store);
    let version = version_arg(&args.version_id)?;
    let cipher_key = load_optional_key(&ui, &args.key)?;
    if let Some(cipher_key) = &cipher_key {
        require_backup_key(cipher_key, "nothing was restored")?;
    }
    let store = store_choice::open_for_change(&ui, &args.store).await?;
    let versioned = store
        .versioned()
        .ok_or_else(|| CliError::needs_bucket("ffce restore"))?;
    let location = store.describe(&key);

    if let Some(problem) = problem_with(
        store.as_ref(),
        versioned,
        &key,
        &version,
        cipher_key.as_ref(),
    )
    .await?
    {
        let checked = match problem {
            ffce_core::Error::AuthenticationFailed => {
                format!(" (checked with {})", describe_key_source(&args.key))
            }
            _ => String::new(),
        };
        let what = format!(
            "version {version} of {location} is not an acceptable backup: {}{checked}",
            describe(&problem)
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
            ui.paint("33", "warning:")
        );
    }

    let outcome = versioned.restore(&key, &version).await?;
    if args.json {
        return print_json(&json!({
            "uuid": device.to_string(),
            "location": outcome.location,
            "restored_version_id": version.as_str(),
            "version_id": outcome.version_id,
            "etag": outcome.etag,
        }));
    }
    let mut text = format!(
        "restored version {version} of {} as the latest",
        outcome.location
    );
    if let Some(v) = &outcome.version_id {
        text.push_str(&format!(" (new version {v})"));
    }
    text.push('\n');
    print(&text)
}

/// What is wrong with `version` as a backup, if anything: the checks of `ffce put`
/// applied to its bytes. A version over the upload limit is judged by its listed size,
/// without downloading it.
async fn problem_with(
    store: &dyn Store,
    versioned: &dyn VersionedStore,
    key: &ObjectKey,
    version: &VersionId,
    cipher_key: Option<&Key>,
) -> CliResult<Option<ffce_core::Error>> {
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
        if let Err(e @ UploadError::TooLarge { .. }) = ffce_core::validate_upload_len(len) {
            return Ok(Some(e.into()));
        }
    }
    let object = store.get(key, Some(version)).await?;
    Ok(check_backup(&object.body, cipher_key).err())
}

/// A format error in words, with sizes grouped as everywhere else in ffce.
fn describe(problem: &ffce_core::Error) -> String {
    match problem {
        ffce_core::Error::TooLarge { len, max } => format!(
            "it is {}, over the {}-byte upload limit",
            ffce_core::bytes(*len),
            group_digits(*max)
        ),
        other => other.to_string(),
    }
}
