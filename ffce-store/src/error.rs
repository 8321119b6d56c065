//! What a store operation can fail with, and the validated version id.
//!
//! Messages name objects, buckets, paths and S3's error codes, never body bytes and
//! never a command-line flag: which flag or exit code an error becomes is the caller's
//! business (the `ffce` command decides it in one place).

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

/// The result of a store operation.
pub type StoreResult<T> = Result<T, StoreError>;

/// Everything a store operation can fail with.
#[derive(Debug)]
#[non_exhaustive]
pub enum StoreError {
    /// The object or version does not exist.
    NotFound {
        /// What was missing, e.g. `s3://b/k` or `version V of s3://b/k`.
        what: String,
    },
    /// The latest version is a delete marker: the object was deleted, and earlier
    /// versions are kept (a versioned bucket).
    Deleted {
        /// What was asked for, e.g. `s3://b/k`.
        what: String,
        /// The device whose backup it is.
        device: ffce_core::layout::DeviceId,
        /// How many earlier versions with content are kept.
        kept_versions: usize,
    },
    /// The version asked for is a delete marker, which has no content.
    IsDeleteMarker {
        /// Which version of which object.
        what: String,
        /// The device whose backup it is.
        device: ffce_core::layout::DeviceId,
    },
    /// A configuration value the store cannot use (see
    /// [`S3Config::validate`](crate::S3Config::validate)).
    Config {
        /// The field, e.g. `bucket`, `max_attempts`, `region`.
        setting: &'static str,
        /// What is wrong with it.
        problem: String,
    },
    /// A put with [`Condition::IfAbsent`](crate::Condition::IfAbsent) found an object
    /// already there; nothing was written.
    AlreadyExists {
        /// Where.
        what: String,
    },
    /// A put with [`Condition::IfMatch`](crate::Condition::IfMatch) found another ETag,
    /// or no object at all; nothing was written.
    PreconditionFailed {
        /// Where.
        what: String,
        /// Whether there was no object at all.
        missing: bool,
    },
    /// S3 refused because a conflicting operation on the same bucket or object is in
    /// progress (HTTP 409 `OperationAborted`, e.g. a `CreateBucket` racing another);
    /// trying again later may succeed.
    Conflict {
        /// What was attempted.
        what: String,
        /// S3's error code.
        code: String,
    },
    /// The bucket does not exist.
    NoBucket {
        /// Its name.
        bucket: String,
    },
    /// A local store's folder does not exist (a listing of it cannot tell "no backups"
    /// from "the wrong folder", so it says so instead of listing nothing).
    NoFolder {
        /// The folder.
        path: PathBuf,
    },
    /// No AWS credentials were found.
    NoCredentials {
        /// The named profile the store was configured with, if any (it exists, but gave
        /// no credentials).
        profile: Option<String>,
        /// The credential chain's error.
        source: BoxError,
    },
    /// AWS rejected the credentials themselves (expired, unknown key, bad signature).
    BadCredentials {
        /// S3's error code, e.g. `ExpiredToken`.
        code: String,
        /// The SDK's error.
        source: BoxError,
    },
    /// The credentials may not do this.
    PermissionDenied {
        /// What was attempted, e.g. `upload to s3://b/k`.
        what: String,
        /// The server's (or the file system's) error.
        source: BoxError,
    },
    /// The file system refused a local store's file or folder (its permissions or
    /// owner; credentials have nothing to do with it).
    FileAccessDenied {
        /// The file or folder.
        path: PathBuf,
        /// The operating system's error (`Permission denied (os error 13)`).
        source: std::io::Error,
    },
    /// No answer from S3 at all: the connection failed (refused, no route, a name
    /// that does not resolve, TLS).
    Unreachable {
        /// What was attempted, e.g. `s3://b/k`.
        what: String,
        /// The endpoint the request went to (`http://127.0.0.1:9`, or the region's
        /// AWS endpoint); empty when not known.
        endpoint: String,
        /// The cause in a few words (`connection refused`).
        cause: String,
        /// The SDK's error.
        source: BoxError,
    },
    /// The downloaded body does not match the checksum stored with it.
    ChecksumMismatch {
        /// Where.
        what: String,
        /// The algorithm of the stored checksum.
        algorithm: crate::ChecksumAlgorithm,
        /// The stored checksum (base64).
        expected: String,
        /// The body's checksum in the same algorithm (base64).
        actual: String,
    },
    /// A version operation on a store that keeps no versions.
    NoVersions {
        /// The operation, e.g. `reading an older version`.
        what: &'static str,
    },
    /// A bucket whose versioning was never enabled: it keeps no versions and no
    /// delete markers, so there are no deleted backups to list.
    Unversioned {
        /// The bucket.
        bucket: String,
    },
    /// A local key path that is a symlink leading out of the store's root.
    UnsafePath {
        /// The path.
        path: PathBuf,
    },
    /// A request timed out (per attempt, or over the whole operation).
    Timeout {
        /// What was attempted.
        what: String,
        /// Which limit fired.
        limit: TimeoutLimit,
        /// The SDK's error, or the store's own timer.
        source: BoxError,
    },
    /// Anything else.
    Other {
        /// One line for people.
        message: String,
        /// The cause.
        source: Option<BoxError>,
    },
}

