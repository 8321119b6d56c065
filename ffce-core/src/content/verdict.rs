//! The one verdict on a backup's plaintext: would the controller restore it?
//! (docs/SPEC.md §4.)
//!
//! Two layers read a plaintext, and a backup has to pass both:
//! - the firmware ([`crate::firmware::restore_problems`]): it keeps the plaintext up to
//!   its first NUL byte, and what it keeps must be UTF-8 JSON; an empty one restores
//!   nothing;
//! - the controller's app, which imports the JSON: it must be a Dexie export
//!   ([`Export::new`]).
//!
//! The export's `databaseName` is not part of the verdict: it is `FireFly-Controller` on
//! current controllers, but examples elsewhere use other names and a reader must not
//! depend on it (docs/SPEC.md §4). Tools that show an export report it
//! ([`ExportProblem::WrongDatabase`](super::ExportProblem::WrongDatabase)).
//!
//! [`restore_verdict`] applies both layers, in that order, so every tool that has a
//! plaintext in hand (writing a backup, auditing a fleet, inspecting one) says the same
//! thing about it. On-device configuration files are not backups and are not judged
//! by it.

use alloc::vec::Vec;
use core::fmt;

use super::export::{Export, ExportError, parse};
use crate::firmware::{RestoreProblem, restore_problems};

/// One reason the controller would not restore a plaintext as it is.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Unrestorable {
    /// The firmware would not keep it as UTF-8 JSON (empty, a NUL byte, not UTF-8, not
    /// JSON).
    Firmware(RestoreProblem),
    /// JSON, but not a Dexie export at all.
    NotAnExport(ExportError),
}

impl Unrestorable {
    /// A short, stable, machine-readable name: the firmware's codes (`empty_plaintext`,
    /// `nul_byte`, `not_utf8`, `not_json`), the export's (`not_an_object`, `not_dexie`,
    /// `no_data`).
    pub fn code(&self) -> &'static str {
        match self {
            Unrestorable::Firmware(p) => p.code(),
            Unrestorable::NotAnExport(e) => e.code(),
        }
    }

    /// The byte offset the problem is at, when it has one (a NUL byte, invalid UTF-8).
    pub fn offset(&self) -> Option<usize> {
        match self {
            Unrestorable::Firmware(p) => p.offset(),
            _ => None,
        }
    }
}

impl fmt::Display for Unrestorable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Unrestorable::Firmware(p) => p.fmt(f),
            Unrestorable::NotAnExport(e) => e.fmt(f),
        }
    }
}

/// Every reason the controller would not restore `plaintext` as a backup; empty when it
/// would. The firmware's problems come first; only a plaintext the firmware keeps whole
/// is read as an export (otherwise they already say why).
///
/// ```
/// use ffce_core::content::restore_verdict;
///
/// let good = br#"{"formatName":"dexie","formatVersion":1,
///   "data":{"databaseName":"FireFly-Controller","databaseVersion":1,"tables":[],"data":[]}}"#;
/// assert!(restore_verdict(good).is_empty());
/// assert_eq!(restore_verdict(b"").iter().map(|p| p.code()).collect::<Vec<_>>(), ["empty_plaintext"]);
/// assert_eq!(restore_verdict(b"{}\0")[0].code(), "nul_byte");
/// assert_eq!(restore_verdict(br#"{"formatName":"dexie""#)[0].code(), "not_json");
/// assert_eq!(restore_verdict(b"[1]")[0].code(), "not_an_object");
/// ```
pub fn restore_verdict(plaintext: &[u8]) -> Vec<Unrestorable> {
    let mut problems: Vec<Unrestorable> = restore_problems(plaintext)
        .into_iter()
        .map(Unrestorable::Firmware)
        .collect();
    if !problems.is_empty() {
        return problems;
    }
    let document = match parse(plaintext) {
        Ok(document) => document,
        // Valid JSON to the firmware's reader but not to ours (nesting deeper than the
        // parser's limit): not an export ffce can vouch for.
        Err(e) => return alloc::vec![Unrestorable::NotAnExport(e)],
    };
    if let Err(e) = Export::new(&document) {
        problems.push(Unrestorable::NotAnExport(e));
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::content::DATABASE_NAME;
    use alloc::string::ToString;

    fn export(database: &str) -> alloc::string::String {
        alloc::format!(
            r#"{{"formatName":"dexie","formatVersion":1,"data":{{"databaseName":"{database}",
            "databaseVersion":1,"tables":[{{"name":"t","schema":"++id","rowCount":0}}],
            "data":[{{"tableName":"t","inbound":true,"rows":[]}}]}}}}"#
        )
    }

    #[test]
    fn each_layer_refuses_in_turn() {
        assert_eq!(restore_verdict(export(DATABASE_NAME).as_bytes()), []);
        let codes = |p: &[u8]| {
            restore_verdict(p)
                .iter()
                .map(Unrestorable::code)
                .collect::<Vec<_>>()
        };
        assert_eq!(codes(b""), ["empty_plaintext"]);
        assert_eq!(codes(b"{\"a\":1}\0"), ["nul_byte"]);
        assert_eq!(codes(b"{\"formatName\":\"dexie\""), ["not_json"]);
        assert_eq!(codes(b"{\"a\":1}"), ["not_dexie"]);
        assert_eq!(codes(b"{\"formatName\":\"dexie\"}"), ["no_data"]);
        // The database's name is reported by the tools that show an export, never
        // judged here (docs/SPEC.md §4).
        assert_eq!(codes(export("firefly").as_bytes()), Vec::<&str>::new());
    }

    #[test]
    fn messages_say_why_and_keep_offsets() {
        let p = &restore_verdict(b"{}\0{}")[0];
        assert_eq!(p.offset(), Some(2));
        assert!(p.to_string().contains("NUL byte at offset 2"), "{p}");
        let p = &restore_verdict(b"{\"formatName\":\"other\"}")[0];
        assert!(p.to_string().contains("\"other\""), "{p}");
        assert_eq!(p.offset(), None);
    }
}
