//! `ffce inspect` on every fixture: JSON fields against the manifest, exit codes, the
//! human report, stdin.

use crate::common;

use common::*;
use serde_json::Value;

/// Without a key: `errors[0].code` is the manifest's `structure` result (the first
/// problem in spec order), header fields match, exit 0 or 4.
#[test]
fn every_vector_without_a_key() {
    let m = manifest();
    for v in &m.vectors {
        let run = run(["inspect", "--json", v.path().to_str().unwrap()]);
        let j = run.json();
        let ctx = format!("{}: {j:#}", v.name);
        let errors = j["errors"].as_array().expect("errors array");
        if v.structure == "ok" {
            run.expect_code(0);
            assert!(errors.is_empty(), "{ctx}");
            assert_eq!(j["valid"], true, "{ctx}");
            // Only the structure was checked, and the status says no more than that.
            assert_eq!(j["status"], "structure_valid", "{ctx}");
        } else {
            run.expect_code(4);
            assert_eq!(errors[0]["code"], v.structure.as_str(), "{ctx}");
            assert_eq!(j["valid"], false, "{ctx}");
            assert_eq!(j["status"], "malformed", "{ctx}");
        }
        for e in errors {
            assert!(
                e["message"].as_str().is_some_and(|s| !s.is_empty()),
                "{ctx}"
            );
        }
        assert_eq!(j["blob_len"], v.blob_len, "{ctx}");
        match &v.header {
            Some(h) => {
                assert_eq!(j["magic"], h.magic.as_str(), "{ctx}");
                assert_eq!(j["version"], h.version, "{ctx}");
                assert_eq!(j["nonce"], h.nonce.as_str(), "{ctx}");
                assert_eq!(j["plaintext_len"], h.plaintext_len, "{ctx}");
                assert_eq!(j["tag"], h.tag.as_str(), "{ctx}");
            }
            None => {
                assert_eq!(j["tag"], Value::Null, "{ctx}");
                assert_eq!(j["plaintext_len"], Value::Null, "{ctx}");
            }
        }
        assert_eq!(j["uploadable"], v.upload == "ok", "{ctx}");
        // Upload-only problems are warnings; structural ones are already errors.
        if v.upload == "too_large" || v.upload == "empty" {
            assert_eq!(j["warnings"][0]["code"], v.upload.as_str(), "{ctx}");
        } else {
            assert_eq!(j["warnings"], serde_json::json!([]), "{ctx}");
        }
        // Without a key authentication is "not checked", said explicitly.
        assert_eq!(j["authenticated"], Value::Null, "{ctx}");
        assert_eq!(j["authentication"], "not_checked", "{ctx}");
        assert!(j.get("key").is_none(), "key without a key: {ctx}");
        // Present, and null: nothing was authenticated.
        for null in ["plaintext_digest", "content"] {
            assert_eq!(j[null], Value::Null, "{null} without a key: {ctx}");
        }
    }
}

/// With the manifest's master secret and purpose: `authenticated` and the first error
/// follow `open`, and the plaintext SHA-256 matches.
#[test]
fn every_vector_with_its_key() {
    let m = manifest();
    let dir = temp_dir();
    for v in &m.vectors {
        let key = hex_key_file(dir.path(), &format!("{}.key", v.name), &v.master_secret);
        let run = run([
            "inspect",
            "--json",
            "--master-key-file",
            key.to_str().unwrap(),
            "--purpose",
            &v.purpose,
            v.path().to_str().unwrap(),
        ]);
        let j = run.json();
        let ctx = format!("{}: {j:#}", v.name);
        assert_eq!(j["key"]["origin"], "derived", "{ctx}");
        assert_eq!(j["key"]["purpose"], v.purpose.as_str(), "{ctx}");
        if v.open == "ok" {
            run.expect_code(0);
            assert_eq!(j["authenticated"], true, "{ctx}");
            assert_eq!(j["valid"], true, "{ctx}");
            assert_eq!(j["status"], "authenticated", "{ctx}");
            assert_eq!(
                j["plaintext_digest"],
                v.plaintext_sha256.as_deref().unwrap(),
                "{ctx}"
            );
            assert!(j["content"]["kind"].is_string(), "{ctx}");
        } else {
            run.expect_code(4);
            assert_eq!(j["authenticated"], false, "{ctx}");
            assert_eq!(j["errors"][0]["code"], v.open.as_str(), "{ctx}");
            assert_eq!(j["plaintext_digest"], Value::Null, "{ctx}");
            assert_eq!(j["content"], Value::Null, "{ctx}");
        }
    }
}

