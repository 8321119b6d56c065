//! Exit codes and the CLI's one error type.
//!
//! The codes are a user-interface contract: scripts branch on them, so each
//! failure maps to exactly one code and the mapping lives here alone.

use std::fmt;
use std::process::ExitCode;
use std::time::Duration;

use ffce_store::{StoreError, TimeoutLimit};

/// What kind of failure ended a command; each kind has one documented exit code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Failure {
    /// 1: anything not covered below (I/O, network, credentials, server errors).
    Other,
    /// 2: the command line was wrong (clap also exits 2).
    Usage,
    /// 3: a file, object or version does not exist.
    NotFound,
    /// 4: a malformed blob, a failed authentication, a checksum mismatch.
    Integrity,
    /// 5: refused by a guard, a missing confirmation, or an existing output without `--force`.
    Refused,
    /// 6: not a failure: `ffce diff --exit-code` found that the contents differ. Nothing
    /// is printed for it (the diff itself was).
    Differ,
    /// 7: stdout's reader left early (a closed pipe, `| head`) before the command printed
    /// its whole report, so its verdict never reached anyone: not a success. (A verdict
    /// already known to be bad, such as an invalid backup read before the reader left,
    /// keeps its own code.)
    ReaderLeft,
}

impl Failure {
    /// The name of this kind in a JSON error object (`{"error": {"kind": ...}}`).
    pub fn name(self) -> &'static str {
        match self {
            Failure::Other => "other",
            Failure::Usage => "usage",
            Failure::NotFound => "not_found",
            Failure::Integrity => "integrity",
            Failure::Refused => "refused",
            Failure::Differ => "differ",
            Failure::ReaderLeft => "reader_left",
        }
    }

    /// The process exit code for this kind of failure.
    pub fn code(self) -> u8 {
        match self {
            Failure::Other => 1,
            Failure::Usage => 2,
            Failure::NotFound => 3,
            Failure::Integrity => 4,
            Failure::Refused => 5,
            Failure::Differ => 6,
            Failure::ReaderLeft => 7,
        }
    }
}

/// The table printed in `--help` and mirrored in the README.
pub const EXIT_CODES_HELP: &str = "\
Exit codes:
  0  success
  1  any other error (I/O, network, credentials, server)
  2  usage error
  3  not found (file, object, version)
  4  integrity failure (malformed blob, authentication failed, checksum mismatch)
  5  refused (a guard, a missing confirmation, an existing output without --force)
  6  the contents differ (ffce diff --exit-code; not an error)
  7  stdout's reader left early (a closed pipe) before the verdict was complete";

/// A duration in seconds for messages, as the flags take it: `3.5`, `60`.
pub fn seconds(d: Duration) -> String {
    format!("{}", d.as_secs_f64())
}

/// `error: cause: cause ...` on one line, skipping a cause whose text the line already
/// ends with: the detail shown at `-v`.
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

/// An error on its way to the user: a one-line message, optional detail shown with
/// `-v`, and the kind that picks the exit code.
///
/// Messages must never contain key bytes or plaintext.
#[derive(Debug)]
pub struct CliError {
    /// Which exit code this error produces.
    pub failure: Failure,
    /// One line for the user.
    pub message: String,
    /// Further detail (e.g. an SDK error chain), printed only with `-v`.
    pub detail: Option<String>,
}

impl CliError {
    /// An error of the given kind.
    pub fn new(failure: Failure, message: impl Into<String>) -> CliError {
        CliError {
            failure,
            message: message.into(),
            detail: None,
        }
    }

    /// Attaches detail shown only at `-v` or above.
    pub fn with_detail(mut self, detail: impl Into<String>) -> CliError {
        self.detail = Some(detail.into());
        self
    }

    /// Exit code 1.
    pub fn other(message: impl Into<String>) -> CliError {
        CliError::new(Failure::Other, message)
    }

    /// Exit code 2.
    pub fn usage(message: impl Into<String>) -> CliError {
        CliError::new(Failure::Usage, message)
    }

    /// Exit code 3.
    pub fn not_found(message: impl Into<String>) -> CliError {
        CliError::new(Failure::NotFound, message)
    }

    /// Exit code 4.
    pub fn integrity(message: impl Into<String>) -> CliError {
        CliError::new(Failure::Integrity, message)
    }

    /// Exit code 5.
    pub fn refused(message: impl Into<String>) -> CliError {
        CliError::new(Failure::Refused, message)
    }

    /// Exit code 6: the contents differ (`ffce diff --exit-code`); printed as nothing.
    pub fn differ() -> CliError {
        CliError::new(Failure::Differ, "the contents differ")
    }

    /// Exit code 7, or the verdict reached so far: stdout's reader left (a closed pipe)
    /// before the command printed its whole report. `so_far` is what the command would
    /// have answered on what it had read by then; a failure there (an invalid backup
    /// already found: exit 4) is kept, since it is already known to be bad.
    pub fn reader_left(so_far: CliResult) -> CliError {
        const LEFT: &str = "stdout was closed (its reader left early) before the report was \
                            complete";
        match so_far {
            Ok(()) => CliError::new(
                Failure::ReaderLeft,
                format!("{LEFT}, so there is no verdict"),
            ),
            Err(mut e) => {
                e.message = format!("{}; {LEFT}", e.message);
                e
            }
        }
    }

    /// Exit code 2: `what` (a command or flag) works only on a versioned bucket.
    pub fn needs_bucket(what: &str) -> CliError {
        CliError::usage(format!(
            "{what} needs an S3 bucket (pass --bucket or set FFCE_BUCKET); \
             the local store keeps no versions"
        ))
    }

