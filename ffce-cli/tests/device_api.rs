//! The device API end to end (docs/SPEC.md §7): `ffce api` (and, for requests it cannot
//! make, a raw HTTP client signing with `ffce_core::device_auth`) against the real
//! `ffce-backup-api --listen`, which stores in moto's S3 and reads moto's DynamoDB.
//!
//! Each test has its own bucket, device table and server. Needs the moto test server
//! (`scripts/test.sh` starts it) and the server binary (`cargo build -p ffce-lambda`;
//! `cargo test --workspace` builds it).

use crate::common;
use crate::common::api;
use crate::common::fault;
use crate::common::s3;

use std::path::Path;

use api::{Device, Reply, Server, Table, b64, now, raw};
use common::{DEVICE, OTHER, master_11, s, seal, sha256_hex, temp_dir, write_file};
use s3::Bucket;
use serde_json::Value;

/// A bucket, a device table with one registered device, and a server over both.
struct Setup {
    bucket: Bucket,
    table: Table,
    server: Server,
    device: Device,
    dir: tempfile::TempDir,
}

impl Setup {
    fn new(tag: &str, layout: &str) -> Setup {
        let dir = temp_dir();
        let bucket = Bucket::versioned(tag);
        let table = Table::new(tag);
        let device = Device::new(dir.path(), DEVICE);
        table.register(DEVICE, &device.public_key);
        let server = Server::start(&bucket.name, &table.name, layout);
        Setup {
            bucket,
            table,
            server,
            device,
            dir,
        }
    }

    /// `ffce api ARGS --device-key <the device's key>`.
    fn api(&self, args: &[&str]) -> common::Run {
        let mut all = args.to_vec();
        all.extend(["--device-key", s(&self.device.key_file)]);
        self.server.ffce(&all)
    }

    /// A raw request with the device's fresh signed headers.
    fn signed(&self, method: &str, body: &[u8]) -> Reply {
        raw(&self.server, method, DEVICE, &self.device.headers(), body)
    }

    /// A raw request with the device's headers, one of them replaced (or removed with
    /// `None`).
    fn with_header(&self, method: &str, name: &str, value: Option<&str>) -> Reply {
        let mut headers = self.device.headers();
        headers.retain(|(n, _)| n != name);
        if let Some(v) = value {
            headers.push((name.to_string(), v.to_string()));
        }
        raw(&self.server, method, DEVICE, &headers, b"")
    }

    fn path(&self, name: &str) -> std::path::PathBuf {
        self.dir.path().join(name)
    }
}

/// A plaintext the controller restores: a Dexie export of its database (an upload
/// with the plaintext in hand refuses any other, docs/SPEC.md §4).
const PLAINTEXT: &[u8] = br#"{"formatName":"dexie","formatVersion":1,"data":{"databaseName":"FireFly-Controller","databaseVersion":1,"tables":[],"data":[]}}"#;

/// The §7 date format: `%Y-%m-%dT%H:%M:%SZ`.
fn assert_backup_date(value: &Value) -> i64 {
    let text = value.as_str().unwrap_or_else(|| panic!("no date: {value}"));
    let secs =
        ffce_core::device_auth::parse_timestamp(text).unwrap_or_else(|e| panic!("{text:?}: {e}"));
    assert_eq!(text.len(), 20, "{text:?} is not %Y-%m-%dT%H:%M:%SZ");
    assert!((secs - now()).abs() < 60, "{text} is not now");
    secs
}

