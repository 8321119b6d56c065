//! `ffce diff`: what changed between two backups. For people, each changed table with
//! its rows marked `+` (added), `-` (removed) and `M` (changed, one line per changed
//! field), then the totals; with `--stat` counts per table only; with `--json` one
//! document; with `--jsonl` one record per row, then the summary.

use ffce_core::content::{
    Change, ExportDiff, FieldChange, RowChange, TableDiff, TableStatus as CoreStatus, Totals,
};
use ffce_core::numbers::Count;
use schemars::JsonSchema;
use serde::Serialize;

use super::content::{ContentProblem, JsonValue, Secrets, SourceInfo, json_text, printable};
use super::show::{KeyJson, key_text};
use super::{Human, Record, Style};

/// Values in the human form longer than this many characters are cut (`…`).
const MAX_VALUE: usize = 60;
/// Added and removed rows in the human form longer than this are cut.
const MAX_ROW: usize = 100;

/// What `ffce diff` reports.
#[derive(Debug, Serialize, JsonSchema)]
pub struct DiffReport<'a> {
    /// The older backup.
    pub from: SourceInfo,
    /// The newer backup.
    pub to: SourceInfo,
    /// True when the two hold the same content (`--exit-code` exits 0, else 6).
    pub identical: bool,
    /// Whether secrets' values are shown (`revealed`) or left out (`redacted`).
    pub secrets: Secrets,
    /// The database's name, version and export format, where they differ.
    pub database: DatabaseChanges,
    /// Counts over all tables.
    pub totals: DiffTotals,
    /// Every table of either backup (the newer one's in its order, then the ones it
    /// no longer has), or only the `--table`s asked for.
    pub tables: Vec<TableChanges<'a>>,
    /// Problems found in either backup (rows without their primary key, a database
    /// the controller's app refuses, ...).
    pub problems: Vec<SideProblem>,
}

/// A value before and after.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ValueChange<T> {
    /// In the older backup.
    pub before: T,
    /// In the newer backup.
    pub after: T,
}

/// The database's metadata that differs; an absent field did not change.
#[derive(Debug, Default, Serialize, JsonSchema)]
pub struct DatabaseChanges {
    /// `data.databaseName`: two different databases.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<ValueChange<Option<String>>>,
    /// `data.databaseVersion`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<ValueChange<Option<serde_json::Number>>>,
    /// `formatVersion`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub format_version: Option<ValueChange<Option<serde_json::Number>>>,
}

/// Counts over the tables reported.
#[derive(Debug, Default, Serialize, JsonSchema)]
pub struct DiffTotals {
    /// Tables only in the newer backup.
    pub tables_added: u64,
    /// Tables only in the older backup.
    pub tables_removed: u64,
    /// Tables in both with a change.
    pub tables_changed: u64,
    /// Rows added (those of added tables included).
    pub rows_added: u64,
    /// Rows removed (those of removed tables included).
    pub rows_removed: u64,
    /// Rows changed.
    pub rows_changed: u64,
}

impl From<Totals> for DiffTotals {
    fn from(t: Totals) -> DiffTotals {
        DiffTotals {
            tables_added: t.tables_added,
            tables_removed: t.tables_removed,
            tables_changed: t.tables_changed,
            rows_added: t.rows_added,
            rows_removed: t.rows_removed,
            rows_changed: t.rows_changed,
        }
    }
}

/// Whether a table is in both backups.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TableStatus {
    /// Only in the newer backup.
    Added,
    /// Only in the older backup.
    Removed,
    /// In both, unchanged.
    Unchanged,
    /// In both, changed.
    Changed,
}

/// One table's changes.
#[derive(Debug, Serialize, JsonSchema)]
pub struct TableChanges<'a> {
    /// The table.
    pub name: String,
    /// Added, removed, changed or unchanged.
    pub status: TableStatus,
    /// Its primary key, by which rows are matched (`id`, `[manufacturer+model]`).
    pub primary_key: String,
    /// Rows in the older backup.
    pub rows_before: u64,
    /// Rows in the newer backup.
    pub rows_after: u64,
    /// Rows added.
    pub added: u64,
    /// Rows removed.
    pub removed: u64,
    /// Rows changed.
    pub changed: u64,
    /// Its schema, when it differs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub schema: Option<ValueChange<Option<String>>>,
    /// The rows themselves (absent with `--stat` and in `--jsonl`, which prints them
    /// as records).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rows: Option<RowLists<'a>>,
}

/// A table's added, removed and changed rows.
#[derive(Debug, Serialize, JsonSchema)]
pub struct RowLists<'a> {
    /// Rows only in the newer backup.
    pub added: Vec<RowOut<'a>>,
    /// Rows only in the older backup.
    pub removed: Vec<RowOut<'a>>,
    /// Rows in both, changed.
    pub changed: Vec<ChangedRow<'a>>,
}

