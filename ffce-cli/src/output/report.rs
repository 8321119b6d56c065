//! The inspection report of one blob as a record: `ffce inspect`, and the report part of
//! `ffce get` and `ffce api get` without `-o`. The report itself (what is checked and
//! how) is [`crate::report`]; this is how it is printed.

use ffce_core::content::ContentSummary;
use ffce_core::{
    Purpose,
    format::HEADER_LEN,
    keys::KeyOrigin,
    numbers::{Grouped, bytes},
    upload::MAX_BLOB_LEN,
};
use schemars::JsonSchema;
use serde::Serialize;

use super::{Human, Record, Style};
use crate::report::{Report, lookalike_message};

/// What a check found, in the words a script branches on: they say what was checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum BlobStatus {
    /// Well-formed and authentic: a key was given and the tag verified.
    Authenticated,
    /// Well-formed; no key was given, so authenticity was not checked.
    StructureValid,
    /// Well-formed, but the tag does not verify with the key given.
    AuthenticationFailed,
    /// Not a well-formed FFCE v1 blob (`errors` and `looks_like` say why).
    Malformed,
    /// Well-formed, but an object at a backup's key (`get`, `api get`) over the cloud's
    /// 524,288-byte limit: no backup, as `audit` says (`errors` has `too_large`).
    TooLarge,
}

impl BlobStatus {
    /// The status of `report`.
    pub fn of(report: &Report) -> BlobStatus {
        match &report.key {
            _ if !report.structure_valid => BlobStatus::Malformed,
            _ if report.errors.iter().any(|e| e.code == "too_large") => BlobStatus::TooLarge,
            Some(k) if k.authenticated => BlobStatus::Authenticated,
            Some(_) => BlobStatus::AuthenticationFailed,
            None => BlobStatus::StructureValid,
        }
    }
}

/// One problem: a stable code and a line for people.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, JsonSchema)]
pub struct ProblemRecord {
    /// Machine-readable code, e.g. `length_mismatch`, `authentication_failed`.
    pub code: String,
    /// One line for people.
    pub message: String,
}

/// What the device would make of the blob or its plaintext.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, JsonSchema)]
pub struct DeviceWarningRecord {
    /// `nul_byte`, `not_utf8`, `not_json`, `empty_plaintext` or `empty_blob_unchecked`.
    pub code: String,
    /// One line for people.
    pub message: String,
    /// The byte offset in the plaintext, for `nul_byte` and `not_utf8`.
    pub offset: Option<usize>,
}

/// What an input that is not a blob looks like.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, JsonSchema)]
pub struct LooksLike {
    /// `empty`, `json`, `base64_blob`, `hex_blob`, or another code.
    pub kind: String,
    /// What it is and what to do instead.
    pub message: String,
}

/// The key a report was checked with.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, JsonSchema)]
pub struct KeyInfo {
    /// `derived` (from a master secret, for `purpose`) or `imported` (an AES key as given).
    pub origin: KeyOriginName,
    /// The purpose it was derived for (`backup`, `configfs`); `null` for an imported key.
    pub purpose: Option<String>,
    /// Which flag and file, or which environment variable, held it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// When the key did not open the blob but the same master secret's key for
    /// another purpose does: that purpose.
    pub opens_with_purpose: Option<String>,
}

/// Where a key came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum KeyOriginName {
    /// Derived from a master secret for a purpose.
    Derived,
    /// An already-derived AES key, used as given.
    Imported,
}

/// `valid` or `invalid`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Structure {
    /// A well-formed FFCE v1 blob.
    Valid,
    /// Not one.
    Invalid,
}

/// `verified`, `failed` or `not_checked`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Authentication {
    /// The tag verified with the key given.
    Verified,
    /// It did not.
    Failed,
    /// No key was given, or the blob is too malformed to try.
    NotChecked,
}

