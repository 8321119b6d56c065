//! Listing and reading a fleet at the limit, against the loopback S3 server (moto)
//! through the fault proxy (`scripts/fault_proxy.py`), whose log shows every request:
//! - the bucket is listed by its sixteen UUID prefixes and the keys outside the layout
//!   at once, every key seen exactly once, one request per page;
//! - `audit` reads the backups of the first pages while the rest are still listed;
//! - throttling (`503 SlowDown`) is retried with backoff, and the retries are counted
//!   in the summary.
//!
//! Without `FFCE_TEST_S3_ENDPOINT` these tests fail; they never skip.

use crate::common;
use crate::common::fault;
use crate::common::s3;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use common::*;
use fault::{FaultProxy, stream_json_lines};
use s3::*;
use serde_json::{Value, json};

/// A made-up device UUID whose first hex digit is `digit`, distinct per `n`.
fn uuid(digit: u32, n: u32) -> String {
    format!("{digit:x}{n:07x}-2222-4333-8444-{n:012x}")
}

/// Keys outside the layout, one or more in each gap around the hex digits and a few
/// at its edges (`9~x` starts like a UUID of prefix 9, `f~` like one of prefix f).
const STRAYS: &[&str] = &[
    "+plus",
    ".hidden",
    "9~x",
    "ABCDEF00-0000-4000-8000-000000000000/backup.ffce",
    "README",
    "_x",
    "f~",
    "zzz/backup.ffce",
];

/// Two devices in every prefix `0`..`f` and the stray keys, planted directly.
fn fleet(tag: &str) -> (Bucket, Vec<String>) {
    let b = Bucket::versioned(tag);
    let devices: Vec<String> = (0..16).flat_map(|d| [uuid(d, 1), uuid(d, 2)]).collect();
    let mut pairs: Vec<(String, PathBuf)> = devices
        .iter()
        .map(|u| (nested(u), vector("dexie-backup").path()))
        .collect();
    pairs.extend(
        STRAYS
            .iter()
            .map(|k| (k.to_string(), vector("dexie-backup").path())),
    );
    plant_all(&b, &pairs);
    (b, devices)
}

/// `ffce ARGS --bucket B --endpoint-url PROXY`, timed.
fn through(proxy: &FaultProxy, b: &Bucket, args: &[&str]) -> (Run, Duration) {
    let mut cmd = ffce_aws();
    cmd.args(args)
        .args(["--bucket", &b.name, "--endpoint-url", &proxy.url]);
    let started = Instant::now();
    let run = run_cmd(&mut cmd, None);
    (run, started.elapsed())
}

/// The ListObjectsV2 requests in the proxy's log.
fn list_requests(proxy: &FaultProxy) -> Vec<String> {
    proxy
        .log()
        .into_iter()
        .filter(|e| e["method"] == "GET" && e["path"].as_str().unwrap().contains("list-type=2"))
        .map(|e| e["path"].as_str().unwrap().to_string())
        .collect()
}

