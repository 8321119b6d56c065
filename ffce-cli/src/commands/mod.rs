//! One module per command; [`run`] dispatches on the parsed command line.
//!
//! Commands on files run as plain functions. Commands on a store are `async` (the store
//! library is) and [`run`] blocks on each one once, on a current-thread runtime built
//! only for it: the one place the command line meets async code.

use std::future::Future;

use crate::cli::{Cli, Command};
use crate::exit::{CliError, CliResult};
use crate::ui::Ui;

mod api;
mod audit;
mod bucket;
mod completions;
mod content_source;
mod crypt;
mod delete;
mod diff;
mod get;
mod inspect;
mod key;
mod ls;
mod put;
mod restore;
mod show;
mod store_common;
mod verify;
mod versions;

/// Runs the command the user asked for.
pub fn run(mut cli: Cli, ui: Ui) -> CliResult {
    store_common::resolve_device_urls(&mut cli.command)?;
    match cli.command {
        Command::Inspect(args) => inspect::run(ui, args),
        Command::Encrypt(args) => crypt::encrypt(ui, args),
        Command::Decrypt(args) => crypt::decrypt(ui, args),
        Command::Key(cmd) => key::run(ui, cmd),
        Command::Verify(args) => verify::run(ui, args),
        Command::Put(args) => block_on(put::run(ui, args)),
        Command::Get(args) => block_on(get::run(ui, args)),
        Command::Delete(args) => block_on(delete::run(ui, args)),
        Command::Ls(args) => block_on(ls::run(ui, args)),
        Command::Versions(args) => block_on(versions::run(ui, args)),
        Command::Show(args) => block_on(show::run(ui, args)),
        Command::Diff(args) => block_on(diff::run(ui, args)),
        Command::Restore(args) => block_on(restore::run(ui, args)),
        Command::Bucket(cmd) => block_on(bucket::run(ui, cmd)),
        Command::Audit(args) => block_on(audit::run(ui, args)),
        Command::Api(cmd) => api::run(ui, cmd),
        Command::Completions(args) => completions::completions(args),
        Command::Man(args) => completions::man(ui, args),
    }
}

/// Runs one store command to completion. A current-thread runtime is enough: the
/// commands wait on the network, and the audit moves its CPU work to the runtime's
/// blocking pool.
pub(super) fn block_on(command: impl Future<Output = CliResult>) -> CliResult {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::other(format!("cannot start the network runtime: {e}")))?
        .block_on(command)
}
