//! Faults on the way to S3: the real `ffce` binary against moto's S3 server
//! through `scripts/fault_proxy.py`, which answers 503/500, resets connections (during
//! the upload or mid-download), truncates or corrupts downloads, adds latency or never
//! answers.
//!
//! What is proven, each time checking in the proxy's log that the fault really happened
//! and checking the bucket with the independent boto3 oracle (`scripts/s3_oracle.py`):
//! - transient 503/500 answers are retried (the SDK's standard retry, `--max-attempts`)
//!   and `put`/`get` still succeed; with `--max-attempts 1` the same fault ends the
//!   command with one clear line and exit 1;
//! - a download corrupted in transit is caught (stored SHA-256 checksum, else structure
//!   or tag) with exit 4, and a truncated or reset download fails with exit 1 (the
//!   connection ended early: a network error); in both cases nothing is written at `-o`,
//!   no temporary file is left, and an existing output (`--force`) is untouched;
//! - `--timeout` ends a stalled request with a clear error, in bounded time;
//! - after any failed `put` every version of the object is exactly the old or the new
//!   blob, never a mixture; a `put` that reports success stored exactly the new blob.
//!
//! These tests never skip: without `FFCE_TEST_S3_ENDPOINT` they fail and say to run
//! `scripts/test.sh`.

use crate::common;
use crate::common::fault;
use crate::common::s3;

use std::path::Path;
use std::time::{Duration, Instant};

use common::*;
use fault::*;
use s3::{Bucket, ffce_aws, sha256_b64};
use serde_json::{Value, json};

const UUID: &str = "3f2504e0-4f89-41d3-9a0c-0305e82c3301";
const KEY: &str = "3f2504e0-4f89-41d3-9a0c-0305e82c3301/backup.ffce";
/// FFCE header length: magic 4, version 1, nonce 12, length 4, tag 16.
const HEADER_LEN: usize = 37;

/// The "old" backup (5,766 bytes) and the "new" one (524,288 bytes, the upload limit).
fn blobs() -> (Vector, Vector) {
    (vector("dexie-backup"), vector("max-plaintext-backup"))
}

/// A production-like bucket (versioned, SSE-KMS by default) holding `blob` at KEY with
/// its SHA-256 checksum stored (as ffce stores it), or without one.
fn bucket_with(tag: &str, blob: &Vector, with_checksum: bool) -> Bucket {
    let bucket = Bucket::versioned(tag);
    plant(&bucket, blob, with_checksum);
    bucket
}

/// Plants `blob` at KEY with the oracle, directly (not through the proxy).
fn plant(bucket: &Bucket, blob: &Vector, with_checksum: bool) {
    let sum = sha256_b64(&blob.blob());
    let extra: &[&str] = if with_checksum {
        &["--checksum-sha256", &sum]
    } else {
        &[]
    };
    bucket.plant(KEY, &blob.path(), extra);
}

/// `ffce ARGS... --bucket B --endpoint-url PROXY EXTRA...`, timed.
fn ffce_at(proxy: &FaultProxy, bucket: &Bucket, args: &[&str], extra: &[&str]) -> (Run, Duration) {
    let mut cmd = ffce_aws();
    cmd.args(args)
        .args(["--bucket", &bucket.name, "--endpoint-url", &proxy.url])
        .args(extra);
    let start = Instant::now();
    let run = run_cmd(&mut cmd, None);
    (run, start.elapsed())
}

/// `ffce put --yes`: with the replacement confirmed, no HEAD goes before the upload
/// (it asks whether the bucket keeps the old backup), so the proxy's log holds the
/// upload's attempts alone.
fn put(proxy: &FaultProxy, bucket: &Bucket, file: &Path, extra: &[&str]) -> Run {
    let file = file.to_str().unwrap();
    ffce_at(proxy, bucket, &["put", UUID, file, "--yes"], extra).0
}

fn get(proxy: &FaultProxy, bucket: &Bucket, out: &Path, extra: &[&str]) -> Run {
    let out = out.to_str().unwrap();
    ffce_at(proxy, bucket, &["get", UUID, "-o", out], extra).0
}

/// The error line of a failed run, checking it is exactly one `error: ...` line.
#[track_caller]
fn one_line_error(run: &Run) -> String {
    let lines: Vec<&str> = run.stderr.trim_end().lines().collect();
    assert_eq!(
        lines.len(),
        1,
        "expected one error line, got:\n{}",
        run.stderr
    );
    assert!(
        lines[0].starts_with("error: "),
        "not an error line: {}",
        lines[0]
    );
    lines[0].to_string()
}

/// Statuses the client saw, per logged request.
fn statuses(log: &[Value]) -> Vec<Value> {
    log.iter().map(|e| e["status"].clone()).collect()
}

/// Every version of the object is exactly `old` or `new`, and so is the latest.
/// Returns true when the latest is `new`.
#[track_caller]
fn assert_old_or_new(bucket: &Bucket, old: &[u8], new: &[u8], context: &str) -> bool {
    latest_old_or_new(bucket, old, new, context) == sha256_hex(new)
}

