//! `ffce versions`: a device's backup versions and delete markers, newest first; with
//! `--content`, what each version holds and whether the device would restore it.

use ffce_core::numbers::Count;
use schemars::JsonSchema;
use serde::Serialize;

use super::content::{ContentProblem, printable};
use super::{Human, Record, Style};
use ffce_core::numbers::Grouped;

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
    /// With `--content`, what the version holds (absent for a delete marker).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content: Option<VersionContent>,
}

/// What one version holds (`ffce versions --content`). Names and counts only: never a
/// value from the backup.
#[derive(Debug, Default, Serialize, JsonSchema)]
pub struct VersionContent {
    /// What the check found.
    pub verdict: ContentVerdict,
    /// Why, for a verdict other than `authentic` and `unchecked`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// True when it authenticates and the device would restore it as it is (absent
    /// without a key).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub restorable: Option<bool>,
    /// `data.databaseName` of the export.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database_name: Option<String>,
    /// `data.databaseVersion` of the export.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database_version: Option<serde_json::Number>,
    /// Each table and its rows.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tables: Option<Vec<TableRows>>,
    /// Rows in all tables.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total_rows: Option<u64>,
    /// Why the device would not restore it (`not_json`, `nul_byte`, `not_dexie`,
    /// `wrong_database`, ...); empty when it would, or without a key.
    pub restore_problems: Vec<ContentProblem>,
}

/// A table's name and row count.
#[derive(Debug, Serialize, JsonSchema)]
pub struct TableRows {
    /// The table.
    pub name: String,
    /// Rows present.
    pub rows: u64,
}

/// What checking a version found.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ContentVerdict {
    /// The key authenticated it (see `restorable` for the content).
    Authentic,
    /// A valid blob that the key does not authenticate.
    NotAuthentic,
    /// Authentic, but its plaintext's SHA-256 differs from the object's `etag` metadata.
    DigestMismatch,
    /// Not a valid FFCE blob (too short, wrong magic, wrong length, ...).
    NotABlob,
    /// A valid blob, not authenticated: no key was given.
    #[default]
    Unchecked,
    /// It could not be downloaded (`reason` says why).
    Unreadable,
}

impl VersionContent {
    /// One cell for the human table.
    fn describe(&self) -> String {
        let why = |text: &str| match &self.reason {
            Some(r) => format!("{text} ({})", printable(r)),
            None => text.to_string(),
        };
        match self.verdict {
            ContentVerdict::Unchecked => "valid blob, not checked (no key)".to_string(),
            ContentVerdict::NotAuthentic => why("NOT AUTHENTIC"),
            ContentVerdict::DigestMismatch => why("DIGEST MISMATCH"),
            ContentVerdict::NotABlob => why("NOT A BLOB"),
            ContentVerdict::Unreadable => why("UNREADABLE"),
            ContentVerdict::Authentic if !self.restore_problems.is_empty() => {
                let codes: Vec<&str> = self
                    .restore_problems
                    .iter()
                    .map(|p| p.code.as_str())
                    .collect();
                format!("authentic, NOT RESTORABLE: {}", codes.join(", "))
            }
            ContentVerdict::Authentic => {
                let mut text = String::from("authentic");
                if let Some(v) = &self.database_version {
                    text.push_str(&format!(", database version {v}"));
                }
                if let Some(tables) = &self.tables {
                    text.push_str(&format!(", {}", Count(tables.len() as u64, "table")));
                }
                if let Some(rows) = self.total_rows {
                    text.push_str(&format!(", {}", Count(rows, "row")));
                }
                text
            }
        }
    }

    /// Whether the human table shows it as a failure.
    fn is_bad(&self) -> bool {
        !matches!(
            self.verdict,
            ContentVerdict::Authentic | ContentVerdict::Unchecked
        ) || !self.restore_problems.is_empty()
    }
}

/// The closing record of `ffce versions --jsonl`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct VersionsSummary {
    /// The device UUID, lowercase.
    pub device: String,
    /// Where its backup lives.
    pub location: String,
    /// Versions and delete markers listed.
    pub versions: u64,
    /// With `--content` and a key: how many authenticate and would be restored.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub restorable: Option<u64>,
}

impl Record for VersionsSummary {
    const KIND: &'static str = "versions_summary";

    fn human(&self, out: &mut Human) {
        out.line(&format!("{}", Count(self.versions, "version")));
    }
}

impl Record for Version {
    const KIND: &'static str = "version";

    fn human(&self, out: &mut Human) {
        out.line(&self.version_id);
    }
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
        let with_content = self.versions.iter().any(|v| v.content.is_some());
        let mut heading = format!(
            "{:<w$}  {:<6}  {:<13}  {:>9}  {:<20}",
            "VERSION ID", "LATEST", "KIND", "SIZE", "LAST MODIFIED"
        );
        if with_content {
            heading.push_str("  CONTENT");
        }
        out.styled(Style::Heading, heading.trim_end()).line("");
        for v in &self.versions {
            let line = format!(
                "{:<w$}  {:<6}  {:<13}  {:>9}  {:<20}",
                v.version_id,
                if v.is_latest { "yes" } else { "" },
                match v.kind {
                    VersionKind::Backup => "backup",
                    VersionKind::DeleteMarker => "delete marker",
                },
                v.size
                    .map(|s| Grouped(s).to_string())
                    .unwrap_or_else(|| "-".into()),
                v.last_modified.as_deref().unwrap_or("-"),
            );
            match &v.content {
                Some(c) if with_content => {
                    out.push(&line).push("  ");
                    let style = if c.is_bad() { Style::Bad } else { Style::Plain };
                    out.styled(style, &c.describe()).line("");
                }
                _ => {
                    out.line(line.trim_end());
                }
            }
        }
    }
}