/// An added or removed row.
#[derive(Debug, Serialize, JsonSchema)]
pub struct RowOut<'a> {
    /// Its primary key (an array for a compound key; `null` without one).
    #[schemars(with = "serde_json::Value")]
    pub key: KeyJson<'a>,
    /// The row, secrets replaced by `"[redacted]"` unless revealed.
    #[schemars(with = "serde_json::Value")]
    pub row: JsonValue<'a>,
}

/// A changed row.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ChangedRow<'a> {
    /// Its primary key.
    #[schemars(with = "serde_json::Value")]
    pub key: KeyJson<'a>,
    /// The fields that differ.
    pub fields: Vec<FieldOut<'a>>,
}

/// How a field differs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum FieldChangeKind {
    /// Only in the newer row.
    Added,
    /// Only in the older row.
    Removed,
    /// In both, with different values.
    Changed,
}

/// A field that differs.
#[derive(Debug, Serialize, JsonSchema)]
pub struct FieldOut<'a> {
    /// Where in the row: field names joined by dots (`value.port`), a name that is not
    /// a plain word quoted (`value["odd name"]`).
    pub path: String,
    /// Added, removed or changed.
    pub change: FieldChangeKind,
    /// True when the field holds a secret (password, token, private key, ...).
    pub secret: bool,
    /// True when `before` and `after` are left out because the field is a secret and
    /// secrets are not revealed.
    pub redacted: bool,
    /// The old value (absent for an added field, or when redacted).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<serde_json::Value>")]
    pub before: Option<JsonValue<'a>>,
    /// The new value (absent for a removed field, or when redacted).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<serde_json::Value>")]
    pub after: Option<JsonValue<'a>>,
}

/// A problem in one of the two backups.
#[derive(Debug, Serialize, JsonSchema)]
pub struct SideProblem {
    /// `from` (the older backup) or `to`.
    pub side: &'static str,
    /// The problem.
    #[serde(flatten)]
    pub problem: ContentProblem,
}

/// One added, removed or changed row (`ffce diff --jsonl`).
#[derive(Debug, Serialize, JsonSchema)]
pub struct RowChangeRecord<'a> {
    /// The table.
    pub table: &'a str,
    /// Added, removed or changed.
    pub change: FieldChangeKind,
    /// The row's primary key.
    #[schemars(with = "serde_json::Value")]
    pub key: KeyJson<'a>,
    /// The added or removed row.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<serde_json::Value>")]
    pub row: Option<JsonValue<'a>>,
    /// The fields of a changed row.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fields: Option<Vec<FieldOut<'a>>>,
}

impl Record for RowChangeRecord<'_> {
    const KIND: &'static str = "row_change";

    fn human(&self, out: &mut Human) {
        let text = serde_json::to_string(self).unwrap_or_default();
        out.line(&printable(&text));
    }
}

fn number(n: Option<&serde_json::Number>) -> Option<serde_json::Number> {
    n.cloned()
}

impl DatabaseChanges {
    /// The metadata changes of `diff`.
    pub fn of(diff: &ExportDiff<'_>) -> DatabaseChanges {
        DatabaseChanges {
            name: diff.database_name.map(|c| ValueChange {
                before: c.before.map(str::to_string),
                after: c.after.map(str::to_string),
            }),
            version: diff.database_version.map(|c| ValueChange {
                before: number(c.before),
                after: number(c.after),
            }),
            format_version: diff.format_version.map(|c| ValueChange {
                before: number(c.before),
                after: number(c.after),
            }),
        }
    }

    fn is_empty(&self) -> bool {
        self.name.is_none() && self.version.is_none() && self.format_version.is_none()
    }
}

/// A field change as reported.
pub fn field_out<'a>(f: &'a FieldChange<'a>, secrets: Secrets) -> FieldOut<'a> {
    let hidden = f.secret && !secrets.revealed();
    let value = |v: Option<&'a ffce_core::content::Value>| {
        v.filter(|_| !hidden)
            .map(|value| JsonValue { value, secrets })
    };
    FieldOut {
        path: f.path.to_string(),
        change: match (f.before, f.after) {
            (None, _) => FieldChangeKind::Added,
            (_, None) => FieldChangeKind::Removed,
            _ => FieldChangeKind::Changed,
        },
        secret: f.secret,
        redacted: hidden,
        before: value(f.before),
        after: value(f.after),
    }
}

/// The fields of a changed row, as reported.
pub fn fields_out<'a>(change: &'a RowChange<'a>, secrets: Secrets) -> Vec<FieldOut<'a>> {
    change
        .fields
        .iter()
        .map(|f| field_out(f, secrets))
        .collect()
}

