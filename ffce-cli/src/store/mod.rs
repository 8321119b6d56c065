//! Where backups live: one small trait, [`Store`], with two implementations, an S3
//! bucket ([`s3::S3Store`]) and a local directory laid out like the bucket
//! ([`local::LocalStore`]); issue 4, FFCE-SPEC §5.
//!
//! The trait holds what both backends really do. Versions (list, delete one, restore)
//! exist only on a versioned bucket, so they live in a second trait,
//! [`VersionedStore`], reached through [`Store::versioned`]; the local store does not
//! fake them and returns `None`.
//!
//! The trait is synchronous. The S3 store owns a single-threaded tokio runtime that
//! exists only once a store command built it ([`open`]); offline commands never load
//! AWS configuration or start a runtime.
//!
//! Where the backends differ, on purpose:
//! - `delete` of a missing object: both succeed and report `existed: false`, and
//!   neither writes anything (on S3 no second delete marker is stacked up).
//! - `etag`: on S3 the server's ETag (not an MD5 under SSE-KMS, never used as a
//!   digest); on the local store the hex SHA-256 of the file, which `--if-match`
//!   compares against.
//! - Checksums and metadata: S3 stores the body's SHA-256 checksum and the plaintext's
//!   SHA-256 (`etag` user metadata) with the object; the local store keeps neither (a
//!   side file would break the bucket layout), so a local `get` reports
//!   [`ChecksumCheck::LocalFile`] and no plaintext digest.

use std::fmt;
use std::path::PathBuf;
use std::time::SystemTime;

use bytes::Bytes;

use crate::cli::StoreArgs;
use crate::device::ObjectKey;
use crate::exit::{CliError, CliResult};
use crate::ui::Ui;

pub mod bucket;
mod fleet;
pub mod local;
pub mod s3;

/// Environment variable the cloud's backup functions get the bucket name from
/// (FFCE-SPEC §5); read after `--bucket` / `FFCE_BUCKET` and `--dir` / `FFCE_DIR`.
pub const BUCKET_FALLBACK_ENV: &str = "S3_BACKUP_BUCKET_NAME";

/// The result of a store operation.
pub type StoreResult<T> = Result<T, StoreError>;

/// The operations every backend has.
pub trait Store {
    /// Where `key` lives, for output: `s3://bucket/key` or a local path.
    fn describe(&self, key: &ObjectKey) -> String;

    /// The store itself, for output: `s3://bucket` or the local root.
    fn describe_root(&self) -> String;

    /// Stores `body` under `key`. The body has already passed upload validation.
    fn put(&self, key: &ObjectKey, body: Bytes, opts: &PutOptions) -> StoreResult<PutOutcome>;

    /// Fetches `key` (the latest version, or `version`), with its checksum verified.
    ///
    /// A stored SHA-256 checksum that does not match the body is
    /// [`StoreError::ChecksumMismatch`]; the body is then not returned at all.
    fn get(&self, key: &ObjectKey, version: Option<&VersionId>) -> StoreResult<Object>;

    /// Deletes `key`. A missing key is success with `existed: false`.
    fn delete(&self, key: &ObjectKey) -> StoreResult<DeleteOutcome>;

    /// Every object in the store, in key order (pagination is the store's business).
    fn list(&self) -> StoreResult<Vec<ListEntry>>;

    /// The version operations, if this store has them.
    fn versioned(&self) -> Option<&dyn VersionedStore> {
        None
    }

    /// Reads many objects (the latest version of each), up to `concurrency` at a time,
    /// and hands each result to `done` with the index of its key, in completion order
    /// (issue 5, `ffce audit`).
    ///
    /// One failed read never stops the others: every key gets exactly one call of
    /// `done`. The default reads one at a time through [`get`](Self::get); the S3
    /// store overrides it with concurrent requests (and one ranged GET per object for
    /// [`ReadScope::Prefix`]).
    fn read_many(
        &self,
        keys: &[ObjectKey],
        scope: ReadScope,
        concurrency: usize,
        done: &mut dyn FnMut(usize, StoreResult<Fetched>),
    ) {
        let _ = concurrency;
        for (i, key) in keys.iter().enumerate() {
            done(
                i,
                self.get(key, None)
                    .map(|o| Fetched::from_body(o.body, scope)),
            );
        }
    }
}