/// As [`assert_old_or_new`], returning the latest body's SHA-256.
#[track_caller]
fn latest_old_or_new(bucket: &Bucket, old: &[u8], new: &[u8], context: &str) -> String {
    let (old, new) = (sha256_hex(old), sha256_hex(new));
    let (versions, latest) = version_digests(&bucket.name, KEY);
    assert!(!versions.is_empty(), "{context}: the object vanished");
    for (i, d) in versions.iter().enumerate() {
        assert!(
            *d == old || *d == new,
            "{context}: version {i} (latest first) is a mixture (sha256 {d}); \
             old {old}, new {new}"
        );
    }
    let latest = latest.expect("a latest version");
    assert_eq!(
        latest, versions[0],
        "{context}: latest differs from the newest version"
    );
    latest
}

/// The SHA-256 of the latest body, read with the oracle.
fn latest_digest(bucket: &Bucket) -> String {
    version_digests(&bucket.name, KEY)
        .1
        .expect("a latest version")
}

/// Nothing at `out` and no temporary file beside it.
#[track_caller]
fn assert_nothing_written(dir: &Path, out: &Path, context: &str) {
    assert!(!out.exists(), "{context}: {} was written", out.display());
    assert_eq!(
        entries(dir),
        Vec::<String>::new(),
        "{context}: files left behind"
    );
}

// ------------------------------------------------------------------ retries

#[test]
fn put_retries_transient_503_and_succeeds() {
    let (old, new) = blobs();
    let bucket = bucket_with("put503", &old, true);
    let proxy = FaultProxy::start();
    proxy.plan(json!({"rules": [{"fault": "status", "status": 503, "method": "PUT", "first": 2}]}));

    let run = put(&proxy, &bucket, &new.path(), &[]); // default --max-attempts 3
    run.expect_code(0);

    let log = proxy.log();
    assert_eq!(
        statuses(&log),
        [json!(503), json!(503), json!(200)],
        "{log:#?}"
    );
    assert_eq!(log[2]["headers"]["amz-sdk-request"], "attempt=3; max=3");
    assert!(log.iter().all(|e| e["request_body_bytes"] == new.blob_len));
    assert_eq!(latest_digest(&bucket), new.blob_sha256);
    assert!(assert_old_or_new(
        &bucket,
        &old.blob(),
        &new.blob(),
        "after retried put"
    ));
}

#[test]
fn get_retries_transient_500_and_succeeds() {
    let (old, _) = blobs();
    let bucket = bucket_with("get500", &old, true);
    let proxy = FaultProxy::start();
    proxy.plan(json!({"rules": [{"fault": "status", "status": 500, "method": "GET", "first": 2}]}));

    let dir = temp_dir();
    let out = dir.path().join("backup.ffce");
    get(&proxy, &bucket, &out, &[]).expect_code(0);

    assert_eq!(std::fs::read(&out).unwrap(), old.blob());
    let log = proxy.log();
    assert_eq!(
        statuses(&log),
        [json!(500), json!(500), json!(200)],
        "{log:#?}"
    );
}

#[test]
fn max_attempts_sets_the_number_of_tries() {
    let (old, new) = blobs();
    let bucket = bucket_with("attempts", &old, true);
    let proxy = FaultProxy::start();
    let four_faults =
        json!({"rules": [{"fault": "status", "status": 503, "method": "PUT", "first": 4}]});

    // 4 faults, 4 attempts: fails after exactly 4 requests, the old version stays.
    proxy.plan(four_faults.clone());
    let run = put(&proxy, &bucket, &new.path(), &["--max-attempts", "4"]);
    run.expect_code(1);
    let line = one_line_error(&run);
    assert!(line.contains("503") && line.contains("SlowDown"), "{line}");
    assert_eq!(proxy.log().len(), 4);
    assert!(!assert_old_or_new(
        &bucket,
        &old.blob(),
        &new.blob(),
        "after 4 failed tries"
    ));

    // 4 faults, 5 attempts: the fifth succeeds.
    proxy.plan(four_faults);
    put(&proxy, &bucket, &new.path(), &["--max-attempts", "5"]).expect_code(0);
    let log = proxy.log();
    assert_eq!(log.len(), 5);
    assert_eq!(log[4]["status"], 200);
    assert!(assert_old_or_new(
        &bucket,
        &old.blob(),
        &new.blob(),
        "after 5 tries"
    ));
}

#[test]
fn max_attempts_1_fails_on_one_fault_with_one_clear_line() {
    let (old, new) = blobs();
    let bucket = bucket_with("once", &old, true);
    let proxy = FaultProxy::start();

    proxy.plan(json!({"rules": [{"fault": "status", "status": 503, "first": 1}]}));
    let run = put(&proxy, &bucket, &new.path(), &["--max-attempts", "1"]);
    run.expect_code(1);
    let line = one_line_error(&run);
    assert!(
        line.contains("503") && line.contains("SlowDown") && line.contains(KEY),
        "{line}"
    );
    assert_eq!(proxy.log().len(), 1);
    assert_eq!(proxy.faulted().len(), 1);
    assert!(!assert_old_or_new(
        &bucket,
        &old.blob(),
        &new.blob(),
        "after a refused put"
    ));

    proxy.plan(json!({"rules": [{"fault": "status", "status": 500, "first": 1}]}));
    let dir = temp_dir();
    let out = dir.path().join("backup.ffce");
    let run = get(&proxy, &bucket, &out, &["--max-attempts", "1"]);
    run.expect_code(1);
    let line = one_line_error(&run);
    assert!(
        line.contains("500") && line.contains("InternalError"),
        "{line}"
    );
    assert_eq!(proxy.log().len(), 1);
    assert_nothing_written(dir.path(), &out, "get after a 500");
}

