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
//!
//! The export layer's verdict needs three things of the document: its top level's
//! type, its `formatName` and the type of its `data`. An audit judges every object of a
//! fleet, so the verdict reads just those in one pass ([`Outline`]) instead of building
//! the document ([`super::Value`]) and the export's tables ([`Export::new`]); the
//! answer is the same for every input (a test compares the two on every fixture and on
//! generated documents): strings are still parsed and checked everywhere, a repeated
//! field's last value counts, and the nesting limit is serde_json's either way.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

use super::export::{ExportError, FORMAT_NAME};
use super::summary::{JsonType, clean_name, visit_scalars_by_type};
use crate::firmware::{RestoreProblem, byte_problems, is_json};

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
    let mut problems: Vec<Unrestorable> = byte_problems(plaintext)
        .into_iter()
        .map(Unrestorable::Firmware)
        .collect();
    if !problems.is_empty() {
        return problems;
    }
    // [`restore_problems`] then the export, in one pass where the document is read
    // whole: a document the outline reads is JSON to the firmware too, so the
    // firmware's own JSON check runs only to explain a failure.
    let problem = match Outline::read(plaintext) {
        Ok(outline) => outline.export_error().err().map(Unrestorable::NotAnExport),
        Err(_) if !is_json(plaintext) => Some(Unrestorable::Firmware(RestoreProblem::NotJson)),
        // Valid JSON to the firmware's reader but not to ours (a lone surrogate in a
        // string's escapes, which the firmware's skip does not decode): not an export
        // ffce can vouch for.
        Err(e) => Some(Unrestorable::NotAnExport(e)),
    };
    problems.extend(problem);
    problems
}

/// What the export layer's verdict reads of a document: the top level's type and, of
/// an object, its last `formatName` and `data` (as [`super::Object::insert`] keeps a
/// repeated field's last value).
struct Outline {
    top: JsonType,
    format_name: Option<FormatName>,
    data: Option<JsonType>,
}

/// A `formatName` value: only a string other than `"dexie"` is kept (shortened, for the
/// message).
enum FormatName {
    Dexie,
    Other(String),
    NotAString,
}

impl Outline {
    /// Parses `plaintext` as [`super::parse`] would (one JSON document, trailing
    /// whitespace only), keeping only the outline.
    fn read(plaintext: &[u8]) -> Result<Outline, ExportError> {
        let mut de = serde_json::Deserializer::from_slice(plaintext);
        de.deserialize_any(OutlineVisitor)
            .and_then(|outline| de.end().map(|()| outline))
            .map_err(|e| ExportError::NotJson {
                reason: alloc::string::ToString::to_string(&e),
            })
    }

    /// A document that is not an object.
    fn other(checked: Checked) -> Outline {
        Outline {
            top: checked.0,
            format_name: None,
            data: None,
        }
    }

    /// [`Export::new`](super::Export::new)'s error for this document, if it has one.
    fn export_error(self) -> Result<(), ExportError> {
        if self.top != JsonType::Object {
            return Err(ExportError::NotAnObject { found: self.top });
        }
        match self.format_name {
            Some(FormatName::Dexie) => {}
            Some(FormatName::Other(name)) => {
                return Err(ExportError::NotDexie {
                    format_name: Some(name),
                });
            }
            None | Some(FormatName::NotAString) => {
                return Err(ExportError::NotDexie { format_name: None });
            }
        }
        match self.data {
            Some(JsonType::Object) => Ok(()),
            found => Err(ExportError::NoData { found }),
        }
    }
}

struct OutlineVisitor;

impl<'de> Visitor<'de> for OutlineVisitor {
    type Value = Outline;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Outline, A::Error> {
        let (mut format_name, mut data) = (None, None);
        while let Some(field) = map.next_key::<Field>()? {
            match field {
                Field::FormatName => format_name = Some(map.next_value::<FormatName>()?),
                Field::Data => data = Some(map.next_value::<Checked>()?.0),
                Field::Other => {
                    map.next_value::<Checked>()?;
                }
            }
        }
        Ok(Outline {
            top: JsonType::Object,
            format_name,
            data,
        })
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Outline, A::Error> {
        CheckedVisitor.visit_seq(seq).map(Outline::other)
    }
    visit_scalars_by_type!(|t| Outline::other(Checked(t)));
}

/// A field name of the top level, compared where it lies (no copy).
enum Field {
    FormatName,
    Data,
    Other,
}

impl<'de> Deserialize<'de> for Field {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Field, D::Error> {
        struct FieldVisitor;
        impl Visitor<'_> for FieldVisitor {
            type Value = Field;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a field name")
            }
            fn visit_str<E>(self, name: &str) -> Result<Field, E> {
                Ok(match name {
                    "formatName" => Field::FormatName,
                    "data" => Field::Data,
                    _ => Field::Other,
                })
            }
        }
        d.deserialize_str(FieldVisitor)
    }
}