/// How much of each object [`Store::read_many`] fetches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReadScope {
    /// The first `n` bytes and the object's total size: on S3 one ranged GET
    /// (`Range: bytes=0-(n-1)`), whose `Content-Range` carries the total. No checksum
    /// can be compared on a part of a body.
    Prefix(usize),
    /// The whole body, its stored SHA-256 checksum compared as by [`Store::get`] (a
    /// mismatch is [`StoreError::ChecksumMismatch`]).
    Whole,
}

/// One object read by [`Store::read_many`].
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
pub trait VersionedStore {
    /// Every version and delete marker of exactly `key`, newest first.
    fn list_versions(&self, key: &ObjectKey) -> StoreResult<Vec<VersionEntry>>;

    /// Permanently deletes one version or delete marker.
    ///
    /// S3 answers success for a version id it does not know, so this cannot say
    /// whether there was one; a caller that must report a missing version looks it up
    /// with [`list_versions`](Self::list_versions) first (`ffce delete` does).
    fn delete_version(&self, key: &ObjectKey, version: &VersionId) -> StoreResult<()>;

    /// Makes `version` the latest again by a server-side copy (which also undoes a
    /// delete). A missing version is [`StoreError::NotFound`].
    fn restore(&self, key: &ObjectKey, version: &VersionId) -> StoreResult<PutOutcome>;
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

/// What a put did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PutOutcome {
    /// The new object's ETag, without quotes (opaque; never a digest under SSE-KMS).
    pub etag: Option<String>,
    /// The new version's id on a versioned bucket.
    pub version_id: Option<String>,
    /// Where it went: `s3://bucket/key` or a local path.
    pub location: String,
}

/// How the body's integrity was established on download.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChecksumCheck {
    /// The body's SHA-256 matched the checksum stored with the object (base64, as S3
    /// reports it).
    Verified {
        /// The stored checksum.
        sha256_base64: String,
    },
    /// The object has no SHA-256 checksum (e.g. written by a client that sent none).
    Absent,
    /// A file of the local store, which keeps no checksum.
    LocalFile,
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
    /// Hex SHA-256 of the plaintext from user metadata `etag`, as stored (validated to
    /// be 64 hex digits, lowercased); `None` when absent.
    pub plaintext_sha256: Option<String>,
    /// User metadata `etag` that is not a SHA-256 (reported, not compared).
    pub odd_plaintext_digest: bool,
    /// How the body was checked.
    pub checksum: ChecksumCheck,
    /// Last modified.
    pub last_modified: Option<SystemTime>,
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

/// One object of a listing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListEntry {
    /// The key as stored (may be anything; see [`crate::device::ListedKey`]).
    pub key: String,
    /// Size in bytes.
    pub size: u64,
    /// Last modified.
    pub last_modified: Option<SystemTime>,
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

/// An S3 version id as the user gave it: opaque, but checked to be a plausible token
/// (1–1,024 printable ASCII characters, no spaces) before it reaches a request.
#[derive(Clone, PartialEq, Eq)]
pub struct VersionId(String);

impl VersionId {
    /// Checks a version id from the command line.
    pub fn parse(s: &str) -> CliResult<VersionId> {
        let ok = !s.is_empty() && s.len() <= 1024 && s.bytes().all(|b| b.is_ascii_graphic());
        if ok {
            Ok(VersionId(s.to_string()))
        } else {
            Err(CliError::usage(
                "--version-id: expected a version id as `ffce versions UUID` lists it \
                 (1 to 1,024 printable characters, no spaces)",
            ))
        }
    }

    /// The id.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for VersionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for VersionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "VersionId({})", self.0)
    }
}

