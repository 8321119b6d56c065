//! `ffce completions` and `ffce man`: generated from the same clap definitions as the
//! parser, so they always match the real command line.

use std::io::Write;

use clap::CommandFactory;

use crate::cli::{Cli, CompletionsArgs};
use crate::exit::{CliError, CliResult};

/// Prints completions for the requested shell.
pub fn completions(args: CompletionsArgs) -> CliResult {
    let mut cmd = Cli::command();
    clap_complete::generate(args.shell, &mut cmd, "ffce", &mut std::io::stdout());
    Ok(())
}

/// Prints the man page.
pub fn man() -> CliResult {
    let mut page = Vec::new();
    clap_mangen::Man::new(Cli::command())
        .render(&mut page)
        .map_err(|e| CliError::other(format!("cannot render the man page: {e}")))?;
    std::io::stdout()
        .write_all(&page)
        .map_err(|e| CliError::other(format!("cannot write the man page: {e}")))
}
