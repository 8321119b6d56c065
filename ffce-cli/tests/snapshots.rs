//! Snapshots of each command's JSON (`tests/snapshots/*.snap`), so that a change to the
//! JSON contract is a visible diff in review. What changes from run to run is redacted
//! before the snapshot is taken: times, version ids, S3 ETags, bucket names, ports and
//! temporary paths, and the audit's elapsed time (and wherever such a value appears
//! inside another string, as in an `undo` command). The field names, the types and
//! every value ffce computes stay; the fields are in alphabetical order here (the
//! envelopes' order, `schema_version` or `type` first, is a unit test of the printer).
//!
//! A snapshot that differs fails the test; `INSTA_UPDATE=always` (or `cargo insta
//! review`) writes the new one. Against the real binary, the moto S3 server and the
//! device API server; without `FFCE_TEST_S3_ENDPOINT` these tests fail, they never skip.

use crate::common;
use crate::common::api::{Device, Server, Table};
use crate::common::s3::*;

use common::*;
use serde_json::Value;

const DEVICE: &str = "3f2504e0-4f89-41d3-9a0c-0305e82c3301";

/// Replaces what changes between runs.
#[derive(Clone)]
struct Redact {
    /// Literal strings (a bucket name, a temporary folder, an endpoint) and their
    /// stand-ins.
    literals: Vec<(String, &'static str)>,
}

/// Fields whose values are times, ids or measurements that differ on every run.
const VOLATILE: &[&str] = &[
    "last_modified",
    "deleted_at",
    "initiated",
    "version_id",
    "restored_version_id",
    "delete_marker_version_id",
    "previous_version_id",
    "object_etag",
    "elapsed_seconds",
    "last_backup_date",
    "public_key",
];

impl Redact {
    fn new() -> Redact {
        Redact {
            literals: Vec::new(),
        }
    }

    fn literal(mut self, text: impl Into<String>, stand_in: &'static str) -> Redact {
        self.literals.push((text.into(), stand_in));
        // Longest first, so that a path is replaced before a folder inside it.
        self.literals
            .sort_by_key(|(t, _)| std::cmp::Reverse(t.len()));
        self
    }

    fn string(&self, s: &str) -> String {
        let mut out = s.to_string();
        for (text, stand_in) in &self.literals {
            out = out.replace(text.as_str(), stand_in);
        }
        out
    }

    fn value(&self, v: &Value) -> Value {
        match v {
            Value::String(s) => Value::String(self.string(s)),
            Value::Array(a) => Value::Array(a.iter().map(|v| self.value(v)).collect()),
            Value::Object(o) => Value::Object(
                o.iter()
                    .map(|(k, v)| {
                        let v = if VOLATILE.contains(&k.as_str()) && !v.is_null() {
                            Value::String(format!("[{k}]"))
                        } else if let (true, Some(ids)) = (k == "versions", v.as_array()) {
                            // `delete --all-versions` lists the version ids it deleted.
                            ids.iter()
                                .map(|id| match id {
                                    Value::String(_) => Value::String("[version_id]".into()),
                                    other => self.value(other),
                                })
                                .collect()
                        } else {
                            self.value(v)
                        };
                        (k.clone(), v)
                    })
                    .collect(),
            ),
            other => other.clone(),
        }
    }

    /// The values of the volatile fields anywhere in `v`, to be replaced wherever
    /// else they appear.
    fn gather(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Array(a) => a.iter().for_each(|v| Redact::gather(v, out)),
            Value::Object(o) => {
                for (k, v) in o {
                    match v.as_str() {
                        Some(s) if VOLATILE.contains(&k.as_str()) => out.push(s.to_string()),
                        _ => Redact::gather(v, out),
                    }
                }
            }
            _ => {}
        }
    }

    fn with_volatile(&self, values: &[Value]) -> Redact {
        let mut found = Vec::new();
        values.iter().for_each(|v| Redact::gather(v, &mut found));
        let mut r = Redact {
            literals: self.literals.clone(),
        };
        for f in found.into_iter().filter(|f| f.len() >= 8) {
            r = r.literal(f, "[volatile]");
        }
        r
    }

