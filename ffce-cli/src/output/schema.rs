//! The schema document of the JSON output, `docs/json-output.md`, and its JSON Schema
//! twin, `docs/json-output.schema.json`, generated from the record types so that the
//! documented contract cannot drift from what ffce prints.
//!
//! `cargo test -p ffce-cli --bin ffce output::schema` fails when a checked-in file is not
//! what the types generate; `FFCE_UPDATE_JSON_DOCS=1` with the same command rewrites
//! them (then review the diff: it is the change to the contract).

use std::fmt::Write as _;
use std::path::PathBuf;

use schemars::generate::{Contract, SchemaGenerator, SchemaSettings};
use serde_json::{Map, Value};

use super::api::{ApiDeleted, KeyPair, Posted};
use super::audit::{AuditReport, AuditSummary, Finding};
use super::bucket::{
    BucketChecked, BucketCreated, BucketDryRun, BucketEmptied, BucketRefused, WouldRemove,
};
use super::changes::{AllVersionsDeleted, Deleted, Restored, Stored, VersionDeleted};
use super::diff::{DiffReport, RowChangeRecord};
use super::download::{DownloadReport, Downloaded};
use super::error::ErrorRecord;
use super::listing::{
    DeletedDevice, DeletedListing, DeletedStrayKey, Device, ListSummary, Listing, StrayKey,
};
use super::report::BlobReport;
use super::show::{Shown, ShownRow};
use super::verify::{FileCheck, VerifyDocument, VerifyTotal};
use super::versions::{Version, VersionList, VersionsSummary};
use super::{Record, SCHEMA_VERSION};

