//! What a support team running a fleet needs to see, against the loopback S3 server
//! (moto): a key per device (`audit --key-dir`), each backup's last-modified time and
//! the stale ones (`--older-than`), devices whose backup was deleted (`ls --deleted`),
//! and streaming JSON Lines (`--jsonl`). Buckets are prepared by the independent boto3
//! client (`scripts/s3_oracle.py`). Without `FFCE_TEST_S3_ENDPOINT` these tests fail;
//! they never skip.

mod common;
#[path = "common/s3.rs"]
mod s3;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use common::*;
use s3::*;
use serde_json::Value;

/// A made-up device UUID, distinct per `n`.
fn uuid(n: u32) -> String {
    format!("{n:08x}-2222-4333-8444-{n:012x}")
}

fn nested(uuid: &str) -> String {
    format!("{uuid}/backup.ffce")
}

/// Plants `(key, file)` pairs in one oracle call, in order.
fn plant_all(b: &Bucket, pairs: &[(String, PathBuf)]) {
    let mut args = vec!["put-files".to_string(), b.name.clone()];
    args.extend(
        pairs
            .iter()
            .map(|(k, f)| format!("{k}={}", f.to_str().unwrap())),
    );
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    oracle(&args);
}

/// The JSON records of `audit --json`, by UUID.
fn by_uuid(records: &[Value]) -> BTreeMap<String, Value> {
    records
        .iter()
        .map(|o| (o["uuid"].as_str().unwrap().to_string(), o.clone()))
        .collect()
}

fn first_code(record: &Value) -> Option<String> {
    record["errors"][0]["code"].as_str().map(str::to_string)
}

/// Writes `DIR/{uuid}.key` with `contents`, mode 0600.
fn key_file(dir: &Path, uuid: &str, contents: &[u8]) {
    write_file(dir, &format!("{uuid}.key"), contents, 0o600);
}

// ---- a key per device ----------------------------------------------------------------

/// `--key-dir`: each device is authenticated with its own master secret, in any key
/// encoding; a wrong key or a modified backup fails; a device without a key file is
/// `no_key`, counted apart and not a failure; an unusable key file is a read error
/// that never shows the file's contents. The summary counts authenticated / no key /
/// failed.
#[test]
fn audit_with_a_key_per_device() {
    let b = Bucket::versioned("fleet-keys");
    let keys = temp_dir();
    let m11 = "11".repeat(32);
    let m0001: String = (0u8..32).map(|i| format!("{i:02x}")).collect();
    let m0001_b64 = {
        use base64::Engine as _;
        let bytes: Vec<u8> = (0u8..32).collect();
        base64::engine::general_purpose::STANDARD.encode(bytes)
    };
    // (device, vector planted, key file contents, expected status)
    let cases: Vec<(String, &str, Option<Vec<u8>>, &str)> = vec![
        // 32 raw bytes of 0x11.
        (uuid(1), "dexie-backup", Some(vec![0x11; 32]), "valid"),
        // Base64 of 00 01 .. 1f.
        (
            uuid(2),
            "not-dexie-backup",
            Some(format!("{m0001_b64}\n").into_bytes()),
            "valid",
        ),
        // Hex, lowercase, with whitespace around.
        (
            uuid(3),
            "one-byte-backup",
            Some(format!("  {m11}\n").into_bytes()),
            "valid",
        ),
        // Modified after sealing: the right key does not authenticate it.
        (
            uuid(4),
            "dexie-ciphertext-flipped",
            Some(m11.clone().into_bytes()),
            "authentication_failed",
        ),
        // Another device's key.
        (
            uuid(5),
            "dexie-backup",
            Some(m0001.clone().into_bytes()),
            "authentication_failed",
        ),
        // No key file.
        (uuid(6), "dexie-backup", None, "no_key"),
        // No key file and not even well-formed: malformed, whatever the keys.
        (uuid(7), "bad-magic", None, "malformed"),
    ];
    let pairs: Vec<(String, PathBuf)> = cases
        .iter()
        .map(|(u, v, _, _)| (nested(u), vector(v).path()))
        .collect();
    plant_all(&b, &pairs);
    for (u, _, contents, _) in &cases {
        if let Some(c) = contents {
            key_file(keys.path(), u, c);
        }
    }
    // Keys of devices the bucket does not hold are never read (this one is not even
    // a key), so they cause no error.
    key_file(keys.path(), &uuid(99), b"not a key at all");
    let dir = keys.path().to_str().unwrap();

    let run = b.ffce(&["audit", "--json", "--key-dir", dir]);
    run.expect_code(4);
    let out = run.json();
    assert_eq!(out["mode"], "authenticate_per_device");
    let records = by_uuid(out["objects"].as_array().unwrap());
    assert_eq!(records.len(), cases.len(), "{out}");
    for (u, v, _, status) in &cases {
        assert_eq!(records[u]["status"], *status, "{v}: {}", records[u]);
    }
    assert_eq!(first_code(&records[&uuid(6)]).as_deref(), Some("no_key"));
    let t = &out["totals"];
    assert_eq!(
        (&t["valid"], &t["no_key"], &t["invalid"], &t["errors"]),
        (&3.into(), &1.into(), &3.into(), &0.into()),
        "{t}"
    );
    assert!(!run.all().contains(&m11) && !run.all().contains(&m0001_b64));

    // The human summary counts authenticated / no key / failed.
    let run = b.ffce(&["audit", "--key-dir", dir]);
    run.expect_code(4);
    let text = run.out();
    let summary = text.lines().last().unwrap();
    assert!(
        summary.contains("3 authenticated, 1 no key, 3 failed"),
        "{summary}"
    );
    assert!(
        text.lines()
            .any(|l| l.starts_with("NO_KEY") && l.contains(&uuid(6))),
        "{text}"
    );

    // Only devices without a key and with good backups: nothing failed, exit 0.
    let b2 = Bucket::versioned("fleet-nokey");
    plant_all(
        &b2,
        &[
            (nested(&uuid(1)), vector("dexie-backup").path()),
            (nested(&uuid(6)), vector("dexie-backup").path()),
        ],
    );
    let run = b2.ffce(&["audit", "--json", "--key-dir", dir]);
    run.expect_code(0);
    let t = &run.json()["totals"];
    assert_eq!((&t["valid"], &t["no_key"]), (&1.into(), &1.into()), "{t}");
}

