//! `ffce verify`: one record per file, then the total.

use schemars::JsonSchema;
use serde::Serialize;

use super::report::{DeviceWarningRecord, LooksLike, ProblemRecord};
use super::{Human, Record, Style};

/// How one file fared, in words that say what was checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum FileStatus {
    /// Well-formed and authentic (a key was given).
    Authenticated,
    /// Well-formed; no key was given, so authenticity was not checked.
    StructureValid,
    /// Well-formed, but the tag does not verify with the key given.
    AuthenticationFailed,
    /// Not a well-formed FFCE v1 blob.
    Malformed,
    /// No such file.
    NotFound,
    /// Too large to be an FFCE blob; not read.
    TooLarge,
    /// Could not be read.
    Unreadable,
}

/// One file checked by `ffce verify`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct FileCheck {
    /// The path as given (`-` for stdin).
    pub file: String,
    /// True when the file passed (`authenticated`, or `structure_valid` without a key).
    pub ok: bool,
    /// What was found.
    pub status: FileStatus,
    /// Whether the blob is valid in what was checked; absent when it was not read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub valid: Option<bool>,
    /// Length in bytes; absent when it was not read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub blob_len: Option<usize>,
    /// What is wrong (as `ffce inspect` reports it, or why the file was not read).
    pub errors: Vec<ProblemRecord>,
    /// Why the cloud would refuse an otherwise valid blob.
    pub warnings: Vec<ProblemRecord>,
    /// What the input looks like when it is not a blob at all.
    pub looks_like: Option<LooksLike>,
    /// What the device would make of it.
    pub device_warnings: Vec<DeviceWarningRecord>,
    /// With a key: whether the tag verified (absent without a key or when not read).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authenticated: Option<bool>,
    /// With a key: the plaintext's SHA-256 in hex when authenticated, else `null`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plaintext_digest: Option<Option<String>>,
}

impl Record for FileCheck {
    const KIND: &'static str = "file";

    fn human(&self, out: &mut Human) {
        if self.ok {
            let mut why = match self.status {
                FileStatus::Authenticated => "authenticated".to_string(),
                _ => "well-formed (not authenticated: no key)".to_string(),
            };
            for w in &self.warnings {
                why.push_str(&format!("; warning: {}", w.code));
            }
            out.styled(Style::Good, "OK")
                .line(&format!("    {}  {why}", self.file));
            return;
        }
        let why = match (&self.looks_like, self.valid) {
            // Led by the error's code, like every other reason, for scripts that grep.
            (Some(l), _) => format!(
                "{}: {}",
                self.errors.first().map_or("invalid", |e| &e.code),
                l.message
            ),
            _ => self
                .errors
                .iter()
                .map(|e| format!("{}: {}", e.code, e.message))
                .collect::<Vec<_>>()
                .join("; "),
        };
        out.styled(Style::Bad, "FAIL")
            .line(&format!("  {}  {why}", self.file));
    }
}

/// The total of `ffce verify`: the closing record, and the head of the document.
#[derive(Debug, Serialize, JsonSchema)]
pub struct VerifyTotal {
    /// Files given.
    pub files: usize,
    /// Files that passed.
    pub ok: usize,
    /// Files that did not (the next three added up).
    pub failed: usize,
    /// Malformed, too large or not authentic.
    pub invalid: usize,
    /// Not found.
    pub not_found: usize,
    /// Not readable for another reason.
    pub unreadable: usize,
    /// Whether a key was given, so that files were authenticated.
    pub authenticated: bool,
    /// Where the key came from (a flag and file, or a variable); `null` without one.
    pub key_source: Option<String>,
    /// The command's exit code: 4 any invalid, else 3 any missing, else 1, else 0.
    pub exit_code: u8,
}

impl Record for VerifyTotal {
    const KIND: &'static str = "summary";

    fn human(&self, out: &mut Human) {
        let mut s = format!(
            "total: {} files, {} ok, {} failed",
            self.files, self.ok, self.failed
        );
        let details: Vec<String> = [
            (self.invalid, "invalid"),
            (self.not_found, "not found"),
            (self.unreadable, "unreadable"),
        ]
        .iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, what)| format!("{n} {what}"))
        .collect();
        if !details.is_empty() {
            s.push_str(&format!(" ({})", details.join(", ")));
        }
        match &self.key_source {
            Some(source) => s.push_str(&format!("; authenticated with the key from {source}")),
            None => s.push_str("; structure only, no key given"),
        }
        out.line(&s);
    }
}

/// `ffce verify --json`: the total and every file's record.
#[derive(Debug, Serialize, JsonSchema)]
pub struct VerifyDocument {
    /// The total.
    #[serde(flatten)]
    pub total: VerifyTotal,
    /// One record per file, in the order given.
    pub results: Vec<FileCheck>,
}

impl Record for VerifyDocument {
    const KIND: &'static str = "verify";

    fn human(&self, out: &mut Human) {
        for r in &self.results {
            r.human(out);
        }
        self.total.human(out);
    }
}
