//! `ffce versions`: a device's backup versions and delete markers, newest first.
//! Needs an S3 bucket; on the local store it exits 2.
//!
//! A device with no versions at all (no backup, no delete marker) is not found, exit 3:
//! an empty list would look like success to a script that mistyped the UUID.

use super::store_common::{device_arg, key_argument, object_key};
use crate::cli::VersionsArgs;
use crate::exit::{CliError, CliResult};
use crate::output::Printer;
use crate::output::versions::{Version, VersionKind, VersionList};
use crate::store_choice;
use crate::ui::Ui;
use ffce_store::format_time;

/// Runs `ffce versions`.
pub async fn run(ui: Ui, args: VersionsArgs) -> CliResult {
    let device = device_arg(&args.uuid)?;
    let key = object_key(device, &args.store);
    let store = store_choice::open(&ui, &args.store).await?;
    let versioned = store
        .versioned()
        .ok_or_else(|| CliError::needs_bucket("ffce versions"))?;
    let location = store.describe(&key);
    let versions = versioned.list_versions(&key).await?;
    if versions.is_empty() {
        return Err(CliError::not_found(format!(
            "device {device} has no backup and no versions: nothing at {location}"
        )));
    }
    let deleted = versions.first().is_some_and(|v| v.is_delete_marker);

    let list = VersionList {
        device: device.to_string(),
        location: location.clone(),
        versions: versions
            .into_iter()
            .map(|v| Version {
                version_id: v.version_id,
                is_latest: v.is_latest,
                kind: if v.is_delete_marker {
                    VersionKind::DeleteMarker
                } else {
                    VersionKind::Backup
                },
                size: v.size,
                last_modified: v.last_modified.map(format_time),
                object_etag: v.etag,
            })
            .collect(),
    };
    Printer::new(args.output.format(), &ui).document(&list)?;
    if deleted {
        ui.info(format!(
            "{location} is deleted (its latest version is a delete marker); \
             `ffce restore {} --version-id V` brings a version back",
            key_argument(&key, &location)
        ));
    }
    Ok(())
}