/// Everything a store operation can fail with. Messages name keys, buckets and paths,
/// never body bytes.
#[derive(Debug)]
#[non_exhaustive]
pub enum StoreError {
    /// The object or version does not exist (exit 3).
    NotFound {
        /// What was missing, e.g. `s3://b/k` or `version V of s3://b/k`.
        what: String,
    },
    /// `--if-absent` and there is an object already (exit 5).
    AlreadyExists {
        /// Where.
        what: String,
    },
    /// `--if-match` and the current object has another ETag, or none (exit 5).
    PreconditionFailed {
        /// Where.
        what: String,
        /// Whether there was no object at all.
        missing: bool,
    },
    /// The bucket does not exist (exit 1).
    NoBucket {
        /// Its name.
        bucket: String,
    },
    /// No AWS credentials were found (exit 1).
    NoCredentials {
        /// The credential chain's explanation, for `-v`.
        detail: String,
    },
    /// The credentials may not do this (exit 1).
    PermissionDenied {
        /// What was attempted, e.g. `upload to s3://b/k`.
        what: String,
        /// The server's message, for `-v`.
        detail: String,
    },
    /// The downloaded body does not match its stored SHA-256 checksum (exit 4).
    ChecksumMismatch {
        /// Where.
        what: String,
        /// The stored checksum (base64).
        expected: String,
        /// The body's SHA-256 (base64).
        actual: String,
    },
    /// A version operation on a store that has no versions (exit 2).
    NeedsBucket {
        /// The command or flag, e.g. `ffce versions`.
        what: &'static str,
    },
    /// A local key path that is a symlink leading out of the store's root (exit 5).
    UnsafePath {
        /// The path.
        path: PathBuf,
    },
    /// Anything else (exit 1).
    Other {
        /// One line for the user.
        message: String,
        /// The cause, shown with `-v`.
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },
}

impl StoreError {
    /// [`StoreError::Other`] with a cause.
    pub fn other(
        message: impl Into<String>,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> StoreError {
        StoreError::Other {
            message: message.into(),
            source: Some(source.into()),
        }
    }
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreError::NotFound { what } => write!(f, "{what}: not found"),
            StoreError::AlreadyExists { what } => write!(
                f,
                "{what} already exists; --if-absent refused to overwrite it"
            ),
            StoreError::PreconditionFailed {
                what,
                missing: true,
            } => write!(
                f,
                "{what} does not exist, so --if-match cannot match; nothing was written"
            ),
            StoreError::PreconditionFailed {
                what,
                missing: false,
            } => write!(
                f,
                "{what} has a different ETag than --if-match gave (someone else wrote it); \
                 nothing was written"
            ),
            StoreError::NoBucket { bucket } => write!(f, "bucket {bucket} does not exist"),
            StoreError::NoCredentials { .. } => f.write_str(
                "no AWS credentials found: set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, \
                 use --profile, or run `aws sso login`",
            ),
            StoreError::PermissionDenied { what, .. } => {
                write!(
                    f,
                    "access denied: {what} (check the credentials' IAM policy)"
                )
            }
            StoreError::ChecksumMismatch { what, .. } => write!(
                f,
                "{what}: the downloaded body does not match its stored SHA-256 checksum; \
                 nothing was written"
            ),
            StoreError::NeedsBucket { what } => write!(
                f,
                "{what} needs an S3 bucket (pass --bucket or set FFCE_BUCKET); \
                 the local store keeps no versions"
            ),
            StoreError::UnsafePath { path } => write!(
                f,
                "{} is a symlink that leads out of the store; refusing to follow it",
                path.display()
            ),
            StoreError::Other { message, .. } => f.write_str(message),
        }
    }
}

impl std::error::Error for StoreError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            StoreError::Other {
                source: Some(s), ..
            } => Some(s.as_ref()),
            _ => None,
        }
    }
}

/// Exit codes: 3 not found; 4 checksum; 5 guards (conditional writes, unsafe path);
/// 2 versioning on the local store (the command line asked for something this store
/// cannot do); 1 for credentials, bucket, permission and other failures. Details (SDK
/// error chains) go to `-v`.
impl From<StoreError> for CliError {
    fn from(e: StoreError) -> CliError {
        let message = e.to_string();
        let detail = match &e {
            StoreError::NoCredentials { detail } | StoreError::PermissionDenied { detail, .. } => {
                Some(detail.clone())
            }
            StoreError::ChecksumMismatch {
                expected, actual, ..
            } => Some(format!(
                "stored ChecksumSHA256 {expected}, body SHA-256 {actual}"
            )),
            StoreError::Other {
                source: Some(s), ..
            } => Some(error_chain(s.as_ref())),
            _ => None,
        };
        let err = match e {
            StoreError::NotFound { .. } => CliError::not_found(message),
            StoreError::AlreadyExists { .. }
            | StoreError::PreconditionFailed { .. }
            | StoreError::UnsafePath { .. } => CliError::refused(message),
            StoreError::ChecksumMismatch { .. } => CliError::integrity(message),
            StoreError::NeedsBucket { .. } => CliError::usage(message),
            _ => CliError::other(message),
        };
        match detail {
            Some(d) if !d.is_empty() => err.with_detail(d),
            _ => err,
        }
    }
}

