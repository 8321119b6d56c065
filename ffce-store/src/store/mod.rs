//! Where backups live: one small trait, [`Store`], with three implementations, an S3
//! bucket ([`S3Store`](crate::S3Store)), a local directory laid out like the bucket
//! ([`LocalStore`](crate::LocalStore)) and a versioned bucket in memory
//! ([`MemoryStore`](crate::MemoryStore)); docs/SPEC.md §5.
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

//!
//! Files: this one (the traits), `options` (how to read, write and delete), `outcomes`
//! (what a read, write, delete or listing gives back).

use std::fmt;
use std::time::SystemTime;

use async_trait::async_trait;
use bytes::Bytes;
use ffce_core::layout::{DeviceId, ObjectKey};
use futures_util::stream::{self, BoxStream, StreamExt as _};

use crate::error::{StoreResult, VersionId};
use crate::listing::ListPace;

mod options;
mod outcomes;

pub use options::{Condition, DeleteOptions, GetOptions, PutOptions};
pub use outcomes::{
    DeleteEffect, DeleteOutcome, DeletedEntry, ListEntry, Object, OverwriteEffect, PlaintextDigest,
    PutOutcome, PutStatus, VersionEntry,
};

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

    /// What a [`put`](Self::put) of `key` would do to the object there now, without
    /// writing: nothing there, kept as an older version, or destroyed. The default asks
    /// [`delete_effect`](Self::delete_effect) (a put replaces what a delete removes);
    /// the S3 store sends one HEAD. (Between this answer and a put, someone else may
    /// change the object.)
    async fn overwrite_effect(&self, key: &ObjectKey) -> StoreResult<OverwriteEffect> {
        Ok(match self.delete_effect(key).await? {
            DeleteEffect::Nothing => OverwriteEffect::Nothing,
            DeleteEffect::AddsDeleteMarker => OverwriteEffect::KeepsPrevious,
            DeleteEffect::Permanent => OverwriteEffect::Destroys,
        })
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
    /// An S3 bucket whose versioning was never enabled, which can hold no delete
    /// markers, is [`StoreError::Unversioned`](crate::StoreError::Unversioned) rather
    /// than an empty list.
    async fn list_deleted(&self) -> StoreResult<Vec<DeletedEntry>>;
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
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use ffce_store::parse_time;
///
/// let day = SystemTime::UNIX_EPOCH + Duration::from_secs(1_746_748_800);
/// assert_eq!(parse_time("2025-05-09"), Some(day));
/// assert_eq!(parse_time("2025-05-09T12:00:00Z"), Some(day + Duration::from_secs(43_200)));
/// assert_eq!(parse_time("yesterday"), None);
/// ```
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
