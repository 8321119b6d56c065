//! `ffce audit`: one finding per backup, the stray keys, and what ran with its totals.

use std::collections::BTreeMap;

use ffce_core::numbers::{Count, Grouped};
use ffce_store::audit::Status;
use schemars::JsonSchema;
use serde::Serialize;

use super::listing::StrayKey;
use super::report::ProblemRecord;
use super::{Human, Record, Style};

/// The verdict on one backup, in words that say what was checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum FindingStatus {
    /// Well-formed and authentic with the key given (or the device's own key).
    Authenticated,
    /// Well-formed; no key was given, so only its header was checked.
    StructureValid,
    /// Well-formed, but the key folder has no key for this device, so it could not be
    /// authenticated (not a failure).
    NoKey,
    /// Well-formed, but the tag does not verify with the key.
    AuthenticationFailed,
    /// Not a well-formed FFCE v1 blob (`errors` says why).
    Malformed,
    /// Larger than the cloud accepts (524,288 bytes).
    TooLarge,
    /// The body does not match the checksum stored with it.
    ChecksumMismatch,
    /// Authentic, but the plaintext's SHA-256 is not the plaintext digest stored with
    /// it (the `etag` metadata): `get --decrypt` refuses it.
    DigestMismatch,
    /// Authentic, but the controller will not restore the plaintext (empty, a NUL
    /// byte, not JSON, not a Dexie export; `errors` says which).
    ContentUnrestorable,
    /// Listed, but deleted before it could be read (not a failure).
    Gone,
    /// The read failed after the store's retries; nothing is known about the object.
    ReadFailed,
}

impl FindingStatus {
    /// The word for the engine's verdict `status`, when the audit `authenticated` (had
    /// a key for the fleet or per device).
    pub fn of(status: Status, authenticated: bool) -> FindingStatus {
        match status {
            Status::Valid if authenticated => FindingStatus::Authenticated,
            Status::Valid => FindingStatus::StructureValid,
            Status::NoKey => FindingStatus::NoKey,
            Status::AuthenticationFailed => FindingStatus::AuthenticationFailed,
            Status::Malformed => FindingStatus::Malformed,
            Status::TooLarge => FindingStatus::TooLarge,
            Status::ChecksumMismatch => FindingStatus::ChecksumMismatch,
            Status::DigestMismatch => FindingStatus::DigestMismatch,
            Status::ContentUnrestorable => FindingStatus::ContentUnrestorable,
            Status::Gone => FindingStatus::Gone,
            Status::Error => FindingStatus::ReadFailed,
        }
    }

    /// Its name, as in JSON.
    pub fn name(self) -> &'static str {
        match self {
            FindingStatus::Authenticated => "authenticated",
            FindingStatus::StructureValid => "structure_valid",
            FindingStatus::NoKey => "no_key",
            FindingStatus::AuthenticationFailed => "authentication_failed",
            FindingStatus::Malformed => "malformed",
            FindingStatus::TooLarge => "too_large",
            FindingStatus::ChecksumMismatch => "checksum_mismatch",
            FindingStatus::DigestMismatch => "digest_mismatch",
            FindingStatus::ContentUnrestorable => "content_unrestorable",
            FindingStatus::Gone => "gone",
            FindingStatus::ReadFailed => "read_failed",
        }
    }

    /// Whether the verdict passes (authenticated, or structure-valid without a key).
    pub fn passed(self) -> bool {
        matches!(
            self,
            FindingStatus::Authenticated | FindingStatus::StructureValid
        )
    }

    fn invalid(self) -> bool {
        matches!(
            self,
            FindingStatus::AuthenticationFailed
                | FindingStatus::Malformed
                | FindingStatus::TooLarge
                | FindingStatus::ChecksumMismatch
                | FindingStatus::DigestMismatch
                | FindingStatus::ContentUnrestorable
        )
    }
}

/// One audited backup.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Finding {
    /// The object key.
    pub key: String,
    /// The device UUID, lowercase.
    pub device: String,
    /// Size in bytes.
    pub size: u64,
    /// When it was last written (from the listing), RFC 3339 UTC.
    pub last_modified: Option<String>,
    /// The verdict.
    pub status: FindingStatus,
    /// Why, most important first (empty when it passed).
    pub errors: Vec<ProblemRecord>,
    /// With `--older-than`: whether it was last written longer ago than that.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stale: Option<bool>,
    /// With `--older-than`, when a stale one was last written, for people: `more than
    /// 30d ago`, `before 2026-11-01T00:00:00Z`.
    #[serde(skip)]
    pub older_than: Option<String>,
}

impl Record for Finding {
    const KIND: &'static str = "finding";

    fn human(&self, out: &mut Human) {
        let style = if self.status.invalid() {
            Style::Bad
        } else {
            Style::Warn
        };
        // A passed backup is listed only for being stale.
        let label = if self.status.passed() {
            "STALE".to_string()
        } else {
            self.status.name().to_uppercase()
        };
        let mut why: Vec<String> = self
            .errors
            .iter()
            .map(|p| format!("{}: {}", p.code, p.message))
            .collect();
        if let (Some(true), Some(age)) = (self.stale, &self.older_than) {
            why.push(format!("stale: last written {age}"));
        }
        out.styled(style, &format!("{label:<21}")).line(&format!(
            "  {}  {}  {}",
            self.key,
            self.last_modified.as_deref().unwrap_or("-"),
            why.join("; ")
        ));
    }
}

