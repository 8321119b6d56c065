//! `ffce encrypt` and `ffce decrypt`: seal a plaintext file into a blob, open a blob
//! into its plaintext. Both write their output atomically ([`crate::files`]).
//!
//! Order of work, so that nothing expensive or irreversible happens before a cheap check
//! fails: the output is checked first (exists without `--force`, is the input, binary to
//! a terminal: exit 5), then the key is loaded, then the input read, then the crypto,
//! and only a successful result is written. Decrypt writes nothing unless the tag
//! verified (docs/SPEC.md §1), so a failed decrypt leaves no file at all.

use std::path::Path;

use ffce_core::{
    numbers::{Grouped, bytes},
    upload::{MAX_BLOB_LEN, MAX_PLAINTEXT_LEN},
};

use crate::exit::{CliError, CliResult};
use crate::files::{self, OutputOptions};
use crate::keys::{BlobKey, ChosenKey, LoadedKey};
use crate::report::{open_error, refuse_unrestorable, warn_restore_problems};
use crate::ui::Ui;
use ffce_core::{Purpose, keys::KeyOrigin};

/// Runs `ffce encrypt`: the output was checked and the key loaded. A plaintext the
/// controller would not restore as a backup is refused (exit 4) unless `force`
/// ([`refuse_unrestorable`]), when the key is the backup key derived from a master
/// secret: `encrypt` also seals on-device config files, and an already-derived key
/// (`--key-file`) has no known purpose.
pub fn encrypt(
    ui: &Ui,
    key: LoadedKey,
    input: &Path,
    output: &Path,
    opts: OutputOptions,
    force: bool,
) -> CliResult {
    let plaintext = files::read_secret_input_limited(input, &files::ANY_PLAINTEXT)?;
    if key.key.origin() == KeyOrigin::Derived(Purpose::Backup) {
        let source = if files::is_stdio(input) {
            "stdin".to_string()
        } else {
            input.display().to_string()
        };
        refuse_unrestorable(
            ui,
            &source,
            &plaintext,
            &key.key,
            force,
            "nothing was written",
            "encrypting it anyway",
        )?;
    }
    if plaintext.len() > MAX_PLAINTEXT_LEN {
        // Allowed: configfs files have no size limit. Only the cloud has one (§3).
        ui.warn(format!(
            "the blob will be {}, over the cloud's {}-byte upload limit; \
             the cloud will refuse it as a backup (fine for a configfs file)",
            bytes(
                plaintext
                    .len()
                    .saturating_add(ffce_core::format::HEADER_LEN)
            ),
            Grouped(MAX_BLOB_LEN as u64)
        ));
    }
    let blob = key
        .key
        .seal(&plaintext)
        .map_err(|e| CliError::other(format!("cannot encrypt {}: {e}", input.display())))?;
    drop(plaintext); // wiped now, not after the write
    let written = files::write_output(output, &blob, opts)?;
    ui.detail(1, format!("encrypted into {}", written.describe()));
    Ok(())
}

/// Runs `ffce decrypt`: the output was checked and the key loaded.
pub fn decrypt(
    ui: &Ui,
    key: BlobKey,
    input: &Path,
    output: &Path,
    opts: OutputOptions,
) -> CliResult {
    let blob = files::read_input_limited(input, &files::ANY_BLOB)?;
    let chosen = key.for_blob(ui, &blob)?;
    let key = match &chosen {
        ChosenKey::Given(Some(key)) => *key,
        ChosenKey::Found(key) => key,
        ChosenKey::Given(None) => {
            return Err(CliError::usage(
                "decrypt needs a key: --master-key-file, --key-file or --key-dir",
            ));
        }
        ChosenKey::NoneOpens(dir, _) => {
            let why = if ffce_core::inspect(&blob).is_valid() {
                "no device key in it opens the input"
            } else {
                "the input is not a valid FFCE blob (`ffce inspect` says why)"
            };
            return Err(CliError::integrity(format!(
                "cannot decrypt {} with --key-dir {}: {why}",
                input.display(),
                dir.display()
            )));
        }
    };
    // Opened from a borrowed blob (not `open_vec`, which wipes it on failure), so that a
    // failure can still be explained: what the input looks like, or which purpose opens it.
    let plaintext = key.key.open(&blob).map_err(|e| {
        let mut err = open_error(e, &blob, key);
        err.message = format!("cannot decrypt {}: {}", input.display(), err.message);
        err
    })?;
    drop(blob);
    let source = if files::is_stdio(input) {
        "stdin".to_string()
    } else {
        input.display().to_string()
    };
    warn_restore_problems(ui, &source, &plaintext, &key.key);
    let written = files::write_output(output, &plaintext, opts)?;
    ui.detail(1, format!("decrypted into {}", written.describe()));
    Ok(())
}
