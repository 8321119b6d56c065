//! What the bucket commands (put, get, delete, ls, versions, restore) share: reading the
//! device argument, printing results, and the undo hint after a delete.

use std::io::{BufRead, IsTerminal, Write};

use futures_util::StreamExt as _;
use futures_util::stream::BoxStream;
use serde_json::Value;

use crate::cli::{Command, LayoutArg, StoreArgs};
use crate::exit::{CliError, CliResult};
use crate::files;
use ffce_core::{DeviceId, Layout, ObjectKey, StrayReason};
use ffce_store::{DeviceUrl, ListEntry, ListPace, Store, StoreError, VersionId};

use crate::store_choice::{self, StoreChoice};

/// Parses the UUID argument; anything else is a usage error (exit 2) before any
/// request or file access.
///
/// The input is echoed only when it is short printable ASCII: a key pasted into the
/// wrong place (64 hex digits or 44 base64 characters) is never repeated.
pub fn device_arg(input: &str) -> CliResult<DeviceId> {
    DeviceId::parse(input).map_err(|e| {
        let shown = if input.len() <= 40 && input.bytes().all(|b| b.is_ascii_graphic()) {
            format!("{input:?}")
        } else {
            "the UUID argument".to_string()
        };
        CliError::usage(format!("{shown}: {e}"))
    })
}

/// Lets an `s3://bucket/uuid/backup.ffce` or `s3://bucket/uuid` URL stand for the
/// UUID of put, get, delete, versions and restore: the URL's device becomes the UUID
/// argument and its bucket the store, before the command runs.
///
/// The command line wins over the environment: a bucket or folder from `FFCE_BUCKET`
/// or `FFCE_DIR` gives way to the URL's bucket, but a `--bucket` naming another bucket,
/// a `--dir`, or `--layout flat` with a URL naming the nested key are usage errors.
///
/// A URL names one exact key. When its UUID is not in lowercase (a key the Python
/// device API stored as a device sent it), get, delete, versions and restore act on
/// that key ([`StoreArgs::url_key`]); put still writes the lowercase key, as every
/// writer does.
pub fn resolve_device_urls(command: &mut Command) -> CliResult {
    let (uuid, store, writes) = match command {
        Command::Put(a) => (&mut a.uuid, &mut a.store, true),
        Command::Get(a) => (&mut a.uuid, &mut a.store, false),
        Command::Delete(a) => (&mut a.uuid, &mut a.store, false),
        Command::Versions(a) => (&mut a.uuid, &mut a.store, false),
        Command::Restore(a) => (&mut a.uuid, &mut a.store, false),
        Command::Show(a) => (&mut a.source, &mut a.store, false),
        // Two sources: each may be a URL (of one bucket), each keeps its own exact key.
        Command::Diff(a) => {
            resolve_device_url(&mut a.first, &mut a.store, false)?;
            a.url_keys[0] = a.store.url_key.take();
            if let Some(second) = &mut a.second {
                resolve_device_url(second, &mut a.store, false)?;
                a.url_keys[1] = a.store.url_key.take();
            }
            return Ok(());
        }
        _ => return Ok(()),
    };
    resolve_device_url(uuid, store, writes)
}

