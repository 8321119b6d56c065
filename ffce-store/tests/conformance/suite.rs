//! The conformance checks, written once against `dyn Store` (and `dyn VersionedStore`
//! where the store has versions). `main.rs` makes one test of each check per backend.
//!
//! A check asserts what every backend must do. Where the backends differ on purpose
//! (documented in `ffce_store::Store`'s module: checksums, plaintext digests, ETags,
//! versions, a folder in the key space), the check asserts each backend's own answer,
//! chosen by [`Kind`].

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use ffce_core::{
    format::HEADER_LEN,
    layout::{Layout, ObjectKey},
};
use ffce_store::{
    ChecksumAlgorithm, ChecksumCheck, Condition, DeleteEffect, DeleteOptions, DeleteOutcome,
    GetOptions, Object, PlaintextDigest, PutOptions, PutOutcome, PutStatus, Store, StoreError,
    StoreResult, VersionId, VersionedStore,
};

use crate::backends::{Backend, Kind};
use crate::fixtures::{backup_options, key, opened, plaintext, sealed, sha256, sha256_b64};

/// One object put and fetched back by [`put_get_roundtrip`].
pub struct Stored {
    /// What was put.
    pub blob: Bytes,
    /// The plaintext digest the put carried (`PutOptions::plaintext_sha256`).
    pub plaintext_sha256: Option<[u8; 32]>,
    /// What the put reported.
    pub put: PutOutcome,
    /// What a get then returned.
    pub object: Object,
}

fn assert_recent(t: Option<SystemTime>, what: &str) {
    let t = t.unwrap_or_else(|| panic!("{what}: no last-modified time"));
    let now = SystemTime::now();
    let age = now.duration_since(t).unwrap_or_else(|e| e.duration());
    assert!(
        age < Duration::from_secs(600),
        "{what}: last modified {t:?}, now {now:?}"
    );
}

fn assert_not_found(result: StoreResult<impl std::fmt::Debug>, store: &dyn Store, k: &ObjectKey) {
    match result {
        Err(StoreError::NotFound { what }) => assert_eq!(what, store.describe(k)),
        other => panic!("{k}: expected NotFound, got {other:?}"),
    }
}

async fn body_of(store: &dyn Store, k: &ObjectKey) -> Bytes {
    store
        .get(k, None)
        .await
        .unwrap_or_else(|e| panic!("get {k}: {e:?}"))
        .body
}

/// Put then get, in both layouts, with and without a plaintext digest, and an
/// overwrite: the body comes back byte for byte (and opens), and the get reports the
/// put's ETag and version.
pub async fn put_get_roundtrip(backend: &Backend) {
    let store = &*backend.store;
    let mut stored = Vec::new();
    let cases = [
        (key(0, Layout::Nested), plaintext(1), true),
        (key(1, Layout::Flat), plaintext(2), false),
        // An overwrite of the first key: the get returns the new body.
        (key(0, Layout::Nested), plaintext(3), true),
    ];
    for (k, plain, with_digest) in cases {
        let blob = sealed(&plain);
        let opts = if with_digest {
            backup_options(&blob, &plain)
        } else {
            PutOptions::for_body(&blob)
        };
        let put = store
            .put(&k, blob.clone(), &opts)
            .await
            .unwrap_or_else(|e| panic!("put {k}: {e:?}"));
        assert_eq!(put.location, store.describe(&k));
        assert!(put.etag.is_some(), "put {k}: no ETag");

        let object = store
            .get(&k, None)
            .await
            .unwrap_or_else(|e| panic!("get {k}: {e:?}"));
        assert_eq!(object.body, blob, "{k}: the body differs");
        assert_eq!(opened(&object.body), plain, "{k}: the plaintext differs");
        assert_eq!(object.etag, put.etag, "{k}: get and put ETags differ");
        assert_eq!(object.version_id, put.version_id, "{k}: versions differ");
        assert_recent(object.last_modified, &k.to_string());
        stored.push(Stored {
            blob,
            plaintext_sha256: opts.plaintext_sha256,
            put,
            object,
        });
    }
    assert_ne!(
        stored[0].put.etag, stored[2].put.etag,
        "an overwrite has a new ETag"
    );
    for stored in &stored {
        let o = &stored.object;
        match backend.kind {
            // The SHA-256 sent with the put is stored and compared on the way back, and
            // the plaintext's SHA-256 is kept as the object's `etag` metadata.
            Kind::S3 | Kind::Memory => {
                assert_eq!(
                    o.checksum,
                    ChecksumCheck::Verified {
                        algorithm: ChecksumAlgorithm::Sha256,
                        value_base64: sha256_b64(&stored.blob)
                    }
                );
                assert_eq!(
                    o.plaintext_digest,
                    stored.plaintext_sha256.map(PlaintextDigest::Sha256)
                );
                assert!(
                    o.version_id.is_some(),
                    "a versioned store names the version"
                );
            }
            // The local store keeps no checksum, no metadata and no versions.
            Kind::Local => {
                assert_eq!(o.checksum, ChecksumCheck::LocalFile);
                assert_eq!(o.plaintext_digest, None);
                assert_eq!(o.version_id, None);
            }
        }
        if backend.kind != Kind::S3 {
            // The local and in-memory ETag: the body's SHA-256 (S3's is opaque).
            assert_eq!(o.etag.as_deref(), Some(sha256_hex(&stored.blob).as_str()));
        }
        assert_eq!(o.size, stored.blob.len() as u64);
    }
}

