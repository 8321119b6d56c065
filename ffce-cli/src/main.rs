//! The `ffce` command: a thin shell over `ffce-core` (the format) and `ffce-store` (the
//! bucket). It parses the command line, dispatches on one command enum, renders
//! results for people (or as JSON) and maps every failure to a documented exit code.
//!
//! Layers, top to bottom: [`cli`] (what the user typed) → [`commands`] (one module per
//! command; the store commands block on the async store once, at their edge) →
//! helpers for keys, files, reports and the store choice → the library crates.

use std::process::ExitCode;

use clap::FromArgMatches;

mod age;
mod api_client;
mod cli;
mod commands;
mod env;
mod exit;
mod files;
mod help;
mod interrupt;
mod keys;
mod output;
mod report;
mod stdin;
mod store_choice;
mod ui;
mod waiting;

fn main() -> ExitCode {
    // Parsed through `help::command()`, the definitions with their long help completed
    // (environment, files), so `--help` shows it.
    let cli = help::command()
        .try_get_matches()
        .and_then(|m| cli::Cli::from_arg_matches(&m))
        .unwrap_or_else(|e| refuse_command_line(e));
    // Before any command runs, so none keeps a SIGINT/SIGTERM it inherited ignored.
    interrupt::install();
    let env = env::Env::read();
    let ui = ui::Ui::from_cli(&cli, &env);
    let format = cli
        .command
        .output()
        .map_or(output::Format::Human, |o| o.format());
    // `-q` leaves out human reports, except where the text is the answer asked for.
    let quiet = ui.verbosity < 0 && !cli.command.answer_is_the_report();
    let mut printer = output::Printer::new(format, ui.for_stdout().color).quiet(quiet);
    let result = match commands::run(cli.command, &ui, &env, &mut printer) {
        // A report that reached nobody is not a success: a `set -o pipefail` script
        // whose `| head` cut the report short must not read it as a pass.
        Ok(()) if printer.reader_left() => Err(exit::CliError::reader_left(Ok(()))),
        other => other,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        // `ffce diff --exit-code` found differences: its output said so already.
        Err(err) if err.failure == exit::Failure::Differ => err.exit_code(),
        Err(err) => {
            // A script reading `--json` or `--jsonl` gets the error there too, unless the
            // command already printed its result (a report that ends in exit 4).
            printer.error(&err);
            ui.error(&err.message);
            if let Some(detail) = &err.detail {
                ui.detail(1, detail);
            }
            err.exit_code()
        }
    }
}

/// Exits for a command line clap refused (exit 2, or 0 for `--help`). A malformed value
/// (a UUID, a version id, seconds) is reported as JSON too when the command line asks
/// for JSON, as every other error of a `--json` command is: a script reading stdout
/// learns why there is no result.
fn refuse_command_line(e: clap::Error) -> ! {
    use clap::error::ErrorKind;
    let value_error = matches!(
        e.kind(),
        ErrorKind::ValueValidation | ErrorKind::InvalidValue
    );
    let args: Vec<std::ffi::OsString> = std::env::args_os().skip(1).collect();
    let flags = args.iter().take_while(|a| *a != "--");
    let format = match (
        flags.clone().any(|a| a == "--jsonl"),
        flags.clone().any(|a| a == "--json"),
    ) {
        (true, _) => output::Format::Jsonl,
        (false, true) => output::Format::Json,
        _ => output::Format::Human,
    };
    if value_error && format.is_json() {
        let rendered = e.render().to_string();
        let message = rendered
            .lines()
            .next()
            .unwrap_or_default()
            .trim_start_matches("error: ")
            .to_string();
        let err = exit::CliError::usage(message);
        output::Printer::new(format, false).error(&err);
    }
    e.exit()
}
