//! `ffce versions`: not yet implemented.

use crate::cli::VersionsArgs;
use crate::exit::{CliError, CliResult};
use crate::ui::Ui;

/// Runs `ffce versions`.
pub fn run(_ui: Ui, _args: VersionsArgs) -> CliResult {
    Err(CliError::other("ffce versions is not implemented yet"))
}
