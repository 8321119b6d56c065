//! The device API when S3 or DynamoDB misbehave: `ffce-backup-api --listen` on moto with
//! the project's fault proxy (`scripts/fault_proxy.py`) in front of both services (S3
//! requests picked by path, DynamoDB ones by their X-Amz-Target). Each fault gives a
//! documented status (ffce-lambda/README.md, "When AWS fails"), a log line with the
//! request's id, and no partial state: never a `last_backup_date` without a stored
//! backup (`date_and_latest` asserts it), and a refused request changes nothing else.
//!
//! The SDK's own retries run (three attempts), so a fault that lasts is planned on
//! every matching request, and a transient one on the first only.

use std::time::{Duration, Instant};

use ffce_core::{MasterSecret, Purpose};
use serde_json::{Value, json};

use crate::common::api::{Device, Server, Table, date_and_latest, raw};
use crate::common::fault::{FaultProxy, version_digests};
use crate::common::s3::Bucket;
use crate::common::{DEVICE, sha256_hex, temp_dir};

/// Lambda stops the function at 15 s; every answer here must come well before.
const LAMBDA_TIMEOUT: Duration = Duration::from_secs(15);

fn blob(n: usize) -> Vec<u8> {
    MasterSecret::from_bytes([0x11; 32])
        .derive(Purpose::Backup)
        .seal(format!("{{\"formatName\":\"dexie\",\"n\":{n}}}").as_bytes())
        .expect("seal")
}

/// A server whose S3 and DynamoDB requests both go through one fault proxy, and one
/// backup already stored (so that its date is set).
struct Setup {
    bucket: Bucket,
    table: Table,
    device: Device,
    proxy: FaultProxy,
    server: Server,
    key: String,
    stored: String,
    date: String,
    _dir: tempfile::TempDir,
}

impl Setup {
    fn new(tag: &str) -> Setup {
        let dir = temp_dir();
        let bucket = Bucket::versioned(tag);
        let table = Table::new(tag);
        let device = Device::new(dir.path(), DEVICE);
        table.register(DEVICE, &device.public_key);
        let proxy = FaultProxy::start();
        let server = Server::start_with_env(
            &bucket.name,
            &table.name,
            "nested",
            &[
                ("AWS_ENDPOINT_URL_S3", &proxy.url),
                ("AWS_ENDPOINT_URL_DYNAMODB", &proxy.url),
            ],
        );
        let first = blob(0);
        raw(&server, "POST", DEVICE, &device.headers(), &first).expect(200);
        let key = format!("{DEVICE}/backup.ffce");
        let (date, _) = date_and_latest(&bucket.name, &table, DEVICE, &key);
        Setup {
            bucket,
            table,
            device,
            proxy,
            server,
            key,
            stored: sha256_hex(&first),
            date: date.expect("the first POST set the date"),
            _dir: dir,
        }
    }

    /// A rule's selection of this bucket's S3 requests.
    fn s3(&self) -> String {
        format!("/{}/", self.bucket.name)
    }

    /// A signed request, timed.
    fn send(&self, method: &str, body: &[u8]) -> (crate::common::api::Reply, Duration) {
        let started = Instant::now();
        let reply = raw(&self.server, method, DEVICE, &self.device.headers(), body);
        (reply, started.elapsed())
    }

    /// The backup versions (digests, latest first) and the date, asserting the
    /// guarantee.
    fn state(&self) -> (Vec<String>, Option<String>, Option<String>) {
        let (date, latest) = date_and_latest(&self.bucket.name, &self.table, DEVICE, &self.key);
        let (versions, _) = version_digests(&self.bucket.name, &self.key);
        (versions, latest, date)
    }

    /// Nothing changed since `Setup::new`: one version, the first blob, its date.
    #[track_caller]
    fn assert_untouched(&self) {
        let (versions, latest, date) = self.state();
        assert_eq!(versions, vec![self.stored.clone()]);
        assert_eq!(latest.as_deref(), Some(self.stored.as_str()));
        assert_eq!(date.as_deref(), Some(self.date.as_str()));
    }

    /// What the server logged about its last answer with `status`: one line at least,
    /// with the request's id, one of them containing `says`.
    #[track_caller]
    fn assert_logged(&self, status: u16, says: &str) -> Vec<Value> {
        let (id, said) = self.server.said_about_last(status);
        assert!(id.starts_with("local-"), "{id}");
        assert!(
            said.iter()
                .any(|l| l["message"].as_str().is_some_and(|m| m.contains(says))),
            "no line with request_id {id} says {says:?}: {said:?}"
        );
        said
    }