#[test]
fn post_get_delete_round_trip_in_the_nested_layout() {
    let t = Setup::new("api-nested", "nested");
    let master = master_11(t.dir.path());
    let plain = write_file(t.dir.path(), "backup.json", PLAINTEXT, 0o600);
    let etag = sha256_hex(PLAINTEXT);

    // POST --encrypt: 200, stored under {uuid}/backup.ffce with the plaintext's etag.
    let run = t.api(&[
        "post",
        "--encrypt",
        "--master-key-file",
        s(&master),
        DEVICE,
        s(&plain),
        "--json",
    ]);
    run.expect_code(0);
    let out = run.json();
    assert_eq!(out["status"], 200, "{out}");
    assert_eq!(out["message"], "Backup stored");
    assert_eq!(out["plaintext_digest"], etag.as_str());
    let date = assert_backup_date(&out["last_backup_date"]);
    let key = format!("{DEVICE}/backup.ffce");
    let head = t.bucket.head(&key);
    assert_eq!(head["exists"], true, "{head}");
    assert_eq!(head["metadata"]["etag"], etag.as_str(), "{head}");
    assert_eq!(head["content_type"], "application/octet-stream");
    assert_eq!(t.bucket.keys(), vec![key.clone()]);
    // DynamoDB: last_backup_date set by the POST.
    let item = t.table.item(DEVICE);
    assert_eq!(assert_backup_date(&item["last_backup_date"]), date);
    assert_eq!(item["public_key"], t.device.public_key.as_str());

    // GET -o: the stored blob, atomically written; the etag alone on stdout.
    let out_file = t.path("got.ffce");
    let run = t.api(&["get", DEVICE, "-o", s(&out_file)]);
    run.expect_code(0);
    assert_eq!(run.out(), format!("{etag}\n"));
    let stored = t.bucket.get(&key);
    assert_eq!(
        sha256_hex(&std::fs::read(&out_file).unwrap()),
        stored["body_sha256"].as_str().unwrap()
    );
    // GET --decrypt: the plaintext, checked against the etag.
    let plain_out = t.path("got.json");
    t.api(&[
        "get",
        DEVICE,
        "--decrypt",
        "--master-key-file",
        s(&master),
        "-o",
        s(&plain_out),
    ])
    .expect_code(0);
    assert_eq!(std::fs::read(&plain_out).unwrap(), PLAINTEXT);
    // `ffce get` from the bucket reads what the API stored.
    t.bucket
        .ffce(&[
            "get",
            DEVICE,
            "--decrypt",
            "--master-key-file",
            s(&master),
            "-o",
            s(&t.path("direct.json")),
        ])
        .expect_code(0);

    // DELETE: 200, the object gone (a delete marker), last_backup_date removed.
    let run = t.api(&["delete", DEVICE, "--json"]);
    run.expect_code(0);
    assert_eq!(run.json()["message"], "Backup deleted");
    assert!(t.bucket.keys().is_empty());
    let item = t.table.item(DEVICE);
    assert!(item.get("last_backup_date").is_none(), "{item}");
    assert_eq!(item["public_key"], t.device.public_key.as_str());

    // GET after DELETE: 404 -> exit 3, with the server's message.
    let run = t.api(&["get", DEVICE, "-o", s(&t.path("gone.ffce"))]);
    run.expect_code(3);
    assert!(
        run.stderr.contains("404") && run.stderr.contains("No backup found for this device"),
        "{}",
        run.stderr
    );
    assert!(!t.path("gone.ffce").exists());
    // The raw answer has the §7 shape.
    let reply = t.signed("GET", b"");
    reply.expect(404);
    assert_eq!(reply.message(), "No backup found for this device");
}

#[test]
fn flat_layout_stores_under_the_bare_uuid() {
    let t = Setup::new("api-flat", "flat");
    let blob = seal(t.dir.path(), "b.ffce", PLAINTEXT);
    t.api(&["post", DEVICE, s(&blob)]).expect_code(0);
    assert_eq!(t.bucket.keys(), vec![DEVICE.to_string()]);
    assert!(t.table.item(DEVICE).get("last_backup_date").is_some());

    // Without a key nothing is known about the plaintext: no etag stored, an empty ETag.
    let reply = t.signed("GET", b"");
    reply.expect(200);
    assert_eq!(reply.body, std::fs::read(&blob).unwrap());
    assert_eq!(reply.header("etag"), Some("\"\""), "{:?}", reply.headers);
    t.bucket
        .ffce(&[
            "get",
            "--layout",
            "flat",
            DEVICE,
            "-o",
            s(&t.path("direct.ffce")),
        ])
        .expect_code(0);

    // With a key for an existing blob, post sends the plaintext's SHA-256 as ETag; get
    // without -o shows the report, authenticated, with that etag.
    let master = master_11(t.dir.path());
    t.api(&["post", "--master-key-file", s(&master), DEVICE, s(&blob)])
        .expect_code(0);
    assert_eq!(
        t.bucket.head(DEVICE)["metadata"]["etag"],
        sha256_hex(PLAINTEXT).as_str()
    );
    let run = t.api(&[
        "get",
        DEVICE,
        "--decrypt",
        "--master-key-file",
        s(&master),
        "--json",
    ]);
    run.expect_code(0);
    let report = run.json();
    assert_eq!(report["valid"], true, "{report}");
    assert_eq!(report["authenticated"], true, "{report}");
    assert_eq!(
        report["object"]["plaintext_digest"],
        sha256_hex(PLAINTEXT).as_str(),
        "{report}"
    );

    t.api(&["delete", DEVICE]).expect_code(0);
    assert!(t.bucket.keys().is_empty());
    t.signed("GET", b"").expect(404);
}

