//! `ffce ls` (and the stray keys `ffce audit` lists too): devices with a backup, the
//! devices whose backup was deleted, and the keys that are not backups of the layout.

use ffce_core::numbers::{Count, Grouped};
use schemars::JsonSchema;
use serde::Serialize;

use super::{Human, Record, Style};

/// A device with a backup.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Device {
    /// The device UUID, lowercase.
    pub device: String,
    /// Its backup's object key.
    pub key: String,
    /// Where the backup is.
    pub location: String,
    /// Size in bytes.
    pub size: u64,
    /// When it was last written, RFC 3339 UTC.
    pub last_modified: Option<String>,
}

impl Record for Device {
    const KIND: &'static str = "device";

    fn human(&self, out: &mut Human) {
        out.line(&format!(
            "{:<36}  {:>9}  {:<24}  {}",
            self.device,
            Grouped(self.size),
            self.last_modified.as_deref().unwrap_or("-"),
            self.key
        ));
    }
}

/// A key that is not a backup of the layout, with the reason.
#[derive(Debug, Serialize, JsonSchema)]
pub struct StrayKey {
    /// The key as listed.
    pub key: String,
    /// Size in bytes.
    pub size: u64,
    /// When it was last written, RFC 3339 UTC.
    pub last_modified: Option<String>,
    /// Why it is not a backup: `other_layout`, `not_canonical`, `not_a_uuid`, ...
    pub reason: String,
    /// The reason in words, with the command that shows it when there is one.
    pub explanation: String,
}

impl Record for StrayKey {
    const KIND: &'static str = "stray_key";

    fn human(&self, out: &mut Human) {
        out.line(&format!(
            "  {}  ({}, {}): {}",
            self.key,
            Count(self.size, "byte"),
            self.last_modified.as_deref().unwrap_or("-"),
            self.explanation
        ));
    }
}

/// What was listed, and how many: the closing record of `ffce ls --jsonl`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ListSummary {
    /// The store (`s3://bucket` or a folder).
    pub store: String,
    /// The layout listed (`nested`, `flat`).
    pub layout: String,
    /// `--older-than`, when given (only older backups are listed): an age (`30d`) or a
    /// cut-off time in RFC 3339 UTC.
    pub older_than: Option<String>,
    /// True for `ffce ls --deleted`.
    pub deleted: bool,
    /// Devices listed.
    pub devices: u64,
    /// Stray keys listed.
    pub stray_keys: u64,
}

impl Record for ListSummary {
    const KIND: &'static str = "summary";

    fn human(&self, out: &mut Human) {
        out.line(&format!(
            "{} device(s), {} stray key(s)",
            self.devices, self.stray_keys
        ));
    }
}

/// `ffce ls --json`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Listing {
    /// The store (`s3://bucket` or a folder).
    pub store: String,
    /// The layout listed.
    pub layout: String,
    /// `--older-than`, when given: an age (`30d`) or a cut-off time in RFC 3339 UTC.
    pub older_than: Option<String>,
    /// The devices, by UUID.
    pub devices: Vec<Device>,
    /// The stray keys, in key order.
    pub stray_keys: Vec<StrayKey>,
}

impl Record for Listing {
    const KIND: &'static str = "listing";

    /// A table; the SIZE column is as wide as its widest value, so a 10-digit size
    /// cannot push the later columns out of line.
    fn human(&self, out: &mut Human) {
        if !self.devices.is_empty() {
            let sizes: Vec<String> = self
                .devices
                .iter()
                .map(|d| Grouped(d.size).to_string())
                .collect();
            let width = sizes.iter().map(String::len).max().unwrap_or(0).max(9);
            out.styled(
                Style::Heading,
                &format!(
                    "{:<36}  {:>width$}  {:<24}  {}",
                    "UUID", "SIZE", "LAST MODIFIED", "KEY"
                ),
            )
            .line("");
            for (d, size) in self.devices.iter().zip(&sizes) {
                out.line(&format!(
                    "{:<36}  {size:>width$}  {:<24}  {}",
                    d.device,
                    d.last_modified.as_deref().unwrap_or("-"),
                    d.key
                ));
            }
        }
        strays(
            out,
            !self.devices.is_empty(),
            &format!("stray keys (not backups in the {} layout)", self.layout),
            &self.stray_keys,
        );
    }
}

/// The stray keys' section of a listing for people: a blank line after what came
/// before, `title:`, then one indented line per key. Nothing when there is none.
fn strays<R: Record>(out: &mut Human, after: bool, title: &str, keys: &[R]) {
    if keys.is_empty() {
        return;
    }
    if after {
        out.line("");
    }
    out.line(&format!("{title}:"));
    for k in keys {
        k.human(out);
    }
}

/// A device whose latest version is a delete marker (`ffce ls --deleted`).
#[derive(Debug, Serialize, JsonSchema)]
pub struct DeletedDevice {
    /// The device UUID, lowercase.
    pub device: String,
    /// Its backup's object key.
    pub key: String,
    /// Where the backup was.
    pub location: String,
    /// When it was deleted (the delete marker's time), RFC 3339 UTC.
    pub deleted_at: Option<String>,
    /// The delete marker's version id.
    pub delete_marker_version_id: String,
}

impl Record for DeletedDevice {
    const KIND: &'static str = "deleted_device";

    fn human(&self, out: &mut Human) {
        out.line(&format!(
            "{:<36}  {:<20}  {}",
            self.device,
            self.deleted_at.as_deref().unwrap_or("-"),
            self.key
        ));
    }
}

/// A deleted key that is not a backup of the layout (`ffce ls --deleted`).
#[derive(Debug, Serialize, JsonSchema)]
pub struct DeletedStrayKey {
    /// The key as listed.
    pub key: String,
    /// When it was deleted, RFC 3339 UTC.
    pub deleted_at: Option<String>,
    /// The delete marker's version id.
    pub delete_marker_version_id: String,
    /// Why it is not a backup.
    pub reason: String,
    /// The reason in words.
    pub explanation: String,
}

impl Record for DeletedStrayKey {
    const KIND: &'static str = "deleted_stray_key";

    fn human(&self, out: &mut Human) {
        out.line(&format!(
            "  {}  (deleted {}): {}",
            self.key,
            self.deleted_at.as_deref().unwrap_or("-"),
            self.explanation
        ));
    }
}

/// `ffce ls --deleted --json`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct DeletedListing {
    /// The store.
    pub store: String,
    /// The layout listed.
    pub layout: String,
    /// `--older-than`, when given (only those deleted longer ago, or before that time,
    /// are listed): an age (`30d`) or a cut-off time in RFC 3339 UTC.
    pub older_than: Option<String>,
    /// Always true.
    pub deleted: bool,
    /// The devices, by UUID.
    pub devices: Vec<DeletedDevice>,
    /// The stray keys, in key order.
    pub stray_keys: Vec<DeletedStrayKey>,
}

impl Record for DeletedListing {
    const KIND: &'static str = "deleted_listing";

    fn human(&self, out: &mut Human) {
        if !self.devices.is_empty() {
            out.styled(
                Style::Heading,
                &format!("{:<36}  {:<20}  {}", "UUID", "DELETED AT", "KEY"),
            )
            .line("");
            for d in &self.devices {
                d.human(out);
            }
        }
        strays(
            out,
            !self.devices.is_empty(),
            &format!(
                "deleted stray keys (not backups in the {} layout)",
                self.layout
            ),
            &self.stray_keys,
        );
    }
}
