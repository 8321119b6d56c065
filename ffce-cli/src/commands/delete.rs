//! `ffce delete`: remove a device's backup (docs/SPEC.md §5).
//!
//! - Plain delete is idempotent: a missing backup is success, and stderr says nothing
//!   was there, or on a versioned bucket whose latest version is a delete marker, that
//!   the backup is already deleted, since when, and the `ffce restore` that undoes it. On a versioned bucket the data stays and a delete marker is added;
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

use super::store_common::{can_ask, confirm, key_argument, restore_command};
use crate::exit::{CliError, CliResult};
use crate::output::changes::{AllVersionsDeleted, Deleted, VersionDeleted, version_kind};
use crate::output::{Printer, timestamp};
use crate::store_choice::{DeviceTarget, StoreTarget};
use crate::ui::Ui;
use ffce_store::{DeleteEffect, StoreError, VersionId, VersionedStore};

/// `ffce delete`, resolved.
pub struct Delete {
    /// Where the backup is.
    pub store: StoreTarget,
    /// The device and its key.
    pub target: DeviceTarget,
    /// `--version-id`.
    pub version: Option<VersionId>,
    /// `--all-versions`.
    pub all_versions: bool,
    /// `--yes`.
    pub yes: bool,
}

/// Runs `ffce delete`.
pub async fn run(ui: &Ui, printer: &mut Printer, args: Delete) -> CliResult {
    let key = args.target.key;
    let permanent = args.version.is_some() || args.all_versions;
    if permanent && args.store.bucket().is_none() {
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

    let store = args.store.open_for_change(ui).await?;
    let location = store.describe(&key);
    if let Some(version) = &args.version {
        let versioned = store
            .versioned()
            .ok_or_else(|| CliError::needs_bucket("delete --version-id"))?;
        return delete_one_version(printer, versioned, &args, version, &location).await;
    }
    if args.all_versions {
        let versioned = store
            .versioned()
            .ok_or_else(|| CliError::needs_bucket("delete --all-versions"))?;
        return delete_all_versions(ui, printer, versioned, &args, &location).await;
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
    if outcome.existed == Some(false) {
        ui.warn(match store.versioned() {
            Some(versioned) => already_deleted(versioned, &args, &location)
                .await
                .unwrap_or_else(|| nothing_there(&location)),
            None => nothing_there(&location),
        });
    }
    printer.document(&Deleted {
        device: args.target.device.to_string(),
        versions_command: format!("ffce versions {}", key_argument(&key, &location)),
        location,
        existed: outcome.existed != Some(false),
        delete_marker_added: outcome.delete_marker_added,
        delete_marker_version_id: outcome.version_id.map(|v| v.to_string()),
        previous_version_id: outcome.previous_version_id.map(|v| v.to_string()),
        undo,
    })
}

async fn delete_one_version(
    printer: &mut Printer,
    versioned: &dyn VersionedStore,
    args: &Delete,
    version: &VersionId,
    location: &str,
) -> CliResult {
    let key = &args.target.key;
    let all = versioned.list_versions(key).await?;
    let Some(entry) = all.iter().find(|v| v.version_id == version.as_str()) else {
        return Err(StoreError::NotFound {
            what: format!("version {version} of {location}"),
        }
        .into());
    };
    if !args.yes {
        let what = version_kind(entry.is_delete_marker, entry.size);
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
    printer.document(&VersionDeleted {
        device: args.target.device.to_string(),
        location: location.to_string(),
        version_id: deleted.version_id.to_string(),
        was_delete_marker: deleted.is_delete_marker,
        was_latest: deleted.is_latest,
        size: deleted.size,
        backup_visible: visible,
    })
}

async fn delete_all_versions(
    ui: &Ui,
    printer: &mut Printer,
    versioned: &dyn VersionedStore,
    args: &Delete,
    location: &str,
) -> CliResult {
    let key = &args.target.key;
    let all = versioned.list_versions(key).await?;
    let record = |ids: &[VersionId], markers: usize| AllVersionsDeleted {
        device: args.target.device.to_string(),
        location: location.to_string(),
        deleted: ids.len(),
        delete_markers: markers,
        versions: ids.iter().map(|v| v.as_str().to_string()).collect(),
    };
    if all.is_empty() {
        ui.warn(nothing_there(location));
        return printer.document(&record(&[], 0));
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
        .map(|v| {
            VersionId::parse(&v.version_id).map_err(|_| {
                CliError::other(format!(
                    "the store listed a version id ffce cannot send back: {:?}",
                    v.version_id
                ))
            })
        })
        .collect::<CliResult<_>>()?;
    for id in &ids {
        versioned.delete_version(key, id).await?;
    }
    printer.document(&record(&ids, markers))
}

/// On a versioned bucket, a delete that found nothing may be a second delete: when the
/// latest version is a delete marker, says so, since when, and how to bring the newest
/// kept version back. `None` when it is not (or the versions cannot be listed: the
/// plain "nothing was there" then stands). One ListObjectVersions, only on this path.
async fn already_deleted(
    versioned: &dyn VersionedStore,
    args: &Delete,
    location: &str,
) -> Option<String> {
    let key = &args.target.key;
    let all = versioned.list_versions(key).await.ok()?;
    let marker = all.first().filter(|v| v.is_delete_marker)?;
    let since = marker
        .last_modified
        .map_or_else(|| "an unknown time".to_string(), timestamp);
    let kept = all.iter().find(|v| !v.is_delete_marker);
    let undo = match kept {
        Some(v) => format!(
            "restore with `{}`",
            restore_command(&args.store, key, location, v.version_id.as_str())
        ),
        None => "no earlier version is kept".to_string(),
    };
    Some(format!(
        "{location} is already deleted (latest version is a delete marker since {since}); \
         {undo}; nothing was deleted"
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
