//! What a support team running a fleet needs to see, against the loopback S3 server
//! (moto): a key per device (`audit --key-dir`), each backup's last-modified time and
//! the stale ones (`--older-than`), devices whose backup was deleted (`ls --deleted`),
//! and streaming JSON Lines (`--jsonl`). Buckets are prepared by the independent boto3
//! client (`scripts/s3_oracle.py`). Without `FFCE_TEST_S3_ENDPOINT` these tests fail;
//! they never skip.

use crate::common;
use crate::common::fault;
use crate::common::s3;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use common::*;
use fault::{FaultProxy, stream_json_lines};
use s3::*;
use serde_json::Value;

/// A made-up device UUID, distinct per `n`.
fn uuid(n: u32) -> String {
    format!("{n:08x}-2222-4333-8444-{n:012x}")
}

/// The JSON records of `audit --json`, by UUID.
fn by_uuid(records: &[Value]) -> BTreeMap<String, Value> {
    records
        .iter()
        .map(|o| (o["device"].as_str().unwrap().to_string(), o.clone()))
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
        (
            uuid(1),
            "dexie-backup",
            Some(vec![0x11; 32]),
            "authenticated",
        ),
        // Base64 of 00 01 .. 1f. Authentic, but no Dexie export: the device will not
        // restore it.
        (
            uuid(2),
            "not-dexie-backup",
            Some(format!("{m0001_b64}\n").into_bytes()),
            "content_unrestorable",
        ),
        // Hex, lowercase, with whitespace around. Authentic, but not JSON.
        (
            uuid(3),
            "one-byte-backup",
            Some(format!("  {m11}\n").into_bytes()),
            "content_unrestorable",
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
        (&1.into(), &1.into(), &5.into(), &0.into()),
        "{t}"
    );
    assert!(!run.all().contains(&m11) && !run.all().contains(&m0001_b64));

    // The human summary counts authenticated / no key / failed.
    let run = b.ffce(&["audit", "--key-dir", dir]);
    run.expect_code(4);
    let text = run.out();
    let summary = text.lines().last().unwrap();
    assert!(
        summary.contains("1 authenticated, 1 no key, 5 failed"),
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
    assert_eq!(records[&uuid(1)]["status"], "authenticated");
    let bad = &records[&uuid(2)];
    assert_eq!(bad["status"], "read_failed");
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

    // A folder of master secrets open to others is worth a warning; one that is
    // not, none.
    let store = temp_dir();
    let audit_with = |dir: &Path| {
        common::run([
            "audit",
            "--key-dir",
            dir.to_str().unwrap(),
            "--dir",
            store.path().to_str().unwrap(),
        ])
    };
    set_mode(keys.path(), 0o700);
    let run = audit_with(keys.path());
    run.expect_code(0);
    assert!(!run.stderr.contains("accessible"), "{}", run.stderr);
    set_mode(keys.path(), 0o755);
    let run = audit_with(keys.path());
    run.expect_code(0);
    assert!(
        run.stderr
            .contains("is accessible by group or others (mode 0755)"),
        "{}",
        run.stderr
    );

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

// ---- last-modified times and stale devices -------------------------------------------

/// Seconds since the Unix epoch of an RFC 3339 UTC time to the second
/// (`2025-01-31T12:00:00Z`), the form ffce prints; panics on anything else.
fn epoch_secs(text: &str) -> i64 {
    let b = text.as_bytes();
    assert!(
        text.len() == 20 && b[4] == b'-' && b[10] == b'T' && b[19] == b'Z',
        "not RFC 3339 UTC: {text}"
    );
    let n = |r: std::ops::Range<usize>| text[r].parse::<i64>().unwrap();
    let (y, m, d) = (n(0..4), n(5..7), n(8..10));
    // Days from civil (Howard Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    days * 86_400 + n(11..13) * 3600 + n(14..16) * 60 + n(17..19)
}

fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// `audit` reports each backup's last-modified time (JSON and human output), the same
/// one `ls` reports; `--older-than` selects the stale ones and the summary counts
/// them; `ls --older-than` lists only those. moto stores the upload time, so "stale"
/// is made with a short duration: one device written 4 s before the other, and a
/// cut-off of 3 s between them.
#[test]
fn stale_devices() {
    let b = Bucket::versioned("fleet-stale");
    let before = now_secs();
    plant_all(&b, &[(nested(&uuid(1)), vector("dexie-backup").path())]);
    std::thread::sleep(std::time::Duration::from_secs(8));
    plant_all(&b, &[(nested(&uuid(2)), vector("bad-magic").path())]);
    let after = now_secs();
    let planted = std::time::Instant::now();
    // A cut-off between the two devices' ages at the moment each command runs: device 2
    // is at most a second or two older than the time since it was planted (S3 times are
    // whole seconds), device 1 is 8 s older still. A fixed cut-off would let device 2
    // turn stale too on a loaded machine, where the commands below take seconds each.
    let between = || format!("{}s", planted.elapsed().as_secs() + 4);

    let ls = b.ffce(&["ls", "--json"]);
    ls.expect_code(0);
    let listed = by_uuid(ls.json()["devices"].as_array().unwrap());

    // --older-than selects, as `find -mtime` does: only the stale device is listed,
    // and the totals still count every backup (and the exit code is the fleet's).
    let cutoff = between();
    let run = b.ffce(&["audit", "--json", "--older-than", &cutoff]);
    run.expect_code(4);
    let out = run.json();
    let records = by_uuid(out["objects"].as_array().unwrap());
    assert_eq!(records.keys().collect::<Vec<_>>(), vec![&uuid(1)], "{out}");
    assert_eq!(records[&uuid(1)]["stale"], true);
    assert_eq!(out["totals"]["objects"], 2, "{}", out["totals"]);
    assert_eq!(out["totals"]["invalid"], 1, "{}", out["totals"]);
    assert_eq!(out["totals"]["stale"], 1, "{}", out["totals"]);
    assert_eq!(out["older_than"], cutoff.as_str());
    assert!(
        run.stderr.contains("not listed") && run.stderr.contains("--all"),
        "the invalid backup left out is counted and pointed at: {}",
        run.stderr
    );

    // --all keeps the rest, the stale ones marked.
    let cutoff = between();
    let run = b.ffce(&["audit", "--json", "--older-than", &cutoff, "--all"]);
    run.expect_code(4);
    let out = run.json();
    let records = by_uuid(out["objects"].as_array().unwrap());
    for n in [1, 2] {
        let r = &records[&uuid(n)];
        let t = epoch_secs(r["last_modified"].as_str().unwrap());
        assert!(before - 1 <= t && t <= after, "{r}");
        assert_eq!(r["last_modified"], listed[&uuid(n)]["last_modified"]);
    }
    assert_eq!(records[&uuid(1)]["stale"], true);
    assert_eq!(records[&uuid(2)]["stale"], false);

    let run = b.ffce(&["audit", "--json", "--older-than", "1h"]);
    run.expect_code(4);
    assert_eq!(run.json()["totals"]["stale"], 0);
    assert_eq!(run.json()["objects"], serde_json::json!([]));

    // Human output agrees: the stale device gets a line with its time, the fresh
    // (invalid) one none, and the summary counts both.
    let cutoff = between();
    let run = b.ffce(&["audit", "--older-than", &cutoff]);
    run.expect_code(4);
    let text = run.out();
    let lm1 = records[&uuid(1)]["last_modified"].as_str().unwrap();
    assert!(
        text.lines()
            .any(|l| l.starts_with("STALE") && l.contains(&uuid(1)) && l.contains(lm1)),
        "{text}"
    );
    assert!(!text.contains(&uuid(2)), "not selected: {text}");
    let summary = text.lines().last().unwrap();
    assert!(
        summary.contains(&format!("1 stale (older than {cutoff})"))
            && summary.contains("audited 2 backup(s)"),
        "{summary}"
    );
    let run = b.ffce(&["audit", "--older-than", &between(), "--all"]);
    run.expect_code(4);
    let lm2 = records[&uuid(2)]["last_modified"].as_str().unwrap();
    assert!(
        run.out()
            .lines()
            .any(|l| l.starts_with("MALFORMED") && l.contains(&uuid(2)) && l.contains(lm2)),
        "{}",
        run.out()
    );

    // ls --older-than: only the stale device, in both forms.
    let run = b.ffce(&["ls", "--json", "--older-than", &between()]);
    run.expect_code(0);
    let devices = by_uuid(run.json()["devices"].as_array().unwrap());
    assert_eq!(devices.keys().collect::<Vec<_>>(), vec![&uuid(1)]);
    let run = b.ffce(&["ls", "--older-than", &between()]);
    run.expect_code(0);
    assert!(run.out().contains(&uuid(1)) && !run.out().contains(&uuid(2)));
    let run = b.ffce(&["ls", "--json", "--older-than", "1h"]);
    run.expect_code(0);
    assert_eq!(run.json()["devices"], serde_json::json!([]));
}

/// A duration that does not parse is a usage error (exit 2) naming the value.
#[test]
fn older_than_needs_a_duration() {
    let dir = temp_dir();
    for bad in ["30x", "d", "12", "5 d", ""] {
        for cmd in ["audit", "ls"] {
            let run = common::run([
                cmd,
                "--older-than",
                bad,
                "--dir",
                dir.path().to_str().unwrap(),
            ]);
            run.expect_code(2);
            assert!(
                run.stderr.contains(&format!("'{bad}'")) && run.stderr.contains("--older-than"),
                "{cmd} {bad}: {}",
                run.stderr
            );
        }
    }
    for good in ["30d", "12h", "90m", "45s", "2w", "1d12h"] {
        let run = common::run([
            "ls",
            "--older-than",
            good,
            "--dir",
            dir.path().to_str().unwrap(),
        ]);
        run.expect_code(0);
    }
}

// ---- deleted devices -----------------------------------------------------------------

/// `ls --deleted` lists the devices whose latest version is a delete marker, with
/// when the marker was made and its version id, and nothing else: not a device that
/// still has its backup, not one deleted and then written again. On the local store
/// it is a usage error (exit 2) saying it needs a versioned bucket.
#[test]
fn deleted_devices() {
    let b = Bucket::versioned("fleet-deleted");
    let good = vector("dexie-backup").path();
    plant_all(
        &b,
        &[
            (nested(&uuid(1)), good.clone()),
            (nested(&uuid(2)), good.clone()),
            (nested(&uuid(3)), good.clone()),
            (nested(&uuid(4)), good.clone()),
        ],
    );
    let before = now_secs();
    let marker2 = oracle(&["delete", &b.name, &nested(&uuid(2))]);
    let marker4 = oracle(&["delete", &b.name, &nested(&uuid(4))]);
    let after = now_secs();
    // Deleted, then backed up again: not deleted any more.
    oracle(&["delete", &b.name, &nested(&uuid(3))]);
    plant_all(&b, &[(nested(&uuid(3)), good.clone())]);

    let run = b.ffce(&["ls", "--deleted", "--json"]);
    run.expect_code(0);
    let out = run.json();
    let devices = by_uuid(out["devices"].as_array().unwrap());
    assert_eq!(
        devices.keys().collect::<Vec<_>>(),
        vec![&uuid(2), &uuid(4)],
        "{out}"
    );
    for (n, marker) in [(2, &marker2), (4, &marker4)] {
        let d = &devices[&uuid(n)];
        assert_eq!(d["key"], nested(&uuid(n)));
        assert_eq!(d["delete_marker_version_id"], marker["version_id"], "{d}");
        let t = epoch_secs(d["deleted_at"].as_str().unwrap());
        assert!(before - 1 <= t && t <= after, "{d}");
    }

    let run = b.ffce(&["ls", "--deleted"]);
    run.expect_code(0);
    let text = run.out();
    let deleted_at = devices[&uuid(2)]["deleted_at"].as_str().unwrap();
    assert!(
        text.lines()
            .any(|l| l.starts_with(&uuid(2)) && l.contains(deleted_at)),
        "{text}"
    );
    for n in [1, 3] {
        assert!(!text.contains(&uuid(n)), "{text}");
    }

    // A bucket nothing was deleted from: an empty list, exit 0.
    let clean = Bucket::versioned("fleet-nodeleted");
    plant_all(&clean, &[(nested(&uuid(1)), good)]);
    let run = clean.ffce(&["ls", "--deleted", "--json"]);
    run.expect_code(0);
    assert_eq!(run.json()["devices"], serde_json::json!([]));

    let dir = temp_dir();
    let run = common::run(["ls", "--deleted", "--dir", dir.path().to_str().unwrap()]);
    run.expect_code(2);
    assert!(run.stderr.contains("versioned"), "{}", run.stderr);
}

// ---- streaming JSON Lines ------------------------------------------------------------

/// `audit --jsonl` and `ls --jsonl`: one JSON object per device (with its `uuid`),
/// then one summary line; `--jsonl` conflicts with `--json`.
#[test]
fn json_lines() {
    let b = Bucket::versioned("fleet-jsonl");
    let n = 6;
    let mut pairs: Vec<(String, PathBuf)> = (1..n)
        .map(|i| (nested(&uuid(i)), vector("dexie-backup").path()))
        .collect();
    pairs.push((nested(&uuid(n)), vector("bad-magic").path()));
    plant_all(&b, &pairs);
    let want: Vec<String> = (1..=n).map(uuid).collect();

    // --all: every finding, though none is older than an hour.
    let run = b.ffce(&["audit", "--jsonl", "--older-than", "1h", "--all"]);
    run.expect_code(4);
    let lines = run.json_lines();
    assert_eq!(lines.len(), n as usize + 1, "{}", run.out());
    let (devices, summary) = lines.split_at(n as usize);
    let mut seen: Vec<String> = devices
        .iter()
        .map(|d| d["device"].as_str().unwrap().to_string())
        .collect();
    seen.sort();
    assert_eq!(seen, want);
    let records = by_uuid(devices);
    assert_eq!(records[&uuid(n)]["status"], "malformed");
    assert_eq!(records[&uuid(1)]["status"], "structure_valid");
    assert_eq!(records[&uuid(1)]["stale"], false);
    assert!(records[&uuid(1)]["last_modified"].is_string());
    let s = &summary[0];
    assert_eq!(s["totals"]["objects"], n);
    assert_eq!(s["totals"]["valid"], n - 1);
    assert_eq!(s["totals"]["invalid"], 1);
    assert_eq!(s["totals"]["stale"], 0);
    assert_eq!(s["exit_code"], 4);
    assert_eq!(s["mode"], "structure");

    // With a key per device, too.
    let keys = temp_dir();
    key_file(keys.path(), &uuid(1), "11".repeat(32).as_bytes());
    let run = b.ffce(&[
        "audit",
        "--jsonl",
        "--key-dir",
        keys.path().to_str().unwrap(),
    ]);
    run.expect_code(4);
    let lines = run.json_lines();
    assert_eq!(lines.len(), n as usize + 1);
    let records = by_uuid(&lines[..n as usize]);
    assert_eq!(records[&uuid(1)]["status"], "authenticated");
    assert_eq!(records[&uuid(2)]["status"], "no_key");
    let t = &lines[n as usize]["totals"];
    assert_eq!(
        (&t["valid"], &t["no_key"]),
        (&1.into(), &(n - 2).into()),
        "{t}"
    );

    // ls: one line per device, then the summary.
    let run = b.ffce(&["ls", "--jsonl"]);
    run.expect_code(0);
    let lines = run.json_lines();
    assert_eq!(lines.len(), n as usize + 1, "{}", run.out());
    let mut listed: Vec<String> = lines[..n as usize]
        .iter()
        .map(|d| d["device"].as_str().unwrap().to_string())
        .collect();
    listed.sort();
    assert_eq!(listed, want);
    assert!(lines[0]["last_modified"].is_string());
    assert_eq!(lines[n as usize]["devices"], n);

    // ls --deleted: one line per deleted device, then the summary.
    oracle(&["delete", &b.name, &nested(&uuid(2))]);
    let run = b.ffce(&["ls", "--deleted", "--jsonl"]);
    run.expect_code(0);
    let lines = run.json_lines();
    assert_eq!(lines.len(), 2, "{}", run.out());
    assert_eq!(lines[0]["device"], uuid(2));
    assert!(lines[0]["deleted_at"].is_string());
    assert_eq!(lines[1]["devices"], 1);

    for cmd in ["audit", "ls"] {
        let run = b.ffce(&[cmd, "--json", "--jsonl"]);
        run.expect_code(2);
        assert!(run.stderr.contains("--jsonl"), "{}", run.stderr);
    }
}

/// `audit --jsonl` writes each device's line as its verdict arrives, in completion
/// order, flushed: with one device's read held back 3 s, the others' lines are on the
/// pipe long before the audit ends, and the slow device's line is the last one.
#[test]
fn audit_json_lines_stream_in_completion_order() {
    use std::time::Duration;

    let b = Bucket::versioned("fleet-stream");
    let pairs: Vec<(String, PathBuf)> = (1..=5)
        .map(|i| (nested(&uuid(i)), vector("dexie-backup").path()))
        .collect();
    plant_all(&b, &pairs);
    let proxy = FaultProxy::start();
    // The first device in key order is the slowest to read.
    proxy.plan(serde_json::json!({"rules": [
        {"fault": "latency", "seconds": 3, "method": "GET", "path": nested(&uuid(1))},
    ]}));
    let run = stream_json_lines(
        &["audit", "--jsonl", "--concurrency", "4"],
        &b.name,
        &proxy.url,
    );
    assert_eq!(run.code, Some(0), "{}", run.text);
    assert!(
        run.first_line_lead >= Duration::from_millis(1500),
        "the first line came only {:?} before the end: not streamed",
        run.first_line_lead
    );
    let lines = run.lines;
    assert_eq!(lines.len(), 6);
    assert_ne!(lines[0]["device"], uuid(1));
    assert_eq!(lines[4]["device"], uuid(1), "completion order");
    assert_eq!(lines[5]["totals"]["valid"], 5);
}

/// `ffce audit --jsonl | head -1`: once the reader has gone, the audit stops instead of
/// reading the rest of the fleet for nobody; its verdict never reached anyone, so it
/// exits 7 (tests/reader_left.rs has the other streaming commands).
#[test]
fn audit_json_lines_stop_when_the_reader_leaves() {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;
    use std::time::{Duration, Instant};

    let b = Bucket::versioned("fleet-head");
    let pairs: Vec<(String, PathBuf)> = (1..=6)
        .map(|i| (nested(&uuid(i)), vector("dexie-backup").path()))
        .collect();
    plant_all(&b, &pairs);
    let proxy = FaultProxy::start();
    // Every device but the first takes 2 s to read; one at a time, the whole audit
    // would take over 10 s.
    let rules: Vec<Value> = (2..=6)
        .map(|i| serde_json::json!({"fault": "latency", "seconds": 2, "method": "GET", "path": nested(&uuid(i))}))
        .collect();
    proxy.plan(serde_json::json!({ "rules": rules }));
    let started = Instant::now();
    let mut cmd = ffce_aws();
    cmd.args(["audit", "--jsonl", "--concurrency", "1"])
        .args(["--bucket", &b.name, "--endpoint-url", &proxy.url])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("spawn ffce");
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    // The reader is gone (the pipe's read end was dropped with the BufReader).
    let out = child.wait_with_output().unwrap();
    let took = started.elapsed();
    assert!(first.contains(&uuid(1)), "{first}");
    assert_eq!(
        out.status.code(),
        Some(7),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        took < Duration::from_secs(7),
        "the audit went on for {took:?} after its reader left"
    );
}
