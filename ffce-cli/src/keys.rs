//! Getting the key a command needs from what the user gave: `--master-key-file`,
//! `--key-file`, or the environment (`FFCE_MASTER_KEY`, then `FFCE_KEY`).
//!
//! A master secret is turned into the key for `--purpose` by HKDF (docs/SPEC.md §2); an
//! already-derived key is used as it is. Keys never appear in messages: a wrong key file
//! is described by its length and apparent encoding (see `ffce_core::key_material`), and a key
//! pasted where a path belongs is not echoed back.
//!
//! A key file may be a stream, so that a secret never has to touch the disk: `-` (stdin),
//! `/dev/stdin`, a FIFO or a shell's `<(command)`. At most [`MAX_KEY_FILE_LEN`] bytes are
//! read from any of them, and stdin cannot carry the key and the payload at once.

use std::ffi::OsString;
use std::fmt;
use std::fs;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use ffce_core::device_auth::DeviceSigningKey;
use ffce_core::layout::DeviceId;
use ffce_core::{Key, MasterSecret, Purpose, key_material, keys::KEY_LEN, numbers::Grouped};
use ffce_store::bounded::{Bounded, MAX_KEY_FILE_LEN, read_at_most};
use ffce_store::keyring::{KeyDir, KeyFileError};
use zeroize::Zeroizing;

use crate::cli::KeyArgs;
use crate::env::{Env, KEY_ENV, MASTER_KEY_ENV};
use crate::exit::{CliError, CliResult};
use crate::files;
use crate::stdin;
use crate::ui::Ui;

/// Where a command's key comes from, for the notes and reports that say so (a key
/// left in the shell's environment must never be used silently).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeySource {
    /// A key-file flag (`--master-key-file`, `--key-file`) and its path.
    File {
        /// The flag.
        flag: &'static str,
        /// The path as given (`-` for stdin).
        path: PathBuf,
    },
    /// An environment variable ([`MASTER_KEY_ENV`] or [`KEY_ENV`]).
    Env(&'static str),
    /// `--key-dir DIR`: the master secret of the device whose key opened the blob.
    KeyDir {
        /// The folder.
        dir: PathBuf,
        /// The device whose key file it is (`DIR/{uuid}.key`).
        device: DeviceId,
    },
}

impl KeySource {
    /// Where the key comes from, in the order it is looked for: `--master-key-file`,
    /// `--key-file`, then [`MASTER_KEY_ENV`] and [`KEY_ENV`]. `None`: no key given.
    pub fn of(args: &KeyArgs, env: &Env) -> Option<KeySource> {
        if let Some(path) = &args.master_key_file {
            return Some(KeySource::File {
                flag: "--master-key-file",
                path: path.clone(),
            });
        }
        if let Some(path) = &args.key_file {
            return Some(KeySource::File {
                flag: "--key-file",
                path: path.clone(),
            });
        }
        if env.master_key_set {
            Some(KeySource::Env(MASTER_KEY_ENV))
        } else if env.key_set {
            Some(KeySource::Env(KEY_ENV))
        } else {
            None
        }
    }

    /// True when the source holds a master secret (the key is derived from it).
    pub fn is_master(&self) -> bool {
        match self {
            KeySource::File { flag, .. } => *flag == "--master-key-file",
            KeySource::Env(var) => *var == MASTER_KEY_ENV,
            KeySource::KeyDir { .. } => true,
        }
    }

    /// The key file's flag and path, when the key is read from a file.
    pub fn file(&self) -> Option<(&'static str, &Path)> {
        match self {
            KeySource::File { flag, path } => Some((flag, path)),
            KeySource::Env(_) | KeySource::KeyDir { .. } => None,
        }
    }
}

impl fmt::Display for KeySource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeySource::File { flag, path } => write!(f, "{flag} {}", path.display()),
            KeySource::Env(var) => f.write_str(var),
            KeySource::KeyDir { dir, device } => {
                write!(f, "--key-dir {} (device {device}'s key)", dir.display())
            }
        }
    }
}

