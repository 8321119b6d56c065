//! The audit's tests: verdicts of reads and of failures, the totals, a run over stores.

use super::*;
use bytes::Bytes;
use ffce_core::{
    Error, MasterSecret, Purpose,
    layout::{DeviceId, Layout},
    upload::MAX_BLOB_LEN,
};

fn object() -> ObjectKey {
    ObjectKey::new(
        DeviceId::parse("3f2504e0-4f89-41d3-9a0c-0305e82c3301").unwrap(),
        Layout::Nested,
    )
}

fn key() -> Key {
    MasterSecret::from_bytes([0x11; 32]).derive(Purpose::Backup)
}

/// A plaintext the controller restores: a Dexie export of its database.
const EXPORT: &[u8] = br#"{"formatName":"dexie","formatVersion":1,"data":{
    "databaseName":"FireFly-Controller","databaseVersion":1,"tables":[],"data":[]}}"#;

fn codes(f: &Finding) -> Vec<&'static str> {
    f.problems.iter().map(Problem::code).collect()
}

/// The header-only verdict agrees with `inspect` of the whole blob, for every
/// length from empty to a few bytes past the header, and for damaged headers.
#[test]
fn header_verdict_matches_a_whole_inspection() {
    let blob = key().seal(b"hello, world").unwrap();
    let mut cases: Vec<Vec<u8>> = (0..=blob.len() + 3)
        .map(|n| {
            let mut b = blob.clone();
            b.resize(n, 0);
            b
        })
        .collect();
    for (at, value) in [(0, b'X'), (4, 2), (4, 0), (17, 99)] {
        let mut b = blob.clone();
        b[at] = value;
        cases.push(b);
    }
    for case in cases {
        let whole: Vec<&str> = ffce_core::inspect(&case)
            .problems
            .iter()
            .map(Error::code)
            .collect();
        let head = &case[..case.len().min(HEADER_LEN)];
        let f = judge_header(object(), head, case.len() as u64);
        assert_eq!(codes(&f), whole, "{} bytes", case.len());
    }
}

#[test]
fn verdicts() {
    let blob = key().seal(b"{}").unwrap();
    let f = judge_header(object(), &blob[..37], blob.len() as u64);
    assert_eq!((f.status, f.reason()), (Status::Valid, None));

    let mut v2 = blob.clone();
    v2[4] = 2;
    let f = judge_header(object(), &v2[..37], v2.len() as u64);
    assert_eq!(f.status, Status::Malformed);
    assert_eq!(f.reason(), Some("unsupported_version"));

    let f = judge_header(object(), &[], 0);
    assert_eq!(
        (f.status, f.reason()),
        (Status::Malformed, Some("too_short"))
    );

    // Oversize: a well-formed header declaring the length that fits the size.
    let big = key().seal(&vec![0; MAX_BLOB_LEN]).unwrap();
    let f = judge_header(object(), &big[..37], big.len() as u64);
    assert_eq!(
        (f.status, f.reason()),
        (Status::TooLarge, Some("too_large"))
    );
    // Oversize and a length mismatch: malformed first.
    let f = judge_header(object(), &blob[..37], big.len() as u64);
    assert_eq!(codes(&f), vec!["length_mismatch", "too_large"]);
    assert_eq!(f.status, Status::Malformed);
}

#[test]
fn with_a_key() {
    let blob = key().seal(EXPORT).unwrap();
    assert_eq!(judge_whole(object(), &blob, &key()).status, Status::Valid);
    let other = Key::from_bytes(&[9; 32]);
    let f = judge_whole(object(), &blob, &other);
    assert_eq!(
        (f.status, f.reason()),
        (Status::AuthenticationFailed, Some("authentication_failed"))
    );
    let big = key().seal(&vec![0; MAX_BLOB_LEN]).unwrap();
    let f = judge_whole(object(), &big, &key());
    assert_eq!(
        (f.status, f.reason()),
        (Status::TooLarge, Some("too_large"))
    );
    let f = judge_whole(object(), &blob[..20], &key());
    assert_eq!(f.status, Status::Malformed);
}

