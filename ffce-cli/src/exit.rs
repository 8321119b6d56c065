//! Exit codes and the CLI's one error type.
//!
//! The codes are a user-interface contract (issue 3): scripts branch on them, so each
//! failure maps to exactly one code and the mapping lives here alone.

use std::fmt;
use std::process::ExitCode;

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
}

impl Failure {
    /// The process exit code for this kind of failure.
    pub fn code(self) -> u8 {
        match self {
            Failure::Other => 1,
            Failure::Usage => 2,
            Failure::NotFound => 3,
            Failure::Integrity => 4,
            Failure::Refused => 5,
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
  5  refused (a guard, a missing confirmation, an existing output without --force)";

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

/// The result type of every command.
pub type CliResult<T = ()> = Result<T, CliError>;
