//! Where backups live: one small trait, [`Store`], with three implementations, an S3
//! bucket ([`S3Store`](crate::S3Store)), a local directory laid out like the bucket
//! ([`LocalStore`](crate::LocalStore)) and a versioned bucket in memory
//! ([`MemoryStore`](crate::MemoryStore)); FFCE-SPEC §5.
//!
//! The trait holds what every backend really does: a put, one read with options
//! ([`GetOptions`]), one delete with options ([`DeleteOptions`]) and the listing.
//! Versions (list, delete one, restore) exist only on a versioned store, so they live
//! in a second trait, [`VersionedStore`], reached through [`Store::versioned`]; the
//! local store does not fake them and returns `None`.
//!
//! The trait is async and its futures are `Send`: call it from any tokio runtime (a
//! Lambda handler's included). The store never owns or hides a runtime; a
//! command-line caller blocks on it once, at its own edge.
//!
//! Where the backends differ, on purpose:
//! - `delete` of a missing object: every backend succeeds and reports
//!   `existed: Some(false)`, and none writes anything (on S3 no second delete marker is
//!   stacked up).
//! - `etag`: on S3 the server's ETag (not an MD5 under SSE-KMS, never used as a
//!   digest); on the local store the hex SHA-256 of the file, which
//!   [`Condition::IfMatch`] compares against.
//! - Checksums and metadata: S3 stores the body's SHA-256 checksum and the plaintext's
//!   SHA-256 (`etag` user metadata) with the object; the local store keeps neither (a
//!   side file would break the bucket layout), so a local `get` reports
//!   [`ChecksumCheck::LocalFile`] and no plaintext digest. The in-memory store keeps
//!   both, as S3 does; its ETag is the body's hex SHA-256, as the local store's.
//! - A range read on the local store reads only the file's first bytes and reports no
//!   ETag (that would take reading the whole file).

use std::fmt;
use std::ops::RangeTo;
use std::time::SystemTime;

use async_trait::async_trait;
use bytes::Bytes;
use ffce_core::layout::{DeviceId, ObjectKey};
use futures_util::stream::{self, BoxStream, StreamExt as _};

use crate::checksum::ChecksumCheck;
use crate::error::{StoreResult, VersionId};
use crate::listing::ListPace;

/// The operations every backend has.
///
/// One read, [`get_opts`](Self::get_opts) (the whole object, its first bytes, only its
/// metadata, an older version; and whether a missing key is explained), and one
/// delete, [`delete_opts`](Self::delete_opts) (looked up first or not, or only what it
/// would do). [`get`](Self::get), [`delete`](Self::delete) and
/// [`delete_effect`](Self::delete_effect) are shorthands for their common options.
/// `Display` names the store itself (`s3://bucket`, a folder, `memory`).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), ffce_store::StoreError> {
/// use bytes::Bytes;
/// use ffce_core::{layout::{DeviceId, Layout, ObjectKey}};
/// use ffce_store::{GetOptions, LocalStore, PutOptions, Store};
///
/// let dir = tempfile::tempdir().unwrap();
/// let store = LocalStore::new(dir.path().to_path_buf());
/// let key = ObjectKey::new(
///     DeviceId::parse("3f2504e0-4f89-41d3-9a0c-0305e82c3301").unwrap(),
///     Layout::Nested,
/// );
/// let blob = Bytes::from_static(b"FFCE\x01 (a real caller seals a blob with ffce-core)");
/// store.put(&key, blob.clone(), &PutOptions::for_body(&blob)).await?;
/// assert_eq!(store.get(&key, None).await?.body, blob);
///
/// let first = store.get_opts(&key, &GetOptions::prefix(4)).await?;
/// assert_eq!((&first.body[..], first.size), (&b"FFCE"[..], blob.len() as u64));
/// assert_eq!(store.list().await?[0].key, key.as_string());
/// assert_eq!(store.to_string(), dir.path().display().to_string());
/// # Ok(()) }
/// ```
#[async_trait]
pub trait Store: fmt::Display + Send + Sync {
    /// Where `key` lives, for output: `s3://bucket/key` or a local path.
    fn describe(&self, key: &ObjectKey) -> String;

