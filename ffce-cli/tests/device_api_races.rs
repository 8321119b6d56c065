//! The device API under concurrent requests for one device, through the real
//! `ffce-backup-api --listen` on moto: many POSTs at once, and DELETEs racing POSTs.
//!
//! What the API guarantees, and these tests check: once every request is answered,
//! `last_backup_date` is on the device item only if the bucket's latest version of the
//! backup is an object (not a delete marker, not nothing). A DELETE removes the date,
//! deletes, and removes the date again, each removal bumping the item's generation; a
//! POST sets the date only if the generation is the one its lookup read. The converse
//! is not promised: a POST that a DELETE overtook may leave its blob without a date
//! (as a failed date update may, docs/SPEC.md §7.2); the device's next POST sets it.

use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use ffce_core::{MasterSecret, Purpose};
use serde_json::json;

use crate::common::api::{Device, Server, Table, date_and_latest, raw};
use crate::common::fault::{FaultProxy, version_digests};
use crate::common::s3::Bucket;
use crate::common::{DEVICE, sha256_hex, temp_dir};

fn blob(n: usize) -> Vec<u8> {
    MasterSecret::from_bytes([0x11; 32])
        .derive(Purpose::Backup)
        .seal(format!("{{\"formatName\":\"dexie\",\"n\":{n}}}").as_bytes())
        .expect("seal")
}

fn key() -> String {
    format!("{DEVICE}/backup.ffce")
}

struct Setup {
    bucket: Bucket,
    table: Table,
    device: Arc<Device>,
    _dir: tempfile::TempDir,
}

fn setup(tag: &str) -> Setup {
    let dir = temp_dir();
    let bucket = Bucket::versioned(tag);
    let table = Table::new(tag);
    let device = Device::new(dir.path(), DEVICE);
    table.register(DEVICE, &device.public_key);
    Setup {
        bucket,
        table,
        device: Arc::new(device),
        _dir: dir,
    }
}

