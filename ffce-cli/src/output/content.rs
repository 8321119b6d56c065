//! What `ffce show` and `ffce diff` share in their output: where a backup came from,
//! the problems found in it, whether secrets are shown, and values from the backup
//! written for a terminal or as JSON with their secrets hidden.
//!
//! Every value and name from a backup is text an attacker may have written (a device
//! is in the field), so the human forms replace control characters and the Unicode
//! bidirectional controls by escapes before they reach a terminal.

use std::borrow::Cow;
use std::fmt::Write as _;

use ffce_core::content::{REDACTED, Redacted, Value, redact};
use schemars::JsonSchema;
use serde::{Serialize, Serializer};

/// Where a backup came from.
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SourceInfo {
    /// A device's backup in the store.
    Device {
        /// The device UUID, lowercase.
        device: String,
        /// Where its backup lives (`s3://bucket/key`, or a local path).
        location: String,
        /// The version read (absent on a store without versions).
        #[serde(skip_serializing_if = "Option::is_none")]
        version_id: Option<String>,
        /// When that version was written, RFC 3339 UTC.
        #[serde(skip_serializing_if = "Option::is_none")]
        last_modified: Option<String>,
        /// Whether it is the device's current backup (absent when not known).
        #[serde(skip_serializing_if = "Option::is_none")]
        is_latest: Option<bool>,
    },
    /// A file, or stdin (`path` is `-`).
    File {
        /// The path as given.
        path: String,
        /// True for an FFCE blob (decrypted), false for a plaintext export.
        encrypted: bool,
    },
}

impl SourceInfo {
    /// How messages name it: `device 3f25… version V`, `backup.ffce`, `stdin`.
    pub fn label(&self) -> String {
        match self {
            SourceInfo::Device {
                device, version_id, ..
            } => match version_id {
                Some(v) => format!("device {device} version {}", printable(v)),
                None => format!("device {device}"),
            },
            SourceInfo::File { path, .. } if path == "-" => "stdin".to_string(),
            SourceInfo::File { path, .. } => printable(path).into_owned(),
        }
    }

    /// One line for a heading: the label, with the version's date and whether it is
    /// the latest.
    pub fn describe(&self) -> String {
        match self {
            SourceInfo::Device {
                last_modified,
                is_latest,
                ..
            } => {
                let mut text = self.label();
                if let Some(t) = last_modified {
                    let _ = write!(text, " ({t}");
                    if *is_latest == Some(true) {
                        text.push_str(", latest");
                    }
                    text.push(')');
                }
                text
            }
            SourceInfo::File { encrypted, .. } => format!(
                "{}{}",
                self.label(),
                if *encrypted { " (decrypted)" } else { "" }
            ),
        }
    }
}

/// A problem found in a backup's content, with a stable code.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct ContentProblem {
    /// Machine-readable, e.g. `wrong_database`, `rows_without_key`.
    pub code: String,
    /// One line for people (names from the backup cleaned, never a value).
    pub message: String,
}

/// Whether the output shows secrets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Secrets {
    /// Replaced by `[redacted]` (the default).
    Redacted,
    /// Shown (`--reveal-secrets`).
    Revealed,
}

impl Secrets {
    /// `Revealed` when `reveal`.
    pub fn from_flag(reveal: bool) -> Secrets {
        if reveal {
            Secrets::Revealed
        } else {
            Secrets::Redacted
        }
    }

    /// Whether secrets are shown.
    pub fn revealed(self) -> bool {
        self == Secrets::Revealed
    }
}

/// A value from a backup as JSON: as it is with `Secrets::Revealed`, else with its
/// secrets replaced ([`Redacted`]).
#[derive(Clone, Copy, Debug)]
pub struct JsonValue<'a> {
    /// The value.
    pub value: &'a Value,
    /// Whether secrets are shown.
    pub secrets: Secrets,
}

impl Serialize for JsonValue<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.secrets {
            Secrets::Revealed => self.value.serialize(s),
            Secrets::Redacted => Redacted(self.value).serialize(s),
        }
    }
}

/// `text` safe for a terminal: control characters (newlines included) and the
/// bidirectional controls written as escapes (`\n`, `\u{1b}`, `\u{202e}`).
pub fn printable(text: &str) -> Cow<'_, str> {
    let unsafe_char = |c: char| {
        c.is_control()
            || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
    };
    if !text.chars().any(unsafe_char) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if unsafe_char(c) => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// At most `max` characters of `text`, the last one `…` when it was cut.
pub fn shorten(text: &str, max: usize) -> Cow<'_, str> {
    match text.char_indices().nth(max.saturating_sub(1)) {
        Some((at, _)) if text[at..].chars().nth(1).is_some() => {
            Cow::Owned(format!("{}…", &text[..at]))
        }
        _ => Cow::Borrowed(text),
    }
}

/// A value as compact JSON (strings quoted), secrets hidden unless revealed, safe for
/// a terminal and at most `max` characters.
pub fn json_text(value: &Value, secrets: Secrets, max: usize) -> String {
    let json = serde_json::to_string(&JsonValue { value, secrets }).unwrap_or_default();
    shorten(&printable(&json), max).into_owned()
}

/// A value for a table cell: a string as its text, anything else as compact JSON;
/// secrets hidden unless revealed, safe for a terminal, at most `max` characters.
pub fn cell_text(value: &Value, secrets: Secrets, max: usize) -> String {
    match value {
        Value::String(t) if !secrets.revealed() && redact::is_private_key_text(t.as_str()) => {
            REDACTED.to_string()
        }
        Value::String(t) => shorten(&printable(t.as_str()), max).into_owned(),
        other => json_text(other, secrets, max),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_controls_are_escaped() {
        assert_eq!(printable("plain"), "plain");
        assert_eq!(printable("a\nb\x1b[31m"), "a\\nb\\u{1b}[31m");
        assert_eq!(printable("x\u{202e}y"), "x\\u{202e}y");
    }

    #[test]
    fn text_is_cut_with_an_ellipsis() {
        assert_eq!(shorten("abcdef", 10), "abcdef");
        assert_eq!(shorten("abcdef", 6), "abcdef");
        assert_eq!(shorten("abcdefg", 6), "abcde…");
        assert_eq!(shorten("ééééé", 3), "éé…");
    }

    #[test]
    fn cells_and_json_hide_secrets() {
        let v = Value::parse(br#"{"ssid":"s","password":"hunter2"}"#).unwrap();
        assert_eq!(
            json_text(&v, Secrets::Redacted, 80),
            r#"{"ssid":"s","password":"[redacted]"}"#
        );
        assert!(json_text(&v, Secrets::Revealed, 80).contains("hunter2"));
        let pem = Value::parse(br#""-----BEGIN PRIVATE KEY-----\nabc""#).unwrap();
        assert_eq!(cell_text(&pem, Secrets::Redacted, 80), "[redacted]");
        assert_eq!(
            cell_text(&pem, Secrets::Revealed, 80),
            "-----BEGIN PRIVATE KEY-----\\nabc"
        );
        let name = Value::parse(br#""Kitchen""#).unwrap();
        assert_eq!(cell_text(&name, Secrets::Redacted, 80), "Kitchen");
    }
}
