//! A summary of a decrypted plaintext that is safe to print: names, counts and types,
//! never values.
//!
//! A backup is the controller's Dexie export (docs/SPEC.md §4) and can hold secrets such as
//! MQTT credentials, so the summary is built by streaming the JSON with visitors that
//! skip every value they do not need (`IgnoredAny`) instead of building a
//! `serde_json::Value`: the only strings copied out are names (database, tables, object
//! keys), and they are shortened and stripped of control characters. The work is linear
//! in the input and serde_json's recursion limit bounds the nesting, so any input (this
//! function is fuzzed) gives a summary and never a panic.

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;
use alloc::{format, vec};
use core::fmt;

use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};
use serde_json::Number;

use crate::numbers::{Count, Grouped};

/// Names longer than this many characters are cut (with `…`).
const MAX_NAME_CHARS: usize = 80;
/// At most this many object keys or tables are listed; the rest are only counted.
pub const MAX_LISTED: usize = 256;

/// What a plaintext is, described without its values.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ContentSummary {
    /// No bytes at all.
    Empty {
        /// Always 0.
        size: usize,
    },
    /// A Dexie (IndexedDB) export, `formatName` = `dexie`.
    Dexie(DexieSummary),
    /// Other JSON.
    Json(JsonSummary),
    /// UTF-8 text that is not JSON.
    Text {
        /// Bytes.
        size: usize,
        /// Lines (newline characters, plus one for a last line without one).
        lines: usize,
    },
    /// Anything else.
    Binary {
        /// Bytes.
        size: usize,
    },
}

/// A Dexie export: the database and its tables with row counts.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DexieSummary {
    /// Bytes of plaintext.
    pub size: usize,
    /// `formatVersion`, if it is a number.
    pub format_version: Option<Number>,
    /// `data.databaseName`, if it is a string.
    pub database_name: Option<String>,
    /// `data.databaseVersion`, if it is a number.
    pub database_version: Option<Number>,
    /// Tables found (declared in `data.tables` or present in `data.data`).
    pub table_count: usize,
    /// Sum of the rows present in `data.data[].rows`.
    pub total_rows: u64,
    /// The first [`MAX_LISTED`] tables, declared ones first, in file order.
    pub tables: Vec<TableSummary>,
    /// Tables not listed in `tables`.
    pub tables_omitted: usize,
    /// Inconsistencies: row counts that disagree, tables missing from one list, fields
    /// of the wrong type. Empty for a healthy export.
    pub problems: Vec<String>,
}

/// One Dexie table.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TableSummary {
    /// The table name.
    pub name: String,
    /// Rows present in `data.data[].rows`, if that entry exists.
    pub rows: Option<u64>,
    /// `rowCount` declared in `data.tables[]`, if present.
    pub declared_rows: Option<u64>,
}

/// JSON that is not a Dexie export: its top-level shape.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct JsonSummary {
    /// Bytes of plaintext.
    pub size: usize,
    /// The top-level value.
    #[serde(flatten)]
    pub shape: JsonShape,
}

/// The top-level JSON value.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum JsonShape {
    /// An object: its keys and the type of each value.
    Object {
        /// Number of keys.
        key_count: usize,
        /// The first [`MAX_LISTED`] keys.
        keys: Vec<JsonKey>,
    },
    /// An array and its length.
    Array {
        /// Number of elements.
        len: usize,
    },
    /// A string.
    String,
    /// A number.
    Number,
    /// `true` or `false`.
    Bool,
    /// `null`.
    Null,
}

/// One key of a top-level object.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct JsonKey {
    /// The key (shortened, control characters replaced).
    pub name: String,
    /// The value's JSON type.
    #[serde(rename = "type")]
    pub value_type: JsonType,
}

/// A JSON value type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum JsonType {
    /// `{...}`
    Object,
    /// `[...]`
    Array,
    /// `"..."`
    String,
    /// A number.
    Number,
    /// `true`/`false`.
    Bool,
    /// `null`.
    Null,
}

impl fmt::Display for JsonType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            JsonType::Object => "object",
            JsonType::Array => "array",
            JsonType::String => "string",
            JsonType::Number => "number",
            JsonType::Bool => "bool",
            JsonType::Null => "null",
        })
    }
}