/// Waits until the proxy has received a request whose X-Amz-Target ends with `operation`
/// (DynamoDB), or whose method is `operation` (S3).
fn wait_for(proxy: &FaultProxy, operation: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        let seen = proxy.log().iter().any(|e| {
            e["method"] == operation
                || e["headers"].as_object().is_some_and(|h| {
                    h.iter().any(|(n, v)| {
                        n.eq_ignore_ascii_case("x-amz-target")
                            && v.as_str().is_some_and(|v| v.ends_with(operation))
                    })
                })
        });
        if seen {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("the proxy saw no {operation}: {:?}", proxy.log());
}

#[test]
fn many_posts_for_one_device_at_once_leave_one_of_them_latest() {
    let t = setup("api-many-posts");
    let server = Arc::new(Server::start(&t.bucket.name, &t.table.name, "nested"));
    let blobs: Vec<Vec<u8>> = (0..16).map(blob).collect();
    let barrier = Arc::new(Barrier::new(blobs.len()));
    let threads: Vec<_> = blobs
        .iter()
        .cloned()
        .map(|body| {
            let (server, device, barrier) = (
                Arc::clone(&server),
                Arc::clone(&t.device),
                Arc::clone(&barrier),
            );
            std::thread::spawn(move || {
                let headers = device.headers();
                barrier.wait();
                raw(&server, "POST", DEVICE, &headers, &body)
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap().expect(200);
    }
    let (versions, latest) = version_digests(&t.bucket.name, &key());
    assert_eq!(versions.len(), blobs.len(), "one version per POST");
    let posted: Vec<String> = blobs.iter().map(|b| sha256_hex(b)).collect();
    let latest = latest.expect("a backup");
    assert!(
        posted.contains(&latest),
        "the latest is none of the posted blobs"
    );
    let mut stored = versions.clone();
    stored.sort();
    let mut expected = posted.clone();
    expected.sort();
    assert_eq!(stored, expected, "every posted blob is a version");
    // What the device gets back is the latest version; the date is set.
    let reply = raw(&server, "GET", DEVICE, &t.device.headers(), b"");
    reply.expect(200);
    assert_eq!(sha256_hex(&reply.body), latest);
    let (date, _) = date_and_latest(&t.bucket.name, &t.table, DEVICE, &key());
    assert!(date.is_some());
    assert!(!server.log().contains("\"status\":500"), "{}", server.log());
}

/// A POST stores its blob; before its date update reaches the table (held 3 s by the
/// proxy), a whole DELETE runs. The date update then finds the generation changed and
/// is not applied: a delete marker, and no date.
#[test]
fn a_delete_that_overtakes_a_post_leaves_no_date_over_its_delete_marker() {
    let t = setup("api-delete-overtakes");
    let proxy = FaultProxy::start();
    let server = Arc::new(Server::start_with_env(
        &t.bucket.name,
        &t.table.name,
        "nested",
        &[("AWS_ENDPOINT_URL_DYNAMODB", &proxy.url)],
    ));
    proxy.plan(json!({"rules": [
        {"fault": "latency", "seconds": 3, "target": "UpdateItem", "first": 1}
    ]}));
    let post = {
        let (server, device) = (Arc::clone(&server), Arc::clone(&t.device));
        std::thread::spawn(move || raw(&server, "POST", DEVICE, &device.headers(), &blob(1)))
    };
    // The POST's object is stored once its UpdateItem is on its way.
    wait_for(&proxy, "UpdateItem");
    raw(&server, "DELETE", DEVICE, &t.device.headers(), b"").expect(200);
    post.join().unwrap().expect(200);

    let (date, latest) = date_and_latest(&t.bucket.name, &t.table, DEVICE, &key());
    assert_eq!((date, latest), (None, None));
    assert!(
        server
            .log()
            .contains("last_backup_date not set: the device item changed"),
        "{}",
        server.log()
    );
}

/// A DELETE removes the date; its DeleteObject is held 3 s by the proxy, and meanwhile a
/// whole POST stores its blob and sets the date. The DeleteObject then lands on top, and
/// the DELETE's second removal takes the date away: a delete marker, and no date.
#[test]
fn a_post_inside_a_delete_leaves_no_date_over_the_delete_marker() {
    let t = setup("api-post-inside-delete");
    let proxy = FaultProxy::start();
    let server = Arc::new(Server::start_with_env(
        &t.bucket.name,
        &t.table.name,
        "nested",
        &[("AWS_ENDPOINT_URL_S3", &proxy.url)],
    ));
    raw(&server, "POST", DEVICE, &t.device.headers(), &blob(0)).expect(200);
    proxy.plan(json!({"rules": [
        {"fault": "latency", "seconds": 3, "method": "DELETE", "first": 1}
    ]}));
    let delete = {
        let (server, device) = (Arc::clone(&server), Arc::clone(&t.device));
        std::thread::spawn(move || raw(&server, "DELETE", DEVICE, &device.headers(), b""))
    };
    wait_for(&proxy, "DELETE");
    raw(&server, "POST", DEVICE, &t.device.headers(), &blob(1)).expect(200);
    assert!(t.table.item(DEVICE).get("last_backup_date").is_some());
    delete.join().unwrap().expect(200);

    let (date, latest) = date_and_latest(&t.bucket.name, &t.table, DEVICE, &key());
    assert_eq!((date, latest), (None, None));
}

/// DELETEs racing POSTs, all at once, round after round: every answer 200, and after
/// each round a date only with a backup (`date_and_latest` asserts it).
#[test]
fn deletes_racing_posts_never_leave_a_date_without_a_backup() {
    let t = setup("api-delete-races");
    let server = Arc::new(Server::start(&t.bucket.name, &t.table.name, "nested"));
    let mut outcomes = Vec::new();
    for round in 0..6 {
        let requests: Vec<Option<Vec<u8>>> = vec![
            Some(blob(round)),
            None,
            Some(blob(round + 100)),
            Some(blob(round + 200)),
        ];
        let barrier = Arc::new(Barrier::new(requests.len()));
        let threads: Vec<_> = requests
            .into_iter()
            .map(|body| {
                let (server, device, barrier) = (
                    Arc::clone(&server),
                    Arc::clone(&t.device),
                    Arc::clone(&barrier),
                );
                std::thread::spawn(move || {
                    let headers = device.headers();
                    barrier.wait();
                    match body {
                        Some(body) => raw(&server, "POST", DEVICE, &headers, &body),
                        None => raw(&server, "DELETE", DEVICE, &headers, b""),
                    }
                })
            })
            .collect();
        for thread in threads {
            thread.join().unwrap().expect(200);
        }
        let (date, latest) = date_and_latest(&t.bucket.name, &t.table, DEVICE, &key());
        outcomes.push((date.is_some(), latest.is_some()));
    }
    // Each round ends in one of the three allowed states.
    assert!(
        outcomes
            .iter()
            .all(|o| matches!(o, (true, true) | (false, true) | (false, false))),
        "{outcomes:?}"
    );
}
