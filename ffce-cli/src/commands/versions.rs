//! `ffce versions`: a device's backup versions and delete markers, newest first.
//! Needs an S3 bucket; on the local store it exits 2.
//!
//! A device with no versions at all (no backup, no delete marker) is not found, exit 3:
//! an empty list would look like success to a script that mistyped the UUID.

use serde_json::json;

use super::store_common::{device_arg, key_argument, object_key, print, print_json};
use crate::cli::VersionsArgs;
use crate::exit::{CliError, CliResult};
use crate::files::group_digits;
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

    if args.json {
        print_json(&json!(
            versions
                .iter()
                .map(|v| json!({
                    "version_id": v.version_id,
                    "is_latest": v.is_latest,
                    "is_delete_marker": v.is_delete_marker,
                    "size": v.size,
                    "last_modified": v.last_modified.map(format_time),
                    "etag": v.etag,
                }))
                .collect::<Vec<_>>()
        ))?;
    } else if !versions.is_empty() {
        let w = versions
            .iter()
            .map(|v| v.version_id.len())
            .max()
            .unwrap_or(0)
            .max("VERSION ID".len());
        let mut out = format!(
            "{:<w$}  {:<6}  {:<13}  {:>9}  {}\n",
            "VERSION ID", "LATEST", "KIND", "SIZE", "LAST MODIFIED"
        );
        for v in &versions {
            out.push_str(&format!(
                "{:<w$}  {:<6}  {:<13}  {:>9}  {}\n",
                v.version_id,
                if v.is_latest { "yes" } else { "" },
                if v.is_delete_marker {
                    "delete marker"
                } else {
                    "backup"
                },
                v.size
                    .map(|s| group_digits(usize::try_from(s).unwrap_or(usize::MAX)))
                    .unwrap_or_else(|| "-".into()),
                v.last_modified.map_or_else(|| "-".into(), format_time),
            ));
        }
        print(&out)?;
    }
    if versions.first().is_some_and(|v| v.is_delete_marker) {
        ui.info(format!(
            "{location} is deleted (its latest version is a delete marker); \
             `ffce restore {} --version-id V` brings a version back",
            key_argument(&key, &location)
        ));
    }
    Ok(())
}