/// A key as loaded: the key, the master secret it was derived from (so that a blob it
/// does not open can be tried with the other purpose, [`crate::report::purpose_hint`]),
/// and where it came from.
pub struct LoadedKey {
    /// The key for the purpose asked.
    pub key: Key,
    /// The master secret, when the source held one.
    pub master: Option<MasterSecret>,
    /// Where it came from.
    pub source: KeySource,
    /// The same 32 bytes read the other way (a master secret as an already-derived
    /// key, or the reverse), to tell a user who gave one for the other which flag
    /// opens the blob ([`crate::report::key_hint`]). Never used to open anything that
    /// is reported as opened.
    pub other_reading: OtherReading,
}

/// The bytes of a key source read as the other kind of key.
pub enum OtherReading {
    /// The source held a master secret: its bytes as an already-derived key (boxed: a
    /// key schedule is large).
    AsKey(Box<Key>),
    /// The source held an already-derived key: its bytes as a master secret.
    AsMaster(MasterSecret),
}

impl LoadedKey {
    /// A key from `bytes` as `source` holds them (a master secret is derived for
    /// `purpose`).
    pub(crate) fn new(bytes: &[u8; KEY_LEN], source: KeySource, purpose: Purpose) -> LoadedKey {
        // `from_bytes` takes a copy that `MasterSecret` wipes on drop; the caller's
        // copy is wiped by its `Zeroizing` owner.
        if source.is_master() {
            let master = MasterSecret::from_bytes(*bytes);
            LoadedKey {
                key: master.derive(purpose),
                master: Some(master),
                source,
                other_reading: OtherReading::AsKey(Box::new(Key::from_bytes(bytes))),
            }
        } else {
            LoadedKey {
                key: Key::from_bytes(bytes),
                master: None,
                source,
                other_reading: OtherReading::AsMaster(MasterSecret::from_bytes(*bytes)),
            }
        }
    }
}

impl fmt::Debug for LoadedKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never the key: only where it came from.
        write!(f, "LoadedKey {{ source: {} }}", self.source)
    }
}

/// Where the key comes from, as words for a message ("the key from --key-file k.hex").
pub fn describe(key: Option<&LoadedKey>) -> String {
    match key {
        Some(k) => format!("the key from {}", k.source),
        None => "no key".to_string(),
    }
}

/// The one key loader: the key `args` and the environment give, if any (see
/// [`KeySource::of`]). A key from the environment is named in a note on stderr (not
/// with `-q`).
///
/// Exit codes: 3 for a key file that does not exist, 2 for key material that does not
/// parse, 1 for other I/O errors.
pub fn load(ui: &Ui, args: &KeyArgs, env: &Env) -> CliResult<Option<LoadedKey>> {
    let Some(source) = KeySource::of(args, env) else {
        return Ok(None);
    };
    if let (Some(purpose), false) = (args.purpose, source.is_master()) {
        return Err(purpose_without_master(Purpose::from(purpose), &source));
    }
    let bytes = read_source(ui, &source)?;
    let purpose = args.purpose();
    if source.is_master() {
        ui.detail(
            1,
            format!("key: derived for purpose {purpose} from the master secret in {source}"),
        );
    } else {
        ui.detail(1, format!("key: the AES key in {source} (used as given)"));
    }
    Ok(Some(LoadedKey::new(&bytes, source, purpose)))
}

/// `--purpose` with an already-derived key: it would be ignored, so it is refused
/// (exit 2). A derived key was made for one purpose already (docs/SPEC.md §2).
pub fn purpose_without_master(purpose: Purpose, source: &KeySource) -> CliError {
    CliError::usage(format!(
        "--purpose {purpose} cannot apply to the key from {source}: it is an already-derived \
         AES key, which has its purpose already (it was derived for one); --purpose chooses \
         the key derived from a master secret (--master-key-file or {MASTER_KEY_ENV}). Drop \
         --purpose, or give the master secret instead"
    ))
}

/// [`load`] for a command that cannot work without a key: none is a usage error
/// (exit 2) that says how to give one.
pub fn require(ui: &Ui, args: &KeyArgs, env: &Env) -> CliResult<LoadedKey> {
    load(ui, args, env)?.ok_or_else(|| {
        CliError::usage(format!(
            "this command needs a key: pass --master-key-file PATH or --key-file PATH, \
             or set {MASTER_KEY_ENV} or {KEY_ENV}"
        ))
    })
}