// ------------------------------------------------------------- downloads

#[test]
fn corrupted_download_is_detected_by_checksum_and_never_written() {
    let (old, _) = blobs();
    let bucket = bucket_with("corrupt", &old, true);
    let proxy = FaultProxy::start();
    let len = old.blob_len as i64;
    let dir = temp_dir();
    let key = hex_key_file(dir.path(), "master.key", &old.master_secret);
    let key = key.to_str().unwrap();
    let out_dir = temp_dir();
    let out = out_dir.path().join("out");

    // magic, nonce, length field, tag, first ciphertext byte, middle, last
    for offset in [0, 5, 17, 25, HEADER_LEN as i64, len / 2, len - 1] {
        for decrypt in [false, true] {
            let ctx = format!("offset {offset}, decrypt {decrypt}");
            proxy.plan(json!({"rules": [{"fault": "corrupt", "method": "GET", "offset": offset, "xor": 0x40}]}));
            let mut extra = vec![];
            if decrypt {
                extra.extend(["--decrypt", "--master-key-file", key]);
            }
            let run = get(&proxy, &bucket, &out, &extra);
            assert_eq!(run.status.code(), Some(4), "{ctx}: {run:?}");
            let line = one_line_error(&run);
            assert!(
                line.contains("checksum") && line.contains("nothing was written"),
                "{ctx}: {line}"
            );
            let hit = proxy.faulted();
            assert!(!hit.is_empty(), "{ctx}: no corruption happened");
            assert!(
                hit.iter()
                    .all(|e| e["note"].as_str().unwrap().starts_with("flipped byte"))
            );
            assert_nothing_written(out_dir.path(), &out, &ctx);
        }
    }

    // An existing output survives a corrupted download with --force.
    std::fs::write(&out, b"precious").unwrap();
    proxy.plan(json!({"rules": [{"fault": "corrupt", "method": "GET"}]}));
    get(&proxy, &bucket, &out, &["--force"]).expect_code(4);
    assert_eq!(std::fs::read(&out).unwrap(), b"precious");
    assert_eq!(entries(out_dir.path()), ["out"]);

    // And with the fault gone, the same command works (the object itself is intact).
    proxy.plan(json!({}));
    get(&proxy, &bucket, &out, &["--force"]).expect_code(0);
    assert_eq!(std::fs::read(&out).unwrap(), old.blob());
}

#[test]
fn corrupted_download_without_stored_checksum_is_caught_by_structure_or_tag() {
    let (old, _) = blobs();
    let bucket = bucket_with("nosum", &old, false);
    let proxy = FaultProxy::start();
    let dir = temp_dir();
    let key = hex_key_file(dir.path(), "master.key", &old.master_secret);
    let out_dir = temp_dir();
    let out = out_dir.path().join("out");

    // A header byte: the structure check refuses it (bad magic / version / length).
    for offset in [0, 4, 17, 20] {
        proxy.plan(json!({"rules": [{"fault": "corrupt", "method": "GET", "offset": offset}]}));
        let run = get(&proxy, &bucket, &out, &[]);
        assert_eq!(run.status.code(), Some(4), "offset {offset}: {run:?}");
        assert_eq!(proxy.faulted().len(), 1);
        assert_nothing_written(out_dir.path(), &out, &format!("header offset {offset}"));
    }
    // Any byte, with --decrypt: the tag refuses it.
    for offset in [5, 25, HEADER_LEN as i64, old.blob_len as i64 - 1] {
        proxy.plan(json!({"rules": [{"fault": "corrupt", "method": "GET", "offset": offset}]}));
        let run = get(
            &proxy,
            &bucket,
            &out,
            &["--decrypt", "--master-key-file", key.to_str().unwrap()],
        );
        assert_eq!(run.status.code(), Some(4), "offset {offset}: {run:?}");
        assert_eq!(proxy.faulted().len(), 1);
        assert_nothing_written(out_dir.path(), &out, &format!("decrypt offset {offset}"));
    }
}

/// The limit of the checks above, pinned so it stays visible: without a stored checksum
/// and without a key, a flipped ciphertext byte cannot be noticed. ffce warns that only
/// the structure was checked.
#[test]
fn without_checksum_or_key_a_ciphertext_flip_is_only_warned_about() {
    let (old, _) = blobs();
    let bucket = bucket_with("warn", &old, false);
    let proxy = FaultProxy::start();
    proxy.plan(json!({"rules": [{"fault": "corrupt", "method": "GET", "offset": 1000}]}));
    let dir = temp_dir();
    let out = dir.path().join("out");
    let run = get(&proxy, &bucket, &out, &[]);
    run.expect_code(0);
    assert!(
        run.stderr.contains("has no checksum stored"),
        "{}",
        run.stderr
    );
    assert_eq!(proxy.faulted().len(), 1);
    assert_ne!(std::fs::read(&out).unwrap(), old.blob());
}