#[test]
fn dexie_content_summary_has_tables_and_no_values() {
    let v = vector("dexie-backup");
    let dir = temp_dir();
    let key = hex_key_file(dir.path(), "k", &v.key);
    let run = run([
        "inspect",
        "--json",
        "--key-file",
        key.to_str().unwrap(),
        v.path().to_str().unwrap(),
    ]);
    run.expect_code(0);
    let j = run.json();
    let c = &j["content"];
    assert_eq!(c["kind"], "dexie");
    assert_eq!(c["database_name"], "firefly");
    assert_eq!(c["database_version"], 3);
    assert_eq!(c["table_count"], 7);
    assert_eq!(c["problems"], serde_json::json!([]));
    let names: Vec<&str> = c["tables"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "inputs", "outputs", "circuits", "areas", "colors", "icons", "settings"
        ]
    );
    assert_eq!(c["tables"][0]["rows"], 8);
    assert_eq!(c["tables"][0]["declared_rows"], 8);
    assert_eq!(j["key"]["origin"], "imported");
    for secret in ["FAKE-PASSWORD-NOT-A-SECRET", "example.com", "Salon"] {
        assert!(!run.all().contains(secret), "{secret} leaked");
    }

    // The human report shows the same, aligned.
    let human = run_human(&["--key-file", key.to_str().unwrap()], &v);
    human.expect_code(0);
    let out = human.out();
    assert!(
        out.contains("Dexie export: database \"firefly\" version 3, 7 tables"),
        "{out}"
    );
    assert!(out.contains("inputs    8 rows"), "{out}");
    assert!(!out.contains("FAKE-PASSWORD"), "{out}");
}

fn run_human(extra: &[&str], v: &Vector) -> Run {
    let mut args = vec!["inspect"];
    args.extend_from_slice(extra);
    let path = v.path();
    args.push(path.to_str().unwrap());
    run(args)
}

#[test]
fn other_content_kinds() {
    for (name, kind) in [
        ("not-dexie-backup", "json"),
        ("binary-backup", "binary"),
        ("empty-backup", "empty"),
    ] {
        let v = vector(name);
        let dir = temp_dir();
        let key = hex_key_file(dir.path(), "k", &v.key);
        let run = run([
            "inspect",
            "--json",
            "--key-file",
            key.to_str().unwrap(),
            v.path().to_str().unwrap(),
        ]);
        run.expect_code(0);
        let c = &run.json()["content"];
        assert_eq!(c["kind"], kind, "{name}: {c}");
        assert_eq!(c["size"], v.plaintext_len.unwrap(), "{name}");
        if kind == "json" {
            assert_eq!(c["type"], "object");
            assert_eq!(c["key_count"], 2);
            assert_eq!(
                c["keys"][0],
                serde_json::json!({"name": "hello", "type": "array"})
            );
        }
    }
}

#[test]
fn human_report_fields_and_alignment() {
    let v = vector("trailing-bytes");
    let run = run_human(&[], &v);
    run.expect_code(4);
    let out = run.out();
    for label in [
        "source",
        "structure",
        "authenticated",
        "magic",
        "version",
        "nonce",
        "plaintext_len",
        "tag",
        "blob_len",
        "upload",
        "error",
    ] {
        assert!(
            out.lines()
                .any(|l| l.split_whitespace().next() == Some(label)),
            "no {label} line in\n{out}"
        );
    }
    assert!(out.contains("length_mismatch"), "{out}");
    assert!(out.contains("46464345 (\"FFCE\")"), "{out}");
    // Every value starts in the same column.
    let col = |l: &str| {
        l.find("  ")
            .map(|i| i + l[i..].len() - l[i..].trim_start().len())
    };
    let cols: Vec<_> = out.lines().map(col).collect();
    assert!(cols.windows(2).all(|w| w[0] == w[1]), "{out}");
    assert!(
        run.stderr.contains("not a valid FFCE blob"),
        "{}",
        run.stderr
    );
}

#[test]
fn stdin_is_dash() {
    let v = vector("one-byte-backup");
    let run = run_stdin(["inspect", "--json", "-"], &v.blob());
    run.expect_code(0);
    let j = run.json();
    assert_eq!(j["source"], "stdin");
    assert_eq!(j["blob_len"], 38);
    let bad = vector("version-2");
    run_stdin(["inspect", "-"], &bad.blob()).expect_code(4);
}

#[test]
fn missing_input_and_usage_errors() {
    let dir = temp_dir();
    let missing = dir.path().join("nope.ffce");
    let run = run(["inspect", missing.to_str().unwrap()]);
    run.expect_code(3);
    assert!(run.stderr.contains("nope.ffce"), "{}", run.stderr);
    assert!(run.stdout.is_empty());
    // clap: no INPUT
    common::run(["inspect"]).expect_code(2);
    common::run(["inspect", "--bogus", "x"]).expect_code(2);
    // A directory is neither missing nor a blob: another error.
    common::run(["inspect", dir.path().to_str().unwrap()]).expect_code(1);
}