/// Summarises a plaintext. Never panics; never copies a value, only names.
pub fn summarise(plaintext: &[u8]) -> ContentSummary {
    let size = plaintext.len();
    if plaintext.is_empty() {
        return ContentSummary::Empty { size };
    }
    if let Some(top) = parse_json(plaintext) {
        return match top {
            Top::Object {
                format_name,
                format_version,
                data,
                ..
            } if format_name.as_deref() == Some("dexie") => {
                ContentSummary::Dexie(dexie_summary(size, format_version, data))
            }
            Top::Object {
                key_count, keys, ..
            } => ContentSummary::Json(JsonSummary {
                size,
                shape: JsonShape::Object { key_count, keys },
            }),
            Top::Other(shape) => ContentSummary::Json(JsonSummary { size, shape }),
        };
    }
    match core::str::from_utf8(plaintext) {
        Ok(text) if !text.chars().any(|c| c.is_control() && !c.is_whitespace()) => {
            let newlines = text.bytes().filter(|b| *b == b'\n').count();
            let lines = newlines + usize::from(!text.ends_with('\n'));
            ContentSummary::Text { size, lines }
        }
        _ => ContentSummary::Binary { size },
    }
}

impl ContentSummary {
    /// Problems found in the content (Dexie inconsistencies); empty otherwise.
    pub fn problems(&self) -> &[String] {
        match self {
            ContentSummary::Dexie(d) => &d.problems,
            _ => &[],
        }
    }
}

/// A name from the content, made safe to print: at most [`MAX_NAME_CHARS`] characters,
/// control characters replaced by U+FFFD.
pub(crate) fn clean_name(s: &str) -> String {
    let mut out: String = s
        .chars()
        .take(MAX_NAME_CHARS)
        .map(|c| if c.is_control() { '\u{fffd}' } else { c })
        .collect();
    if s.chars().nth(MAX_NAME_CHARS).is_some() {
        out.push('…');
    }
    out
}

// ---- streaming JSON: what is kept from the top level ----

/// The scalar methods of a visitor that answers a scalar with its JSON type alone: the
/// value itself is never looked at (it may be a secret). `$wrap` turns the type into the
/// visitor's answer.
macro_rules! visit_scalars_by_type {
    ($wrap:expr) => {
        fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
            Ok(($wrap)(JsonType::Bool))
        }
        fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
            Ok(($wrap)(JsonType::Number))
        }
        fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
            Ok(($wrap)(JsonType::Number))
        }
        fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
            Ok(($wrap)(JsonType::Number))
        }
        fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
            Ok(($wrap)(JsonType::String))
        }
        fn visit_unit<E>(self) -> Result<Self::Value, E> {
            Ok(($wrap)(JsonType::Null))
        }
    };
}
pub(super) use visit_scalars_by_type;

enum Top {
    Object {
        key_count: usize,
        keys: Vec<JsonKey>,
        format_name: Option<String>,
        format_version: Option<Number>,
        data: Option<Data>,
    },
    Other(JsonShape),
}

fn parse_json(bytes: &[u8]) -> Option<Top> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let top = de.deserialize_any(TopVisitor).ok()?;
    de.end().ok()?;
    Some(top)
}

struct TopVisitor;

