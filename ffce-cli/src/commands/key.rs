//! `ffce key ...`: not yet implemented.

use crate::cli::KeyCommand;
use crate::exit::{CliError, CliResult};
use crate::ui::Ui;

/// Runs `ffce key ...`.
pub fn run(_ui: Ui, _cmd: KeyCommand) -> CliResult {
    Err(CliError::other("ffce key is not implemented yet"))
}
