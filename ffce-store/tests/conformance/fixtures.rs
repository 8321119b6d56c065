//! What the conformance tests store and where: sealed FFCE blobs, device keys, and a
//! fresh store per test (a temporary folder, or a new versioned bucket on the moto
//! test server).

use std::sync::atomic::{AtomicU32, Ordering};

use bytes::Bytes;
use ffce_core::{
    MasterSecret, Purpose,
    layout::{DeviceId, Layout, ObjectKey},
};
use ffce_store::bucket::Created;
use ffce_store::{LocalStore, PutOptions, S3Config, S3Store};
use sha2::{Digest, Sha256};

/// Device ids in an order that is not their key order, so a listing in insertion
/// order would be caught.
/// The last one is never written by any check.
pub const DEVICES: [&str; 5] = [
    "c0ffee00-0000-4000-8000-000000000003",
    "3f2504e0-4f89-41d3-9a0c-0305e82c3301",
    "a1b2c3d4-0000-4000-8000-00000000000a",
    "3f2504e0-4f89-41d3-9a0c-0305e82c3300",
    "5e1f0000-0000-4000-8000-000000000005",
];

/// The key of `DEVICES[i]` in `layout`.
pub fn key(i: usize, layout: Layout) -> ObjectKey {
    ObjectKey::new(DeviceId::parse(DEVICES[i]).unwrap(), layout)
}

/// A real FFCE blob: `plaintext` sealed with the backup key of a fixed test secret.
pub fn sealed(plaintext: &[u8]) -> Bytes {
    let key = MasterSecret::from_bytes([0x11; 32]).derive(Purpose::Backup);
    let blob = key.seal(plaintext).expect("seal a test blob");
    ffce_core::upload::validate_upload(&blob).expect("a sealed blob passes the upload check");
    Bytes::from(blob)
}

/// Opens a blob sealed by [`sealed`] and returns its plaintext.
pub fn opened(blob: &[u8]) -> Vec<u8> {
    let key = MasterSecret::from_bytes([0x11; 32]).derive(Purpose::Backup);
    key.open(blob).expect("open a test blob").to_vec()
}

/// A Dexie-export-like plaintext, distinct per `n`.
pub fn plaintext(n: u32) -> Vec<u8> {
    format!(r#"{{"formatName":"dexie","formatVersion":1,"data":{{"version":{n}}}}}"#).into_bytes()
}

/// SHA-256 of `bytes`.
pub fn sha256(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

/// Base64 of the SHA-256 of `bytes`, as S3 reports `ChecksumSHA256`.
pub fn sha256_b64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(Sha256::digest(bytes))
}

/// The options of an upload of a blob sealed from `plaintext`: unconditional, with
/// the body's SHA-256 and the plaintext's SHA-256 (what `ffce upload` sends).
pub fn backup_options(blob: &[u8], plaintext: &[u8]) -> PutOptions {
    PutOptions {
        plaintext_sha256: Some(sha256(plaintext)),
        ..PutOptions::for_body(blob)
    }
}

/// A local store on a fresh temporary folder. The store's root is a folder that does
/// not exist yet (the store creates it on the first put); keep the `TempDir`.
pub fn local_store() -> (tempfile::TempDir, LocalStore) {
    let dir = tempfile::tempdir().expect("a temporary folder");
    // The folder exists, as a bucket does before anything is put in it (listing a
    // folder that does not exist is an error, not an empty store).
    std::fs::create_dir(dir.path().join("store")).expect("the store's folder");
    let store = LocalStore::new(dir.path().join("store"));
    (dir, store)
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// A bucket name no other test (or earlier run against the same server) uses, at most
/// 63 characters.
fn unique_bucket_name(tag: &str) -> String {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    let tag: String = tag
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .take(24)
        .collect();
    format!("ffce-conf-{tag}-{}-{n}-{nanos}", std::process::id())
}

/// An S3 store on a new bucket of the test server, provisioned as the spec asks
/// (versioning enabled, public access blocked, default encryption aws:kms).
pub async fn s3_store(tag: &str) -> S3Store {
    let endpoint = ffce_test_support::s3_endpoint();
    ffce_test_support::isolate_process();
    let config = S3Config {
        endpoint_url: Some(endpoint),
        region: Some("us-east-1".into()),
        ..S3Config::new(unique_bucket_name(tag))
    };
    let store = S3Store::connect(&config)
        .await
        .expect("build an S3 client for the test server");
    assert!(
        store.path_style(),
        "a custom endpoint means path-style requests"
    );
    let created = store
        .create_provisioned(None)
        .await
        .unwrap_or_else(|e| panic!("create bucket {}: {e:?}", store.bucket()));
    assert_eq!(created, Created::New, "bucket {}", store.bucket());
    let settings = store
        .settings()
        .await
        .expect("read the new bucket's settings");
    assert_eq!(settings.versioning.as_deref(), Some("Enabled"));
    store
}
