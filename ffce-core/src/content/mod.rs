//! What a decrypted backup holds: the controller's Dexie export (docs/SPEC.md §4).
//!
//! - [`summarise`]: a value-free summary of any plaintext (names, counts and types,
//!   never values), safe to print anywhere; streamed, so it never holds the document.
//! - [`parse`] and [`Export`]: the export as tables of rows, each row keyed by its
//!   table's primary key as the table's own `schema` declares it ([`TableKey`]).
//! - [`diff`]: the rows added, removed and changed between two exports, matched by
//!   key, with the changed fields of each row as paths (`value.port`).
//! - [`restore_verdict`]: whether the controller would restore a plaintext as a backup
//!   (the firmware's reading, then its app's: a Dexie export of its own database).
//! - [`redact`]: which values are secrets (passwords, tokens, PEM private keys), and
//!   [`Redacted`], a value as JSON with them hidden.
//!
//! Nothing here renders text for people beyond the `Display` of errors and problems:
//! how a table or a diff is laid out is the business of the tool that shows it.
//!
//! ```
//! use ffce_core::content::{self, Export, Redacted, diff};
//!
//! let text = |password: &str| format!(r#"{{"formatName":"dexie","formatVersion":1,
//!   "data":{{"databaseName":"FireFly-Controller","databaseVersion":3,
//!   "tables":[{{"name":"settings","schema":"&setting, value","rowCount":1}}],
//!   "data":[{{"tableName":"settings","inbound":true,
//!     "rows":[{{"setting":"wifi","value":{{"ssid":"Home","password":"{password}"}}}}]}}]}}}}"#);
//! let (old, new) = (content::parse(text("one").as_bytes())?, content::parse(text("two").as_bytes())?);
//! let (old, new) = (Export::new(&old)?, Export::new(&new)?);
//! let change = &diff(&old, &new).tables[0].changed[0].fields[0];
//! assert_eq!(change.path.to_string(), "value.password");
//! assert!(change.secret); // say that it changed; show neither value
//! let row = serde_json::to_string(&Redacted(new.tables[0].rows[0].value)).unwrap();
//! assert!(row.contains(r#""password":"[redacted]""#) && !row.contains("two"));
//! # Ok::<(), content::ExportError>(())
//! ```

mod diff;
mod export;
pub mod redact;
mod schema;
mod summary;
mod value;
mod verdict;

pub use diff::{
    Change, ExportDiff, FieldChange, FieldPath, RowChange, TableDiff, TableStatus, Totals, diff,
};
pub use export::{
    DATABASE_NAME, DocumentView, Export, ExportError, ExportProblem, FORMAT_NAME, Row, RowKey,
    Table, parse,
};
pub use redact::{REDACTED, Redacted};
pub use schema::{KeyOrigin, PrimaryKey, TableKey};
pub use summary::{
    ContentSummary, DexieSummary, JsonKey, JsonShape, JsonSummary, JsonType, MAX_LISTED,
    TableSummary, summarise,
};
pub use value::{Object, Text, Value};
pub use verdict::{Unrestorable, restore_verdict};