/// The 32 key bytes a source holds; a variable is named in a note.
fn read_source(ui: &Ui, source: &KeySource) -> CliResult<Zeroizing<[u8; KEY_LEN]>> {
    match source {
        KeySource::File { flag, path } => read_key_file(ui, path, flag),
        KeySource::Env(var) => {
            let value = std::env::var_os(var).unwrap_or_default();
            let bytes = env_key(var, value)?;
            let what = if source.is_master() {
                "master secret"
            } else {
                "AES key"
            };
            ui.info(format!(
                "using the {what} in {var} (set in the environment; a key file flag \
                 overrides it)"
            ));
            Ok(bytes)
        }
        KeySource::KeyDir { dir, device } => {
            let keys = KeyDir::open(dir, Purpose::Backup)?;
            match keys.load_secret(*device) {
                Ok(Some(secret)) => Ok(secret),
                Ok(None) => Err(CliError::not_found(format!(
                    "--key-dir {}: no key for device {device} (expected {})",
                    dir.display(),
                    keys.path_for(*device).display()
                ))),
                Err(e) => Err(key_file_error(e)),
            }
        }
    }
}

/// A key file of `--key-dir` that cannot be used: a usage error when it holds no key
/// (like a bad `--master-key-file`), else an I/O error.
fn key_file_error(e: KeyFileError) -> CliError {
    match e {
        e @ KeyFileError::NotAKey { .. } => CliError::usage(e.to_string()),
        e => CliError::other(e.to_string()),
    }
}

/// The key for loose blobs: the one the user gave (if any), or a `--key-dir` folder in
/// which each blob's key is looked for ([`BlobKey::for_blob`]).
pub enum BlobKey {
    /// A key given by flag or environment, or none (boxed: a key schedule is large).
    Given(Option<Box<LoadedKey>>),
    /// `--key-dir DIR`, with the purpose to derive each master secret's key for.
    FromDir(PathBuf, Purpose),
}

/// The key [`BlobKey::for_blob`] chose for one blob.
pub enum ChosenKey<'a> {
    /// The key given (or none).
    Given(Option<&'a LoadedKey>),
    /// The `--key-dir` device key that opens the blob (boxed: a key schedule is large).
    Found(Box<LoadedKey>),
    /// `--key-dir DIR`: no device key there (derived for this purpose) opens the blob.
    NoneOpens(&'a Path, Purpose),
}

impl ChosenKey<'_> {
    /// The key to report with, if any.
    pub fn key(&self) -> Option<&LoadedKey> {
        match self {
            ChosenKey::Given(key) => *key,
            ChosenKey::Found(key) => Some(key),
            ChosenKey::NoneOpens(..) => None,
        }
    }
}

impl BlobKey {
    /// Whether a key (or a folder of them) was given.
    pub fn given(&self) -> bool {
        !matches!(self, BlobKey::Given(None))
    }

    /// A report of `blob` with the key chosen for it: authenticated with the key
    /// given or found, or (`--key-dir`, none opens it) authentication failed. The
    /// key's source is named in the report when `name_given` or when it was found in
    /// the folder (which device's key opened the blob is the answer there).
    pub fn report(
        &self,
        ui: &Ui,
        blob: &[u8],
        name_given: bool,
    ) -> CliResult<crate::report::Report> {
        let chosen = self.for_blob(ui, blob)?;
        let key = chosen.key();
        let report =
            crate::report::build_report(blob, key.map(|k| &k.key)).with_key_hints(blob, key);
        Ok(match chosen {
            ChosenKey::NoneOpens(dir, purpose) => report.with_no_key_dir_opener(dir, purpose),
            ChosenKey::Found(key) => report.with_key_source(Some(&key.source)),
            ChosenKey::Given(key) if name_given => report.with_key_source(key.map(|k| &k.source)),
            ChosenKey::Given(_) => report,
        })
    }

    /// Where the keys come from, for a summary: the key's source, or the folder.
    pub fn source(&self) -> Option<String> {
        match self {
            BlobKey::Given(key) => key.as_ref().map(|k| k.source.to_string()),
            BlobKey::FromDir(dir, _) => Some(format!("--key-dir {}", dir.display())),
        }
    }

