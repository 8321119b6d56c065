//! One module per command; [`run`] turns what the user typed into what each command
//! needs, once, and dispatches.
//!
//! The two stages of ripgrep's arguments: `crate::cli` is what was typed (checked by
//! clap into typed values); here each command's values are built from it, in the order
//! that refuses cheap mistakes before expensive work: the store target with its origin
//! ([`StoreTarget`]), the stdin-sharing check ([`crate::stdin`]), the output checks,
//! then the key with its source ([`keys::load`]). A command receives only built values
//! and never reads the environment or the flags again.
//!
//! Commands on files run as plain functions. Commands on a store are `async` (the store
//! library is) and [`run`] blocks on each one once, on a current-thread runtime built
//! only for it: the one place the command line meets async code.

use std::future::Future;
use std::path::{Path, PathBuf};

use crate::cli::{ApiCommand, Command, KeyArgs, KeyCommand};
use crate::env::Env;
use crate::exit::{CliError, CliResult};
use crate::files;
use crate::keys::{self, KeySource};
use crate::output::Printer;
use crate::stdin;
use crate::store_choice::{Access, StoreTarget};
use crate::ui::Ui;

mod api;
mod audit;
mod bucket;
mod completions;
mod content_source;
mod crypt;
mod delete;
mod diff;
mod download;
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

/// The key for loose blobs (`inspect`, `verify`): the one given, or with `--key-dir`
/// the folder, searched per blob (the environment's key is then not used).
fn loose_blob_key(
    ui: &Ui,
    args: &crate::cli::KeyArgs,
    key_dir: Option<PathBuf>,
    env: &Env,
) -> CliResult<keys::BlobKey> {
    Ok(match key_dir {
        Some(dir) => keys::BlobKey::FromDir(dir, args.purpose()),
        None => keys::BlobKey::Given(keys::load(ui, args, env)?.map(Box::new)),
    })
}

