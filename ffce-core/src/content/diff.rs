//! What changed between two Dexie exports: tables added and removed, and in each
//! table the rows added, removed and changed, with the changed fields of each.
//!
//! Rows are matched by their table's primary key ([`RowKey`]), never by their position,
//! so an export that lists the same rows in another order has no changes. A changed
//! row lists each changed field as a path into the row (`value.port`); objects are
//! compared field by field, anything else (arrays included) as a whole. Rows without
//! a usable key (see [`ExportProblem`](super::ExportProblem)) are matched by their
//! whole content: such a row is unchanged, or it is removed and another added.
//!
//! A change records whether it concerns a secret ([`FieldChange::secret`], by the
//! rules of [`redact`](super::redact)), so that a tool can say that a password changed
//! without showing either password.

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use serde_json::Number;

use super::export::{Export, Row, RowKey, Table, canonical};
use super::redact;
use super::schema::TableKey;
use super::value::Value;

/// A value before and after.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Change<T> {
    /// In the older export.
    pub before: T,
    /// In the newer export.
    pub after: T,
}

/// The differences between two exports ([`diff`]).
#[derive(Debug)]
pub struct ExportDiff<'e> {
    /// `formatVersion`, when it differs.
    pub format_version: Option<Change<Option<&'e Number>>>,
    /// `data.databaseName`, when it differs: two different databases.
    pub database_name: Option<Change<Option<&'e str>>>,
    /// `data.databaseVersion`, when it differs.
    pub database_version: Option<Change<Option<&'e Number>>>,
    /// Every table of either export: the newer export's in its order, then the ones it
    /// no longer has.
    pub tables: Vec<TableDiff<'e>>,
}

/// Whether a table is in both exports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TableStatus {
    /// Only in the newer export.
    Added,
    /// Only in the older export.
    Removed,
    /// In both.
    Kept,
}

/// One table's differences.
#[derive(Debug)]
pub struct TableDiff<'e> {
    /// The table.
    pub name: &'e str,
    /// Whether it is in both exports.
    pub status: TableStatus,
    /// Its primary key (in the newer export, if it is there).
    pub key: &'e TableKey,
    /// Its schema, when it differs.
    pub schema: Option<Change<Option<&'e str>>>,
    /// Rows in the older export (0 for an added table).
    pub rows_before: usize,
    /// Rows in the newer export (0 for a removed table).
    pub rows_after: usize,
    /// Rows only in the newer export, in its order.
    pub added: Vec<&'e Row<'e>>,
    /// Rows only in the older export, in its order.
    pub removed: Vec<&'e Row<'e>>,
    /// Rows in both, with different content, in the newer export's order.
    pub changed: Vec<RowChange<'e>>,
}

/// A row whose key is in both exports and whose content differs.
#[derive(Debug)]
pub struct RowChange<'e> {
    /// The row's key.
    pub key: &'e RowKey<'e>,
    /// The row in the older export.
    pub before: &'e Row<'e>,
    /// The row in the newer export.
    pub after: &'e Row<'e>,
    /// The fields that differ, in the newer row's order, then the removed ones.
    pub fields: Vec<FieldChange<'e>>,
}

/// One field that differs.
#[derive(Debug)]
pub struct FieldChange<'e> {
    /// Where in the row.
    pub path: FieldPath<'e>,
    /// The old value; `None` when the field is new.
    pub before: Option<&'e Value>,
    /// The new value; `None` when the field was removed.
    pub after: Option<&'e Value>,
    /// True when the field holds a secret (in either row): say that it changed, do not
    /// show its values.
    pub secret: bool,
}

/// A path into a row: field names, outermost first. Written with dots (`value.port`);
/// a name that is not a plain word is quoted (`value["odd name"]`), and the path of a
/// row that is not an object is `(value)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldPath<'e>(pub Vec<&'e str>);

impl fmt::Display for FieldPath<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str("(value)");
        }
        for (i, name) in self.0.iter().enumerate() {
            let plain = !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '$');
            if plain {
                if i > 0 {
                    f.write_str(".")?;
                }
                f.write_str(name)?;
            } else {
                f.write_str("[")?;
                f.write_str(&serde_json::to_string(name).unwrap_or_default())?;
                f.write_str("]")?;
            }
        }
        Ok(())
    }
}