#[test]
fn truncated_download_fails_with_exit_1_and_writes_nothing() {
    let (_, new) = blobs();
    let bucket = bucket_with("trunc", &new, true);
    let proxy = FaultProxy::start();
    let out_dir = temp_dir();
    let out = out_dir.path().join("out");
    let len = new.blob_len as i64;

    for bytes in [0, 36, HEADER_LEN as i64, len / 2, len - 1] {
        let ctx = format!("truncated after {bytes} bytes");
        proxy.plan(json!({"rules": [{"fault": "truncate", "method": "GET", "bytes": bytes}]}));
        let run = get(&proxy, &bucket, &out, &["--max-attempts", "1"]);
        // The connection ended before Content-Length: a network failure, exit 1.
        assert_eq!(run.status.code(), Some(1), "{ctx}: {run:?}");
        let line = one_line_error(&run);
        assert!(line.contains("download failed"), "{ctx}: {line}");
        let hit = proxy.faulted();
        assert_eq!(hit.len(), 1, "{ctx}");
        assert_eq!(hit[0]["body_bytes"], bytes, "{ctx}");
        assert_nothing_written(out_dir.path(), &out, &ctx);
    }

    std::fs::write(&out, b"precious").unwrap();
    proxy.plan(json!({"rules": [{"fault": "truncate", "method": "GET"}]}));
    get(&proxy, &bucket, &out, &["--force"]).expect_code(1);
    assert_eq!(std::fs::read(&out).unwrap(), b"precious");
}

#[test]
fn download_cut_off_mid_body_is_retried_within_max_attempts() {
    let (_, new) = blobs();
    let bucket = bucket_with("cutretry", &new, true);
    let proxy = FaultProxy::start();
    let out_dir = temp_dir();
    let out = out_dir.path().join("out");

    // Two bodies cut off in transit, then a whole one: the default 3 attempts get it.
    proxy.plan(json!({"rules": [
        {"fault": "truncate", "method": "GET", "bytes": 100, "first": 2}
    ]}));
    get(&proxy, &bucket, &out, &[]).expect_code(0);
    assert_eq!(std::fs::read(&out).unwrap(), new.blob());
    assert_eq!(proxy.faulted().len(), 2);
    assert_eq!(proxy.log().len(), 3);

    // The same faults with only 2 attempts: the command fails and writes nothing.
    std::fs::remove_file(&out).unwrap();
    proxy.plan(json!({"rules": [
        {"fault": "truncate", "method": "GET", "bytes": 100, "first": 2}
    ]}));
    let run = get(&proxy, &bucket, &out, &["--max-attempts", "2"]);
    run.expect_code(1);
    assert!(one_line_error(&run).contains("download failed"));
    assert_eq!(proxy.log().len(), 2);
    assert_nothing_written(out_dir.path(), &out, "two cut-off bodies, two attempts");
}

#[test]
fn reset_mid_download_leaves_no_partial_file() {
    let (_, new) = blobs();
    let bucket = bucket_with("reset", &new, true);
    let proxy = FaultProxy::start();
    let dir = temp_dir();
    let key = hex_key_file(dir.path(), "master.key", &new.master_secret);
    let out_dir = temp_dir();
    let out = out_dir.path().join("out");

    for bytes in [0, 1000, 300_000, new.blob_len as i64 - 1] {
        for decrypt in [false, true] {
            let ctx = format!("reset after {bytes} bytes, decrypt {decrypt}");
            proxy.plan(json!({"rules": [{"fault": "reset", "method": "GET", "bytes": bytes}]}));
            let mut extra = vec!["--max-attempts", "1"];
            if decrypt {
                extra.extend(["--decrypt", "--master-key-file", key.to_str().unwrap()]);
            }
            let run = get(&proxy, &bucket, &out, &extra);
            assert_eq!(run.status.code(), Some(1), "{ctx}: {run:?}");
            let line = one_line_error(&run);
            assert!(line.contains("download failed"), "{ctx}: {line}");
            let hit = proxy.faulted();
            assert_eq!(hit.len(), 1, "{ctx}");
            assert!(
                hit[0]["note"].as_str().unwrap().starts_with("reset after"),
                "{ctx}"
            );
            assert_nothing_written(out_dir.path(), &out, &ctx);
        }
    }

    // Reset before any answer: a connection error, also exit 1, also nothing written.
    proxy.plan(json!({"rules": [{"fault": "reset", "method": "GET", "bytes": -1}]}));
    let run = get(&proxy, &bucket, &out, &["--max-attempts", "1"]);
    run.expect_code(1);
    one_line_error(&run);
    assert_nothing_written(out_dir.path(), &out, "reset before the answer");

    // ... which is transient: the SDK retries it and the default attempts succeed.
    proxy.plan(json!({"rules": [{"fault": "reset", "method": "GET", "bytes": -1, "first": 2}]}));
    get(&proxy, &bucket, &out, &[]).expect_code(0);
    assert_eq!(std::fs::read(&out).unwrap(), new.blob());
    assert_eq!(proxy.log().len(), 3);

    // An existing output survives a reset mid-body with --force.
    std::fs::write(&out, b"precious").unwrap();
    proxy.plan(json!({"rules": [{"fault": "reset", "method": "GET", "bytes": 4096}]}));
    get(&proxy, &bucket, &out, &["--force"]).expect_code(1);
    assert_eq!(std::fs::read(&out).unwrap(), b"precious");
    assert_eq!(entries(out_dir.path()), ["out"]);
}

