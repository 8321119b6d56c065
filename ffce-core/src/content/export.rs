//! A Dexie export as tables of rows keyed by their primary key (docs/SPEC.md §4).
//!
//! The plaintext of a backup is `dexie-export-import`'s JSON:
//! `{"formatName":"dexie","formatVersion":1,"data":{"databaseName","databaseVersion",
//! "tables":[{"name","schema","rowCount"}],"data":[{"tableName","inbound","rows"}]}}`.
//! [`Export`] is a view of such a document: it borrows the parsed [`Value`] and finds
//! each table's declaration, its primary key ([`TableKey`], from the table's own
//! `schema`) and its rows, each with its key ([`RowKey`]). What does not fit (a row
//! without its key, two rows with one key, a table with data but no declaration) is
//! an [`ExportProblem`], not an error: the rest of the export is still shown and
//! compared. Only a document that is not a Dexie export at all is an [`ExportError`].

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use serde::Serialize;
use serde::ser::{SerializeMap, SerializeSeq, Serializer};
use serde_json::Number;

use super::redact::{self, Redacted};
use super::schema::{PrimaryKey, TableKey, value_at};
use super::summary::{JsonType, clean_name};
use super::value::Value;
use crate::numbers::{Count, Grouped};

/// The `formatName` of a Dexie export; the controller's app imports nothing else.
pub const FORMAT_NAME: &str = "dexie";

/// The `databaseName` of the controller's configuration database; its app refuses to
/// import an export of any other database.
pub const DATABASE_NAME: &str = "FireFly-Controller";

/// Why a document is not a Dexie export at all.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ExportError {
    /// The bytes are not one JSON document.
    NotJson {
        /// serde_json's description of the syntax error, with its line and column
        /// (it never quotes the input).
        reason: String,
    },
    /// The document is JSON but not an object.
    NotAnObject {
        /// What it is instead.
        found: JsonType,
    },
    /// `formatName` is missing or not `"dexie"`.
    NotDexie {
        /// The `formatName` found (shortened, control characters replaced), if a string.
        format_name: Option<String>,
    },
    /// `data` is missing or not an object.
    NoData {
        /// What `data` is instead, if present.
        found: Option<JsonType>,
    },
}

impl ExportError {
    /// A short, stable, machine-readable name: `not_json`, `not_an_object`,
    /// `not_dexie`, `no_data`.
    pub fn code(&self) -> &'static str {
        match self {
            ExportError::NotJson { .. } => "not_json",
            ExportError::NotAnObject { .. } => "not_an_object",
            ExportError::NotDexie { .. } => "not_dexie",
            ExportError::NoData { .. } => "no_data",
        }
    }
}

impl fmt::Display for ExportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExportError::NotJson { reason } => write!(f, "not JSON ({reason})"),
            ExportError::NotAnObject { found } => {
                write!(
                    f,
                    "not a Dexie export: the document is a JSON {found}, not an object"
                )
            }
            ExportError::NotDexie { format_name: None } => {
                f.write_str("not a Dexie export: it has no formatName \"dexie\"")
            }
            ExportError::NotDexie {
                format_name: Some(name),
            } => write!(
                f,
                "not a Dexie export: its formatName is {name:?}, not \"{FORMAT_NAME}\""
            ),
            ExportError::NoData { found: None } => {
                f.write_str("not a Dexie export: it has no data object")
            }
            ExportError::NoData { found: Some(t) } => write!(
                f,
                "not a Dexie export: its data is {} {t}, not an object",
                article(*t)
            ),
        }
    }
}

impl core::error::Error for ExportError {}

/// "a" or "an", for a JSON type's name.
fn article(t: JsonType) -> &'static str {
    match t {
        JsonType::Array | JsonType::Object => "an",
        _ => "a",
    }
}