/// [`resolve_device_urls`] for one argument: a URL becomes its UUID, its bucket the
/// store's, its exact key `store.url_key`; anything else is left as it is.
fn resolve_device_url(uuid: &mut String, store: &mut StoreArgs, writes: bool) -> CliResult {
    if !DeviceUrl::is_url(uuid) {
        return Ok(());
    }
    let shown = if uuid.len() <= 300 && uuid.bytes().all(|b| b.is_ascii_graphic()) {
        uuid.clone()
    } else {
        "the s3:// URL".to_string()
    };
    let url = DeviceUrl::parse(uuid).map_err(|e| CliError::usage(format!("{shown}: {e}")))?;
    // clap fills `bucket` and `dir` only from the command line (`store_choice` reads
    // the variables), so whatever is set here was typed and contradicts the URL.
    if let Some(bucket) = &store.bucket {
        if *bucket != url.bucket {
            return Err(CliError::usage(format!(
                "{shown} names bucket {} but --bucket gives {bucket}; give one of them",
                url.bucket
            )));
        }
    }
    if store.dir.is_some() {
        return Err(CliError::usage(format!(
            "{shown} names an S3 bucket, but --dir selects a local folder; give one of them"
        )));
    }
    if url.layout == Some(Layout::Nested) && store.layout == LayoutArg::Flat {
        return Err(CliError::usage(format!(
            "{shown} names the nested key (UUID/backup.ffce), but --layout flat was given"
        )));
    }
    let key = url.key(Layout::from(store.layout));
    store.url_key = (!writes && !key.is_canonical()).then_some(key);
    store.bucket = Some(url.bucket);
    *uuid = url.device.to_string();
    Ok(())
}

/// A `--version-id` value, checked before it reaches a request.
pub fn version_arg(input: &str) -> CliResult<VersionId> {
    VersionId::parse(input).map_err(|_| {
        CliError::usage(
            "--version-id: expected a version id as `ffce versions UUID` lists it \
             (1 to 1,024 printable characters, no spaces)",
        )
    })
}

/// The object key of `device` in the layout `args` asks for: the lowercase key, unless
/// an `s3://` URL named the device's key with the UUID in another case.
pub fn object_key(device: DeviceId, args: &StoreArgs) -> ObjectKey {
    args.url_key
        .unwrap_or_else(|| ObjectKey::new(device, Layout::from(args.layout)))
}

/// How a command line names `key`, whose location is `location`: the device's UUID,
/// or for a key not in lowercase its `s3://` URL, the only way to name that key (with
/// `--layout flat` for a flat key, as a URL without `/backup.ffce` takes the layout
/// from that flag).
pub fn key_argument(key: &ObjectKey, location: &str) -> String {
    match (key.is_canonical(), key.layout()) {
        (true, _) => key.device().to_string(),
        (false, Layout::Nested) => shell_word(location),
        (false, Layout::Flat) => format!("{} --layout flat", shell_word(location)),
    }
}

/// Why a listed key is not a backup of the layout, with the command that shows it
/// when there is one.
pub fn stray_explanation(reason: StrayReason) -> String {
    match reason {
        StrayReason::OtherLayout(layout) => format!(
            "{} (see: ffce ls --layout {})",
            reason.describe(),
            layout.name()
        ),
        StrayReason::NotCanonical => {
            "UUID not in lowercase; ffce writes only the lowercase key, and reads this one \
             by its s3:// URL"
                .to_string()
        }
        other => other.describe().to_string(),
    }
}

/// Every object in the store. A `--dir` (or bucket) that does not exist is an error,
/// exit 3; only the embedded default store, which is created by the first `put`,
/// lists as empty before it exists.
pub async fn list_store(store: &dyn Store, args: &StoreArgs) -> CliResult<Vec<ListEntry>> {
    match store.list().await {
        Err(StoreError::NoFolder { .. })
            if matches!(store_choice::choose(args), Ok(StoreChoice::Default(_))) =>
        {
            Ok(Vec::new())
        }
        other => Ok(other?),
    }
}

/// Every object in the store, page by page as the pages arrive ([`Store::list_pages`]),
/// with the same allowance as [`list_store`]: the embedded default store lists as
/// empty before its first `put`.
pub fn list_pages<'a>(
    store: &'a dyn Store,
    args: &StoreArgs,
    pace: ListPace,
) -> BoxStream<'a, Result<Vec<ListEntry>, StoreError>> {
    let default_store = matches!(store_choice::choose(args), Ok(StoreChoice::Default(_)));
    store
        .list_pages(pace)
        .filter(move |page| {
            std::future::ready(!(default_store && matches!(page, Err(StoreError::NoFolder { .. }))))
        })
        .boxed()
}

