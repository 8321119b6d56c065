//! `ffce versions`: a device's backup versions and delete markers, newest first.

use schemars::JsonSchema;
use serde::Serialize;

use super::{Human, Record, Style};
use crate::files::group_digits;

/// A device's version history (`ffce versions`), newest first.
#[derive(Debug, Serialize, JsonSchema)]
pub struct VersionList {
    /// The device UUID, lowercase.
    pub device: String,
    /// Where its backup lives (`s3://bucket/key`).
    pub location: String,
    /// Every version and delete marker, newest first.
    pub versions: Vec<Version>,
}

/// One version or delete marker of a device's backup.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Version {
    /// S3's version id.
    pub version_id: String,
    /// Whether this is the current version.
    pub is_latest: bool,
    /// `backup` or `delete_marker`.
    pub kind: VersionKind,
    /// Size in bytes (absent for a delete marker).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    /// When it was written, RFC 3339 UTC to the second.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_modified: Option<String>,
    /// S3's ETag of the stored object, without quotes (not a digest of the content
    /// under SSE-KMS; absent for a delete marker). Not the plaintext digest.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub object_etag: Option<String>,
}

/// What a version is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum VersionKind {
    /// A stored backup.
    Backup,
    /// A delete marker: the device's backup was deleted at that time.
    DeleteMarker,
}

impl Record for VersionList {
    const KIND: &'static str = "versions";

    fn human(&self, out: &mut Human) {
        let w = self
            .versions
            .iter()
            .map(|v| v.version_id.len())
            .max()
            .unwrap_or(0)
            .max("VERSION ID".len());
        let heading = format!(
            "{:<w$}  {:<6}  {:<13}  {:>9}  {}",
            "VERSION ID", "LATEST", "KIND", "SIZE", "LAST MODIFIED"
        );
        out.styled(Style::Heading, &heading).line("");
        for v in &self.versions {
            out.line(&format!(
                "{:<w$}  {:<6}  {:<13}  {:>9}  {}",
                v.version_id,
                if v.is_latest { "yes" } else { "" },
                match v.kind {
                    VersionKind::Backup => "backup",
                    VersionKind::DeleteMarker => "delete marker",
                },
                v.size
                    .map(|s| group_digits(usize::try_from(s).unwrap_or(usize::MAX)))
                    .unwrap_or_else(|| "-".into()),
                v.last_modified.as_deref().unwrap_or("-"),
            ));
        }
    }
}
