//! The conformance checks, written once against `dyn Store` (and `dyn VersionedStore`
//! where the store has versions). `main.rs` makes one test of each check per backend.
//!
//! A check asserts what every backend must do. Where the backends differ on purpose
//! (documented in `ffce_store::Store`'s module: checksums, plaintext digests, ETags,
//! versions, a folder in the key space), the check asserts each backend's own answer,
//! chosen by [`Kind`].
//!
//! Files: `writes` (puts, conditions, deletes, the listing), `reads` (ranges, heads,
//! missing keys, concurrent use), `versions` (what only a versioned store has).

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use ffce_core::{
    format::HEADER_LEN,
    layout::{Layout, ObjectKey},
};
use ffce_store::{
    ChecksumAlgorithm, ChecksumCheck, Condition, DeleteEffect, DeleteOptions, DeleteOutcome,
    GetOptions, Object, OverwriteEffect, PlaintextDigest, PutOptions, PutOutcome, PutStatus, Store,
    StoreError, StoreResult, VersionId, VersionedStore,
};

use crate::backends::{Backend, Kind};

mod reads;
mod versions;
mod writes;

use crate::fixtures::{backup_options, key, opened, plaintext, sealed, sha256, sha256_b64};
pub use reads::*;
pub use versions::*;
pub use writes::*;

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

fn hex_of(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The local store's ETag: the hex SHA-256 of the file.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex_of(&sha256(bytes))
}