    /// The proxy applied a fault to at least one request, all of them matching `what`.
    #[track_caller]
    fn assert_faulted(&self, what: impl Fn(&Value) -> bool) {
        let faulted = self.proxy.faulted();
        assert!(!faulted.is_empty(), "the proxy faulted nothing");
        assert!(faulted.iter().all(what), "{faulted:?}");
    }
}

fn is_dynamodb(e: &Value, operation: &str) -> bool {
    e["headers"].as_object().is_some_and(|h| {
        h.iter().any(|(n, v)| {
            n.eq_ignore_ascii_case("x-amz-target")
                && v.as_str().is_some_and(|v| v.ends_with(operation))
        })
    })
}

#[test]
fn s3_slowdown_on_every_attempt_is_500_on_each_route_and_leaves_no_date_without_a_backup() {
    let t = Setup::new("api-fault-slowdown");
    t.proxy.plan(json!({"rules": [
        {"fault": "status", "status": 503, "path": t.s3()}
    ]}));
    let (reply, took) = t.send("POST", &blob(1));
    reply.expect(500);
    assert_eq!(reply.message(), "Failed to store the backup");
    assert!(took < LAMBDA_TIMEOUT, "{took:?}");
    let said = t.assert_logged(500, "PutObject failed");
    assert!(format!("{said:?}").contains("SlowDown"), "{said:?}");
    t.assert_faulted(|e| e["method"] == "PUT");
    t.assert_untouched();

    let (reply, _) = t.send("GET", b"");
    reply.expect(500);
    assert_eq!(reply.message(), "Failed to read the backup");
    t.assert_logged(500, "GetObject failed");

    // A DELETE removes the date first, then cannot delete: a backup without a date,
    // the one direction the API allows.
    let (reply, _) = t.send("DELETE", b"");
    reply.expect(500);
    assert_eq!(reply.message(), "Failed to delete the backup");
    t.assert_logged(500, "DeleteObject failed");
    let (versions, latest, date) = t.state();
    assert_eq!(versions, vec![t.stored.clone()]);
    assert_eq!(latest.as_deref(), Some(t.stored.as_str()));
    assert_eq!(date, None);
}

#[test]
fn connection_resets_from_s3_are_retried_or_500_and_never_half_done() {
    let t = Setup::new("api-fault-reset");
    // Every upload cut after 20 bytes: nothing reaches the bucket, 500.
    t.proxy.plan(json!({"rules": [
        {"fault": "reset", "method": "PUT", "path": t.s3(), "request_bytes": 20}
    ]}));
    let (reply, _) = t.send("POST", &blob(1));
    reply.expect(500);
    t.assert_logged(500, "PutObject failed");
    t.assert_untouched();

    // One reset before the answer (the upload itself went through): the SDK retries,
    // the POST is stored and dated.
    t.proxy.plan(json!({"rules": [
        {"fault": "reset", "method": "PUT", "path": t.s3(), "bytes": -1, "first": 1}
    ]}));
    let posted = blob(2);
    let (reply, _) = t.send("POST", &posted);
    reply.expect(200);
    t.assert_faulted(|e| e["method"] == "PUT");
    let (_, latest, date) = t.state();
    assert_eq!(latest, Some(sha256_hex(&posted)));
    assert!(date.is_some());
    let (reply, _) = t.send("GET", b"");
    assert_eq!(sha256_hex(&reply.expect(200).body), sha256_hex(&posted));
}

#[test]
fn s3_that_never_answers_is_500_before_the_lambda_timeout() {
    let t = Setup::new("api-fault-s3-stall");
    t.proxy.plan(json!({"rules": [
        {"fault": "stall", "method": "PUT", "path": t.s3(), "seconds": 60}
    ]}));
    let (reply, took) = t.send("POST", &blob(1));
    reply.expect(500);
    assert_eq!(reply.message(), "Failed to store the backup");
    assert!(took < LAMBDA_TIMEOUT, "answered after {took:?}");
    t.assert_logged(500, "PutObject failed");
    t.assert_untouched();
}