/// With the plaintext in hand, the audit judges it as the controller would: every
/// reason it would not restore it is a problem of its own, and the finding is
/// `content_unrestorable` (invalid: it fails the run). A configfs key's files are not
/// judged as backups.
#[test]
fn content_the_controller_will_not_restore() {
    for (plaintext, code) in [
        (b"{\"a\":1}\0".as_slice(), "nul_byte"),
        (b"", "empty_plaintext"),
        (b"{\"formatName\":\"dexie\"", "not_json"),
        (b"{\"a\":1}", "not_dexie"),
    ] {
        let blob = key().seal(plaintext).unwrap();
        let f = judge_whole(object(), &blob, &key());
        assert_eq!(
            (f.status, f.reason()),
            (Status::ContentUnrestorable, Some(code)),
            "{plaintext:?}"
        );
        assert!(f.status.is_invalid());
        assert!(f.problems[0].to_string().contains("will not restore"));
        let mut t = Totals::default();
        t.add(&f);
        assert_eq!((t.valid, t.invalid), (0, 1));
    }
    let configfs = MasterSecret::from_bytes([0x11; 32]).derive(Purpose::ConfigFs);
    let file = configfs.seal(b"{\"a\":1}").unwrap();
    assert_eq!(
        judge_whole(object(), &file, &configfs).status,
        Status::Valid
    );
}

/// The plaintext digest the read carried (the `etag` metadata) is compared with the
/// plaintext's SHA-256: a mismatch is `digest_mismatch`, invalid, and outranks what
/// the content is; a digest that is not a SHA-256 is not compared.
#[tokio::test]
async fn the_stored_digest_is_compared() {
    use crate::{MemoryStore, PutOptions, Store};
    use futures_util::StreamExt as _;
    use sha2::{Digest, Sha256};

    let store = MemoryStore::new();
    let blob = Bytes::from(key().seal(EXPORT).unwrap());
    let right: [u8; 32] = Sha256::digest(EXPORT).into();
    let ids = [
        "3f2504e0-4f89-41d3-9a0c-0305e82c3301",
        "3f2504e0-4f89-41d3-9a0c-0305e82c3302",
    ];
    let objects: Vec<ObjectKey> = ids
        .iter()
        .map(|id| ObjectKey::new(DeviceId::parse(id).unwrap(), Layout::Nested))
        .collect();
    for (object, digest) in objects.iter().zip([right, [0xab; 32]]) {
        let opts = PutOptions {
            plaintext_sha256: Some(digest),
            ..PutOptions::for_body(&blob)
        };
        store.put(object, blob.clone(), &opts).await.unwrap();
    }
    let targets = objects.iter().map(|&object| Target {
        object,
        listed_size: 0,
        last_modified: None,
    });
    let keys = Arc::new(AuditKeys::One(Arc::new(key())));
    let mut found: Vec<Finding> = run(&store, futures_util::stream::iter(targets), keys, 2)
        .collect()
        .await;
    found.sort_by_key(|f| f.key.device());
    assert_eq!(found[0].status, Status::Valid);
    assert_eq!(
        (found[1].status, found[1].reason()),
        (Status::DigestMismatch, Some("digest_mismatch"))
    );
    assert!(found[1].problems[0].to_string().contains(&"ab".repeat(32)));
    assert!(found[1].status.is_invalid());

    // Both wrong: the digest outranks the content.
    let nul = key().seal(b"{}\0").unwrap();
    let read = Object {
        body: Bytes::from(nul),
        size: 0,
        etag: None,
        version_id: None,
        plaintext_digest: Some(crate::PlaintextDigest::Sha256([0; 32])),
        checksum: crate::ChecksumCheck::Absent,
        last_modified: None,
    };
    let f = judge_read(object(), &read, &key());
    assert_eq!(f.status, Status::DigestMismatch);
    assert_eq!(codes(&f), ["digest_mismatch", "nul_byte"]);
    let not_sha = Object {
        plaintext_digest: Some(crate::PlaintextDigest::NotASha256),
        body: Bytes::from(key().seal(EXPORT).unwrap()),
        ..read
    };
    assert_eq!(judge_read(object(), &not_sha, &key()).status, Status::Valid);
}

/// The engine, end to end on a local store: every object judged once, keyed
/// reads authenticated (on the blocking pool), a missing object reported as gone.
#[tokio::test]
async fn the_engine_judges_every_object_once() {
    use crate::{LocalStore, PutOptions, Store};
    use futures_util::StreamExt as _;

    let dir = tempfile::tempdir().unwrap();
    let store = LocalStore::new(dir.path().to_path_buf());
    let ids = [
        "3f2504e0-4f89-41d3-9a0c-0305e82c3301",
        "3f2504e0-4f89-41d3-9a0c-0305e82c3302",
        "3f2504e0-4f89-41d3-9a0c-0305e82c3303",
    ];
    let objects: Vec<ObjectKey> = ids
        .iter()
        .map(|id| ObjectKey::new(DeviceId::parse(id).unwrap(), Layout::Nested))
        .collect();
    let good = Bytes::from(key().seal(EXPORT).unwrap());
    let forged = Bytes::from(Key::from_bytes(&[9; 32]).seal(EXPORT).unwrap());
    for (object, body) in objects.iter().zip([&good, &forged]) {
        store
            .put(object, body.clone(), &PutOptions::for_body(body))
            .await
            .unwrap();
    }
    let targets: Vec<Target> = objects
        .iter()
        .map(|&object| Target {
            object,
            listed_size: 7,
            last_modified: None,
        })
        .collect();
    let keys = Arc::new(AuditKeys::One(Arc::new(key())));
    let by_key = |f: Finding| (f.key.as_string(), f.status);
    let mut found: Vec<(String, Status)> =
        run(&store, futures_util::stream::iter(targets.clone()), keys, 2)
            .map(by_key)
            .collect()
            .await;
    found.sort();
    let expected: Vec<(String, Status)> = objects
        .iter()
        .map(ObjectKey::as_string)
        .zip([Status::Valid, Status::AuthenticationFailed, Status::Gone])
        .collect();
    assert_eq!(found, expected);
    let headers: Vec<Finding> = run(
        &store,
        futures_util::stream::iter(targets[..1].to_vec()),
        Arc::new(AuditKeys::None),
        1,
    )
    .collect()
    .await;
    assert_eq!(headers[0].status, Status::Valid);
    assert_eq!(headers[0].size, good.len() as u64);
}

