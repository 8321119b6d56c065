//! `ffce verify`: one line or JSON record per file, a total, and the exit-code
//! precedence (4 integrity > 3 not found > 1 unreadable > 0).

use crate::common;

use std::path::PathBuf;

use common::*;
use serde_json::Value;

fn paths(vs: &[Vector]) -> Vec<String> {
    vs.iter()
        .map(|v| v.path().to_str().unwrap().to_string())
        .collect()
}

fn verify(extra: &[&str], files: &[String]) -> Run {
    let mut args: Vec<String> = vec!["verify".into()];
    args.extend(extra.iter().map(|s| s.to_string()));
    args.extend(files.iter().cloned());
    run(args)
}

/// JSON lines (`--jsonl`): one `file` record per input, in order, then the `summary`,
/// which carries the schema version.
fn records(run: &Run) -> (Vec<Value>, Value) {
    let mut lines = run.json_lines();
    let total = lines.pop().expect("a total record");
    assert_eq!(total["type"], "summary");
    assert_eq!(total["schema_version"], 1);
    assert!(lines.iter().all(|r| r["type"] == "file"));
    (lines, total)
}

/// `--json` is one document, as for every other command: the total's fields and the
/// same records under `results` (it printed JSON Lines before schema_version 1).
#[test]
fn json_is_one_document_and_jsonl_the_lines() {
    let m = manifest();
    let files = paths(&m.vectors[..3]);
    let lines = verify(&["--jsonl"], &files);
    let (recs, total) = records(&lines);
    let doc = verify(&["--json"], &files);
    doc.expect_code(lines.code());
    let j = doc.json();
    assert_eq!(j["schema_version"], 1);
    assert_eq!(j["files"], total["files"]);
    let results = j["results"].as_array().expect("results");
    assert_eq!(results.len(), recs.len());
    for (d, r) in results.iter().zip(&recs) {
        let mut r = r.clone();
        r.as_object_mut().unwrap().remove("type");
        assert_eq!(*d, r, "the same record both ways");
    }
    assert!(
        doc.stderr.contains("--jsonl"),
        "the changed meaning of --json is noted: {}",
        doc.stderr
    );
}

/// Without a key, each vector passes exactly when its structure is ok.
#[test]
fn all_vectors_structure_only() {
    let m = manifest();
    let files = paths(&m.vectors);
    let run = verify(&["--jsonl"], &files);
    run.expect_code(4);
    let (recs, total) = records(&run);
    assert_eq!(recs.len(), m.vectors.len());
    for (v, r) in m.vectors.iter().zip(&recs) {
        assert_eq!(r["file"], v.path().to_str().unwrap());
        assert_eq!(r["ok"], v.structure == "ok", "{}: {r}", v.name);
        if v.structure == "ok" {
            assert_eq!(r["status"], "structure_valid");
        } else {
            assert_eq!(r["status"], "malformed");
            assert_eq!(r["errors"][0]["code"], v.structure.as_str(), "{}", v.name);
        }
        assert!(
            r.get("authenticated").is_none(),
            "no key, no authenticated: {r}"
        );
        assert_eq!(r["blob_len"], v.blob_len);
    }
    let bad = m.vectors.iter().filter(|v| v.structure != "ok").count();
    assert_eq!(total["files"], 22);
    assert_eq!(total["failed"], bad);
    assert_eq!(total["invalid"], bad);
    assert_eq!(total["ok"], 22 - bad);
    assert_eq!(total["authenticated"], false);
    assert_eq!(total["exit_code"], 4);

    // Human form: one OK/FAIL line per file, then the total.
    let run = verify(&[], &files);
    run.expect_code(4);
    let out = run.out();
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 23, "{out}");
    for (v, line) in m.vectors.iter().zip(&lines) {
        let want = if v.structure == "ok" { "OK " } else { "FAIL " };
        assert!(line.starts_with(want), "{}: {line}", v.name);
        assert!(line.contains(&v.file), "{line}");
        if v.structure != "ok" {
            assert!(line.contains(&v.structure), "reason: {line}");
        }
    }
    assert!(lines[22].starts_with("total: 22 files"), "{}", lines[22]);
}