#[test]
fn if_none_match_compares_with_the_stored_etag() {
    let t = Setup::new("api-304", "nested");
    let master = master_11(t.dir.path());
    let plain = write_file(t.dir.path(), "backup.json", PLAINTEXT, 0o600);
    let etag = sha256_hex(PLAINTEXT);
    let key = format!("{DEVICE}/backup.ffce");
    let post = |extra: &[&str]| {
        let mut args = vec!["post", "--encrypt", "--master-key-file", s(&master)];
        args.extend_from_slice(extra);
        args.extend([DEVICE, s(&plain), "--json"]);
        t.api(&args)
    };

    // Nothing stored yet: If-None-Match cannot match; stored.
    let run = post(&["--if-none-match", &etag]);
    run.expect_code(0);
    assert_eq!(run.json()["status"], 200);
    assert_eq!(t.bucket.versions_of(&key).0.len(), 1);

    // The stored backup has that etag: 304, ETag echoed, nothing written.
    let run = post(&["--if-none-match", &etag]);
    run.expect_code(0);
    let out = run.json();
    assert_eq!(out["status"], 304, "{out}");
    assert_eq!(out["stored"], false);
    assert_eq!(out["plaintext_digest"], etag.as_str());
    assert_eq!(
        t.bucket.versions_of(&key).0.len(),
        1,
        "a 304 writes nothing"
    );

    // An If-None-Match that differs from the stored etag: stored.
    let other = sha256_hex(b"an older plaintext");
    let run = post(&["--if-none-match", &other]);
    run.expect_code(0);
    assert_eq!(run.json()["status"], 200);
    assert_eq!(t.bucket.versions_of(&key).0.len(), 2);

    // Deleted, then re-uploaded with the same If-None-Match: stored, not 304 (the
    // request's own ETag equals it, which the Python function would answer 304).
    t.api(&["delete", DEVICE]).expect_code(0);
    let run = post(&["--if-none-match", &etag]);
    run.expect_code(0);
    assert_eq!(run.json()["status"], 200, "a deleted backup is re-uploaded");
    assert_eq!(t.bucket.head(&key)["metadata"]["etag"], etag.as_str());
    assert!(t.table.item(DEVICE).get("last_backup_date").is_some());
}

#[test]
fn the_timestamp_window_is_ten_seconds_both_ways() {
    let t = Setup::new("api-window", "nested");
    let at = |offset: i64, nonce: u8| {
        raw(
            &t.server,
            "GET",
            DEVICE,
            &t.device.headers_at(now() + offset, &[nonce; 32]),
            b"",
        )
    };
    // Within the window the request is authenticated (and finds no backup: 404).
    at(-5, 1).expect(404);
    at(5, 2).expect(404);
    // Beyond it, either side: 401.
    at(-30, 3).expect(401);
    at(30, 4).expect(401);

    // A request captured and replayed later (outside the window): 401.
    let blob = std::fs::read(seal(t.dir.path(), "b.ffce", PLAINTEXT)).unwrap();
    let captured = t.device.headers_at(now() - 20, &[5; 32]);
    raw(&t.server, "POST", DEVICE, &captured, &blob).expect(401);
    raw(&t.server, "DELETE", DEVICE, &captured, b"").expect(401);
    assert!(t.bucket.keys().is_empty());
}

