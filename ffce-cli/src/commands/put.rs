//! `ffce put`: not yet implemented.

use crate::cli::PutArgs;
use crate::exit::{CliError, CliResult};
use crate::ui::Ui;

/// Runs `ffce put`.
pub fn run(_ui: Ui, _args: PutArgs) -> CliResult {
    Err(CliError::other("ffce put is not implemented yet"))
}