// --------------------------------------------------------------- timeouts

#[test]
fn stalled_attempt_is_abandoned_and_retried() {
    let (old, _) = blobs();
    let bucket = bucket_with("stallretry", &old, true);
    let proxy = FaultProxy::start();
    let out_dir = temp_dir();
    let out = out_dir.path().join("out");
    proxy.plan(json!({"rules": [{"fault": "stall", "method": "GET", "first": 1}]}));
    let started = std::time::Instant::now();
    get(&proxy, &bucket, &out, &["--attempt-timeout", "2"]).expect_code(0);
    assert!(started.elapsed() < std::time::Duration::from_secs(30));
    assert_eq!(std::fs::read(&out).unwrap(), old.blob());
    assert_eq!(proxy.faulted().len(), 1);
    assert_eq!(proxy.log().len(), 2);
}

#[test]
fn stalled_get_ends_with_a_timeout_error_in_bounded_time() {
    let (old, _) = blobs();
    let bucket = bucket_with("stallget", &old, true);
    let proxy = FaultProxy::start();
    proxy.plan(json!({"rules": [{"fault": "stall", "method": "GET"}]}));
    let dir = temp_dir();
    let out = dir.path().join("out");

    let out_s = out.to_str().unwrap();
    let (run, took) = ffce_at(
        &proxy,
        &bucket,
        &["get", UUID, "-o", out_s],
        &["--timeout", "2"],
    );
    run.expect_code(1);
    let line = one_line_error(&run);
    assert!(
        line.contains("timed out") && line.contains("--timeout"),
        "{line}"
    );
    assert!(
        took >= Duration::from_millis(1900),
        "gave up too early: {took:?}"
    );
    assert!(
        took < Duration::from_secs(10),
        "took {took:?} for --timeout 2"
    );
    assert!(!proxy.log().is_empty() && proxy.log()[0]["fault"] == "stall");
    assert_nothing_written(dir.path(), &out, "stalled get");
}

#[test]
fn stalled_put_times_out_and_leaves_old_or_new() {
    let (old, new) = blobs();
    let bucket = bucket_with("stallput", &old, true);
    let proxy = FaultProxy::start();

    // The request never reaches S3: the old version stays.
    proxy.plan(json!({"rules": [{"fault": "stall", "method": "PUT"}]}));
    let (run, took) = ffce_at(
        &proxy,
        &bucket,
        &["put", UUID, new.path().to_str().unwrap()],
        &["--timeout", "2"],
    );
    run.expect_code(1);
    assert!(one_line_error(&run).contains("timed out"));
    assert!(took < Duration::from_secs(10), "{took:?}");
    assert!(!assert_old_or_new(
        &bucket,
        &old.blob(),
        &new.blob(),
        "stalled put"
    ));

    // The request reaches S3, the answer never comes back: the new version is there,
    // whole, although ffce reports a failure.
    proxy.plan(json!({"rules": [{"fault": "stall", "method": "PUT", "forward": true}]}));
    let (run, took) = ffce_at(
        &proxy,
        &bucket,
        &["put", UUID, new.path().to_str().unwrap()],
        &["--timeout", "2"],
    );
    run.expect_code(1);
    assert!(one_line_error(&run).contains("timed out"));
    assert!(took < Duration::from_secs(10), "{took:?}");
    assert_eq!(proxy.log()[0]["upstream_status"], 200);
    assert!(assert_old_or_new(
        &bucket,
        &old.blob(),
        &new.blob(),
        "stalled forwarded put"
    ));
}

#[test]
fn latency_within_the_timeout_is_fine_beyond_it_is_a_timeout() {
    let (old, _) = blobs();
    let bucket = bucket_with("latency", &old, true);
    let proxy = FaultProxy::start();
    let dir = temp_dir();
    let out = dir.path().join("out");
    let out_s = out.to_str().unwrap();

    proxy.plan(json!({"rules": [{"fault": "latency", "seconds": 1.0, "method": "GET"}]}));
    let (run, took) = ffce_at(
        &proxy,
        &bucket,
        &["get", UUID, "-o", out_s],
        &["--timeout", "6"],
    );
    run.expect_code(0);
    assert!(took >= Duration::from_secs(1), "{took:?}");
    assert_eq!(std::fs::read(&out).unwrap(), old.blob());
    std::fs::remove_file(&out).unwrap();

    proxy.plan(json!({"rules": [{"fault": "latency", "seconds": 5.0, "method": "GET"}]}));
    let (run, took) = ffce_at(
        &proxy,
        &bucket,
        &["get", UUID, "-o", out_s],
        &["--timeout", "2"],
    );
    run.expect_code(1);
    assert!(one_line_error(&run).contains("timed out"));
    assert!(took < Duration::from_millis(4500), "{took:?}");
    assert_nothing_written(dir.path(), &out, "slow get");
}

// ------------------------------------------------------- put: old or new

