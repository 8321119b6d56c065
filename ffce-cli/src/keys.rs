//! Getting the key a command needs from what the user gave: `--master-key-file`,
//! `--key-file`, or the environment (`FFCE_MASTER_KEY`, then `FFCE_KEY`), per issue 3.
//!
//! A master secret is turned into the key for `--purpose` by HKDF (FFCE-SPEC §2); an
//! already-derived key is used as it is. Keys never appear in messages: a wrong key file
//! is described by its length and apparent encoding (see `ffce_core::key_material`), and a key
//! pasted where a path belongs is not echoed back.

use std::ffi::OsString;
use std::fs;
use std::io::Read;
use std::path::Path;

use ffce_core::{Key, MasterSecret, Purpose};
use zeroize::Zeroizing;

use crate::cli::KeyArgs;
use crate::exit::{CliError, CliResult};
use crate::ui::Ui;
use ffce_core::KEY_LEN;
use ffce_core::key_material;

/// Environment variable holding a device master secret (hex or base64).
pub const MASTER_KEY_ENV: &str = "FFCE_MASTER_KEY";
/// Environment variable holding an already-derived AES key (hex or base64).
pub const KEY_ENV: &str = "FFCE_KEY";

/// Key files larger than this are refused without being read: every accepted encoding
/// of a 32-byte key, with generous whitespace, is far smaller.
const MAX_KEY_FILE_LEN: u64 = 4096;

/// Which flag or variable a key came from, for messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Master,
    Derived,
}

/// Loads the key the command needs; without one, a usage error (exit 2) that says how to
/// give one.
pub fn load_key(ui: &Ui, args: &KeyArgs) -> CliResult<Key> {
    Ok(load_key_and_master(ui, args)?.0)
}

/// [`load_key`], also keeping the master secret when one was given, so that a blob the
/// key does not open can be tried with the other purpose ([`crate::report::purpose_hint`]).
pub fn load_key_and_master(ui: &Ui, args: &KeyArgs) -> CliResult<(Key, Option<MasterSecret>)> {
    load_optional_key_and_master(ui, args)?.ok_or_else(|| {
        CliError::usage(format!(
            "this command needs a key: pass --master-key-file PATH or --key-file PATH, \
             or set {MASTER_KEY_ENV} or {KEY_ENV}"
        ))
    })
}

/// Loads a key if one was given (flag or environment), `None` otherwise.
///
/// Exit codes: 3 for a key file that does not exist, 2 for key material that does not
/// parse, 1 for other I/O errors.
pub fn load_optional_key(ui: &Ui, args: &KeyArgs) -> CliResult<Option<Key>> {
    Ok(load_optional_key_and_master(ui, args)?.map(|(key, _)| key))
}

/// [`load_optional_key`], also keeping the master secret when one was given.
pub fn load_optional_key_and_master(
    ui: &Ui,
    args: &KeyArgs,
) -> CliResult<Option<(Key, Option<MasterSecret>)>> {
    let purpose = Purpose::from(args.purpose);
    if let Some(path) = &args.master_key_file {
        let bytes = read_key_file(ui, path, "--master-key-file")?;
        return Ok(Some(master_key(
            ui,
            &bytes,
            purpose,
            &path.display().to_string(),
        )));
    }
    if let Some(path) = &args.key_file {
        let bytes = read_key_file(ui, path, "--key-file")?;
        return Ok(Some((
            derived_key(ui, &bytes, &path.display().to_string()),
            None,
        )));
    }
    for (var, kind) in [(MASTER_KEY_ENV, Kind::Master), (KEY_ENV, Kind::Derived)] {
        let Some(value) = std::env::var_os(var) else {
            continue;
        };
        let bytes = env_key(var, value)?;
        let source = format!("${var}");
        return Ok(Some(match kind {
            Kind::Master => master_key(ui, &bytes, purpose, &source),
            Kind::Derived => (derived_key(ui, &bytes, &source), None),
        }));
    }
    Ok(None)
}

/// Reads and parses a master secret file (for `ffce key derive`).
pub fn load_master_secret(ui: &Ui, path: &Path) -> CliResult<MasterSecret> {
    let bytes = read_key_file(ui, path, "--master-key-file")?;
    ui.detail(1, format!("master secret: read from {}", path.display()));
    Ok(MasterSecret::from_bytes(*bytes))
}

