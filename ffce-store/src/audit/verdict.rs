//! What one read says about one object: its [`Status`], its [`Problem`]s, and the
//! [`Finding`] that carries them.

use std::fmt;
use std::time::SystemTime;

use ffce_core::content::{Unrestorable, restore_verdict};
use ffce_core::keys::KeyOrigin;
use ffce_core::layout::ObjectKey;
use ffce_core::upload::UploadError;
use ffce_core::{Error, Header, Key, Purpose};
use sha2::{Digest, Sha256};

use crate::error::StoreError;
use crate::store::{Object, PlaintextDigest};

/// The verdict on one object.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Status {
    /// Well-formed (and with a key, authentic).
    Valid,
    /// Structurally broken: too short, wrong magic, another version, or a declared
    /// length that does not match the size.
    Malformed,
    /// Well-formed, but larger than the cloud accepts (524,288 bytes).
    TooLarge,
    /// Well-formed, but the tag does not verify with the key given.
    AuthenticationFailed,
    /// Well-formed, but the key folder has no key for this device, so it could not be
    /// authenticated (not a failure).
    NoKey,
    /// The body does not match the SHA-256 checksum stored with it.
    ChecksumMismatch,
    /// Authentic, but the plaintext's SHA-256 is not the digest stored with it (the
    /// `etag` metadata, docs/SPEC.md §7): `get --decrypt` refuses it, and a device
    /// that compares digests would not take it for the backup it uploaded.
    DigestMismatch,
    /// Authentic, but a plaintext the controller would not restore (docs/SPEC.md §4:
    /// empty, a NUL byte, not JSON, not a Dexie export).
    ContentUnrestorable,
    /// Listed, but deleted before it could be read (not a failure).
    Gone,
    /// The read failed (after the SDK's retries); nothing is known about the object.
    Error,
}

impl Status {
    /// A stable snake_case name, e.g. `too_large`.
    pub fn name(self) -> &'static str {
        match self {
            Status::Valid => "valid",
            Status::Malformed => "malformed",
            Status::TooLarge => "too_large",
            Status::AuthenticationFailed => "authentication_failed",
            Status::NoKey => "no_key",
            Status::ChecksumMismatch => "checksum_mismatch",
            Status::DigestMismatch => "digest_mismatch",
            Status::ContentUnrestorable => "content_unrestorable",
            Status::Gone => "gone",
            Status::Error => "error",
        }
    }

    /// True for the verdicts that say the backup is bad (malformed, too large, not
    /// authentic, checksum or digest mismatch, content the controller will not
    /// restore), as opposed to valid or unknown.
    pub fn is_invalid(self) -> bool {
        matches!(
            self,
            Status::Malformed
                | Status::TooLarge
                | Status::AuthenticationFailed
                | Status::ChecksumMismatch
                | Status::DigestMismatch
                | Status::ContentUnrestorable
        )
    }
}

/// One reason behind a verdict.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Problem {
    /// What `ffce-core` found: a structural problem, the upload limit, or an
    /// authentication failure.
    Format(Error),
    /// The body does not match the checksum stored with it (base64 digests).
    ChecksumMismatch {
        /// The algorithm of the stored checksum.
        algorithm: crate::ChecksumAlgorithm,
        /// The stored checksum.
        expected: String,
        /// The body's checksum in that algorithm.
        actual: String,
    },
    /// The plaintext's SHA-256 is not the `etag` metadata stored with the object
    /// (both in lowercase hex).
    DigestMismatch {
        /// The stored digest.
        stored: String,
        /// The plaintext's SHA-256.
        actual: String,
    },
    /// A reason the controller would not restore the plaintext.
    Content(Unrestorable),
    /// Deleted after the listing, before it was read.
    Gone,
    /// The read failed; the store's error, as text.
    ReadFailed(String),
    /// The key folder has no key for this device (the path it looked for).
    NoKey(String),
    /// The device's key file could not be used; why, as text (never the key).
    KeyFile(String),
}