/// A delete of a missing object succeeds and writes nothing; a delete of a present one
/// reports it, and a second delete is again "missing" (on a versioned bucket: no second
/// delete marker is stacked up).
pub async fn delete_of_missing_is_ok(backend: &Backend) {
    let store = &*backend.store;
    let nothing = DeleteOutcome::nothing();
    let other = key(3, Layout::Flat);
    let other_blob = sealed(&plaintext(9));
    store
        .put(
            &other,
            other_blob.clone(),
            &PutOptions::for_body(&other_blob),
        )
        .await
        .unwrap();

    for layout in [Layout::Nested, Layout::Flat] {
        let never = key(2, layout);
        assert_eq!(store.delete(&never).await.unwrap(), nothing, "{never}");
        if let Some(v) = store.versioned() {
            assert_eq!(v.list_versions(&never).await.unwrap(), vec![], "{never}");
        }
    }

    let versioned = store.versioned().is_some();
    let k = key(0, Layout::Nested);
    let blob = sealed(&plaintext(1));
    let put = store
        .put(&k, blob.clone(), &PutOptions::for_body(&blob))
        .await
        .unwrap();
    let deleted = store.delete(&k).await.unwrap();
    assert_eq!(deleted.existed, Some(true));
    // A versioned bucket keeps the data behind a delete marker; the local store removes
    // the file.
    assert_eq!(deleted.delete_marker_added, versioned);
    assert_eq!(deleted.version_id.is_some(), versioned);
    assert_eq!(deleted.previous_version_id, put.version_id);

    assert_eq!(
        store.delete(&k).await.unwrap(),
        nothing,
        "second delete of {k}"
    );
    if let Some(v) = store.versioned() {
        let versions = v.list_versions(&k).await.unwrap();
        let markers: Vec<_> = versions.iter().filter(|e| e.is_delete_marker).collect();
        assert_eq!(markers.len(), 1, "one delete marker, not two: {versions:?}");
        assert_eq!(Some(&markers[0].version_id), deleted.version_id.as_ref());
        assert_eq!(versions.len(), 2, "{versions:?}");
    }
    match store.get(&k, None).await {
        Err(StoreError::NotFound { what }) if !versioned => assert_eq!(what, store.describe(&k)),
        Err(StoreError::Deleted {
            what,
            device,
            kept_versions,
        }) if versioned => {
            assert_eq!(what, store.describe(&k));
            assert_eq!(device, k.device());
            assert_eq!(kept_versions, 1);
        }
        other => panic!("get of deleted {k}: {other:?}"),
    }
    let listed: Vec<String> = store
        .list()
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.key)
        .collect();
    assert_eq!(listed, vec![other.as_string()]);
    assert_eq!(
        body_of(store, &other).await,
        other_blob,
        "the other object is untouched"
    );
}

/// `Condition::IfAbsent`: writes only where there is no object; otherwise
/// `AlreadyExists` and nothing is written. A deleted object counts as absent.
pub async fn conditional_put_if_absent(backend: &Backend) {
    let store = &*backend.store;
    for (i, layout) in [(0, Layout::Nested), (1, Layout::Flat)] {
        let k = key(i, layout);
        let a = sealed(&plaintext(1));
        let b = sealed(&plaintext(2));
        let if_absent = |body: &Bytes| PutOptions {
            condition: Condition::IfAbsent,
            ..PutOptions::for_body(body)
        };
        let first = store.put(&k, a.clone(), &if_absent(&a)).await.unwrap();
        assert_eq!(body_of(store, &k).await, a);

        match store.put(&k, b.clone(), &if_absent(&b)).await {
            Err(StoreError::AlreadyExists { what }) => assert_eq!(what, store.describe(&k)),
            other => panic!("second IfAbsent put of {k}: {other:?}"),
        }
        let current = store.get(&k, None).await.unwrap();
        assert_eq!(current.body, a, "{k}: nothing was written");
        assert_eq!(current.etag, first.etag);

        store.delete(&k).await.unwrap();
        store
            .put(&k, b.clone(), &if_absent(&b))
            .await
            .unwrap_or_else(|e| panic!("IfAbsent put of deleted {k}: {e:?}"));
        assert_eq!(body_of(store, &k).await, b);
    }
}