    /// Stores `body` under `key`. The caller has already validated the body (for a
    /// backup: `ffce_core::upload::validate_upload`).
    ///
    /// A conditional put whose condition fails while `key` already holds exactly
    /// `body` is no conflict (the same backup uploaded twice, or a retry): it writes
    /// nothing and answers [`PutStatus::AlreadyStored`], on every backend.
    async fn put(&self, key: &ObjectKey, body: Bytes, opts: &PutOptions)
    -> StoreResult<PutOutcome>;

    /// Reads `key` as `opts` say (see [`GetOptions`]).
    ///
    /// A whole read has its checksum verified: a stored checksum (any of S3's
    /// algorithms) that does not match the body is
    /// [`StoreError::ChecksumMismatch`](crate::StoreError::ChecksumMismatch), and the
    /// body is then not returned at all. A missing key is
    /// [`StoreError::NotFound`](crate::StoreError::NotFound), or, with
    /// [`GetOptions::explain_missing`] on a versioned store whose latest version is a
    /// delete marker, [`StoreError::Deleted`](crate::StoreError::Deleted).
    async fn get_opts(&self, key: &ObjectKey, opts: &GetOptions) -> StoreResult<Object>;

    /// Deletes `key` as `opts` say (see [`DeleteOptions`]). A missing key is success.
    async fn delete_opts(
        &self,
        key: &ObjectKey,
        opts: &DeleteOptions,
    ) -> StoreResult<DeleteOutcome>;

    /// Every object in the store, in key order (pagination is the store's business;
    /// [`list_pages`](Self::list_pages) hands the pages over as they arrive).
    /// A store that does not exist is an error ([`StoreError::NoBucket`](crate::StoreError::NoBucket),
    /// [`StoreError::NoFolder`](crate::StoreError::NoFolder)), never an empty list.
    async fn list(&self) -> StoreResult<Vec<ListEntry>>;

    /// Every object in the store, page by page as the pages arrive: each key exactly
    /// once, in no particular order across pages. A reader can start on the first page
    /// while the rest are still being listed (a fleet audit does), and holds only the
    /// pages it has not taken yet. A failed request is an `Err` item (on S3 it ends
    /// its own prefix's listing, not the others'); the listing is then incomplete, and
    /// a caller stops at the first.
    ///
    /// The default hands over [`list`](Self::list) as one page; the S3 store lists
    /// the sixteen hex prefixes of the device UUIDs and the keys outside the layout at
    /// the same time, one request per page, as many of them at once as `pace` says.
    fn list_pages(&self, pace: ListPace) -> BoxStream<'_, StoreResult<Vec<ListEntry>>> {
        let _ = pace;
        stream::once(self.list()).boxed()
    }

    /// How many requests were retried so far (each attempt after a request's first,
    /// after throttling (`503 SlowDown`), a server error or a cut connection), over
    /// the store's life. Always 0 for a store that makes no requests.
    fn retries(&self) -> u64 {
        0
    }

    /// Every object whose key starts with `device`'s UUID in lowercase or uppercase, in
    /// either layout: where a backup may be when it is not at its key (see
    /// [`crate::near_misses`]). The default filters [`list`](Self::list); the S3 store
    /// asks for just those prefixes.
    async fn list_device(&self, device: DeviceId) -> StoreResult<Vec<ListEntry>> {
        let id = device.to_string();
        Ok(self
            .list()
            .await?
            .into_iter()
            .filter(|e| {
                let head = e.key.split('/').next().unwrap_or_default();
                head.eq_ignore_ascii_case(&id)
            })
            .collect())
    }

    /// The version operations, if this store has them.
    fn versioned(&self) -> Option<&dyn VersionedStore> {
        None
    }

    /// The whole latest object (or `version`), its checksum verified and a missing
    /// key explained: [`get_opts`](Self::get_opts) with [`GetOptions::default`] (or
    /// [`GetOptions::version`]).
    async fn get(&self, key: &ObjectKey, version: Option<&VersionId>) -> StoreResult<Object> {
        let opts = match version {
            Some(v) => GetOptions::version(v.clone()),
            None => GetOptions::default(),
        };
        self.get_opts(key, &opts).await
    }

    /// Deletes `key`, looking first: [`delete_opts`](Self::delete_opts) with
    /// [`DeleteOptions::default`]. A missing key is success with `existed: Some(false)`.
    async fn delete(&self, key: &ObjectKey) -> StoreResult<DeleteOutcome> {
        self.delete_opts(key, &DeleteOptions::default()).await
    }

    /// What [`delete`](Self::delete) of `key` would do now, without doing it, so that a
    /// caller can ask for a confirmation before a permanent deletion: a
    /// [`DeleteOptions::dry_run`]. (Between this answer and a delete, someone else may
    /// change the object.)
    async fn delete_effect(&self, key: &ObjectKey) -> StoreResult<DeleteEffect> {
        let would = self.delete_opts(key, &DeleteOptions::dry_run()).await?;
        Ok(would.effect())
    }
}