/// Counts over a whole diff.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Totals {
    /// Tables only in the newer export.
    pub tables_added: u64,
    /// Tables only in the older export.
    pub tables_removed: u64,
    /// Tables in both with a change (rows or schema).
    pub tables_changed: u64,
    /// Rows added (those of added tables included).
    pub rows_added: u64,
    /// Rows removed (those of removed tables included).
    pub rows_removed: u64,
    /// Rows changed.
    pub rows_changed: u64,
}

impl TableDiff<'_> {
    /// True when the table is in both exports with the same schema and rows.
    pub fn is_unchanged(&self) -> bool {
        self.status == TableStatus::Kept
            && self.schema.is_none()
            && self.added.is_empty()
            && self.removed.is_empty()
            && self.changed.is_empty()
    }
}

impl ExportDiff<'_> {
    /// True when the two exports hold the same content.
    pub fn is_empty(&self) -> bool {
        self.format_version.is_none()
            && self.database_name.is_none()
            && self.database_version.is_none()
            && self.tables.iter().all(TableDiff::is_unchanged)
    }

    /// Counts of tables and rows added, removed and changed.
    pub fn totals(&self) -> Totals {
        let mut t = Totals::default();
        for table in &self.tables {
            match table.status {
                TableStatus::Added => t.tables_added += 1,
                TableStatus::Removed => t.tables_removed += 1,
                TableStatus::Kept if !table.is_unchanged() => t.tables_changed += 1,
                TableStatus::Kept => {}
            }
            t.rows_added += table.added.len() as u64;
            t.rows_removed += table.removed.len() as u64;
            t.rows_changed += table.changed.len() as u64;
        }
        t
    }
}

fn change<T: PartialEq + Copy>(before: T, after: T) -> Option<Change<T>> {
    (before != after).then_some(Change { before, after })
}

fn same_number(a: Option<&Number>, b: Option<&Number>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => Value::Number(a.clone()) == Value::Number(b.clone()),
        (None, None) => true,
        _ => false,
    }
}

fn number_change<'e>(
    a: Option<&'e Number>,
    b: Option<&'e Number>,
) -> Option<Change<Option<&'e Number>>> {
    (!same_number(a, b)).then_some(Change {
        before: a,
        after: b,
    })
}

/// Compares two exports, `before` the older.
///
/// ```
/// use ffce_core::content::{self, Export, diff};
///
/// let old = content::parse(br#"{"formatName":"dexie","data":{"databaseName":"FireFly-Controller",
///   "tables":[{"name":"settings","schema":"&setting,value","rowCount":1}],
///   "data":[{"tableName":"settings","inbound":true,
///            "rows":[{"setting":"mqtt","value":{"host":"broker","port":1883}}]}]}}"#)?;
/// let new = content::parse(br#"{"formatName":"dexie","data":{"databaseName":"FireFly-Controller",
///   "tables":[{"name":"settings","schema":"&setting,value","rowCount":1}],
///   "data":[{"tableName":"settings","inbound":true,
///            "rows":[{"value":{"port":8883,"host":"broker"},"setting":"mqtt"}]}]}}"#)?;
/// let (old, new) = (Export::new(&old)?, Export::new(&new)?);
/// let d = diff(&old, &new);
/// let change = &d.tables[0].changed[0];
/// assert_eq!(change.key.as_str(), r#""mqtt""#);
/// assert_eq!(change.fields[0].path.to_string(), "value.port");
/// assert_eq!(d.totals().rows_changed, 1);
/// # Ok::<(), content::ExportError>(())
/// ```
pub fn diff<'e>(before: &'e Export<'e>, after: &'e Export<'e>) -> ExportDiff<'e> {
    let mut tables = Vec::new();
    for table in &after.tables {
        tables.push(match before.table(table.name) {
            Some(old) => table_diff(old, table),
            None => TableDiff {
                name: table.name,
                status: TableStatus::Added,
                key: &table.key,
                schema: None,
                rows_before: 0,
                rows_after: table.rows.len(),
                added: table.rows.iter().collect(),
                removed: Vec::new(),
                changed: Vec::new(),
            },
        });
    }
    for table in &before.tables {
        if after.table(table.name).is_none() {
            tables.push(TableDiff {
                name: table.name,
                status: TableStatus::Removed,
                key: &table.key,
                schema: None,
                rows_before: table.rows.len(),
                rows_after: 0,
                added: Vec::new(),
                removed: table.rows.iter().collect(),
                changed: Vec::new(),
            });
        }
    }
    ExportDiff {
        format_version: number_change(before.format_version, after.format_version),
        database_name: change(before.database_name, after.database_name),
        database_version: number_change(before.database_version, after.database_version),
        tables,
    }
}