#[test]
fn wrong_key_forged_signature_and_unregistered_device_are_refused() {
    let t = Setup::new("api-keys", "nested");
    let blob = seal(t.dir.path(), "b.ffce", PLAINTEXT);

    // A key that is not the registered one: 401, exit 5, nothing stored.
    let stranger = Device::new(&t.path(""), OTHER);
    let run = t.server.ffce(&[
        "post",
        DEVICE,
        s(&blob),
        "--device-key",
        s(&stranger.key_file),
    ]);
    run.expect_code(5);
    assert!(run.stderr.contains("401"), "{}", run.stderr);
    let run = t
        .server
        .ffce(&["get", DEVICE, "--device-key", s(&stranger.key_file)]);
    run.expect_code(5);

    // A signature over another nonce, sent with this one: 401.
    let mut forged = t.device.headers_at(now(), &[1; 32]);
    let other = t.device.headers_at(now(), &[2; 32]);
    forged[3] = other[3].clone();
    assert_eq!(forged[3].0, "X-Device-Signature");
    raw(
        &t.server,
        "POST",
        DEVICE,
        &forged,
        &std::fs::read(&blob).unwrap(),
    )
    .expect(401);
    assert!(t.bucket.keys().is_empty());

    // An unregistered device: 401 "Device not registered", before any header check.
    for method in ["POST", "GET", "DELETE"] {
        let reply = raw(&t.server, method, OTHER, &[], b"");
        reply.expect(401);
        assert_eq!(reply.message(), "Device not registered", "{method}");
    }
    let run = t
        .server
        .ffce(&["get", OTHER, "--device-key", s(&stranger.key_file)]);
    run.expect_code(5);
    assert!(
        run.stderr.contains("Device not registered"),
        "{}",
        run.stderr
    );
}

#[test]
fn malformed_headers_are_400_and_a_uuid_mismatch_403_on_every_route() {
    let t = Setup::new("api-headers", "nested");
    let nonce31 = b64(&[7; 31]);
    let good_nonce = b64(&[7; 32]);
    for method in ["POST", "GET", "DELETE"] {
        for name in [
            "X-Device-UUID",
            "X-Device-Nonce",
            "X-Device-Timestamp",
            "X-Device-Signature",
        ] {
            t.with_header(method, name, None).expect(400);
        }
        for (name, value) in [
            ("X-Device-Nonce", "not base64!"),
            ("X-Device-Nonce", nonce31.as_str()),
            ("X-Device-Nonce", good_nonce.trim_end_matches('=')),
            ("X-Device-Timestamp", "yesterday"),
            ("X-Device-Timestamp", "2025-05-09 12:00:00"),
            ("X-Device-Signature", "%%%"),
        ] {
            let reply = t.with_header(method, name, Some(value));
            reply.expect(400);
            assert!(
                reply.message().contains(name),
                "{method} {name}: {}",
                reply.message()
            );
        }
        let reply = t.with_header(method, "X-Device-UUID", Some(OTHER));
        reply.expect(403);
    }
    // Header names are case-insensitive.
    let lower: Vec<(String, String)> = t
        .device
        .headers()
        .into_iter()
        .map(|(n, v)| (n.to_lowercase(), v))
        .collect();
    raw(&t.server, "GET", DEVICE, &lower, b"").expect(404);
    assert!(t.bucket.keys().is_empty());
}

#[test]
fn bodies_the_python_functions_would_store_are_refused() {
    let t = Setup::new("api-bodies", "nested");
    let blob = std::fs::read(seal(t.dir.path(), "b.ffce", PLAINTEXT)).unwrap();

    // A truncated blob with a good magic (the Python functions check only the magic
    // and the size): 400, naming the problem.
    let reply = t.signed("POST", &blob[..blob.len() - 10]);
    reply.expect(400);
    let message = reply.message();
    assert_ne!(message, "Request body is required");
    assert!(
        message.to_lowercase().contains("length") || message.to_lowercase().contains("truncat"),
        "{message}"
    );
    // A header-only blob claiming a plaintext it does not carry, and a wrong version.
    let mut v2 = blob.clone();
    v2[4] = 2;
    t.signed("POST", &v2).expect(400);
    t.signed("POST", &blob[..20]).expect(400);
    // Not FFCE at all; empty; over 524,288 bytes.
    t.signed("POST", PLAINTEXT).expect(400);
    let reply = t.signed("POST", b"");
    reply.expect(400);
    assert_eq!(reply.message(), "Request body is required");
    let mut big = blob.clone();
    big.resize(524_289, 0);
    t.signed("POST", &big).expect(413);
    // Nothing stored, no backup date.
    assert!(t.bucket.keys().is_empty());
    assert!(t.table.item(DEVICE).get("last_backup_date").is_none());

    // `ffce api post` refuses such a file itself (exit 4), before sending anything.
    let bad = write_file(t.dir.path(), "bad.ffce", &blob[..blob.len() - 10], 0o644);
    let run = t.api(&["post", DEVICE, s(&bad)]);
    run.expect_code(4);
    assert!(run.stderr.contains("nothing was sent"), "{}", run.stderr);
    assert!(t.bucket.keys().is_empty());
}