impl Problem {
    /// A stable snake_case code: [`ffce_core::Error::code`] for a format problem,
    /// [`Unrestorable::code`] for a content problem, else `checksum_mismatch`,
    /// `digest_mismatch`, `not_found`, `request_failed`, `no_key` or `bad_key_file`.
    pub fn code(&self) -> &'static str {
        match self {
            Problem::Format(e) => e.code(),
            Problem::ChecksumMismatch { .. } => "checksum_mismatch",
            Problem::DigestMismatch { .. } => "digest_mismatch",
            Problem::Content(p) => p.code(),
            Problem::Gone => "not_found",
            Problem::ReadFailed(_) => "request_failed",
            Problem::NoKey(_) => "no_key",
            Problem::KeyFile(_) => "bad_key_file",
        }
    }

    /// The verdict this problem alone leads to.
    fn status(&self) -> Status {
        match self {
            Problem::Format(Error::TooLarge { .. }) => Status::TooLarge,
            Problem::Format(Error::AuthenticationFailed) => Status::AuthenticationFailed,
            Problem::Format(_) => Status::Malformed,
            Problem::ChecksumMismatch { .. } => Status::ChecksumMismatch,
            Problem::DigestMismatch { .. } => Status::DigestMismatch,
            Problem::Content(_) => Status::ContentUnrestorable,
            Problem::Gone => Status::Gone,
            Problem::ReadFailed(_) | Problem::KeyFile(_) => Status::Error,
            Problem::NoKey(_) => Status::NoKey,
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::Format(e) => e.fmt(f),
            Problem::ChecksumMismatch {
                algorithm,
                expected,
                actual,
            } => write!(
                f,
                "the body does not match its stored {algorithm} checksum (stored {expected}, \
                 body {actual})"
            ),
            Problem::DigestMismatch { stored, actual } => write!(
                f,
                "the plaintext's SHA-256 does not match the object's `etag` metadata (the \
                 plaintext digest: stored {stored}, plaintext {actual})"
            ),
            Problem::Content(p) => write!(f, "{p}; the device will not restore it as it is"),
            Problem::Gone => f.write_str("deleted after the listing, before it was read"),
            Problem::ReadFailed(message) | Problem::KeyFile(message) => f.write_str(message),
            Problem::NoKey(path) => write!(f, "no key for this device ({path} does not exist)"),
        }
    }
}

/// One audited object.
#[derive(Clone, Debug, PartialEq)]
pub struct Finding {
    /// The object.
    pub key: ObjectKey,
    /// Its size in bytes (from the read; from the listing when the read failed).
    pub size: u64,
    /// When it was last written, from the listing (`None` when the store did not say).
    pub last_modified: Option<SystemTime>,
    /// The verdict.
    pub status: Status,
    /// Why, most important first (empty when valid).
    pub problems: Vec<Problem>,
}

impl Finding {
    pub(super) fn new(key: ObjectKey, size: u64, problems: Vec<Problem>) -> Finding {
        // The worst problem decides: malformed outranks too large, which outranks an
        // authentication failure (which is only tried on a well-formed blob); a digest
        // that does not match outranks what the content is (both only of an authentic
        // blob): the plaintext is not the one that was stored.
        let status = problems
            .iter()
            .map(Problem::status)
            .min_by_key(|s| match s {
                Status::Malformed => 0,
                Status::TooLarge => 1,
                Status::DigestMismatch => 3,
                Status::ContentUnrestorable => 4,
                _ => 2,
            })
            .unwrap_or(Status::Valid);
        Finding {
            key,
            size,
            last_modified: None,
            status,
            problems,
        }
    }

    /// The code that the totals count an invalid object under: its first problem's.
    pub fn reason(&self) -> Option<&'static str> {
        self.problems.first().map(Problem::code)
    }
}

