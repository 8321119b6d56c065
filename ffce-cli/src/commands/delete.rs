//! `ffce delete`: remove a device's backup (FFCE-SPEC §5).
//!
//! - Plain delete is idempotent: a missing backup is success, and stderr says nothing
//!   was there. On a versioned bucket the data stays and a delete marker is added;
//!   the output says so and prints the exact `ffce restore` command that undoes it.
//! - `--version-id V` permanently deletes one version or delete marker (deleting the
//!   latest delete marker is an undelete). A missing version exits 3.
//! - `--all-versions` permanently deletes every version and delete marker of the
//!   device.
//! - Both permanent forms need an S3 bucket: on the local store they exit 2 (a plain
//!   delete there is already permanent).
//! - Every permanent deletion (a version, `--all-versions`, any delete on the local
//!   store or on a bucket without versioning) needs `--yes`, or `yes` typed on a terminal;
//!   without a terminal to ask on it exits 5 before anything is deleted. A delete that
//!   only adds a delete marker needs no confirmation: it can be undone.

use serde_json::json;

use super::store_common::{
    can_ask, confirm, device_arg, key_argument, object_key, print, print_json, restore_command,
    selects_bucket, version_arg,
};
use crate::cli::DeleteArgs;
use crate::exit::{CliError, CliResult};
use crate::store_choice;
use crate::ui::Ui;
use ffce_store::{DeleteEffect, StoreError, VersionId, VersionedStore};

/// Runs `ffce delete`.
pub async fn run(ui: Ui, args: DeleteArgs) -> CliResult {
    let device = device_arg(&args.uuid)?;
    let key = object_key(device, &args.store);
    let version = args.version_id.as_deref().map(version_arg).transpose()?;
    let permanent = version.is_some() || args.all_versions;
    if permanent && !selects_bucket(&args.store)? {
        let what = if args.all_versions {
            "delete --all-versions"
        } else {
            "delete --version-id"
        };
        return Err(CliError::needs_bucket(what));
    }
    // Nobody to ask: refuse before any request. (A plain delete can be permanent too;
    // that is known, and refused, below, once the store has said what it would do.)
    if permanent && !args.yes && !can_ask() {
        let what = if args.all_versions {
            "--all-versions permanently deletes every version and delete marker of the device"
        } else {
            "--version-id permanently deletes that version"
        };
        return Err(no_terminal(what));
    }

    let store = store_choice::open_for_change(&ui, &args.store).await?;
    let location = store.describe(&key);
    if let Some(version) = &version {
        let versioned = store
            .versioned()
            .ok_or_else(|| CliError::needs_bucket("delete --version-id"))?;
        return delete_one_version(versioned, &args, &key, version, &location).await;
    }
    if args.all_versions {
        let versioned = store
            .versioned()
            .ok_or_else(|| CliError::needs_bucket("delete --all-versions"))?;
        return delete_all_versions(&ui, versioned, &args, &key, &location).await;
    }
    // A delete that keeps the data (a delete marker) needs no confirmation; one that
    // does not (the local store, a bucket without versioning) does.
    if !args.yes && store.delete_effect(&key).await? == DeleteEffect::Permanent {
        let why = if store.versioned().is_some() {
            "the bucket keeps no versions of it, so a delete is permanent"
        } else {
            "this store keeps no versions, so a delete here is permanent"
        };
        let question = format!("Permanently delete {location}? {why}; it cannot be undone.");
        if !confirm(&question)? {
            return Err(not_confirmed(why));
        }
    }

    let outcome = store.delete(&key).await?;
    let undo = outcome
        .previous_version_id
        .as_deref()
        .filter(|_| outcome.delete_marker_added)
        .map(|v| restore_command(&args.store, &key, &location, v));
    if args.json {
        if !outcome.existed {
            ui.warn(nothing_there(&location));
        }
        return print_json(&json!({
            "uuid": device.to_string(),
            "location": location,
            "existed": outcome.existed,
            "delete_marker_added": outcome.delete_marker_added,
            "delete_marker_version_id": outcome.version_id,
            "previous_version_id": outcome.previous_version_id,
            "undo": undo,
        }));
    }
    if !outcome.existed {
        ui.warn(nothing_there(&location));
        return Ok(());
    }
    if outcome.delete_marker_added {
        let mut text = format!(
            "deleted {location}: the bucket is versioned, so a delete marker{} was added \
             and the earlier versions are kept\n",
            outcome
                .version_id
                .as_deref()
                .map(|v| format!(" (version {v})"))
                .unwrap_or_default()
        );
        match &undo {
            Some(cmd) => text.push_str(&format!("undo with: {cmd}\n")),
            None => text.push_str(&format!(
                "undo: pick a version from `ffce versions {}` and `ffce restore` it\n",
                key_argument(&key, &location)
            )),
        }
        return print(&text);
    }
    print(&format!(
        "deleted {location} permanently (this store keeps no versions)\n"
    ))
}

