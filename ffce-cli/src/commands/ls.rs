//! `ffce ls`: every device that has a backup in the store.
//!
//! Keys that are not backups in the chosen layout (the other layout, an uppercase
//! UUID, anything else) are listed separately as stray keys with the reason, never
//! hidden. Pagination is the store's business (`ffce_store::Store::list`).

use serde_json::json;

use super::store_common::{list_store, print, print_json, stray_explanation};
use crate::cli::LsArgs;
use crate::exit::CliResult;
use crate::files::group_digits;
use crate::store_choice;
use crate::ui::Ui;
use ffce_core::{Layout, ListedKey};
use ffce_store::{ListEntry, format_time};

/// Runs `ffce ls`.
pub async fn run(ui: Ui, args: LsArgs) -> CliResult {
    let layout = Layout::from(args.store.layout);
    let store = store_choice::open(&ui, &args.store).await?;
    let root = store.describe_root();
    let mut devices = Vec::new();
    let mut strays = Vec::new();
    for entry in list_store(store.as_ref(), &args.store).await? {
        match ListedKey::classify(&entry.key, layout) {
            ListedKey::Backup(key) => devices.push((key, entry)),
            ListedKey::Stray(reason) => strays.push((reason, entry)),
        }
    }
    devices.sort_by_key(|(key, _)| key.device());

    if args.json {
        return print_json(&json!({
            "store": root,
            "layout": layout.name(),
            "devices": devices.iter().map(|(key, e)| json!({
                "uuid": key.device().to_string(),
                "key": key.as_string(),
                "location": store.describe(key),
                "size": e.size,
                "last_modified": e.last_modified.map(format_time),
            })).collect::<Vec<_>>(),
            "stray_keys": strays.iter().map(|(reason, e)| json!({
                "key": e.key,
                "size": e.size,
                "last_modified": e.last_modified.map(format_time),
                "reason": reason.code(),
                "explanation": stray_explanation(*reason),
            })).collect::<Vec<_>>(),
        }));
    }

    let mut out = String::new();
    if !devices.is_empty() {
        // The SIZE column is as wide as its widest value, so a 10-digit size (13
        // characters grouped) cannot push the later columns out of line.
        let sizes: Vec<String> = devices.iter().map(|(_, e)| group_digits(size(e))).collect();
        let width = sizes.iter().map(String::len).max().unwrap_or(0).max(9);
        out.push_str(&format!(
            "{:<36}  {:>width$}  {:<24}  {}\n",
            "UUID", "SIZE", "LAST MODIFIED", "KEY"
        ));
        for ((key, e), size) in devices.iter().zip(&sizes) {
            out.push_str(&format!(
                "{:<36}  {size:>width$}  {:<24}  {}\n",
                key.device(),
                modified(e),
                key
            ));
        }
    }
    if !strays.is_empty() {
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(&format!(
            "stray keys (not backups in the {} layout):\n",
            layout.name()
        ));
        for (reason, e) in &strays {
            out.push_str(&format!(
                "  {}  ({}, {}): {}\n",
                e.key,
                ffce_core::bytes(size(e)),
                modified(e),
                stray_explanation(*reason)
            ));
        }
    }
    print(&out)?;
    ui.info(format!(
        "{} device(s) with a backup in {root} ({} layout){}",
        devices.len(),
        layout.name(),
        if strays.is_empty() {
            String::new()
        } else {
            format!(", {} stray key(s)", strays.len())
        }
    ));
    Ok(())
}

fn size(e: &ListEntry) -> usize {
    usize::try_from(e.size).unwrap_or(usize::MAX)
}

fn modified(e: &ListEntry) -> String {
    e.last_modified.map_or_else(|| "-".to_string(), format_time)
}