/// Puts the new blob over the old one under each fault with `--max-attempts 1` and
/// checks the bucket holds old or new (the one expected) and never a mixture; then the
/// same fault once with the default attempts, which must retry and land the new blob.
/// `cases`: (fault rule, whether the upload reached S3 in full).
fn put_under_faults(tag: &str, cases: Vec<(Value, bool)>) {
    let (old, new) = blobs();
    let (old_b, new_b) = (old.blob(), new.blob());
    let bucket = Bucket::versioned(tag);
    let proxy = FaultProxy::start();
    for (mut rule, reached) in cases {
        let ctx = rule.to_string();
        plant(&bucket, &old, true);
        rule["method"] = json!("PUT");
        proxy.plan(json!({"rules": [rule.clone()]}));

        let run = put(&proxy, &bucket, &new.path(), &["--max-attempts", "1"]);
        assert_eq!(run.status.code(), Some(1), "{ctx}: {run:?}");
        one_line_error(&run);
        let hit = proxy.faulted();
        assert_eq!(
            hit.len(),
            1,
            "{ctx}: the fault did not happen: {:#?}",
            proxy.log()
        );
        let is_new = assert_old_or_new(&bucket, &old_b, &new_b, &ctx);
        assert_eq!(
            is_new, reached,
            "{ctx}: the bucket holds the wrong one of old/new"
        );

        if is_new {
            plant(&bucket, &old, true);
        }
        rule["first"] = json!(1);
        proxy.plan(json!({"rules": [rule]}));
        put(&proxy, &bucket, &new.path(), &[]).expect_code(0);
        assert_eq!(proxy.faulted().len(), 1, "{ctx}: retry run");
        assert!(
            assert_old_or_new(&bucket, &old_b, &new_b, &ctx),
            "{ctx}: retry did not land"
        );
    }
}

#[test]
fn failed_put_answered_with_an_error_leaves_old_or_new() {
    put_under_faults(
        "answer",
        vec![
            (json!({"fault": "status", "status": 503}), false),
            (json!({"fault": "status", "status": 500}), false),
            // S3 stored it, the answer is an error / is lost: new, although ffce failed.
            (
                json!({"fault": "status", "status": 500, "forward": true}),
                true,
            ),
            (json!({"fault": "reset", "bytes": -1}), true),
        ],
    );
}

#[test]
fn upload_cut_mid_body_leaves_old_never_a_mixture() {
    let len = vector("max-plaintext-backup").blob_len;
    put_under_faults(
        "cut",
        [0, 1, HEADER_LEN, 65_536, len / 2, len - 1]
            .into_iter()
            .map(|n| (json!({"fault": "reset", "request_bytes": n}), false))
            .collect(),
    );
}

#[test]
fn random_faults_with_a_fixed_seed_never_corrupt_or_half_write() {
    let (a, b) = blobs();
    let (a_b, b_b) = (a.blob(), b.blob());
    let bucket = bucket_with("random", &a, true);
    let proxy = FaultProxy::start();
    proxy.plan(json!({"seed": 20251126, "rules": [
        {"fault": "status", "status": 503, "method": "PUT", "probability": 0.25},
        {"fault": "reset", "request_bytes": 100_000, "method": "PUT", "probability": 0.2},
        {"fault": "status", "status": 500, "forward": true, "method": "PUT", "probability": 0.2},
        {"fault": "status", "status": 500, "method": "GET", "probability": 0.2},
        {"fault": "truncate", "method": "GET", "probability": 0.15},
        {"fault": "corrupt", "method": "GET", "probability": 0.15},
        {"fault": "reset", "bytes": 2000, "method": "GET", "probability": 0.15},
    ]}));
    let dir = temp_dir();
    let out = dir.path().join("out");
    let mut outcomes = Vec::new();
    for round in 0..8 {
        let (blob, path) = if round % 2 == 0 {
            (&b_b, b.path())
        } else {
            (&a_b, a.path())
        };
        let ctx = format!("round {round}");
        let run = put(&proxy, &bucket, &path, &[]);
        let latest = latest_old_or_new(&bucket, &a_b, &b_b, &ctx);
        match run.status.code() {
            Some(0) => assert_eq!(
                latest,
                sha256_hex(blob),
                "{ctx}: put succeeded but stored the other blob"
            ),
            Some(1) => {}
            other => panic!("{ctx}: put exit {other:?}: {}", run.stderr),
        }
        let _ = std::fs::remove_file(&out);
        let g = get(&proxy, &bucket, &out, &[]);
        match g.status.code() {
            Some(0) => assert_eq!(
                sha256_hex(&std::fs::read(&out).unwrap()),
                latest,
                "{ctx}: get wrote other bytes than the bucket holds"
            ),
            Some(1 | 4) => assert_nothing_written(dir.path(), &out, &ctx),
            other => panic!("{ctx}: get exit {other:?}: {}", g.stderr),
        }
        outcomes.push((run.status.code().unwrap(), g.status.code().unwrap()));
    }
    let faults = proxy.faulted();
    assert!(
        faults.len() >= 4,
        "too few faults to mean anything: {outcomes:?}"
    );
    let kinds: std::collections::BTreeSet<String> = faults
        .iter()
        .map(|e| {
            format!(
                "{} {}",
                e["method"].as_str().unwrap(),
                e["fault"].as_str().unwrap()
            )
        })
        .collect();
    eprintln!(
        "random faults: outcomes (put, get) {outcomes:?}; {} faults: {kinds:?}",
        faults.len()
    );
}

