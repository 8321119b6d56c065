//! `ffce completions` and `ffce man`: generated from the same clap definitions as the
//! parser, so they always match the real command line.

use clap::CommandFactory;

use crate::cli::{Cli, CompletionsArgs};
use crate::exit::{CliError, CliResult};
use crate::files::write_stdout;

/// Prints completions for the requested shell.
pub fn completions(args: CompletionsArgs) -> CliResult {
    let mut cmd = Cli::command();
    // Generated into memory first: clap_complete panics when its writer fails, and
    // `ffce completions bash | head` closes the pipe early, which is not an error.
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut cmd, "ffce", &mut script);
    write_stdout(&script)
}

/// Prints the man page.
pub fn man() -> CliResult {
    let mut page = Vec::new();
    clap_mangen::Man::new(Cli::command())
        .render(&mut page)
        .map_err(|e| CliError::other(format!("cannot render the man page: {e}")))?;
    write_stdout(&page)
}