    /// One JSON document, redacted and pretty.
    fn document(&self, run: &Run) -> String {
        let v = run.json();
        let r = self.with_volatile(std::slice::from_ref(&v));
        let mut text = serde_json::to_string_pretty(&r.value(&v)).unwrap();
        text.push('\n');
        text
    }

    /// JSON Lines, redacted, one record per line.
    fn lines(&self, run: &Run) -> String {
        let lines = run.json_lines();
        let r = self.with_volatile(&lines);
        lines
            .iter()
            .map(|l| serde_json::to_string(&r.value(l)).unwrap() + "\n")
            .collect()
    }
}

macro_rules! snapshot {
    ($name:expr, $text:expr) => {
        insta::with_settings!({ snapshot_path => "snapshots", prepend_module_to_snapshot => false }, {
            insta::assert_snapshot!($name, $text);
        })
    };
}

#[test]
fn files_inspect_and_verify() {
    let dir = temp_dir();
    let key = master_11(dir.path());
    let r = Redact::new()
        .literal(fixtures_dir().to_str().unwrap(), "[fixtures]")
        .literal(dir.path().to_str().unwrap(), "[tmp]");
    let dexie = vector("dexie-backup").path();
    let bad = vector("bad-magic").path();

    let run = run(["inspect", "--json", "--master-key-file", s(&key), s(&dexie)]);
    run.expect_code(0);
    snapshot!("inspect_authenticated", r.document(&run));
    let run = common::run(["inspect", "--json", s(&bad)]);
    run.expect_code(4);
    snapshot!("inspect_malformed", r.document(&run));

    let run = common::run(["verify", "--json", s(&dexie), s(&bad)]);
    run.expect_code(4);
    snapshot!("verify_json", r.document(&run));
    let args = ["verify", "--jsonl", "--master-key-file", s(&key), s(&dexie)];
    let run = common::run(args);
    run.expect_code(0);
    snapshot!("verify_jsonl", r.lines(&run));

    let run = common::run(["inspect", "--json", "/nonexistent/ffce-snapshot.ffce"]);
    run.expect_code(3);
    snapshot!("error_not_found", r.document(&run));
    let run = common::run(["versions", "--jsonl", "--dir", s(dir.path()), "not-a-uuid"]);
    run.expect_code(2);
    snapshot!("error_usage_jsonl", r.lines(&run));
}

#[test]
fn store_commands_on_a_bucket() {
    let b = Bucket::versioned("snapshots");
    let dir = temp_dir();
    let key = master_11(dir.path());
    let r = Redact::new()
        .literal(&b.name, "[bucket]")
        .literal(endpoint(), "[endpoint]")
        .literal(fixtures_dir().to_str().unwrap(), "[fixtures]")
        .literal(dir.path().to_str().unwrap(), "[tmp]");
    let dexie = vector("dexie-backup").path();
    let one = vector("one-byte-backup").path();
    let k = s(&key);

    let run = b.ffce(&["put", "--json", DEVICE, s(&dexie)]);
    run.expect_code(0);
    snapshot!("put", r.document(&run));
    // Not JSON: the device will not restore it, so it goes up only with --force.
    let run = b.ffce(&[
        "put",
        "--json",
        "--force",
        "--master-key-file",
        k,
        DEVICE,
        s(&one),
    ]);
    run.expect_code(0);

    let run = b.ffce(&["get", "--json", "--decrypt", "--master-key-file", k, DEVICE]);
    run.expect_code(0);
    snapshot!("get_report", r.document(&run));
    let out = dir.path().join("b.ffce");
    let run = b.ffce(&["get", "--json", DEVICE, "-o", s(&out)]);
    run.expect_code(0);
    snapshot!("get_written", r.document(&run));

    let run = b.ffce(&["versions", "--json", DEVICE]);
    run.expect_code(0);
    snapshot!("versions", r.document(&run));
    let older = run.json()["versions"][1]["version_id"]
        .as_str()
        .unwrap()
        .to_string();

    let run = b.ffce(&["ls", "--json"]);
    run.expect_code(0);
    snapshot!("ls_json", r.document(&run));
    let run = b.ffce(&["ls", "--jsonl"]);
    run.expect_code(0);
    snapshot!("ls_jsonl", r.lines(&run));

    // The latest backup is the one-byte plaintext: authentic, but not JSON, so the
    // device will not restore it and the audit with the key fails it.
    let run = b.ffce(&["audit", "--json", "--master-key-file", k]);
    run.expect_code(4);
    snapshot!("audit_json", r.document(&run));
    let run = b.ffce(&["audit", "--jsonl", "--older-than", "1h", "--all"]);
    run.expect_code(0);
    snapshot!("audit_jsonl", r.lines(&run));

    let run = b.ffce(&["restore", "--json", DEVICE, "--version-id", &older]);
    run.expect_code(0);
    snapshot!("restore", r.document(&run));

    let run = b.ffce(&["delete", "--json", DEVICE]);
    run.expect_code(0);
    snapshot!("delete", r.document(&run));
    let run = b.ffce(&["ls", "--json", "--deleted"]);
    run.expect_code(0);
    snapshot!("ls_deleted", r.document(&run));
    let marker = b.ffce(&["versions", "--json", DEVICE]).json()["versions"][0]["version_id"]
        .as_str()
        .unwrap()
        .to_string();
    let args = ["delete", "--json", "--yes", DEVICE, "--version-id", &marker];
    let run = b.ffce(&args);
    run.expect_code(0);
    snapshot!("delete_version", r.document(&run));
    let run = b.ffce(&["delete", "--json", "--yes", "--all-versions", DEVICE]);
    run.expect_code(0);
    snapshot!("delete_all_versions", r.document(&run));
}