// ---------------------------------------------------------- interruptions

const PAUSE_ENV: &str = "FFCE_TEST_PAUSE_BEFORE_RENAME_MS";
const MARKER: &str = "ffce: test hook: temporary output ready: ";

fn send(child: &std::process::Child, signal: rustix::process::Signal) {
    let pid = rustix::process::Pid::from_raw(child.id() as i32).expect("a positive pid");
    rustix::process::kill_process(pid, signal).expect("signal the child we started");
}

/// `ffce ARGS... --bucket B --endpoint-url PROXY EXTRA...`, started in the background
/// with SIGINT and SIGTERM ignored, as a non-interactive shell's background job
/// inherits them (`sh` sets that, then execs ffce in its place). ffce must take the
/// signals over itself: CI saw a download that inherited an ignored SIGINT wait out its
/// timeouts (exit 1).
fn spawn_with_signals_ignored(
    proxy: &FaultProxy,
    bucket: &Bucket,
    args: &[&str],
    extra: &[&str],
) -> std::process::Child {
    let mut ffce = ffce_aws();
    ffce.args(args)
        .args(["--bucket", &bucket.name, "--endpoint-url", &proxy.url])
        .args(extra);
    let mut cmd = std::process::Command::new("sh");
    cmd.arg("-c")
        .arg("trap '' INT TERM; exec \"$0\" \"$@\"")
        .arg(ffce.get_program())
        .args(ffce.get_args());
    for (name, value) in ffce.get_envs() {
        match value {
            Some(value) => cmd.env(name, value),
            None => cmd.env_remove(name),
        };
    }
    cmd.stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped());
    cmd.spawn().expect("spawn ffce")
}

/// Waits for the proxy to see ffce's first request, sends `signal`, and returns how
/// ffce ended. Bounded: a child still running 15 s after the signal is killed and the
/// test fails (the default timeouts would keep it for minutes).
fn interrupt_when_stalled(
    proxy: &FaultProxy,
    mut child: std::process::Child,
    signal: rustix::process::Signal,
) -> std::process::ExitStatus {
    let deadline = Instant::now() + Duration::from_secs(20);
    while proxy.log().is_empty() {
        assert!(Instant::now() < deadline, "ffce never reached the proxy");
        std::thread::sleep(Duration::from_millis(50));
    }
    send(&child, signal);
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{signal:?} was ignored: ffce still ran 15 s later");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn signal_while_the_download_hangs_leaves_nothing() {
    use rustix::process::Signal;
    let (old, _) = blobs();
    let bucket = bucket_with("sigdl", &old, true);
    let proxy = FaultProxy::start();
    for signal in [Signal::INT, Signal::TERM] {
        proxy.plan(json!({"rules": [{"fault": "stall", "method": "GET"}]}));
        let dir = temp_dir();
        let out = dir.path().join("out");
        let args = ["get", UUID, "-o", out.to_str().unwrap()];
        let child = spawn_with_signals_ignored(&proxy, &bucket, &args, &[]);
        let status = interrupt_when_stalled(&proxy, child, signal);
        assert_eq!(Ended::of(&status), Ended::by(signal), "{signal:?}");
        assert_nothing_written(dir.path(), &out, &format!("{signal:?} while stalled"));
    }
}

/// Every command owns SIGINT and SIGTERM from its start, not only those that write a
/// file: a `put` or an `ls` that inherited them ignored would otherwise wait out every
/// attempt's timeout while the server stalls.
#[test]
fn a_stalled_put_or_listing_ends_on_a_signal_it_inherited_ignored() {
    use rustix::process::Signal;
    let (old, new) = blobs();
    let bucket = bucket_with("sigput", &old, true);
    let proxy = FaultProxy::start();
    let file = new.path();
    let file = file.to_str().unwrap();
    let cases: [(&str, &[&str], Signal); 2] = [
        ("PUT", &["put", UUID, file], Signal::INT),
        ("GET", &["ls"], Signal::TERM),
    ];
    for (method, args, signal) in cases {
        proxy.plan(json!({"rules": [{"fault": "stall", "method": method}]}));
        let child = spawn_with_signals_ignored(&proxy, &bucket, args, &[]);
        let status = interrupt_when_stalled(&proxy, child, signal);
        assert_eq!(
            Ended::of(&status),
            Ended::by(signal),
            "{args:?}, {signal:?}"
        );
    }
    // The stalled put never reached S3.
    assert_eq!(latest_digest(&bucket), old.blob_sha256);
}

