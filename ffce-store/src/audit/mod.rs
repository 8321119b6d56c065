//! Judging a fleet of backups: what one object's read says about it, the totals over
//! all of them, and [`run`], the engine that reads and judges many objects at once.
//!
//! Without a key each object is judged from its first 37 bytes and its total size
//! (one ranged GET on S3): magic, version, the declared `plaintext_len` against
//! `size − 37`, and the cloud's 524,288-byte limit (docs/SPEC.md §1, §3). That is every
//! structural check `ffce_core::inspect` makes of a whole blob, without downloading
//! the ciphertext. With a key the whole object is read, its stored SHA-256 checksum
//! compared, and the blob authenticated; nothing else is computed (no digest of the
//! plaintext, no summary of its content).
//!
//! Keys come from an [`AuditKeys`]: none, one for the whole fleet, or one master secret
//! per device from a folder ([`KeyDir`](crate::keyring::KeyDir)). With a folder, a
//! device without a key file is judged by its structure and reported as
//! [`Status::NoKey`], which is not a failure; its key is read only when its backup is.
//!
//! Authentication is CPU work (an AES-GCM pass over up to 512 KiB): [`run`] does it on
//! tokio's blocking pool, so it never stalls the reads in flight on the I/O task.
//!
//! An object over the upload limit is a finding here: the bucket holds cloud backups
//! only, and the cloud never accepts one that large.

//!
//! Files: this one (the run over a fleet), `verdict` (what one read says: [`Status`],
//! [`Problem`], [`Finding`]), `totals` ([`Totals`]).

use std::sync::Arc;
use std::time::SystemTime;

use ffce_core::Key;
use ffce_core::format::HEADER_LEN;
use ffce_core::layout::ObjectKey;
use futures_util::stream::{BoxStream, Stream, StreamExt as _};

use crate::error::{StoreError, StoreResult};
use crate::keyring::AuditKeys;
use crate::store::{GetOptions, Object, Store};

#[cfg(test)]
mod tests;
mod totals;
mod verdict;

pub use totals::Totals;
pub use verdict::{
    Finding, Problem, Status, judge_failure, judge_header, judge_read, judge_whole,
    structural_problems,
};

/// One object to audit: its key, and the size (reported if the read fails) and time
/// the listing gave.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Target {
    /// The object.
    pub object: ObjectKey,
    /// Its size in the listing.
    pub listed_size: u64,
    /// Its last-modified time in the listing, copied to its finding.
    pub last_modified: Option<SystemTime>,
}

/// Reads and judges every target, up to `concurrency` reads at a time, and yields each
/// finding in completion order. Every target is yielded exactly once (each becomes one
/// read, whose failure is a finding, never the end of the stream).
///
/// `targets` is a stream so that reading starts with the first page of a listing
/// ([`Store::list_pages`]) rather than after the last: targets are taken from it only
/// as reads finish, so a fleet's memory is the reads in flight and the listing's pages
/// not yet taken, whatever its size.
///
/// Without a key, each read is the 37-byte header (one ranged GET on S3); with one,
/// the whole object, authenticated on tokio's blocking pool. With a key folder, a
/// device's key file is read (on the blocking pool) just before its backup, and the
/// key is dropped, wiped, as soon as its finding is made; a device without a key file
/// costs only the header read.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use std::sync::Arc;
/// use bytes::Bytes;
/// use ffce_core::layout::{DeviceId, Layout, ObjectKey};
/// use ffce_core::{MasterSecret, Purpose};
/// use ffce_store::audit::{self, Status, Target, Totals};
/// use ffce_store::keyring::AuditKeys;
/// use ffce_store::{MemoryStore, PutOptions, Store};
/// use futures_util::StreamExt as _;
///
/// let store = MemoryStore::new();
/// let key = MasterSecret::from_bytes([0x11; 32]).derive(Purpose::Backup);
/// let object = ObjectKey::new(DeviceId::parse("3f2504e0-4f89-41d3-9a0c-0305e82c3301")?, Layout::Nested);
/// let blob = Bytes::from(key.seal(b"{}")?);
/// store.put(&object, blob.clone(), &PutOptions::for_body(&blob)).await?;
///
/// let targets = futures_util::stream::iter([Target { object, listed_size: blob.len() as u64, last_modified: None }]);
/// let mut totals = Totals::default();
/// let mut findings = audit::run(&store, targets, Arc::new(AuditKeys::None), 16);
/// while let Some(finding) = findings.next().await {
///     assert_eq!(finding.status, Status::Valid); // its header, from a 37-byte read
///     totals.add(&finding);
/// }
/// assert_eq!((totals.objects, totals.valid), (1, 1));
/// # Ok(()) }
/// ```
pub fn run<'a>(
    store: &'a dyn Store,
    targets: impl Stream<Item = Target> + Send + 'a,
    keys: Arc<AuditKeys>,
    concurrency: usize,
) -> BoxStream<'a, Finding> {
    targets
        .map(move |target| {
            let keys = keys.clone();
            async move {
                let mut finding = audit_one(store, target, &keys).await;
                finding.last_modified = target.last_modified;
                finding
            }
        })
        .buffer_unordered(concurrency.max(1))
        .boxed()
}

/// The key (if any) for one device, then its read and verdict.
async fn audit_one(store: &dyn Store, target: Target, keys: &AuditKeys) -> Finding {
    let key = match keys {
        AuditKeys::None => None,
        AuditKeys::One(key) => Some(key.clone()),
        AuditKeys::PerDevice(dir) => {
            let dir = dir.clone();
            let device = target.object.device();
            let loaded = tokio::task::spawn_blocking(move || {
                dir.load(device)
                    .map(|key| key.ok_or_else(|| dir.path_for(device)))
            })
            .await;
            match loaded {
                Ok(Ok(Ok(key))) => Some(Arc::new(key)),
                Ok(Ok(Err(missing))) => {
                    let finding = judge_keyless(store, target).await;
                    return if finding.status == Status::Valid {
                        let path = missing.display().to_string();
                        Finding::new(target.object, finding.size, vec![Problem::NoKey(path)])
                    } else {
                        finding
                    };
                }
                Ok(Err(e)) => {
                    let problem = Problem::KeyFile(e.to_string());
                    return Finding::new(target.object, target.listed_size, vec![problem]);
                }
                Err(e) => {
                    let failed = StoreError::other("reading the key file failed", e);
                    return judge_failure(target.object, target.listed_size, &failed);
                }
            }
        }
    };
    match key {
        None => judge_keyless(store, target).await,
        Some(key) => {
            let read = store.get_opts(&target.object, &GetOptions::default()).await;
            judge_keyed(target, read, key).await
        }
    }
}

async fn judge_keyless(store: &dyn Store, target: Target) -> Finding {
    // The header and the object's size in one ranged read; an object listed a moment
    // ago and gone now needs no explaining (no extra request).
    let header = GetOptions::prefix(HEADER_LEN).explain_missing(false);
    match store.get_opts(&target.object, &header).await {
        Ok(f) => judge_header(target.object, &f.body, f.size),
        Err(e) => judge_failure(target.object, target.listed_size, &e),
    }
}

async fn judge_keyed(target: Target, read: StoreResult<Object>, key: Arc<Key>) -> Finding {
    let read: Object = match read {
        Ok(f) => f,
        Err(e) => return judge_failure(target.object, target.listed_size, &e),
    };
    tokio::task::spawn_blocking(move || judge_read(target.object, &read, &key))
        .await
        .unwrap_or_else(|e| {
            let failed = StoreError::other("the authentication task failed", e);
            judge_failure(target.object, target.listed_size, &failed)
        })
}