#[test]
fn bucket_commands() {
    let b = Bucket::versioned("snapshot-admin");
    let r = Redact::new()
        .literal(&b.name, "[bucket]")
        .literal(endpoint(), "[endpoint]");
    let run = ffce_bucket(&b.name, &["bucket", "check", "--json"]);
    snapshot!("bucket_check", r.document(&run));
    b.plant(
        &format!("{DEVICE}/backup.ffce"),
        &vector("dexie-backup").path(),
        &[],
    );
    let run = ffce_bucket(&b.name, &["bucket", "empty", "--dry-run", "--json"]);
    run.expect_code(0);
    snapshot!("bucket_empty_dry_run", r.document(&run));
    let run = ffce_bucket(&b.name, &["bucket", "empty", "--yes", "--json"]);
    run.expect_code(0);
    snapshot!("bucket_empty", r.document(&run));
}

#[test]
fn api_commands() {
    let dir = temp_dir();
    let bucket = Bucket::versioned("snapshot-api");
    let table = Table::new("snapshot-api");
    let device = Device::new(dir.path(), DEVICE);
    table.register(DEVICE, &device.public_key);
    let server = Server::start(&bucket.name, &table.name, "nested");
    let r = Redact::new()
        .literal(&server.url, "[api]")
        .literal(dir.path().to_str().unwrap(), "[tmp]");
    let api = |args: &[&str]| {
        let mut all = args.to_vec();
        all.extend(["--device-key", s(&device.key_file)]);
        server.ffce(&all)
    };
    let key = master_11(dir.path());
    // A fixed blob (sealing one here would draw a fresh nonce): its key sends its etag.
    let blob = vector("dexie-backup").path();
    let run = api(&[
        "post",
        "--json",
        "--master-key-file",
        s(&key),
        DEVICE,
        s(&blob),
    ]);
    run.expect_code(0);
    snapshot!("api_post", r.document(&run));
    let run = api(&["get", "--json", DEVICE]);
    run.expect_code(0);
    snapshot!("api_get_report", r.document(&run));
    let out = dir.path().join("b.ffce");
    let run = api(&["get", "--json", DEVICE, "-o", s(&out)]);
    run.expect_code(0);
    snapshot!("api_get_written", r.document(&run));
    let run = api(&["delete", "--json", DEVICE]);
    run.expect_code(0);
    snapshot!("api_delete", r.document(&run));
    let pem = dir.path().join("new.pem");
    let run = common::run(["api", "keygen", "--json", "-o", s(&pem)]);
    run.expect_code(0);
    snapshot!("api_keygen", r.document(&run));
}