#[test]
fn signal_while_writing_the_download_leaves_nothing() {
    use rustix::process::Signal;
    let (_, new) = blobs();
    let bucket = bucket_with("sigwr", &new, true);
    let proxy = FaultProxy::start();
    // A slow answer too, so the interruption follows a real network wait.
    proxy.plan(json!({"rules": [{"fault": "latency", "seconds": 0.5, "method": "GET"}]}));
    let keys = temp_dir();
    let key = hex_key_file(keys.path(), "master.key", &new.master_secret);
    let key = key.to_str().unwrap();
    for (signal, decrypt, existing) in [
        (Signal::TERM, false, false),
        (Signal::INT, true, false),
        (Signal::TERM, true, true),
    ] {
        let ctx = format!("{signal:?}, decrypt {decrypt}, existing output {existing}");
        let dir = temp_dir();
        let out = dir.path().join("out");
        let mut extra = vec![];
        if decrypt {
            extra.extend(["--decrypt", "--master-key-file", key]);
        }
        if existing {
            std::fs::write(&out, b"precious").unwrap();
            extra.push("--force");
        }
        let mut cmd = ffce_aws();
        cmd.args(["get", UUID, "-o", out.to_str().unwrap()])
            .args(["--bucket", &bucket.name, "--endpoint-url", &proxy.url])
            .args(&extra)
            .env(PAUSE_ENV, "60000")
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped());
        let mut child = cmd.spawn().expect("spawn ffce get");
        let mut stderr = std::io::BufReader::new(child.stderr.take().unwrap());
        let mut line = String::new();
        let temp = loop {
            line.clear();
            let n = std::io::BufRead::read_line(&mut stderr, &mut line).unwrap();
            assert!(
                n > 0,
                "{ctx}: ffce ended before the hook: {:?}",
                child.wait()
            );
            if let Some(path) = line.trim_end().strip_prefix(MARKER) {
                break std::path::PathBuf::from(path);
            }
        };
        assert!(
            temp.exists(),
            "{ctx}: the complete temporary file exists while paused"
        );
        send(&child, signal);
        let mut rest = String::new();
        let _ = std::io::Read::read_to_string(&mut stderr, &mut rest);
        let status = child.wait().unwrap();
        assert_eq!(Ended::of(&status), Ended::by(signal), "{ctx}: {rest}");
        assert!(!temp.exists(), "{ctx}: the temporary file was left behind");
        if existing {
            assert_eq!(std::fs::read(&out).unwrap(), b"precious", "{ctx}");
            assert_eq!(entries(dir.path()), ["out"], "{ctx}");
        } else {
            assert_nothing_written(dir.path(), &out, &ctx);
        }
    }
    assert_eq!(proxy.faulted().len(), 3);
}

// ------------------------------------------------------ upload integrity

/// moto does not verify upload checksums, so an upload corrupted in transit cannot be
/// shown to be refused here; what can be shown is that every PUT, retries included,
/// carries what makes S3 refuse it: the body's SHA-256 as the S3 checksum and as the
/// signed payload hash.
#[test]
fn every_upload_attempt_carries_the_body_checksum() {
    let (old, new) = blobs();
    let bucket = bucket_with("sums", &old, true);
    let proxy = FaultProxy::start();
    proxy.plan(
        json!({"rules": [{"fault": "reset", "request_bytes": 1000, "method": "PUT", "first": 1}]}),
    );
    put(&proxy, &bucket, &new.path(), &[]).expect_code(0);
    let log = proxy.log();
    assert_eq!(log.len(), 2, "{log:#?}");
    for e in &log {
        let h = e["headers"].as_object().unwrap();
        let header = |name: &str| {
            h.iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.as_str().unwrap().to_string())
        };
        assert_eq!(
            header("x-amz-checksum-sha256"),
            Some(sha256_b64(&new.blob()))
        );
        assert_eq!(
            header("x-amz-content-sha256"),
            Some(new.blob_sha256.clone())
        );
        assert_eq!(header("content-length"), Some(new.blob_len.to_string()));
    }
    assert!(assert_old_or_new(
        &bucket,
        &old.blob(),
        &new.blob(),
        "after the retry"
    ));
}

/// A conditional put (`--if-absent`, `--if-match`) whose first attempt reached S3 but
/// whose answer was lost is retried by the SDK; the retry then fails its own
/// precondition. The bucket holds exactly the new blob, so the put succeeded: ffce must
/// report success, not a refusal (exit 5) or "nothing was written" (the store compares
/// the stored checksum with its own body to tell the two apart).
#[test]
fn conditional_put_whose_answer_was_lost_reports_success() {
    let (old, new) = blobs();
    let proxy = FaultProxy::start();
    let lost_answer = json!({"rules": [
        {"fault": "status", "status": 500, "forward": true, "method": "PUT", "first": 1}
    ]});

    let empty = Bucket::versioned("lost-absent");
    proxy.plan(lost_answer.clone());
    let run = put(&proxy, &empty, &new.path(), &["--if-absent"]);
    assert_eq!(latest_digest(&empty), new.blob_sha256, "the upload landed");
    assert_eq!(run.status.code(), Some(0), "--if-absent: {}", run.stderr);

    let bucket = bucket_with("lost-match", &old, true);
    let etag = bucket.head(KEY)["etag"].as_str().unwrap().to_string();
    proxy.plan(lost_answer);
    let run = put(&proxy, &bucket, &new.path(), &["--if-match", &etag]);
    assert_eq!(latest_digest(&bucket), new.blob_sha256, "the upload landed");
    assert!(
        !run.stderr.contains("nothing was written"),
        "--if-match claims nothing was written: {}",
        run.stderr
    );
    assert_eq!(run.status.code(), Some(0), "--if-match: {}", run.stderr);
}