/// `Condition::IfMatch`: writes only over the object with that ETag (quotes optional);
/// another ETag is `PreconditionFailed { missing: false }`, no object at all
/// `PreconditionFailed { missing: true }`, and nothing is written either way.
pub async fn conditional_put_if_match(backend: &Backend) {
    let store = &*backend.store;
    for (i, layout) in [(0, Layout::Nested), (1, Layout::Flat)] {
        let k = key(i, layout);
        let [a, b, c] = [1, 2, 3].map(|n| sealed(&plaintext(n)));
        let if_match = |etag: &str, body: &Bytes| PutOptions {
            condition: Condition::IfMatch(etag.to_string()),
            ..PutOptions::for_body(body)
        };
        // An ETag no object has: the hex SHA-256 of a body never stored (the local
        // store's ETag format) is no S3 ETag either.
        let wrong = hex_of(&sha256(b"never stored"));

        match store.put(&k, a.clone(), &if_match(&wrong, &a)).await {
            Err(StoreError::PreconditionFailed { what, missing }) => {
                assert_eq!(what, store.describe(&k));
                assert!(missing, "{k}: no object, so `missing: true`");
            }
            other => panic!("IfMatch put of missing {k}: {other:?}"),
        }
        assert_not_found(store.get(&k, None).await, store, &k);

        let first = store
            .put(&k, a.clone(), &PutOptions::for_body(&a))
            .await
            .unwrap();
        let first_etag = first.etag.clone().unwrap();

        match store.put(&k, b.clone(), &if_match(&wrong, &b)).await {
            Err(StoreError::PreconditionFailed { what, missing }) => {
                assert_eq!(what, store.describe(&k));
                assert!(
                    !missing,
                    "{k}: an object with another ETag, so `missing: false`"
                );
            }
            other => panic!("IfMatch put of {k} with a wrong ETag: {other:?}"),
        }
        assert_eq!(body_of(store, &k).await, a, "{k}: nothing was written");

        // The right ETag, quoted as S3 sends it.
        let second = store
            .put(&k, b.clone(), &if_match(&format!("\"{first_etag}\""), &b))
            .await
            .unwrap_or_else(|e| panic!("IfMatch put of {k} with its ETag: {e:?}"));
        assert_eq!(body_of(store, &k).await, b);
        let second_etag = second.etag.clone().unwrap();
        assert_ne!(second_etag, first_etag);

        // The first ETag is stale now.
        match store.put(&k, c.clone(), &if_match(&first_etag, &c)).await {
            Err(StoreError::PreconditionFailed { missing: false, .. }) => {}
            other => panic!("IfMatch put of {k} with a stale ETag: {other:?}"),
        }
        assert_eq!(body_of(store, &k).await, b);

        // The current ETag, unquoted.
        store
            .put(&k, c.clone(), &if_match(&second_etag, &c))
            .await
            .unwrap();
        assert_eq!(body_of(store, &k).await, c);
    }
}

/// `delete_effect` (a dry run) says what a delete would do, and changes nothing:
/// `Nothing` for a missing key; for a present one, which is still there afterwards, a
/// delete marker on a versioned store and a permanent delete on the local store.
pub async fn delete_effect(backend: &Backend) {
    let store = &*backend.store;
    let k = key(0, Layout::Nested);
    assert_eq!(
        store.delete_effect(&k).await.unwrap(),
        DeleteEffect::Nothing
    );
    let a = sealed(&plaintext(1));
    store
        .put(&k, a.clone(), &PutOptions::for_body(&a))
        .await
        .unwrap();
    let effect = store.delete_effect(&k).await.unwrap();
    assert_eq!(body_of(store, &k).await, a, "nothing was deleted");
    let expected = if backend.versioned() {
        DeleteEffect::AddsDeleteMarker
    } else {
        DeleteEffect::Permanent
    };
    assert_eq!(effect, expected);
    let dry = store
        .delete_opts(&k, &DeleteOptions::dry_run())
        .await
        .unwrap();
    assert_eq!(dry.existed, Some(true));
    assert_eq!(dry.version_id, None, "a dry run adds no marker");
    if let Some(v) = store.versioned() {
        assert_eq!(v.list_versions(&k).await.unwrap().len(), 1);
    }
}