impl<'a> TableChanges<'a> {
    /// `table`'s changes; with `rows`, the rows themselves too.
    pub fn of(table: &'a TableDiff<'a>, rows: bool, secrets: Secrets) -> TableChanges<'a> {
        let status = match table.status {
            CoreStatus::Added => TableStatus::Added,
            CoreStatus::Removed => TableStatus::Removed,
            CoreStatus::Kept if table.is_unchanged() => TableStatus::Unchanged,
            CoreStatus::Kept => TableStatus::Changed,
        };
        let key = |k| KeyJson { key: k, secrets };
        TableChanges {
            name: table.name.to_string(),
            status,
            primary_key: table.key.key.to_string(),
            rows_before: table.rows_before as u64,
            rows_after: table.rows_after as u64,
            added: table.added.len() as u64,
            removed: table.removed.len() as u64,
            changed: table.changed.len() as u64,
            schema: table.schema.map(|Change { before, after }| ValueChange {
                before: before.map(str::to_string),
                after: after.map(str::to_string),
            }),
            rows: rows.then(|| RowLists {
                added: table
                    .added
                    .iter()
                    .map(|r| RowOut {
                        key: key(r.key.as_ref()),
                        row: JsonValue {
                            value: r.value,
                            secrets,
                        },
                    })
                    .collect(),
                removed: table
                    .removed
                    .iter()
                    .map(|r| RowOut {
                        key: key(r.key.as_ref()),
                        row: JsonValue {
                            value: r.value,
                            secrets,
                        },
                    })
                    .collect(),
                changed: table
                    .changed
                    .iter()
                    .map(|c| ChangedRow {
                        key: key(Some(c.key)),
                        fields: fields_out(c, secrets),
                    })
                    .collect(),
            }),
        }
    }
}

fn optional(v: &Option<impl ToString>) -> String {
    v.as_ref().map_or_else(
        || "(none)".to_string(),
        |v| printable(&v.to_string()).into_owned(),
    )
}

impl Record for DiffReport<'_> {
    const KIND: &'static str = "diff";

    fn human(&self, out: &mut Human) {
        out.styled(Style::Bad, &format!("--- {}", self.from.describe()))
            .line("");
        out.styled(Style::Good, &format!("+++ {}", self.to.describe()))
            .line("");
        if let Some(c) = &self.database.name {
            out.line(&format!(
                "database name: {} → {}",
                optional(&c.before),
                optional(&c.after)
            ));
        }
        if let Some(c) = &self.database.version {
            out.line(&format!(
                "database version: {} → {}",
                optional(&c.before),
                optional(&c.after)
            ));
        }
        if let Some(c) = &self.database.format_version {
            out.line(&format!(
                "export format version: {} → {}",
                optional(&c.before),
                optional(&c.after)
            ));
        }
        if self.identical {
            let rows: u64 = self.tables.iter().map(|t| t.rows_after).sum();
            out.styled(
                Style::Good,
                &format!(
                    "identical: the same {} and {}",
                    Count(self.tables.len() as u64, "table"),
                    Count(rows, "row")
                ),
            )
            .line("");
            return;
        }
        let stat = self.tables.iter().all(|t| t.rows.is_none());
        if stat {
            render_stat(out, &self.tables);
        } else {
            for table in self
                .tables
                .iter()
                .filter(|t| t.status != TableStatus::Unchanged)
            {
                render_table(out, table);
            }
        }
        let t = &self.totals;
        let mut tables = Vec::new();
        if t.tables_changed > 0 {
            tables.push(format!("{} changed", Count(t.tables_changed, "table")));
        }
        if t.tables_added > 0 {
            tables.push(format!("{} added", Count(t.tables_added, "table")));
        }
        if t.tables_removed > 0 {
            tables.push(format!("{} removed", Count(t.tables_removed, "table")));
        }
        if tables.is_empty() && !self.database.is_empty() {
            tables.push("the database metadata changed".to_string());
        }
        out.line("");
        out.line(&format!(
            "{}: {} added, {} removed, {} changed",
            tables.join(", "),
            Count(t.rows_added, "row"),
            t.rows_removed,
            t.rows_changed
        ));
    }
}

