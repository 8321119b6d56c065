//! `ffce show` and `ffce diff` on bad input: each a clear error or warning that names
//! the problem, with its documented exit status, never a panic; and files, stdin and
//! the local store as sources.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::common::*;

fn export(name: &str) -> PathBuf {
    fixtures_dir().join("exports").join(name)
}

fn plaintext(name: &str) -> PathBuf {
    fixtures_dir().join("plaintexts").join(name)
}

#[track_caller]
fn assert_no_panic(run: &Run) {
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
}

#[test]
fn a_blob_that_does_not_authenticate_exits_4() {
    let dir = temp_dir();
    let key = master_11(dir.path());
    let flipped = vector("dexie-ciphertext-flipped").path();
    for args in [
        vec!["show", "--master-key-file", s(&key), s(&flipped)],
        vec![
            "diff",
            "--master-key-file",
            s(&key),
            s(&flipped),
            s(&export("device-v1.json")),
        ],
        vec![
            "diff",
            "--exit-code",
            "--master-key-file",
            s(&key),
            s(&export("device-v1.json")),
            s(&flipped),
        ],
    ] {
        let run = run(&args);
        run.expect_code(4);
        assert!(
            run.stderr.contains("authentication failed"),
            "{args:?}: {}",
            run.stderr
        );
        assert!(
            run.stderr.contains(s(&flipped)),
            "names the file: {}",
            run.stderr
        );
        assert!(run.out().is_empty(), "{args:?} printed {}", run.out());
        assert_no_panic(&run);
    }
    let json = run(["show", "--json", "--master-key-file", s(&key), s(&flipped)]);
    json.expect_code(4);
    assert_eq!(json.json()["error"]["kind"], "integrity");
}

#[test]
fn an_encrypted_file_without_a_key_is_a_usage_error() {
    let dir = temp_dir();
    let blob = seal(
        dir.path(),
        "v1",
        &std::fs::read(export("device-v1.json")).unwrap(),
    );
    let run = run(["show", s(&blob)]);
    run.expect_code(2);
    assert!(
        run.stderr
            .contains("is encrypted: give its key with --master-key-file"),
        "{}",
        run.stderr
    );
    let with_dir = crate::common::run(["show", "--key-dir", s(dir.path()), s(&blob)]);
    with_dir.expect_code(2);
    assert!(
        with_dir
            .stderr
            .contains("--key-dir holds the keys of devices"),
        "{}",
        with_dir.stderr
    );
    // With the key, a sealed export shows as the plaintext does.
    let key = master_11(dir.path());
    let sealed = crate::common::run([
        "show",
        "--json",
        "--master-key-file",
        s(&key),
        s(&blob),
        "--table",
        "tags",
    ]);
    sealed.expect_code(0);
    let plain = crate::common::run([
        "show",
        "--json",
        s(&export("device-v1.json")),
        "--table",
        "tags",
    ]);
    assert_eq!(sealed.json()["export"], plain.json()["export"]);
    assert_eq!(
        sealed.json()["source"],
        serde_json::json!({"kind": "file", "path": s(&blob), "encrypted": true})
    );
}

#[test]
fn content_that_is_not_a_dexie_export_exits_4_naming_why() {
    let dir = temp_dir();
    let nul = write_file(
        dir.path(),
        "nul.json",
        b"{\"formatName\":\"dexie\"}\0tail",
        0o600,
    );
    let text = write_file(dir.path(), "notes.txt", b"wifi password: hunter2\n", 0o600);
    let array = write_file(dir.path(), "array.json", b"[1, 2]", 0o600);
    let no_data = write_file(
        dir.path(),
        "nodata.json",
        br#"{"formatName":"dexie","formatVersion":1}"#,
        0o600,
    );
    let cases: [(&Path, &str); 6] = [
        (
            &text,
            "not JSON: the device restores only a JSON document (its /backup.json) (expected value at line 1 column 1)",
        ),
        (&nul, "NUL byte at offset 22"),
        (&plaintext("binary.bin"), "not UTF-8"),
        (
            &plaintext("not-dexie.json"),
            "not a Dexie export: it has no formatName \"dexie\"",
        ),
        (&array, "not a Dexie export: the document is a JSON array"),
        (&no_data, "not a Dexie export: it has no data object"),
    ];
    for (file, words) in cases {
        for args in [
            vec!["show", s(file)],
            vec!["diff", s(file), s(&export("device-v1.json"))],
        ] {
            let run = run(&args);
            run.expect_code(4);
            assert!(
                run.stderr.contains(words),
                "{args:?}: want {words:?} in {}",
                run.stderr
            );
            assert!(
                !run.all().contains("hunter2"),
                "a value leaked: {}",
                run.all()
            );
            assert_no_panic(&run);
        }
    }
}