#[test]
fn server_faults_are_500_and_exit_1() {
    // A bucket that does not exist: S3 fails on every route.
    let dir = temp_dir();
    let table = Table::new("api-500");
    let device = Device::new(dir.path(), DEVICE);
    table.register(DEVICE, &device.public_key);
    let server = Server::start("ffce-no-such-bucket-for-api-tests", &table.name, "nested");
    let blob = seal(dir.path(), "b.ffce", PLAINTEXT);
    raw(
        &server,
        "POST",
        DEVICE,
        &device.headers(),
        &std::fs::read(&blob).unwrap(),
    )
    .expect(500);
    raw(&server, "GET", DEVICE, &device.headers(), b"").expect(500);
    raw(&server, "DELETE", DEVICE, &device.headers(), b"").expect(500);
    let run = server.ffce(&[
        "post",
        DEVICE,
        s(&blob),
        "--device-key",
        s(&device.key_file),
    ]);
    run.expect_code(1);
    assert!(run.stderr.contains("500"), "{}", run.stderr);
    assert!(table.item(DEVICE).get("last_backup_date").is_none());

    // A registered public key that is not a 65-byte point: a server fault, 500.
    table.register(OTHER, &b64(&[4; 33]));
    let other = Device::new(dir.path(), OTHER);
    raw(&server, "GET", OTHER, &other.headers(), b"").expect(500);
}

/// §7: after the object is written (POST), a failure to set `last_backup_date` on the
/// device item is logged and ignored: the answer is still 200. A DELETE removes the date
/// first, and deletes nothing when it cannot (500). The server's DynamoDB requests go through the fault proxy, which fails
/// every UpdateItem (not the device lookup, not the nonce table's PutItem), the SDK's
/// retries included.
#[test]
fn a_failed_last_backup_date_update_is_logged_and_ignored() {
    let dir = temp_dir();
    let bucket = Bucket::versioned("api-date-fault");
    let table = Table::new("api-date-fault");
    let device = Device::new(dir.path(), DEVICE);
    table.register(DEVICE, &device.public_key);
    let proxy = fault::FaultProxy::start();
    let server = Server::start_with_env(
        &bucket.name,
        &table.name,
        "nested",
        &[("AWS_ENDPOINT_URL_DYNAMODB", &proxy.url)],
    );
    let updates_fail = serde_json::json!({"rules": [
        {"fault": "status", "status": 500, "target": "UpdateItem"}
    ]});
    let faulted_targets = || -> Vec<String> {
        proxy
            .faulted()
            .iter()
            .map(|e| {
                let headers = e["headers"].as_object().unwrap();
                let target = headers
                    .iter()
                    .find(|(name, _)| name.eq_ignore_ascii_case("x-amz-target"))
                    .map(|(_, v)| v.as_str().unwrap().to_string());
                target.unwrap_or_else(|| panic!("no X-Amz-Target in {e}"))
            })
            .collect()
    };
    let key = format!("{DEVICE}/backup.ffce");
    let blob = std::fs::read(seal(dir.path(), "b.ffce", PLAINTEXT)).unwrap();

    // POST: stored and 200, though the date could not be set.
    proxy.plan(updates_fail.clone());
    let reply = raw(&server, "POST", DEVICE, &device.headers(), &blob);
    reply.expect(200);
    assert_eq!(reply.message(), "Backup stored");
    let targets = faulted_targets();
    assert!(!targets.is_empty(), "the proxy failed nothing");
    assert!(
        targets.iter().all(|t| t.ends_with(".UpdateItem")),
        "{targets:?}"
    );
    assert_eq!(stored_sha256(&bucket, &key), sha256_hex(&blob));
    assert!(table.item(DEVICE).get("last_backup_date").is_none());
    assert!(
        server
            .log()
            .contains("setting last_backup_date failed (ignored)"),
        "{}",
        server.log()
    );

    // A POST with the table reachable sets the date; then a DELETE that cannot remove
    // it: stricter than the Python functions, it deletes nothing (500), so that the date
    // never outlives the backup; with the table back, the DELETE goes through.
    proxy.plan(serde_json::json!({}));
    raw(&server, "POST", DEVICE, &device.headers(), &blob).expect(200);
    let date = assert_backup_date(&table.item(DEVICE)["last_backup_date"]);
    proxy.plan(updates_fail);
    let reply = raw(&server, "DELETE", DEVICE, &device.headers(), b"");
    reply.expect(500);
    assert_eq!(reply.message(), "Failed to delete the backup");
    let targets = faulted_targets();
    assert!(
        !targets.is_empty() && targets.iter().all(|t| t.ends_with(".UpdateItem")),
        "{targets:?}"
    );
    assert_eq!(stored_sha256(&bucket, &key), sha256_hex(&blob));
    assert_eq!(
        assert_backup_date(&table.item(DEVICE)["last_backup_date"]),
        date
    );
    assert!(
        server
            .log()
            .contains("removing last_backup_date failed; nothing deleted"),
        "{}",
        server.log()
    );
    proxy.plan(serde_json::json!({}));
    raw(&server, "DELETE", DEVICE, &device.headers(), b"").expect(200);
    assert!(bucket.keys().is_empty());
    assert!(table.item(DEVICE).get("last_backup_date").is_none());
}

