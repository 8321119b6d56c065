//! A content summary (`ffce_core::content::summarise`) in words, for the inspection
//! report: a headline, then for a Dexie export one line per table and per problem.
//! Only names, counts and types: a summary holds no values.

use ffce_core::content::{ContentSummary, JsonShape};
use ffce_core::numbers::{Count, Grouped, bytes};

/// The summary's lines: a headline, then (for Dexie) one line per table and problem.
pub fn describe(summary: &ContentSummary) -> Vec<String> {
    match summary {
        ContentSummary::Empty { .. } => vec!["empty (0 bytes)".into()],
        ContentSummary::Binary { size } => vec![format!("binary, {}", bytes(*size))],
        ContentSummary::Text { size, lines } => vec![format!(
            "text (not JSON), {}, {}",
            bytes(*size),
            Count(*lines as u64, "line")
        )],
        ContentSummary::Json(j) => match &j.shape {
            JsonShape::Object { key_count, keys } => {
                let mut out = vec![format!(
                    "JSON object with {}, {}",
                    Count(*key_count as u64, "key"),
                    bytes(j.size)
                )];
                let width = keys
                    .iter()
                    .map(|k| k.name.chars().count())
                    .max()
                    .unwrap_or(0);
                out.extend(
                    keys.iter()
                        .map(|k| format!("  {:width$}  {}", k.name, k.value_type)),
                );
                if *key_count > keys.len() {
                    out.push(format!("  ... {} more keys", key_count - keys.len()));
                }
                out
            }
            JsonShape::Array { len } => vec![format!(
                "JSON array of {}, {}",
                Count(*len as u64, "element"),
                bytes(j.size)
            )],
            scalar => {
                let t = match scalar {
                    JsonShape::String => "string",
                    JsonShape::Number => "number",
                    JsonShape::Bool => "bool",
                    _ => "null",
                };
                vec![format!("JSON {t}, {}", bytes(j.size))]
            }
        },
        ContentSummary::Dexie(d) => {
            let name = d.database_name.as_deref().unwrap_or("(unnamed)");
            let version = d
                .database_version
                .as_ref()
                .map_or_else(|| "?".to_string(), ToString::to_string);
            let mut out = vec![format!(
                "Dexie export: database {name:?} version {version}, {}, {}, {}",
                Count(d.table_count as u64, "table"),
                Count(d.total_rows, "row"),
                bytes(d.size)
            )];
            let width = d
                .tables
                .iter()
                .map(|t| t.name.chars().count())
                .max()
                .unwrap_or(0);
            for t in &d.tables {
                let rows = match (t.rows, t.declared_rows) {
                    (Some(r), Some(dr)) if r == dr => format!("{}", Count(r, "row")),
                    (Some(r), Some(dr)) => {
                        format!("{} (rowCount says {})", Count(r, "row"), Grouped(dr))
                    }
                    (Some(r), None) => format!("{} (not declared)", Count(r, "row")),
                    (None, Some(dr)) => format!("no data (rowCount says {})", Grouped(dr)),
                    (None, None) => "no data".into(),
                };
                out.push(format!("  {:width$}  {rows}", t.name));
            }
            if d.tables_omitted > 0 {
                out.push(format!("  ... {} more tables", d.tables_omitted));
            }
            out.extend(d.problems.iter().map(|p| format!("  problem: {p}")));
            out
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ffce_core::content::summarise;

    const FIXTURE: &[u8] = include_bytes!("../../../fixtures/plaintexts/dexie-config.json");

    #[test]
    fn the_lines_never_contain_values() {
        let text = describe(&summarise(FIXTURE)).join("\n");
        for secret in ["FAKE-PASSWORD-NOT-A-SECRET", "example.com", "Salon Switch"] {
            assert!(
                String::from_utf8_lossy(FIXTURE).contains(secret),
                "fixture changed?"
            );
            assert!(!text.contains(secret), "{text}");
        }
        assert!(
            text.starts_with("Dexie export: database \"firefly\""),
            "{text}"
        );
    }

    #[test]
    fn a_row_count_that_disagrees_is_shown_beside_the_table() {
        let spec = br#"{"formatName":"dexie","formatVersion":1,
            "data":{"databaseName":"firefly","databaseVersion":1,
            "tables":[{"name":"inputs","schema":"++id,name","rowCount":2}],
            "data":[{"tableName":"inputs","inbound":true,"rows":[{"id":1,"name":"Porch"}]}]}}"#;
        let lines = describe(&summarise(spec));
        assert!(lines[1].contains("1 row (rowCount says 2)"), "{lines:?}");
        assert!(!lines.join("\n").contains("Porch"));
    }

    #[test]
    fn every_kind_has_a_headline() {
        for (bytes, start) in [
            (&b""[..], "empty"),
            (b"\x00\xff", "binary"),
            (b"hello", "text (not JSON)"),
            (b"[1,2]", "JSON array of 2 elements"),
            (b"{\"a\":1}", "JSON object with 1 key"),
            (b"true", "JSON bool"),
        ] {
            let lines = describe(&summarise(bytes));
            assert!(lines[0].starts_with(start), "{lines:?}");
        }
    }
}
