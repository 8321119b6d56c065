//! `ffce inspect`: not yet implemented.

use crate::cli::InspectArgs;
use crate::exit::{CliError, CliResult};
use crate::ui::Ui;

/// Runs `ffce inspect`.
pub fn run(_ui: Ui, _args: InspectArgs) -> CliResult {
    Err(CliError::other("ffce inspect is not implemented yet"))
}
