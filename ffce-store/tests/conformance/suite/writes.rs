//! Puts and their conditions, deletes, and the listing.

use super::*;

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

/// Compare-and-swap: writers racing with `IfMatch` of the same ETag (tasks of one
/// process, each on its own thread of the blocking pool or its own request) have
/// exactly one winner each round; every other one is `PreconditionFailed`, and the
/// winner's body is the one stored. Several rounds, each from the ETag the last left.
pub async fn if_match_has_one_winner(backend: &Backend) {
    const WRITERS: u32 = 8;
    const ROUNDS: u32 = 4;
    let store = Arc::clone(&backend.store);
    let k = key(0, Layout::Nested);
    let first = sealed(&plaintext(0));
    let mut etag = store
        .put(&k, first.clone(), &PutOptions::for_body(&first))
        .await
        .unwrap()
        .etag
        .unwrap();
    for round in 0..ROUNDS {
        let tasks: Vec<_> = (0..WRITERS)
            .map(|w| {
                let (store, etag) = (Arc::clone(&store), etag.clone());
                let body = sealed(&plaintext(1 + round * WRITERS + w));
                tokio::spawn(async move {
                    let opts = PutOptions {
                        condition: Condition::IfMatch(etag),
                        ..PutOptions::for_body(&body)
                    };
                    (body.clone(), store.put(&k, body, &opts).await)
                })
            })
            .collect();
        let mut winners = Vec::new();
        for task in tasks {
            match task.await.expect("task panicked") {
                (body, Ok(put)) => {
                    assert_eq!(put.status, PutStatus::Written);
                    winners.push((body, put.etag.unwrap()));
                }
                (_, Err(StoreError::PreconditionFailed { missing: false, .. })) => {}
                (_, Err(e)) => panic!("round {round}: {e:?}"),
            }
        }
        assert_eq!(winners.len(), 1, "round {round}: exactly one winner");
        let (body, won) = winners.pop().unwrap();
        assert_eq!(body_of(&*store, &k).await, body, "round {round}");
        etag = won;
    }
}

/// `overwrite_effect` says what a put would do to the object there: nothing for a
/// missing key; for a present one, kept as an older version on a versioned store and
/// destroyed on the local store. It writes nothing.
pub async fn overwrite_effect(backend: &Backend) {
    let store = &*backend.store;
    let k = key(0, Layout::Flat);
    assert_eq!(
        store.overwrite_effect(&k).await.unwrap(),
        OverwriteEffect::Nothing
    );
    let blob = sealed(&plaintext(1));
    store
        .put(&k, blob.clone(), &PutOptions::for_body(&blob))
        .await
        .unwrap();
    let expected = match backend.kind {
        Kind::Local => OverwriteEffect::Destroys,
        Kind::S3 | Kind::Memory => OverwriteEffect::KeepsPrevious,
    };
    assert_eq!(store.overwrite_effect(&k).await.unwrap(), expected);
    assert_eq!(body_of(store, &k).await, blob, "nothing was written");
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
