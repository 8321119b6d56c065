//! Where backups live: one small trait, [`Store`], with two implementations, an S3
//! bucket ([`S3Store`](crate::S3Store)) and a local directory laid out like the bucket
//! ([`LocalStore`](crate::LocalStore)); FFCE-SPEC §5.
//!
//! The trait holds what both backends really do. Versions (list, delete one, restore)
//! exist only on a versioned bucket, so they live in a second trait,
//! [`VersionedStore`], reached through [`Store::versioned`]; the local store does not
//! fake them and returns `None`.
//!
//! The trait is async and its futures are `Send`: call it from any tokio runtime (a
//! Lambda handler's included). The store never owns or hides a runtime; a
//! command-line caller blocks on it once, at its own edge.
//!
//! Where the backends differ, on purpose:
//! - `delete` of a missing object: both succeed and report `existed: false`, and
//!   neither writes anything (on S3 no second delete marker is stacked up).
//! - `etag`: on S3 the server's ETag (not an MD5 under SSE-KMS, never used as a
//!   digest); on the local store the hex SHA-256 of the file, which
//!   [`Condition::IfMatch`] compares against.
//! - Checksums and metadata: S3 stores the body's SHA-256 checksum and the plaintext's
//!   SHA-256 (`etag` user metadata) with the object; the local store keeps neither (a
//!   side file would break the bucket layout), so a local `get` reports
//!   [`ChecksumCheck::LocalFile`] and no plaintext digest.

use std::time::SystemTime;

use async_trait::async_trait;
use bytes::Bytes;
use ffce_core::{DeviceId, ObjectKey};
use futures_util::stream::{self, BoxStream, StreamExt as _};

use crate::checksum::ChecksumCheck;
use crate::error::{StoreResult, VersionId};
use crate::listing::ListPace;

/// The operations every backend has.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), ffce_store::StoreError> {
/// use bytes::Bytes;
/// use ffce_core::{DeviceId, Layout, ObjectKey};
/// use ffce_store::{LocalStore, PutOptions, Store};
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
/// assert_eq!(store.list().await?[0].key, key.as_string());
/// # Ok(()) }
/// ```
#[async_trait]
pub trait Store: Send + Sync {
    /// Where `key` lives, for output: `s3://bucket/key` or a local path.
    fn describe(&self, key: &ObjectKey) -> String;

    /// The store itself, for output: `s3://bucket` or the local root.
    fn describe_root(&self) -> String;

    /// Stores `body` under `key`. The caller has already validated the body (for a
    /// backup: `ffce_core::validate_upload`).
    ///
    /// A conditional put whose condition fails while `key` already holds exactly
    /// `body` is no conflict (the same backup uploaded twice, or a retry): it writes
    /// nothing and answers [`PutStatus::AlreadyStored`], on every backend.
    async fn put(&self, key: &ObjectKey, body: Bytes, opts: &PutOptions)
    -> StoreResult<PutOutcome>;

    /// Fetches `key` (the latest version, or `version`), with its checksum verified.
    ///
    /// A stored checksum (any of S3's algorithms) that does not match the body is
    /// [`StoreError::ChecksumMismatch`](crate::StoreError::ChecksumMismatch); the body
    /// is then not returned at all.
    async fn get(&self, key: &ObjectKey, version: Option<&VersionId>) -> StoreResult<Object>;

    /// Deletes `key`. A missing key is success with `existed: false`.
    async fn delete(&self, key: &ObjectKey) -> StoreResult<DeleteOutcome>;

    /// What [`delete`](Self::delete) of `key` would do now, without doing it, so that a
    /// caller can ask for a confirmation before a permanent deletion. The default, for
    /// a store that keeps no versions, reads none of the object's bytes: an object
    /// there would be deleted for good. (Between this answer and a delete, someone
    /// else may change the object.)
    async fn delete_effect(&self, key: &ObjectKey) -> StoreResult<DeleteEffect> {
        match self.read(key, ReadScope::Prefix(0)).await {
            Ok(_) => Ok(DeleteEffect::Permanent),
            Err(crate::StoreError::NotFound { .. }) => Ok(DeleteEffect::Nothing),
            Err(e) => Err(e),
        }
    }

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

