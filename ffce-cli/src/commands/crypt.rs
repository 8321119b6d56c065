//! `ffce encrypt` and `ffce decrypt`: not yet implemented.

use crate::cli::CryptArgs;
use crate::exit::{CliError, CliResult};
use crate::ui::Ui;

/// Runs `ffce encrypt`.
pub fn encrypt(_ui: Ui, _args: CryptArgs) -> CliResult {
    Err(CliError::other("ffce encrypt is not implemented yet"))
}

/// Runs `ffce decrypt`.
pub fn decrypt(_ui: Ui, _args: CryptArgs) -> CliResult {
    Err(CliError::other("ffce decrypt is not implemented yet"))
}