/// The cause an error keeps: any error that can cross threads.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

impl StoreError {
    /// [`StoreError::Other`] with a cause.
    pub fn other(message: impl Into<String>, source: impl Into<BoxError>) -> StoreError {
        StoreError::Other {
            message: message.into(),
            source: Some(source.into()),
        }
    }

    /// [`StoreError::Other`] without a cause.
    pub fn message(message: impl Into<String>) -> StoreError {
        StoreError::Other {
            message: message.into(),
            source: None,
        }
    }

    /// The same error with a new `what` for [`StoreError::PermissionDenied`], which
    /// then names the action that was refused (`delete s3://b/k`) rather than the
    /// object alone. Every other error is returned as it is.
    pub fn denied_action(self, action: impl FnOnce() -> String) -> StoreError {
        match self {
            StoreError::PermissionDenied { source, .. } => StoreError::PermissionDenied {
                what: action(),
                source,
            },
            other => other,
        }
    }
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreError::NotFound { what } => write!(f, "{what}: not found"),
            StoreError::Deleted {
                what,
                kept_versions,
                ..
            } => write!(
                f,
                "{what}: not found (deleted; {kept_versions} earlier version(s) kept)"
            ),
            StoreError::IsDeleteMarker { what, .. } => {
                write!(f, "{what} is a delete marker, not a backup")
            }
            StoreError::Config { setting, problem } => write!(f, "{setting}: {problem}"),
            StoreError::AlreadyExists { what } => {
                write!(f, "{what} already exists; nothing was written")
            }
            StoreError::PreconditionFailed {
                what,
                missing: true,
            } => write!(
                f,
                "{what} does not exist, so its ETag cannot match; nothing was written"
            ),
            StoreError::PreconditionFailed {
                what,
                missing: false,
            } => write!(
                f,
                "{what} has a different ETag than expected (someone else wrote it); \
                 nothing was written"
            ),
            StoreError::Conflict { what, code } => write!(
                f,
                "{what}: S3 answered HTTP 409 {code} (a conflicting operation is in \
                 progress); try again in a moment"
            ),
            StoreError::NoBucket { bucket } => write!(f, "bucket {bucket} does not exist"),
            StoreError::NoFolder { path } => {
                write!(f, "folder {} does not exist", path.display())
            }
            StoreError::NoCredentials {
                profile: Some(profile),
                ..
            } => write!(f, "no AWS credentials found for profile {profile}"),
            StoreError::NoCredentials { profile: None, .. } => {
                f.write_str("no AWS credentials found")
            }
            StoreError::BadCredentials { code, .. } => write!(
                f,
                "AWS rejected the credentials ({code}); check the access key, secret and \
                 session token, or log in again"
            ),
            StoreError::PermissionDenied { what, .. } => {
                write!(
                    f,
                    "access denied: {what} (check the credentials' IAM policy)"
                )
            }
            StoreError::Unreachable {
                what,
                endpoint,
                cause,
                ..
            } => {
                write!(f, "{what}: could not reach S3")?;
                if !endpoint.is_empty() {
                    write!(f, " at {endpoint}")?;
                }
                write!(f, " ({cause})")
            }
            StoreError::FileAccessDenied { path, source } => write!(
                f,
                "{}: {source} (check the permissions and owner of that path and of the \
                 folders above it)",
                path.display()
            ),
            StoreError::ChecksumMismatch {
                what, algorithm, ..
            } => write!(
                f,
                "{what}: the downloaded body does not match its stored {algorithm} checksum"
            ),
            StoreError::NoVersions { what } => {
                write!(
                    f,
                    "{what} needs a versioned S3 bucket; this store keeps none"
                )
            }
            StoreError::Unversioned { bucket } => write!(
                f,
                "s3://{bucket} keeps no versions or delete markers (its versioning was never \
                 enabled)"
            ),
            StoreError::UnsafePath { path } => write!(
                f,
                "{} is a symlink that leads out of the store; refusing to follow it",
                path.display()
            ),
            StoreError::Timeout { what, limit, .. } => match limit {
                TimeoutLimit::Attempt { each, attempts } => write!(
                    f,
                    "{what}: the S3 request timed out (no answer within {} s on each of \
                     {attempts} attempt(s))",
                    seconds(*each)
                ),
                TimeoutLimit::Operation { total } => write!(
                    f,
                    "{what}: the S3 request timed out (the operation's limit of {} s, \
                     retries included)",
                    seconds(*total)
                ),
                TimeoutLimit::Unknown => write!(f, "{what}: the S3 request timed out"),
            },
            StoreError::Other { message, .. } => f.write_str(message),
        }
    }
}