/// What [`Store::get_opts`] reads. The default is the whole latest object with a
/// missing key explained, as [`Store::get`] reads it.
///
/// ```
/// use ffce_store::{GetOptions, VersionId};
///
/// // The 37-byte header and the object's size, as an audit reads them.
/// let header = GetOptions::prefix(37).explain_missing(false);
/// assert_eq!(header.range, Some(..37));
/// // Only the metadata (the `etag`), as the device API compares it.
/// assert!(GetOptions::head().head);
/// let old = GetOptions::version(VersionId::parse("3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY").unwrap());
/// assert!(old.explain_missing && old.range.is_none());
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GetOptions {
    /// An older version instead of the latest
    /// ([`StoreError::NoVersions`](crate::StoreError::NoVersions) on a store that keeps
    /// none).
    pub version: Option<VersionId>,
    /// Only the first bytes: [`Object::body`] holds at most this many (fewer when the
    /// object is shorter) and [`Object::size`] the whole object's size. On S3 one
    /// ranged GET. No checksum can be compared on a part of a body
    /// ([`ChecksumCheck::PartialRead`]).
    pub range: Option<RangeTo<usize>>,
    /// Only the metadata, no body (on S3 one HEAD). Wins over `range`.
    pub head: bool,
    /// When the key has no object, find out why: on a versioned S3 bucket one more
    /// request (ListObjectVersions) tells an object deleted with its earlier versions
    /// kept ([`StoreError::Deleted`](crate::StoreError::Deleted)) from one never
    /// stored. Off, a missing key is [`StoreError::NotFound`](crate::StoreError::NotFound)
    /// at once, with no request beyond the read: for a role allowed `s3:GetObject`
    /// alone, which may not list versions. Ignored for a read of a version.
    pub explain_missing: bool,
}

impl Default for GetOptions {
    fn default() -> GetOptions {
        GetOptions {
            version: None,
            range: None,
            head: false,
            explain_missing: true,
        }
    }
}

impl GetOptions {
    /// The whole of `version`.
    pub fn version(version: VersionId) -> GetOptions {
        GetOptions {
            version: Some(version),
            ..GetOptions::default()
        }
    }

    /// The first `n` bytes of the latest version, and its size.
    pub fn prefix(n: usize) -> GetOptions {
        GetOptions {
            range: Some(..n),
            ..GetOptions::default()
        }
    }

    /// The latest version's metadata, no body.
    pub fn head() -> GetOptions {
        GetOptions {
            head: true,
            ..GetOptions::default()
        }
    }