    /// The key for `blob`: the one given, or the device key from the folder that opens
    /// it (one AEAD open per key file tried).
    pub fn for_blob(&self, ui: &Ui, blob: &[u8]) -> CliResult<ChosenKey<'_>> {
        Ok(match self {
            BlobKey::Given(key) => ChosenKey::Given(key.as_deref()),
            BlobKey::FromDir(dir, purpose) => match find_in_key_dir(ui, dir, *purpose, blob)? {
                Some(key) => ChosenKey::Found(Box::new(key)),
                None => ChosenKey::NoneOpens(dir, *purpose),
            },
        })
    }
}

/// `--key-dir DIR` for one device: its master secret from `DIR/{uuid}.key`, the key
/// derived for `purpose` (what `put` and `restore` use for the device they write).
pub fn from_key_dir(
    ui: &Ui,
    dir: &Path,
    device: DeviceId,
    purpose: Purpose,
) -> CliResult<LoadedKey> {
    let source = KeySource::KeyDir {
        dir: dir.to_path_buf(),
        device,
    };
    let secret = read_source(ui, &source)?;
    ui.detail(
        1,
        format!("key: derived for purpose {purpose} from {source}"),
    );
    Ok(LoadedKey::new(&secret, source, purpose))
}

/// `--key-dir DIR` for a loose blob: the key of the device whose master secret opens
/// it, trying each `DIR/{uuid}.key` in turn. `Ok(None)` when none does, so the caller
/// reports the blob as unauthenticated with its own words.
pub fn find_in_key_dir(
    ui: &Ui,
    dir: &Path,
    purpose: Purpose,
    blob: &[u8],
) -> CliResult<Option<LoadedKey>> {
    let keys = KeyDir::open(dir, purpose)?;
    let Some((device, secret)) = keys.find_opener(blob).map_err(key_file_error)? else {
        return Ok(None);
    };
    let source = KeySource::KeyDir {
        dir: dir.to_path_buf(),
        device,
    };
    ui.detail(1, format!("key: {source} opens the blob"));
    Ok(Some(LoadedKey::new(&secret, source, purpose)))
}

/// The master secret for `ffce key derive`: `--master-key-file`, else
/// [`MASTER_KEY_ENV`]. ([`KEY_ENV`] holds an already-derived key, which has no master
/// secret to derive from.)
pub fn load_master_secret(ui: &Ui, path: Option<&Path>, env: &Env) -> CliResult<MasterSecret> {
    let source = match path {
        Some(path) => KeySource::File {
            flag: "--master-key-file",
            path: path.to_path_buf(),
        },
        None if env.master_key_set => KeySource::Env(MASTER_KEY_ENV),
        None => {
            let derived_only = if env.key_set {
                format!(" ({KEY_ENV} is set, but holds an already-derived key)")
            } else {
                String::new()
            };
            return Err(CliError::usage(format!(
                "key derive needs a master secret: pass --master-key-file PATH or set \
                 {MASTER_KEY_ENV}{derived_only}"
            )));
        }
    };
    let bytes = read_source(ui, &source)?;
    ui.detail(1, format!("master secret: read from {source}"));
    Ok(MasterSecret::from_bytes(*bytes))
}

fn env_key(var: &str, value: OsString) -> CliResult<Zeroizing<[u8; KEY_LEN]>> {
    // Our copy is wiped; the process environment keeps its own, which we cannot wipe.
    let text = Zeroizing::new(value.into_encoded_bytes());
    key_material::parse_key_text(&text)
        .map_err(|e| CliError::usage(format!("${var} does not hold a key: {e}")))
}

/// Reads a key file: exists (else exit 3), small, parses; warns when group or others
/// may access a regular file. `-` is stdin; other streams (`/dev/stdin`, a FIFO, a
/// shell's `<(command)`) are read like files, up to the size limit.
fn read_key_file(ui: &Ui, path: &Path, flag: &str) -> CliResult<Zeroizing<[u8; KEY_LEN]>> {
    let bytes = read_key_file_bytes(ui, path, flag, KEY_FORMATS)?;
    key_material::parse_key_material(&bytes).map_err(|e| {
        CliError::usage(format!(
            "{flag} {} does not hold a key: {e}",
            path.display()
        ))
    })
}

