//! The inspection report of one blob: what `ffce inspect` prints and `ffce get` shows
//! when it downloads a backup without `-o`.
//!
//! Without a key the report holds every header field and every structural problem
//! (`ffce_core::inspect` lists them all, not only the first). With a key it also says
//! whether the blob authenticates and, if it does, the plaintext's SHA-256 and a
//! value-free summary of its content (`ffce_core::content`).
//!
//! Two lists, two meanings:
//! - `errors`: the blob is not a valid, authentic FFCE v1 blob (structure, or with a key
//!   authentication). Any error makes `valid` false and the command exit 4.
//! - `warnings`: the blob is valid FFCE but the cloud would refuse it as a backup body
//!   (`too_large` over 524,288 bytes, `empty`; FFCE-SPEC §3). FFCE also serves on-device
//!   config files, which have no such limit, so these do not fail the command.

use std::fmt::Write as _;

use ffce_core::{Error, HEADER_LEN, Key, KeyOrigin, MAX_BLOB_LEN, NONCE_LEN, TAG_LEN};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::exit::Failure;
use crate::files::group_digits;
use crate::ui::Ui;
use ffce_core::content::{self, ContentSummary};

// Field offsets of FFCE-SPEC §1, used to show whichever fields a short input still has.
const VERSION_AT: usize = 4;
const NONCE_AT: usize = 5;
const LEN_AT: usize = NONCE_AT + NONCE_LEN;
const TAG_AT: usize = LEN_AT + 4;

/// One problem, with the stable code of [`ffce_core::Error::code`] and a message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// Machine-readable code, e.g. `length_mismatch`.
    pub code: &'static str,
    /// One line for people.
    pub message: String,
}

impl Problem {
    fn from_error(e: &Error) -> Problem {
        Problem {
            code: e.code(),
            message: e.to_string(),
        }
    }

    fn to_json(&self) -> Value {
        json!({ "code": self.code, "message": self.message })
    }
}

/// What the key said about the blob.
#[derive(Clone, Debug, PartialEq)]
pub struct KeyCheck {
    /// Where the key came from (derived for a purpose, or imported as is).
    pub origin: KeyOrigin,
    /// Which flag and file, or which environment variable, held it (if the caller says).
    pub source: Option<String>,
    /// True when the tag verified. False when it did not, or when the blob is too
    /// malformed to try (then `errors` says why).
    pub authenticated: bool,
    /// SHA-256 of the plaintext, when authenticated.
    pub plaintext_sha256: Option<[u8; 32]>,
    /// A value-free summary of the plaintext, when authenticated.
    pub content: Option<ContentSummary>,
}

/// Everything known about one blob.
#[derive(Clone, Debug, PartialEq)]
pub struct Report {
    /// Where the blob came from (a path, an object key), if the caller says.
    pub source: Option<String>,
    /// Length of the whole input.
    pub blob_len: usize,
    /// Magic bytes, if the input has at least 4 bytes.
    pub magic: Option<[u8; 4]>,
    /// Version byte, if present.
    pub version: Option<u8>,
    /// Nonce, if all 12 bytes are present.
    pub nonce: Option<[u8; NONCE_LEN]>,
    /// Declared plaintext length, if all 4 bytes are present.
    pub plaintext_len: Option<u32>,
    /// Tag, if the whole header is present.
    pub tag: Option<[u8; TAG_LEN]>,
    /// Structural problems, then (with a key) `authentication_failed`.
    pub errors: Vec<Problem>,
    /// Cloud upload problems of an otherwise valid blob (`too_large`, `empty`).
    pub warnings: Vec<Problem>,
    /// True when the cloud would accept this body (`ffce_core::validate_upload`).
    pub uploadable: bool,
    /// Present when a key was given.
    pub key: Option<KeyCheck>,
}