/// With a key folder: each device authenticated with its own key, a wrong key
/// fails, a device without a key file is `no_key` (a malformed one stays
/// malformed), and an unusable key file is an error that does not show the file.
#[tokio::test]
async fn a_key_per_device() {
    use crate::keyring::KeyDir;
    use crate::{LocalStore, PutOptions, Store};
    use ffce_core::layout::{DeviceId, Layout};
    use futures_util::StreamExt as _;

    let dir = tempfile::tempdir().unwrap();
    let key_dir = tempfile::tempdir().unwrap();
    let store = LocalStore::new(dir.path().to_path_buf());
    let keys = KeyDir::open(key_dir.path(), ffce_core::Purpose::Backup).unwrap();
    let master = |b: u8| MasterSecret::from_bytes([b; 32]).derive(Purpose::Backup);
    // (master secret of the blob, master secret in the key file, expected)
    let cases: [(u8, Option<&str>, Status); 5] = [
        (0x11, Some(&"11".repeat(32)), Status::Valid),
        (0x22, Some(&"22".repeat(32)), Status::Valid),
        (0x22, Some(&"11".repeat(32)), Status::AuthenticationFailed),
        (0x33, None, Status::NoKey),
        (0x44, Some("abcd"), Status::Error),
    ];
    let mut targets = Vec::new();
    for (n, (blob_master, file, _)) in cases.iter().enumerate() {
        let device = DeviceId::parse(&format!("3f2504e0-4f89-41d3-9a0c-0305e82c330{n}")).unwrap();
        let object = ObjectKey::new(device, Layout::Nested);
        let blob = Bytes::from(master(*blob_master).seal(EXPORT).unwrap());
        store
            .put(&object, blob.clone(), &PutOptions::for_body(&blob))
            .await
            .unwrap();
        if let Some(text) = file {
            std::fs::write(keys.path_for(device), text).unwrap();
        }
        targets.push(Target {
            object,
            listed_size: 0,
            last_modified: None,
        });
    }
    let source = Arc::new(AuditKeys::PerDevice(keys));
    let mut found: Vec<Finding> = run(&store, futures_util::stream::iter(targets), source, 3)
        .collect()
        .await;
    // The devices were made in key order.
    found.sort_by_key(|f| f.key.device());
    let statuses: Vec<Status> = found.iter().map(|f| f.status).collect();
    assert_eq!(statuses, cases.map(|c| c.2));
    assert_eq!(found[3].reason(), Some("no_key"));
    assert_eq!(found[4].reason(), Some("bad_key_file"));
    assert!(found[4].problems[0].to_string().contains("4 hex digits"));
    assert!(!found[4].problems[0].to_string().contains("abcd"));
    let mut t = Totals::default();
    for f in &found {
        t.add(f);
    }
    assert_eq!((t.valid, t.invalid, t.no_key, t.errors), (2, 1, 1, 1));
}

#[test]
fn totals_count_every_kind_once() {
    let blob = key().seal(b"x").unwrap();
    let mut t = Totals::default();
    t.add(&judge_header(object(), &blob, blob.len() as u64));
    t.add(&judge_header(object(), b"FFCX", 4));
    t.add(&judge_failure(object(), 10, &StoreError::message("boom")));
    t.add(&judge_failure(
        object(),
        10,
        &StoreError::NotFound { what: "x".into() },
    ));
    assert_eq!(
        (t.objects, t.valid, t.invalid, t.errors, t.gone),
        (4, 1, 1, 1, 1)
    );
    assert_eq!(t.invalid_by_reason.get("too_short"), Some(&1));
    assert_eq!(t.bytes, blob.len() as u64 + 4 + 20);
}