/// A conditional put whose body is exactly the current object's, under a condition
/// that fails (`IfAbsent` on a present object, `IfMatch` with another ETag), is no
/// conflict: every backend writes nothing and answers `PutStatus::AlreadyStored` with
/// the stored object's ETag and version id. (The backends used to differ here: S3
/// reported such a put as written, the local store as a conflict.) A put under a
/// condition that holds still writes, and different bytes still conflict.
pub async fn conditional_put_of_identical_bytes(backend: &Backend) {
    let store = &*backend.store;
    let k = key(0, Layout::Nested);
    let a = sealed(&plaintext(1));
    let b = sealed(&plaintext(2));
    let first = store
        .put(&k, a.clone(), &PutOptions::for_body(&a))
        .await
        .unwrap();
    assert_eq!(first.status, PutStatus::Written);
    let with = |condition: Condition, body: &Bytes| PutOptions {
        condition,
        ..PutOptions::for_body(body)
    };
    let already = PutOutcome {
        status: PutStatus::AlreadyStored,
        ..first.clone()
    };
    let if_absent = store
        .put(&k, a.clone(), &with(Condition::IfAbsent, &a))
        .await;
    assert_eq!(if_absent.unwrap(), already, "IfAbsent of the stored bytes");
    let other_etag = Condition::IfMatch(hex_of(&sha256(b"never stored")));
    let if_match = store
        .put(&k, a.clone(), &with(other_etag.clone(), &a))
        .await;
    assert_eq!(
        if_match.unwrap(),
        already,
        "IfMatch (another ETag) of the stored bytes"
    );

    let current = store.get(&k, None).await.unwrap();
    assert_eq!(current.body, a);
    assert_eq!(current.etag, first.etag);
    assert_eq!(
        current.version_id, first.version_id,
        "no new version was written"
    );

    match store
        .put(&k, b.clone(), &with(Condition::IfAbsent, &b))
        .await
    {
        Err(StoreError::AlreadyExists { .. }) => {}
        other => panic!("IfAbsent of other bytes: {other:?}"),
    }
    match store.put(&k, b.clone(), &with(other_etag, &b)).await {
        Err(StoreError::PreconditionFailed { missing: false, .. }) => {}
        other => panic!("IfMatch (another ETag) of other bytes: {other:?}"),
    }
    let etag = first.etag.clone().unwrap();
    let again = store
        .put(&k, a.clone(), &with(Condition::IfMatch(etag), &a))
        .await
        .unwrap();
    assert_eq!(
        again.status,
        PutStatus::Written,
        "a condition that holds writes"
    );
}

/// The listing holds every object, both layouts mixed, in key order, with sizes, and
/// its pages hold the same, each key once; an empty store lists nothing; a deleted
/// object leaves nothing behind.
pub async fn list_in_key_order_both_layouts(backend: &Backend) {
    let store = &*backend.store;
    assert_eq!(store.list().await.unwrap(), vec![], "a new store is empty");

    let puts = [
        (key(0, Layout::Nested), 10),
        (key(1, Layout::Flat), 200),
        (key(2, Layout::Nested), 3000),
        (key(3, Layout::Flat), 0),
    ];
    for &(k, extra) in &puts {
        let mut plain = plaintext(extra as u32);
        plain.resize(plain.len() + extra, b' ');
        let blob = sealed(&plain);
        store
            .put(&k, blob.clone(), &PutOptions::for_body(&blob))
            .await
            .unwrap();
    }
    let size = |extra: usize| (sealed(&plaintext(extra as u32)).len() + extra) as u64;

    let listed = store.list().await.unwrap();
    let keys: Vec<&str> = listed.iter().map(|e| e.key.as_str()).collect();
    assert_eq!(
        keys,
        [
            "3f2504e0-4f89-41d3-9a0c-0305e82c3300",
            "3f2504e0-4f89-41d3-9a0c-0305e82c3301",
            "a1b2c3d4-0000-4000-8000-00000000000a/backup.ffce",
            "c0ffee00-0000-4000-8000-000000000003/backup.ffce",
        ]
    );
    let sizes: Vec<u64> = listed.iter().map(|e| e.size).collect();
    assert_eq!(sizes, [size(0), size(200), size(3000), size(10)]);
    for entry in &listed {
        assert_recent(entry.last_modified, &entry.key);
    }
    // Page by page (on S3 the prefixes at once), the same entries, each once.
    let mut paged = Vec::new();
    let mut pages = store.list_pages(ffce_store::ListPace::Fastest);
    while let Some(page) = futures_util::StreamExt::next(&mut pages).await {
        paged.extend(page.unwrap());
    }
    drop(pages);
    paged.sort_by(|a, b| a.key.cmp(&b.key));
    assert_eq!(
        paged, listed,
        "list_pages holds what list holds, each key once"
    );

    store.delete(&key(2, Layout::Nested)).await.unwrap();
    let keys: Vec<String> = store
        .list()
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.key)
        .collect();
    assert_eq!(
        keys,
        [
            "3f2504e0-4f89-41d3-9a0c-0305e82c3300",
            "3f2504e0-4f89-41d3-9a0c-0305e82c3301",
            "c0ffee00-0000-4000-8000-000000000003/backup.ffce",
        ]
    );
}

