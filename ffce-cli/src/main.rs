//! The `ffce` command: a thin shell over `ffce-core` (the format) and `ffce-store` (the
//! bucket). It parses the command line, dispatches on one command enum, renders
//! results for people (or as JSON) and maps every failure to a documented exit code.
//!
//! Layers, top to bottom: [`cli`] (what the user typed) → [`commands`] (one module per
//! command; the store commands block on the async store once, at their edge) →
//! helpers for keys, files, reports and the store choice → the library crates.

use std::process::ExitCode;

use clap::FromArgMatches;

mod api_client;
mod cli;
mod commands;
mod exit;
mod files;
mod help;
mod interrupt;
mod keys;
mod output;
mod report;
mod store_choice;
mod ui;
mod waiting;

fn main() -> ExitCode {
    // Parsed through `help::command()`, the definitions with their long help completed
    // (environment, files), so `--help` shows it.
    let cli =
        cli::Cli::from_arg_matches(&help::command().get_matches()).unwrap_or_else(|e| e.exit());
    // Before any command runs, so none keeps a SIGINT/SIGTERM it inherited ignored.
    interrupt::install();
    let ui = ui::Ui::from_cli(&cli);
    let json = wants_json(&cli.command);
    match commands::run(cli, ui) {
        Ok(()) => ExitCode::SUCCESS,
        // `ffce diff --exit-code` found differences: its output said so already.
        Err(err) if err.failure == exit::Failure::Differ => err.exit_code(),
        Err(err) => {
            // A script reading `--json` output gets the error there too, unless the
            // command already printed its result (a report that ends in exit 4).
            if json && !files::stdout_used() {
                let mut text = err.to_json().to_string();
                text.push('\n');
                let _ = files::write_stdout(text.as_bytes());
            }
            ui.error(&err.message);
            if let Some(detail) = &err.detail {
                ui.detail(1, detail);
            }
            err.exit_code()
        }
    }
}

/// Whether the command was asked for JSON output.
fn wants_json(command: &cli::Command) -> bool {
    use cli::{ApiCommand, BucketCommand, Command};
    match command {
        Command::Inspect(a) => a.json,
        Command::Verify(a) => a.json,
        Command::Put(a) => a.json,
        Command::Get(a) => a.json,
        Command::Delete(a) => a.json,
        Command::Ls(a) => a.json,
        Command::Versions(a) => a.output.format().is_json(),
        Command::Show(a) => a.output.format().is_json(),
        Command::Diff(a) => a.output.format().is_json(),
        Command::Restore(a) => a.json,
        Command::Audit(a) => a.json,
        Command::Bucket(BucketCommand::Create(a)) => a.json,
        Command::Bucket(BucketCommand::Check(a)) => a.json,
        Command::Bucket(BucketCommand::Empty(a)) => a.json,
        Command::Api(ApiCommand::Post(a)) => a.json,
        Command::Api(ApiCommand::Get(a)) => a.json,
        Command::Api(ApiCommand::Delete(a)) => a.json,
        Command::Api(ApiCommand::Keygen(a)) => a.json,
        Command::Encrypt(_)
        | Command::Decrypt(_)
        | Command::Key(_)
        | Command::Completions(_)
        | Command::Man(_) => false,
    }
}