#[test]
fn rows_without_their_primary_key_are_a_warning_and_compared_by_content() {
    let keyless = export("keyless.json");
    let show = run(["show", "--json", s(&keyless), "--table", "circuits"]);
    show.expect_code(0);
    assert!(
        show.stderr.contains(
            "table \"circuits\": 2 rows without a usable primary key id (the first at position 0)"
        ),
        "{}",
        show.stderr
    );
    let problems = &show.json()["problems"];
    assert_eq!(problems[0]["code"], "rows_without_key", "{problems:#}");

    let diff = run(["diff", "--json", s(&export("device-v1.json")), s(&keyless)]);
    diff.expect_code(0);
    let doc = diff.json();
    let circuits = doc["tables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "circuits")
        .unwrap();
    assert_eq!(
        (
            circuits["removed"].clone(),
            circuits["added"].clone(),
            circuits["changed"].clone()
        ),
        (2.into(), 2.into(), 0.into())
    );
    assert_eq!(circuits["rows"]["added"][0]["key"], Value::Null);
    assert_eq!(circuits["rows"]["removed"][0]["key"], 1);
    assert_eq!(doc["problems"][0]["side"], "to");
    assert_eq!(doc["problems"][0]["code"], "rows_without_key");
}

#[test]
fn exports_of_different_databases_are_compared_with_a_warning() {
    let other_db = plaintext("dexie-config.json");
    let run = run(["diff", "--json", s(&other_db), s(&export("device-v1.json"))]);
    run.expect_code(0);
    assert!(
        run.stderr.contains(
            "the two backups are of different databases (\"firefly\" and \"FireFly-Controller\")"
        ),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("the controller's app imports only \"FireFly-Controller\""),
        "{}",
        run.stderr
    );
    let doc = run.json();
    assert_eq!(
        doc["database"]["name"],
        serde_json::json!({"before": "firefly", "after": "FireFly-Controller"})
    );
    assert_eq!(doc["problems"][0]["code"], "wrong_database");
    let show = crate::common::run(["show", "--json", s(&other_db)]);
    show.expect_code(0);
    assert_eq!(show.json()["restore_problems"][0]["code"], "wrong_database");
    assert!(
        !show.all().contains("FAKE-PASSWORD-NOT-A-SECRET"),
        "{}",
        show.all()
    );
}

#[test]
fn usage_errors_exit_2() {
    let v1 = export("device-v1.json");
    for (args, words) in [
        (vec!["diff", "-", "-"], "both sources are stdin"),
        (
            vec!["diff", s(&v1)],
            "is a file: compare it with another source",
        ),
        (
            vec!["show", s(&v1), "--version-id", "abc"],
            "--version-id picks a version of a device",
        ),
        (
            vec!["diff", s(&v1), s(&v1), "--from", "x"],
            "cannot be used with",
        ),
    ] {
        let run = run(&args);
        run.expect_code(2);
        assert!(
            run.stderr.contains(words),
            "{args:?}: want {words:?} in {}",
            run.stderr
        );
    }
    run(["show", "no-such-file.json"]).expect_code(3);
    run(["show", s(&v1), "--table", "nope"]).expect_code(3);
    run(["diff", s(&v1), s(&v1), "--table", "nope"]).expect_code(3);
}

#[test]
fn stdin_and_files_mix() {
    let v1 = std::fs::read(export("device-v1.json")).unwrap();
    let run = run_stdin(["diff", "--stat", "-", s(&export("device-v2.json"))], &v1);
    run.expect_code(0);
    assert!(run.out().starts_with("--- stdin\n+++ "), "{}", run.out());
    assert!(
        run.out()
            .contains("settings            0        0        2  8 → 8"),
        "{}",
        run.out()
    );
    let show = run_stdin(["show", "-", "--table", "tags"], &v1);
    show.expect_code(0);
    assert!(
        show.out().contains("tags (4 rows; key id)"),
        "{}",
        show.out()
    );
}

#[test]
fn terminal_controls_in_a_backup_are_escaped() {
    let dir = temp_dir();
    let mut doc: Value =
        serde_json::from_slice(&std::fs::read(export("device-v1.json")).unwrap()).unwrap();
    let circuits = doc["data"]["data"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|t| t["tableName"] == "circuits")
        .unwrap();
    circuits["rows"][0]["name"] = "\u{1b}]0;owned\u{7}\u{1b}[2J\u{202e}x".into();
    let evil = write_file(
        dir.path(),
        "evil.json",
        &serde_json::to_vec(&doc).unwrap(),
        0o600,
    );
    for args in [
        vec!["show", s(&evil), "--table", "circuits"],
        vec!["diff", s(&export("device-v1.json")), s(&evil)],
    ] {
        let run = run(&args);
        run.expect_code(0);
        let out = run.out();
        assert!(
            !out.contains('\u{1b}') && !out.contains('\u{202e}'),
            "{args:?}: {out:?}"
        );
        assert!(out.contains("]0;owned"), "{args:?}: {out}");
    }
}

#[test]
fn the_local_store_shows_a_device_and_diffs_it_against_a_file() {
    let home = temp_dir();
    let dir = temp_dir();
    let key = master_11(dir.path());
    run_home(
        home.path(),
        &[
            "put",
            "--encrypt",
            "--master-key-file",
            s(&key),
            DEVICE,
            s(&export("device-v2.json")),
        ],
    )
    .expect_code(0);
    let show = run_home(
        home.path(),
        &[
            "show",
            "--master-key-file",
            s(&key),
            DEVICE,
            "--table",
            "tags",
        ],
    );
    show.expect_code(0);
    assert!(show.out().contains("  5   outdoor"), "{}", show.out());
    let diff = run_home(
        home.path(),
        &[
            "diff",
            "--exit-code",
            "--master-key-file",
            s(&key),
            s(&export("device-v1.json")),
            DEVICE,
        ],
    );
    diff.expect_code(6);
    assert!(
        diff.out()
            .contains("M 3  name: \"Kitchen\" → \"Kitchen lights\""),
        "{}",
        diff.out()
    );
    let versions = run_home(home.path(), &["diff", "--master-key-file", s(&key), DEVICE]);
    versions.expect_code(2);
    assert!(
        versions
            .stderr
            .contains("the local store keeps no versions"),
        "{}",
        versions.stderr
    );
    let nokey = run_home(home.path(), &["show", DEVICE]);
    nokey.expect_code(2);
}
