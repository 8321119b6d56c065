//! A versioned store held in memory, with the bucket's rules: the model of a versioned
//! S3 bucket (docs/SPEC.md §5) without a server, for tests and for programs that need a
//! store in a process (object_store's `InMemory` is its pattern).
//!
//! - Every put adds a version; a delete adds a delete marker and keeps the versions;
//!   a restore copies a version over the latest; one version or marker can be deleted
//!   for good. Version ids are opaque and unique in the store.
//! - A put stores the body's SHA-256 checksum (from [`PutOptions::content_sha256`],
//!   which must match the body, as AWS checks it) and the plaintext digest as the
//!   `etag` metadata; a whole read compares the checksum as the S3 store does
//!   ([`ChecksumCheck::Verified`]). The SSE-KMS key is accepted and not used.
//! - The ETag of a version is the hex SHA-256 of its body.
//! - Conditions are decided under one lock, so of two concurrent conditional writers
//!   exactly one wins, as on S3.
//! - Clones share the same objects (an `Arc` inside), so one store can be handed to
//!   several owners, e.g. an application and the test that inspects it.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::SystemTime;

use async_trait::async_trait;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use bytes::Bytes;
use ffce_core::layout::ObjectKey;
use sha2::{Digest, Sha256};

use crate::checksum::{self, ChecksumAlgorithm, ChecksumCheck, StoredChecksum};
use crate::error::{StoreError, StoreResult, VersionId};
use crate::store::{
    Condition, DeleteOptions, DeleteOutcome, DeletedEntry, GetOptions, ListEntry, Object,
    PlaintextDigest, PutOptions, PutOutcome, PutStatus, Store, VersionEntry, VersionedStore,
    unquote_etag,
};

/// A versioned bucket in memory.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), ffce_store::StoreError> {
/// use bytes::Bytes;
/// use ffce_core::{layout::{DeviceId, Layout, ObjectKey}};
/// use ffce_store::{MemoryStore, PutOptions, Store, StoreError};
///
/// let store = MemoryStore::new();
/// let key = ObjectKey::new(DeviceId::parse("3f2504e0-4f89-41d3-9a0c-0305e82c3301").unwrap(), Layout::Nested);
/// let blob = Bytes::from_static(b"FFCE\x01 (a real caller seals a blob with ffce-core)");
/// let put = store.put(&key, blob.clone(), &PutOptions::for_body(&blob)).await?;
/// assert!(put.version_id.is_some());
///
/// let deleted = store.delete(&key).await?;
/// assert!(deleted.delete_marker_added);
/// assert!(matches!(store.get(&key, None).await, Err(StoreError::Deleted { kept_versions: 1, .. })));
///
/// let versions = store.versioned().unwrap();
/// versions.restore(&key, put.version_id.as_ref().unwrap()).await?;
/// assert_eq!(store.get(&key, None).await?.body, blob);
/// # Ok(()) }
/// ```
#[derive(Clone, Default)]
pub struct MemoryStore {
    inner: Arc<Mutex<Bucket>>,
}

#[derive(Default)]
struct Bucket {
    /// Every key's versions and delete markers, oldest first.
    objects: BTreeMap<String, Vec<Version>>,
    /// The number in the next version id.
    next_version: u64,
}

#[derive(Clone)]
struct Version {
    id: VersionId,
    last_modified: SystemTime,
    /// `None` for a delete marker.
    data: Option<Data>,
}

#[derive(Clone)]
struct Data {
    body: Bytes,
    content_sha256: [u8; 32],
    plaintext_digest: Option<PlaintextDigest>,
}

impl Data {
    fn etag(&self) -> String {
        hex::encode(Sha256::digest(&self.body))
    }
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> MemoryStore {
        MemoryStore::default()
    }

    fn bucket(&self) -> MutexGuard<'_, Bucket> {
        // A panic while the lock was held leaves no half-made change behind (every
        // change is one push or remove), so the data is still good to use.
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn version_what(&self, key: &ObjectKey, version: &VersionId) -> String {
        format!("version {version} of {}", self.describe(key))
    }
}

impl fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let bucket = self.bucket();
        f.debug_struct("MemoryStore")
            .field("keys", &bucket.objects.len())
            .finish_non_exhaustive()
    }
}

/// `memory://`.
impl fmt::Display for MemoryStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("memory://")
    }
}

impl Bucket {
    fn versions(&self, key: &ObjectKey) -> &[Version] {
        self.objects
            .get(&key.as_string())
            .map_or(&[], Vec::as_slice)
    }