/// Inspects `blob`; with a key, also authenticates it and summarises the plaintext.
/// Never fails and never panics: every problem is in the report.
pub fn build_report(blob: &[u8], key: Option<&Key>) -> Report {
    let inspection = ffce_core::inspect(blob);
    let mut errors: Vec<Problem> = inspection
        .problems
        .iter()
        .map(Problem::from_error)
        .collect();
    let mut warnings = Vec::new();
    let uploadable = match ffce_core::validate_upload(blob) {
        Ok(_) => true,
        Err(e @ (Error::TooLarge { .. } | Error::Empty)) => {
            let why = match e {
                Error::Empty => "the cloud refuses an empty body (HTTP 400)",
                _ => "the cloud refuses it as a backup (HTTP 413); fine for a configfs file",
            };
            warnings.push(Problem {
                code: e.code(),
                message: format!("{e}; {why}"),
            });
            false
        }
        Err(_) => false,
    };
    let key = key.map(|key| {
        let mut check = KeyCheck {
            origin: key.origin(),
            source: None,
            authenticated: false,
            plaintext_sha256: None,
            content: None,
        };
        if inspection.is_valid() {
            match key.open(blob) {
                Ok(plaintext) => {
                    check.authenticated = true;
                    check.plaintext_sha256 = Some(Sha256::digest(&*plaintext).into());
                    check.content = Some(content::summarise(&plaintext));
                    // `plaintext` is wiped as it drops here.
                }
                Err(e) => errors.push(Problem::from_error(&e)),
            }
        }
        check
    });
    Report {
        source: None,
        blob_len: blob.len(),
        magic: field(blob, 0),
        version: blob.get(VERSION_AT).copied(),
        nonce: field(blob, NONCE_AT),
        plaintext_len: field(blob, LEN_AT).map(u32::from_le_bytes),
        tag: field(blob, TAG_AT),
        errors,
        warnings,
        uploadable,
        key,
    }
}

/// The `N` bytes at `at`, if all present.
fn field<const N: usize>(blob: &[u8], at: usize) -> Option<[u8; N]> {
    blob.get(at..at.checked_add(N)?)?.try_into().ok()
}

impl Report {
    /// Sets where the blob came from (shown first in both outputs).
    pub fn with_source(mut self, source: impl Into<String>) -> Report {
        self.source = Some(source.into());
        self
    }

    /// Sets where the key came from (a flag and file, or a variable); a report without
    /// a key ignores it.
    pub fn with_key_source(mut self, source: Option<impl ToString>) -> Report {
        if let (Some(key), Some(source)) = (&mut self.key, source) {
            key.source = Some(source.to_string());
        }
        self
    }

    /// True when there are no errors: structurally valid and, with a key, authentic.
    pub fn valid(&self) -> bool {
        self.errors.is_empty()
    }

    /// How a command should fail for this report: any error is an integrity failure
    /// (exit 4); warnings alone are not a failure.
    pub fn failure(&self) -> Option<Failure> {
        (!self.valid()).then_some(Failure::Integrity)
    }

    /// The report as one JSON object.
    ///
    /// Always: `valid`, `magic`, `version`, `nonce`, `plaintext_len`, `tag` (header
    /// fields; `null` when the input is too short to hold them; byte fields in lowercase
    /// hex), `blob_len`, `errors` and `warnings` (arrays of `{code, message}`),
    /// `uploadable`; `source` when set. With a key, also `key` (`{origin, purpose,
    /// source}`, `source` naming the flag and file or the variable, or `null`),
    /// `authenticated`, `plaintext_sha256` and `content` (both `null` unless
    /// authenticated).
    pub fn to_json(&self) -> Value {
        let mut v = json!({
            "valid": self.valid(),
            "magic": self.magic.map(hex::encode),
            "version": self.version,
            "nonce": self.nonce.map(hex::encode),
            "plaintext_len": self.plaintext_len,
            "tag": self.tag.map(hex::encode),
            "blob_len": self.blob_len,
            "errors": self.errors.iter().map(Problem::to_json).collect::<Vec<_>>(),
            "warnings": self.warnings.iter().map(Problem::to_json).collect::<Vec<_>>(),
            "uploadable": self.uploadable,
        });
        let Value::Object(map) = &mut v else {
            unreachable!("json! of an object literal is an object")
        };
        if let Some(source) = &self.source {
            map.insert("source".into(), json!(source));
        }
        if let Some(k) = &self.key {
            let mut key = match k.origin {
                KeyOrigin::Derived(p) => json!({ "origin": "derived", "purpose": p.name() }),
                KeyOrigin::Imported => json!({ "origin": "imported", "purpose": null }),
            };
            if let Some(source) = &k.source {
                key["source"] = json!(source);
            }
            map.insert("key".into(), key);
            map.insert("authenticated".into(), json!(k.authenticated));
            map.insert(
                "plaintext_sha256".into(),
                json!(k.plaintext_sha256.map(hex::encode)),
            );
            map.insert(
                "content".into(),
                k.content
                    .as_ref()
                    .and_then(|c| serde_json::to_value(c).ok())
                    .unwrap_or(Value::Null),
            );
        }
        v
    }

