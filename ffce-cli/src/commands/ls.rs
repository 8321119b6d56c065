//! `ffce ls`: not yet implemented.

use crate::cli::LsArgs;
use crate::exit::{CliError, CliResult};
use crate::ui::Ui;

/// Runs `ffce ls`.
pub fn run(_ui: Ui, _args: LsArgs) -> CliResult {
    Err(CliError::other("ffce ls is not implemented yet"))
}