#[test]
fn a_failing_or_throttled_nonce_table_is_503_and_nothing_is_written() {
    let t = Setup::new("api-fault-nonces");
    for (status, method) in [(500, "POST"), (400, "DELETE"), (503, "GET")] {
        // 500 InternalServerError, 400 ThrottlingException, 503 ServiceUnavailable.
        t.proxy.plan(json!({"rules": [
            {"fault": "status", "status": status, "target": "PutItem"}
        ]}));
        let (reply, took) = t.send(method, &blob(1));
        reply.expect(503);
        assert_eq!(
            reply.message(),
            "Cannot check the request for a replay now; try again with a fresh nonce"
        );
        assert_eq!(reply.header("retry-after"), Some("1"));
        assert!(took < LAMBDA_TIMEOUT, "{took:?}");
        t.assert_faulted(|e| is_dynamodb(e, "PutItem"));
        // Nothing after the nonce: no S3 request, no date update.
        let after: Vec<Value> = t
            .proxy
            .log()
            .into_iter()
            .filter(|e| !is_dynamodb(e, "GetItem") && !is_dynamodb(e, "PutItem"))
            .collect();
        assert!(after.is_empty(), "{status}: {after:?}");
        t.assert_logged(503, "nonce table unavailable");
        t.assert_untouched();
    }
}

#[test]
fn a_nonce_table_that_never_answers_is_503_before_the_lambda_timeout() {
    let t = Setup::new("api-fault-nonces-stall");
    t.proxy.plan(json!({"rules": [
        {"fault": "stall", "target": "PutItem", "seconds": 60}
    ]}));
    let (reply, took) = t.send("DELETE", b"");
    reply.expect(503);
    assert!(took < LAMBDA_TIMEOUT, "answered after {took:?}");
    t.assert_logged(503, "nonce table unavailable");
    t.assert_untouched();
}

/// The nonce's PutItem went through but its answer never came (a timeout); the SDK's
/// retry then finds the entry. It is this request's own (the entry says which call
/// wrote it), not a replay: the request goes on.
#[test]
fn a_nonce_write_whose_answer_was_lost_is_not_taken_for_a_replay() {
    let t = Setup::new("api-fault-nonces-lost");
    t.proxy.plan(json!({"rules": [
        {"fault": "stall", "forward": true, "target": "PutItem", "first": 1, "seconds": 60}
    ]}));
    let posted = blob(1);
    let (reply, _) = t.send("POST", &posted);
    reply.expect(200);
    t.assert_faulted(|e| is_dynamodb(e, "PutItem"));
    let puts = t
        .proxy
        .log()
        .iter()
        .filter(|e| is_dynamodb(e, "PutItem"))
        .count();
    assert!(puts >= 2, "the SDK did not retry: {puts} PutItem");
    let (_, latest, date) = t.state();
    assert_eq!(latest, Some(sha256_hex(&posted)));
    assert!(date.is_some());
}

#[test]
fn device_table_faults_are_500_or_a_backup_left_without_its_new_date() {
    let t = Setup::new("api-fault-devices");
    // The lookup fails: 500, before anything else.
    t.proxy.plan(json!({"rules": [
        {"fault": "status", "status": 500, "target": "GetItem"}
    ]}));
    let (reply, _) = t.send("POST", &blob(1));
    reply.expect(500);
    assert_eq!(reply.message(), "Internal server error");
    t.assert_logged(500, "device table lookup failed");
    t.assert_untouched();

    // The date update never answers: the backup is stored and answered 200 (§7: the
    // date is best effort), its date is the previous one, and the answer comes in time.
    t.proxy.plan(json!({"rules": [
        {"fault": "stall", "target": "UpdateItem", "seconds": 60}
    ]}));
    let posted = blob(2);
    let (reply, took) = t.send("POST", &posted);
    reply.expect(200);
    assert!(took < LAMBDA_TIMEOUT, "answered after {took:?}");
    t.assert_logged(200, "setting last_backup_date failed (ignored)");
    let (versions, latest, date) = t.state();
    assert_eq!(versions.len(), 2);
    assert_eq!(latest, Some(sha256_hex(&posted)));
    assert_eq!(date.as_deref(), Some(t.date.as_str()));

    // A DELETE whose date removal fails deletes nothing.
    t.proxy.plan(json!({"rules": [
        {"fault": "status", "status": 500, "target": "UpdateItem"}
    ]}));
    let (reply, _) = t.send("DELETE", b"");
    reply.expect(500);
    t.assert_logged(500, "removing last_backup_date failed; nothing deleted");
    let (_, latest, _) = t.state();
    assert_eq!(latest, Some(sha256_hex(&posted)));
}