/// What a master-secret or AES key file may hold, for the too-long message.
const KEY_FORMATS: &str = "64 hex digits, base64 of 32 bytes, or exactly 32 raw bytes";

/// What a device key file may hold, for the too-long message.
const DEVICE_KEY_FORMATS: &str = "PKCS#8 PEM or DER, SEC1 PEM or DER, or the 32-byte scalar in hex";

/// Reads the device's P-256 private key (`ffce api --device-key`, or the path in
/// `FFCE_DEVICE_KEY`, read by clap): the same file handling as the other key files
/// (streams, size limit, permission warning), then the formats of
/// `ffce_core::device_auth`. Exit codes: 3 no such file, 2 not a device key, 1 I/O.
pub fn read_device_key(ui: &Ui, path: &Path) -> CliResult<DeviceSigningKey> {
    let flag = "--device-key";
    let bytes = read_key_file_bytes(ui, path, flag, DEVICE_KEY_FORMATS)?;
    DeviceSigningKey::from_key_file_bytes(&bytes).map_err(|e| {
        CliError::usage(format!(
            "{flag} {} does not hold a device key: {e}",
            path.display()
        ))
    })
}

/// The bytes of a key file, wiped on drop (see [`read_key_file`]); `formats` says what
/// the file should hold when it is far too long.
fn read_key_file_bytes(
    ui: &Ui,
    path: &Path,
    flag: &str,
    formats: &str,
) -> CliResult<Zeroizing<Vec<u8>>> {
    let shown = path.display();
    if files::is_stdio(path) {
        refuse_terminal(flag, path)?;
        return read_bounded(std::io::stdin().lock(), flag, path, formats);
    }
    let meta = match fs::metadata(path) {
        Ok(meta) if meta.is_dir() => return Err(not_a_file(path, flag, None)),
        Ok(meta) => meta,
        Err(e) => return Err(not_a_file(path, flag, Some(e))),
    };
    if meta.is_file() {
        warn_if_shared(ui, path, &meta);
        if meta.len() > MAX_KEY_FILE_LEN {
            return Err(too_long(
                flag,
                path,
                &format!("found {}", ffce_core::numbers::Count(meta.len(), "byte")),
                formats,
            ));
        }
    } else if stdin::is_stdin(path) {
        refuse_terminal(flag, path)?;
    }
    let file = fs::File::open(path)
        .map_err(|e| CliError::other(format!("cannot read {flag} {shown}: {e}")))?;
    read_bounded(file, flag, path, formats)
}

/// Reads at most [`MAX_KEY_FILE_LEN`] bytes into a buffer that is wiped on drop
/// ([`ffce_store::bounded`], as the audit's key folder is read); more is refused.
fn read_bounded(
    reader: impl std::io::Read,
    flag: &str,
    path: &Path,
    formats: &str,
) -> CliResult<Zeroizing<Vec<u8>>> {
    match read_at_most(reader, MAX_KEY_FILE_LEN, 64) {
        Ok(Bounded::Within(bytes)) => Ok(bytes),
        Ok(Bounded::TooLong) => Err(too_long(
            flag,
            path,
            &format!(
                "more than {}",
                ffce_core::numbers::Count(MAX_KEY_FILE_LEN, "byte")
            ),
            formats,
        )),
        Err(e) => Err(CliError::other(format!(
            "cannot read {flag} {}: {e}",
            path.display()
        ))),
    }
}

fn too_long(flag: &str, path: &Path, found: &str, formats: &str) -> CliError {
    CliError::usage(format!(
        "{flag} {}: {found}, far too long to be a key (a key file holds at most {} \
         bytes); expected {formats}",
        path.display(),
        Grouped(MAX_KEY_FILE_LEN)
    ))
}

/// A key typed at a terminal would be shown on the screen: it has to be piped in.
fn refuse_terminal(flag: &str, path: &Path) -> CliResult {
    if std::io::stdin().is_terminal() {
        return Err(CliError::usage(format!(
            "{flag} {}: stdin is a terminal, where a typed key would show; pipe the key in \
             (e.g. `{flag} <(command)`)",
            path.display()
        )));
    }
    Ok(())
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
        None => CliError::usage(format!("{flag} {shown} is a directory, not a key file")),
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