/// `error: cause: cause ...` on one line.
pub fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut next = e.source();
    while let Some(s) = next {
        let text = s.to_string();
        if !out.ends_with(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        next = s.source();
    }
    out
}

/// Which store the flags and environment select.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StoreChoice {
    /// `--bucket` / `FFCE_BUCKET`, or `S3_BACKUP_BUCKET_NAME` when no `--dir` either.
    Bucket(String),
    /// `--dir` / `FFCE_DIR`.
    Dir(PathBuf),
    /// Neither: the embedded default in the user's data directory.
    Default(PathBuf),
}

/// Picks the store: `--bucket`/`FFCE_BUCKET`, then `--dir`/`FFCE_DIR`, then
/// `S3_BACKUP_BUCKET_NAME`, then the embedded default
/// (`$XDG_DATA_HOME/ffce/backups`, else `$HOME/.local/share/ffce/backups`).
///
/// `S3_BACKUP_BUCKET_NAME` ranks below `--dir` because it is the cloud's own variable
/// and may be set in a shell for other reasons; ffce's own settings win.
pub fn choose(args: &StoreArgs) -> CliResult<StoreChoice> {
    if let Some(bucket) = non_empty(args.bucket.clone()) {
        return Ok(StoreChoice::Bucket(bucket));
    }
    if let Some(dir) = &args.dir {
        if !dir.as_os_str().is_empty() {
            return Ok(StoreChoice::Dir(dir.clone()));
        }
    }
    if let Some(bucket) = non_empty(std::env::var(BUCKET_FALLBACK_ENV).ok()) {
        return Ok(StoreChoice::Bucket(bucket));
    }
    default_dir().map(StoreChoice::Default)
}

fn non_empty(s: Option<String>) -> Option<String> {
    s.filter(|s| !s.is_empty())
}

/// The embedded default store's folder. A relative `XDG_DATA_HOME` is ignored, as the
/// XDG base directory specification says.
pub fn default_dir() -> CliResult<PathBuf> {
    if let Some(xdg) = std::env::var_os("XDG_DATA_HOME").map(PathBuf::from) {
        if xdg.is_absolute() {
            return Ok(xdg.join("ffce").join("backups"));
        }
    }
    match std::env::var_os("HOME").map(PathBuf::from) {
        Some(home) if home.is_absolute() => Ok(home
            .join(".local")
            .join("share")
            .join("ffce")
            .join("backups")),
        _ => Err(CliError::usage(
            "no backup store given and no home directory to keep one in: \
             pass --bucket NAME or --dir PATH",
        )),
    }
}

/// Builds the store the flags select, after the command has validated everything
/// else. Only here are AWS configuration and the runtime loaded, and only for a bucket.
pub fn open(ui: &Ui, args: &StoreArgs) -> CliResult<Box<dyn Store>> {
    match choose(args)? {
        StoreChoice::Bucket(bucket) => {
            ui.detail(1, format!("store: S3 bucket {bucket}"));
            Ok(Box::new(s3::S3Store::connect(ui, bucket, &args.s3)?))
        }
        StoreChoice::Dir(dir) => {
            ui.detail(1, format!("store: local folder {}", dir.display()));
            Ok(Box::new(local::LocalStore::new(dir)))
        }
        StoreChoice::Default(dir) => {
            ui.info(format!(
                "using the local backup store at {} (no --bucket or --dir given)",
                dir.display()
            ));
            Ok(Box::new(local::LocalStore::new(dir)))
        }
    }
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

/// Strips the quotes S3 puts around an ETag.
pub fn unquote_etag(etag: &str) -> String {
    etag.trim().trim_matches('"').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_ids_are_checked() {
        assert!(VersionId::parse("3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY").is_ok());
        assert!(VersionId::parse("null").is_ok());
        assert!(VersionId::parse("").is_err());
        assert!(VersionId::parse("a b").is_err());
        assert!(VersionId::parse("a\nb").is_err());
        assert!(VersionId::parse(&"x".repeat(1025)).is_err());
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
    }
}