impl<'de> Visitor<'de> for TopVisitor {
    type Value = Top;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Top, A::Error> {
        let mut key_count = 0;
        let mut keys = Vec::new();
        let mut format_name = None;
        let mut format_version = None;
        let mut data = None;
        while let Some(key) = map.next_key::<Name>()? {
            let value_type = match key.0.as_str() {
                "formatName" => {
                    let v: Peek = map.next_value()?;
                    format_name = v.string();
                    v.json_type()
                }
                "formatVersion" => {
                    let v: Peek = map.next_value()?;
                    format_version = v.number();
                    v.json_type()
                }
                "data" => {
                    let (t, d) = map.next_value_seed(DataSeed)?;
                    data = d;
                    t
                }
                _ => map.next_value::<Shape>()?.0,
            };
            key_count += 1;
            if keys.len() < MAX_LISTED {
                keys.push(JsonKey {
                    name: clean_name(&key.0),
                    value_type,
                });
            }
        }
        Ok(Top::Object {
            key_count,
            keys,
            format_name,
            format_version,
            data,
        })
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Top, A::Error> {
        Ok(Top::Other(JsonShape::Array {
            len: count_seq(seq)?,
        }))
    }
    fn visit_bool<E>(self, _: bool) -> Result<Top, E> {
        Ok(Top::Other(JsonShape::Bool))
    }
    fn visit_i64<E>(self, _: i64) -> Result<Top, E> {
        Ok(Top::Other(JsonShape::Number))
    }
    fn visit_u64<E>(self, _: u64) -> Result<Top, E> {
        Ok(Top::Other(JsonShape::Number))
    }
    fn visit_f64<E>(self, _: f64) -> Result<Top, E> {
        Ok(Top::Other(JsonShape::Number))
    }
    fn visit_str<E>(self, _: &str) -> Result<Top, E> {
        Ok(Top::Other(JsonShape::String))
    }
    fn visit_unit<E>(self) -> Result<Top, E> {
        Ok(Top::Other(JsonShape::Null))
    }
}

fn count_seq<'de, A: SeqAccess<'de>>(mut seq: A) -> Result<usize, A::Error> {
    let mut n = 0usize;
    while seq.next_element::<IgnoredAny>()?.is_some() {
        n += 1;
    }
    Ok(n)
}

/// An object key, which is a name: kept.
struct Name(String);

impl<'de> Deserialize<'de> for Name {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Name, D::Error> {
        String::deserialize(d).map(Name)
    }
}

/// Any value, reduced to its type (arrays also to their length); contents skipped.
struct Shape(JsonType, Option<usize>);

impl<'de> Deserialize<'de> for Shape {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Shape, D::Error> {
        d.deserialize_any(ShapeVisitor)
    }
}

struct ShapeVisitor;

impl<'de> Visitor<'de> for ShapeVisitor {
    type Value = Shape;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Shape, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Shape(JsonType::Object, None))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Shape, A::Error> {
        Ok(Shape(JsonType::Array, Some(count_seq(seq)?)))
    }
    visit_scalars_by_type!(|t| Shape(t, None));
}

/// A value where a name or a number is expected: strings and numbers are kept (only
/// ever used for names and counts), everything else reduced to its type.
enum Peek {
    Str(String),
    Num(Number),
    Other(JsonType),
}

impl Peek {
    fn string(&self) -> Option<String> {
        match self {
            Peek::Str(s) => Some(s.clone()),
            _ => None,
        }
    }
    fn number(&self) -> Option<Number> {
        match self {
            Peek::Num(n) => Some(n.clone()),
            _ => None,
        }
    }
    fn json_type(&self) -> JsonType {
        match self {
            Peek::Str(_) => JsonType::String,
            Peek::Num(_) => JsonType::Number,
            Peek::Other(t) => *t,
        }
    }
}

impl<'de> Deserialize<'de> for Peek {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Peek, D::Error> {
        d.deserialize_any(PeekVisitor)
    }
}

struct PeekVisitor;