    /// An aligned, readable report (one `label  value` line per field), ending in a
    /// newline. Colour follows `ui.color`.
    pub fn render_human(&self, ui: &Ui) -> String {
        let mut rows: Vec<(&str, String)> = Vec::new();
        if let Some(source) = &self.source {
            rows.push(("source", source.clone()));
        }
        rows.push((
            "valid",
            if self.valid() {
                ui.paint("32", "yes")
            } else {
                ui.paint("31", "NO")
            },
        ));
        let missing = || "(missing: input too short)".to_string();
        rows.push((
            "magic",
            self.magic.map_or_else(missing, |m| {
                let ascii: String = m
                    .iter()
                    .map(|&b| if b.is_ascii_graphic() { b as char } else { '.' })
                    .collect();
                format!("{} ({ascii:?})", hex::encode(m))
            }),
        ));
        rows.push((
            "version",
            self.version.map_or_else(missing, |v| v.to_string()),
        ));
        rows.push(("nonce", self.nonce.map_or_else(missing, hex::encode)));
        rows.push((
            "plaintext_len",
            self.plaintext_len.map_or_else(missing, |n| {
                format!("{} bytes (declared)", group_digits(n as usize))
            }),
        ));
        rows.push(("tag", self.tag.map_or_else(missing, hex::encode)));
        let body = self.blob_len.saturating_sub(HEADER_LEN);
        rows.push((
            "blob_len",
            if self.blob_len >= HEADER_LEN {
                format!(
                    "{} bytes ({HEADER_LEN}-byte header + {} bytes)",
                    group_digits(self.blob_len),
                    group_digits(body)
                )
            } else {
                format!("{} bytes", group_digits(self.blob_len))
            },
        ));
        rows.push((
            "upload",
            if self.uploadable {
                format!("ok (within the {}-byte limit)", group_digits(MAX_BLOB_LEN))
            } else if self.warnings.is_empty() {
                "no (not a valid blob)".into()
            } else {
                "no (see warnings)".into()
            },
        ));
        if self.errors.is_empty() {
            rows.push(("errors", "none".into()));
        }
        for e in &self.errors {
            rows.push((
                "error",
                format!("{}: {}", ui.paint("31", e.code), e.message),
            ));
        }
        for w in &self.warnings {
            rows.push((
                "warning",
                format!("{}: {}", ui.paint("33", w.code), w.message),
            ));
        }
        if let Some(k) = &self.key {
            rows.push((
                "key",
                match (k.origin, &k.source) {
                    (KeyOrigin::Derived(p), Some(src)) => {
                        format!("derived for {p} from the master secret in {src}")
                    }
                    (KeyOrigin::Derived(p), None) => {
                        format!("derived from the master secret for {p}")
                    }
                    (KeyOrigin::Imported, Some(src)) => format!("AES key as given, from {src}"),
                    (KeyOrigin::Imported, None) => "AES key as given".into(),
                },
            ));
            let auth = if k.authenticated {
                ui.paint("32", "yes")
            } else if self
                .errors
                .iter()
                .any(|e| e.code == "authentication_failed")
            {
                ui.paint("31", "NO")
            } else {
                "not checked (the blob is malformed)".into()
            };
            rows.push(("authenticated", auth));
            if let Some(sha) = k.plaintext_sha256 {
                rows.push(("plaintext_sha256", hex::encode(sha)));
            }
            if let Some(content) = &k.content {
                let mut lines = content.describe().into_iter();
                if let Some(first) = lines.next() {
                    rows.push(("content", first));
                }
                rows.extend(lines.map(|l| ("", l)));
            }
        }
        let width = rows.iter().map(|(l, _)| l.len()).max().unwrap_or(0);
        let mut out = String::new();
        for (label, value) in rows {
            let _ = writeln!(out, "{label:width$}  {value}");
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ffce_core::{MasterSecret, Purpose};

    fn key() -> Key {
        MasterSecret::from_bytes([0x11; 32]).derive(Purpose::Backup)
    }

    #[test]
    fn valid_blob_with_and_without_key() {
        let blob = key().seal(b"[1,2]").unwrap();
        let r = build_report(&blob, None);
        assert!(r.valid() && r.uploadable && r.key.is_none());
        let j = r.to_json();
        assert_eq!(j["version"], 1);
        assert_eq!(j["magic"], "46464345");
        assert_eq!(j["plaintext_len"], 5);
        assert!(j.get("authenticated").is_none());

        let r = build_report(&blob, Some(&key()));
        let j = r.to_json();
        assert_eq!(j["authenticated"], true);
        assert_eq!(j["key"], json!({"origin": "derived", "purpose": "backup"}));
        assert_eq!(j["content"]["type"], "array");
        assert_eq!(r.failure(), None);
    }

    #[test]
    fn key_source_is_shown_in_both_outputs() {
        let blob = key().seal(b"[1]").unwrap();
        let r = build_report(&blob, Some(&key())).with_key_source(Some("FFCE_MASTER_KEY"));
        assert_eq!(r.to_json()["key"]["source"], "FFCE_MASTER_KEY");
        let text = r.render_human(&Ui::silent());
        assert!(
            text.contains("derived for backup from the master secret in FFCE_MASTER_KEY"),
            "{text}"
        );
        // Without a key there is no key line to add it to.
        let r = build_report(&blob, None).with_key_source(Some("FFCE_KEY"));
        assert!(r.key.is_none() && r.to_json().get("key").is_none());
    }

    #[test]
    fn wrong_key_is_an_error() {
        let blob = key().seal(b"x").unwrap();
        let other = Key::from_bytes(&[9; 32]);
        let r = build_report(&blob, Some(&other));
        assert_eq!(r.errors[0].code, "authentication_failed");
        assert_eq!(r.failure(), Some(Failure::Integrity));
        assert_eq!(r.to_json()["plaintext_sha256"], Value::Null);
        assert_eq!(r.to_json()["key"]["origin"], "imported");
    }

    #[test]
    fn short_input_shows_the_fields_it_has() {
        let blob = key().seal(b"x").unwrap();
        let r = build_report(&blob[..20], Some(&key()));
        assert_eq!(r.magic, Some(*b"FFCE"));
        assert_eq!(r.version, Some(1));
        assert!(r.nonce.is_some());
        assert_eq!(r.plaintext_len, None);
        assert_eq!(r.tag, None);
        assert_eq!(r.errors.len(), 1);
        assert!(!r.key.as_ref().unwrap().authenticated);
        let text = r.render_human(&Ui::silent());
        assert!(text.contains("not checked"), "{text}");
        let empty = build_report(b"", None);
        assert_eq!(empty.warnings[0].code, "empty");
        assert_eq!(empty.to_json()["magic"], Value::Null);
    }

    #[test]
    fn oversize_is_a_warning_not_an_error() {
        let blob = key().seal(&vec![0u8; MAX_BLOB_LEN]).unwrap();
        let r = build_report(&blob, None);
        assert!(r.valid());
        assert!(!r.uploadable);
        assert_eq!(r.warnings[0].code, "too_large");
    }

    #[test]
    fn human_report_is_aligned() {
        let blob = key().seal(b"{}").unwrap();
        let text = build_report(&blob, Some(&key()))
            .with_source("x.ffce")
            .render_human(&Ui::silent());
        let width = "plaintext_sha256".len();
        for line in text.lines() {
            let (label, value) = line.split_at(width + 2);
            assert!(label.ends_with("  "), "{line:?}");
            assert!(
                !value.starts_with(' ') || label.trim().is_empty(),
                "{line:?}"
            );
        }
        assert!(text.starts_with("source "), "{text}");
    }
}