impl std::error::Error for StoreError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            StoreError::Other {
                source: Some(s), ..
            }
            | StoreError::Timeout { source: s, .. }
            | StoreError::NoCredentials { source: s, .. }
            | StoreError::BadCredentials { source: s, .. }
            | StoreError::PermissionDenied { source: s, .. }
            | StoreError::Unreachable { source: s, .. } => Some(s.as_ref()),
            StoreError::FileAccessDenied { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// Which time limit ended a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TimeoutLimit {
    /// Each attempt ran out of its own limit
    /// ([`S3Config::attempt_timeout`](crate::S3Config::attempt_timeout)), and the
    /// attempts were used up.
    Attempt {
        /// The limit of one attempt.
        each: Duration,
        /// Attempts allowed.
        attempts: u32,
    },
    /// The whole operation ran out of its limit
    /// ([`S3Config::timeout`](crate::S3Config::timeout)), retries included.
    Operation {
        /// The limit.
        total: Duration,
    },
    /// The limit is not known (an error built outside a store).
    Unknown,
}

/// A duration in seconds for this crate's messages: `3.5`, `60`.
pub(crate) fn seconds(d: Duration) -> String {
    format!("{}", d.as_secs_f64())
}

/// `error: cause: cause ...` on one line, skipping a cause whose text the line already
/// ends with (the tests' view of an error's sources).
#[cfg(test)]
pub(crate) fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
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

/// An S3 version id: opaque, but checked to be a plausible token (1–1,024 printable
/// ASCII characters, no spaces) before it reaches a request.
#[derive(Clone, PartialEq, Eq)]
pub struct VersionId(String);

/// Why a string is not a version id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InvalidVersionId;

impl fmt::Display for InvalidVersionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("not a version id (1 to 1,024 printable characters, no spaces)")
    }
}

impl std::error::Error for InvalidVersionId {}

impl VersionId {
    /// Checks a version id.
    ///
    /// ```
    /// use ffce_store::VersionId;
    /// assert!(VersionId::parse("3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY").is_ok());
    /// assert!(VersionId::parse("a b").is_err());
    /// ```
    pub fn parse(s: &str) -> Result<VersionId, InvalidVersionId> {
        let ok = !s.is_empty() && s.len() <= 1024 && s.bytes().all(|b| b.is_ascii_graphic());
        if ok {
            Ok(VersionId(s.to_string()))
        } else {
            Err(InvalidVersionId)
        }
    }

    /// A version id a store answered with: used as it came, since the server that
    /// gave it accepts it back.
    pub(crate) fn from_store(s: impl Into<String>) -> VersionId {
        VersionId(s.into())
    }

    /// The id.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A version id reads as the string it is (`&*id`, `id.len()`), so callers that print
/// or compare it need no conversion.
impl std::ops::Deref for VersionId {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl PartialEq<str> for VersionId {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for VersionId {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

/// Serialized as its string, as S3 writes it.
impl serde::Serialize for VersionId {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
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
    fn denied_action_renames_only_permission_errors() {
        let denied = StoreError::PermissionDenied {
            what: "s3://b/k".into(),
            source: "AccessDenied".into(),
        };
        let renamed = denied.denied_action(|| "delete s3://b/k".into());
        assert_eq!(
            renamed.to_string(),
            "access denied: delete s3://b/k (check the credentials' IAM policy)"
        );
        let missing = StoreError::NotFound {
            what: "s3://b/k".into(),
        };
        assert!(matches!(
            missing.denied_action(|| unreachable!("not called for other errors")),
            StoreError::NotFound { .. }
        ));
    }
}