    /// The same options, explaining a missing key or not (see
    /// [`explain_missing`](Self::explain_missing)).
    pub fn explain_missing(self, explain: bool) -> GetOptions {
        GetOptions {
            explain_missing: explain,
            ..self
        }
    }
}

/// How [`Store::delete_opts`] deletes. The default looks first.
///
/// ```
/// use ffce_store::DeleteOptions;
///
/// assert!(DeleteOptions::default().look_first);
/// // One DeleteObject and nothing else: for a role allowed `s3:DeleteObject` alone.
/// assert!(!DeleteOptions::blind().look_first);
/// assert!(DeleteOptions::dry_run().dry_run);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DeleteOptions {
    /// Find out first what is there (on S3 one HEAD, and a HEAD of the bucket when the
    /// key is missing): the outcome then says whether there was an object and which
    /// version was the latest, and a missing key writes nothing (no second delete
    /// marker is stacked up). Off, the delete is one request that looks nothing up
    /// (`existed` is then `None` where the store cannot tell: S3 answers a DeleteObject
    /// the same, and adds a marker, whether or not there was an object).
    pub look_first: bool,
    /// Only find out what the delete would do ([`DeleteOutcome::effect`]); nothing
    /// is deleted. Looks first whatever [`look_first`](Self::look_first) says.
    pub dry_run: bool,
}

impl Default for DeleteOptions {
    fn default() -> DeleteOptions {
        DeleteOptions {
            look_first: true,
            dry_run: false,
        }
    }
}

impl DeleteOptions {
    /// One delete request, nothing looked up.
    pub fn blind() -> DeleteOptions {
        DeleteOptions {
            look_first: false,
            dry_run: false,
        }
    }

    /// What a delete would do, without deleting.
    pub fn dry_run() -> DeleteOptions {
        DeleteOptions {
            look_first: true,
            dry_run: true,
        }
    }
}

/// The operations of a versioned bucket.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use bytes::Bytes;
/// use ffce_core::layout::{DeviceId, Layout, ObjectKey};
/// use ffce_store::{MemoryStore, PutOptions, Store};
///
/// let store = MemoryStore::new();
/// let key = ObjectKey::new(DeviceId::parse("3f2504e0-4f89-41d3-9a0c-0305e82c3301")?, Layout::Nested);
/// for body in [b"FFCE one", b"FFCE two"] {
///     let body = Bytes::from_static(body);
///     store.put(&key, body.clone(), &PutOptions::for_body(&body)).await?;
/// }
/// let versions = store.versioned().expect("a versioned store");
/// let listed = versions.list_versions(&key).await?; // newest first
/// versions.restore(&key, &listed[1].version_id).await?;
/// assert_eq!(&store.get(&key, None).await?.body[..], b"FFCE one");
/// # Ok(()) }
/// ```
#[async_trait]
pub trait VersionedStore: Send + Sync {
    /// Every version and delete marker of exactly `key`, newest first.
    async fn list_versions(&self, key: &ObjectKey) -> StoreResult<Vec<VersionEntry>>;

    /// Permanently deletes one version or delete marker.
    ///
    /// S3 answers success for a version id it does not know, so this cannot say
    /// whether there was one; a caller that must report a missing version looks it up
    /// with [`list_versions`](Self::list_versions) first.
    async fn delete_version(&self, key: &ObjectKey, version: &VersionId) -> StoreResult<()>;

    /// Makes `version` the latest again by a server-side copy (which also undoes a
    /// delete). A missing version is
    /// [`StoreError::NotFound`](crate::StoreError::NotFound).
    async fn restore(&self, key: &ObjectKey, version: &VersionId) -> StoreResult<PutOutcome>;

    /// Every key in the bucket whose latest version is a delete marker (the backups
    /// someone deleted; earlier versions are kept), in key order, with the marker.
    async fn list_deleted(&self) -> StoreResult<Vec<DeletedEntry>>;
}