/// Something in an export that does not fit its structure. The export is still read;
/// the names in a problem are cleaned for printing, and no problem holds a value.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ExportProblem {
    /// `databaseName` is not `FireFly-Controller`: the controller's app will not import it.
    WrongDatabase {
        /// The name found, if it is a string.
        found: Option<String>,
    },
    /// `data.tables` (the declared tables, with their schemas) is missing or not an array.
    NoTableList,
    /// `data.data` (the rows) is missing or not an array.
    NoRowList,
    /// A table declares no schema, so `id` is assumed to be its primary key.
    NoSchema {
        /// The table.
        table: String,
    },
    /// A table is declared twice; the second declaration is ignored.
    DeclaredTwice {
        /// The table.
        table: String,
    },
    /// A table has rows but no declaration, so no schema: `id` is assumed.
    Undeclared {
        /// The table.
        table: String,
    },
    /// A declared table has no entry in `data.data`.
    NoRows {
        /// The table.
        table: String,
    },
    /// A table has two entries in `data.data`; the second is ignored.
    RowsTwice {
        /// The table.
        table: String,
    },
    /// An entry of `data.tables` or `data.data` has no name, or is not an object.
    UnnamedEntry {
        /// `tables` or `data`.
        list: &'static str,
        /// Its position.
        index: usize,
    },
    /// A table's `rows` is missing or not an array.
    RowsNotAnArray {
        /// The table.
        table: String,
    },
    /// The declared `rowCount` differs from the rows present.
    RowCount {
        /// The table.
        table: String,
        /// `rowCount`.
        declared: u64,
        /// Rows present.
        present: u64,
    },
    /// Rows without a usable primary key (missing, or not a number, string or array):
    /// they are compared by their whole content.
    RowsWithoutKey {
        /// The table.
        table: String,
        /// The primary key they lack.
        key: PrimaryKey,
        /// How many rows.
        count: u64,
        /// The position of the first one in the table's rows.
        first: usize,
    },
    /// Rows whose primary key an earlier row of the table already has: they are
    /// compared by their whole content.
    DuplicateKeys {
        /// The table.
        table: String,
        /// How many rows.
        count: u64,
    },
}

impl ExportProblem {
    /// A short, stable, machine-readable name.
    pub fn code(&self) -> &'static str {
        match self {
            ExportProblem::WrongDatabase { .. } => "wrong_database",
            ExportProblem::NoTableList => "no_table_list",
            ExportProblem::NoRowList => "no_row_list",
            ExportProblem::NoSchema { .. } => "no_schema",
            ExportProblem::DeclaredTwice { .. } => "declared_twice",
            ExportProblem::Undeclared { .. } => "undeclared_table",
            ExportProblem::NoRows { .. } => "no_rows",
            ExportProblem::RowsTwice { .. } => "rows_twice",
            ExportProblem::UnnamedEntry { .. } => "unnamed_entry",
            ExportProblem::RowsNotAnArray { .. } => "rows_not_an_array",
            ExportProblem::RowCount { .. } => "row_count",
            ExportProblem::RowsWithoutKey { .. } => "rows_without_key",
            ExportProblem::DuplicateKeys { .. } => "duplicate_keys",
        }
    }

    /// True for a problem the controller's app refuses to import.
    pub fn refused_by_app(&self) -> bool {
        matches!(self, ExportProblem::WrongDatabase { .. })
    }
}

