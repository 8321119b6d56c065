//! `ffce get`: not yet implemented.

use crate::cli::GetArgs;
use crate::exit::{CliError, CliResult};
use crate::ui::Ui;

/// Runs `ffce get`.
pub fn run(_ui: Ui, _args: GetArgs) -> CliResult {
    Err(CliError::other("ffce get is not implemented yet"))
}
