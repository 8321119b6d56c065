//! `ffce show`: what a backup holds. For people, a header (source, database, tables)
//! and each table's rows as aligned columns; with `--json` one document whose `export`
//! is the Dexie export itself; with `--jsonl` one record per row, then the summary.

use ffce_core::content::{Export, PrimaryKey, REDACTED, RowKey, Table, Value, redact};
use ffce_core::numbers::Count;
use schemars::JsonSchema;
use serde::{Serialize, Serializer};

use super::content::{
    ContentProblem, JsonValue, Secrets, SourceInfo, cell_text, printable, shorten,
};
use super::{Human, Record, Style};

/// Table cells longer than this many characters are cut (`…`); `--json` has them whole.
const MAX_CELL: usize = 40;
/// The same for the last column, which nothing follows (a `settings` row's `value`).
const MAX_LAST_CELL: usize = 120;

/// What `ffce show` reports: where the backup came from, what it holds, and (with
/// `--json`) the export itself.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Shown<'a> {
    /// Where the backup came from.
    pub source: SourceInfo,
    /// The database the export is of.
    pub database: Database,
    /// Every table of the export, with its key and row count (also those `--table`
    /// left out).
    pub tables: Vec<TableInfo>,
    /// Rows in all tables.
    pub total_rows: u64,
    /// Whether secrets are shown (`revealed`) or replaced by `[redacted]`.
    pub secrets: Secrets,
    /// Why the controller would not restore this backup as it is (e.g.
    /// `wrong_database`); empty when it would.
    pub restore_problems: Vec<ContentProblem>,
    /// What does not fit the export's structure (rows without their primary key, row
    /// counts that disagree, ...).
    pub problems: Vec<ContentProblem>,
    /// The Dexie export itself (`--json` only), with only the `--table`s asked for and
    /// secrets replaced by `"[redacted]"` unless revealed: with `--reveal-secrets`
    /// and no `--table`, `jq .export` gives back the plaintext as JSON.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<serde_json::Value>")]
    pub export: Option<ExportJson<'a>>,
    /// What the human form prints.
    #[serde(skip)]
    pub view: View<'a>,
}

/// The database an export is of.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Database {
    /// `data.databaseName` (the controller's is `FireFly-Controller`).
    pub name: Option<String>,
    /// `data.databaseVersion`.
    pub version: Option<serde_json::Number>,
    /// `formatVersion` of the export format.
    pub format_version: Option<serde_json::Number>,
}

/// One table of the export.
#[derive(Debug, Serialize, JsonSchema)]
pub struct TableInfo {
    /// Its name.
    pub name: String,
    /// Its Dexie schema (`++id, name`), if declared.
    pub schema: Option<String>,
    /// Its primary key as Dexie writes it: `id`, `[manufacturer+model]`, `(outbound)`.
    pub primary_key: String,
    /// True when the table declares no schema and `id` was assumed.
    pub key_assumed: bool,
    /// Rows present.
    pub rows: u64,
    /// `rowCount` as declared, if any.
    pub declared_rows: Option<u64>,
}

impl TableInfo {
    /// The entry for `table`.
    pub fn of(table: &Table<'_>) -> TableInfo {
        TableInfo {
            name: table.name.to_string(),
            schema: table.schema.map(str::to_string),
            primary_key: table.key.key.to_string(),
            key_assumed: table.key.origin == ffce_core::content::KeyOrigin::Assumed,
            rows: table.rows.len() as u64,
            declared_rows: table.declared_rows,
        }
    }
}

/// The export and the tables the human form and `export` show.
#[derive(Debug, Clone, Copy)]
pub struct View<'a> {
    /// The export.
    pub export: &'a Export<'a>,
    /// The tables asked for (`--table`); empty for all.
    pub tables: &'a [String],
    /// Whether secrets are shown.
    pub secrets: Secrets,
}

impl View<'_> {
    fn shows(&self, table: &str) -> bool {
        self.tables.is_empty() || self.tables.iter().any(|t| t == table)
    }
}

/// The export document as `--json` prints it ([`Export::view`]).
#[derive(Debug)]
pub struct ExportJson<'a>(pub View<'a>);

impl Serialize for ExportJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let view = self.0;
        view.export
            .view(|t| view.shows(t), view.secrets.revealed())
            .serialize(s)
    }
}

