//! `ffce delete`: not yet implemented.

use crate::cli::DeleteArgs;
use crate::exit::{CliError, CliResult};
use crate::ui::Ui;

/// Runs `ffce delete`.
pub fn run(_ui: Ui, _args: DeleteArgs) -> CliResult {
    Err(CliError::other("ffce delete is not implemented yet"))
}