/// The structural problems of an object from its first bytes and its total size,
/// in the order of docs/SPEC.md §1 (too short, magic, version, length), then the
/// upload limit. Empty for a well-formed blob within the limit.
///
/// `prefix` holds the first `min(total_len, 37)` bytes (more are ignored).
///
/// ```
/// use ffce_store::audit::structural_problems;
///
/// let header = [b"FFCE\x01".as_slice(), &[0; 12], &5u32.to_le_bytes(), &[0; 16]].concat();
/// assert!(structural_problems(&header, 37 + 5).is_empty());
/// let problems = structural_problems(&header, 37 + 4);
/// assert_eq!(problems[0].code(), "length_mismatch");
/// ```
pub fn structural_problems(prefix: &[u8], total_len: u64) -> Vec<Error> {
    let total = usize::try_from(total_len).unwrap_or(usize::MAX);
    let mut problems = match Header::read(prefix) {
        Ok(header) => header.check_total_len(total_len),
        // Fewer bytes than a header: the prefix is the whole object.
        Err(_) => ffce_core::inspect(&prefix[..prefix.len().min(total)]).problems,
    };
    push_too_large(&mut problems, total);
    problems
}

/// Adds the cloud's upload limit to a list of format problems, when it is exceeded.
fn push_too_large(problems: &mut Vec<Error>, len: usize) {
    if let Err(e @ UploadError::TooLarge { .. }) = ffce_core::upload::validate_upload_len(len) {
        problems.push(e.into());
    }
}

/// Judges one object from a keyless read (header bytes and total size).
///
/// ```
/// use ffce_core::layout::{DeviceId, Layout, ObjectKey};
/// use ffce_store::audit::{Status, judge_header};
///
/// let object = ObjectKey::new(DeviceId::parse("3f2504e0-4f89-41d3-9a0c-0305e82c3301").unwrap(), Layout::Flat);
/// let finding = judge_header(object, b"{\"formatName\"", 5_000);
/// assert_eq!(finding.status, Status::Malformed);
/// ```
pub fn judge_header(key: ObjectKey, prefix: &[u8], total_len: u64) -> Finding {
    let problems = structural_problems(prefix, total_len)
        .into_iter()
        .map(Problem::Format)
        .collect();
    Finding::new(key, total_len, problems)
}

/// Judges one object from its whole body and a key: structure, the upload limit,
/// authentication (tried only on a well-formed blob), and of an authentic blob the
/// content ([`restore_verdict`]; not for a key derived for `configfs`, whose files are
/// no backups), in that order. [`judge_read`] also compares the stored digest.
///
/// ```
/// use ffce_core::layout::{DeviceId, Layout, ObjectKey};
/// use ffce_core::{MasterSecret, Purpose};
/// use ffce_store::audit::{Status, judge_whole};
///
/// let object = ObjectKey::new(DeviceId::parse("3f2504e0-4f89-41d3-9a0c-0305e82c3301").unwrap(), Layout::Flat);
/// let key = MasterSecret::from_bytes([0x11; 32]).derive(Purpose::Backup);
/// let other = MasterSecret::from_bytes([0x22; 32]).derive(Purpose::Backup);
/// let export = br#"{"formatName":"dexie","formatVersion":1,"data":{"tables":[],"data":[]}}"#;
/// let blob = key.seal(export).unwrap();
/// assert_eq!(judge_whole(object, &blob, &key).status, Status::Valid);
/// assert_eq!(judge_whole(object, &blob, &other).status, Status::AuthenticationFailed);
/// // Authentic, but JSON the controller's app will not import.
/// let not_an_export = key.seal(b"{}").unwrap();
/// assert_eq!(judge_whole(object, &not_an_export, &key).status, Status::ContentUnrestorable);
/// ```
pub fn judge_whole(object: ObjectKey, body: &[u8], key: &Key) -> Finding {
    judge_opened(object, body, None, key)
}

