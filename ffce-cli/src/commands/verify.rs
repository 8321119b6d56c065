//! `ffce verify`: not yet implemented.

use crate::cli::VerifyArgs;
use crate::exit::{CliError, CliResult};
use crate::ui::Ui;

/// Runs `ffce verify`.
pub fn run(_ui: Ui, _args: VerifyArgs) -> CliResult {
    Err(CliError::other("ffce verify is not implemented yet"))
}
