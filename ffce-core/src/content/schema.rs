//! A table's primary key, read from its Dexie schema string (docs/SPEC.md §4).
//!
//! Every table of a Dexie export declares its schema in `data.tables[].schema`: the
//! primary key first, then the indexes, comma-separated (`"++id,name"`,
//! `"&setting,value"`, `"++id,[manufacturer+model],is_custom"`). The primary key is
//! `++path` (auto-incremented), `&path` or `path` (given by the app), `[a+b]`
//! (compound), or nothing at all (`""`, `"++"`: an outbound key, kept beside the row
//! rather than in it). A path may name a nested field (`value.id`). The key is read
//! from each export's own schema, never from a list of known tables: other versions
//! of the controller's app add tables.

use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;

use serde::Serialize;

use super::value::Value;

/// Where a table's rows keep their primary key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PrimaryKey {
    /// In the row, at a (possibly dotted) path: `id`, `uuid`, `value.id`.
    Path {
        /// The path, e.g. `id`.
        path: String,
    },
    /// In the row, as several paths together: `[manufacturer+model]`.
    Compound {
        /// The paths, in key order.
        paths: Vec<String>,
    },
    /// Beside the row: the export holds each row as `[key, value]` (`inbound: false`).
    Outbound,
}

/// How a table's primary key was found.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyOrigin {
    /// From the table's own `schema`.
    Schema,
    /// The table declares no schema: `id` is assumed.
    Assumed,
}

/// The primary key of a table and where it came from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TableKey {
    /// Where the rows keep the key.
    #[serde(flatten)]
    pub key: PrimaryKey,
    /// Whether Dexie numbers new rows itself (`++`).
    pub auto_increment: bool,
    /// Whether it was read from the schema or assumed.
    pub origin: KeyOrigin,
}

impl TableKey {
    /// The key of a table whose schema is `schema`, or `id` when it has none.
    pub fn from_schema(schema: Option<&str>) -> TableKey {
        let Some(schema) = schema else {
            return TableKey {
                key: PrimaryKey::Path {
                    path: "id".to_string(),
                },
                auto_increment: false,
                origin: KeyOrigin::Assumed,
            };
        };
        let first = schema.split(',').next().unwrap_or("").trim();
        let (auto_increment, spec) = match first.strip_prefix("++") {
            Some(rest) => (true, rest),
            None => (false, first),
        };
        // `&` (unique) and `*` (multi-entry) mean nothing more for a primary key.
        let spec = spec.trim_start_matches(['&', '*']).trim();
        let key = if spec.is_empty() {
            PrimaryKey::Outbound
        } else if let Some(inner) = spec.strip_prefix('[').and_then(|s| s.strip_suffix(']')) {
            PrimaryKey::Compound {
                paths: inner.split('+').map(|p| p.trim().to_string()).collect(),
            }
        } else {
            PrimaryKey::Path {
                path: spec.to_string(),
            }
        };
        TableKey {
            key,
            auto_increment,
            origin: KeyOrigin::Schema,
        }
    }

    /// The key paths, in key order (none for an outbound key).
    pub fn paths(&self) -> &[String] {
        match &self.key {
            PrimaryKey::Path { path } => core::slice::from_ref(path),
            PrimaryKey::Compound { paths } => paths,
            PrimaryKey::Outbound => &[],
        }
    }
}

/// Written as Dexie writes it, without the `++`: `id`, `[manufacturer+model]`, or
/// `(outbound)`.
impl fmt::Display for PrimaryKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PrimaryKey::Path { path } => f.write_str(path),
            PrimaryKey::Compound { paths } => write!(f, "[{}]", paths.join("+")),
            PrimaryKey::Outbound => f.write_str("(outbound)"),
        }
    }
}

/// The value at a dotted `path` in `row`.
pub(crate) fn value_at<'a>(row: &'a Value, path: &str) -> Option<&'a Value> {
    // A field whose own name has a dot is found before it is split, as Dexie's
    // `getByKeyPath` does.
    if let Some(v) = row.get(path) {
        return Some(v);
    }
    let mut at = row;
    for part in path.split('.') {
        at = at.get(part)?;
    }
    Some(at)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    fn key(schema: &str) -> PrimaryKey {
        TableKey::from_schema(Some(schema)).key
    }

    fn path(p: &str) -> PrimaryKey {
        PrimaryKey::Path { path: p.into() }
    }

    #[test]
    fn the_controllers_schemas() {
        assert_eq!(key("++id, name"), path("id"));
        assert_eq!(key("++id, &uuid, name, product"), path("id"));
        assert_eq!(key("&setting, value"), path("setting"));
        assert_eq!(key("&setting,value"), path("setting"));
        assert_eq!(
            key("[manufacturer+model], is_custom"),
            PrimaryKey::Compound {
                paths: vec!["manufacturer".into(), "model".into()]
            }
        );
        assert_eq!(key("++id, [manufacturer+model], is_custom"), path("id"));
        assert!(TableKey::from_schema(Some("++id,name")).auto_increment);
        assert!(!TableKey::from_schema(Some("&setting")).auto_increment);
    }

    #[test]
    fn outbound_nested_and_missing() {
        assert_eq!(key(""), PrimaryKey::Outbound);
        assert_eq!(key("++"), PrimaryKey::Outbound);
        assert_eq!(key("++,name"), PrimaryKey::Outbound);
        assert_eq!(key("value.id, x"), path("value.id"));
        let assumed = TableKey::from_schema(None);
        assert_eq!(assumed.key, path("id"));
        assert_eq!(assumed.origin, KeyOrigin::Assumed);
    }

    #[test]
    fn display() {
        assert_eq!(key("[a + b]").to_string(), "[a+b]");
        assert_eq!(key("++id").to_string(), "id");
        assert_eq!(key("").to_string(), "(outbound)");
    }

    #[test]
    fn values_at_paths() {
        let row = Value::parse(br#"{"id":1,"value":{"id":"x"},"a.b":2}"#).unwrap();
        assert_eq!(value_at(&row, "id"), Some(&Value::Number(1u64.into())));
        assert_eq!(
            value_at(&row, "value.id").and_then(Value::as_str),
            Some("x")
        );
        assert_eq!(value_at(&row, "a.b"), Some(&Value::Number(2u64.into())));
        assert_eq!(value_at(&row, "value.nope"), None);
        assert_eq!(value_at(&row, "id.x"), None);
    }
}