/// The SHA-256 (hex) of the body a plain GET of `key` returns.
/// A DELETE whose path UUID is not in lowercase deletes the key as sent first (where the
/// Python functions stored that device's backups), then the lowercase key. When the first
/// delete fails, the answer is 500 and both objects are still there, so that the device
/// can try again; nothing is half done. The server's S3 requests go through the fault
/// proxy, which fails every DeleteObject of the uppercase key.
#[test]
fn a_failed_delete_of_the_key_as_sent_is_500_and_deletes_nothing() {
    let dir = temp_dir();
    let bucket = Bucket::versioned("api-as-sent-fault");
    let table = Table::new("api-as-sent-fault");
    let upper = DEVICE.to_uppercase();
    let device = Device::new(dir.path(), DEVICE);
    table.register(&upper, &device.public_key);
    let headers = || {
        let mut h = device.headers();
        for (name, value) in &mut h {
            if name.eq_ignore_ascii_case("X-Device-UUID") {
                *value = upper.clone();
            }
        }
        h
    };
    let proxy = fault::FaultProxy::start();
    let server = Server::start_with_env(
        &bucket.name,
        &table.name,
        "nested",
        &[("AWS_ENDPOINT_URL_S3", &proxy.url)],
    );
    let blob = seal(dir.path(), "b.ffce", PLAINTEXT);
    bucket.plant(&format!("{upper}/backup.ffce"), &blob, &[]);
    raw(
        &server,
        "POST",
        &upper,
        &headers(),
        &std::fs::read(&blob).unwrap(),
    )
    .expect(200);
    let mut both = vec![
        format!("{DEVICE}/backup.ffce"),
        format!("{upper}/backup.ffce"),
    ];
    both.sort();
    assert_eq!(bucket.keys(), both);

    proxy.plan(serde_json::json!({"rules": [
        {"fault": "status", "status": 500, "method": "DELETE", "path": format!("/{upper}/")}
    ]}));
    let reply = raw(&server, "DELETE", &upper, &headers(), b"");
    reply.expect(500);
    assert_eq!(reply.message(), "Failed to delete the backup");
    let faulted = proxy.faulted();
    assert!(!faulted.is_empty(), "the proxy failed nothing");
    assert!(
        faulted.iter().all(|e| e["method"] == "DELETE"),
        "{faulted:?}"
    );
    assert_eq!(bucket.keys(), both, "nothing deleted");

    proxy.plan(serde_json::json!({}));
    raw(&server, "DELETE", &upper, &headers(), b"").expect(200);
    assert!(bucket.keys().is_empty(), "{:?}", bucket.keys());
}

fn stored_sha256(bucket: &Bucket, key: &str) -> String {
    bucket.get(key)["body_sha256"].as_str().unwrap().to_string()
}