/// Judges one whole read with a key: [`judge_whole`], then the plaintext's SHA-256
/// against the digest the read carried (the `etag` metadata comes with the GET: no
/// further request). A digest that is not a SHA-256 is not compared.
///
/// ```
/// use bytes::Bytes;
/// use ffce_core::layout::{DeviceId, Layout, ObjectKey};
/// use ffce_core::{MasterSecret, Purpose};
/// use ffce_store::audit::{Status, judge_read};
/// use ffce_store::{ChecksumCheck, Object, PlaintextDigest};
///
/// let object = ObjectKey::new(DeviceId::parse("3f2504e0-4f89-41d3-9a0c-0305e82c3301").unwrap(), Layout::Flat);
/// let key = MasterSecret::from_bytes([0x11; 32]).derive(Purpose::Backup);
/// let export = br#"{"formatName":"dexie","formatVersion":1,"data":{"databaseName":"FireFly-Controller","tables":[],"data":[]}}"#;
/// let read = Object {
///     body: Bytes::from(key.seal(export).unwrap()),
///     size: 0,
///     etag: None,
///     version_id: None,
///     last_modified: None,
///     plaintext_digest: Some(PlaintextDigest::Sha256([0; 32])),
///     checksum: ChecksumCheck::Absent,
/// };
/// assert_eq!(judge_read(object, &read, &key).status, Status::DigestMismatch);
/// ```
pub fn judge_read(object: ObjectKey, read: &Object, key: &Key) -> Finding {
    judge_opened(object, &read.body, read.plaintext_digest.as_ref(), key)
}

fn judge_opened(
    object: ObjectKey,
    body: &[u8],
    stored: Option<&PlaintextDigest>,
    key: &Key,
) -> Finding {
    let inspection = ffce_core::inspect(body);
    let well_formed = inspection.is_valid();
    let mut format = inspection.problems;
    push_too_large(&mut format, body.len());
    let mut problems: Vec<Problem> = format.into_iter().map(Problem::Format).collect();
    if well_formed {
        // The plaintext is wiped as it drops; only what was found is kept.
        match key.open(body) {
            Err(e) => problems.push(Problem::Format(e)),
            Ok(plaintext) => {
                if let Some(PlaintextDigest::Sha256(stored)) = stored {
                    let actual: [u8; 32] = Sha256::digest(&*plaintext).into();
                    if actual != *stored {
                        problems.push(Problem::DigestMismatch {
                            stored: hex::encode(stored),
                            actual: hex::encode(actual),
                        });
                    }
                }
                if key.origin() != KeyOrigin::Derived(Purpose::ConfigFs) {
                    problems.extend(
                        restore_verdict(&plaintext)
                            .into_iter()
                            .map(Problem::Content),
                    );
                }
            }
        }
    }
    Finding::new(object, body.len() as u64, problems)
}

/// Judges a read that did not produce a body: a checksum mismatch (an integrity
/// finding), an object deleted since the listing, or a failed request.
///
/// ```
/// use ffce_core::layout::{DeviceId, Layout, ObjectKey};
/// use ffce_store::StoreError;
/// use ffce_store::audit::{Status, judge_failure};
///
/// let object = ObjectKey::new(DeviceId::parse("3f2504e0-4f89-41d3-9a0c-0305e82c3301").unwrap(), Layout::Flat);
/// // Listed a moment ago, gone when read.
/// let gone = StoreError::NotFound { what: "s3://b/3f2504e0-4f89-41d3-9a0c-0305e82c3301".into() };
/// let finding = judge_failure(object, 5_766, &gone);
/// assert_eq!((finding.status, finding.size), (Status::Gone, 5_766));
/// ```
pub fn judge_failure(key: ObjectKey, listed_size: u64, err: &StoreError) -> Finding {
    let problem = match err {
        StoreError::ChecksumMismatch {
            algorithm,
            expected,
            actual,
            ..
        } => Problem::ChecksumMismatch {
            algorithm: *algorithm,
            expected: expected.clone(),
            actual: actual.clone(),
        },
        StoreError::NotFound { .. } | StoreError::Deleted { .. } => Problem::Gone,
        other => Problem::ReadFailed(other.to_string()),
    };
    Finding::new(key, listed_size, vec![problem])
}