/// `get_opts` with a range: `..37` is the first 37 bytes (the FFCE header) and the
/// object's size; without one, everything. A short object comes back whole, an empty
/// one empty, and `..0` of any object no bytes and its size; the store does not look at
/// the bytes (a body that is no blob reads the same). A head has no body, and the size,
/// ETag, version and plaintext digest of a whole read.
pub async fn get_range_head_and_whole(backend: &Backend) {
    let store = &*backend.store;
    assert_eq!(HEADER_LEN, 37);
    let plain = plaintext(1);
    let blob = sealed(&plain);
    let header_only = sealed(b""); // a blob of an empty plaintext: exactly 37 bytes
    assert_eq!(header_only.len(), 37);
    let short = Bytes::from_static(b"not an FFCE blob"); // 16 bytes
    let empty = Bytes::new();
    let objects = [
        (key(0, Layout::Nested), blob.clone()),
        (key(1, Layout::Flat), short.clone()),
        (key(2, Layout::Nested), empty.clone()),
        (key(3, Layout::Flat), header_only.clone()),
    ];
    for (k, body) in &objects {
        let opts = if *body == blob {
            backup_options(body, &plain)
        } else {
            PutOptions::for_body(body)
        };
        store.put(k, body.clone(), &opts).await.unwrap();
    }
    let read = |k: ObjectKey, range: Option<usize>| async move {
        let opts = match range {
            Some(n) => GetOptions::prefix(n),
            None => GetOptions::default(),
        };
        let o = store
            .get_opts(&k, &opts)
            .await
            .unwrap_or_else(|e| panic!("read {k} {range:?}: {e:?}"));
        (o.body, o.size)
    };
    let fetched = |bytes: &[u8], size: usize| (Bytes::copy_from_slice(bytes), size as u64);

    let k = key(0, Layout::Nested);
    assert!(blob.len() > 37);
    assert_eq!(read(k, Some(37)).await, fetched(&blob[..37], blob.len()));
    assert_eq!(read(k, None).await, fetched(&blob, blob.len()));
    assert_eq!(read(k, Some(0)).await, fetched(b"", blob.len()));
    let ranged = store.get_opts(&k, &GetOptions::prefix(37)).await.unwrap();
    if backend.kind != Kind::Local {
        // A checksum covers the whole object, so none is compared on a part of it.
        assert_eq!(ranged.checksum, ChecksumCheck::PartialRead);
    }

    let k = key(1, Layout::Flat);
    assert_eq!(read(k, Some(37)).await, fetched(&short, 16));
    assert_eq!(read(k, None).await, fetched(&short, 16));
    assert_eq!(read(k, Some(4)).await, fetched(b"not ", 16));

    let k = key(2, Layout::Nested);
    assert_eq!(read(k, Some(37)).await, fetched(b"", 0));
    assert_eq!(read(k, Some(0)).await, fetched(b"", 0));
    assert_eq!(read(k, None).await, fetched(b"", 0));
    assert_eq!(body_of(store, &k).await, empty);

    let k = key(3, Layout::Flat);
    assert_eq!(read(k, Some(37)).await, fetched(&header_only, 37));
    assert_eq!(read(k, None).await, fetched(&header_only, 37));

    // A head: no body, the whole read's metadata.
    let k = key(0, Layout::Nested);
    let whole = store.get(&k, None).await.unwrap();
    let head = store.get_opts(&k, &GetOptions::head()).await.unwrap();
    assert_eq!(head.body, Bytes::new());
    assert_eq!(head.size, blob.len() as u64);
    assert_eq!(head.etag, whole.etag);
    assert_eq!(head.version_id, whole.version_id);
    assert_eq!(head.plaintext_digest, whole.plaintext_digest);
    if backend.kind != Kind::Local {
        assert_eq!(
            head.plaintext_digest,
            Some(PlaintextDigest::Sha256(sha256(&plain)))
        );
    }

    let missing = key(4, Layout::Flat);
    for opts in [
        GetOptions::prefix(37),
        GetOptions::prefix(0),
        GetOptions::default(),
        GetOptions::head(),
        GetOptions::head().explain_missing(false),
    ] {
        assert_not_found(store.get_opts(&missing, &opts).await, store, &missing);
    }
}