#[test]
fn keygen_makes_a_key_the_api_accepts() {
    let bucket = Bucket::versioned("api-keygen");
    let table = Table::new("api-keygen");
    let server = Server::start(&bucket.name, &table.name, "nested");
    let dir = temp_dir();
    let key_file = dir.path().join("device.pem");
    let run = common::run(["api", "keygen", "-o", s(&key_file)]);
    run.expect_code(0);
    let public = run.out().trim().to_string();
    assert_eq!(common::mode_of(&key_file), 0o600);
    assert!(
        std::fs::read_to_string(&key_file)
            .unwrap()
            .starts_with("-----BEGIN PRIVATE KEY-----\n")
    );
    // Never overwritten.
    let again = common::run(["api", "keygen", "-o", s(&key_file)]);
    again.expect_code(5);
    assert_eq!(std::fs::read_to_string(&key_file).unwrap().len(), 241);

    table.register(DEVICE, &public);
    let blob = seal(dir.path(), "b.ffce", PLAINTEXT);
    server
        .ffce(&["post", DEVICE, s(&blob), "--device-key", s(&key_file)])
        .expect_code(0);
    assert_eq!(bucket.keys(), vec![format!("{DEVICE}/backup.ffce")]);
    // The same key in the other accepted formats signs too (the OpenSSL fixtures' key
    // is another device's: registered for OTHER).
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/device-keys");
    let fixture_public = std::fs::read_to_string(fixtures.join("public.b64")).unwrap();
    table.register(OTHER, fixture_public.trim());
    for name in [
        "pkcs8.pem",
        "pkcs8.der",
        "sec1.pem",
        "sec1.der",
        "scalar.hex",
    ] {
        let copy = common::write_file(
            dir.path(),
            name,
            &std::fs::read(fixtures.join(name)).unwrap(),
            0o600,
        );
        server
            .ffce(&["get", OTHER, "--device-key", s(&copy)])
            .expect_code(3);
    }
}

#[test]
fn arguments_keys_and_bodies_are_checked_before_any_request() {
    // Nothing listens on port 9: a request would end in exit 1, so each other code
    // shows the check happened first.
    let dir = temp_dir();
    let device = Device::new(dir.path(), DEVICE);
    let key = s(&device.key_file);
    let blob = seal(dir.path(), "b.ffce", PLAINTEXT);
    let api = |args: &[&str]| {
        let mut cmd = s3::ffce_aws();
        cmd.env_remove("FFCE_API_URL").env_remove("FFCE_DEVICE_KEY");
        cmd.arg("api").args(args);
        common::run_cmd(&mut cmd, None)
    };
    let url = "http://127.0.0.1:9";

    // The URL and the UUID.
    let run = api(&[
        "get",
        DEVICE,
        "--device-key",
        key,
        "--api-url",
        "ftp://example.com",
    ]);
    run.expect_code(2);
    assert!(run.stderr.contains("http:// or https://"), "{}", run.stderr);
    api(&["get", "not-a-uuid", "--device-key", key, "--api-url", url]).expect_code(2);
    api(&["get", DEVICE, "--device-key", key]).expect_code(2);
    // FFCE_API_URL and FFCE_DEVICE_KEY stand for the flags.
    let mut cmd = s3::ffce_aws();
    cmd.args(["api", "get", DEVICE])
        .env("FFCE_API_URL", url)
        .env("FFCE_DEVICE_KEY", dir.path().join("missing.pem"));
    let run = common::run_cmd(&mut cmd, None);
    run.expect_code(3);
    assert!(
        run.stderr.contains("missing.pem: no such file"),
        "{}",
        run.stderr
    );

    // The device key: a P-384 key, a public key, a master secret where the device key
    // belongs; named, never echoed.
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/device-keys");
    for (name, says) in [
        ("p384-pkcs8.pem", "not a valid P-256 private key"),
        ("public.pem", "\"PUBLIC KEY\", which holds no private key"),
    ] {
        let copy = write_file(
            dir.path(),
            name,
            &std::fs::read(fixtures.join(name)).unwrap(),
            0o600,
        );
        let run = api(&["delete", DEVICE, "--device-key", s(&copy), "--api-url", url]);
        run.expect_code(2);
        assert!(run.stderr.contains(says), "{name}: {}", run.stderr);
    }
    // (A master secret in hex is 64 hex digits, a valid scalar too: only base64 shows.)
    let master = write_file(
        dir.path(),
        "master.b64",
        format!("{}\n", b64(&[0x11; 32])).as_bytes(),
        0o600,
    );
    let run = api(&[
        "delete",
        DEVICE,
        "--device-key",
        s(&master),
        "--api-url",
        url,
    ]);
    run.expect_code(2);
    assert!(
        run.stderr.contains("not a device key (44 bytes)"),
        "{}",
        run.stderr
    );
    common::assert_no_key(&run.all(), common::MASTER_11);
    // Two things from stdin.
    let run = api(&["post", DEVICE, "-", "--device-key", "-", "--api-url", url]);
    run.expect_code(2);
    assert!(run.stderr.contains("stdin"), "{}", run.stderr);

    // A body the API would refuse: exit 4, nothing sent.
    let mut truncated = std::fs::read(&blob).unwrap();
    truncated.truncate(truncated.len() - 1);
    let bad = write_file(dir.path(), "bad.ffce", &truncated, 0o644);
    let run = api(&[
        "post",
        DEVICE,
        s(&bad),
        "--device-key",
        key,
        "--api-url",
        url,
    ]);
    run.expect_code(4);
    assert!(run.stderr.contains("nothing was sent"), "{}", run.stderr);
    let run = api(&[
        "post",
        DEVICE,
        s(&t_plain(dir.path())),
        "--device-key",
        key,
        "--api-url",
        url,
    ]);
    run.expect_code(4);
    assert!(run.stderr.contains("--encrypt"), "{}", run.stderr);
    // --if-none-match needs an etag to go with it.
    let run = api(&[
        "post",
        DEVICE,
        s(&blob),
        "--if-none-match",
        &sha256_hex(PLAINTEXT),
        "--device-key",
        key,
        "--api-url",
        url,
    ]);
    run.expect_code(2);
    assert!(
        run.stderr.contains("--if-none-match needs"),
        "{}",
        run.stderr
    );
    // An output that exists: refused before the request.
    let run = api(&[
        "get",
        DEVICE,
        "-o",
        s(&blob),
        "--device-key",
        key,
        "--api-url",
        url,
    ]);
    run.expect_code(5);

    // And with all of that right, the request is made: no server, exit 1.
    let run = api(&[
        "post",
        DEVICE,
        s(&blob),
        "--device-key",
        key,
        "--api-url",
        url,
    ]);
    run.expect_code(1);
    assert!(run.stderr.contains("no answer"), "{}", run.stderr);
}

