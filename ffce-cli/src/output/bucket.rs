//! `ffce bucket create|check|empty`: the bucket as a whole.

use ffce_core::numbers::{Count, Grouped};
use ffce_store::bucket::{Contents, ItemFailure};
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::Value;

use super::{Human, Record, Style};

/// The settings `ffce bucket create` gives a new bucket (the provisioning spec).
#[derive(Debug, Serialize, JsonSchema)]
pub struct ProvisionedSettings {
    /// Public access block: all four settings on.
    pub block_public_acls: bool,
    /// See `block_public_acls`.
    pub ignore_public_acls: bool,
    /// See `block_public_acls`.
    pub block_public_policy: bool,
    /// See `block_public_acls`.
    pub restrict_public_buckets: bool,
    /// `Enabled`.
    pub versioning: String,
    /// `aws:kms`.
    pub default_encryption: String,
    /// The KMS key given, or `null` for the AWS-managed `aws/s3` key.
    pub kms_key_id: Option<String>,
    /// An S3 Bucket Key is enabled.
    pub bucket_key_enabled: bool,
}

/// `ffce bucket create`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct BucketCreated {
    /// The bucket.
    pub bucket: String,
    /// True when it was created now.
    pub created: bool,
    /// True when it already existed (left unchanged; `check_command` compares it).
    pub already_existed: bool,
    /// The settings it was created with; `null` when it already existed.
    pub settings: Option<ProvisionedSettings>,
    /// The command that compares it with the provisioning spec.
    pub check_command: String,
}

impl Record for BucketCreated {
    const KIND: &'static str = "bucket_created";

    fn human(&self, out: &mut Human) {
        let url = format!("s3://{}", self.bucket);
        match &self.settings {
            Some(s) => out.line(&format!(
                "created {url}: public access blocked (all four settings), versioning \
                 enabled, default encryption aws:kms with {} and an S3 Bucket Key",
                s.kms_key_id.as_deref().map_or_else(
                    || "the AWS-managed aws/s3 key".to_string(),
                    |k| format!("KMS key {k}")
                )
            )),
            None => out.line(&format!(
                "{url} already exists and these credentials reach it; left unchanged"
            )),
        };
    }
}

/// One setting compared with the provisioning spec.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct SettingCheck {
    /// The setting, e.g. `block_public_acls`, `versioning`, `default_encryption`.
    pub setting: String,
    /// What the spec asks for.
    pub expected: Value,
    /// What the bucket has (`null`: not configured).
    pub found: Value,
    /// Whether they agree.
    pub ok: bool,
}

/// `ffce bucket check`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct BucketChecked {
    /// The bucket.
    pub bucket: String,
    /// True when every setting agrees with the spec.
    pub conforms: bool,
    /// Every setting compared.
    pub checks: Vec<SettingCheck>,
    /// The settings that do not agree.
    pub deviations: Vec<SettingCheck>,
    /// Whether the default encryption uses an S3 Bucket Key (`null`: not said).
    pub bucket_key_enabled: Option<bool>,
}