impl fmt::Display for ExportProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExportProblem::WrongDatabase { found } => {
                match found {
                    Some(name) => write!(f, "the database is {name:?}")?,
                    None => f.write_str("the export names no database")?,
                }
                write!(
                    f,
                    ": the controller's app imports only \"{DATABASE_NAME}\" and will refuse it"
                )
            }
            ExportProblem::NoTableList => {
                f.write_str("data.tables (the declared tables) is missing or not an array")
            }
            ExportProblem::NoRowList => {
                f.write_str("data.data (the rows) is missing or not an array")
            }
            ExportProblem::NoSchema { table } => {
                write!(
                    f,
                    "table {table:?} declares no schema; its key is taken to be id"
                )
            }
            ExportProblem::DeclaredTwice { table } => {
                write!(f, "table {table:?} is declared twice")
            }
            ExportProblem::Undeclared { table } => write!(
                f,
                "table {table:?} has rows but is not declared; its key is taken to be id"
            ),
            ExportProblem::NoRows { table } => {
                write!(f, "table {table:?} is declared but has no rows entry")
            }
            ExportProblem::RowsTwice { table } => {
                write!(
                    f,
                    "table {table:?} has two rows entries; the second is ignored"
                )
            }
            ExportProblem::UnnamedEntry { list, index } => {
                write!(f, "data.{list}[{index}] has no name")
            }
            ExportProblem::RowsNotAnArray { table } => {
                write!(f, "table {table:?}: rows is missing or not an array")
            }
            ExportProblem::RowCount {
                table,
                declared,
                present,
            } => write!(
                f,
                "table {table:?}: rowCount says {}, the export has {}",
                Grouped(*declared),
                Count(*present, "row")
            ),
            ExportProblem::RowsWithoutKey {
                table,
                key,
                count,
                first,
            } => write!(
                f,
                "table {table:?}: {} without a usable primary key {key} (the first at \
                 position {first}); compared by their whole content",
                Count(*count, "row")
            ),
            ExportProblem::DuplicateKeys { table, count } => write!(
                f,
                "table {table:?}: {} with a primary key an earlier row has; compared by \
                 their whole content",
                Count(*count, "row")
            ),
        }
    }
}

/// A Dexie export: a view of a parsed document.
#[derive(Debug)]
pub struct Export<'a> {
    document: &'a Value,
    /// `formatVersion`, if a number.
    pub format_version: Option<&'a Number>,
    /// `data.databaseName`, if a string (not cleaned: print it with care).
    pub database_name: Option<&'a str>,
    /// `data.databaseVersion`, if a number.
    pub database_version: Option<&'a Number>,
    /// The tables: declared ones in declaration order, then undeclared ones with rows.
    pub tables: Vec<Table<'a>>,
    /// What does not fit, in the order found.
    pub problems: Vec<ExportProblem>,
}

/// One table of an export.
#[derive(Debug)]
pub struct Table<'a> {
    /// The name (not cleaned: print it with care).
    pub name: &'a str,
    /// `schema` from its declaration, if any.
    pub schema: Option<&'a str>,
    /// Its primary key.
    pub key: TableKey,
    /// `rowCount` from its declaration, if a whole number.
    pub declared_rows: Option<u64>,
    /// `inbound` from its rows entry, if a boolean.
    pub inbound: Option<bool>,
    /// Its rows, in the export's order.
    pub rows: Vec<Row<'a>>,
}

/// One row of a table.
#[derive(Debug)]
pub struct Row<'a> {
    /// Its position in the table's rows.
    pub index: usize,
    /// Its primary key; `None` when it has none usable, or an earlier row has the same
    /// (see [`ExportProblem`]).
    pub key: Option<RowKey<'a>>,
    /// The row: the stored object (for an outbound key, the value beside the key).
    pub value: &'a Value,
}

/// A row's primary key: one value, or several for a compound key.
#[derive(Clone, Debug)]
pub struct RowKey<'a> {
    parts: Vec<&'a Value>,
    compound: bool,
    text: String,
}

impl<'a> RowKey<'a> {
    fn new(parts: Vec<&'a Value>, compound: bool) -> Option<RowKey<'a>> {
        if !parts.iter().all(|p| valid_key(p)) {
            return None;
        }
        let mut text = String::new();
        if compound {
            text.push('[');
        }
        for (i, part) in parts.iter().enumerate() {
            if i > 0 {
                text.push(',');
            }
            canonical(part, &mut text);
        }
        if compound {
            text.push(']');
        }
        Some(RowKey {
            parts,
            compound,
            text,
        })
    }

    /// The key as compact JSON with numbers written alike (`12`, `"mqtt"`,
    /// `["Acme","R-1"]`): equal keys have equal text.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The key's values (one, or one per path of a compound key).
    pub fn parts(&self) -> &[&'a Value] {
        &self.parts
    }

    /// True when the key holds a PEM private key (then it is shown as
    /// [`REDACTED`](super::REDACTED) unless secrets are revealed).
    pub fn is_secret(&self) -> bool {
        self.parts.iter().any(|p| redact::contains_private_key(p))
    }
}

impl PartialEq for RowKey<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}