fn t_plain(dir: &Path) -> std::path::PathBuf {
    write_file(dir, "plain.json", PLAINTEXT, 0o600)
}

/// A one-request-at-a-time https server on 127.0.0.1 (Python's ssl, the TLS fixtures'
/// certificate) that answers every signed GET with the API's 404; killed on drop.
struct HttpsStub {
    child: std::process::Child,
    url: String,
}

impl HttpsStub {
    fn start() -> HttpsStub {
        use std::io::BufRead;
        let tls = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/tls");
        let script = r#"
import http.server, json, ssl, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        signed = all(self.headers.get(h) for h in ("X-Device-UUID", "X-Device-Nonce",
                     "X-Device-Timestamp", "X-Device-Signature"))
        status, msg = (404, "No backup found for this device") if signed else (400, "unsigned")
        body = json.dumps({"message": msg}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
server = http.server.HTTPServer(("127.0.0.1", 0), H)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(sys.argv[1] + "/server.pem", sys.argv[1] + "/server.key")
server.socket = ctx.wrap_socket(server.socket, server_side=True)
print(server.server_address[1], flush=True)
server.serve_forever()
"#;
        let mut child = std::process::Command::new(s3::python())
            .args(["-c", script])
            .arg(&tls)
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("start the https stub");
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port: u16 = line.trim().parse().expect("the stub's port");
        HttpsStub {
            child,
            url: format!("https://127.0.0.1:{port}"),
        }
    }
}

impl Drop for HttpsStub {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn https_urls_use_tls_with_verified_certificates() {
    let stub = HttpsStub::start();
    let dir = temp_dir();
    let device = Device::new(dir.path(), DEVICE);
    let get = |ca: Option<&Path>| {
        let mut cmd = s3::ffce_aws();
        cmd.env_remove("SSL_CERT_DIR").env_remove("SSL_CERT_FILE");
        if let Some(ca) = ca {
            cmd.env("SSL_CERT_FILE", ca);
        }
        cmd.args(["api", "get", DEVICE, "--api-url", &stub.url, "--device-key"])
            .arg(&device.key_file);
        common::run_cmd(&mut cmd, None)
    };
    // The stub's certificate is not from a system root: refused, exit 1, saying why.
    let run = get(None);
    run.expect_code(1);
    assert!(run.stderr.contains("certificate"), "{}", run.stderr);
    // Trusting the test CA: the signed request reaches the server over TLS.
    let ca = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/tls/ca.pem");
    let run = get(Some(&ca));
    run.expect_code(3);
    assert!(
        run.stderr.contains("404: No backup found for this device"),
        "{}",
        run.stderr
    );
}