/// The reads and deletes of a role allowed one action: a read that does not explain a
/// missing key says `NotFound` where the default read says `Deleted` (a versioned
/// store), and a blind delete is one request that succeeds whether or not there is an
/// object (on a versioned store it adds a marker and keeps the data).
pub async fn unexplained_reads_and_blind_deletes(backend: &Backend) {
    let store = &*backend.store;
    let k = key(0, Layout::Nested);
    let blob = sealed(b"{}");
    store
        .put(&k, blob.clone(), &PutOptions::for_body(&blob))
        .await
        .unwrap();
    let plain = GetOptions::default().explain_missing(false);
    assert_eq!(store.get_opts(&k, &plain).await.unwrap().body, blob);

    let deleted = store
        .delete_opts(&k, &DeleteOptions::blind())
        .await
        .unwrap();
    assert_eq!(deleted.delete_marker_added, backend.versioned());
    match store.get(&k, None).await {
        Err(StoreError::Deleted { kept_versions, .. }) if backend.versioned() => {
            assert_eq!(kept_versions, 1);
        }
        Err(StoreError::NotFound { .. }) if !backend.versioned() => {}
        other => panic!("get of a deleted {k}: {other:?}"),
    }
    assert_not_found(store.get_opts(&k, &plain).await, store, &k);
    if let Some(v) = store.versioned() {
        let versions = v.list_versions(&k).await.unwrap();
        assert_eq!(versions.len(), 2, "the data is kept under the marker");
        assert!(versions[0].is_delete_marker && versions[0].is_latest);
        assert_eq!(Some(&versions[0].version_id), deleted.version_id.as_ref());
    }
    // A missing key: success, as S3 answers.
    let never = key(1, Layout::Flat);
    store
        .delete_opts(&never, &DeleteOptions::blind())
        .await
        .unwrap();
    assert_not_found(store.get(&never, None).await, store, &never);
}

/// A get of a key that was never written is `NotFound`, naming the object, in both
/// layouts. So is the flat key of a device whose backup is in the nested layout, except
/// in the local store, where that key is the backup's folder (a bucket can hold both
/// keys, a folder cannot) and the store says so.
pub async fn get_missing_is_not_found(backend: &Backend) {
    let store = &*backend.store;
    let present = key(0, Layout::Nested);
    let blob = sealed(&plaintext(1));
    store
        .put(&present, blob.clone(), &PutOptions::for_body(&blob))
        .await
        .unwrap();
    for k in [
        key(1, Layout::Flat),
        key(1, Layout::Nested),
        key(4, Layout::Nested),
    ] {
        assert_not_found(store.get(&k, None).await, store, &k);
    }
    assert_eq!(body_of(store, &present).await, blob);
    let flat = key(0, Layout::Flat);
    match (store.get(&flat, None).await, backend.kind) {
        (Err(StoreError::Other { message, .. }), Kind::Local) => {
            assert!(
                message.contains("is a folder, not a backup file"),
                "{message}"
            );
        }
        (Err(StoreError::NotFound { what }), Kind::S3 | Kind::Memory) => {
            assert_eq!(what, store.describe(&flat));
        }
        other => panic!("get of the flat key of a nested backup: {other:?}"),
    }
}

/// Several tasks share one store through an `Arc<dyn Store>`: `tokio::spawn` takes
/// only `Send + 'static` futures, so this compiling proves the store's futures are
/// `Send`; running it proves concurrent use works.
pub async fn concurrent_tasks_share_one_store(backend: &Backend) {
    let store: Arc<dyn Store> = Arc::clone(&backend.store);
    let tasks: Vec<_> = (0..4)
        .map(|i| {
            let store = Arc::clone(&store);
            tokio::spawn(async move {
                let layout = if i % 2 == 0 {
                    Layout::Nested
                } else {
                    Layout::Flat
                };
                let k = key(i, layout);
                let blob = sealed(&plaintext(i as u32));
                store
                    .put(&k, blob.clone(), &PutOptions::for_body(&blob))
                    .await?;
                let object = store.get(&k, None).await?;
                assert_eq!(object.body, blob);
                let header = store.get_opts(&k, &GetOptions::prefix(37)).await?;
                assert_eq!(header.body, blob.slice(..37));
                StoreResult::Ok(k.as_string())
            })
        })
        .collect();
    let mut written = Vec::new();
    for task in tasks {
        written.push(
            task.await
                .expect("task panicked")
                .expect("store error in a task"),
        );
    }
    written.sort();
    let listed: Vec<String> = store
        .list()
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.key)
        .collect();
    assert_eq!(listed, written);
}

fn versions_of(store: &dyn Store) -> &dyn VersionedStore {
    store.versioned().expect("a versioned store")
}

fn vid(id: &Option<VersionId>) -> VersionId {
    id.clone().expect("a version id")
}

/// `list_deleted` names exactly the keys whose latest version is a delete marker,
/// with the marker: not a key that was never deleted, not one deleted and then
/// written again, and only once however many versions it has.
pub async fn deleted_keys_are_the_latest_delete_markers(backend: &Backend) {
    let store = &*backend.store;
    let v = versions_of(store);
    let blob = sealed(&plaintext(1));
    let opts = PutOptions::for_body(&blob);
    let (kept, gone, back) = (
        key(1, Layout::Nested),
        key(2, Layout::Nested),
        key(3, Layout::Flat),
    );
    for k in [&kept, &gone, &gone, &back] {
        store.put(k, blob.clone(), &opts).await.unwrap();
    }
    let deleted = store.delete(&gone).await.unwrap();
    store.delete(&back).await.unwrap();
    store.put(&back, blob.clone(), &opts).await.unwrap();

    let found = v.list_deleted().await.unwrap();
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].key, gone.as_string());
    assert_eq!(Some(found[0].marker_version_id.clone()), deleted.version_id);
    assert_recent(found[0].deleted_at, "the delete marker");
}

