//! Judging a fleet of backups: what one object's read says about it, the totals over
//! all of them, and [`run`], the engine that reads and judges many objects at once.
//!
//! Without a key each object is judged from its first 37 bytes and its total size
//! (one ranged GET on S3): magic, version, the declared `plaintext_len` against
//! `size − 37`, and the cloud's 524,288-byte limit (FFCE-SPEC §1, §3). That is every
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

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;
use std::time::SystemTime;

use bytes::Bytes;
use ffce_core::{Error, Header, Key, format::HEADER_LEN, layout::ObjectKey, upload::UploadError};
use futures_util::stream::{BoxStream, Stream, StreamExt as _};

use crate::error::{StoreError, StoreResult};
use crate::keyring::AuditKeys;
use crate::store::{GetOptions, Object, Store};

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
            Status::Gone => "gone",
            Status::Error => "error",
        }
    }

    /// True for the verdicts that say the backup is bad (malformed, too large, not
    /// authentic, checksum mismatch), as opposed to valid or unknown.
    pub fn is_invalid(self) -> bool {
        matches!(
            self,
            Status::Malformed
                | Status::TooLarge
                | Status::AuthenticationFailed
                | Status::ChecksumMismatch
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
    /// else `checksum_mismatch`, `not_found`, `request_failed`, `no_key` or
    /// `bad_key_file`.
    pub fn code(&self) -> &'static str {
        match self {
            Problem::Format(e) => e.code(),
            Problem::ChecksumMismatch { .. } => "checksum_mismatch",
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
    fn new(key: ObjectKey, size: u64, problems: Vec<Problem>) -> Finding {
        // The worst problem decides: malformed outranks too large, which outranks an
        // authentication failure (which is only tried on a well-formed blob).
        let status = problems
            .iter()
            .map(Problem::status)
            .min_by_key(|s| match s {
                Status::Malformed => 0,
                Status::TooLarge => 1,
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
/// in the order of FFCE-SPEC §1 (too short, magic, version, length), then the
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

/// Judges one object from its whole body and a key: structure, the upload limit, and
/// authentication (tried only on a well-formed blob), in that order.
///
/// ```
/// use ffce_core::layout::{DeviceId, Layout, ObjectKey};
/// use ffce_core::{MasterSecret, Purpose};
/// use ffce_store::audit::{Status, judge_whole};
///
/// let object = ObjectKey::new(DeviceId::parse("3f2504e0-4f89-41d3-9a0c-0305e82c3301").unwrap(), Layout::Flat);
/// let key = MasterSecret::from_bytes([0x11; 32]).derive(Purpose::Backup);
/// let other = MasterSecret::from_bytes([0x22; 32]).derive(Purpose::Backup);
/// let blob = key.seal(b"{}").unwrap();
/// assert_eq!(judge_whole(object, &blob, &key).status, Status::Valid);
/// assert_eq!(judge_whole(object, &blob, &other).status, Status::AuthenticationFailed);
/// ```
pub fn judge_whole(object: ObjectKey, body: &[u8], key: &Key) -> Finding {
    let inspection = ffce_core::inspect(body);
    let well_formed = inspection.is_valid();
    let mut format = inspection.problems;
    push_too_large(&mut format, body.len());
    let mut problems: Vec<Problem> = format.into_iter().map(Problem::Format).collect();
    if well_formed {
        // The plaintext is wiped as it drops; only whether it opened is kept.
        if let Err(e) = key.open(body) {
            problems.push(Problem::Format(e));
        }
    }
    Finding::new(object, body.len() as u64, problems)
}

/// Judges a read that did not produce a body: a checksum mismatch (an integrity
/// finding), an object deleted since the listing, or a failed request.
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
    let body: Bytes = match read {
        Ok(f) => f.body,
        Err(e) => return judge_failure(target.object, target.listed_size, &e),
    };
    tokio::task::spawn_blocking(move || judge_whole(target.object, &body, &key))
        .await
        .unwrap_or_else(|e| {
            let failed = StoreError::other("the authentication task failed", e);
            judge_failure(target.object, target.listed_size, &failed)
        })
}

/// The totals of an audit.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Totals {
    /// Backup objects of the layout (each device's latest backup).
    pub objects: u64,
    /// Their bytes.
    pub bytes: u64,
    /// Valid ones.
    pub valid: u64,
    /// Invalid ones (malformed, too large, unauthentic, checksum mismatch).
    pub invalid: u64,
    /// Invalid ones by their first problem's code.
    pub invalid_by_reason: BTreeMap<&'static str, u64>,
    /// Keys that are not backups of the layout.
    pub stray: u64,
    /// Reads that failed.
    pub errors: u64,
    /// Objects deleted between the listing and the read.
    pub gone: u64,
    /// Well-formed ones that could not be authenticated for want of their key (a key
    /// folder without a file for the device).
    pub no_key: u64,
    /// Requests retried during the audit (after throttling, a server error, a cut
    /// connection): set by the caller from [`Store::retries`]. Not a count of objects:
    /// a retry that succeeded changes no verdict, but says the store is pushing back.
    pub retries: u64,
    /// Backups older than the cut-off, when one was given (see
    /// [`crate::stale::Cutoff`]); counted by [`Totals::add_stale`], apart from the
    /// verdicts.
    pub stale: u64,
}

impl Totals {
    /// Counts `f` as stale if it is older than `cutoff`; true if it is.
    pub fn add_stale(&mut self, f: &Finding, cutoff: &crate::stale::Cutoff) -> bool {
        let stale = cutoff.is_stale(f.last_modified);
        self.stale += u64::from(stale);
        stale
    }

    /// Counts one finding.
    pub fn add(&mut self, f: &Finding) {
        self.objects += 1;
        self.bytes += f.size;
        match f.status {
            Status::Valid => self.valid += 1,
            Status::Gone => self.gone += 1,
            Status::NoKey => self.no_key += 1,
            Status::Error => self.errors += 1,
            s => {
                self.invalid += 1;
                *self
                    .invalid_by_reason
                    .entry(f.reason().unwrap_or(s.name()))
                    .or_default() += 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ffce_core::{
        MasterSecret, Purpose,
        layout::{DeviceId, Layout},
        upload::MAX_BLOB_LEN,
    };

    fn object() -> ObjectKey {
        ObjectKey::new(
            DeviceId::parse("3f2504e0-4f89-41d3-9a0c-0305e82c3301").unwrap(),
            Layout::Nested,
        )
    }

    fn key() -> Key {
        MasterSecret::from_bytes([0x11; 32]).derive(Purpose::Backup)
    }

    fn codes(f: &Finding) -> Vec<&'static str> {
        f.problems.iter().map(Problem::code).collect()
    }

    /// The header-only verdict agrees with `inspect` of the whole blob, for every
    /// length from empty to a few bytes past the header, and for damaged headers.
    #[test]
    fn header_verdict_matches_a_whole_inspection() {
        let blob = key().seal(b"hello, world").unwrap();
        let mut cases: Vec<Vec<u8>> = (0..=blob.len() + 3)
            .map(|n| {
                let mut b = blob.clone();
                b.resize(n, 0);
                b
            })
            .collect();
        for (at, value) in [(0, b'X'), (4, 2), (4, 0), (17, 99)] {
            let mut b = blob.clone();
            b[at] = value;
            cases.push(b);
        }
        for case in cases {
            let whole: Vec<&str> = ffce_core::inspect(&case)
                .problems
                .iter()
                .map(Error::code)
                .collect();
            let head = &case[..case.len().min(HEADER_LEN)];
            let f = judge_header(object(), head, case.len() as u64);
            assert_eq!(codes(&f), whole, "{} bytes", case.len());
        }
    }

    #[test]
    fn verdicts() {
        let blob = key().seal(b"{}").unwrap();
        let f = judge_header(object(), &blob[..37], blob.len() as u64);
        assert_eq!((f.status, f.reason()), (Status::Valid, None));

        let mut v2 = blob.clone();
        v2[4] = 2;
        let f = judge_header(object(), &v2[..37], v2.len() as u64);
        assert_eq!(f.status, Status::Malformed);
        assert_eq!(f.reason(), Some("unsupported_version"));

        let f = judge_header(object(), &[], 0);
        assert_eq!(
            (f.status, f.reason()),
            (Status::Malformed, Some("too_short"))
        );

        // Oversize: a well-formed header declaring the length that fits the size.
        let big = key().seal(&vec![0; MAX_BLOB_LEN]).unwrap();
        let f = judge_header(object(), &big[..37], big.len() as u64);
        assert_eq!(
            (f.status, f.reason()),
            (Status::TooLarge, Some("too_large"))
        );
        // Oversize and a length mismatch: malformed first.
        let f = judge_header(object(), &blob[..37], big.len() as u64);
        assert_eq!(codes(&f), vec!["length_mismatch", "too_large"]);
        assert_eq!(f.status, Status::Malformed);
    }

    #[test]
    fn with_a_key() {
        let blob = key().seal(b"[1]").unwrap();
        assert_eq!(judge_whole(object(), &blob, &key()).status, Status::Valid);
        let other = Key::from_bytes(&[9; 32]);
        let f = judge_whole(object(), &blob, &other);
        assert_eq!(
            (f.status, f.reason()),
            (Status::AuthenticationFailed, Some("authentication_failed"))
        );
        let big = key().seal(&vec![0; MAX_BLOB_LEN]).unwrap();
        let f = judge_whole(object(), &big, &key());
        assert_eq!(
            (f.status, f.reason()),
            (Status::TooLarge, Some("too_large"))
        );
        let f = judge_whole(object(), &blob[..20], &key());
        assert_eq!(f.status, Status::Malformed);
    }

    /// The engine, end to end on a local store: every object judged once, keyed
    /// reads authenticated (on the blocking pool), a missing object reported as gone.
    #[tokio::test]
    async fn the_engine_judges_every_object_once() {
        use crate::{LocalStore, PutOptions, Store};
        use futures_util::StreamExt as _;

        let dir = tempfile::tempdir().unwrap();
        let store = LocalStore::new(dir.path().to_path_buf());
        let ids = [
            "3f2504e0-4f89-41d3-9a0c-0305e82c3301",
            "3f2504e0-4f89-41d3-9a0c-0305e82c3302",
            "3f2504e0-4f89-41d3-9a0c-0305e82c3303",
        ];
        let objects: Vec<ObjectKey> = ids
            .iter()
            .map(|id| ObjectKey::new(DeviceId::parse(id).unwrap(), Layout::Nested))
            .collect();
        let good = Bytes::from(key().seal(b"{}").unwrap());
        let forged = Bytes::from(Key::from_bytes(&[9; 32]).seal(b"{}").unwrap());
        for (object, body) in objects.iter().zip([&good, &forged]) {
            store
                .put(object, body.clone(), &PutOptions::for_body(body))
                .await
                .unwrap();
        }
        let targets: Vec<Target> = objects
            .iter()
            .map(|&object| Target {
                object,
                listed_size: 7,
                last_modified: None,
            })
            .collect();
        let keys = Arc::new(AuditKeys::One(Arc::new(key())));
        let by_key = |f: Finding| (f.key.as_string(), f.status);
        let mut found: Vec<(String, Status)> =
            run(&store, futures_util::stream::iter(targets.clone()), keys, 2)
                .map(by_key)
                .collect()
                .await;
        found.sort();
        let expected: Vec<(String, Status)> = objects
            .iter()
            .map(ObjectKey::as_string)
            .zip([Status::Valid, Status::AuthenticationFailed, Status::Gone])
            .collect();
        assert_eq!(found, expected);
        let headers: Vec<Finding> = run(
            &store,
            futures_util::stream::iter(targets[..1].to_vec()),
            Arc::new(AuditKeys::None),
            1,
        )
        .collect()
        .await;
        assert_eq!(headers[0].status, Status::Valid);
        assert_eq!(headers[0].size, good.len() as u64);
    }

    /// With a key folder: each device authenticated with its own key, a wrong key
    /// fails, a device without a key file is `no_key` (a malformed one stays
    /// malformed), and an unusable key file is an error that does not show the file.
    #[tokio::test]
    async fn a_key_per_device() {
        use crate::keyring::KeyDir;
        use crate::{LocalStore, PutOptions, Store};
        use ffce_core::layout::{DeviceId, Layout};
        use futures_util::StreamExt as _;

        let dir = tempfile::tempdir().unwrap();
        let key_dir = tempfile::tempdir().unwrap();
        let store = LocalStore::new(dir.path().to_path_buf());
        let keys = KeyDir::open(key_dir.path(), ffce_core::Purpose::Backup).unwrap();
        let master = |b: u8| MasterSecret::from_bytes([b; 32]).derive(Purpose::Backup);
        // (master secret of the blob, master secret in the key file, expected)
        let cases: [(u8, Option<&str>, Status); 5] = [
            (0x11, Some(&"11".repeat(32)), Status::Valid),
            (0x22, Some(&"22".repeat(32)), Status::Valid),
            (0x22, Some(&"11".repeat(32)), Status::AuthenticationFailed),
            (0x33, None, Status::NoKey),
            (0x44, Some("abcd"), Status::Error),
        ];
        let mut targets = Vec::new();
        for (n, (blob_master, file, _)) in cases.iter().enumerate() {
            let device =
                DeviceId::parse(&format!("3f2504e0-4f89-41d3-9a0c-0305e82c330{n}")).unwrap();
            let object = ObjectKey::new(device, Layout::Nested);
            let blob = Bytes::from(master(*blob_master).seal(b"{}").unwrap());
            store
                .put(&object, blob.clone(), &PutOptions::for_body(&blob))
                .await
                .unwrap();
            if let Some(text) = file {
                std::fs::write(keys.path_for(device), text).unwrap();
            }
            targets.push(Target {
                object,
                listed_size: 0,
                last_modified: None,
            });
        }
        let source = Arc::new(AuditKeys::PerDevice(keys));
        let mut found: Vec<Finding> = run(&store, futures_util::stream::iter(targets), source, 3)
            .collect()
            .await;
        // The devices were made in key order.
        found.sort_by_key(|f| f.key.device());
        let statuses: Vec<Status> = found.iter().map(|f| f.status).collect();
        assert_eq!(statuses, cases.map(|c| c.2));
        assert_eq!(found[3].reason(), Some("no_key"));
        assert_eq!(found[4].reason(), Some("bad_key_file"));
        assert!(found[4].problems[0].to_string().contains("4 hex digits"));
        assert!(!found[4].problems[0].to_string().contains("abcd"));
        let mut t = Totals::default();
        for f in &found {
            t.add(f);
        }
        assert_eq!((t.valid, t.invalid, t.no_key, t.errors), (2, 1, 1, 1));
    }

    #[test]
    fn totals_count_every_kind_once() {
        let blob = key().seal(b"x").unwrap();
        let mut t = Totals::default();
        t.add(&judge_header(object(), &blob, blob.len() as u64));
        t.add(&judge_header(object(), b"FFCX", 4));
        t.add(&judge_failure(object(), 10, &StoreError::message("boom")));
        t.add(&judge_failure(
            object(),
            10,
            &StoreError::NotFound { what: "x".into() },
        ));
        assert_eq!(
            (t.objects, t.valid, t.invalid, t.errors, t.gone),
            (4, 1, 1, 1, 1)
        );
        assert_eq!(t.invalid_by_reason.get("too_short"), Some(&1));
        assert_eq!(t.bytes, blob.len() as u64 + 4 + 20);
    }
}
