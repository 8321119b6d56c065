//! `ffce inspect`: the header, its problems and, with a key, authentication and a content
//! summary of one blob, as an aligned report or one JSON object ([`crate::report`]).
//!
//! The report is printed in full even when the blob is bad, and the exit code then says
//! so (4), so `ffce inspect --json x.ffce | jq` works for good and bad blobs alike.

use crate::cli::InspectArgs;
use crate::exit::{CliError, CliResult};
use crate::files::{self, read_input};
use crate::keys::{self, load_optional_key};
use crate::report::build_report;
use crate::ui::Ui;

/// Runs `ffce inspect`.
pub fn run(ui: Ui, args: InspectArgs) -> CliResult {
    keys::refuse_shared_stdin(&args.key, &[&args.input])?;
    let key = load_optional_key(&ui, &args.key)?;
    let blob = read_input(&args.input)?;
    let source = if files::is_stdio(&args.input) {
        "stdin".to_string()
    } else {
        args.input.display().to_string()
    };
    let report = build_report(&blob, key.as_ref())
        .with_source(source)
        .with_key_source(keys::key_source(&args.key));
    let out = if args.json {
        let mut text = serde_json::to_string_pretty(&report.to_json())
            .map_err(|e| CliError::other(format!("cannot format the report: {e}")))?;
        text.push('\n');
        text
    } else {
        report.render_human(&ui.for_stdout())
    };
    files::write_stdout(out.as_bytes())?;
    match report.failure() {
        None => Ok(()),
        Some(failure) => {
            let what = report.errors.first().map_or("invalid", |e| e.code);
            Err(CliError::new(
                failure,
                format!(
                    "{}: not a valid FFCE blob ({what})",
                    report.source.as_deref().unwrap_or("input")
                ),
            ))
        }
    }
}
