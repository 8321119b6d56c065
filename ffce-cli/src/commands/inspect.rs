//! `ffce inspect`: the header, its problems and, with a key, authentication and a content
//! summary of one blob, as an aligned report or one JSON object ([`crate::report`]).
//!
//! The report is printed in full even when the blob is bad, and the exit code then says
//! so (4), so `ffce inspect --json x.ffce | jq` works for good and bad blobs alike.

use super::store_common::{print, print_json};
use crate::cli::InspectArgs;
use crate::exit::CliResult;
use crate::files::{self, read_input_limited};
use crate::keys::{self, load_optional_key_and_master};
use crate::report::build_report;
use crate::ui::Ui;

/// Runs `ffce inspect`.
pub fn run(ui: Ui, args: InspectArgs) -> CliResult {
    keys::refuse_shared_stdin(&args.key, &[&args.input])?;
    let (key, master) = load_optional_key_and_master(&ui, &args.key)?.unzip();
    let blob = read_input_limited(&args.input, &files::ANY_BLOB)?;
    let source = if files::is_stdio(&args.input) {
        "stdin".to_string()
    } else {
        args.input.display().to_string()
    };
    let report = build_report(&blob, key.as_ref())
        .with_master(&blob, master.flatten().as_ref())
        .with_source(source)
        .with_key_source(keys::key_source(&args.key));
    report.warn_device(&ui);
    if args.json {
        print_json(&report.to_json())?;
    } else {
        print(&report.render_human(&ui.for_stdout()))?;
    }
    report.error().map_or(Ok(()), Err)
}