    /// Reads the part of `key`'s latest version that `scope` asks for: the building
    /// block of a fleet audit ([`crate::audit::run`]). The default reads the whole
    /// object through [`get`](Self::get); the S3 store reads a prefix with one ranged
    /// GET, the local store only the file's first bytes.
    async fn read(&self, key: &ObjectKey, scope: ReadScope) -> StoreResult<Fetched> {
        let object = self.get(key, None).await?;
        Ok(Fetched::from_body(object.body, scope))
    }
}

/// How much of an object [`Store::read`] fetches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReadScope {
    /// The first `n` bytes and the object's total size: on S3 one ranged GET
    /// (`Range: bytes=0-(n-1)`), whose `Content-Range` carries the total. No checksum
    /// can be compared on a part of a body.
    Prefix(usize),
    /// The whole body, its stored SHA-256 checksum compared as by [`Store::get`] (a
    /// mismatch is [`StoreError::ChecksumMismatch`](crate::StoreError::ChecksumMismatch)).
    Whole,
}

/// One object read by [`Store::read`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fetched {
    /// The first bytes ([`ReadScope::Prefix`]; fewer when the object is shorter) or
    /// the whole body ([`ReadScope::Whole`]).
    pub bytes: Bytes,
    /// The object's full size in bytes.
    pub total_len: u64,
}

impl Fetched {
    /// The part of a whole `body` that `scope` asks for.
    pub fn from_body(body: Bytes, scope: ReadScope) -> Fetched {
        let total_len = body.len() as u64;
        let bytes = match scope {
            ReadScope::Prefix(n) => body.slice(..n.min(body.len())),
            ReadScope::Whole => body,
        };
        Fetched { bytes, total_len }
    }
}

/// The operations of a versioned bucket.
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
    pub version_id: Option<String>,
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

/// A downloaded object.
#[derive(Clone, Debug)]
pub struct Object {
    /// The body.
    pub body: Bytes,
    /// ETag without quotes.
    pub etag: Option<String>,
    /// Version id on a versioned bucket.
    pub version_id: Option<String>,
    /// The plaintext's SHA-256 from the `etag` user metadata, if the object has it.
    pub plaintext_digest: Option<PlaintextDigest>,
    /// How the body was checked.
    pub checksum: ChecksumCheck,
    /// Last modified.
    pub last_modified: Option<SystemTime>,
}

/// The `etag` user metadata of an object: the plaintext's SHA-256 as every writer
/// stores it (64 hex digits), or something else, which is reported and never compared.
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

/// What a delete did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeleteOutcome {
    /// Whether there was an object to delete.
    pub existed: bool,
    /// Whether the bucket kept the data and added a delete marker instead.
    pub delete_marker_added: bool,
    /// The delete marker's version id.
    pub version_id: Option<String>,
    /// The version that was latest before the delete (what `restore` brings back).
    pub previous_version_id: Option<String>,
}

/// What a delete of a key would do ([`Store::delete_effect`]).
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
    /// The key as stored (may be anything; see [`ffce_core::ListedKey`]).
    pub key: String,
    /// Size in bytes.
    pub size: u64,
    /// Last modified.
    pub last_modified: Option<SystemTime>,
}

/// A key whose latest version is a delete marker.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeletedEntry {
    /// The key as stored (may be anything; see [`ffce_core::ListedKey`]).
    pub key: String,
    /// The delete marker's version id.
    pub marker_version_id: String,
    /// When the marker was made: when the backup was deleted.
    pub deleted_at: Option<SystemTime>,
}

/// One version or delete marker.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VersionEntry {
    /// The version id.
    pub version_id: String,
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