/// With master 11…11 (backup), each of its vectors passes exactly when `open` is ok.
#[test]
fn with_a_key_authentication_counts() {
    let m = manifest();
    let dir = temp_dir();
    let key = hex_key_file(dir.path(), "k", &"11".repeat(32));
    let mine: Vec<Vector> = m
        .vectors
        .iter()
        .filter(|v| v.master_secret == "11".repeat(32) && v.purpose == "backup")
        .cloned()
        .collect();
    assert!(mine.len() > 10);
    let run = verify(
        &["--jsonl", "--master-key-file", key.to_str().unwrap()],
        &paths(&mine),
    );
    let (recs, total) = records(&run);
    for (v, r) in mine.iter().zip(&recs) {
        assert_eq!(r["ok"], v.open == "ok", "{}: {r}", v.name);
        if v.open == "ok" {
            assert_eq!(r["authenticated"], true);
            assert_eq!(r["status"], "authenticated");
            assert_eq!(
                r["plaintext_digest"],
                v.plaintext_sha256.as_deref().unwrap()
            );
        } else {
            assert_eq!(r["errors"][0]["code"], v.open.as_str(), "{}", v.name);
        }
        if v.upload == "too_large" {
            assert_eq!(r["ok"], true, "a warning is not a failure");
            assert_eq!(r["warnings"][0]["code"], "too_large");
        }
    }
    assert_eq!(total["authenticated"], true);

    // All good: exit 0.
    let good: Vec<Vector> = mine.into_iter().filter(|v| v.open == "ok").collect();
    let run = verify(&["--master-key-file", key.to_str().unwrap()], &paths(&good));
    run.expect_code(0);
    assert!(
        run.out()
            .lines()
            .take(good.len())
            .all(|l| l.starts_with("OK "))
    );
    assert!(run.out().contains("authenticated"));
}

#[test]
fn exit_code_precedence() {
    let dir = temp_dir();
    let good = vector("one-byte-backup")
        .path()
        .to_str()
        .unwrap()
        .to_string();
    let bad = vector("bad-magic").path().to_str().unwrap().to_string();
    let missing = dir
        .path()
        .join("missing.ffce")
        .to_str()
        .unwrap()
        .to_string();
    let unreadable = dir.path().to_str().unwrap().to_string(); // a directory
    let cases: &[(&[&String], i32)] = &[
        (&[&good], 0),
        (&[&good, &unreadable], 1),
        (&[&good, &missing], 3),
        (&[&unreadable, &missing], 3),
        (&[&good, &bad], 4),
        (&[&missing, &bad, &unreadable], 4),
    ];
    for (files, code) in cases {
        let files: Vec<String> = files.iter().map(|s| s.to_string()).collect();
        let run = verify(&["--jsonl"], &files);
        run.expect_code(*code);
        let (recs, total) = records(&run);
        assert_eq!(recs.len(), files.len(), "every file is reported");
        assert_eq!(total["exit_code"], *code);
        for r in &recs {
            let status = r["status"].as_str().unwrap();
            let file = PathBuf::from(r["file"].as_str().unwrap());
            let want = if file.ends_with("missing.ffce") {
                "not_found"
            } else if file.is_dir() {
                "unreadable"
            } else if file.ends_with("bad-magic.ffce") {
                "malformed"
            } else {
                "structure_valid"
            };
            assert_eq!(status, want, "{r}");
        }
    }
    // The missing file is named in its line.
    let run = verify(&[], std::slice::from_ref(&missing));
    run.expect_code(3);
    assert!(run.out().starts_with("FAIL "), "{}", run.out());
    assert!(run.out().contains("missing.ffce") && run.out().contains("not_found"));
}

#[test]
fn usage_and_stdin() {
    run(["verify"]).expect_code(2);
    let v = vector("empty-backup");
    let run = run_stdin(["verify", "--jsonl", "-"], &v.blob());
    run.expect_code(0);
    let (recs, _) = records(&run);
    assert_eq!(recs[0]["file"], "-");
    // A key that cannot be loaded stops before any file is checked.
    let run = common::run(["verify", "--key-file", "/nonexistent/k", &v.file]);
    run.expect_code(3);
    assert!(run.stdout.is_empty());
}