/// `--stat`: one line of counts per table that changed.
fn render_stat(out: &mut Human, tables: &[TableChanges<'_>]) {
    let changed: Vec<&TableChanges<'_>> = tables
        .iter()
        .filter(|t| t.status != TableStatus::Unchanged)
        .collect();
    let width = changed
        .iter()
        .map(|t| printable(&t.name).chars().count())
        .max()
        .unwrap_or(0)
        .max("TABLE".len());
    out.styled(
        Style::Heading,
        &format!(
            "{:<width$}  {:>7}  {:>7}  {:>7}  ROWS",
            "TABLE", "ADDED", "REMOVED", "CHANGED"
        ),
    )
    .line("");
    for t in changed {
        let note = match t.status {
            TableStatus::Added => " (new table)",
            TableStatus::Removed => " (table removed)",
            _ if t.schema.is_some() => " (schema changed)",
            _ => "",
        };
        out.line(&format!(
            "{:<width$}  {:>7}  {:>7}  {:>7}  {} → {}{note}",
            printable(&t.name),
            t.added,
            t.removed,
            t.changed,
            t.rows_before,
            t.rows_after
        ));
    }
}

/// A changed table: its heading, then `+`, `-` and `M` lines.
fn render_table(out: &mut Human, t: &TableChanges<'_>) {
    let name = printable(&t.name);
    out.line("");
    let heading = match t.status {
        TableStatus::Added => format!(
            "+ table {name} (new; key {}, {})",
            t.primary_key,
            Count(t.rows_after, "row")
        ),
        TableStatus::Removed => format!(
            "- table {name} (removed; key {}, {})",
            t.primary_key,
            Count(t.rows_before, "row")
        ),
        _ => format!(
            "{name} (key {}): {} → {} rows",
            t.primary_key, t.rows_before, t.rows_after
        ),
    };
    out.styled(Style::Heading, &heading).line("");
    if let Some(c) = &t.schema {
        out.line(&format!(
            "  schema: {} → {}",
            optional(&c.before),
            optional(&c.after)
        ));
    }
    let Some(rows) = &t.rows else { return };
    let width = rows
        .added
        .iter()
        .chain(&rows.removed)
        .map(|r| key_text(r.key.key, r.key.secrets))
        .chain(
            rows.changed
                .iter()
                .map(|c| key_text(c.key.key, c.key.secrets)),
        )
        .map(|k| k.chars().count())
        .max()
        .unwrap_or(0);
    for r in &rows.removed {
        let line = format!(
            "- {:<width$}  {}",
            key_text(r.key.key, r.key.secrets),
            json_text(r.row.value, r.row.secrets, MAX_ROW)
        );
        out.styled(Style::Bad, &line).line("");
    }
    for r in &rows.added {
        let line = format!(
            "+ {:<width$}  {}",
            key_text(r.key.key, r.key.secrets),
            json_text(r.row.value, r.row.secrets, MAX_ROW)
        );
        out.styled(Style::Good, &line).line("");
    }
    for c in &rows.changed {
        let key = key_text(c.key.key, c.key.secrets);
        for (i, f) in c.fields.iter().enumerate() {
            let path = printable(&f.path);
            let what = match (f.redacted, &f.before, &f.after) {
                (true, _, _) => match f.change {
                    FieldChangeKind::Added => {
                        "added (a secret; --reveal-secrets shows it)".to_string()
                    }
                    FieldChangeKind::Removed => {
                        "removed (a secret; --reveal-secrets shows it)".to_string()
                    }
                    FieldChangeKind::Changed => {
                        "changed (a secret; --reveal-secrets shows it)".to_string()
                    }
                },
                (false, Some(b), Some(a)) => format!(
                    "{} → {}",
                    json_text(b.value, b.secrets, MAX_VALUE),
                    json_text(a.value, a.secrets, MAX_VALUE)
                ),
                (false, None, Some(a)) => {
                    format!("added: {}", json_text(a.value, a.secrets, MAX_VALUE))
                }
                (false, Some(b), None) => {
                    format!("removed (was {})", json_text(b.value, b.secrets, MAX_VALUE))
                }
                (false, None, None) => String::new(),
            };
            let (marker, key) = if i == 0 {
                ("M", key.as_str())
            } else {
                (" ", "")
            };
            out.line(&format!("{marker} {key:<width$}  {path}: {what}"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_records_have_schemas() {
        for schema in [
            serde_json::to_value(schemars::schema_for!(DiffReport<'static>)).unwrap(),
            serde_json::to_value(schemars::schema_for!(RowChangeRecord<'static>)).unwrap(),
            serde_json::to_value(schemars::schema_for!(super::super::show::Shown<'static>))
                .unwrap(),
            serde_json::to_value(schemars::schema_for!(super::super::show::ShownRow<'static>))
                .unwrap(),
        ] {
            let text = schema.to_string();
            assert!(text.contains("\"properties\""), "{text}");
        }
        let diff = serde_json::to_value(schemars::schema_for!(DiffReport<'static>)).unwrap();
        for field in [
            "from",
            "to",
            "identical",
            "secrets",
            "database",
            "totals",
            "tables",
        ] {
            assert!(
                diff["properties"].get(field).is_some(),
                "{field} missing: {diff:#}"
            );
        }
    }
}
