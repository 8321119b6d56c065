//! `ffce audit` against the loopback S3 server (moto) and on a local store: every
//! planted bad object is found with the right reason, the good ones are counted
//! exactly, and the totals stay right when requests fail. Buckets are
//! prepared by the independent boto3 client (`scripts/s3_oracle.py`); what to expect of
//! each planted blob comes from `fixtures/manifest.json`, written by the fixtures'
//! independent generator. Without `FFCE_TEST_S3_ENDPOINT` these tests fail; they never
//! skip.

use crate::common;
use crate::common::fault;
use crate::common::s3;

use std::collections::BTreeMap;
use std::path::Path;

use common::*;
use fault::FaultProxy;
use s3::*;
use serde_json::{Value, json};

/// A made-up device UUID, distinct per `n`.
fn uuid(n: u32) -> String {
    format!("{n:08x}-1111-4222-8333-{n:012x}")
}

/// Structurally valid vectors (a keyless audit must call them valid).
const WELL_FORMED: [&str; 10] = [
    "dexie-backup",
    "empty-backup",
    "one-byte-backup",
    "not-dexie-backup",
    "binary-backup",
    "max-plaintext-backup",
    "tag-flipped",
    "wrong-master",
    "dexie-configfs",
    "empty-tag-zeroed",
];

/// Planted bad objects and the reason a keyless audit must give: truncated, wrong
/// magic, version 2, oversize, length mismatch both ways.
const BAD: [(&str, &str, &str); 7] = [
    ("truncated-header", "malformed", "too_short"),
    ("empty-file", "malformed", "too_short"),
    ("bad-magic", "malformed", "bad_magic"),
    ("version-2", "malformed", "unsupported_version"),
    ("oversize-backup", "too_large", "too_large"),
    ("trailing-bytes", "malformed", "length_mismatch"),
    ("truncated-body", "malformed", "length_mismatch"),
];

/// Keys outside the nested layout, with the reason `audit` must give.
fn strays() -> Vec<(String, &'static str)> {
    vec![
        ("README.txt".to_string(), "unrecognised"),
        (nested(&uuid(0xabcd).to_uppercase()), "uppercase_uuid"),
        (uuid(901), "flat_layout"),
        (format!("{}/other.ffce", uuid(902)), "unrecognised"),
    ]
}

