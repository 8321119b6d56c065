//! The `ffce` binary: parse, dispatch, map the outcome to an exit code. Nothing else.

use std::process::ExitCode;

use clap::Parser;
use ffce_cli::cli::Cli;
use ffce_cli::ui::Ui;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let ui = Ui::from_cli(&cli);
    match ffce_cli::commands::run(cli, ui) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            ui.error(&err.message);
            if let Some(detail) = &err.detail {
                ui.detail(1, detail);
            }
            err.exit_code()
        }
    }
}