/// Runs the command the user asked for, printing its results through `printer`.
pub fn run(command: Command, ui: &Ui, env: &Env, printer: &mut Printer) -> CliResult {
    match command {
        Command::Inspect(a) => {
            refuse_shared_stdin(&a.key, env, &[("the input", &a.input)])?;
            let key = loose_blob_key(ui, &a.key, a.key_dir, env)?;
            inspect::run(ui, printer, key, &a.input)
        }
        Command::Encrypt(a) => {
            let opts = files::OutputOptions::blob(a.force).not_over(&a.input);
            files::check_output(&a.output, &opts)?;
            refuse_shared_stdin(&a.key, env, &[("the input", &a.input)])?;
            if let Some(dir) = &a.key_dir {
                return Err(CliError::usage(format!(
                    "encrypt --key-dir: a plaintext names no device, so no key in {} is                      its key; give the device's key with --master-key-file {}/UUID.key",
                    dir.display(),
                    dir.display()
                )));
            }
            let key = keys::require(ui, &a.key, env)?;
            crypt::encrypt(ui, key, &a.input, &a.output, opts, a.force)
        }
        Command::Decrypt(a) => {
            let opts = files::OutputOptions::plaintext(a.force).not_over(&a.input);
            files::check_output(&a.output, &opts)?;
            refuse_shared_stdin(&a.key, env, &[("the input", &a.input)])?;
            let key = match a.key_dir {
                Some(dir) => keys::BlobKey::FromDir(dir, a.key.purpose()),
                None => keys::BlobKey::Given(Some(Box::new(keys::require(ui, &a.key, env)?))),
            };
            crypt::decrypt(ui, key, &a.input, &a.output, opts)
        }
        Command::Key(KeyCommand::Derive(a)) => {
            let master = keys::load_master_secret(ui, a.master_key_file.as_deref(), env)?;
            key::derive(ui, &master, a.purpose.into())
        }
        Command::Verify(a) => {
            let inputs: Vec<(&str, &Path)> =
                a.files.iter().map(|p| ("the input", p.as_path())).collect();
            refuse_shared_stdin(&a.key, env, &inputs)?;
            let key = loose_blob_key(ui, &a.key, a.key_dir, env)?;
            verify::run(
                ui,
                printer,
                verify::Verify {
                    key,
                    files: a.files,
                },
            )
        }
        Command::Put(a) => {
            let (store, target) =
                StoreTarget::resolve_device(&a.store, &a.device, Access::Write, env)?;
            refuse_shared_stdin(&a.key, env, &[("the input", &a.file)])?;
            let key = if let Some(dir) = &a.key_dir {
                Some(keys::from_key_dir(ui, dir, target.device, a.key.purpose())?)
            } else if a.encrypt {
                Some(keys::require(ui, &a.key, env)?)
            } else {
                keys::load(ui, &a.key, env)?
            };
            let put = put::Put {
                store,
                target,
                file: a.file,
                encrypt: a.encrypt,
                force: a.force,
                yes: a.yes,
                key,
                sse_kms_key_id: a.sse_kms_key_id,
                condition: match (a.if_match, a.if_absent) {
                    (Some(etag), _) => ffce_store::Condition::IfMatch(etag),
                    (None, true) => ffce_store::Condition::IfAbsent,
                    (None, false) => ffce_store::Condition::None,
                },
            };
            block_on(put::run(ui, printer, put))
        }
        Command::Get(a) => {
            let (store, target) =
                StoreTarget::resolve_device(&a.store, &a.device, Access::Read, env)?;
            let json = printer.format().is_json();
            let out = files::download_output(a.output.as_deref(), a.decrypt, a.force, json)?;
            // A key given without --decrypt authenticates the blob.
            let key = if a.decrypt {
                Some(keys::require(ui, &a.key, env)?)
            } else {
                keys::load(ui, &a.key, env)?
            };
            let get = get::Get {
                store,
                target,
                version: a.version_id,
                output: a.output.map(|path| (path, out)),
                no_verify: a.no_verify,
                key,
                decrypt: a.decrypt,
            };
            block_on(get::run(ui, printer, get))
        }
        Command::Delete(a) => {
            let (store, target) =
                StoreTarget::resolve_device(&a.store, &a.device, Access::Read, env)?;
            let delete = delete::Delete {
                store,
                target,
                version: a.version_id,
                all_versions: a.all_versions,
                yes: a.yes,
            };
            block_on(delete::run(ui, printer, delete))
        }
        Command::Ls(a) => {
            let store = StoreTarget::resolve(&a.store, env)?;
            block_on(ls::run(ui, printer, store, a.older_than, a.deleted))
        }
        Command::Versions(a) => {
            let (store, target) =
                StoreTarget::resolve_device(&a.store, &a.device, Access::Read, env)?;
            let keys = match a.content {
                true => Some(content_source::Keys::load(
                    ui,
                    &a.key,
                    a.key_dir.as_deref(),
                    env,
                )?),
                false => None,
            };
            block_on(versions::run(ui, printer, store, target, keys))
        }
        Command::Show(a) => block_on(show::run(ui, printer, env, a)),
        Command::Diff(a) => block_on(diff::run(ui, printer, env, a)),
        Command::Restore(a) => {
            let (store, target) =
                StoreTarget::resolve_device(&a.store, &a.device, Access::Read, env)?;
            let key = keys::load(ui, &a.key, env)?;
            let restore = restore::Restore {
                store,
                target,
                version: a.version_id,
                key,
                force: a.force,
            };
            block_on(restore::run(ui, printer, restore))
        }
        Command::Audit(a) => {
            let store = StoreTarget::resolve(&a.store, env)?;
            let keys = match &a.key_dir {
                Some(dir) => audit::Keys::Dir(dir.clone()),
                None => match keys::load(ui, &a.key, env)? {
                    Some(key) => audit::Keys::One(Box::new(key)),
                    None => audit::Keys::None,
                },
            };
            let audit = audit::Audit {
                store,
                keys,
                purpose: a.key.purpose(),
                concurrency: a.concurrency as usize,
                older_than: a.older_than,
                list_all: a.all,
                fail_on: a.fail_on,
            };
            block_on(audit::run(ui, printer, audit))
        }
        Command::Bucket(cmd) => block_on(bucket::run(ui, printer, cmd)),
        Command::Api(ApiCommand::Post(a)) => {
            refuse_shared_stdin(
                &a.key,
                env,
                &[("--device-key", &a.api.device_key), ("the input", &a.file)],
            )?;
            let key = if a.encrypt {
                Some(keys::require(ui, &a.key, env)?)
            } else {
                keys::load(ui, &a.key, env)?
            };
            block_on(api::post(ui, printer, a, key))
        }
        Command::Api(ApiCommand::Get(a)) => {
            let json = printer.format().is_json();
            let out = files::download_output(a.output.as_deref(), a.decrypt, a.force, json)?;
            refuse_shared_stdin(&a.key, env, &[("--device-key", &a.api.device_key)])?;
            // A key given without --decrypt authenticates the blob.
            let key = if a.decrypt {
                Some(keys::require(ui, &a.key, env)?)
            } else {
                keys::load(ui, &a.key, env)?
            };
            block_on(api::get(ui, printer, a, out, key))
        }
        Command::Api(ApiCommand::Delete(a)) => block_on(api::delete(ui, printer, a)),
        Command::Api(ApiCommand::Keygen(a)) => api::keygen(ui, printer, &a.output),
        Command::Completions(a) => completions::completions(a),
        Command::Man(a) => completions::man(ui, a),
    }
}

/// The stdin-sharing check of a command whose key comes from `key` (when from a
/// file) and whose other readers are `others`.
pub(super) fn refuse_shared_stdin(key: &KeyArgs, env: &Env, others: &[(&str, &Path)]) -> CliResult {
    let source = KeySource::of(key, env);
    let mut readers: Vec<(&str, &Path)> = source.iter().filter_map(KeySource::file).collect();
    readers.extend_from_slice(others);
    stdin::refuse_shared(&readers)
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
