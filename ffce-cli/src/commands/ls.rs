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
//! keeps no versions, and a bucket whose versioning was never enabled no delete
//! markers, so on either it is a usage error (exit 2) naming why, never "0 devices".
//!
//! `--jsonl` prints the same records one per line, each page's as soon as that page of
//! the listing arrives (`Store::list_pages`), so the first line comes after one round
//! trip and nothing is held but the page in hand: a fleet of any size lists in the
//! memory of one page. Pages arrive in any order (the prefixes are listed at once);
//! within a page, `device` and `stray_key` records are in key order. Then the `summary`
//! record, each line flushed as it is written. (`ls --deleted --jsonl` prints its
//! records after its listing, sorted.) A listing that fails part-way ends with its
//! error record (exit 1) and no summary, so a reader never takes the lines so far for
//! the whole fleet.

use std::time::SystemTime;

use futures_util::StreamExt as _;

use super::store_common::{list_pages, list_store, stray_explanation, stray_record};
use crate::age::{Cutoff, OlderThan};
use crate::exit::{CliError, CliResult};
use crate::output::listing::{
    DeletedDevice, DeletedListing, DeletedStrayKey, Device, ListSummary, Listing,
};
use crate::output::{Format, Printer, timestamp};
use crate::store_choice::StoreTarget;
use crate::ui::Ui;
use ffce_core::layout::{ListedKey, ObjectKey};
use ffce_store::{ListEntry, ListPace, Store, StoreError};

/// Runs `ffce ls`.
pub async fn run(
    ui: &Ui,
    printer: &mut Printer,
    target: StoreTarget,
    older_than: Option<OlderThan>,
    deleted_only: bool,
) -> CliResult {
    let store = target.open(ui).await?;
    let cutoff = older_than.map(|age| Cutoff::new(age, SystemTime::now()));
    let mut summary = ListSummary {
        store: store.to_string(),
        layout: target.layout.name().to_string(),
        older_than: cutoff.map(|c| c.age().to_string()),
        deleted: deleted_only,
        devices: 0,
        stray_keys: 0,
    };
    if deleted_only {
        return deleted(ui, printer, store.as_ref(), &target, cutoff, summary).await;
    }
    if printer.format() == Format::Jsonl {
        return stream(printer, store.as_ref(), &target, cutoff, summary).await;
    }
    let mut devices = Vec::new();
    let mut strays = Vec::new();
    for entry in list_store(store.as_ref(), &target).await? {
        match ListedKey::classify(&entry.key, target.layout) {
            ListedKey::Backup(key) => {
                if cutoff.is_none_or(|c| c.is_stale(entry.last_modified)) {
                    devices.push(device(store.as_ref(), &key, &entry));
                }
            }
            ListedKey::Stray(reason) => strays.push(stray_record(reason, &entry)),
        }
    }
    devices.sort_by(|a, b| a.device.cmp(&b.device));
    summary.devices = devices.len() as u64;
    summary.stray_keys = strays.len() as u64;
    printer.document(&Listing {
        store: summary.store.clone(),
        layout: summary.layout.clone(),
        older_than: summary.older_than.clone(),
        devices,
        stray_keys: strays,
    })?;
    ui.info(format!(
        "{} device(s) with a backup{} in {} ({} layout){}",
        summary.devices,
        cutoff.map_or_else(String::new, |c| format!(" last written {}", c.phrase())),
        summary.store,
        summary.layout,
        if summary.stray_keys == 0 {
            String::new()
        } else {
            format!(", {} stray key(s)", summary.stray_keys)
        }
    ));
    Ok(())
}

/// A listed device for the records.
fn device(store: &dyn Store, key: &ObjectKey, e: &ListEntry) -> Device {
    Device {
        device: key.device().to_string(),
        key: key.as_string(),
        location: store.describe(key),
        size: e.size,
        last_modified: e.last_modified.map(timestamp),
    }
}