async fn delete_one_version(
    versioned: &dyn VersionedStore,
    args: &DeleteArgs,
    key: &ffce_core::ObjectKey,
    version: &VersionId,
    location: &str,
) -> CliResult {
    let all = versioned.list_versions(key).await?;
    let Some(entry) = all.iter().find(|v| v.version_id == version.as_str()) else {
        return Err(StoreError::NotFound {
            what: format!("version {version} of {location}"),
        }
        .into());
    };
    if !args.yes {
        let what = if entry.is_delete_marker {
            "delete marker".to_string()
        } else {
            format!("backup version ({})", size_text(entry.size))
        };
        let question =
            format!("Permanently delete {what} {version} of {location}? This cannot be undone.");
        if !confirm(&question)? {
            return Err(not_confirmed(
                "--version-id permanently deletes that version",
            ));
        }
    }
    versioned.delete_version(key, version).await?;
    let deleted = entry;
    // What is the latest now? The next entry in newest-first order.
    let now_latest = all.iter().find(|v| v.version_id != version.as_str());
    let visible = now_latest.is_some_and(|v| !v.is_delete_marker);
    if args.json {
        return print_json(&json!({
            "location": location,
            "version_id": deleted.version_id,
            "was_delete_marker": deleted.is_delete_marker,
            "was_latest": deleted.is_latest,
            "backup_visible": visible,
        }));
    }
    let kind = if deleted.is_delete_marker {
        "delete marker".to_string()
    } else {
        format!("backup version ({})", size_text(deleted.size))
    };
    let mut text = format!(
        "permanently deleted {kind} {} of {location}\n",
        deleted.version_id
    );
    if deleted.is_latest && deleted.is_delete_marker && visible {
        text.push_str("the backup is visible again (undeleted)\n");
    }
    print(&text)
}

async fn delete_all_versions(
    ui: &Ui,
    versioned: &dyn VersionedStore,
    args: &DeleteArgs,
    key: &ffce_core::ObjectKey,
    location: &str,
) -> CliResult {
    let all = versioned.list_versions(key).await?;
    if all.is_empty() {
        ui.warn(nothing_there(location));
        if args.json {
            return print_json(&json!({ "location": location, "deleted": 0, "versions": [] }));
        }
        return Ok(());
    }
    let markers = all.iter().filter(|v| v.is_delete_marker).count();
    if !args.yes {
        let question = format!(
            "Permanently delete {} version(s) and {markers} delete marker(s) of {location}? \
             This cannot be undone.",
            all.len() - markers
        );
        if !confirm(&question)? {
            return Err(not_confirmed(
                "--all-versions permanently deletes every version and delete marker of the \
                 device",
            ));
        }
    }
    let ids: Vec<VersionId> = all
        .iter()
        .map(|v| version_arg(&v.version_id))
        .collect::<CliResult<_>>()?;
    for id in &ids {
        versioned.delete_version(key, id).await?;
    }
    if args.json {
        return print_json(&json!({
            "location": location,
            "deleted": ids.len(),
            "versions": ids.iter().map(|v| v.as_str()).collect::<Vec<_>>(),
        }));
    }
    print(&format!(
        "permanently deleted {} version(s) and {markers} delete marker(s) of {location}\n",
        all.len() - markers
    ))
}

fn nothing_there(location: &str) -> String {
    format!("no backup at {location}: nothing was there, so nothing was deleted")
}

/// The refusal when no terminal can confirm a permanent deletion (exit 5).
fn no_terminal(what: &str) -> CliError {
    CliError::refused(format!(
        "{what}; pass --yes to confirm (no terminal to ask on); nothing was deleted"
    ))
}

/// The refusal after a question was not answered `yes` (or could not be asked).
fn not_confirmed(what: &str) -> CliError {
    if can_ask() {
        CliError::refused(format!(
            "not confirmed; nothing was deleted ({what}; --yes skips the question)"
        ))
    } else {
        no_terminal(what)
    }
}

/// A version's size ("1 byte", "5,729 bytes"), or "? bytes" when the listing gave none.
fn size_text(size: Option<u64>) -> String {
    size.map_or("? bytes".into(), |s| {
        ffce_core::Count(s, "byte").to_string()
    })
}