/// A write guard: when a put may happen.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use bytes::Bytes;
/// use ffce_core::layout::{DeviceId, Layout, ObjectKey};
/// use ffce_store::{Condition, MemoryStore, PutOptions, Store, StoreError};
///
/// let store = MemoryStore::new();
/// let key = ObjectKey::new(DeviceId::parse("3f2504e0-4f89-41d3-9a0c-0305e82c3301")?, Layout::Flat);
/// let (a, b) = (Bytes::from_static(b"FFCE a"), Bytes::from_static(b"FFCE b"));
/// let first = store.put(&key, a.clone(), &PutOptions::for_body(&a)).await?;
/// let if_absent = PutOptions { condition: Condition::IfAbsent, ..PutOptions::for_body(&b) };
/// assert!(matches!(store.put(&key, b.clone(), &if_absent).await, Err(StoreError::AlreadyExists { .. })));
/// // Compare and swap: only over the object this writer read.
/// let swap = PutOptions { condition: Condition::IfMatch(first.etag.unwrap()), ..PutOptions::for_body(&b) };
/// store.put(&key, b.clone(), &swap).await?;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Condition {
    /// Always.
    None,
    /// Only if there is no object yet (S3 `If-None-Match: *`).
    IfAbsent,
    /// Only if the current object's ETag is this one (S3 `If-Match`). Quotes optional.
    IfMatch(String),
}

/// How to store a body.
///
/// ```
/// use ffce_store::{Condition, PutOptions};
///
/// let blob = b"FFCE (a sealed blob)";
/// // Only where there is no backup yet, with the plaintext's digest as `etag` metadata.
/// let opts = PutOptions {
///     condition: Condition::IfAbsent,
///     plaintext_sha256: Some([0xab; 32]),
///     ..PutOptions::for_body(blob)
/// };
/// assert_eq!(opts.sse_kms_key_id, None, "the bucket's default encryption");
/// ```
#[derive(Clone, Debug)]
pub struct PutOptions {
    /// SHA-256 of the body, sent as the S3 checksum (the server checks it on AWS).
    pub content_sha256: [u8; 32],
    /// SHA-256 of the plaintext, stored as user metadata `etag`, when known.
    pub plaintext_sha256: Option<[u8; 32]>,
    /// SSE-KMS key id; `None` leaves encryption to the bucket default.
    pub sse_kms_key_id: Option<String>,
    /// The write guard.
    pub condition: Condition,
}

impl PutOptions {
    /// Unconditional, bucket-default encryption, no plaintext digest: the options of
    /// a plain upload of `body`, whose SHA-256 they carry.
    pub fn for_body(body: &[u8]) -> PutOptions {
        use sha2::Digest as _;
        PutOptions {
            content_sha256: sha2::Sha256::digest(body).into(),
            plaintext_sha256: None,
            sse_kms_key_id: None,
            condition: Condition::None,
        }
    }
}

/// What a put did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PutOutcome {
    /// The object's ETag, without quotes (opaque; never a digest under SSE-KMS).
    pub etag: Option<String>,
    /// The object's version id on a versioned bucket.
    pub version_id: Option<VersionId>,
    /// Where it went: `s3://bucket/key` or a local path.
    pub location: String,
    /// Whether anything was written.
    pub status: PutStatus,
}

/// Whether a put wrote the body, or found it already there.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PutStatus {
    /// The body was written: a new object, or a new version of it.
    Written,
    /// A conditional put ([`Condition::IfAbsent`], or [`Condition::IfMatch`] with
    /// another ETag) found exactly this body already stored under the key and wrote
    /// nothing. The outcome's ETag and version id are the stored object's.
    AlreadyStored,
}