/// A key file that is not a key is that device's read error (exit 1 when nothing is
/// invalid), named by its path, its contents never shown.
#[test]
fn an_unusable_key_file_is_an_error_for_that_device() {
    let b = Bucket::versioned("fleet-badkey");
    let keys = temp_dir();
    plant_all(
        &b,
        &[
            (nested(&uuid(1)), vector("dexie-backup").path()),
            (nested(&uuid(2)), vector("dexie-backup").path()),
        ],
    );
    key_file(
        keys.path(),
        &uuid(1),
        format!("{}\n", "11".repeat(32)).as_bytes(),
    );
    let near_miss = "ab".repeat(29);
    key_file(keys.path(), &uuid(2), near_miss.as_bytes());
    let run = b.ffce(&[
        "audit",
        "--json",
        "--key-dir",
        keys.path().to_str().unwrap(),
    ]);
    run.expect_code(1);
    let records = by_uuid(run.json()["objects"].as_array().unwrap());
    assert_eq!(records[&uuid(1)]["status"], "valid");
    let bad = &records[&uuid(2)];
    assert_eq!(bad["status"], "error");
    assert_eq!(first_code(bad).as_deref(), Some("bad_key_file"));
    let message = bad["errors"][0]["message"].as_str().unwrap();
    assert!(
        message.contains(&format!("{}.key", uuid(2))) && message.contains("58 hex digits"),
        "{message}"
    );
    assert!(!run.all().contains(&near_miss));
}

/// `--key-dir` conflicts with the single-key flags (exit 2); a missing folder is
/// exit 3 naming it, before any request.
#[test]
fn key_dir_usage() {
    let keys = temp_dir();
    let key = hex_key_file(keys.path(), "one.key", &"11".repeat(32));
    let run = common::run([
        "audit",
        "--key-dir",
        keys.path().to_str().unwrap(),
        "--master-key-file",
        key.to_str().unwrap(),
        "--dir",
        keys.path().to_str().unwrap(),
    ]);
    run.expect_code(2);
    assert!(run.stderr.contains("--key-dir"), "{}", run.stderr);

    let missing = keys.path().join("no-such-folder");
    let run = common::run([
        "audit",
        "--key-dir",
        missing.to_str().unwrap(),
        "--dir",
        keys.path().to_str().unwrap(),
    ]);
    run.expect_code(3);
    assert!(
        run.stderr.contains("no-such-folder") && run.stderr.contains("not found"),
        "{}",
        run.stderr
    );
}