/// Versions are listed newest first, the latest marked; restoring an earlier one
/// makes it the latest again (a new version with its content), and a version that
/// does not exist is `NotFound`.
pub async fn versions_newest_first_and_restore(backend: &Backend) {
    let store = &*backend.store;
    let v = versions_of(store);
    let k = key(0, Layout::Nested);
    let plains: Vec<Vec<u8>> = (1..=3).map(plaintext).collect();
    let blobs: Vec<Bytes> = plains.iter().map(|p| sealed(p)).collect();
    let mut puts = Vec::new();
    for (i, (blob, plain)) in blobs.iter().zip(&plains).enumerate() {
        if i > 0 {
            // S3 keeps whole seconds; a second apart, the times alone order the versions.
            tokio::time::sleep(Duration::from_millis(1100)).await;
        }
        puts.push(
            store
                .put(&k, blob.clone(), &backup_options(blob, plain))
                .await
                .unwrap(),
        );
    }
    // Another key's versions are not this key's.
    let other = key(0, Layout::Flat);
    let other_blob = sealed(&plaintext(9));
    store
        .put(
            &other,
            other_blob.clone(),
            &PutOptions::for_body(&other_blob),
        )
        .await
        .unwrap();

    let versions = v.list_versions(&k).await.unwrap();
    let ids: Vec<Option<VersionId>> = versions
        .iter()
        .map(|e| Some(e.version_id.clone()))
        .collect();
    let put_ids: Vec<Option<VersionId>> = puts.iter().rev().map(|p| p.version_id.clone()).collect();
    assert_eq!(ids, put_ids, "newest first: {versions:?}");
    assert_eq!(
        versions.iter().map(|e| e.is_latest).collect::<Vec<_>>(),
        [true, false, false]
    );
    assert!(versions.iter().all(|e| !e.is_delete_marker));
    let sizes: Vec<Option<u64>> = versions.iter().map(|e| e.size).collect();
    let put_sizes: Vec<Option<u64>> = blobs.iter().rev().map(|b| Some(b.len() as u64)).collect();
    assert_eq!(sizes, put_sizes);
    let etags: Vec<Option<String>> = versions.iter().map(|e| e.etag.clone()).collect();
    let put_etags: Vec<Option<String>> = puts.iter().rev().map(|p| p.etag.clone()).collect();
    assert_eq!(etags, put_etags);
    for pair in versions.windows(2) {
        assert!(
            pair[0].last_modified > pair[1].last_modified,
            "{versions:?}"
        );
    }

    let restored = v.restore(&k, &vid(&puts[0].version_id)).await.unwrap();
    assert_eq!(restored.location, store.describe(&k));
    assert!(restored.version_id.is_some());
    assert!(
        !puts.iter().any(|p| p.version_id == restored.version_id),
        "a new version"
    );
    let object = store.get(&k, None).await.unwrap();
    assert_eq!(object.body, blobs[0]);
    assert_eq!(opened(&object.body), plains[0]);
    assert_eq!(object.version_id, restored.version_id);

    let versions = v.list_versions(&k).await.unwrap();
    let ids: Vec<&str> = versions.iter().map(|e| e.version_id.as_str()).collect();
    let expected: Vec<&str> = [&restored, &puts[2], &puts[1], &puts[0]]
        .iter()
        .map(|p| p.version_id.as_deref().unwrap())
        .collect();
    assert_eq!(ids, expected);
    assert!(versions[0].is_latest && versions.iter().skip(1).all(|e| !e.is_latest));

    let unknown = VersionId::parse("no-such-version-0000").unwrap();
    match v.restore(&k, &unknown).await {
        Err(StoreError::NotFound { what }) => {
            assert_eq!(what, format!("version {unknown} of {}", store.describe(&k)));
        }
        other => panic!("restore of an unknown version: {other:?}"),
    }
    assert_eq!(body_of(store, &other).await, other_blob);
}

