//! `ffce ls`: every device that has a backup in the store.
//!
//! Keys that are not backups in the chosen layout (the other layout, an uppercase
//! UUID, anything else) are listed separately as stray keys with the reason, never
//! hidden. Pagination is the store's business (`ffce_store::Store::list`; on S3 the
//! sixteen UUID prefixes and the keys outside the layout are listed at once, and put
//! back in key order).
//!
//! `--older-than DURATION` keeps only the devices whose backup was last written more
//! than that long ago (as of the listing): the ones that stopped backing up.
//!
//! `--deleted` lists instead the devices whose latest version is a delete marker, with
//! the marker's time and version id (`VersionedStore::list_deleted`); the local store
//! keeps no versions, so there it is a usage error.
//!
//! `--jsonl` prints the same records one per line, each page's as soon as that page of
//! the listing arrives (`Store::list_pages`), so the first line comes after one round
//! trip and nothing is held but the page in hand: a fleet of any size lists in the
//! memory of one page. Pages arrive in any order (the prefixes are listed at once);
//! within a page, devices and `{"stray_key": ..}` lines are in key order. Then
//! `{"summary": {..}}`, each line flushed as it is written. (`ls --deleted --jsonl`
//! prints the same kinds of lines after its listing, sorted.)

use serde_json::{Value, json};

use futures_util::StreamExt as _;

use super::store_common::{
    list_pages, list_store, print, print_json, print_json_line, stray_explanation,
};
use crate::cli::LsArgs;
use crate::exit::{CliError, CliResult};
use crate::files::group_digits;
use crate::store_choice;
use crate::ui::Ui;
use ffce_core::{Layout, ListedKey, ObjectKey, StrayReason};
use ffce_store::stale::Cutoff;
use ffce_store::{DeletedEntry, ListEntry, ListPace, Store, format_time};
use std::time::SystemTime;

