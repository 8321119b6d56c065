//! The error a command ended with, as JSON: what a script reads on stdout instead of
//! the result when a `--json` or `--jsonl` command fails before printing it.

use schemars::JsonSchema;
use serde::Serialize;

use super::{Human, Record};
use crate::exit::CliError;

/// `{"schema_version": 1, "error": {...}}` (and with `--jsonl`, the closing record
/// `{"type": "error", "schema_version": 1, "error": {...}}`).
#[derive(Debug, Serialize, JsonSchema)]
pub struct ErrorRecord {
    /// The error.
    pub error: ErrorBody,
}

/// What went wrong.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ErrorBody {
    /// `other`, `usage`, `not_found`, `integrity`, `refused` or `reader_left`.
    pub kind: String,
    /// The exit code that goes with it (1 to 5, or 7).
    pub exit_code: u8,
    /// One line for people (also on stderr).
    pub message: String,
}

impl From<&CliError> for ErrorRecord {
    fn from(e: &CliError) -> ErrorRecord {
        ErrorRecord {
            error: ErrorBody {
                kind: e.failure.name().to_string(),
                exit_code: e.failure.code(),
                message: e.message.clone(),
            },
        }
    }
}

impl Record for ErrorRecord {
    const KIND: &'static str = "error";

    /// Nothing on stdout: the error goes to stderr.
    fn human(&self, _out: &mut Human) {}
}
