//! Reads: ranges, heads, missing keys, one store shared by tasks.

use super::*;

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