/// Runs `ffce ls`.
pub async fn run(ui: Ui, args: LsArgs) -> CliResult {
    let layout = Layout::from(args.store.layout);
    let store = store_choice::open(&ui, &args.store).await?;
    let root = store.describe_root();
    let cutoff = args
        .older_than
        .map(|age| Cutoff::new(age, SystemTime::now()));
    if args.deleted {
        return deleted(&ui, &args, store.as_ref(), layout, cutoff).await;
    }
    let head = json!({
        "store": root,
        "layout": layout.name(),
        "older_than": cutoff.map(|c| c.age().to_string()),
    });
    if args.jsonl {
        return stream_lines(store.as_ref(), &args, layout, cutoff, head).await;
    }
    let mut devices = Vec::new();
    let mut strays = Vec::new();
    for entry in list_store(store.as_ref(), &args.store).await? {
        match ListedKey::classify(&entry.key, layout) {
            ListedKey::Backup(key) => {
                if cutoff.is_none_or(|c| c.is_stale(entry.last_modified)) {
                    devices.push((key, entry));
                }
            }
            ListedKey::Stray(reason) => strays.push((reason, entry)),
        }
    }
    devices.sort_by_key(|(key, _)| key.device());

    if args.json {
        return print_records(
            false,
            head,
            devices
                .iter()
                .map(|(key, e)| device_json(store.as_ref(), key, e)),
            strays.iter().map(|(reason, e)| stray_json(*reason, e)),
        );
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
    push_strays(
        &mut out,
        &format!("stray keys (not backups in the {} layout)", layout.name()),
        strays.iter().map(|(reason, e)| {
            format!(
                "{}  ({}, {}): {}",
                e.key,
                ffce_core::bytes(size(e)),
                modified(e),
                stray_explanation(*reason)
            )
        }),
    );
    print(&out)?;
    ui.info(format!(
        "{} device(s) with a backup{} in {root} ({} layout){}",
        devices.len(),
        cutoff.map_or_else(String::new, |c| format!(
            " last written more than {} ago",
            c.age()
        )),
        layout.name(),
        if strays.is_empty() {
            String::new()
        } else {
            format!(", {} stray key(s)", strays.len())
        }
    ));
    Ok(())
}

/// A listed device for a program.
fn device_json(store: &dyn Store, key: &ObjectKey, e: &ListEntry) -> Value {
    json!({
        "uuid": key.device().to_string(),
        "key": key.as_string(),
        "location": store.describe(key),
        "size": e.size,
        "last_modified": e.last_modified.map(format_time),
    })
}

/// A listed stray key for a program.
fn stray_json(reason: StrayReason, e: &ListEntry) -> Value {
    json!({
        "key": e.key,
        "size": e.size,
        "last_modified": e.last_modified.map(format_time),
        "reason": reason.code(),
        "explanation": stray_explanation(reason),
    })
}

/// `ls --jsonl`: each page's lines as the page arrives, then the summary. A listing
/// that fails part-way ends with its error (exit 1) and no summary line, so a reader
/// never takes the lines so far for the whole fleet.
async fn stream_lines(
    store: &dyn Store,
    args: &LsArgs,
    layout: Layout,
    cutoff: Option<Cutoff>,
    head: Value,
) -> CliResult {
    let mut devices = 0u64;
    let mut strays = 0u64;
    let mut pages = list_pages(store, &args.store, ListPace::Fastest);
    while let Some(page) = pages.next().await {
        for entry in page? {
            let line = match ListedKey::classify(&entry.key, layout) {
                ListedKey::Backup(key) => {
                    if cutoff.is_some_and(|c| !c.is_stale(entry.last_modified)) {
                        continue;
                    }
                    devices += 1;
                    device_json(store, &key, &entry)
                }
                ListedKey::Stray(reason) => {
                    strays += 1;
                    json!({ "stray_key": stray_json(reason, &entry) })
                }
            };
            // A reader that has gone (`| head`) ends the listing; that is not an error.
            if !print_json_line(&line)? {
                return Ok(());
            }
        }
    }
    let mut summary = head;
    summary["devices"] = json!(devices);
    summary["stray_keys"] = json!(strays);
    print_json_line(&json!({ "summary": summary })).map(drop)
}

/// Appends the stray keys' section of a listing for people: a blank line after the
/// devices, `title:`, then one indented line per key. Nothing when there is none.
fn push_strays(out: &mut String, title: &str, lines: impl ExactSizeIterator<Item = String>) {
    if lines.len() == 0 {
        return;
    }
    if !out.is_empty() {
        out.push('\n');
    }
    out.push_str(&format!("{title}:\n"));
    for line in lines {
        out.push_str(&format!("  {line}\n"));
    }
}

/// The listing for a program, shared by `ls` and `ls --deleted`: with `--json` one
/// object, `head` with the `devices` and `stray_keys` arrays; with `--jsonl` one line
/// per record ([`print_lines`]).
fn print_records(
    jsonl: bool,
    head: Value,
    devices: impl Iterator<Item = Value>,
    strays: impl Iterator<Item = Value>,
) -> CliResult {
    if jsonl {
        return print_lines(head, devices, strays);
    }
    let mut out = head;
    out["devices"] = devices.collect();
    out["stray_keys"] = strays.collect();
    print_json(&out)
}

/// JSON Lines: each device, each stray key (`{"stray_key": ..}`), then
/// `{"summary": head + the counts}`.
fn print_lines(
    head: Value,
    devices: impl Iterator<Item = Value>,
    strays: impl Iterator<Item = Value>,
) -> CliResult {
    let mut summary = head;
    let mut count = 0u64;
    // A reader that has gone (`| head`) ends the listing; that is not an error.
    for d in devices {
        if !print_json_line(&d)? {
            return Ok(());
        }
        count += 1;
    }
    let mut stray_count = 0u64;
    for s in strays {
        if !print_json_line(&json!({ "stray_key": s }))? {
            return Ok(());
        }
        stray_count += 1;
    }
    summary["devices"] = json!(count);
    summary["stray_keys"] = json!(stray_count);
    print_json_line(&json!({ "summary": summary })).map(drop)
}

fn size(e: &ListEntry) -> usize {
    usize::try_from(e.size).unwrap_or(usize::MAX)
}

fn modified(e: &ListEntry) -> String {
    e.last_modified.map_or_else(|| "-".to_string(), format_time)
}

/// `ffce ls --deleted`: the devices whose latest version is a delete marker.
async fn deleted(
    ui: &Ui,
    args: &LsArgs,
    store: &dyn Store,
    layout: Layout,
    cutoff: Option<Cutoff>,
) -> CliResult {
    let versioned = store.versioned().ok_or_else(|| {
        CliError::usage(
            "ffce ls --deleted needs a versioned S3 bucket (pass --bucket or set \
             FFCE_BUCKET): the local store keeps no versions or delete markers",
        )
    })?;
    let root = store.describe_root();
    let mut devices = Vec::new();
    let mut strays = Vec::new();
    for entry in versioned.list_deleted().await? {
        if cutoff.is_some_and(|c| !c.is_stale(entry.deleted_at)) {
            continue;
        }
        match ListedKey::classify(&entry.key, layout) {
            ListedKey::Backup(key) => devices.push((key, entry)),
            ListedKey::Stray(reason) => strays.push((reason, entry)),
        }
    }
    devices.sort_by_key(|(key, _)| key.device());
    let when = |e: &DeletedEntry| e.deleted_at.map_or_else(|| "-".to_string(), format_time);

    let device_json = |key: &ObjectKey, e: &DeletedEntry| {
        json!({
            "uuid": key.device().to_string(),
            "key": key.as_string(),
            "location": store.describe(key),
            "deleted_at": e.deleted_at.map(format_time),
            "delete_marker_version_id": e.marker_version_id,
        })
    };
    let stray_json = |reason: StrayReason, e: &DeletedEntry| {
        json!({
            "key": e.key,
            "deleted_at": e.deleted_at.map(format_time),
            "delete_marker_version_id": e.marker_version_id,
            "reason": reason.code(),
            "explanation": stray_explanation(reason),
        })
    };
    let head = json!({
        "store": root,
        "layout": layout.name(),
        "older_than": cutoff.map(|c| c.age().to_string()),
        "deleted": true,
    });
    if args.json || args.jsonl {
        return print_records(
            args.jsonl,
            head,
            devices.iter().map(|(key, e)| device_json(key, e)),
            strays.iter().map(|(reason, e)| stray_json(*reason, e)),
        );
    }

    let mut out = String::new();
    if !devices.is_empty() {
        out.push_str(&format!(
            "{:<36}  {:<20}  {}\n",
            "UUID", "DELETED AT", "KEY"
        ));
        for (key, e) in &devices {
            out.push_str(&format!("{:<36}  {:<20}  {}\n", key.device(), when(e), key));
        }
    }
    push_strays(
        &mut out,
        &format!(
            "deleted stray keys (not backups in the {} layout)",
            layout.name()
        ),
        strays.iter().map(|(reason, e)| {
            format!(
                "{}  (deleted {}): {}",
                e.key,
                when(e),
                stray_explanation(*reason)
            )
        }),
    );
    print(&out)?;
    ui.info(format!(
        "{} device(s) whose backup was deleted in {root} ({} layout); `ffce versions UUID` \
         shows the versions kept, `ffce restore UUID --version-id V` brings one back",
        devices.len(),
        layout.name(),
    ));
    Ok(())
}