impl fmt::Display for RowKey<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// The key as JSON: its value, or an array for a compound key.
impl Serialize for RowKey<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.compound {
            let mut seq = s.serialize_seq(Some(self.parts.len()))?;
            for part in &self.parts {
                seq.serialize_element(*part)?;
            }
            seq.end()
        } else {
            match self.parts.first() {
                Some(part) => part.serialize(s),
                None => s.serialize_unit(),
            }
        }
    }
}

/// IndexedDB keys are numbers, strings, dates (which an export writes as numbers or
/// strings) and arrays of keys.
fn valid_key(v: &Value) -> bool {
    match v {
        Value::Number(_) | Value::String(_) => true,
        Value::Array(items) => items.iter().all(valid_key),
        _ => false,
    }
}

/// Appends `v` as compact JSON, integers without a fraction (`1.0` → `1`), object
/// fields sorted: the same content gives the same text however it was written.
pub(crate) fn canonical(v: &Value, out: &mut String) {
    use core::fmt::Write as _;
    const SAFE: f64 = 9_007_199_254_740_992.0;
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => match n.as_f64() {
            // Whole floats in JavaScript's safe integer range as integers (no
            // `f64::fract` without std: the cast back tells).
            Some(x) if n.is_f64() && x > -SAFE && x < SAFE && (x as i64) as f64 == x => {
                let _ = write!(out, "{}", x as i64);
            }
            _ => {
                let _ = write!(out, "{n}");
            }
        },
        Value::String(t) => {
            out.push_str(&serde_json::to_string(t.as_str()).unwrap_or_default());
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                canonical(item, out);
            }
            out.push(']');
        }
        Value::Object(o) => {
            let mut fields: Vec<(&str, &Value)> = o.iter().collect();
            fields.sort_by(|a, b| a.0.cmp(b.0));
            out.push('{');
            for (i, (name, value)) in fields.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&serde_json::to_string(name).unwrap_or_default());
                out.push(':');
                canonical(value, out);
            }
            out.push('}');
        }
    }
}

/// Parses a plaintext as JSON, for [`Export::new`]. Never panics; the error never
/// quotes the input.
pub fn parse(plaintext: &[u8]) -> Result<Value, ExportError> {
    Value::parse(plaintext).map_err(|e| ExportError::NotJson {
        reason: alloc::string::ToString::to_string(&e),
    })
}

/// A declaration of `data.tables`, before it is merged with its rows.
struct Declared<'a> {
    name: &'a str,
    schema: Option<&'a str>,
    row_count: Option<u64>,
}