impl<'de> Visitor<'de> for PeekVisitor {
    type Value = Peek;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_str<E>(self, v: &str) -> Result<Peek, E> {
        Ok(Peek::Str(clean_name(v)))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Peek, E> {
        Ok(Peek::Num(v.into()))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Peek, E> {
        Ok(Peek::Num(v.into()))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Peek, E> {
        Ok(Number::from_f64(v).map_or(Peek::Other(JsonType::Number), Peek::Num))
    }
    fn visit_bool<E>(self, _: bool) -> Result<Peek, E> {
        Ok(Peek::Other(JsonType::Bool))
    }
    fn visit_unit<E>(self) -> Result<Peek, E> {
        Ok(Peek::Other(JsonType::Null))
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Peek, A::Error> {
        ShapeVisitor.visit_map(map).map(|s| Peek::Other(s.0))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Peek, A::Error> {
        ShapeVisitor.visit_seq(seq).map(|s| Peek::Other(s.0))
    }
}

// ---- streaming JSON: the Dexie `data` object ----

/// What was found in `data` (when it is an object).
#[derive(Default)]
struct Data {
    database_name: Option<String>,
    database_version: Option<Number>,
    /// `tables`: `None` if absent or not an array.
    tables: Option<List<Declared>>,
    /// `data`: `None` if absent or not an array.
    rows: Option<List<Present>>,
    problems: Vec<String>,
}

/// A list whose first [`MAX_LISTED`] × 4 entries are kept and the rest counted.
struct List<T> {
    items: Vec<T>,
    total: usize,
}

/// An entry of `data.tables`.
struct Declared {
    name: Option<String>,
    row_count: Option<Peek>,
}

/// An entry of `data.data`.
struct Present {
    name: Option<String>,
    rows: Option<usize>,
}

/// Reads the value of the top-level `data` key: its type and, if an object, [`Data`].
struct DataSeed;

impl<'de> DeserializeSeed<'de> for DataSeed {
    type Value = (JsonType, Option<Data>);
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(DataVisitor)
    }
}

struct DataVisitor;

impl<'de> Visitor<'de> for DataVisitor {
    type Value = (JsonType, Option<Data>);
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut data = Data::default();
        while let Some(key) = map.next_key::<Name>()? {
            match key.0.as_str() {
                "databaseName" => {
                    let v: Peek = map.next_value()?;
                    data.database_name = v.string();
                    if data.database_name.is_none() {
                        data.problems
                            .push(format!("databaseName is a {}, not a string", v.json_type()));
                    }
                }
                "databaseVersion" => {
                    let v: Peek = map.next_value()?;
                    data.database_version = v.number();
                    if data.database_version.is_none() {
                        data.problems.push(format!(
                            "databaseVersion is a {}, not a number",
                            v.json_type()
                        ));
                    }
                }
                "tables" => {
                    let (t, list) = map.next_value_seed(ListSeed(ItemKind::Declared))?;
                    match list {
                        Some(ListOf::Declared(l)) => data.tables = Some(l),
                        _ => data.problems.push(format!("tables is a {t}, not an array")),
                    }
                }
                "data" => {
                    let (t, list) = map.next_value_seed(ListSeed(ItemKind::Present))?;
                    match list {
                        Some(ListOf::Present(l)) => data.rows = Some(l),
                        _ => data
                            .problems
                            .push(format!("data.data is a {t}, not an array")),
                    }
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok((JsonType::Object, Some(data)))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        ShapeVisitor.visit_seq(seq).map(|s| (s.0, None))
    }
    visit_scalars_by_type!(|t| (t, None));
}

#[derive(Clone, Copy)]
enum ItemKind {
    Declared,
    Present,
}

enum ListOf {
    Declared(List<Declared>),
    Present(List<Present>),
}

/// Reads `tables` or `data.data`: its type and, if an array, its entries.
struct ListSeed(ItemKind);

impl<'de> DeserializeSeed<'de> for ListSeed {
    type Value = (JsonType, Option<ListOf>);
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(ListVisitor(self.0))
    }
}

struct ListVisitor(ItemKind);

/// Entries kept per list; a table list longer than this is implausible for a
/// controller and is only counted beyond it.
const MAX_KEPT: usize = MAX_LISTED * 4;

impl<'de> Visitor<'de> for ListVisitor {
    type Value = (JsonType, Option<ListOf>);
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut total = 0usize;
        let list = match self.0 {
            ItemKind::Declared => {
                let mut items = Vec::new();
                while let Some(entry) = seq.next_element::<Entry>()? {
                    total += 1;
                    if items.len() < MAX_KEPT {
                        items.push(Declared {
                            name: entry.name,
                            row_count: entry.row_count,
                        });
                    }
                }
                ListOf::Declared(List { items, total })
            }
            ItemKind::Present => {
                let mut items = Vec::new();
                while let Some(entry) = seq.next_element::<Entry>()? {
                    total += 1;
                    if items.len() < MAX_KEPT {
                        items.push(Present {
                            name: entry.table_name,
                            rows: entry.rows,
                        });
                    }
                }
                ListOf::Present(List { items, total })
            }
        };
        Ok((JsonType::Array, Some(list)))
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        ShapeVisitor.visit_map(map).map(|s| (s.0, None))
    }
    visit_scalars_by_type!(|t| (t, None));
}

/// An entry of `tables` or `data.data`: the fields either may have. Rows are counted,
/// never read. A non-object entry gives an entry with nothing in it.
#[derive(Default)]
struct Entry {
    name: Option<String>,
    row_count: Option<Peek>,
    table_name: Option<String>,
    rows: Option<usize>,
}

impl<'de> Deserialize<'de> for Entry {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Entry, D::Error> {
        d.deserialize_any(EntryVisitor)
    }
}

struct EntryVisitor;

impl<'de> Visitor<'de> for EntryVisitor {
    type Value = Entry;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Entry, A::Error> {
        let mut entry = Entry::default();
        while let Some(key) = map.next_key::<Name>()? {
            match key.0.as_str() {
                "name" => entry.name = map.next_value::<Peek>()?.string(),
                "tableName" => entry.table_name = map.next_value::<Peek>()?.string(),
                "rowCount" => entry.row_count = Some(map.next_value::<Peek>()?),
                "rows" => entry.rows = map.next_value::<Shape>()?.1,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(entry)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Entry, A::Error> {
        count_seq(seq).map(|_| Entry::default())
    }
    visit_scalars_by_type!(|_t| Entry::default());
}

// ---- putting a Dexie summary together ----

fn dexie_summary(size: usize, format_version: Option<Number>, data: Option<Data>) -> DexieSummary {
    let mut summary = DexieSummary {
        size,
        format_version,
        database_name: None,
        database_version: None,
        table_count: 0,
        total_rows: 0,
        tables: Vec::new(),
        tables_omitted: 0,
        problems: Vec::new(),
    };
    let Some(data) = data else {
        summary
            .problems
            .push("data is missing or not an object".into());
        return summary;
    };
    summary.database_name = data.database_name;
    summary.database_version = data.database_version;
    summary.problems = data.problems;
    let problems = &mut summary.problems;

    let mut tables: Vec<TableSummary> = Vec::new();
    let mut index: BTreeMap<String, usize> = BTreeMap::new();
    let mut extra = 0usize; // tables beyond the kept entries

    match &data.tables {
        None => problems.push("tables (the declared table list) is missing".into()),
        Some(list) => {
            extra = extra.max(list.total - list.items.len());
            for (i, decl) in list.items.iter().enumerate() {
                let Some(name) = &decl.name else {
                    problems.push(format!("tables[{i}] has no name"));
                    continue;
                };
                let declared = match &decl.row_count {
                    None => {
                        problems.push(format!("table {name:?}: no rowCount"));
                        None
                    }
                    Some(Peek::Num(n)) => match n.as_u64() {
                        Some(v) => Some(v),
                        None => {
                            problems
                                .push(format!("table {name:?}: rowCount is not a whole number"));
                            None
                        }
                    },
                    Some(other) => {
                        problems.push(format!(
                            "table {name:?}: rowCount is a {}, not a number",
                            other.json_type()
                        ));
                        None
                    }
                };
                if index.contains_key(name) {
                    problems.push(format!("table {name:?} is declared twice"));
                    continue;
                }
                index.insert(name.clone(), tables.len());
                tables.push(TableSummary {
                    name: name.clone(),
                    rows: None,
                    declared_rows: declared,
                });
            }
        }
    }
    let declared_count = tables.len();
    let mut seen_data: Vec<bool> = vec![false; tables.len()];

    match &data.rows {
        None => problems.push("data.data (the table contents) is missing".into()),
        Some(list) => {
            extra = extra.max(list.total - list.items.len());
            for (i, present) in list.items.iter().enumerate() {
                let Some(name) = &present.name else {
                    problems.push(format!("data.data[{i}] has no tableName"));
                    continue;
                };
                let Some(rows) = present.rows else {
                    problems.push(format!("table {name:?}: rows is missing or not an array"));
                    continue;
                };
                let rows = rows as u64;
                match index.get(name) {
                    Some(&at) if at < declared_count && !seen_data[at] => {
                        seen_data[at] = true;
                        tables[at].rows = Some(rows);
                    }
                    Some(_) => {
                        problems.push(format!("table {name:?} has two data entries"));
                        continue;
                    }
                    None => {
                        problems.push(format!("table {name:?} has data but is not declared"));
                        index.insert(name.clone(), tables.len());
                        tables.push(TableSummary {
                            name: name.clone(),
                            rows: Some(rows),
                            declared_rows: None,
                        });
                    }
                }
                summary.total_rows = summary.total_rows.saturating_add(rows);
            }
        }
    }
    for (i, t) in tables.iter().enumerate().take(declared_count) {
        match (t.rows, t.declared_rows) {
            (Some(r), Some(d)) if r != d => problems.push(format!(
                "table {:?}: rowCount says {}, data has {}",
                t.name,
                Grouped(d),
                Count(r, "row")
            )),
            (None, _) if data.rows.is_some() && !seen_data[i] => {
                problems.push(format!("table {:?} is declared but has no data", t.name))
            }
            _ => {}
        }
    }
    if extra > 0 {
        problems.push(format!(
            "more than {MAX_KEPT} table entries; only the first {MAX_KEPT} were checked"
        ));
    }
    summary.table_count = tables.len() + extra;
    if tables.len() > MAX_LISTED {
        summary.tables_omitted = tables.len() - MAX_LISTED + extra;
        tables.truncate(MAX_LISTED);
    } else {
        summary.tables_omitted = extra;
    }
    summary.tables = tables;
    summary
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIXTURE: &[u8] = include_bytes!("../../../fixtures/plaintexts/dexie-config.json");

    fn dexie(bytes: &[u8]) -> DexieSummary {
        match summarise(bytes) {
            ContentSummary::Dexie(d) => d,
            other => panic!("not dexie: {other:?}"),
        }
    }

    #[test]
    fn the_fixture_is_a_healthy_dexie_export() {
        let d = dexie(FIXTURE);
        assert_eq!(d.database_name.as_deref(), Some("firefly"));
        assert!(d.problems.is_empty(), "{:?}", d.problems);
        assert!(d.table_count >= 5, "{d:?}");
        for t in &d.tables {
            assert_eq!(t.rows, t.declared_rows, "{t:?}");
        }
        assert_eq!(
            d.total_rows,
            d.tables.iter().map(|t| t.rows.unwrap()).sum::<u64>()
        );
    }

    #[test]
    fn the_summary_never_contains_values() {
        let json = serde_json::to_string(&summarise(FIXTURE)).unwrap();
        for secret in ["FAKE-PASSWORD-NOT-A-SECRET", "example.com", "Salon Switch"] {
            assert!(
                String::from_utf8_lossy(FIXTURE).contains(secret),
                "fixture changed?"
            );
            assert!(!json.contains(secret), "{json}");
        }
    }

    #[test]
    fn the_spec_example() {
        let spec = br#"{"formatName":"dexie","formatVersion":1,
            "data":{"databaseName":"firefly","databaseVersion":1,
            "tables":[{"name":"inputs","schema":"++id,name","rowCount":2}],
            "data":[{"tableName":"inputs","inbound":true,"rows":[{"id":1,"name":"Porch"}]}]}}"#;
        let d = dexie(spec);
        assert_eq!(d.format_version, Some(1u64.into()));
        assert_eq!(d.database_version, Some(1u64.into()));
        assert_eq!(
            d.tables,
            vec![TableSummary {
                name: "inputs".into(),
                rows: Some(1),
                declared_rows: Some(2)
            }]
        );
        assert_eq!(
            d.problems,
            vec!["table \"inputs\": rowCount says 2, data has 1 row"]
        );
        assert!(!serde_json::to_string(&d).unwrap().contains("Porch"));
    }

    #[test]
    fn undeclared_missing_and_malformed_tables() {
        let j = br#"{"formatName":"dexie","data":{"databaseName":7,
            "tables":[{"name":"a","rowCount":0},{"name":"b","rowCount":"x"},{"rowCount":1},{"name":"a","rowCount":0}],
            "data":[{"tableName":"c","rows":[1,2]},{"tableName":"a","rows":{}},{"rows":[]}]}}"#;
        let d = dexie(j);
        let p = d.problems.join("\n");
        for want in [
            "databaseName is a number",
            "table \"b\": rowCount is a string",
            "tables[2] has no name",
            "table \"a\" is declared twice",
            "table \"c\" has data but is not declared",
            "table \"a\": rows is missing or not an array",
            "data.data[2] has no tableName",
            "table \"b\" is declared but has no data",
        ] {
            assert!(p.contains(want), "missing {want:?} in\n{p}");
        }
        assert_eq!(d.table_count, 3);
        assert_eq!(d.total_rows, 2);
    }

    #[test]
    fn dexie_without_data() {
        let d = dexie(br#"{"formatName":"dexie"}"#);
        assert_eq!(d.problems, vec!["data is missing or not an object"]);
    }

    #[test]
    fn other_json_shapes() {
        let s = summarise(
            br#"{"host":"mqtt.example.com","port":1883,"tls":true,"x":null,"a":[1],"o":{}}"#,
        );
        let ContentSummary::Json(JsonSummary {
            shape: JsonShape::Object { key_count, keys },
            ..
        }) = &s
        else {
            panic!("{s:?}")
        };
        assert_eq!(*key_count, 6);
        let types: Vec<_> = keys
            .iter()
            .map(|k| (k.name.as_str(), k.value_type))
            .collect();
        assert_eq!(
            types,
            vec![
                ("host", JsonType::String),
                ("port", JsonType::Number),
                ("tls", JsonType::Bool),
                ("x", JsonType::Null),
                ("a", JsonType::Array),
                ("o", JsonType::Object)
            ]
        );
        assert!(!serde_json::to_string(&s).unwrap().contains("example"));
        assert_eq!(
            summarise(b"[1,2,[3]]"),
            ContentSummary::Json(JsonSummary {
                size: 9,
                shape: JsonShape::Array { len: 3 }
            })
        );
        let v = serde_json::to_value(summarise(b" \"secret\" ")).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"kind": "json", "size": 10, "type": "string"})
        );
        let v = serde_json::to_value(summarise(b"[]")).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"kind": "json", "size": 2, "type": "array", "len": 0})
        );
    }

    #[test]
    fn non_json() {
        assert_eq!(summarise(b""), ContentSummary::Empty { size: 0 });
        assert_eq!(
            summarise(b"hello\nworld"),
            ContentSummary::Text { size: 11, lines: 2 }
        );
        assert_eq!(
            summarise(b"{\"a\":1} trailing"),
            ContentSummary::Text { size: 16, lines: 1 }
        );
        let bin: Vec<u8> = (0..=255).collect();
        assert_eq!(summarise(&bin), ContentSummary::Binary { size: 256 });
        assert_eq!(
            serde_json::to_value(summarise(&bin)).unwrap(),
            serde_json::json!({"kind": "binary", "size": 256})
        );
    }

    #[test]
    fn names_are_cleaned() {
        let long = "k".repeat(500);
        let j = format!(r#"{{"{long}":1,"a\u001b[31mb":2}}"#);
        let ContentSummary::Json(JsonSummary {
            shape: JsonShape::Object { keys, .. },
            ..
        }) = summarise(j.as_bytes())
        else {
            panic!()
        };
        assert_eq!(keys[0].name.chars().count(), MAX_NAME_CHARS + 1);
        assert!(!keys[1].name.contains('\u{1b}'));
    }

    #[test]
    fn deep_nesting_is_refused_not_a_stack_overflow() {
        let deep = "[".repeat(100_000);
        assert!(matches!(
            summarise(deep.as_bytes()),
            ContentSummary::Text { .. }
        ));
        let deep = format!(r#"{{"formatName":"dexie","data":{}}}"#, "[".repeat(100_000));
        assert!(matches!(
            summarise(deep.as_bytes()),
            ContentSummary::Text { .. }
        ));
    }

    #[test]
    fn many_keys_are_counted_not_listed() {
        let body: Vec<String> = (0..1000).map(|i| format!("\"k{i}\":0")).collect();
        let j = format!("{{{}}}", body.join(","));
        let ContentSummary::Json(JsonSummary {
            shape: JsonShape::Object { key_count, keys },
            ..
        }) = summarise(j.as_bytes())
        else {
            panic!()
        };
        assert_eq!(key_count, 1000);
        assert_eq!(keys.len(), MAX_LISTED);
    }

    mod props {
        use super::super::*;
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
                let s = summarise(&bytes);
                let _ = s.problems();
                let _ = serde_json::to_string(&s).unwrap();
            }

            #[test]
            fn never_panics_on_json_like(s in r#"[\[\]{}":,a-z0-9 ]{0,200}"#) {
                let _ = serde_json::to_string(&summarise(s.as_bytes())).unwrap();
            }
        }
    }
}