/// How a row is matched: by its key, or (without one) by its whole content.
fn match_text(row: &Row<'_>) -> (bool, String) {
    match &row.key {
        Some(key) => (true, String::from(key.as_str())),
        None => {
            let mut text = String::new();
            canonical(row.value, &mut text);
            (false, text)
        }
    }
}

fn table_diff<'e>(old: &'e Table<'e>, new: &'e Table<'e>) -> TableDiff<'e> {
    // Old rows by how they are matched; keyless rows with equal content form a list.
    let mut index: BTreeMap<(bool, String), Vec<usize>> = BTreeMap::new();
    for (i, row) in old.rows.iter().enumerate() {
        index.entry(match_text(row)).or_default().push(i);
    }
    let mut matched = alloc::vec![false; old.rows.len()];
    let mut added = Vec::new();
    let mut changed = Vec::new();
    for row in &new.rows {
        let found = index.get_mut(&match_text(row)).and_then(|list| {
            let at = list.iter().position(|&i| !matched[i])?;
            Some(list[at])
        });
        let Some(i) = found else {
            added.push(row);
            continue;
        };
        matched[i] = true;
        let old_row = &old.rows[i];
        if let (Some(key), false) = (&row.key, old_row.value == row.value) {
            let mut fields = Vec::new();
            diff_fields(&mut Vec::new(), old_row.value, row.value, &mut fields);
            for f in &mut fields {
                f.secret = redact::is_secret_path(old_row.value, &f.path.0)
                    || redact::is_secret_path(row.value, &f.path.0)
                    || f.before.is_some_and(redact::contains_private_key)
                    || f.after.is_some_and(redact::contains_private_key);
            }
            changed.push(RowChange {
                key,
                before: old_row,
                after: row,
                fields,
            });
        }
    }
    let removed = old
        .rows
        .iter()
        .zip(&matched)
        .filter(|(_, m)| !**m)
        .map(|(row, _)| row)
        .collect();
    TableDiff {
        name: new.name,
        status: TableStatus::Kept,
        key: &new.key,
        schema: change(old.schema, new.schema),
        rows_before: old.rows.len(),
        rows_after: new.rows.len(),
        added,
        removed,
        changed,
    }
}