/// `ls --jsonl`: each page's records as the page arrives, then the summary.
async fn stream(
    printer: &mut Printer,
    store: &dyn Store,
    target: &StoreTarget,
    cutoff: Option<Cutoff>,
    mut summary: ListSummary,
) -> CliResult {
    let mut pages = list_pages(store, target, ListPace::Fastest);
    while let Some(page) = pages.next().await {
        for entry in page? {
            // A reader that has gone (`| head`) ends the listing (and `main` exits 7).
            let present = match ListedKey::classify(&entry.key, target.layout) {
                ListedKey::Backup(key) => {
                    if cutoff.is_some_and(|c| !c.is_stale(entry.last_modified)) {
                        continue;
                    }
                    summary.devices += 1;
                    printer.item(&device(store, &key, &entry))?
                }
                ListedKey::Stray(reason) => {
                    summary.stray_keys += 1;
                    printer.item(&stray_record(reason, &entry))?
                }
            };
            if !present {
                return Ok(());
            }
        }
    }
    printer.summary(&summary)
}

/// `ffce ls --deleted`: the devices whose latest version is a delete marker.
async fn deleted(
    ui: &Ui,
    printer: &mut Printer,
    store: &dyn Store,
    target: &StoreTarget,
    cutoff: Option<Cutoff>,
    mut summary: ListSummary,
) -> CliResult {
    let versioned = store.versioned().ok_or_else(|| {
        CliError::usage(
            "ffce ls --deleted needs a versioned S3 bucket (pass --bucket or set \
             FFCE_BUCKET): the local store keeps no versions or delete markers",
        )
    })?;
    let mut devices = Vec::new();
    let mut strays = Vec::new();
    let listed = versioned.list_deleted().await.map_err(|e| match e {
        // The same refusal as the local store's, exit 2: the command asked for what
        // this store cannot hold.
        StoreError::Unversioned { .. } => CliError::usage(format!(
            "ffce ls --deleted needs a versioned S3 bucket: {e}, so it cannot say what was \
             deleted (`ffce bucket check` compares the bucket with docs/SPEC.md §5)"
        )),
        other => other.into(),
    })?;
    for e in listed {
        if cutoff.is_some_and(|c| !c.is_stale(e.deleted_at)) {
            continue;
        }
        match ListedKey::classify(&e.key, target.layout) {
            ListedKey::Backup(key) => devices.push(DeletedDevice {
                device: key.device().to_string(),
                key: key.as_string(),
                location: store.describe(&key),
                deleted_at: e.deleted_at.map(timestamp),
                delete_marker_version_id: e.marker_version_id.to_string(),
            }),
            ListedKey::Stray(reason) => strays.push(DeletedStrayKey {
                key: e.key,
                deleted_at: e.deleted_at.map(timestamp),
                delete_marker_version_id: e.marker_version_id.to_string(),
                reason: reason.code().to_string(),
                explanation: stray_explanation(reason),
            }),
        }
    }
    devices.sort_by(|a, b| a.device.cmp(&b.device));
    summary.devices = devices.len() as u64;
    summary.stray_keys = strays.len() as u64;
    if printer.format() == Format::Jsonl {
        for d in &devices {
            if !printer.item(d)? {
                return Ok(());
            }
        }
        for s in &strays {
            if !printer.item(s)? {
                return Ok(());
            }
        }
        return printer.summary(&summary);
    }
    printer.document(&DeletedListing {
        store: summary.store.clone(),
        layout: summary.layout.clone(),
        older_than: summary.older_than.clone(),
        deleted: true,
        devices,
        stray_keys: strays,
    })?;
    ui.info(format!(
        "{} device(s) whose backup was deleted in {} ({} layout); `ffce versions UUID` \
         shows the versions kept, `ffce restore UUID --version-id V` brings one back",
        summary.devices, summary.store, summary.layout,
    ));
    Ok(())
}