    /// The latest version, if it has data.
    fn latest(&self, key: &ObjectKey) -> Option<&Version> {
        self.versions(key).last().filter(|v| v.data.is_some())
    }

    fn push(&mut self, key: &ObjectKey, data: Option<Data>) -> VersionId {
        self.next_version += 1;
        let id = VersionId::from_store(format!("mem-{:016x}", self.next_version));
        self.objects
            .entry(key.as_string())
            .or_default()
            .push(Version {
                id: id.clone(),
                last_modified: SystemTime::now(),
                data,
            });
        id
    }
}

fn object_of(version: &Version, data: &Data, opts: &GetOptions, what: &str) -> StoreResult<Object> {
    let size = data.body.len() as u64;
    let (body, checksum) = if opts.head {
        (Bytes::new(), ChecksumCheck::PartialRead)
    } else if let Some(range) = opts.range {
        let end = range.end.min(data.body.len());
        (data.body.slice(..end), ChecksumCheck::PartialRead)
    } else {
        let stored = [StoredChecksum {
            algorithm: ChecksumAlgorithm::Sha256,
            value: BASE64.encode(data.content_sha256),
        }];
        let check = checksum::verify(&data.body, &stored, what)?;
        (data.body.clone(), check)
    };
    Ok(Object {
        body,
        size,
        etag: Some(data.etag()),
        version_id: Some(version.id.clone()),
        plaintext_digest: data.plaintext_digest,
        checksum,
        last_modified: Some(version.last_modified),
    })
}

#[async_trait]
impl Store for MemoryStore {
    fn describe(&self, key: &ObjectKey) -> String {
        format!("memory://{key}")
    }

    async fn put(
        &self,
        key: &ObjectKey,
        body: Bytes,
        opts: &PutOptions,
    ) -> StoreResult<PutOutcome> {
        let what = self.describe(key);
        let actual: [u8; 32] = Sha256::digest(&body).into();
        if actual != opts.content_sha256 {
            // What AWS answers to a body that does not match its checksum.
            return Err(StoreError::message(format!(
                "{what}: the body does not match the SHA-256 checksum sent with it \
                 (BadDigest); nothing was written"
            )));
        }
        let mut bucket = self.bucket();
        let current = bucket.latest(key);
        let outcome = |v: &Version, status| PutOutcome {
            etag: v.data.as_ref().map(Data::etag),
            version_id: Some(v.id.clone()),
            location: what.clone(),
            status,
        };
        let same_bytes = current
            .and_then(|v| v.data.as_ref())
            .is_some_and(|d| d.content_sha256 == opts.content_sha256);
        match (&opts.condition, current) {
            (Condition::None, _) | (Condition::IfAbsent, None) => {}
            (Condition::IfAbsent, Some(v)) if same_bytes => {
                return Ok(outcome(v, PutStatus::AlreadyStored));
            }
            (Condition::IfAbsent, Some(_)) => return Err(StoreError::AlreadyExists { what }),
            (Condition::IfMatch(_), None) => {
                return Err(StoreError::PreconditionFailed {
                    what,
                    missing: true,
                });
            }
            (Condition::IfMatch(want), Some(v)) => {
                let holds = v.data.as_ref().map(Data::etag) == Some(unquote_etag(want));
                if !holds && same_bytes {
                    return Ok(outcome(v, PutStatus::AlreadyStored));
                }
                if !holds {
                    return Err(StoreError::PreconditionFailed {
                        what,
                        missing: false,
                    });
                }
            }
        }
        let data = Data {
            body,
            content_sha256: opts.content_sha256,
            plaintext_digest: opts.plaintext_sha256.map(PlaintextDigest::Sha256),
        };
        let etag = data.etag();
        let id = bucket.push(key, Some(data));
        Ok(PutOutcome {
            etag: Some(etag),
            version_id: Some(id),
            location: what,
            status: PutStatus::Written,
        })
    }

