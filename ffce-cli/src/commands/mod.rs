//! One module per command; [`run`] dispatches on the parsed command line.

use crate::cli::{Cli, Command};
use crate::exit::CliResult;
use crate::ui::Ui;

mod audit;
mod bucket;
mod completions;
mod crypt;
mod delete;
mod get;
mod inspect;
mod key;
mod ls;
mod put;
mod restore;
mod store_common;
mod verify;
mod versions;

/// Runs the command the user asked for.
pub fn run(cli: Cli, ui: Ui) -> CliResult {
    match cli.command {
        Command::Inspect(args) => inspect::run(ui, args),
        Command::Encrypt(args) => crypt::encrypt(ui, args),
        Command::Decrypt(args) => crypt::decrypt(ui, args),
        Command::Key(cmd) => key::run(ui, cmd),
        Command::Verify(args) => verify::run(ui, args),
        Command::Put(args) => put::run(ui, args),
        Command::Get(args) => get::run(ui, args),
        Command::Delete(args) => delete::run(ui, args),
        Command::Ls(args) => ls::run(ui, args),
        Command::Versions(args) => versions::run(ui, args),
        Command::Restore(args) => restore::run(ui, args),
        Command::Bucket(cmd) => bucket::run(ui, cmd),
        Command::Audit(args) => audit::run(ui, args),
        Command::Completions(args) => completions::completions(args),
        Command::Man => completions::man(),
    }
}