    /// The process exit code.
    pub fn exit_code(&self) -> ExitCode {
        ExitCode::from(self.failure.code())
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for CliError {}

/// A format error from ffce-core: integrity failures exit 4, the rest 1.
impl From<ffce_core::Error> for CliError {
    fn from(e: ffce_core::Error) -> CliError {
        let failure = if e.is_integrity_failure() {
            Failure::Integrity
        } else {
            Failure::Other
        };
        CliError::new(failure, e.to_string())
    }
}

// The device API's HTTP statuses (`ffce api`) become these kinds in
// `api_client::status_error`: 401/403 Refused, 404 NotFound, 400/413 Integrity (the CLI
// checks every other part of a request itself, so the API refused the body), 5xx Other.

/// The result type of every command.
pub type CliResult<T = ()> = Result<T, CliError>;

/// A store error as the command reports it: the one place where `ffce-store`'s errors
/// become exit codes and where their messages gain the flags a user can act on.
///
/// Exit codes: 3 not found (also a missing bucket or folder); 4 checksum; 5 guards
/// (conditional writes, unsafe path); 2 a setting or a version operation the chosen
/// store cannot do (the command line asked for it); 1 for credentials, bucket,
/// permission, conflicts and other failures.
/// Details (SDK error chains) go to `-v`.
impl From<StoreError> for CliError {
    fn from(e: StoreError) -> CliError {
        let detail = match &e {
            StoreError::NoCredentials { source, .. }
            | StoreError::BadCredentials { source, .. }
            | StoreError::PermissionDenied { source, .. } => Some(error_chain(source.as_ref())),
            StoreError::ChecksumMismatch {
                algorithm,
                expected,
                actual,
                ..
            } => Some(format!(
                "stored {algorithm} checksum {expected}, the body's {actual}"
            )),
            StoreError::Other {
                source: Some(s), ..
            } => Some(error_chain(s.as_ref())),
            StoreError::Timeout { source, .. } | StoreError::Unreachable { source, .. } => {
                Some(error_chain(source.as_ref()))
            }
            _ => None,
        };
        let err = match e {
            StoreError::NotFound { .. } => CliError::not_found(e.to_string()),
            StoreError::NoBucket { bucket } => CliError::not_found(format!(
                "bucket {bucket} does not exist (check --bucket or FFCE_BUCKET, and the \
                 endpoint and region)"
            )),
            StoreError::NoFolder { path } => CliError::not_found(format!(
                "folder {} does not exist (check --dir or FFCE_DIR)",
                path.display()
            )),
            StoreError::Deleted {
                what,
                device,
                kept_versions,
            } => CliError::not_found(format!(
                "{what}: not found (deleted; {kept_versions} earlier version(s) kept: \
                 `ffce versions {device}` lists them, `ffce restore` brings one back)"
            )),
            StoreError::IsDeleteMarker { what, device } => CliError::not_found(format!(
                "{what}: not found ({what} is a delete marker, not a backup; pick a \
                 version with content from `ffce versions {device}`)"
            )),
            StoreError::AlreadyExists { what } => CliError::refused(format!(
                "{what} already exists; --if-absent refused to overwrite it"
            )),
            StoreError::PreconditionFailed {
                what,
                missing: true,
            } => CliError::refused(format!(
                "{what} does not exist, so --if-match cannot match; nothing was written"
            )),
            StoreError::PreconditionFailed {
                what,
                missing: false,
            } => CliError::refused(format!(
                "{what} has a different ETag than --if-match gave (someone else wrote it); \
                 nothing was written"
            )),
            StoreError::UnsafePath { .. } => CliError::refused(e.to_string()),
            // Every command that reads a body writes its output only after the read
            // succeeded, so a mismatch leaves nothing behind (the library cannot say so).
            StoreError::ChecksumMismatch { .. } => {
                CliError::integrity(format!("{e}; nothing was written"))
            }
            StoreError::NoVersions { .. } => CliError::needs_bucket("--version-id"),
            StoreError::Unversioned { .. } => CliError::usage(e.to_string()),
            StoreError::Config { setting, problem } => CliError::usage(match setting {
                "region" => "no AWS region configured: pass --region, set AWS_REGION, \
                             or set a region in the AWS profile"
                    .to_string(),
                other => format!("--{}: {problem}", other.replace('_', "-")),
            }),
            // The user gave --profile: name it, rather than suggest --profile.
            StoreError::NoCredentials {
                profile: Some(profile),
                ..
            } => CliError::other(format!(
                "no AWS credentials found for profile {profile}: add them to the profile \
                 in the AWS config or credentials file, or run `aws sso login --profile \
                 {profile}` if it uses SSO"
            )),
            StoreError::NoCredentials { profile: None, .. } => CliError::other(
                "no AWS credentials found: set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, \
                 use --profile, or run `aws sso login`",
            ),
            StoreError::Timeout { what, limit, .. } => CliError::other(match limit {
                TimeoutLimit::Attempt { each, attempts } => format!(
                    "{what}: the S3 request timed out: no answer within --attempt-timeout {} on \
                     any of {attempts} attempt(s) (raise --attempt-timeout or --max-attempts for a \
                     slow endpoint)",
                    seconds(each)
                ),
                TimeoutLimit::Operation { total } => format!(
                    "{what}: the S3 request timed out: the operation did not finish within \
                     --timeout {}, retries included",
                    seconds(total)
                ),
                _ => format!(
                    "{what}: the S3 request timed out (see --attempt-timeout and --timeout)"
                ),
            }),
            other => CliError::other(other.to_string()),
        };
        match detail {
            Some(d) if !d.is_empty() => err.with_detail(d),
            _ => err,
        }
    }
}