    async fn get_opts(&self, key: &ObjectKey, opts: &GetOptions) -> StoreResult<Object> {
        let bucket = self.bucket();
        if let Some(wanted) = &opts.version {
            let what = self.version_what(key, wanted);
            let Some(version) = bucket.versions(key).iter().find(|v| v.id == *wanted) else {
                return Err(StoreError::NotFound { what });
            };
            let Some(data) = &version.data else {
                return Err(StoreError::NotFound {
                    what: format!("{what} (a delete marker, which has no content)"),
                });
            };
            return object_of(version, data, opts, &what);
        }
        let what = self.describe(key);
        match bucket.latest(key) {
            Some(version) => {
                let data = version.data.as_ref().expect("latest() has data");
                object_of(version, data, opts, &what)
            }
            None => {
                let kept = bucket
                    .versions(key)
                    .iter()
                    .filter(|v| v.data.is_some())
                    .count();
                if opts.explain_missing && kept > 0 {
                    Err(StoreError::Deleted {
                        what,
                        device: key.device(),
                        kept_versions: kept,
                    })
                } else {
                    Err(StoreError::NotFound { what })
                }
            }
        }
    }

    async fn delete_opts(
        &self,
        key: &ObjectKey,
        opts: &DeleteOptions,
    ) -> StoreResult<DeleteOutcome> {
        let mut bucket = self.bucket();
        let previous = bucket.latest(key).map(|v| v.id.clone());
        if opts.dry_run || opts.look_first {
            let Some(previous) = previous else {
                return Ok(DeleteOutcome::nothing());
            };
            let marker = (!opts.dry_run).then(|| bucket.push(key, None));
            return Ok(DeleteOutcome {
                existed: Some(true),
                delete_marker_added: true,
                version_id: marker,
                previous_version_id: Some(previous),
            });
        }
        // Blind, as S3 does it: a marker whether or not there was an object.
        let marker = bucket.push(key, None);
        Ok(DeleteOutcome {
            existed: None,
            delete_marker_added: true,
            version_id: Some(marker),
            previous_version_id: None,
        })
    }

    async fn list(&self) -> StoreResult<Vec<ListEntry>> {
        let bucket = self.bucket();
        Ok(bucket
            .objects
            .iter()
            .filter_map(|(key, versions)| {
                let latest = versions.last()?;
                let data = latest.data.as_ref()?;
                Some(ListEntry {
                    key: key.clone(),
                    size: data.body.len() as u64,
                    last_modified: Some(latest.last_modified),
                })
            })
            .collect())
    }

    fn versioned(&self) -> Option<&dyn VersionedStore> {
        Some(self)
    }
}

#[async_trait]
impl VersionedStore for MemoryStore {
    async fn list_versions(&self, key: &ObjectKey) -> StoreResult<Vec<VersionEntry>> {
        let bucket = self.bucket();
        let versions = bucket.versions(key);
        Ok(versions
            .iter()
            .rev()
            .enumerate()
            .map(|(i, v)| VersionEntry {
                version_id: v.id.clone(),
                is_latest: i == 0,
                is_delete_marker: v.data.is_none(),
                size: v.data.as_ref().map(|d| d.body.len() as u64),
                last_modified: Some(v.last_modified),
                etag: v.data.as_ref().map(Data::etag),
            })
            .collect())
    }

    /// Like S3: an unknown version id is success.
    async fn delete_version(&self, key: &ObjectKey, version: &VersionId) -> StoreResult<()> {
        let mut bucket = self.bucket();
        if let Some(versions) = bucket.objects.get_mut(&key.as_string()) {
            versions.retain(|v| v.id != *version);
            if versions.is_empty() {
                bucket.objects.remove(&key.as_string());
            }
        }
        Ok(())
    }

    async fn restore(&self, key: &ObjectKey, version: &VersionId) -> StoreResult<PutOutcome> {
        let what = self.version_what(key, version);
        let mut bucket = self.bucket();
        let Some(source) = bucket.versions(key).iter().find(|v| v.id == *version) else {
            return Err(StoreError::NotFound { what });
        };
        let Some(data) = source.data.clone() else {
            return Err(StoreError::IsDeleteMarker {
                what,
                device: key.device(),
            });
        };
        let etag = data.etag();
        let id = bucket.push(key, Some(data));
        Ok(PutOutcome {
            etag: Some(etag),
            version_id: Some(id),
            location: self.describe(key),
            status: PutStatus::Written,
        })
    }

    async fn list_deleted(&self) -> StoreResult<Vec<DeletedEntry>> {
        let bucket = self.bucket();
        Ok(bucket
            .objects
            .iter()
            .filter_map(|(key, versions)| {
                let latest = versions.last().filter(|v| v.data.is_none())?;
                Some(DeletedEntry {
                    key: key.clone(),
                    marker_version_id: latest.id.clone(),
                    deleted_at: Some(latest.last_modified),
                })
            })
            .collect())
    }
}