fn master_key(
    ui: &Ui,
    bytes: &[u8; KEY_LEN],
    purpose: Purpose,
    source: &str,
) -> (Key, Option<MasterSecret>) {
    ui.detail(
        1,
        format!("key: derived for purpose {purpose} from the master secret in {source}"),
    );
    // `from_bytes` takes a copy that `MasterSecret` wipes on drop; the caller's copy is
    // wiped by its `Zeroizing` owner.
    let master = MasterSecret::from_bytes(*bytes);
    (master.derive(purpose), Some(master))
}

fn derived_key(ui: &Ui, bytes: &[u8; KEY_LEN], source: &str) -> Key {
    ui.detail(1, format!("key: the AES key in {source} (used as given)"));
    Key::from_bytes(bytes)
}

fn env_key(var: &str, value: OsString) -> CliResult<Zeroizing<[u8; KEY_LEN]>> {
    // Our copy is wiped; the process environment keeps its own, which we cannot wipe.
    let text = Zeroizing::new(value.into_encoded_bytes());
    key_material::parse_key_text(&text)
        .map_err(|e| CliError::usage(format!("${var} does not hold a key: {e}")))
}

/// Reads a key file: exists (else exit 3), small, parses; warns when group or others
/// may access it.
fn read_key_file(ui: &Ui, path: &Path, flag: &str) -> CliResult<Zeroizing<[u8; KEY_LEN]>> {
    let meta = match fs::metadata(path) {
        Ok(meta) if meta.is_file() => meta,
        Ok(_) => return Err(not_a_file(path, flag, None)),
        Err(e) => return Err(not_a_file(path, flag, Some(e))),
    };
    let shown = path.display();
    warn_if_shared(ui, path, &meta);
    if meta.len() > MAX_KEY_FILE_LEN {
        return Err(CliError::usage(format!(
            "{flag} {shown}: found {}, far too long to be a key; expected 64 hex \
             digits, base64 of 32 bytes, or exactly 32 raw bytes",
            ffce_core::Count(meta.len(), "byte")
        )));
    }
    let mut bytes = Zeroizing::new(Vec::with_capacity(MAX_KEY_FILE_LEN as usize + 1));
    fs::File::open(path)
        .and_then(|f| f.take(MAX_KEY_FILE_LEN + 1).read_to_end(&mut bytes))
        .map_err(|e| CliError::other(format!("cannot read {flag} {shown}: {e}")))?;
    key_material::parse_key_material(&bytes)
        .map_err(|e| CliError::usage(format!("{flag} {shown} does not hold a key: {e}")))
}

/// The error for a key-file argument that is not a readable file. If the argument
/// itself looks like key material, it is not repeated.
fn not_a_file(path: &Path, flag: &str, err: Option<std::io::Error>) -> CliError {
    let missing = err
        .as_ref()
        .is_some_and(|e| e.kind() == std::io::ErrorKind::NotFound);
    if key_material::looks_like_key_text(path.as_os_str().as_encoded_bytes()) {
        let message = format!(
            "the {flag} argument is not a readable file (it looks like key material; \
             pass a file path, not the key)"
        );
        return if missing {
            CliError::not_found(message)
        } else {
            CliError::other(message)
        };
    }
    let shown = path.display();
    match err {
        Some(e) if e.kind() == std::io::ErrorKind::NotFound => {
            CliError::not_found(format!("{flag} {shown}: no such file"))
        }
        Some(e) => CliError::other(format!("cannot read {flag} {shown}: {e}")),
        None => CliError::other(format!("{flag} {shown} is not a regular file")),
    }
}

#[cfg(unix)]
fn warn_if_shared(ui: &Ui, path: &Path, meta: &fs::Metadata) {
    use std::os::unix::fs::PermissionsExt;
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        ui.warn(format!(
            "key file {} is accessible by group or others (mode {mode:04o}); \
             restrict it with `chmod 600 {}`",
            path.display(),
            path.display()
        ));
    }
}

#[cfg(not(unix))]
fn warn_if_shared(_ui: &Ui, _path: &Path, _meta: &fs::Metadata) {}