/// What one command prints: its `--json` document(s), and with `--jsonl` the records
/// it streams and the one that closes the stream.
struct CommandOutput {
    command: &'static str,
    /// The document types (one per form of the command), with when each is printed.
    documents: Vec<(&'static str, String)>,
    /// The streamed records (`type`) and the closing one, for `--jsonl`; empty when
    /// `--jsonl` prints the document as its one closing record.
    stream: Vec<(&'static str, String)>,
    closing: Option<(&'static str, String)>,
}

/// Every record type, with its generator.
struct Outputs {
    generator: SchemaGenerator,
    commands: Vec<CommandOutput>,
}

impl Outputs {
    fn new() -> Outputs {
        // What ffce writes, not what it would read: a field with `skip_serializing_if`
        // may be absent, every other field (`null` or not) is always there.
        let mut settings = SchemaSettings::draft2020_12();
        settings.contract = Contract::Serialize;
        Outputs {
            generator: settings.into_generator(),
            commands: Vec::new(),
        }
    }

    /// The name of `R`'s definition, after generating it.
    fn name<R: Record>(&mut self) -> (&'static str, String) {
        let schema = self.generator.subschema_for::<R>();
        let reference = schema
            .get("$ref")
            .and_then(Value::as_str)
            .unwrap_or_default();
        (
            R::KIND,
            reference.rsplit('/').next().unwrap_or_default().to_string(),
        )
    }

    fn command(
        &mut self,
        command: &'static str,
        documents: Vec<(&'static str, String)>,
        stream: Vec<(&'static str, String)>,
        closing: Option<(&'static str, String)>,
    ) {
        self.commands.push(CommandOutput {
            command,
            documents,
            stream,
            closing,
        });
    }
}

/// Every command's output, in the order of `ffce --help`.
fn contract() -> Outputs {
    let mut c = Outputs::new();
    macro_rules! doc {
        ($when:expr, $t:ty) => {{
            let (_, name) = c.name::<$t>();
            ($when, name)
        }};
    }
    let d = vec![doc!("", BlobReport)];
    c.command("ffce inspect", d, vec![], None);
    let d = vec![doc!("", VerifyDocument)];
    let s = vec![c.name::<FileCheck>()];
    let t = Some(c.name::<VerifyTotal>());
    c.command("ffce verify", d, s, t);
    let d = vec![doc!("", Stored)];
    c.command("ffce put", d, vec![], None);
    let d = vec![
        doc!("without -o", DownloadReport),
        doc!("with -o", Downloaded),
    ];
    c.command("ffce get", d, vec![], None);
    let d = vec![
        doc!("", Deleted),
        doc!("--version-id", VersionDeleted),
        doc!("--all-versions", AllVersionsDeleted),
    ];
    c.command("ffce delete", d, vec![], None);
    let d = vec![doc!("", Listing), doc!("--deleted", DeletedListing)];
    let s = vec![
        c.name::<Device>(),
        c.name::<StrayKey>(),
        c.name::<DeletedDevice>(),
        c.name::<DeletedStrayKey>(),
    ];
    let t = Some(c.name::<ListSummary>());
    c.command("ffce ls", d, s, t);
    let d = vec![doc!("", VersionList)];
    let s = vec![c.name::<Version>()];
    let t = Some(c.name::<VersionsSummary>());
    c.command("ffce versions", d, s, t);
    let d = vec![doc!("", Shown<'static>)];
    let s = vec![c.name::<ShownRow<'static>>()];
    let t = Some(c.name::<Shown<'static>>());
    c.command("ffce show", d, s, t);
    let d = vec![doc!("", DiffReport<'static>)];
    let s = vec![c.name::<RowChangeRecord<'static>>()];
    let t = Some(c.name::<DiffReport<'static>>());
    c.command("ffce diff", d, s, t);
    let d = vec![doc!("", Restored)];
    c.command("ffce restore", d, vec![], None);
    let d = vec![doc!("", BucketCreated)];
    c.command("ffce bucket create", d, vec![], None);
    let d = vec![doc!("", BucketChecked)];
    c.command("ffce bucket check", d, vec![], None);
    let d = vec![
        doc!("", BucketEmptied),
        doc!("--dry-run", BucketDryRun),
        doc!("--production, refused", BucketRefused),
    ];
    let s = vec![c.name::<WouldRemove>()];
    let t = Some(c.name::<BucketDryRun>());
    c.command("ffce bucket empty", d, s, t);
    let d = vec![doc!("", AuditReport)];
    let s = vec![c.name::<Finding>(), c.name::<StrayKey>()];
    let t = Some(c.name::<AuditSummary>());
    c.command("ffce audit", d, s, t);
    let d = vec![doc!("", Posted)];
    c.command("ffce api post", d, vec![], None);
    let d = vec![
        doc!("without -o", DownloadReport),
        doc!("with -o", Downloaded),
    ];
    c.command("ffce api get", d, vec![], None);
    let d = vec![doc!("", ApiDeleted)];
    c.command("ffce api delete", d, vec![], None);
    let d = vec![doc!("", KeyPair)];
    c.command("ffce api keygen", d, vec![], None);
    let d = vec![doc!("", ErrorRecord)];
    c.command("any command, on failure", d, vec![], None);
    c
}

const PREAMBLE: &str = "\
# ffce's JSON output

<!-- Generated from the record types in ffce-cli/src/output/ by
     `FFCE_UPDATE_JSON_DOCS=1 cargo test -p ffce-cli --bin ffce output::schema`;
     do not edit by hand. CI fails when this file is not what the types generate. -->

Every command that reports something takes `--json` (one document) and `--jsonl`
(JSON Lines: one record per line, flushed as it is ready, then a closing record).
Scripts can rely on what this page says; people get aligned text without either flag.

## Envelopes

- A `--json` document is one JSON object whose first field is
  `\"schema_version\": SCHEMA_VERSION`, followed by the fields of the document's type
  below.
- Each `--jsonl` line is a JSON object whose first field is `\"type\"`, the record's
  type name (`finding`, `stray_key`, `device`, ...), followed by its fields. The last
  line is the closing record: its `type` (`summary` for the streaming commands), then
  `\"schema_version\"`, then its fields. A command that prints one document prints it
  with `--jsonl` as that one closing line.
- A command that fails before printing its result prints, with `--json`,
  `{\"schema_version\": SCHEMA_VERSION, \"error\": {\"kind\", \"exit_code\", \"message\"}}`, and
  with `--jsonl` the closing line `{\"type\": \"error\", \"schema_version\": SCHEMA_VERSION,
  \"error\": {...}}` after whatever lines came before (a listing that fails part-way
  ends with it, never with a summary). The message is on stderr too. A command that
  printed its result and then exits non-zero (a report of an invalid blob, exit 4)
  prints no error object: the result says what is wrong.
- The exit codes are in `ffce --help`; the JSON never contradicts them
  (`exit_code` fields repeat them).

## Compatibility

Within one `schema_version`, fields, record types and enum values may be added;
nothing is renamed, retyped or removed, and no value changes its meaning, without
raising `schema_version`. Read what you need and ignore what you do not know; treat an
enum value you do not know as \"something else\". Every change of the contract is
listed in CHANGELOG.md under \"JSON contract\".

## Words that say what was checked

A status never says more than was checked. `authenticated`: the blob is well-formed and
its tag verified with the key given (or the device's own key). `structure_valid`:
well-formed, and no key was given, so nothing about authenticity is claimed.
`no_key`: well-formed, but no key for this device (`--key-dir`). The other values name
what is wrong (`authentication_failed`, `malformed`, `too_large`, ...).

Digests: `plaintext_digest` is the SHA-256 of a backup's plaintext (what S3's `etag`
metadata and the device API's `ETag` hold); `object_etag` is S3's ETag of the stored
object (not a digest of the content under SSE-KMS). ffce's own output has no bare
`etag` field.
";

/// The Markdown document.
fn markdown(c: &Outputs, definitions: &Map<String, Value>) -> String {
    let mut out = PREAMBLE.replace("SCHEMA_VERSION", &SCHEMA_VERSION.to_string());
    let _ = writeln!(
        out,
        "\nThis page describes `schema_version` {SCHEMA_VERSION}.\n"
    );
    out.push_str("## Commands\n\n| command | `--json` document | `--jsonl` records |\n");
    out.push_str("| --- | --- | --- |\n");
    for cmd in &c.commands {
        let docs: Vec<String> = cmd
            .documents
            .iter()
            .map(|(when, name)| match *when {
                "" => link(name),
                when => format!("{} ({when})", link(name)),
            })
            .collect();
        let lines = if cmd.stream.is_empty() {
            "the document, as one closing line".to_string()
        } else {
            let mut kinds: Vec<String> = cmd
                .stream
                .iter()
                .map(|(kind, name)| format!("`{kind}` {}", link(name)))
                .collect();
            kinds.dedup();
            let closing = cmd
                .closing
                .as_ref()
                .map(|(kind, name)| format!("; closing: `{kind}` {}", link(name)))
                .unwrap_or_default();
            format!("{}{closing}", kinds.join(", "))
        };
        let _ = writeln!(out, "| `{}` | {} | {lines} |", cmd.command, docs.join(", "));
    }
    out.push_str("\n## Types\n");
    for (name, schema) in definitions {
        let _ = writeln!(out, "\n### {name}\n");
        if let Some(d) = schema.get("description").and_then(Value::as_str) {
            let _ = writeln!(out, "{}\n", one_paragraph(d));
        }
        if let Some(props) = properties(schema) {
            let required: Vec<&str> = schema
                .get("required")
                .and_then(Value::as_array)
                .map(|r| r.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            out.push_str("| field | type | |\n| --- | --- | --- |\n");
            for (field, p) in props {
                let optional = if required.contains(&field.as_str()) {
                    ""
                } else {
                    " (may be absent)"
                };
                let _ = writeln!(
                    out,
                    "| `{field}` | {}{optional} | {} |",
                    type_of(&p),
                    p.get("description")
                        .and_then(Value::as_str)
                        .map(one_paragraph)
                        .unwrap_or_default()
                );
            }
        } else if let Some(values) = enum_values(schema) {
            out.push_str("| value | meaning |\n| --- | --- |\n");
            for (value, meaning) in values {
                let _ = writeln!(out, "| `{value}` | {meaning} |");
            }
        } else {
            let _ = writeln!(out, "{}", type_of(schema));
        }
    }
    out
}

fn link(name: &str) -> String {
    format!("[{name}](#{})", name.to_lowercase())
}

/// Doc comments joined into one line, for a table cell.
fn one_paragraph(text: &str) -> String {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace('|', "\\|")
}

/// An object's properties, with those of the types it flattens.
fn properties(schema: &Value) -> Option<Map<String, Value>> {
    let mut all = schema.get("properties")?.as_object()?.clone();
    for sub in schema
        .get("allOf")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if let Some(p) = sub.get("properties").and_then(Value::as_object) {
            all.extend(p.clone());
        }
    }
    Some(all)
}

/// The values of a string enum, with what each means.
fn enum_values(schema: &Value) -> Option<Vec<(String, String)>> {
    if let Some(values) = schema.get("enum").and_then(Value::as_array) {
        return Some(
            values
                .iter()
                .map(|v| (v.as_str().unwrap_or_default().to_string(), String::new()))
                .collect(),
        );
    }
    let variants = schema.get("oneOf")?.as_array()?;
    variants
        .iter()
        .map(|v| {
            let value = v
                .get("const")
                .or_else(|| v.get("enum").and_then(|e| e.get(0)))?
                .as_str()?;
            let meaning = v
                .get("description")
                .and_then(Value::as_str)
                .map(one_paragraph)
                .unwrap_or_default();
            Some((value.to_string(), meaning))
        })
        .collect()
}

/// A property's type in words: `string`, `integer or null`, a link to a type.
fn type_of(p: &Value) -> String {
    if let Some(r) = p.get("$ref").and_then(Value::as_str) {
        return link(r.rsplit('/').next().unwrap_or(r));
    }
    if let Some(any) = p.get("anyOf").and_then(Value::as_array) {
        let parts: Vec<String> = any.iter().map(type_of).collect();
        return parts.join(" or ");
    }
    let base = match p.get("type") {
        Some(Value::String(t)) => vec![t.clone()],
        Some(Value::Array(ts)) => ts
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect(),
        _ if p.get("const").is_some() || p.get("enum").is_some() => vec!["string".into()],
        _ => vec!["any JSON value".into()],
    };
    base.iter()
        .map(|t| match t.as_str() {
            "array" => format!(
                "array of {}",
                p.get("items").map_or("values".to_string(), type_of)
            ),
            "object" => match p.get("additionalProperties") {
                Some(v @ Value::Object(_)) => format!("object of {}", type_of(v)),
                _ => "object".to_string(),
            },
            other => other.to_string(),
        })
        .collect::<Vec<_>>()
        .join(" or ")
}

/// Both generated files: the Markdown page and the JSON Schema (a `$defs` of every
/// type and a `commands` map of what each prints).
fn generate() -> (String, String) {
    let mut c = contract();
    let definitions: Map<String, Value> = c.generator.take_definitions(true).into_iter().collect();
    let md = markdown(&c, &definitions);
    let commands: Map<String, Value> = c
        .commands
        .iter()
        .map(|cmd| {
            let refs = |list: &[(&str, String)]| -> Value {
                list.iter()
                    .map(|(k, n)| {
                        serde_json::json!({ "when_or_type": k, "$ref": format!("#/$defs/{n}") })
                    })
                    .collect()
            };
            (
                cmd.command.to_string(),
                serde_json::json!({
                    "json": refs(&cmd.documents),
                    "jsonl": refs(&cmd.stream),
                    "jsonl_closing": cmd.closing.as_ref().map(|(k, n)| serde_json::json!({
                        "type": k, "$ref": format!("#/$defs/{n}")
                    })),
                }),
            )
        })
        .collect();
    let schema = serde_json::json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "ffce JSON output",
        "description": "Generated from ffce-cli/src/output/; see docs/json-output.md.",
        "schema_version": SCHEMA_VERSION,
        "commands": commands,
        "$defs": definitions,
    });
    let mut json = serde_json::to_string_pretty(&schema).expect("a schema serialises");
    json.push('\n');
    (md, json)
}

fn docs_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docs")
}

#[test]
fn checked_in_schema_documents_are_current() {
    let (md, json) = generate();
    let files = [
        (docs_dir().join("json-output.md"), md),
        (docs_dir().join("json-output.schema.json"), json),
    ];
    if std::env::var_os("FFCE_UPDATE_JSON_DOCS").is_some() {
        std::fs::create_dir_all(docs_dir()).unwrap();
        for (path, text) in &files {
            std::fs::write(path, text).unwrap();
        }
        return;
    }
    for (path, text) in &files {
        let found = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            found == *text,
            "{} is not what the record types generate: run \
             `FFCE_UPDATE_JSON_DOCS=1 cargo test -p ffce-cli --bin ffce output::schema` \
             and review the diff (it is a change to the JSON contract: list it in \
             CHANGELOG.md)",
            path.display()
        );
    }
}

#[test]
fn every_record_type_is_documented() {
    let (md, _) = generate();
    for kind in ["finding", "stray_key", "device", "summary", "error", "file"] {
        assert!(md.contains(&format!("`{kind}`")), "{kind} is missing");
    }
    // Each field has a description: an undocumented field is a contract nobody wrote.
    for line in md.lines().filter(|l| l.starts_with("| `")) {
        assert!(!line.trim_end().ends_with("|  |"), "undocumented: {line}");
    }
}