/// Whether the flags select an S3 bucket (without building anything).
pub fn selects_bucket(args: &StoreArgs) -> CliResult<bool> {
    Ok(matches!(
        store_choice::choose(args)?,
        StoreChoice::Bucket(_)
    ))
}

/// Prints one pretty JSON value and a newline on stdout.
pub fn print_json(value: &Value) -> CliResult {
    let mut text = serde_json::to_string_pretty(value)
        .map_err(|e| CliError::other(format!("cannot format JSON: {e}")))?;
    text.push('\n');
    files::write_stdout(text.as_bytes())
}

/// Prints one JSON value on one line of stdout, flushed (JSON Lines). Returns false
/// when the reader has gone (a closed pipe, e.g. `| head`): not an error, but a
/// streaming command should stop rather than work for nobody.
pub fn print_json_line(value: &Value) -> CliResult<bool> {
    let mut line = serde_json::to_string(value)
        .map_err(|e| CliError::other(format!("cannot format JSON: {e}")))?;
    line.push('\n');
    files::write_stdout_while_read(line.as_bytes())
}

/// Prints text on stdout (a closed pipe is not an error).
pub fn print(text: &str) -> CliResult {
    files::write_stdout(text.as_bytes())
}

/// The exact command that brings `version` of `key` (at `location`) back, with the
/// store flags the user gave.
pub fn restore_command(args: &StoreArgs, key: &ObjectKey, location: &str, version: &str) -> String {
    let mut cmd = format!(
        "ffce restore {} --version-id {}",
        key_argument(key, location),
        shell_word(version)
    );
    // A key not in lowercase is named by its URL (key_argument), which holds the bucket
    // and, with --layout flat for a flat key, the layout.
    if key.is_canonical() {
        if let Ok(StoreChoice::Bucket(bucket)) = store_choice::choose(args) {
            cmd.push_str(&format!(" --bucket {}", shell_word(&bucket)));
        }
        if key.layout() == Layout::Flat {
            cmd.push_str(" --layout flat");
        }
    }
    for (flag, value) in args.s3.given_flags() {
        cmd.push_str(&format!(" {flag} {}", shell_word(value)));
    }
    cmd
}

/// Quotes a word for a POSIX shell when it needs it.
/// `s` as one shell word, quoted only when it must be.
pub(super) fn shell_word(s: &str) -> String {
    shlex::try_quote(s).map_or_else(|_| "''".to_string(), |q| q.into_owned())
}

/// Asks on the terminal; true only for `yes`. Without a terminal on stdin and stderr
/// nobody can answer, and the caller must refuse instead.
pub fn confirm(question: &str) -> CliResult<bool> {
    if !can_ask() {
        return Ok(false);
    }
    let mut err = std::io::stderr().lock();
    let _ = write!(err, "{question} Type 'yes' to confirm: ");
    let _ = err.flush();
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(|e| CliError::other(format!("cannot read the answer: {e}")))?;
    Ok(answer.trim() == "yes")
}

/// True when a person can be asked (stdin and stderr are terminals).
pub fn can_ask() -> bool {
    std::io::stdin().is_terminal() && std::io::stderr().is_terminal()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_words() {
        assert_eq!(shell_word("abc.DEF_1-2"), "abc.DEF_1-2");
        assert_eq!(shell_word("a b"), "'a b'");
        assert_eq!(shell_word("it's"), r#""it's""#);
    }

    #[test]
    fn device_errors_do_not_echo_long_input() {
        let key = "11".repeat(32);
        let err = device_arg(&key).unwrap_err();
        assert!(!err.message.contains(&key));
        let err = device_arg("not-a-uuid").unwrap_err();
        assert!(err.message.contains("not-a-uuid"));
    }
}