/// An object read by [`Store::get_opts`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Object {
    /// The body: all of it, its first bytes ([`GetOptions::range`]), or nothing
    /// ([`GetOptions::head`]).
    pub body: Bytes,
    /// The whole object's size in bytes, however much of it was read.
    pub size: u64,
    /// ETag without quotes (`None` where a backend cannot give it without reading the
    /// whole body: the local store's range reads).
    pub etag: Option<String>,
    /// Version id on a versioned bucket.
    pub version_id: Option<VersionId>,
    /// The plaintext's SHA-256 from the `etag` user metadata, if the object has it.
    pub plaintext_digest: Option<PlaintextDigest>,
    /// How the body was checked.
    pub checksum: ChecksumCheck,
    /// Last modified.
    pub last_modified: Option<SystemTime>,
}

/// The `etag` user metadata of an object: the plaintext's SHA-256 as every writer
/// stores it (64 hex digits), or something else, which is reported and never compared.
///
/// ```
/// use ffce_store::PlaintextDigest;
///
/// assert_eq!(PlaintextDigest::parse(&"AB".repeat(32)), PlaintextDigest::Sha256([0xab; 32]));
/// assert_eq!(PlaintextDigest::parse("W/\"x\""), PlaintextDigest::NotASha256);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PlaintextDigest {
    /// A SHA-256 (the metadata held 64 hex digits, either case).
    Sha256([u8; 32]),
    /// The metadata is there but is not a SHA-256.
    NotASha256,
}

impl PlaintextDigest {
    /// Reads the metadata value.
    pub fn parse(value: &str) -> PlaintextDigest {
        let mut digest = [0u8; 32];
        match hex::decode_to_slice(value.trim(), &mut digest) {
            Ok(()) => PlaintextDigest::Sha256(digest),
            Err(_) => PlaintextDigest::NotASha256,
        }
    }
}

/// What a delete did (or, for a [`DeleteOptions::dry_run`], would do).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeleteOutcome {
    /// Whether there was an object to delete; `None` when the delete did not look
    /// first ([`DeleteOptions::blind`]).
    pub existed: Option<bool>,
    /// Whether the bucket kept the data and added a delete marker instead (would, for
    /// a dry run).
    pub delete_marker_added: bool,
    /// The delete marker's version id (none for a dry run).
    pub version_id: Option<VersionId>,
    /// The version that was latest before the delete (what `restore` brings back).
    pub previous_version_id: Option<VersionId>,
}

impl DeleteOutcome {
    /// The outcome of a delete of a key with no object: nothing to do.
    pub fn nothing() -> DeleteOutcome {
        DeleteOutcome {
            existed: Some(false),
            delete_marker_added: false,
            version_id: None,
            previous_version_id: None,
        }
    }

    /// What the delete did to the data: nothing, hid it behind a delete marker, or
    /// removed it for good. A blind delete that added no marker counts as permanent:
    /// whatever was there is gone.
    pub fn effect(&self) -> DeleteEffect {
        match (self.existed, self.delete_marker_added) {
            (Some(false), _) => DeleteEffect::Nothing,
            (_, true) => DeleteEffect::AddsDeleteMarker,
            _ => DeleteEffect::Permanent,
        }
    }
}

/// What a delete of a key does or would do ([`DeleteOutcome::effect`],
/// [`Store::delete_effect`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeleteEffect {
    /// There is no object: the delete would change nothing.
    Nothing,
    /// The data would be kept: a delete marker hides it, and removing the marker (or
    /// restoring a version) brings it back.
    AddsDeleteMarker,
    /// The data would be gone for good (a store or bucket that keeps no versions).
    Permanent,
}

/// One object of a listing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListEntry {
    /// The key as stored (may be anything; see [`ffce_core::layout::ListedKey`]).
    pub key: String,
    /// Size in bytes.
    pub size: u64,
    /// Last modified.
    pub last_modified: Option<SystemTime>,
}