/// The totals of an audit: every backup audited, whatever was listed.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct AuditTotals {
    /// Backups audited (each device's latest backup).
    pub objects: u64,
    /// Their bytes.
    pub bytes: u64,
    /// Those that passed (`authenticated`, or `structure_valid` without a key).
    pub valid: u64,
    /// Those that failed (malformed, too large, not authentic, checksum or digest
    /// mismatch, content the controller will not restore).
    pub invalid: u64,
    /// The failed ones by their first problem's code.
    pub invalid_by_reason: BTreeMap<String, u64>,
    /// Keys that are not backups of the layout.
    pub stray: u64,
    /// Reads that failed (`read_failed`).
    pub errors: u64,
    /// Backups deleted between the listing and the read (`gone`).
    pub gone: u64,
    /// With `--key-dir`: well-formed backups without a key file (`no_key`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub no_key: Option<u64>,
    /// With `--older-than`: backups last written longer ago than that.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stale: Option<u64>,
}

/// Which keys the audit had.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum AuditMode {
    /// No key: each backup's header was checked (its structure).
    Structure,
    /// One key for every device: each backup was downloaded and authenticated.
    Authenticate,
    /// A key per device from `--key-dir`.
    AuthenticatePerDevice,
}

/// What ran and how it went: the closing record of `--jsonl`, the head of `--json`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct AuditSummary {
    /// The store audited.
    pub store: String,
    /// The layout.
    pub layout: String,
    /// Which keys the audit had.
    pub mode: AuditMode,
    /// Where the one fleet key came from (`mode` `authenticate`); else `null`.
    pub key_source: Option<String>,
    /// Requests in flight at once, at most.
    pub concurrency: usize,
    /// `--older-than`, when given: only the stale findings are listed (all of them
    /// with `--all`); the totals count every backup. An age as ffce shows it (`30d`),
    /// or for a date or time the cut-off in RFC 3339 UTC (`2026-11-01T00:00:00Z`).
    pub older_than: Option<String>,
    /// The totals.
    pub totals: AuditTotals,
    /// Requests the store had to retry (throttling, server errors, cut connections).
    pub retries: u64,
    /// How long the audit took.
    pub elapsed_seconds: f64,
    /// The command's exit code: 4 any invalid, else 1 any read failed, else 0.
    pub exit_code: u8,
}

impl Record for AuditSummary {
    const KIND: &'static str = "summary";

    fn human(&self, out: &mut Human) {
        let t = &self.totals;
        let mut s = format!(
            "audited {} backup(s), {}, in {} ({} layout): ",
            Grouped(t.objects),
            Count(t.bytes, "byte"),
            self.store,
            self.layout,
        );
        match (self.mode, t.no_key) {
            (AuditMode::AuthenticatePerDevice, no_key) => s.push_str(&format!(
                "{} authenticated, {} no key, {} failed",
                Grouped(t.valid),
                Grouped(no_key.unwrap_or(0)),
                Grouped(t.invalid),
            )),
            (AuditMode::Authenticate, _) => s.push_str(&format!(
                "{} authenticated, {} invalid",
                Grouped(t.valid),
                Grouped(t.invalid),
            )),
            (AuditMode::Structure, _) => s.push_str(&format!(
                "{} structure valid, {} invalid",
                Grouped(t.valid),
                Grouped(t.invalid),
            )),
        }
        if !t.invalid_by_reason.is_empty() {
            let reasons: Vec<String> = t
                .invalid_by_reason
                .iter()
                .map(|(code, n)| format!("{n} {code}"))
                .collect();
            s.push_str(&format!(" ({})", reasons.join(", ")));
        }
        if let (Some(stale), Some(age)) = (t.stale, &self.older_than) {
            s.push_str(&format!(", {} stale (older than {age})", Grouped(stale)));
        }
        s.push_str(&format!(
            ", {} read error(s), {} gone; {} stray key(s); {} retries; {}",
            Grouped(t.errors),
            Grouped(t.gone),
            Grouped(t.stray),
            Grouped(self.retries),
            match (self.mode, &self.key_source) {
                (AuditMode::Structure, _) => "structure only (no key given)".to_string(),
                (AuditMode::Authenticate, Some(source)) => {
                    format!("authenticated with the key from {source}")
                }
                (AuditMode::Authenticate, None) => "authenticated with the key given".to_string(),
                (AuditMode::AuthenticatePerDevice, _) => {
                    "authenticated with each device's own key".to_string()
                }
            }
        ));
        out.line(&s);
    }
}

/// `ffce audit --json`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct AuditReport {
    /// What ran and how it went.
    #[serde(flatten)]
    pub summary: AuditSummary,
    /// The findings listed, in key order: every backup, or with `--older-than` the
    /// stale ones (every one again with `--all`).
    pub objects: Vec<Finding>,
    /// The stray keys, in key order.
    pub stray_keys: Vec<StrayKey>,
}

impl Record for AuditReport {
    const KIND: &'static str = "audit";

    /// The findings worth a look (not passed, or stale), the stray keys, the totals.
    fn human(&self, out: &mut Human) {
        for f in &self.objects {
            if !f.status.passed() || f.stale == Some(true) {
                f.human(out);
            }
        }
        for s in &self.stray_keys {
            out.line(&format!(
                "{:<21}  {}  ({}): {}",
                "STRAY",
                s.key,
                Count(s.size, "byte"),
                s.explanation
            ));
        }
        self.summary.human(out);
    }
}