/// What the test planted: latest object per backup key (vector name), and strays.
struct Planted {
    objects: BTreeMap<String, &'static str>,
    strays: Vec<(String, &'static str)>,
}

fn blob_len(name: &str) -> u64 {
    vector(name).blob_len as u64
}

/// Plants every well-formed and every bad vector once, the stray keys, a device whose
/// older version is bad but latest is good (and the reverse), and a deleted device.
fn plant_fleet(b: &Bucket) -> Planted {
    let mut objects = BTreeMap::new();
    let mut pairs = Vec::new();
    let mut n = 0;
    for name in WELL_FORMED
        .iter()
        .chain(BAD.iter().map(|(name, _, _)| name))
    {
        n += 1;
        let key = nested(&uuid(n));
        pairs.push((key.clone(), vector(name).path()));
        objects.insert(key, *name);
    }
    // Only the latest version counts.
    let healed = nested(&uuid(100));
    pairs.push((healed.clone(), vector("bad-magic").path()));
    pairs.push((healed.clone(), vector("dexie-backup").path()));
    objects.insert(healed, "dexie-backup");
    let broken = nested(&uuid(101));
    pairs.push((broken.clone(), vector("dexie-backup").path()));
    pairs.push((broken.clone(), vector("version-2").path()));
    objects.insert(broken, "version-2");
    // A deleted device has no latest backup: not audited.
    let deleted = nested(&uuid(102));
    pairs.push((deleted.clone(), vector("bad-magic").path()));

    let strays = strays();
    let readme = fixtures_dir().join("README.md");
    for (key, _) in &strays {
        pairs.push((key.clone(), readme.clone()));
    }
    plant_all(b, &pairs);
    oracle(&["delete", &b.name, &deleted]);
    Planted { objects, strays }
}

/// The JSON records of `audit --json`, by key.
fn by_key(out: &Value) -> BTreeMap<String, Value> {
    out["objects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| (o["key"].as_str().unwrap().to_string(), o.clone()))
        .collect()
}

fn codes(record: &Value) -> Vec<String> {
    record["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["code"].as_str().unwrap().to_string())
        .collect()
}

/// Without a key: one ranged GET per object finds every planted bad object with its
/// reason, counts the good ones exactly, lists the stray keys, and exits 4.
#[test]
fn audit_finds_each_planted_bad_object() {
    let b = Bucket::versioned("audit-keyless");
    let planted = plant_fleet(&b);

    let run = b.ffce(&["audit", "--json"]);
    run.expect_code(4);
    let out = run.json();
    assert_eq!(out["mode"], "structure");
    assert_eq!(out["layout"], "nested");
    assert_eq!(out["exit_code"], 4);
    let records = by_key(&out);
    assert_eq!(
        records.keys().collect::<Vec<_>>(),
        planted.objects.keys().collect::<Vec<_>>(),
        "exactly the latest backups, none of the deleted device"
    );
    let mut want_reasons: BTreeMap<&str, u64> = BTreeMap::new();
    let mut valid = 0;
    let mut bytes = 0;
    for (key, name) in &planted.objects {
        let r = &records[key];
        bytes += blob_len(name);
        assert_eq!(r["size"], blob_len(name), "{key} ({name})");
        assert_eq!(r["device"], key.split('/').next().unwrap());
        match BAD.iter().find(|(n, _, _)| n == name) {
            Some((_, status, reason)) => {
                assert_eq!(r["status"], *status, "{name}: {r}");
                assert_eq!(codes(r)[0], *reason, "{name}: {r}");
                *want_reasons.entry(reason).or_default() += 1;
            }
            None => {
                // No key: only the structure was checked, and the word says so.
                assert_eq!(r["status"], "structure_valid", "{name}: {r}");
                assert_eq!(r["errors"], json!([]));
                valid += 1;
            }
        }
    }
    let invalid: u64 = want_reasons.values().sum();
    assert_eq!(
        out["totals"],
        json!({
            "objects": planted.objects.len(),
            "bytes": bytes,
            "valid": valid,
            "invalid": invalid,
            "invalid_by_reason": want_reasons,
            "stray": planted.strays.len(),
            "errors": 0,
            "gone": 0,
        })
    );
    assert_eq!(valid, WELL_FORMED.len() as u64 + 1);
    assert_eq!(invalid, BAD.len() as u64 + 1);
    let strays: Vec<(String, String)> = out["stray_keys"]
        .as_array()
        .unwrap()
        .iter()
        .inspect(|s| {
            // The same record as `ls` lists, with when it was written.
            assert!(s["last_modified"].is_string(), "{s}");
            assert!(s["size"].is_u64() && s["explanation"].is_string(), "{s}");
        })
        .map(|s| {
            (
                s["key"].as_str().unwrap().to_string(),
                s["reason"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let mut want_strays: Vec<(String, String)> = planted
        .strays
        .iter()
        .map(|(k, r)| (k.clone(), r.to_string()))
        .collect();
    want_strays.sort();
    assert_eq!(strays, want_strays);

    // The human output: one line per finding, none for the valid ones, then totals.
    let run = b.ffce(&["audit"]);
    run.expect_code(4);
    let text = run.out();
    for (key, name) in &planted.objects {
        let line = text.lines().find(|l| l.contains(key.as_str()));
        match BAD.iter().find(|(n, _, _)| n == name) {
            Some((_, status, reason)) => {
                let line = line.unwrap_or_else(|| panic!("{key} ({name}) missing:\n{text}"));
                assert!(line.starts_with(&status.to_uppercase()), "{line}");
                assert!(line.contains(reason), "{line}");
            }
            None => assert!(line.is_none(), "valid {name} listed:\n{text}"),
        }
    }
    for (key, _) in &planted.strays {
        assert!(
            text.lines()
                .any(|l| l.starts_with("STRAY") && l.contains(key.as_str())),
            "{key}:\n{text}"
        );
    }
    let summary = text.lines().last().unwrap();
    assert!(
        summary.contains(&format!("{} structure valid", valid))
            && summary.contains(&format!("{invalid} invalid"))
            && summary.contains("4 stray key(s)")
            && summary.contains("structure only"),
        "{summary}"
    );
    assert!(
        run.stderr.contains("backup(s) are invalid"),
        "{}",
        run.stderr
    );
    // No progress bar off a terminal.
    assert!(!run.stderr.contains("auditing"), "{}", run.stderr);
}

/// With a key: whole objects, checksums compared, blobs authenticated. Forged and
/// wrong-key blobs fail authentication, a body that does not match its stored checksum
/// is reported as such (a keyless audit cannot see it), and the good ones count exactly.
#[test]
fn audit_with_a_key_authenticates() {
    let b = Bucket::versioned("audit-keyed");
    let dir = temp_dir();
    let key_file = hex_key_file(dir.path(), "device.key", &"11".repeat(32));
    // (vector, status, first code) with the backup key of master 11 x 32.
    // Authentic blobs whose plaintext the controller will not restore fail too
    // (docs/SPEC.md §4).
    let cases: [(&str, &str, Option<&str>); 12] = [
        ("dexie-backup", "authenticated", None),
        (
            "empty-backup",
            "content_unrestorable",
            Some("empty_plaintext"),
        ),
        ("one-byte-backup", "content_unrestorable", Some("not_json")),
        (
            "max-plaintext-backup",
            "content_unrestorable",
            Some("nul_byte"),
        ),
        (
            "tag-flipped",
            "authentication_failed",
            Some("authentication_failed"),
        ),
        (
            "wrong-purpose",
            "authentication_failed",
            Some("authentication_failed"),
        ),
        (
            "dexie-configfs",
            "authentication_failed",
            Some("authentication_failed"),
        ),
        (
            "empty-tag-zeroed",
            "authentication_failed",
            Some("authentication_failed"),
        ),
        (
            "dexie-ciphertext-flipped",
            "authentication_failed",
            Some("authentication_failed"),
        ),
        ("bad-magic", "malformed", Some("bad_magic")),
        ("truncated-header", "malformed", Some("too_short")),
        ("oversize-backup", "too_large", Some("too_large")),
    ];
    for (i, (name, _, _)) in cases.iter().enumerate() {
        let v = vector(name);
        // Sent with its true SHA-256 checksum, which the store then compares.
        let sum = sha256_b64(&v.blob());
        b.plant(
            &nested(&uuid(i as u32)),
            &v.path(),
            &["--checksum-sha256", &sum],
        );
    }
    // A backup the controller restores, and the same with a plaintext digest (`etag`
    // metadata) that is not its plaintext's SHA-256.
    let good = seal(dir.path(), "good", &restorable_plaintext());
    b.plant(&nested(&uuid(60)), &good, &[]);
    b.plant(
        &nested(&uuid(61)),
        &good,
        &["--metadata", &format!("etag={}", "ab".repeat(32))],
    );
    let tampered = nested(&uuid(50));
    b.plant(
        &tampered,
        &vector("dexie-backup").path(),
        &["--checksum-sha256", &sha256_b64(b"something else")],
    );

    let run = b.ffce(&[
        "audit",
        "--json",
        "--master-key-file",
        key_file.to_str().unwrap(),
    ]);
    run.expect_code(4);
    let out = run.json();
    assert_eq!(out["mode"], "authenticate");
    let records = by_key(&out);
    for (i, (name, status, code)) in cases.iter().enumerate() {
        let r = &records[&nested(&uuid(i as u32))];
        assert_eq!(r["status"], *status, "{name}: {r}");
        assert_eq!(codes(r).first().map(String::as_str), *code, "{name}: {r}");
    }
    assert_eq!(records[&tampered]["status"], "checksum_mismatch");
    assert_eq!(codes(&records[&tampered]), vec!["checksum_mismatch"]);
    assert_eq!(records[&nested(&uuid(60))]["status"], "authenticated");
    let mismatch = &records[&nested(&uuid(61))];
    assert_eq!(mismatch["status"], "digest_mismatch", "{mismatch}");
    assert_eq!(codes(mismatch), vec!["digest_mismatch"]);
    let t = &out["totals"];
    assert_eq!(t["objects"], cases.len() + 3);
    assert_eq!(t["valid"], 2);
    assert_eq!(t["invalid"], cases.len() + 3 - 2);
    assert_eq!(
        t["invalid_by_reason"],
        json!({
            "authentication_failed": 5,
            "bad_magic": 1,
            "too_short": 1,
            "too_large": 1,
            "checksum_mismatch": 1,
            "digest_mismatch": 1,
            "empty_plaintext": 1,
            "not_json": 1,
            "nul_byte": 1,
        })
    );
    assert_eq!(t["errors"], 0);

    // Without the key the same bucket has only structural findings.
    let run = b.ffce(&["audit", "--json"]);
    run.expect_code(4);
    let out = run.json();
    let records = by_key(&out);
    assert_eq!(records[&tampered]["status"], "structure_valid");
    assert_eq!(out["totals"]["valid"], 12);
    assert_eq!(out["totals"]["invalid"], 3);
}

/// A fleet bigger than one listing page (S3 pages hold 1,000 keys), planted by the
/// oracle from its own reading of the fixtures manifest: ffce's totals match it
/// exactly, whatever the concurrency.
#[test]
fn audit_counts_a_fleet_exactly() {
    let b = Bucket::versioned("audit-fleet");
    let planted = oracle(&[
        "plant-fleet",
        &b.name,
        "1100",
        "--threads",
        "8",
        "--bad-every",
        "50",
    ]);
    let mut totals = Vec::new();
    for concurrency in ["1", "64"] {
        let run = b.ffce(&["audit", "--json", "--concurrency", concurrency]);
        run.expect_code(4);
        let out = run.json();
        assert_eq!(out["concurrency"], concurrency.parse::<u64>().unwrap());
        assert_eq!(
            out["totals"], planted["expected"],
            "concurrency {concurrency}"
        );
        let records = by_key(&out);
        for (key, reason) in planted["bad_keys"].as_object().unwrap() {
            assert_eq!(codes(&records[key])[0], reason.as_str().unwrap(), "{key}");
        }
        totals.push(out["totals"].clone());
    }
    assert_eq!(planted["expected"]["objects"], 1100);
    assert_eq!(planted["expected"]["invalid"], 22);
}

/// A read that keeps failing is counted as an error, never as valid, and the others
/// are judged as usual: exit 1 when nothing is invalid, 4 (which wins) when something
/// is. A failure the SDK's retry overcomes leaves no trace in the totals.
#[test]
fn failed_requests_are_counted_and_do_not_hide_findings() {
    let b = Bucket::versioned("audit-faults");
    let good = vector("dexie-backup").path();
    let pairs: Vec<_> = (0..5).map(|n| (nested(&uuid(n)), good.clone())).collect();
    plant_all(&b, &pairs);
    let proxy = FaultProxy::start();
    let unreachable = nested(&uuid(1));
    let flaky = nested(&uuid(2));
    proxy.plan(json!({"rules": [
        {"fault": "status", "status": 500, "method": "GET", "path": unreachable},
        {"fault": "status", "status": 503, "method": "GET", "path": flaky, "first": 1},
    ]}));
    let audit = |extra: &[&str]| {
        let mut cmd = ffce_aws();
        cmd.args(["audit", "--json", "--max-attempts", "2"])
            .args(extra)
            .args(["--bucket", &b.name, "--endpoint-url", &proxy.url]);
        run_cmd(&mut cmd, None)
    };

    let run = audit(&[]);
    run.expect_code(1);
    let out = run.json();
    assert_eq!(out["exit_code"], 1);
    let records = by_key(&out);
    assert_eq!(records[&unreachable]["status"], "read_failed");
    assert_eq!(codes(&records[&unreachable]), vec!["request_failed"]);
    assert_eq!(
        records[&flaky]["status"], "structure_valid",
        "retried by the SDK"
    );
    assert_eq!(
        (
            &out["totals"]["objects"],
            &out["totals"]["valid"],
            &out["totals"]["errors"],
            &out["totals"]["invalid"]
        ),
        (&json!(5), &json!(4), &json!(1), &json!(0))
    );
    assert!(run.stderr.contains("incomplete"), "{}", run.stderr);
    let attempts = proxy
        .log()
        .iter()
        .filter(|e| e["path"].as_str().unwrap_or("").contains(&unreachable))
        .count();
    assert_eq!(attempts, 2, "--max-attempts 2: both attempts failed");
    // However the attempts are made (a header read's first is sent directly, the rest
    // by the SDK), a request is tried exactly --max-attempts times.
    for max_attempts in ["1", "3"] {
        proxy.plan(json!({"rules": [
            {"fault": "status", "status": 500, "method": "GET", "path": unreachable},
        ]}));
        let mut cmd = ffce_aws();
        cmd.args(["audit", "--json", "--max-attempts", max_attempts])
            .args(["--bucket", &b.name, "--endpoint-url", &proxy.url]);
        let run = run_cmd(&mut cmd, None);
        run.expect_code(1);
        let statuses: Vec<Value> = proxy
            .log()
            .iter()
            .filter(|e| e["path"].as_str().unwrap_or("").contains(&unreachable))
            .map(|e| e["status"].clone())
            .collect();
        assert_eq!(
            statuses.len().to_string(),
            max_attempts,
            "--max-attempts {max_attempts}: {statuses:?}"
        );
        assert!(statuses.iter().all(|s| s == 500), "{statuses:?}");
    }

    // An invalid backup as well: integrity wins the exit code; the error still counts.
    b.plant(&nested(&uuid(9)), &vector("version-2").path(), &[]);
    proxy.plan(json!({"rules": [
        {"fault": "status", "status": 500, "method": "GET", "path": unreachable},
    ]}));
    let run = audit(&[]);
    run.expect_code(4);
    let out = run.json();
    assert_eq!(out["totals"]["errors"], 1);
    assert_eq!(out["totals"]["invalid"], 1);
    assert_eq!(out["totals"]["valid"], 4);
    assert!(run.stderr.contains("incomplete"), "{}", run.stderr);
}

#[test]
fn empty_and_missing_buckets() {
    let b = Bucket::versioned("audit-empty");
    let run = b.ffce(&["audit", "--json"]);
    run.expect_code(0);
    assert_eq!(run.json()["totals"]["objects"], 0);
    assert_eq!(run.json()["exit_code"], 0);
    let run = b.ffce(&["audit"]);
    run.expect_code(0);
    assert!(run.out().contains("audited 0 backup(s)"), "{}", run.out());

    let missing = Bucket {
        name: unique_bucket_name("audit-missing"),
    };
    let run = missing.ffce(&["audit"]);
    run.expect_code(3);
    assert!(run.stderr.contains("does not exist"), "{}", run.stderr);
}

/// The flat layout: `{uuid}` keys are the backups, nested ones are strays.
#[test]
fn audit_flat_layout() {
    let b = Bucket::versioned("audit-flat");
    plant_all(
        &b,
        &[
            (uuid(1), vector("dexie-backup").path()),
            (uuid(2), vector("bad-magic").path()),
            (nested(&uuid(3)), vector("dexie-backup").path()),
        ],
    );
    let run = b.ffce(&["audit", "--json", "--layout", "flat"]);
    run.expect_code(4);
    let out = run.json();
    assert_eq!(out["totals"]["objects"], 2);
    assert_eq!(out["totals"]["valid"], 1);
    assert_eq!(out["stray_keys"][0]["reason"], "nested_layout");
}

fn write_nested(root: &Path, uuid: &str, blob: &[u8]) {
    std::fs::create_dir_all(root.join(uuid)).unwrap();
    std::fs::write(root.join(uuid).join("backup.ffce"), blob).unwrap();
}

/// The local store: the same verdicts from files, with and without a key.
#[test]
fn audit_local_store() {
    let dir = temp_dir();
    let root = dir.path().join("store");
    for (i, name) in ["dexie-backup", "empty-backup", "tag-flipped"]
        .iter()
        .enumerate()
    {
        write_nested(&root, &uuid(i as u32), &vector(name).blob());
    }
    for (i, (name, _, _)) in BAD.iter().enumerate() {
        write_nested(&root, &uuid(100 + i as u32), &vector(name).blob());
    }
    std::fs::write(root.join("notes.txt"), b"hello").unwrap();
    let store = root.to_str().unwrap();

    let run = run(["audit", "--json", "--dir", store]);
    run.expect_code(4);
    let out = run.json();
    assert_eq!(out["totals"]["objects"], 3 + BAD.len());
    assert_eq!(out["totals"]["valid"], 3);
    assert_eq!(out["totals"]["invalid"], BAD.len());
    assert_eq!(out["totals"]["stray"], 1);
    let records = by_key(&out);
    for (i, (name, status, reason)) in BAD.iter().enumerate() {
        let r = &records[&nested(&uuid(100 + i as u32))];
        assert_eq!(
            (r["status"].as_str(), codes(r)[0].as_str()),
            (Some(*status), *reason),
            "{name}"
        );
    }

    let key_file = hex_key_file(dir.path(), "device.key", &"11".repeat(32));
    let run = common::run([
        "audit",
        "--json",
        "--dir",
        store,
        "--master-key-file",
        key_file.to_str().unwrap(),
    ]);
    run.expect_code(4);
    let out = run.json();
    // The empty backup is authentic, but the controller will not restore it.
    assert_eq!(out["totals"]["valid"], 1);
    let records = by_key(&out);
    assert_eq!(records[&nested(&uuid(1))]["status"], "content_unrestorable");
    assert_eq!(codes(&records[&nested(&uuid(1))]), ["empty_plaintext"]);
    assert_eq!(
        records[&nested(&uuid(2))]["status"],
        "authentication_failed"
    );

    // Only good files: exit 0.
    let clean = dir.path().join("clean");
    write_nested(&clean, &uuid(1), &vector("dexie-backup").blob());
    common::run(["audit", "--dir", clean.to_str().unwrap()]).expect_code(0);
}
