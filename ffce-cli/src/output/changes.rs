//! What the commands that change a device's backup report: `ffce put`, `ffce restore`
//! and the three forms of `ffce delete`.

use ffce_core::numbers::{Count, bytes};
use schemars::JsonSchema;
use serde::Serialize;

use super::{Human, Record};

/// `ffce put`: where the backup went.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Stored {
    /// The device UUID, lowercase.
    pub device: String,
    /// The object key written.
    pub key: String,
    /// False when a conditional put found the identical backup already there and
    /// wrote nothing.
    pub written: bool,
    /// Where the backup is (`s3://bucket/key` or a local path).
    pub location: String,
    /// Size of the blob in bytes.
    pub size: usize,
    /// The object ETag, what `--if-match` takes: S3's ETag of the stored object, the
    /// blob's SHA-256 on the local store. Not the plaintext digest.
    pub object_etag: Option<String>,
    /// S3's version id (`null` on an unversioned bucket or the local store).
    pub version_id: Option<String>,
    /// SHA-256 of the blob in hex (sent as S3's checksum).
    pub content_sha256: String,
    /// The plaintext digest: SHA-256 of the plaintext in hex, stored as the object's
    /// `etag` metadata (what the device API serves as its ETag); `null` when the
    /// plaintext is not known (a blob uploaded as it is, without a key).
    pub plaintext_digest: Option<String>,
}

impl Record for Stored {
    const KIND: &'static str = "stored";

    /// Three digests, each named for what it is: the object ETag (what `--if-match`
    /// takes; on the local store the blob's SHA-256, so that is shown once), the
    /// blob's SHA-256, and the plaintext digest (the `etag` metadata the device API
    /// serves as its ETag).
    fn human(&self, out: &mut Human) {
        let mut row = |label: &str, value: &str| {
            out.line(&format!("{label:<17}{value}"));
        };
        if self.written {
            row("stored", &self.location);
        } else {
            row(
                "unchanged",
                &format!(
                    "{}: the identical backup was already there; nothing was written",
                    self.location
                ),
            );
        }
        row("size", &bytes(self.size).to_string());
        if let Some(etag) = &self.object_etag {
            row("object ETag", &format!("{etag} (for --if-match)"));
        }
        if let Some(v) = &self.version_id {
            row("version", v);
        }
        // The local store's ETag is the blob's SHA-256, and it keeps no metadata.
        let local = self.object_etag.as_deref() == Some(self.content_sha256.as_str());
        if !local {
            row("blob sha256", &self.content_sha256);
        }
        if let Some(d) = &self.plaintext_digest {
            let stored = if local {
                "(the local store keeps no metadata)"
            } else {
                "(`etag` metadata)"
            };
            row("plaintext digest", &format!("{d} {stored}"));
        }
    }
}

/// `ffce restore`: the version made latest again.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Restored {
    /// The device UUID, lowercase.
    pub device: String,
    /// Where the backup is.
    pub location: String,
    /// The version that was copied.
    pub restored_version_id: String,
    /// The new latest version the copy made.
    pub version_id: Option<String>,
    /// S3's ETag of the new latest version.
    pub object_etag: Option<String>,
}

impl Record for Restored {
    const KIND: &'static str = "restored";

    fn human(&self, out: &mut Human) {
        let mut text = format!(
            "restored version {} of {} as the latest",
            self.restored_version_id, self.location
        );
        if let Some(v) = &self.version_id {
            text.push_str(&format!(" (new version {v})"));
        }
        out.line(&text);
    }
}

/// `ffce delete UUID`: what a plain delete did.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Deleted {
    /// The device UUID, lowercase.
    pub device: String,
    /// Where the backup was.
    pub location: String,
    /// Whether there was a backup to delete (a delete of nothing succeeds too).
    pub existed: bool,
    /// True on a versioned bucket: the data is kept, hidden by a delete marker.
    pub delete_marker_added: bool,
    /// The delete marker's version id.
    pub delete_marker_version_id: Option<String>,
    /// The version the delete marker hides.
    pub previous_version_id: Option<String>,
    /// The exact `ffce restore` command that undoes the delete, when there is one.
    pub undo: Option<String>,
    /// When no `undo` command can be given: how to undo it (`ffce versions ...`).
    #[serde(skip)]
    pub versions_command: String,
}

impl Record for Deleted {
    const KIND: &'static str = "deleted";

    fn human(&self, out: &mut Human) {
        if !self.existed {
            return;
        }
        if !self.delete_marker_added {
            out.line(&format!(
                "deleted {} permanently (this store keeps no versions)",
                self.location
            ));
            return;
        }
        out.line(&format!(
            "deleted {}: the bucket is versioned, so a delete marker{} was added and the \
             earlier versions are kept",
            self.location,
            self.delete_marker_version_id
                .as_deref()
                .map(|v| format!(" (version {v})"))
                .unwrap_or_default()
        ));
        match &self.undo {
            Some(cmd) => out.line(&format!("undo with: {cmd}")),
            None => out.line(&format!(
                "undo: pick a version from `{}` and `ffce restore` it",
                self.versions_command
            )),
        };
    }
}

/// `ffce delete UUID --version-id V`: the one version permanently deleted.
#[derive(Debug, Serialize, JsonSchema)]
pub struct VersionDeleted {
    /// The device UUID, lowercase.
    pub device: String,
    /// Where the backup is.
    pub location: String,
    /// The version deleted.
    pub version_id: String,
    /// Whether it was a delete marker (deleting the latest one undeletes the backup).
    pub was_delete_marker: bool,
    /// Whether it was the latest version.
    pub was_latest: bool,
    /// Its size in bytes (`null` for a delete marker or when the listing gave none).
    pub size: Option<u64>,
    /// Whether the device has a visible backup now.
    pub backup_visible: bool,
}

impl Record for VersionDeleted {
    const KIND: &'static str = "version_deleted";

    fn human(&self, out: &mut Human) {
        out.line(&format!(
            "permanently deleted {} {} of {}",
            version_kind(self.was_delete_marker, self.size),
            self.version_id,
            self.location
        ));
        if self.was_latest && self.was_delete_marker && self.backup_visible {
            out.line("the backup is visible again (undeleted)");
        }
    }
}

/// "delete marker", or "backup version (5,729 bytes)".
pub fn version_kind(delete_marker: bool, size: Option<u64>) -> String {
    if delete_marker {
        "delete marker".to_string()
    } else {
        let size = size.map_or("? bytes".into(), |s| Count(s, "byte").to_string());
        format!("backup version ({size})")
    }
}

/// `ffce delete UUID --all-versions`: every version and delete marker deleted.
#[derive(Debug, Serialize, JsonSchema)]
pub struct AllVersionsDeleted {
    /// The device UUID, lowercase.
    pub device: String,
    /// Where the backup was.
    pub location: String,
    /// How many versions and delete markers were deleted.
    pub deleted: usize,
    /// Of them, delete markers.
    pub delete_markers: usize,
    /// Their version ids, newest first.
    pub versions: Vec<String>,
}

impl Record for AllVersionsDeleted {
    const KIND: &'static str = "all_versions_deleted";

    fn human(&self, out: &mut Human) {
        if self.deleted == 0 {
            return;
        }
        out.line(&format!(
            "permanently deleted {} version(s) and {} delete marker(s) of {}",
            self.deleted - self.delete_markers,
            self.delete_markers,
            self.location
        ));
    }
}
