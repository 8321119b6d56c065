//! What only a versioned store has, and what a store without versions refuses.

use super::*;

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
