//! `ffce restore`: make an older version the latest again by a server-side copy, which
//! also undoes a delete (issue 4). Needs an S3 bucket; on the local store it exits 2.
//! A missing version (or a delete marker's id) exits 3.

use serde_json::json;

use super::store_common::{device_arg, object_key, print, print_json, version_arg};
use crate::cli::RestoreArgs;
use crate::exit::{CliError, CliResult};

use crate::store_choice;
use crate::ui::Ui;

/// Runs `ffce restore`.
pub async fn run(ui: Ui, args: RestoreArgs) -> CliResult {
    let device = device_arg(&args.uuid)?;
    let key = object_key(device, &args.store);
    let version = version_arg(&args.version_id)?;
    let store = store_choice::open_for_change(&ui, &args.store).await?;
    let versioned = store
        .versioned()
        .ok_or_else(|| CliError::needs_bucket("ffce restore"))?;
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