/// `ls --json` sees every device once and every stray key once, in key order, from 19
/// listings made at the same time: one per hex prefix `0`..`f` and three for the keys
/// outside the layout. Each listing is held back 1 s by the proxy: one after the other
/// they would take 19 s.
#[test]
fn ls_lists_the_prefixes_at_once_and_every_key_once() {
    let (b, devices) = fleet("listing-ls");
    let proxy = FaultProxy::start();
    proxy.plan(json!({"rules": [
        {"fault": "latency", "seconds": 1, "method": "GET", "path": "list-type=2"},
    ]}));
    let (run, took) = through(&proxy, &b, &["ls", "--json"]);
    run.expect_code(0);
    let out = run.json();
    let uuids: Vec<&str> = out["devices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["device"].as_str().unwrap())
        .collect();
    let mut expected = devices.clone();
    expected.sort();
    assert_eq!(uuids, expected, "every device once, sorted");
    let strays: Vec<&str> = out["stray_keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["key"].as_str().unwrap())
        .collect();
    let mut expected: Vec<&str> = STRAYS.to_vec();
    expected.sort();
    assert_eq!(strays, expected, "every stray key once, in key order");

    let lists = list_requests(&proxy);
    assert_eq!(lists.len(), 19, "one request per page: {lists:#?}");
    for digit in "0123456789abcdef".chars() {
        let prefix = format!("prefix={digit}");
        assert_eq!(
            lists
                .iter()
                .filter(|p| p.split(['?', '&']).any(|q| q == prefix))
                .count(),
            1,
            "one listing of prefix {digit}: {lists:#?}"
        );
    }
    assert!(
        took < Duration::from_secs(10),
        "19 listings held back 1 s each took {took:?}: not listed at once"
    );
}

/// `audit --jsonl` reads the backups of the pages that have arrived while the rest of
/// the bucket is still being listed: with the listing of prefix `f` held back 4 s, the
/// other devices' lines are out long before the end, and prefix f's devices come last.
#[test]
fn audit_reads_while_the_listing_goes_on() {
    let (b, devices) = fleet("listing-audit");
    let proxy = FaultProxy::start();
    proxy.plan(json!({"rules": [
        {"fault": "latency", "seconds": 4, "method": "GET", "path": "prefix=f"},
    ]}));
    let run = stream_json_lines(
        &["audit", "--jsonl", "--concurrency", "8"],
        &b.name,
        &proxy.url,
    );
    assert_eq!(run.code, Some(0), "{}", run.text);
    assert!(
        run.first_line_lead >= Duration::from_millis(2500),
        "the first finding came only {:?} before the end: the reads waited for the \
         whole listing",
        run.first_line_lead
    );
    let lines = run.lines;
    let findings: Vec<&str> = lines.iter().filter_map(|l| l["device"].as_str()).collect();
    assert_eq!(findings.len(), devices.len(), "{lines:#?}");
    let (early, late) = findings.split_at(findings.len() - 2);
    assert!(
        early.iter().all(|u| !u.starts_with('f')) && late.iter().all(|u| u.starts_with('f')),
        "prefix f's devices come last: {findings:?}"
    );
    let summary = &lines.last().unwrap()["totals"];
    assert_eq!(summary["valid"], 32, "{summary}");
    assert_eq!(summary["stray"], STRAYS.len(), "{summary}");
}

/// `ls --jsonl` prints each page's devices and stray keys as the page arrives, not
/// after the whole listing: with the listing of prefix `f` held back 4 s, the other
/// devices' lines are on the pipe long before the end, prefix f's devices come last,
/// and the summary still counts every device and stray key once.
#[test]
fn ls_json_lines_stream_as_the_pages_arrive() {
    let (b, devices) = fleet("listing-ls-stream");
    let proxy = FaultProxy::start();
    proxy.plan(json!({"rules": [
        {"fault": "latency", "seconds": 4, "method": "GET", "path": "prefix=f"},
    ]}));
    let run = stream_json_lines(&["ls", "--jsonl"], &b.name, &proxy.url);
    assert_eq!(run.code, Some(0), "{}", run.text);
    assert!(
        run.first_line_lead >= Duration::from_millis(2500),
        "the first line came only {:?} before the end: the listing was held to the end",
        run.first_line_lead
    );
    let lines = run.lines;
    let uuids: Vec<&str> = lines.iter().filter_map(|l| l["device"].as_str()).collect();
    let mut sorted: Vec<&str> = uuids.clone();
    sorted.sort();
    let mut expected: Vec<&str> = devices.iter().map(String::as_str).collect();
    expected.sort();
    assert_eq!(sorted, expected, "every device once: {lines:#?}");
    let (early, late) = uuids.split_at(uuids.len() - 2);
    assert!(
        early.iter().all(|u| !u.starts_with('f')) && late.iter().all(|u| u.starts_with('f')),
        "prefix f's devices come last: {uuids:?}"
    );
    let mut strays: Vec<&str> = lines
        .iter()
        .filter(|l| l["type"] == "stray_key")
        .filter_map(|l| l["key"].as_str())
        .collect();
    strays.sort();
    let mut expected: Vec<&str> = STRAYS.to_vec();
    expected.sort();
    assert_eq!(strays, expected, "every stray key once");
    let last = lines.last().unwrap();
    assert_eq!(last["devices"], devices.len(), "{last}");
    assert_eq!(last["stray_keys"], STRAYS.len(), "{last}");
    assert_eq!(
        lines.len(),
        devices.len() + STRAYS.len() + 1,
        "one line per device and stray key, then the summary"
    );
}

/// `audit --json` (the whole document, in key order) reports the same: every device
/// once, sorted, and every stray key.
#[test]
fn audit_json_sees_every_key_once() {
    let (b, devices) = fleet("listing-audit-json");
    let run = b.ffce(&["audit", "--json"]);
    run.expect_code(0);
    let out = run.json();
    let uuids: Vec<&str> = out["objects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["device"].as_str().unwrap())
        .collect();
    let mut expected = devices.clone();
    expected.sort();
    assert_eq!(uuids, expected);
    let strays: Vec<&str> = out["stray_keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["key"].as_str().unwrap())
        .collect();
    let mut expected: Vec<&str> = STRAYS.to_vec();
    expected.sort();
    assert_eq!(strays, expected);
    assert_eq!(out["totals"]["stray"], STRAYS.len());
}

/// The throttled objects' statuses in the log: for each key, the statuses of its
/// GETs in order.
fn statuses_by_key(proxy: &FaultProxy, keys: &[String]) -> BTreeMap<String, Vec<Value>> {
    let log = proxy.log();
    keys.iter()
        .map(|k| {
            let s = log
                .iter()
                .filter(|e| e["method"] == "GET" && e["path"].as_str().unwrap().contains(k))
                .map(|e| e["status"].clone())
                .collect();
            (k.clone(), s)
        })
        .collect()
}

/// `503 SlowDown` for the first two reads of three objects and the first listing of
/// prefix 3: each request is retried with backoff, the audit still finds every backup
/// valid, and its summary counts the retries (JSON `retries`, human "N retries").
#[test]
fn throttled_requests_are_retried_and_counted() {
    let (b, devices) = fleet("listing-throttle");
    let throttled: Vec<String> = [uuid(0, 1), uuid(7, 2), uuid(0xc, 1)]
        .iter()
        .map(|u| nested(u))
        .collect();
    let plan = || {
        let mut rules: Vec<Value> = throttled
            .iter()
            .map(|k| json!({"fault": "status", "status": 503, "method": "GET", "path": k, "first": 2}))
            .collect();
        rules.push(json!({"fault": "status", "status": 503, "method": "GET", "path": "prefix=3", "first": 1}));
        json!({ "rules": rules })
    };
    let proxy = FaultProxy::start();

    proxy.plan(plan());
    let (run, _) = through(&proxy, &b, &["audit", "--json", "--concurrency", "4"]);
    run.expect_code(0);
    let out = run.json();
    assert_eq!(out["totals"]["valid"], devices.len(), "{}", out["totals"]);
    assert_eq!(out["totals"]["errors"], 0);
    let retries = out["retries"].as_u64();
    assert!(
        retries >= Some(7),
        "retries {retries:?}: 7 requests were throttled"
    );
    let faulted = proxy.faulted();
    assert_eq!(faulted.len(), 7, "the 503s happened: {faulted:#?}");
    for (key, statuses) in statuses_by_key(&proxy, &throttled) {
        assert_eq!(statuses, [json!(503), json!(503), json!(206)], "{key}");
    }
    // While a throttled object waits for its retry, the other reads go on: between
    // its first attempt and its last, the log has reads of other objects.
    let log = proxy.log();
    let reads_meanwhile: usize = throttled
        .iter()
        .map(|k| {
            let mine: Vec<usize> = log
                .iter()
                .enumerate()
                .filter(|(_, e)| e["path"].as_str().unwrap().contains(k.as_str()))
                .map(|(i, _)| i)
                .collect();
            log[mine[0]..*mine.last().unwrap()]
                .iter()
                .filter(|e| {
                    let path = e["path"].as_str().unwrap();
                    e["method"] == "GET"
                        && path.contains("backup.ffce")
                        && !path.contains(k.as_str())
                })
                .count()
        })
        .sum();
    assert!(
        reads_meanwhile > 0,
        "no other object was read while the throttled ones waited: {log:#?}"
    );

    proxy.plan(plan());
    let (run, _) = through(&proxy, &b, &["audit"]);
    run.expect_code(0);
    let text = run.out();
    let n: u64 = text
        .split("; ")
        .find_map(|part| part.strip_suffix(" retries"))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no \"N retries\" in the summary: {text}"));
    assert!(n >= 7, "{text}");

    proxy.plan(plan());
    let (run, _) = through(&proxy, &b, &["audit", "--jsonl"]);
    run.expect_code(0);
    let text = run.out();
    let summary: Value = serde_json::from_str(text.lines().last().unwrap()).unwrap();
    assert!(summary["retries"].as_u64().unwrap() >= 7);
}

/// Throttling across a whole fleet: every backup's first two reads answer `503
/// SlowDown` (more retries than the SDK's shared retry quota of 500 / 5 = 100 would
/// allow), yet every read is retried until it succeeds and the audit is complete.
#[test]
fn a_fleet_throttled_throughout_is_still_read_whole() {
    let b = Bucket::versioned("listing-throttle-all");
    let devices: Vec<String> = (0..16)
        .flat_map(|d| (1..=9).map(move |n| uuid(d, n)))
        .collect();
    let pairs: Vec<(String, PathBuf)> = devices
        .iter()
        .map(|u| (nested(u), vector("one-byte-backup").path()))
        .collect();
    plant_all(&b, &pairs);
    let proxy = FaultProxy::start();
    let rules: Vec<Value> = devices
        .iter()
        .map(|u| json!({"fault": "status", "status": 503, "method": "GET", "path": nested(u), "first": 2}))
        .collect();
    proxy.plan(json!({ "rules": rules }));
    let (run, _) = through(&proxy, &b, &["audit", "--json", "--concurrency", "32"]);
    let out = run.json();
    assert_eq!(
        (
            out["totals"]["valid"].as_u64(),
            out["totals"]["errors"].as_u64()
        ),
        (Some(devices.len() as u64), Some(0)),
        "{}\n{}",
        out["totals"],
        run.stderr
    );
    run.expect_code(0);
    assert_eq!(proxy.faulted().len(), 2 * devices.len());
    assert!(out["retries"].as_u64() >= Some(2 * devices.len() as u64));
}

/// A listing that fails for one prefix (every attempt answered 500) leaves the
/// audit incomplete: `audit` (after reading what it did list) and `ls` end with the
/// listing's error and exit 1, never as a complete fleet.
#[test]
fn a_prefix_that_cannot_be_listed_fails_the_command() {
    let (b, _) = fleet("listing-fails");
    let proxy = FaultProxy::start();
    for args in [
        &["audit", "--max-attempts", "2"][..],
        &["audit", "--jsonl", "--max-attempts", "2"],
        &["ls", "--json", "--max-attempts", "2"],
        &["ls", "--jsonl", "--max-attempts", "2"],
    ] {
        proxy.plan(json!({"rules": [
            {"fault": "status", "status": 500, "method": "GET", "path": "prefix=7"},
        ]}));
        let (run, _) = through(&proxy, &b, args);
        assert_eq!(run.code(), 1, "{args:?}: {}", run.stderr);
        let error = run.stderr.lines().last().unwrap_or_default();
        assert!(
            error.starts_with("error:") && error.contains("list") && error.contains("500"),
            "{args:?}: {}",
            run.stderr
        );
        assert_eq!(proxy.faulted().len(), 2, "{args:?}: both attempts failed");
    }
}

/// The default concurrency is the one the fleet bench chose (128 requests in flight:
/// the best throughput of its sweep, see README "Fleet health"): the audit reports it,
/// and the help says it.
#[test]
fn the_default_concurrency_is_128() {
    let (b, _) = fleet("listing-default-concurrency");
    let run = b.ffce(&["audit", "--json"]);
    run.expect_code(0);
    assert_eq!(run.json()["concurrency"], 128);
    let help = ffce().args(["audit", "--help"]).output().unwrap();
    let help = String::from_utf8_lossy(&help.stdout);
    assert!(help.contains("[default: 128]"), "{help}");
}

/// A header read whose body stalls after its headers (the 206 and 10 of its 37 bytes
/// sent, then nothing for a minute) ends as that object's read error within bounded
/// time, and the other backups are judged as usual. The SDK's attempt timeout ends
/// when the headers arrive; what bounds the body is the store's own limit on reading
/// it (`--attempt-timeout`), since the audit's client reads 37-byte bodies without the
/// SDK's stalled-stream protection.
#[test]
fn a_header_read_stalled_mid_body_is_an_error_in_bounded_time() {
    let (b, devices) = fleet("listing-body-stall");
    let stalled = nested(&uuid(5, 1));
    let proxy = FaultProxy::start();
    proxy.plan(json!({"rules": [
        {"fault": "truncate", "method": "GET", "path": stalled, "bytes": 10, "seconds": 60},
    ]}));
    let (run, took) = through(
        &proxy,
        &b,
        &[
            "audit",
            "--json",
            "--attempt-timeout",
            "2",
            "--max-attempts",
            "2",
        ],
    );
    run.expect_code(1);
    assert!(
        took < Duration::from_secs(30),
        "the stalled body held the audit for {took:?}"
    );
    let out = run.json();
    assert_eq!(out["totals"]["errors"], 1, "{}", out["totals"]);
    assert_eq!(
        out["totals"]["valid"],
        devices.len() - 1,
        "{}",
        out["totals"]
    );
    let finding = out["objects"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["key"] == stalled.as_str())
        .unwrap_or_else(|| panic!("no finding for {stalled}: {out}"));
    assert_eq!(finding["status"], "read_failed", "{finding}");
    let faulted = proxy.faulted();
    assert!(!faulted.is_empty(), "the stall happened: {faulted:#?}");
}