/// Everything known about one blob (`ffce inspect`).
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct BlobReport {
    /// Where the blob came from (a path, `stdin`, an object's location).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// What was found, in words that say what was checked.
    pub status: BlobStatus,
    /// No errors in what was checked (without a key: the structure only).
    pub valid: bool,
    /// Whether the structure is valid.
    pub structure: Structure,
    /// Whether the tag was checked, and how that went.
    pub authentication: Authentication,
    /// Whether the tag verified; `null` without a key.
    pub authenticated: Option<bool>,
    /// The magic bytes in hex; `null` when the input is too short or not a blob.
    pub magic: Option<String>,
    /// The version byte; `null` when missing.
    pub version: Option<u8>,
    /// The nonce in hex; `null` when missing.
    pub nonce: Option<String>,
    /// The declared plaintext length; `null` when missing.
    pub plaintext_len: Option<u32>,
    /// The tag in hex; `null` when missing.
    pub tag: Option<String>,
    /// Length of the whole input in bytes.
    pub blob_len: usize,
    /// Whether the cloud would accept it as a backup body.
    pub uploadable: bool,
    /// Structural problems, then (with a key) `authentication_failed`.
    pub errors: Vec<ProblemRecord>,
    /// Why the cloud would refuse an otherwise valid blob (`too_large`, `empty`).
    pub warnings: Vec<ProblemRecord>,
    /// What the input looks like when it is not a blob at all.
    pub looks_like: Option<LooksLike>,
    /// What the device would make of it.
    pub device_warnings: Vec<DeviceWarningRecord>,
    /// The key it was checked with; absent without a key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<KeyInfo>,
    /// SHA-256 of the plaintext in hex, when authenticated.
    pub plaintext_digest: Option<String>,
    /// A summary of the plaintext without its values, when authenticated.
    #[schemars(schema_with = "content_schema")]
    pub content: Option<ContentSummary>,
}

/// The content summary is ffce-core's type; its schema is described here.
fn content_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({
        "description": "A summary of the plaintext without its values, or null: an object \
            whose `kind` is `empty`, `dexie` (a Dexie export: database, tables, row counts), \
            `json` (other JSON: its top-level type and keys), `text` (size, lines) or \
            `binary` (size).",
        "type": ["object", "null"],
        "properties": { "kind": { "enum": ["empty", "dexie", "json", "text", "binary"] } },
    })
}

impl From<&Report> for BlobReport {
    fn from(r: &Report) -> BlobReport {
        let problems = |list: &[crate::report::Problem]| {
            list.iter()
                .map(|p| ProblemRecord {
                    code: p.code.to_string(),
                    message: p.message.clone(),
                })
                .collect()
        };
        let key = r.key.as_ref();
        BlobReport {
            source: r.source.clone(),
            status: BlobStatus::of(r),
            valid: r.valid(),
            structure: if r.structure_valid {
                Structure::Valid
            } else {
                Structure::Invalid
            },
            authentication: match r.authentication() {
                "verified" => Authentication::Verified,
                "failed" => Authentication::Failed,
                _ => Authentication::NotChecked,
            },
            authenticated: key.map(|k| k.authenticated),
            magic: r.magic.map(hex::encode),
            version: r.version,
            nonce: r.nonce.map(hex::encode),
            plaintext_len: r.plaintext_len,
            tag: r.tag.map(hex::encode),
            blob_len: r.blob_len,
            uploadable: r.uploadable,
            errors: problems(&r.errors),
            warnings: problems(&r.warnings),
            looks_like: r.looks_like.map(|l| LooksLike {
                kind: l.code().to_string(),
                message: lookalike_message(l).to_string(),
            }),
            device_warnings: r
                .device_warnings
                .iter()
                .map(|w| DeviceWarningRecord {
                    code: w.code.to_string(),
                    message: w.message.clone(),
                    offset: w.offset,
                })
                .collect(),
            key: key.map(|k| KeyInfo {
                origin: match k.origin {
                    KeyOrigin::Derived(_) => KeyOriginName::Derived,
                    KeyOrigin::Imported => KeyOriginName::Imported,
                },
                purpose: match k.origin {
                    KeyOrigin::Derived(p) => Some(p.name().to_string()),
                    KeyOrigin::Imported => None,
                },
                source: k.source.clone(),
                opens_with_purpose: k.opens_with.map(|p| Purpose::name(p).to_string()),
            }),
            plaintext_digest: key.and_then(|k| k.plaintext_sha256).map(hex::encode),
            content: key.and_then(|k| k.content.clone()),
        }
    }
}