/// Appends the fields in which `before` and `after` (which differ) differ.
fn diff_fields<'e>(
    path: &mut Vec<&'e str>,
    before: &'e Value,
    after: &'e Value,
    out: &mut Vec<FieldChange<'e>>,
) {
    let field = |path: &[&'e str], before, after| FieldChange {
        path: FieldPath(path.to_vec()),
        before,
        after,
        secret: false,
    };
    match (before, after) {
        (Value::Object(b), Value::Object(a)) => {
            for (name, new) in a.iter() {
                path.push(name);
                match b.get(name) {
                    Some(old) if old == new => {}
                    Some(old) => diff_fields(path, old, new, out),
                    None => out.push(field(path, None, Some(new))),
                }
                path.pop();
            }
            for (name, old) in b.iter() {
                if a.get(name).is_none() {
                    path.push(name);
                    out.push(field(path, Some(old), None));
                    path.pop();
                }
            }
        }
        _ => out.push(field(path, Some(before), Some(after))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::content::export::parse;
    use alloc::format;
    use alloc::string::ToString;
    use alloc::vec;

    fn export(rows: &str) -> Value {
        parse(
            format!(
                r#"{{"formatName":"dexie","formatVersion":1,"data":{{"databaseName":"FireFly-Controller",
                "databaseVersion":3,
                "tables":[{{"name":"t","schema":"++id, name"}},{{"name":"settings","schema":"&setting, value"}}],
                "data":[{{"tableName":"t","inbound":true,"rows":{rows}}},
                        {{"tableName":"settings","inbound":true,"rows":[{{"setting":"wifi","value":{{"ssid":"s","password":"p1"}}}}]}}]}}}}"#
            )
            .as_bytes(),
        )
        .unwrap()
    }

    fn both<'a>(a: &'a Value, b: &'a Value) -> (Export<'a>, Export<'a>) {
        (Export::new(a).unwrap(), Export::new(b).unwrap())
    }

    #[test]
    fn reordered_rows_and_fields_are_no_change() {
        let a = export(r#"[{"id":1,"name":"a"},{"id":2,"name":"b","x":{"p":1,"q":2}}]"#);
        let b = export(r#"[{"x":{"q":2,"p":1.0},"name":"b","id":2},{"name":"a","id":1}]"#);
        let (a, b) = both(&a, &b);
        let d = diff(&a, &b);
        assert!(d.is_empty(), "{d:#?}");
        assert_eq!(d.totals(), Totals::default());
    }

    #[test]
    fn added_removed_and_changed_rows_with_field_paths() {
        let a = export(r#"[{"id":1,"name":"a"},{"id":2,"name":"b"},{"id":3,"o":{"p":1,"q":[1]}}]"#);
        let b = export(
            r#"[{"id":3,"o":{"p":2,"q":[1,2],"r":true}},{"id":1,"name":"A"},{"id":4,"name":"d"}]"#,
        );
        let (a, b) = both(&a, &b);
        let d = diff(&a, &b);
        let t = &d.tables[0];
        assert_eq!(t.name, "t");
        assert_eq!(
            t.added
                .iter()
                .map(|r| r.key.as_ref().unwrap().to_string())
                .collect::<Vec<_>>(),
            vec!["4"]
        );
        assert_eq!(
            t.removed
                .iter()
                .map(|r| r.key.as_ref().unwrap().to_string())
                .collect::<Vec<_>>(),
            vec!["2"]
        );
        let changed: Vec<(String, Vec<String>)> = t
            .changed
            .iter()
            .map(|c| {
                (
                    c.key.to_string(),
                    c.fields.iter().map(|f| f.path.to_string()).collect(),
                )
            })
            .collect();
        assert_eq!(
            changed,
            vec![
                (
                    "3".to_string(),
                    vec!["o.p".to_string(), "o.q".into(), "o.r".into()]
                ),
                ("1".to_string(), vec!["name".to_string()]),
            ]
        );
        let r = &t.changed[0].fields[2];
        assert!(r.before.is_none() && r.after == Some(&Value::Bool(true)));
        assert_eq!(
            d.totals(),
            Totals {
                tables_changed: 1,
                rows_added: 1,
                rows_removed: 1,
                rows_changed: 2,
                ..Totals::default()
            }
        );
        assert!(d.tables[1].is_unchanged());
    }

    #[test]
    fn a_secret_change_is_marked() {
        let a = export("[]");
        let text = serde_json::to_string(&a)
            .unwrap()
            .replace("p1", "p2")
            .replace(r#""ssid":"s""#, r#""ssid":"t""#);
        let b = parse(text.as_bytes()).unwrap();
        let (a, b) = both(&a, &b);
        let d = diff(&a, &b);
        let fields = &d.tables[1].changed[0].fields;
        let marks: Vec<(String, bool)> = fields
            .iter()
            .map(|f| (f.path.to_string(), f.secret))
            .collect();
        assert_eq!(
            marks,
            vec![
                ("value.ssid".to_string(), false),
                ("value.password".to_string(), true)
            ]
        );
    }

    #[test]
    fn keyless_rows_match_by_content_and_tables_come_and_go() {
        let a = export(r#"[{"name":"no key"},{"name":"gone"}]"#);
        let b_text = serde_json::to_string(&export(r#"[{"name":"no key"},{"name":"new"}]"#))
            .unwrap()
            .replace(
                r#"{"name":"settings","schema":"&setting, value"}"#,
                r#"{"name":"tags","schema":"++id"}"#,
            )
            .replace(r#""tableName":"settings""#, r#""tableName":"tags""#);
        let b = parse(b_text.as_bytes()).unwrap();
        let (a, b) = both(&a, &b);
        let d = diff(&a, &b);
        let t = &d.tables[0];
        assert!(t.changed.is_empty());
        assert_eq!(t.added.len(), 1);
        assert_eq!(t.removed.len(), 1);
        assert_eq!(
            t.added[0].value.get("name").and_then(Value::as_str),
            Some("new")
        );
        let statuses: Vec<(&str, TableStatus)> =
            d.tables.iter().map(|t| (t.name, t.status)).collect();
        assert_eq!(
            statuses,
            vec![
                ("t", TableStatus::Kept),
                ("tags", TableStatus::Added),
                ("settings", TableStatus::Removed)
            ]
        );
        let totals = d.totals();
        assert_eq!(
            (
                totals.tables_added,
                totals.tables_removed,
                totals.rows_removed
            ),
            (1, 1, 2)
        );
    }

    #[test]
    fn metadata_changes() {
        let a = export("[]");
        let b_text = serde_json::to_string(&a)
            .unwrap()
            .replace(r#""databaseVersion":3"#, r#""databaseVersion":4"#)
            .replace(
                r#""databaseName":"FireFly-Controller""#,
                r#""databaseName":"other""#,
            )
            .replace(r#""schema":"++id, name""#, r#""schema":"++id, name, area""#);
        let b = parse(b_text.as_bytes()).unwrap();
        let (ea, eb) = both(&a, &b);
        let d = diff(&ea, &eb);
        assert!(!d.is_empty());
        assert_eq!(
            d.database_version.map(|c| c.after.map(ToString::to_string)),
            Some(Some("4".into()))
        );
        assert_eq!(d.database_name.map(|c| c.after), Some(Some("other")));
        assert_eq!(
            d.tables[0].schema.map(|c| c.after),
            Some(Some("++id, name, area"))
        );
        assert_eq!(d.totals().tables_changed, 1);
    }

    #[test]
    fn paths_are_written_readably() {
        assert_eq!(FieldPath(vec!["value", "port"]).to_string(), "value.port");
        assert_eq!(
            FieldPath(vec!["value", "odd name"]).to_string(),
            r#"value["odd name"]"#
        );
        assert_eq!(FieldPath(vec![]).to_string(), "(value)");
    }
}

#[cfg(test)]
mod props {
    use super::*;
    use crate::content::export::parse;
    use crate::content::redact::Redacted;
    use proptest::prelude::*;

    /// Text that is often a Dexie export with odd parts: the fixed frame, then a
    /// random tail of JSON-ish characters inside `data`.
    fn exportish() -> impl Strategy<Value = String> {
        r#"[\[\]{}":,a-z0-9 +&.-]{0,120}"#.prop_map(|tail| {
            alloc::format!(
                r#"{{"formatName":"dexie","data":{{"tables":[{{"name":"t","schema":"++id"}}],"data":[{{"tableName":"t","rows":[{tail}]}}]}}}}"#
            )
        })
    }

    proptest! {
        #[test]
        fn never_panics_and_an_export_equals_itself(s in exportish()) {
            if let Ok(doc) = parse(s.as_bytes()) {
                if let Ok(e) = Export::new(&doc) {
                    prop_assert!(diff(&e, &e).is_empty());
                    let _ = serde_json::to_string(&e.view(|_| true, false)).unwrap();
                    let _ = serde_json::to_string(&Redacted(&doc)).unwrap();
                    for p in &e.problems {
                        let _ = alloc::string::ToString::to_string(p);
                    }
                }
            }
        }

        #[test]
        fn never_panics_on_any_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
            if let Ok(doc) = parse(&bytes) {
                let _ = Export::new(&doc).map(|e| diff(&e, &e).totals());
            }
        }
    }
}