/// A JSON value for people: strings bare, `null` as "not set".
fn shown(v: &Value) -> String {
    match v {
        Value::Null => "not set".into(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

impl Record for BucketChecked {
    const KIND: &'static str = "bucket_checked";

    fn human(&self, out: &mut Human) {
        let width = self
            .checks
            .iter()
            .map(|c| c.setting.len())
            .max()
            .unwrap_or(0);
        for c in &self.checks {
            if c.ok {
                out.styled(Style::Good, "ok  ");
            } else {
                out.styled(Style::Bad, "FAIL");
            }
            out.line(&format!(
                "  {:width$}  expected {}, found {}",
                c.setting,
                shown(&c.expected),
                shown(&c.found)
            ));
        }
        if self.conforms {
            out.line(&format!(
                "s3://{} conforms to the provisioning spec",
                self.bucket
            ));
        }
    }
}

/// What a bucket holds.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct BucketContents {
    /// Object versions.
    pub versions: u64,
    /// Delete markers.
    pub delete_markers: u64,
    /// Bytes in all versions.
    pub bytes: u64,
    /// Incomplete multipart uploads.
    pub uploads: u64,
    /// The first few distinct keys, in listing order.
    pub example_keys: Vec<String>,
}

impl From<&Contents> for BucketContents {
    fn from(c: &Contents) -> BucketContents {
        BucketContents {
            versions: c.versions,
            delete_markers: c.delete_markers,
            bytes: c.bytes,
            uploads: c.uploads,
            example_keys: c.example_keys.clone(),
        }
    }
}

/// Something `ffce bucket empty` could not delete or abort.
#[derive(Debug, Serialize, JsonSchema)]
pub struct EmptyFailure {
    /// The key.
    pub key: String,
    /// The version id or upload id.
    pub id: String,
    /// `version`, `delete_marker` or `upload`.
    pub kind: String,
    /// S3's error code.
    pub code: String,
    /// S3's message.
    pub message: String,
}

impl From<&ItemFailure> for EmptyFailure {
    fn from(f: &ItemFailure) -> EmptyFailure {
        EmptyFailure {
            key: f.key.clone(),
            id: f.id.clone(),
            kind: f.kind.to_string(),
            code: f.code.clone(),
            message: f.message.clone(),
        }
    }
}

/// `ffce bucket empty`: what was found, done and left.
#[derive(Debug, Serialize, JsonSchema)]
pub struct BucketEmptied {
    /// The bucket.
    pub bucket: String,
    /// Always false (see `bucket_dry_run`).
    pub dry_run: bool,
    /// What it held before.
    pub found: BucketContents,
    /// Versions deleted.
    pub deleted_versions: u64,
    /// Delete markers deleted.
    pub deleted_delete_markers: u64,
    /// Incomplete uploads aborted.
    pub aborted_uploads: u64,
    /// What could not be deleted or aborted.
    pub failures: Vec<EmptyFailure>,
    /// What it holds after, listed again.
    pub remaining: BucketContents,
    /// True when nothing remains.
    pub empty: bool,
}

/// How many per-object failures the human output prints (JSON has them all).
const FAILURES_SHOWN: usize = 20;

impl Record for BucketEmptied {
    const KIND: &'static str = "bucket_emptied";

    fn human(&self, out: &mut Human) {
        let url = format!("s3://{}", self.bucket);
        if self.found.versions + self.found.delete_markers + self.found.uploads == 0 {
            out.line(&format!(
                "{url} is already empty (no versions, delete markers or incomplete uploads)"
            ));
            return;
        }
        out.line(&format!(
            "deleted {} version(s) and {} delete marker(s), aborted {} incomplete upload(s) in {url}",
            Grouped(self.deleted_versions),
            Grouped(self.deleted_delete_markers),
            Grouped(self.aborted_uploads)
        ));
        for f in self.failures.iter().take(FAILURES_SHOWN) {
            let what = match f.kind.as_str() {
                "upload" => format!("upload {} of {}", f.id, f.key),
                "delete_marker" => format!("delete marker {} of {}", f.id, f.key),
                _ => format!("version {} of {}", f.id, f.key),
            };
            out.line(&format!("FAILED  {what}: {}: {}", f.code, f.message));
        }
        if self.failures.len() > FAILURES_SHOWN {
            out.line(&format!(
                "... and {} more failures (--json lists them all)",
                self.failures.len() - FAILURES_SHOWN
            ));
        }
        if self.empty {
            out.line(&format!(
                "verified: {url} is empty (no versions, delete markers or incomplete uploads)"
            ));
        }
    }
}

/// One version or delete marker `ffce bucket empty --dry-run` would delete, or one
/// upload it would abort.
#[derive(Debug, Serialize, JsonSchema)]
pub struct WouldRemove {
    /// `version`, `delete_marker` or `upload`.
    pub kind: String,
    /// The key.
    pub key: String,
    /// The version id (versions and delete markers).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version_id: Option<String>,
    /// The upload id (uploads).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub upload_id: Option<String>,
    /// Size in bytes (versions).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    /// When the upload was started, RFC 3339 UTC (uploads).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub initiated: Option<String>,
}

impl Record for WouldRemove {
    const KIND: &'static str = "would_remove";

    fn human(&self, out: &mut Human) {
        let id = self
            .version_id
            .as_deref()
            .or(self.upload_id.as_deref())
            .unwrap_or("");
        out.line(&match (self.kind.as_str(), self.size) {
            ("delete_marker", _) => format!("would delete  delete marker  {}  {id}", self.key),
            ("upload", _) => format!("would abort   upload         {}  {id}", self.key),
            (_, size) => format!(
                "would delete  version        {}  {id}  ({})",
                self.key,
                Count(size.unwrap_or(0), "byte")
            ),
        });
    }
}

/// `ffce bucket empty --dry-run`: everything that would go; nothing changed.
#[derive(Debug, Serialize, JsonSchema)]
pub struct BucketDryRun {
    /// The bucket.
    pub bucket: String,
    /// Always true.
    pub dry_run: bool,
    /// What it holds.
    pub found: BucketContents,
    /// The versions and delete markers that would be deleted.
    pub would_delete: Vec<WouldRemove>,
    /// The uploads that would be aborted.
    pub would_abort: Vec<WouldRemove>,
}

impl Record for BucketDryRun {
    const KIND: &'static str = "summary";

    fn human(&self, out: &mut Human) {
        out.line(&format!(
            "dry run: would delete {} in s3://{}; nothing was changed",
            describe(&self.found),
            self.bucket
        ));
    }
}

/// `ffce bucket empty --production` on a bucket that holds objects: refused.
#[derive(Debug, Serialize, JsonSchema)]
pub struct BucketRefused {
    /// The bucket.
    pub bucket: String,
    /// Always true.
    pub refused: bool,
    /// What it holds.
    pub found: BucketContents,
}

impl Record for BucketRefused {
    const KIND: &'static str = "bucket_refused";

    /// Nothing: the refusal is the command's error.
    fn human(&self, _out: &mut Human) {}
}

/// "3 version(s) (1,234 bytes), 1 delete marker(s) and 2 incomplete upload(s)".
pub fn describe(c: &BucketContents) -> String {
    format!(
        "{} version(s) ({}), {} delete marker(s) and {} incomplete upload(s)",
        Grouped(c.versions),
        Count(c.bytes, "byte"),
        Grouped(c.delete_markers),
        Grouped(c.uploads)
    )
}