impl<'a> Export<'a> {
    /// Reads `document` as a Dexie export.
    ///
    /// ```
    /// use ffce_core::content::{self, Export};
    ///
    /// let doc = content::parse(br#"{"formatName":"dexie","formatVersion":1,"data":{
    ///     "databaseName":"FireFly-Controller","databaseVersion":3,
    ///     "tables":[{"name":"settings","schema":"&setting,value","rowCount":1}],
    ///     "data":[{"tableName":"settings","inbound":true,
    ///              "rows":[{"setting":"mqtt","value":{"port":1883}}]}]}}"#)?;
    /// let export = Export::new(&doc)?;
    /// let settings = &export.tables[0];
    /// assert_eq!(settings.key.key.to_string(), "setting");
    /// assert_eq!(settings.rows[0].key.as_ref().unwrap().as_str(), r#""mqtt""#);
    /// assert!(export.problems.is_empty());
    /// # Ok::<(), content::ExportError>(())
    /// ```
    pub fn new(document: &'a Value) -> Result<Export<'a>, ExportError> {
        let top = document.as_object().ok_or(ExportError::NotAnObject {
            found: document.json_type(),
        })?;
        match top.get("formatName").and_then(Value::as_str) {
            Some(FORMAT_NAME) => {}
            other => {
                return Err(ExportError::NotDexie {
                    format_name: other.map(clean_name),
                });
            }
        }
        let data = match top.get("data") {
            Some(Value::Object(data)) => data,
            other => {
                return Err(ExportError::NoData {
                    found: other.map(Value::json_type),
                });
            }
        };
        let mut problems = Vec::new();
        let database_name = data.get("databaseName").and_then(Value::as_str);
        if database_name != Some(DATABASE_NAME) {
            problems.push(ExportProblem::WrongDatabase {
                found: database_name.map(clean_name),
            });
        }

        let mut declared: Vec<Declared<'a>> = Vec::new();
        let mut by_name: BTreeMap<&'a str, usize> = BTreeMap::new();
        match data.get("tables").and_then(Value::as_array) {
            None => problems.push(ExportProblem::NoTableList),
            Some(entries) => {
                for (index, entry) in entries.iter().enumerate() {
                    let Some(name) = entry.get("name").and_then(Value::as_str) else {
                        problems.push(ExportProblem::UnnamedEntry {
                            list: "tables",
                            index,
                        });
                        continue;
                    };
                    if by_name.contains_key(name) {
                        problems.push(ExportProblem::DeclaredTwice {
                            table: clean_name(name),
                        });
                        continue;
                    }
                    by_name.insert(name, declared.len());
                    declared.push(Declared {
                        name,
                        schema: entry.get("schema").and_then(Value::as_str),
                        row_count: entry
                            .get("rowCount")
                            .and_then(Value::as_number)
                            .and_then(Number::as_u64),
                    });
                }
            }
        }

        let mut tables: Vec<Table<'a>> = declared
            .iter()
            .map(|d| Table {
                name: d.name,
                schema: d.schema,
                key: TableKey::from_schema(d.schema),
                declared_rows: d.row_count,
                inbound: None,
                rows: Vec::new(),
            })
            .collect();
        for d in &declared {
            if d.schema.is_none() {
                problems.push(ExportProblem::NoSchema {
                    table: clean_name(d.name),
                });
            }
        }
        let mut has_rows = alloc::vec![false; tables.len()];
        match data.get("data").and_then(Value::as_array) {
            None => problems.push(ExportProblem::NoRowList),
            Some(entries) => {
                for (index, entry) in entries.iter().enumerate() {
                    let Some(name) = entry.get("tableName").and_then(Value::as_str) else {
                        problems.push(ExportProblem::UnnamedEntry {
                            list: "data",
                            index,
                        });
                        continue;
                    };
                    let at = match by_name.get(name) {
                        Some(&at) if has_rows.get(at) == Some(&true) => {
                            problems.push(ExportProblem::RowsTwice {
                                table: clean_name(name),
                            });
                            continue;
                        }
                        Some(&at) => at,
                        None => {
                            problems.push(ExportProblem::Undeclared {
                                table: clean_name(name),
                            });
                            by_name.insert(name, tables.len());
                            tables.push(Table {
                                name,
                                schema: None,
                                key: TableKey::from_schema(None),
                                declared_rows: None,
                                inbound: None,
                                rows: Vec::new(),
                            });
                            has_rows.push(false);
                            tables.len() - 1
                        }
                    };
                    has_rows[at] = true;
                    let table = &mut tables[at];
                    table.inbound = match entry.get("inbound") {
                        Some(Value::Bool(b)) => Some(*b),
                        _ => None,
                    };
                    match entry.get("rows").and_then(Value::as_array) {
                        Some(rows) => read_rows(table, rows, &mut problems),
                        None => problems.push(ExportProblem::RowsNotAnArray {
                            table: clean_name(name),
                        }),
                    }
                }
                for (table, has) in tables.iter().zip(&has_rows) {
                    if !has {
                        problems.push(ExportProblem::NoRows {
                            table: clean_name(table.name),
                        });
                    }
                }
            }
        }
        for table in &tables {
            if let Some(declared) = table.declared_rows {
                let present = table.rows.len() as u64;
                if declared != present {
                    problems.push(ExportProblem::RowCount {
                        table: clean_name(table.name),
                        declared,
                        present,
                    });
                }
            }
        }
        Ok(Export {
            document,
            format_version: top.get("formatVersion").and_then(Value::as_number),
            database_name,
            database_version: data.get("databaseVersion").and_then(Value::as_number),
            tables,
            problems,
        })
    }

    /// The whole document this export was read from.
    pub fn document(&self) -> &'a Value {
        self.document
    }

