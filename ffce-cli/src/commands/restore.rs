//! `ffce restore`: not yet implemented.

use crate::cli::RestoreArgs;
use crate::exit::{CliError, CliResult};
use crate::ui::Ui;

/// Runs `ffce restore`.
pub fn run(_ui: Ui, _args: RestoreArgs) -> CliResult {
    Err(CliError::other("ffce restore is not implemented yet"))
}
