//! What the bucket commands (put, get, delete, ls, versions, restore) share: listing,
//! naming a key on a command line, the undo hint after a delete, confirmations.

use std::io::{BufRead, IsTerminal, Write};

use futures_util::StreamExt as _;
use futures_util::stream::BoxStream;

use crate::exit::{CliError, CliResult};
use crate::output::listing::StrayKey;
use crate::output::timestamp;
use crate::store_choice::StoreTarget;
use ffce_core::layout::{Layout, ObjectKey, StrayReason};
use ffce_store::{ListEntry, ListPace, OverwriteEffect, Store, StoreError};

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
            "a backup in the {} layout (see: ffce ls --layout {})",
            layout.name(),
            layout.name()
        ),
        StrayReason::NotCanonical => {
            "UUID not in lowercase; ffce writes only the lowercase key, and reads this one \
             by its s3:// URL"
                .to_string()
        }
        StrayReason::Unrecognised => "not a backup key of either layout".to_string(),
    }
}

/// A listed key that is not a backup of the layout, as `ls` and `audit` both report it.
pub fn stray_record(reason: StrayReason, e: &ListEntry) -> StrayKey {
    StrayKey {
        key: e.key.clone(),
        size: e.size,
        last_modified: e.last_modified.map(timestamp),
        reason: reason.code().to_string(),
        explanation: stray_explanation(reason),
    }
}

/// Every object in the store. A `--dir` (or bucket) that does not exist is an error,
/// exit 3; only the embedded default store, which is created by the first `put`,
/// lists as empty before it exists.
pub async fn list_store(store: &dyn Store, target: &StoreTarget) -> CliResult<Vec<ListEntry>> {
    match store.list().await {
        Err(StoreError::NoFolder { .. }) if target.is_default() => Ok(Vec::new()),
        other => Ok(other?),
    }
}

/// Every object in the store, page by page as the pages arrive ([`Store::list_pages`]),
/// with the same allowance as [`list_store`]: the embedded default store lists as
/// empty before its first `put`.
pub fn list_pages<'a>(
    store: &'a dyn Store,
    target: &StoreTarget,
    pace: ListPace,
) -> BoxStream<'a, Result<Vec<ListEntry>, StoreError>> {
    let default_store = target.is_default();
    store
        .list_pages(pace)
        .filter(move |page| {
            std::future::ready(!(default_store && matches!(page, Err(StoreError::NoFolder { .. }))))
        })
        .boxed()
}

/// The exact command that brings `version` of `key` (at `location`) back, with the
/// store flags the user gave.
pub fn restore_command(
    target: &StoreTarget,
    key: &ObjectKey,
    location: &str,
    version: &str,
) -> String {
    let mut cmd = format!(
        "ffce restore {} --version-id {}",
        key_argument(key, location),
        shell_word(version)
    );
    // A key not in lowercase is named by its URL (key_argument), which holds the bucket
    // and, with --layout flat for a flat key, the layout.
    if key.is_canonical() {
        if let Some(bucket) = target.bucket() {
            cmd.push_str(&format!(" --bucket {}", shell_word(bucket)));
        }
        if key.layout() == Layout::Flat {
            cmd.push_str(" --layout flat");
        }
    }
    for (flag, value) in target.s3.given_flags() {
        cmd.push_str(&format!(" {flag} {}", shell_word(value)));
    }
    cmd
}

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

/// Before a put: when it would destroy the only copy of the backup at `key` (a store
/// or bucket that keeps no versions), asks as a permanent delete asks; not confirmed,
/// or nobody to ask, is exit 5 and nothing is written. Nothing there, or a versioned
/// bucket that keeps the old backup as a version, asks nothing. A store that refuses
/// the look (access denied) cannot tell: that is asked about too.
pub async fn confirm_overwrite(store: &dyn Store, key: &ObjectKey) -> CliResult {
    let location = store.describe(key);
    let why = match store.overwrite_effect(key).await {
        Ok(OverwriteEffect::Nothing | OverwriteEffect::KeepsPrevious) => return Ok(()),
        Ok(OverwriteEffect::Destroys) if store.versioned().is_some() => {
            "the bucket keeps no versions of it".to_string()
        }
        Ok(OverwriteEffect::Destroys) => "this store keeps no versions".to_string(),
        Err(e @ StoreError::PermissionDenied { .. }) => {
            format!("ffce could not check whether the bucket keeps a version of it ({e})")
        }
        Err(e) => return Err(e.into()),
    };
    let question = format!(
        "Replace the backup at {location}? {why}, so the backup there now would be lost \
         for good; it cannot be undone."
    );
    if confirm(&question)? {
        return Ok(());
    }
    let how = if can_ask() {
        "not confirmed"
    } else {
        "pass --yes to confirm (no terminal to ask on)"
    };
    Err(CliError::refused(format!(
        "{location} holds a backup and {why}: this put would destroy it for good; {how}; \
         nothing was uploaded"
    )))
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
}