    /// The table called `name`.
    pub fn table(&self, name: &str) -> Option<&Table<'a>> {
        self.tables.iter().find(|t| t.name == name)
    }

    /// Rows in all tables.
    pub fn total_rows(&self) -> u64 {
        self.tables.iter().map(|t| t.rows.len() as u64).sum()
    }

    /// The document as JSON, with only the tables `keep` accepts (their declarations and
    /// their rows) and, unless `reveal`, every secret replaced (see [`Redacted`]).
    /// Everything else is written as it is, in the document's order.
    pub fn view<F: Fn(&str) -> bool>(&self, keep: F, reveal: bool) -> DocumentView<'_, F> {
        DocumentView {
            document: self.document,
            keep,
            reveal,
        }
    }
}

/// Reads a table's rows and their keys.
fn read_rows<'a>(table: &mut Table<'a>, rows: &'a [Value], problems: &mut Vec<ExportProblem>) {
    // An entry that says `inbound: false` holds `[key, value]` pairs, whatever the
    // schema says (it is how the exporter wrote them).
    let outbound = table.inbound == Some(false) || table.key.key == PrimaryKey::Outbound;
    let mut seen: BTreeMap<String, ()> = BTreeMap::new();
    let mut keyless = 0u64;
    let mut first_keyless = None;
    let mut duplicates = 0u64;
    for (index, row) in rows.iter().enumerate() {
        let (key, value) = if outbound {
            match row.as_array() {
                Some([key, value]) => (RowKey::new(alloc::vec![key], false), value),
                _ => (None, row),
            }
        } else {
            let paths = table.key.paths();
            let parts: Option<Vec<&Value>> = paths.iter().map(|p| value_at(row, p)).collect();
            let compound = matches!(table.key.key, PrimaryKey::Compound { .. });
            (parts.and_then(|parts| RowKey::new(parts, compound)), row)
        };
        let key = match key {
            None => {
                keyless += 1;
                first_keyless.get_or_insert(index);
                None
            }
            Some(key) if seen.contains_key(key.as_str()) => {
                duplicates += 1;
                None
            }
            Some(key) => {
                seen.insert(key.text.clone(), ());
                Some(key)
            }
        };
        table.rows.push(Row { index, key, value });
    }
    if let Some(first) = first_keyless {
        problems.push(ExportProblem::RowsWithoutKey {
            table: clean_name(table.name),
            key: if outbound {
                PrimaryKey::Outbound
            } else {
                table.key.key.clone()
            },
            count: keyless,
            first,
        });
    }
    if duplicates > 0 {
        problems.push(ExportProblem::DuplicateKeys {
            table: clean_name(table.name),
            count: duplicates,
        });
    }
}

/// The export's document as JSON, some tables left out, secrets hidden unless
/// revealed ([`Export::view`]).
pub struct DocumentView<'a, F> {
    document: &'a Value,
    keep: F,
    reveal: bool,
}

impl<F: Fn(&str) -> bool> DocumentView<'_, F> {
    fn value<'v>(&self, v: &'v Value) -> Shown<'v> {
        Shown {
            value: v,
            reveal: self.reveal,
        }
    }
}

/// A value written as it is, or with its secrets hidden.
struct Shown<'a> {
    value: &'a Value,
    reveal: bool,
}

impl Serialize for Shown<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.reveal {
            self.value.serialize(s)
        } else {
            Redacted(self.value).serialize(s)
        }
    }
}

impl<F: Fn(&str) -> bool> Serialize for DocumentView<'_, F> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let Some(top) = self.document.as_object() else {
            return self.value(self.document).serialize(s);
        };
        let mut map = s.serialize_map(Some(top.len()))?;
        for (name, value) in top.iter() {
            match (name, value) {
                ("data", Value::Object(data)) => {
                    map.serialize_entry(name, &DataView { view: self, data })?
                }
                _ => map.serialize_entry(name, &self.value(value))?,
            }
        }
        map.end()
    }
}

