//! The backends the checks run on, each fresh for one test.

use std::sync::Arc;

use ffce_store::{MemoryStore, Store};

use crate::fixtures;

/// Which backend a check runs on: where the backends differ on purpose, a check
/// asserts each one's own answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// `S3Store` on a new versioned bucket of the moto server on 127.0.0.1.
    S3,
    /// `LocalStore` on a new temporary folder: no versions, checksums or metadata.
    Local,
    /// `MemoryStore`: a versioned bucket in memory.
    Memory,
}

/// One store for one test, and what keeps it alive.
pub struct Backend {
    /// The store, as callers hold it.
    pub store: Arc<dyn Store>,
    /// Which backend it is.
    pub kind: Kind,
    // The local store's folder, removed when the test ends.
    _dir: Option<tempfile::TempDir>,
}

impl Backend {
    /// Whether the store keeps versions.
    pub fn versioned(&self) -> bool {
        self.store.versioned().is_some()
    }
}

/// A new bucket named after `tag` (the check's name).
pub async fn s3(tag: &str) -> Backend {
    Backend {
        store: Arc::new(fixtures::s3_store(tag).await),
        kind: Kind::S3,
        _dir: None,
    }
}

/// A new folder.
pub async fn local(_tag: &str) -> Backend {
    let (dir, store) = fixtures::local_store();
    Backend {
        store: Arc::new(store),
        kind: Kind::Local,
        _dir: Some(dir),
    }
}

/// A new in-memory store.
pub async fn memory(_tag: &str) -> Backend {
    Backend {
        store: Arc::new(MemoryStore::new()),
        kind: Kind::Memory,
        _dir: None,
    }
}