impl Record for BlobReport {
    const KIND: &'static str = "report";

    /// An aligned report, one `label  value` line per field.
    fn human(&self, out: &mut Human) {
        let mut rows: Vec<(&str, Vec<(Style, String)>)> = Vec::new();
        let plain = |s: String| vec![(Style::Plain, s)];
        if let Some(source) = &self.source {
            rows.push(("source", plain(source.clone())));
        }
        if let Some(l) = &self.looks_like {
            rows.push(("looks_like", vec![(Style::Bad, l.message.clone())]));
        }
        rows.push((
            "structure",
            match self.structure {
                Structure::Valid => vec![(Style::Good, "valid".into())],
                Structure::Invalid => vec![(Style::Bad, "INVALID".into())],
            },
        ));
        let auth = match (&self.key, self.authentication) {
            (None, _) if self.looks_like.is_some() => {
                plain("not checked (not an FFCE blob)".into())
            }
            (None, _) => {
                plain("not checked (no key given: pass --master-key-file or --key-file)".into())
            }
            (Some(_), Authentication::Verified) => vec![(Style::Good, "yes".into())],
            (Some(_), Authentication::Failed) => vec![(Style::Bad, "NO".into())],
            (Some(_), Authentication::NotChecked) => {
                plain("not checked (the blob is malformed)".into())
            }
        };
        rows.push(("authenticated", auth));
        if self.looks_like.is_none() {
            let missing = || "(missing: input too short)".to_string();
            rows.push((
                "magic",
                plain(self.magic.as_deref().map_or_else(missing, |m| {
                    let ascii: String = hex::decode(m)
                        .unwrap_or_default()
                        .iter()
                        .map(|&b| if b.is_ascii_graphic() { b as char } else { '.' })
                        .collect();
                    format!("{m} ({ascii:?})")
                })),
            ));
            rows.push((
                "version",
                plain(self.version.map_or_else(missing, |v| v.to_string())),
            ));
            rows.push(("nonce", plain(self.nonce.clone().unwrap_or_else(missing))));
            rows.push((
                "plaintext_len",
                plain(
                    self.plaintext_len
                        .map_or_else(missing, |n| format!("{} (declared)", bytes(n as usize))),
                ),
            ));
            rows.push(("tag", plain(self.tag.clone().unwrap_or_else(missing))));
        }
        let size = if self.blob_len >= HEADER_LEN && self.looks_like.is_none() {
            format!(
                "{} ({HEADER_LEN}-byte header + {})",
                bytes(self.blob_len),
                bytes(self.blob_len - HEADER_LEN)
            )
        } else {
            bytes(self.blob_len).to_string()
        };
        let size_label = if self.looks_like.is_some() {
            "size"
        } else {
            "blob_len"
        };
        rows.push((size_label, plain(size)));
        rows.push((
            "upload",
            plain(if self.uploadable {
                format!(
                    "ok (within the {}-byte limit)",
                    Grouped(MAX_BLOB_LEN as u64)
                )
            } else if self.errors.iter().any(|e| e.code == "too_large") {
                format!("no (over the {}-byte limit)", Grouped(MAX_BLOB_LEN as u64))
            } else if self.warnings.is_empty() {
                "no (not a valid blob)".into()
            } else {
                "no (see warnings)".into()
            }),
        ));
        if self.errors.is_empty() {
            rows.push(("errors", plain("none".into())));
        }
        let coded = |style: Style, code: &str, message: &str| {
            vec![
                (style, code.to_string()),
                (Style::Plain, format!(": {message}")),
            ]
        };
        for e in &self.errors {
            rows.push(("error", coded(Style::Bad, &e.code, &e.message)));
        }
        for w in &self.warnings {
            rows.push(("warning", coded(Style::Warn, &w.code, &w.message)));
        }
        for w in &self.device_warnings {
            rows.push(("device", coded(Style::Warn, &w.code, &w.message)));
        }
        if let Some(k) = &self.key {
            let key = match (&k.purpose, &k.source) {
                (Some(p), Some(src)) => format!("derived for {p} from the master secret in {src}"),
                (Some(p), None) => format!("derived from the master secret for {p}"),
                (None, Some(src)) => format!("AES key as given, from {src}"),
                (None, None) => "AES key as given".into(),
            };
            rows.push(("key", plain(key)));
            if let Some(sha) = &self.plaintext_digest {
                rows.push(("plaintext_sha256", plain(sha.clone())));
            }
            if let Some(content) = &self.content {
                let mut lines = super::content_summary::describe(content).into_iter();
                if let Some(first) = lines.next() {
                    rows.push(("content", plain(first)));
                }
                rows.extend(lines.map(|l| ("", plain(l))));
            }
        }
        let width = rows.iter().map(|(l, _)| l.len()).max().unwrap_or(0);
        for (label, parts) in rows {
            out.push(&format!("{label:width$}  "));
            for (style, text) in &parts {
                out.styled(*style, text);
            }
            out.line("");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::build_report;
    use ffce_core::{Key, MasterSecret};
    use serde_json::{Value, json};

    fn key() -> Key {
        MasterSecret::from_bytes([0x11; 32]).derive(Purpose::Backup)
    }

    fn json_of(r: &Report) -> Value {
        serde_json::to_value(BlobReport::from(r)).unwrap()
    }

    fn text_of(r: &Report) -> String {
        let mut out = Human::new(false);
        BlobReport::from(r).human(&mut out);
        out.into_string()
    }

    #[test]
    fn valid_blob_with_and_without_key() {
        let blob = key().seal(b"[1,2]").unwrap();
        let j = json_of(&build_report(&blob, None));
        assert_eq!(j["version"], 1);
        assert_eq!(j["magic"], "46464345");
        assert_eq!(j["plaintext_len"], 5);
        assert_eq!(j["authenticated"], Value::Null);
        assert_eq!(j["authentication"], "not_checked");
        assert_eq!(j["structure"], "valid");
        assert_eq!(j["status"], "structure_valid");
        assert!(j.get("key").is_none());

        let j = json_of(&build_report(&blob, Some(&key())));
        assert_eq!(j["authenticated"], true);
        assert_eq!(j["status"], "authenticated");
        assert_eq!(
            j["key"],
            json!({"origin": "derived", "purpose": "backup", "opens_with_purpose": null})
        );
        assert_eq!(j["content"]["type"], "array");
    }

    #[test]
    fn statuses_say_what_was_checked() {
        let blob = key().seal(b"x").unwrap();
        let other = Key::from_bytes(&[9; 32]);
        let j = json_of(&build_report(&blob, Some(&other)));
        assert_eq!(j["status"], "authentication_failed");
        assert_eq!(j["plaintext_digest"], Value::Null);
        assert_eq!(j["key"]["origin"], "imported");
        let j = json_of(&build_report(&blob[..20], Some(&key())));
        assert_eq!(j["status"], "malformed");
        assert_eq!(j["authentication"], "not_checked");
    }

    #[test]
    fn key_source_is_shown_in_both_outputs() {
        let blob = key().seal(b"[1]").unwrap();
        let r = build_report(&blob, Some(&key())).with_key_source(Some("FFCE_MASTER_KEY"));
        assert_eq!(json_of(&r)["key"]["source"], "FFCE_MASTER_KEY");
        let text = text_of(&r);
        assert!(
            text.contains("derived for backup from the master secret in FFCE_MASTER_KEY"),
            "{text}"
        );
    }

    #[test]
    fn short_input_and_lookalikes() {
        let blob = key().seal(b"x").unwrap();
        let text = text_of(&build_report(&blob[..20], Some(&key())));
        assert!(text.contains("not checked"), "{text}");
        assert_eq!(json_of(&build_report(b"", None))["magic"], Value::Null);
        let r = build_report(br#"{"formatName":"dexie"}"#, Some(&key()));
        assert!(!text_of(&r).contains("nonce"));
        assert_eq!(json_of(&r)["looks_like"]["kind"], "json");
    }

    #[test]
    fn human_report_is_aligned() {
        let blob = key().seal(b"{}").unwrap();
        let text = text_of(&build_report(&blob, Some(&key())).with_source("x.ffce"));
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
