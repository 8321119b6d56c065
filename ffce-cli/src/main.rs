//! The `ffce` command: a thin shell over `ffce-core` (the format) and `ffce-store` (the
//! bucket). It parses the command line, dispatches on one command enum, renders
//! results for people (or as JSON) and maps every failure to a documented exit code.
//!
//! Layers, top to bottom: [`cli`] (what the user typed) → [`commands`] (one module per
//! command; the store commands block on the async store once, at their edge) →
//! helpers for keys, files, reports and the store choice → the library crates.

use std::process::ExitCode;

use clap::FromArgMatches;

mod cli;
mod commands;
mod exit;
mod files;
mod help;
mod keys;
mod report;
mod store_choice;
mod ui;

fn main() -> ExitCode {
    // Parsed through `help::command()`, the definitions with their long help completed
    // (environment, files), so `--help` shows it.
    let cli =
        cli::Cli::from_arg_matches(&help::command().get_matches()).unwrap_or_else(|e| e.exit());
    let ui = ui::Ui::from_cli(&cli);
    match commands::run(cli, ui) {
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