impl<'de> Deserialize<'de> for FormatName {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<FormatName, D::Error> {
        struct FormatNameVisitor;
        impl<'de> Visitor<'de> for FormatNameVisitor {
            type Value = FormatName;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_str<E>(self, name: &str) -> Result<FormatName, E> {
                Ok(if name == FORMAT_NAME {
                    FormatName::Dexie
                } else {
                    FormatName::Other(clean_name(name))
                })
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<FormatName, A::Error> {
                CheckedVisitor
                    .visit_map(map)
                    .map(|_| FormatName::NotAString)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<FormatName, A::Error> {
                CheckedVisitor
                    .visit_seq(seq)
                    .map(|_| FormatName::NotAString)
            }
            fn visit_bool<E>(self, _: bool) -> Result<FormatName, E> {
                Ok(FormatName::NotAString)
            }
            fn visit_i64<E>(self, _: i64) -> Result<FormatName, E> {
                Ok(FormatName::NotAString)
            }
            fn visit_u64<E>(self, _: u64) -> Result<FormatName, E> {
                Ok(FormatName::NotAString)
            }
            fn visit_f64<E>(self, _: f64) -> Result<FormatName, E> {
                Ok(FormatName::NotAString)
            }
            fn visit_unit<E>(self) -> Result<FormatName, E> {
                Ok(FormatName::NotAString)
            }
        }
        d.deserialize_any(FormatNameVisitor)
    }
}

/// Any value, parsed through (every string decoded and checked, as building a
/// [`super::Value`] would) and reduced to its type.
struct Checked(JsonType);

impl<'de> Deserialize<'de> for Checked {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Checked, D::Error> {
        d.deserialize_any(CheckedVisitor)
    }
}

struct CheckedVisitor;

impl<'de> Visitor<'de> for CheckedVisitor {
    type Value = Checked;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Checked, A::Error> {
        while map.next_entry::<Checked, Checked>()?.is_some() {}
        Ok(Checked(JsonType::Object))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Checked, A::Error> {
        while seq.next_element::<Checked>()?.is_some() {}
        Ok(Checked(JsonType::Array))
    }
    visit_scalars_by_type!(Checked);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::content::{DATABASE_NAME, Export, parse};
    use alloc::string::ToString;
    use alloc::{format, vec};
    use proptest::prelude::*;

    /// The verdict as the two layers give it one after the other: the firmware's
    /// checks, then the whole document parsed and read as an export.
    /// [`restore_verdict`], which reads only an outline, must agree with it everywhere.
    fn by_the_document(plaintext: &[u8]) -> Vec<Unrestorable> {
        let firmware = crate::firmware::restore_problems(plaintext);
        if !firmware.is_empty() {
            return firmware.into_iter().map(Unrestorable::Firmware).collect();
        }
        let export = match parse(plaintext) {
            Err(e) => Some(e),
            Ok(document) => Export::new(&document).err(),
        };
        export.into_iter().map(Unrestorable::NotAnExport).collect()
    }

    fn by_the_outline(plaintext: &[u8]) -> Vec<Unrestorable> {
        restore_verdict(plaintext)
    }

    #[test]
    fn the_outline_agrees_with_the_document_on_every_fixture_and_edge() {
        let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
        let mut inputs: Vec<Vec<u8>> = vec![
            include_bytes!("../../../fixtures/plaintexts/dexie-config.json").to_vec(),
            include_bytes!("../../../fixtures/plaintexts/not-dexie.json").to_vec(),
            include_bytes!("../../../fixtures/plaintexts/binary.bin").to_vec(),
            include_bytes!("../../../fixtures/plaintexts/one-byte.bin").to_vec(),
            include_bytes!("../../../fixtures/exports/device-v1.json").to_vec(),
            include_bytes!("../../../fixtures/exports/device-v3-reordered.json").to_vec(),
            include_bytes!("../../../fixtures/exports/keyless.json").to_vec(),
            export(DATABASE_NAME).into_bytes(),
            deep.into_bytes(),
        ];
        for text in [
            "",
            "{",
            "hello",
            "{\"a\":1} trailing",
            "{\"formatName\":\"dexie\",\"data\":{}}\u{0}",
            "{\"formatName\":\"dexie\",\"data\":\"\\x\"}",
            "{}",
            "[]",
            "[1,{\"formatName\":\"dexie\"}]",
            "\"dexie\"",
            "null",
            "12.5e3",
            " {\"formatName\":\"dexie\",\"data\":{}} \n",
            "{\"formatName\":\"dexie\",\"data\":{}} x",
            "{\"formatName\":\"dexie\",\"data\":[]}",
            "{\"formatName\":\"dexie\",\"data\":null}",
            "{\"formatName\":\"dexie\"}",
            "{\"formatName\":1,\"data\":{}}",
            "{\"formatName\":{\"a\":\"dexie\"},\"data\":{}}",
            "{\"formatName\":\"Dexie\",\"data\":{}}",
            "{\"formatName\":\"de\\u0078ie\",\"data\":{}}",
            "{\"formatName\":\"\\u0000\\u001f\\n\",\"data\":{}}",
            // A repeated field: its last value counts.
            "{\"formatName\":\"dexie\",\"data\":{},\"formatName\":\"other\"}",
            "{\"formatName\":\"other\",\"data\":{},\"formatName\":\"dexie\"}",
            "{\"formatName\":\"dexie\",\"data\":{},\"data\":7}",
            "{\"formatName\":\"dexie\",\"data\":7,\"data\":{}}",
            // Escaped field names are field names.
            "{\"form\\u0061tName\":\"dexie\",\"d\\u0061ta\":{}}",
            // A lone surrogate anywhere: the firmware's skip passes it, a decode does not.
            "{\"formatName\":\"dexie\",\"data\":{\"x\":[\"\\ud800\"]}}",
            "{\"formatName\":\"dexie\",\"data\":{},\"\\udc00\":1}",
            "{\"formatName\":\"dexie\",\"data\":{},\"z\":\"\\ud83d\\ude00\"}",
            // Numbers at and past what serde_json reads.
            "{\"formatName\":\"dexie\",\"data\":{\"n\":1e308,\"m\":-0,\"b\":18446744073709551616}}",
            "{\"formatName\":\"dexie\",\"data\":{\"n\":1e400}}",
        ] {
            inputs.push(text.as_bytes().to_vec());
        }
        let mut deeper = String::new();
        for _ in 0..127 {
            deeper.push_str("{\"a\":");
        }
        deeper.push('1');
        deeper.push_str(&"}".repeat(127));
        inputs.push(deeper.into_bytes());
        for input in &inputs {
            assert_eq!(
                by_the_outline(input),
                by_the_document(input),
                "{:?}",
                String::from_utf8_lossy(input)
            );
        }
    }

    /// JSON documents built from the pieces that decide the verdict.
    fn documents() -> impl Strategy<Value = String> {
        let leaf = prop_oneof![
            Just("null".to_string()),
            Just("true".to_string()),
            Just("-1.5e2".to_string()),
            Just("\"dexie\"".to_string()),
            Just("\"other\"".to_string()),
            Just("\"\\ud800\"".to_string()),
            Just("\"\\u00e9\\n\"".to_string()),
            Just("1e999".to_string()),
        ];
        let name = prop_oneof![
            Just("formatName"),
            Just("data"),
            Just("formatVersion"),
            Just("form\\u0061tName"),
            Just("x"),
        ];
        leaf.prop_recursive(4, 48, 6, move |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..5)
                    .prop_map(|items| format!("[{}]", items.join(","))),
                prop::collection::vec((name.clone(), inner), 0..6).prop_map(|fields| {
                    let fields: Vec<String> =
                        fields.iter().map(|(k, v)| format!("\"{k}\":{v}")).collect();
                    format!("{{{}}}", fields.join(","))
                }),
            ]
        })
    }

    proptest! {
        #[test]
        fn the_outline_agrees_with_the_document_on_generated_json(doc in documents(), tail in prop_oneof![Just(""), Just(" \n"), Just(" 1")]) {
            let input = format!("{doc}{tail}");
            prop_assert_eq!(by_the_outline(input.as_bytes()), by_the_document(input.as_bytes()), "{}", input);
        }
    }

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