/// The `data` object, its `tables` and `data` lists filtered.
struct DataView<'a, 'v, F> {
    view: &'a DocumentView<'v, F>,
    data: &'v super::value::Object,
}

impl<F: Fn(&str) -> bool> Serialize for DataView<'_, '_, F> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.data.len()))?;
        for (name, value) in self.data.iter() {
            let label = match name {
                "tables" => "name",
                "data" => "tableName",
                _ => {
                    map.serialize_entry(name, &self.view.value(value))?;
                    continue;
                }
            };
            match value.as_array() {
                Some(entries) => {
                    let kept: Vec<Shown<'_>> = entries
                        .iter()
                        .filter(|e| {
                            e.get(label)
                                .and_then(Value::as_str)
                                .is_none_or(|n| (self.view.keep)(n))
                        })
                        .map(|e| self.view.value(e))
                        .collect();
                    map.serialize_entry(name, &kept)?;
                }
                None => map.serialize_entry(name, &self.view.value(value))?,
            }
        }
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;
    use alloc::vec;

    fn doc(text: &str) -> Value {
        parse(text.as_bytes()).unwrap()
    }

    const SMALL: &str = r#"{"formatName":"dexie","formatVersion":1,"data":{
        "databaseName":"FireFly-Controller","databaseVersion":3,
        "tables":[{"name":"circuits","schema":"++id, name","rowCount":2},
                  {"name":"relay_models","schema":"++id, [manufacturer+model]","rowCount":1},
                  {"name":"settings","schema":"&setting, value","rowCount":1},
                  {"name":"pairs","schema":"[manufacturer+model]","rowCount":1}],
        "data":[{"tableName":"circuits","inbound":true,"rows":[{"id":1,"name":"A"},{"id":2.0,"name":"B"}]},
                {"tableName":"relay_models","inbound":true,"rows":[{"id":7,"manufacturer":"Acme","model":"R1"}]},
                {"tableName":"settings","inbound":true,"rows":[{"setting":"wifi","value":{"password":"p"}}]},
                {"tableName":"pairs","inbound":true,"rows":[{"manufacturer":"Acme","model":"R1"}]}]}}"#;

    #[test]
    fn tables_rows_and_keys() {
        let doc = doc(SMALL);
        let e = Export::new(&doc).unwrap();
        assert!(e.problems.is_empty(), "{:?}", e.problems);
        assert_eq!(e.database_name, Some(DATABASE_NAME));
        assert_eq!(
            e.database_version.map(ToString::to_string).as_deref(),
            Some("3")
        );
        let keys = |t: &str| -> Vec<String> {
            e.table(t)
                .unwrap()
                .rows
                .iter()
                .map(|r| r.key.as_ref().unwrap().to_string())
                .collect()
        };
        assert_eq!(keys("circuits"), vec!["1", "2"]);
        assert_eq!(keys("relay_models"), vec!["7"]);
        assert_eq!(keys("settings"), vec![r#""wifi""#]);
        assert_eq!(keys("pairs"), vec![r#"["Acme","R1"]"#]);
        let pair = e.table("pairs").unwrap().rows[0].key.clone().unwrap();
        assert_eq!(serde_json::to_string(&pair).unwrap(), r#"["Acme","R1"]"#);
        assert_eq!(e.total_rows(), 5);
    }

    #[test]
    fn outbound_tables_hold_key_value_pairs() {
        let doc = doc(
            r#"{"formatName":"dexie","data":{"databaseName":"FireFly-Controller",
            "tables":[{"name":"kv","schema":"","rowCount":2}],
            "data":[{"tableName":"kv","inbound":false,"rows":[["a",{"x":1}],[5,2]]}]}}"#,
        );
        let e = Export::new(&doc).unwrap();
        let kv = e.table("kv").unwrap();
        assert_eq!(kv.key.key, PrimaryKey::Outbound);
        assert_eq!(kv.rows[0].key.as_ref().unwrap().as_str(), r#""a""#);
        assert_eq!(kv.rows[0].value.get("x"), Some(&Value::Number(1u64.into())));
        assert_eq!(kv.rows[1].key.as_ref().unwrap().as_str(), "5");
        assert!(e.problems.is_empty(), "{:?}", e.problems);
    }

    #[test]
    fn errors_name_the_problem_without_values() {
        assert_eq!(parse(b"{\"a\":").unwrap_err().code(), "not_json");
        let not_json = parse(b"password=hunter2").unwrap_err().to_string();
        assert!(
            not_json.starts_with("not JSON (") && !not_json.contains("hunter2"),
            "{not_json}"
        );
        let check = |text: &str, code: &str, words: &str| {
            let doc = parse(text.as_bytes()).unwrap();
            let err = Export::new(&doc).unwrap_err();
            assert_eq!(err.code(), code, "{text}");
            assert!(err.to_string().contains(words), "{err}");
        };
        check("[1]", "not_an_object", "a JSON array");
        check(r#"{"a":1}"#, "not_dexie", "no formatName");
        check(r#"{"formatName":"other"}"#, "not_dexie", "\"other\"");
        check(r#"{"formatName":"dexie"}"#, "no_data", "no data object");
        check(r#"{"formatName":"dexie","data":[]}"#, "no_data", "an array");
    }

    #[test]
    fn problems_are_reported_and_the_rest_is_read() {
        let doc = doc(r#"{"formatName":"dexie","data":{"databaseName":"firefly",
            "tables":[{"name":"a","schema":"++id","rowCount":3},{"name":"a"},{"schema":"x"},
                      {"name":"b","rowCount":0},{"name":"n","schema":"++id"}],
            "data":[{"tableName":"a","rows":[{"id":1},{"name":"no key"},{"id":1},{"id":{"o":1}}]},
                    {"tableName":"c","rows":[{"id":"x"}]},
                    {"tableName":"a","rows":[]},
                    {"tableName":"b","rows":{}},
                    {"rows":[]}]}}"#);
        let e = Export::new(&doc).unwrap();
        let codes: Vec<&str> = e.problems.iter().map(ExportProblem::code).collect();
        assert_eq!(
            codes,
            vec![
                "wrong_database",
                "declared_twice",
                "unnamed_entry",
                "no_schema",
                "rows_without_key",
                "duplicate_keys",
                "undeclared_table",
                "rows_twice",
                "rows_not_an_array",
                "unnamed_entry",
                "no_rows",
                "row_count",
            ],
            "{:#?}",
            e.problems
        );
        let text: Vec<String> = e.problems.iter().map(ToString::to_string).collect();
        assert!(text[0].contains("\"firefly\"") && text[0].contains("FireFly-Controller"));
        assert!(
            text[4].contains("2 rows without a usable primary key id"),
            "{}",
            text[4]
        );
        assert!(
            text[11].contains("rowCount says 3, the export has 4 rows"),
            "{}",
            text[11]
        );
        assert!(e.problems[0].refused_by_app());
        let a = e.table("a").unwrap();
        assert_eq!(a.rows.len(), 4);
        assert!(a.rows[1].key.is_none() && a.rows[2].key.is_none());
        assert_eq!(e.table("c").unwrap().key.key.to_string(), "id");
    }

    #[test]
    fn the_view_filters_tables_and_hides_secrets() {
        let doc = doc(SMALL);
        let e = Export::new(&doc).unwrap();
        let all = serde_json::to_string(&e.view(|_| true, true)).unwrap();
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&all).unwrap(),
            serde_json::from_str::<serde_json::Value>(SMALL).unwrap()
        );
        assert!(all.starts_with(r#"{"formatName":"dexie","formatVersion":1,"data":"#));
        let hidden = serde_json::to_string(&e.view(|t| t == "settings", false)).unwrap();
        assert!(!hidden.contains(r#""p""#), "{hidden}");
        assert!(hidden.contains(r#""password":"[redacted]""#), "{hidden}");
        assert!(!hidden.contains("circuits"), "{hidden}");
        let shown = serde_json::to_string(&e.view(|t| t == "settings", true)).unwrap();
        assert!(shown.contains(r#""password":"p""#), "{shown}");
    }
}
