//! What a store gives back: a read's [`Object`], a write's [`PutOutcome`], a delete's
//! [`DeleteOutcome`], and the entries of listings.

use std::time::SystemTime;

use bytes::Bytes;

use crate::checksum::ChecksumCheck;
use crate::error::VersionId;
#[cfg(doc)]
use crate::{Condition, DeleteOptions, GetOptions, Store};

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

/// What a put of a key would do to the object there now ([`Store::overwrite_effect`]),
/// so that a caller can ask before a write destroys the only copy of a backup.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OverwriteEffect {
    /// There is no object: the put creates the first one.
    Nothing,
    /// The object stays as an older version (a versioned bucket).
    KeepsPrevious,
    /// The object would be gone for good (a store or bucket that keeps no versions,
    /// or a suspended bucket's `null` version).
    Destroys,
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
