//! Conformance tests of the `Store` backends, in the manner of `object_store`'s: each
//! check in `suite.rs` is written once against `dyn Store` (and `dyn VersionedStore`),
//! and [`conformance!`] makes one test of it per backend (`backends.rs`):
//!
//! - `s3`: `S3Store` on a fresh versioned bucket of the real moto S3 server on
//!   127.0.0.1 (`FFCE_TEST_S3_ENDPOINT`, exported by `scripts/test.sh`). Without the
//!   server these tests fail, saying so; they never skip.
//! - `local`: `LocalStore` on a fresh temporary folder.
//! - `memory`: `MemoryStore`.
//!
//! Test names are `GROUP::BACKEND::CHECK`: `cargo test --test conformance memory::`
//! runs one backend. `every` runs on all three; `versioned` on the stores that keep
//! versions; `unversioned` on the one that does not.
//!
//! Every test is a `#[tokio::test]`: the store is called from inside the test's tokio
//! runtime, which proves it starts no runtime of its own (a nested runtime would panic
//! with "Cannot start a runtime from within a runtime").
//! `concurrent_tasks_share_one_store` moves an `Arc<dyn Store>` into `tokio::spawn`ed
//! tasks, which compiles only because the store's futures are `Send`.
//!
//! Where the backends differ on purpose (checksums, plaintext digest, ETags, versions,
//! a folder in the key space), the check asserts each one's own answer.

mod backends;
mod fixtures;
mod suite;

use ffce_core::layout::Layout;
use ffce_store::{S3Config, S3Store, Store, StoreError};

use fixtures::key;

/// `conformance!(GROUP: BACKEND, ... => [CHECK, ...])`: a module `GROUP` with, for each
/// backend, a module of one test per check.
macro_rules! conformance {
    ($group:ident: $($backend:ident),+ => $checks:tt) => {
        mod $group {
            $( conformance!(@backend $backend $checks); )+
        }
    };
    (@backend $backend:ident [$($check:ident),* $(,)?]) => {
        mod $backend {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $check() {
                    let backend = crate::backends::$backend(stringify!($check)).await;
                    crate::suite::$check(&backend).await;
                }
            )*
        }
    };
}

conformance!(every: s3, local, memory => [
    put_get_roundtrip,
    delete_of_missing_is_ok,
    conditional_put_if_absent,
    conditional_put_if_match,
    if_match_has_one_winner,
    delete_effect,
    overwrite_effect,
    conditional_put_of_identical_bytes,
    list_in_key_order_both_layouts,
    get_range_head_and_whole,
    unexplained_reads_and_blind_deletes,
    get_missing_is_not_found,
    concurrent_tasks_share_one_store,
]);

conformance!(versioned: s3, memory => [
    versions_newest_first_and_restore,
    deleted_keys_are_the_latest_delete_markers,
    delete_adds_marker_and_restore_undoes_it,
    get_of_old_version,
]);

conformance!(unversioned: local => [has_no_versions]);

/// A bucket that does not exist is `NoBucket` for a get, a put, a listing and a
/// delete: only a bucket has that state (a local store's missing root is an empty
/// store, and memory always exists).
#[tokio::test]
async fn s3_missing_bucket_is_no_bucket() {
    // Make sure the environment is set up and the server is there.
    let existing = fixtures::s3_store("no-bucket").await;
    let name = format!("{}-absent", existing.bucket());
    let config = S3Config {
        endpoint_url: Some(ffce_test_support::s3_endpoint()),
        region: Some("us-east-1".into()),
        ..S3Config::new(name.clone())
    };
    let store = S3Store::connect(&config).await.unwrap();
    let k = key(0, Layout::Nested);
    let blob = fixtures::sealed(b"{}");
    let is_no_bucket =
        |e: &StoreError| matches!(e, StoreError::NoBucket { bucket } if *bucket == name);
    let e = store.get(&k, None).await.unwrap_err();
    assert!(is_no_bucket(&e), "get: {e:?}");
    let e = store
        .put(&k, blob.clone(), &ffce_store::PutOptions::for_body(&blob))
        .await
        .unwrap_err();
    assert!(is_no_bucket(&e), "put: {e:?}");
    let e = store.list().await.unwrap_err();
    assert!(is_no_bucket(&e), "list: {e:?}");
    let e = store.delete(&k).await.unwrap_err();
    assert!(is_no_bucket(&e), "delete: {e:?}");
}