/// A delete adds a marker and keeps the versions: a get is then `Deleted` (naming the
/// device and the kept versions), the object leaves the listing, the marker cannot be
/// restored (`IsDeleteMarker`) or read, and restoring the last version undoes the
/// delete.
pub async fn delete_adds_marker_and_restore_undoes_it(backend: &Backend) {
    let store = &*backend.store;
    let v = versions_of(store);
    let k = key(1, Layout::Flat);
    let blobs = [sealed(&plaintext(1)), sealed(&plaintext(2))];
    let mut puts = Vec::new();
    for blob in &blobs {
        puts.push(
            store
                .put(&k, blob.clone(), &PutOptions::for_body(blob))
                .await
                .unwrap(),
        );
    }

    let deleted = store.delete(&k).await.unwrap();
    assert!(
        deleted.existed == Some(true) && deleted.delete_marker_added,
        "{deleted:?}"
    );
    assert_eq!(deleted.previous_version_id, puts[1].version_id);
    let marker = vid(&deleted.version_id);

    match store.get(&k, None).await {
        Err(StoreError::Deleted {
            what,
            device,
            kept_versions,
        }) => {
            assert_eq!(what, store.describe(&k));
            assert_eq!(device, k.device());
            assert_eq!(kept_versions, 2);
        }
        other => panic!("get of deleted {k}: {other:?}"),
    }
    assert_eq!(
        store.list().await.unwrap(),
        vec![],
        "a deleted object is not listed"
    );

    let versions = v.list_versions(&k).await.unwrap();
    assert_eq!(versions.len(), 3, "{versions:?}");
    assert_eq!(versions[0].version_id, marker);
    assert!(versions[0].is_latest && versions[0].is_delete_marker);
    assert_eq!((versions[0].size, versions[0].etag.as_ref()), (None, None));
    assert!(
        versions[1..]
            .iter()
            .all(|e| !e.is_latest && !e.is_delete_marker)
    );

    match v.restore(&k, &marker).await {
        Err(StoreError::IsDeleteMarker { what, device }) => {
            assert_eq!(what, format!("version {marker} of {}", store.describe(&k)));
            assert_eq!(device, k.device());
        }
        other => panic!("restore of the delete marker: {other:?}"),
    }
    match store.get(&k, Some(&marker)).await {
        Err(StoreError::NotFound { .. }) => {}
        other => panic!("get of the delete marker's version: {other:?}"),
    }

    let restored = v.restore(&k, &vid(&puts[1].version_id)).await.unwrap();
    let object = store.get(&k, None).await.unwrap();
    assert_eq!(object.body, blobs[1]);
    assert_eq!(object.version_id, restored.version_id);
    let listed: Vec<String> = store
        .list()
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.key)
        .collect();
    assert_eq!(listed, vec![k.as_string()]);
    let versions = v.list_versions(&k).await.unwrap();
    assert_eq!(versions.len(), 4, "{versions:?}");
    assert_eq!(Some(&versions[0].version_id), restored.version_id.as_ref());
    assert!(versions[0].is_latest && !versions[0].is_delete_marker);
}

/// A get of an earlier version returns that version's body, checked like the latest;
/// the latest is unaffected; an unknown version is `NotFound`.
pub async fn get_of_old_version(backend: &Backend) {
    let store = &*backend.store;
    let k = key(2, Layout::Nested);
    let plains = [plaintext(1), plaintext(2)];
    let blobs = [sealed(&plains[0]), sealed(&plains[1])];
    let mut puts = Vec::new();
    for (blob, plain) in blobs.iter().zip(&plains) {
        puts.push(
            store
                .put(&k, blob.clone(), &backup_options(blob, plain))
                .await
                .unwrap(),
        );
    }
    let old = store
        .get(&k, Some(&vid(&puts[0].version_id)))
        .await
        .unwrap();
    assert_eq!(old.body, blobs[0]);
    assert_eq!(opened(&old.body), plains[0]);
    assert_eq!(old.version_id, puts[0].version_id);
    assert_eq!(old.etag, puts[0].etag);

    let latest = store.get(&k, None).await.unwrap();
    assert_eq!(latest.body, blobs[1]);
    assert_eq!(latest.version_id, puts[1].version_id);

    let unknown = VersionId::parse("no-such-version-0000").unwrap();
    match store.get(&k, Some(&unknown)).await {
        Err(StoreError::NotFound { what }) => {
            assert!(
                what.starts_with(&format!("version {unknown} of {}", store.describe(&k))),
                "{what}"
            );
        }
        other => panic!("get of an unknown version: {other:?}"),
    }
    // An old version's checksum and metadata are checked like the latest's.
    assert!(
        matches!(old.checksum, ChecksumCheck::Verified { .. }),
        "{:?}",
        old.checksum
    );
    assert_eq!(
        old.plaintext_digest,
        Some(PlaintextDigest::Sha256(sha256(&plains[0])))
    );
}

/// A store that keeps no versions has no `VersionedStore`, and a get of a version is
/// refused rather than answered with the latest.
pub async fn has_no_versions(backend: &Backend) {
    let store = &*backend.store;
    let k = key(0, Layout::Nested);
    let blob = sealed(b"{}");
    store
        .put(&k, blob.clone(), &PutOptions::for_body(&blob))
        .await
        .unwrap();
    assert!(store.versioned().is_none());
    let version = VersionId::parse("3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY").unwrap();
    match store.get(&k, Some(&version)).await {
        Err(StoreError::NoVersions { .. }) => {}
        other => panic!("get of a version from a store without versions: {other:?}"),
    }
}

fn hex_of(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The local store's ETag: the hex SHA-256 of the file.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex_of(&sha256(bytes))
}