impl Record for Shown<'_> {
    const KIND: &'static str = "show";

    fn human(&self, out: &mut Human) {
        let mut header: Vec<(&str, String)> = vec![("source", self.source.describe())];
        if let SourceInfo::Device { location, .. } = &self.source {
            header.push(("location", printable(location).into_owned()));
        }
        let db = &self.database;
        header.push((
            "database",
            format!(
                "{}, version {}",
                db.name
                    .as_deref()
                    .map_or("(unnamed)".into(), |n| format!("{:?}", printable(n))),
                db.version
                    .as_ref()
                    .map_or_else(|| "?".to_string(), ToString::to_string)
            ),
        ));
        let mut tables = format!(
            "{}, {}",
            Count(self.tables.len() as u64, "table"),
            Count(self.total_rows, "row")
        );
        if !self.view.tables.is_empty() {
            tables.push_str(&format!(
                " (showing {})",
                self.view
                    .tables
                    .iter()
                    .map(|t| printable(t).into_owned())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        header.push(("tables", tables));
        header.push((
            "secrets",
            match self.secrets {
                Secrets::Redacted => "redacted (--reveal-secrets shows them)".to_string(),
                Secrets::Revealed => "shown (--reveal-secrets)".to_string(),
            },
        ));
        for p in self.restore_problems.iter().chain(&self.problems) {
            header.push(("problem", p.message.clone()));
        }
        for (label, value) in header {
            out.styled(Style::Dim, &format!("{label:<9}"))
                .line(&format!(" {value}"));
        }
        for table in &self.view.export.tables {
            if self.view.shows(table.name) {
                out.line("");
                render_table(out, table, self.view.secrets);
            }
        }
    }
}

/// A table: a heading, then its rows as aligned columns (one per field, in the order
/// the rows first have them).
fn render_table(out: &mut Human, table: &Table<'_>, secrets: Secrets) {
    let heading = format!(
        "{} ({}; key {})",
        printable(table.name),
        Count(table.rows.len() as u64, "row"),
        table.key.key
    );
    out.styled(Style::Heading, &heading).line("");
    if table.rows.is_empty() {
        return;
    }
    let outbound = table.key.key == PrimaryKey::Outbound || table.inbound == Some(false);
    let mut columns: Vec<&str> = Vec::new();
    for row in &table.rows {
        match row.value.as_object() {
            Some(o) => {
                for (name, _) in o.iter() {
                    if !columns.contains(&name) {
                        columns.push(name);
                    }
                }
            }
            None => {
                if !columns.contains(&"(value)") {
                    columns.push("(value)");
                }
            }
        }
    }
    let mut grid: Vec<Vec<String>> = Vec::with_capacity(table.rows.len() + 1);
    let mut titles: Vec<String> = Vec::new();
    if outbound {
        titles.push("(key)".into());
    }
    titles.extend(
        columns
            .iter()
            .map(|c| shorten(&printable(c), MAX_CELL).into_owned()),
    );
    grid.push(titles);
    for row in &table.rows {
        let mut cells = Vec::with_capacity(columns.len() + 1);
        if outbound {
            cells.push(key_text(row.key.as_ref(), secrets));
        }
        for (i, column) in columns.iter().enumerate() {
            let max = if i + 1 == columns.len() {
                MAX_LAST_CELL
            } else {
                MAX_CELL
            };
            cells.push(match row.value {
                Value::Object(o) => match o.get(column) {
                    Some(_) if !secrets.revealed() && redact::is_secret_field(o, column) => {
                        REDACTED.to_string()
                    }
                    Some(v) => cell_text(v, secrets, max),
                    None => String::new(),
                },
                other if *column == "(value)" => cell_text(other, secrets, max),
                _ => String::new(),
            });
        }
        grid.push(cells);
    }
    let widths: Vec<usize> = (0..grid[0].len())
        .map(|i| grid.iter().map(|r| r[i].chars().count()).max().unwrap_or(0))
        .collect();
    for (n, row) in grid.iter().enumerate() {
        let mut line = String::from("  ");
        for (i, cell) in row.iter().enumerate() {
            line.push_str(cell);
            if i + 1 < row.len() {
                let pad = widths[i] - cell.chars().count() + 2;
                line.extend(std::iter::repeat_n(' ', pad));
            }
        }
        let line = line.trim_end();
        if n == 0 {
            out.styled(Style::Heading, line).line("");
        } else {
            out.line(line);
        }
    }
}

/// A row's key for people: compact JSON, or `[redacted]` for a secret one.
pub fn key_text(key: Option<&RowKey<'_>>, secrets: Secrets) -> String {
    match key {
        None => "(no key)".to_string(),
        Some(k) if k.is_secret() && !secrets.revealed() => REDACTED.to_string(),
        Some(k) => shorten(&printable(k.as_str()), MAX_CELL).into_owned(),
    }
}

/// A row's key as JSON: its value (an array for a compound key), `"[redacted]"` for a
/// secret one, `null` for a row without one.
#[derive(Debug, Clone, Copy)]
pub struct KeyJson<'a> {
    /// The key.
    pub key: Option<&'a RowKey<'a>>,
    /// Whether secrets are shown.
    pub secrets: Secrets,
}

impl Serialize for KeyJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.key {
            None => s.serialize_unit(),
            Some(k) if k.is_secret() && !self.secrets.revealed() => s.serialize_str(REDACTED),
            Some(k) => k.serialize(s),
        }
    }
}

/// One row (`ffce show --jsonl`).
#[derive(Debug, Serialize, JsonSchema)]
pub struct ShownRow<'a> {
    /// The table.
    pub table: &'a str,
    /// The row's primary key (an array for a compound key; `null` without one).
    #[schemars(with = "serde_json::Value")]
    pub key: KeyJson<'a>,
    /// The row (for an outbound key, the value beside it), secrets redacted unless
    /// revealed.
    #[schemars(with = "serde_json::Value")]
    pub row: JsonValue<'a>,
}

impl Record for ShownRow<'_> {
    const KIND: &'static str = "row";

    fn human(&self, out: &mut Human) {
        let row = serde_json::to_string(&self.row).unwrap_or_default();
        out.line(&format!(
            "{} {} {}",
            printable(self.table),
            key_text(self.key.key, self.key.secrets),
            printable(&row)
        ));
    }
}