/// A key whose latest version is a delete marker.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeletedEntry {
    /// The key as stored (may be anything; see [`ffce_core::layout::ListedKey`]).
    pub key: String,
    /// The delete marker's version id.
    pub marker_version_id: VersionId,
    /// When the marker was made: when the backup was deleted.
    pub deleted_at: Option<SystemTime>,
}

/// One version or delete marker.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VersionEntry {
    /// The version id.
    pub version_id: VersionId,
    /// Whether it is the current one.
    pub is_latest: bool,
    /// Whether it is a delete marker.
    pub is_delete_marker: bool,
    /// Size in bytes (`None` for a delete marker).
    pub size: Option<u64>,
    /// Last modified.
    pub last_modified: Option<SystemTime>,
    /// ETag without quotes (`None` for a delete marker).
    pub etag: Option<String>,
}

/// RFC 3339 UTC to the second, e.g. `2025-01-31T12:00:00Z` (S3 keeps whole seconds;
/// local files' finer times are cut to match).
///
/// ```
/// use std::time::{Duration, SystemTime};
///
/// let t = SystemTime::UNIX_EPOCH + Duration::from_millis(1_746_792_000_500);
/// assert_eq!(ffce_store::format_time(t), "2025-05-09T12:00:00Z");
/// ```
pub fn format_time(t: SystemTime) -> String {
    use aws_smithy_types::date_time::{DateTime, Format};
    let secs = DateTime::from(t).secs();
    DateTime::from_secs(secs)
        .fmt(Format::DateTime)
        .unwrap_or_else(|_| "?".to_string())
}

/// Reads a time as [`format_time`] writes it (RFC 3339 in UTC, `2026-11-30T08:00:00Z`,
/// fractions of a second allowed), or a date alone (`2026-11-30`), which means its
/// first second, UTC. `None` for anything else.
pub fn parse_time(text: &str) -> Option<SystemTime> {
    use aws_smithy_types::date_time::{DateTime, Format};
    let text = text.trim();
    let full;
    let text = if text.len() == 10 && text.as_bytes().get(4) == Some(&b'-') {
        full = format!("{text}T00:00:00Z");
        &full
    } else {
        text
    };
    let t = DateTime::from_str(text, Format::DateTime).ok()?;
    SystemTime::try_from(t).ok()
}

/// Strips the quotes S3 puts around an ETag.
///
/// ```
/// assert_eq!(ffce_store::unquote_etag(" \"abc\" "), "abc");
/// ```
pub fn unquote_etag(etag: &str) -> String {
    etag.trim().trim_matches('"').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plaintext_digests() {
        let hex = "AB".repeat(32);
        assert_eq!(
            PlaintextDigest::parse(&format!(" {hex}\n")),
            PlaintextDigest::Sha256([0xab; 32])
        );
        assert_eq!(PlaintextDigest::parse("abc"), PlaintextDigest::NotASha256);
        assert_eq!(
            PlaintextDigest::parse(&"g".repeat(64)),
            PlaintextDigest::NotASha256
        );
    }

    #[test]
    fn etag_quotes() {
        assert_eq!(unquote_etag("\"abc\""), "abc");
        assert_eq!(unquote_etag("abc"), "abc");
    }

    #[test]
    fn times_are_rfc3339() {
        let t = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_700_000_000);
        assert_eq!(format_time(t), "2023-11-14T22:13:20Z");
        assert_eq!(parse_time("2023-11-14T22:13:20Z"), Some(t));
        assert_eq!(parse_time(&format_time(t)), Some(t));
        let day = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_699_920_000);
        assert_eq!(parse_time("2023-11-14"), Some(day));
        assert_eq!(parse_time("2023-11-14T22:13:20.000Z"), Some(t));
        for bad in [
            "",
            "2023-11",
            "2023-13-01",
            "yesterday",
            "3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY",
        ] {
            assert_eq!(parse_time(bad), None, "{bad}");
        }
    }
}
