//! `ffce inspect`: the header, its problems and, with a key, authentication and a content
//! summary of one blob, as an aligned report or one JSON object ([`crate::report`]).
//!
//! The report is printed in full even when the blob is bad, and the exit code then says
//! so (4), so `ffce inspect --json x.ffce | jq` works for good and bad blobs alike.

use std::path::Path;

use crate::exit::CliResult;
use crate::files::{self, read_input_limited};
use crate::keys::BlobKey;
use crate::output::Printer;
use crate::output::report::BlobReport;
use crate::ui::Ui;

/// Runs `ffce inspect`.
pub fn run(ui: &Ui, printer: &mut Printer, key: BlobKey, input: &Path) -> CliResult {
    let blob = read_input_limited(input, &files::ANY_BLOB)?;
    let source = if files::is_stdio(input) {
        "stdin".to_string()
    } else {
        input.display().to_string()
    };
    let report = key.report(ui, &blob, true)?.with_source(source);
    report.warn_device(ui);
    printer.document(&BlobReport::from(&report))?;
    report.error().map_or(Ok(()), Err)
}
