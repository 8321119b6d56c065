//! Where `ffce show` and `ffce diff` get a backup's content: a device's backup in the
//! store (its latest, a version id, or the version that was live at a time), an FFCE
//! blob file, a plaintext JSON export, or stdin; the key that opens a blob; and the
//! checks that the content is a Dexie export the controller would restore
//! (docs/SPEC.md §4).
//!
//! A source argument that is a device UUID (or an `s3://` URL, already turned into
//! one by `store_common::resolve_device_urls`) names a device; anything else is a
//! file. Keys come from the same flags and variables as every command
//! (`keys::load_optional_key_and_master`), or from a `--key-dir` of per-device master
//! secrets (`ffce_store::keyring::KeyDir`), read only for the device it is needed for.

use std::ops::Deref;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use ffce_core::content::{self, Export, ExportProblem, Value};
use ffce_core::firmware;
use ffce_core::{
    Key, MasterSecret, Plaintext,
    format::MAGIC,
    layout::{DeviceId, ObjectKey},
};
use ffce_store::keyring::{KeyDir, KeyFileError};
use ffce_store::{DeviceUrl, PlaintextDigest, Store, VersionEntry, VersionId, parse_time};

use crate::output::timestamp as format_time;
use sha2::Digest as _;
use zeroize::Zeroizing;

use crate::cli::KeyArgs;
use crate::cli::StoreArgs;
use crate::cli::values::DeviceArg;
use crate::env::{Env, KEY_ENV, MASTER_KEY_ENV};
use crate::exit::{CliError, CliResult};
use crate::files::{self, read_secret_input_limited};
use crate::keys;
use crate::output::content::{ContentProblem, SourceInfo};
use crate::report::open_error_derived;
use crate::store_choice::{Access, StoreTarget};
use crate::ui::Ui;

/// A source as the user named it.
#[derive(Clone, Debug)]
pub enum Source {
    /// A device's backup in the store.
    Device {
        /// The device.
        device: DeviceId,
        /// Its object key.
        key: ObjectKey,
    },
    /// A file, or stdin (`-`).
    File(PathBuf),
}

impl Source {
    /// The source `text` names, and for a device the store it is in: an `s3://` URL
    /// names its bucket and exact key ([`StoreTarget::resolve_device`]), a UUID the
    /// device in the store the flags and environment choose; anything else is a file.
    pub fn resolve(
        text: &str,
        store: &StoreArgs,
        env: &Env,
    ) -> CliResult<(Source, Option<StoreTarget>)> {
        if DeviceUrl::is_url(text) {
            let shown = if text.len() <= 300 && text.bytes().all(|b| b.is_ascii_graphic()) {
                text.to_string()
            } else {
                "the s3:// URL".to_string()
            };
            let url =
                DeviceUrl::parse(text).map_err(|e| CliError::usage(format!("{shown}: {e}")))?;
            let arg = DeviceArg::Url(url, shown);
            let (target, device) = StoreTarget::resolve_device(store, &arg, Access::Read, env)?;
            let source = Source::Device {
                device: device.device,
                key: device.key,
            };
            return Ok((source, Some(target)));
        }
        match DeviceId::parse(text) {
            Ok(device) => Ok((
                Source::Device {
                    device,
                    key: ObjectKey::new(device, store.layout),
                },
                Some(StoreTarget::resolve(store, env)?),
            )),
            Err(_) => Ok((Source::File(PathBuf::from(text)), None)),
        }
    }

    /// The file's path, for a file.
    pub fn path(&self) -> Option<&Path> {
        match self {
            Source::File(p) => Some(p),
            Source::Device { .. } => None,
        }
    }
}

/// The keys a command may use: one key (flags or environment), or a folder with one
/// master secret per device.
pub struct Keys {
    one: Option<(Key, Option<MasterSecret>)>,
    dir: Option<KeyDir>,
}

/// A key from [`Keys`]: the one given, or a device's from the folder.
pub enum KeyRef<'a> {
    /// The one key (and its master secret, for a purpose hint).
    One(&'a Key, Option<&'a MasterSecret>),
    /// A device's key from `--key-dir` (boxed: a key schedule is large).
    Device(Box<Key>),
}

impl KeyRef<'_> {
    /// The key.
    pub fn key(&self) -> &Key {
        match self {
            KeyRef::One(k, _) => k,
            KeyRef::Device(k) => k,
        }
    }

    fn master(&self) -> Option<&MasterSecret> {
        match self {
            KeyRef::One(_, m) => *m,
            KeyRef::Device(_) => None,
        }
    }
}

impl Keys {
    /// The keys `args` and `key_dir` give (none is fine: plaintext files need none).
    pub fn load(ui: &Ui, args: &KeyArgs, key_dir: Option<&Path>, env: &Env) -> CliResult<Keys> {
        if let Some(dir) = key_dir {
            return Ok(Keys {
                one: None,
                dir: Some(KeyDir::open(dir, args.purpose())?),
            });
        }
        Ok(Keys {
            one: keys::load(ui, args, env)?.map(|k| (k.key, k.master)),
            dir: None,
        })
    }

    /// Whether any key was given (a key, or a folder of them).
    pub fn given(&self) -> bool {
        self.one.is_some() || self.dir.is_some()
    }

    /// The key for a blob of `device` (`None` for a file): exit 2 when there is none.
    pub fn for_blob(&self, device: Option<DeviceId>, what: &str) -> CliResult<KeyRef<'_>> {
        if let Some((key, master)) = &self.one {
            return Ok(KeyRef::One(key, master.as_ref()));
        }
        let Some(dir) = &self.dir else {
            return Err(CliError::usage(format!(
                "{what} is encrypted: give its key with --master-key-file PATH, --key-file \
                 PATH or --key-dir DIR, or set {MASTER_KEY_ENV} or {}",
                KEY_ENV
            )));
        };
        let Some(device) = device else {
            return Err(CliError::usage(format!(
                "{what} is an encrypted file, and --key-dir holds the keys of devices by \
                 their UUID: give the file's key with --master-key-file or --key-file"
            )));
        };
        match dir.load(device) {
            Ok(Some(key)) => Ok(KeyRef::Device(Box::new(key))),
            Ok(None) => Err(CliError::not_found(format!(
                "--key-dir {}: no key for device {device} (expected {})",
                dir.path().display(),
                dir.path_for(device).display()
            ))),
            Err(e @ KeyFileError::NotAKey { .. }) => Err(CliError::usage(e.to_string())),
            Err(e) => Err(CliError::other(e.to_string())),
        }
    }
}

/// A plaintext: opened from a blob, or read as it is. Wiped when dropped.
pub enum PlainBytes {
    /// Decrypted from a blob.
    Opened(Plaintext),
    /// Read from a plaintext file.
    Read(Zeroizing<Vec<u8>>),
}

impl Deref for PlainBytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            PlainBytes::Opened(p) => p,
            PlainBytes::Read(v) => v,
        }
    }
}

/// A backup's plaintext and where it came from.
pub struct Loaded {
    /// Where it came from.
    pub info: SourceInfo,
    /// The plaintext.
    pub plaintext: PlainBytes,
}

/// Authenticates and decrypts `blob` with `key`; exit 4 with what is wrong otherwise.
pub fn open_blob(blob: &[u8], key: &KeyRef<'_>, what: &str) -> CliResult<Plaintext> {
    if let Err(e) = ffce_core::Blob::parse(blob) {
        return Err(CliError::integrity(format!(
            "{what}: not a valid FFCE blob: {e}"
        )));
    }
    key.key().open(blob).map_err(|e| {
        let mut err = open_error_derived(e, blob, key.key(), key.master());
        err.message = format!("{what}: {}", err.message);
        err
    })
}

/// Reads a file (or stdin): a blob is decrypted, anything else taken as plaintext.
pub fn load_file(path: &Path, keys: &Keys) -> CliResult<Loaded> {
    let bytes = read_secret_input_limited(path, &files::ANY_BLOB)?;
    let shown = if files::is_stdio(path) {
        "stdin".to_string()
    } else {
        path.display().to_string()
    };
    let encrypted = bytes.starts_with(&MAGIC);
    let plaintext = if encrypted {
        let key = keys.for_blob(None, &shown)?;
        PlainBytes::Opened(open_blob(&bytes, &key, &shown)?)
    } else {
        PlainBytes::Read(bytes)
    };
    Ok(Loaded {
        info: SourceInfo::File {
            path: path.display().to_string(),
            encrypted,
        },
        plaintext,
    })
}

/// Downloads and decrypts a device's backup: the latest, or `version`. `is_latest`
/// says whether it is the current backup, when the caller knows.
pub async fn load_device(
    store: &dyn Store,
    keys: &Keys,
    device: DeviceId,
    key: &ObjectKey,
    version: Option<&VersionId>,
    is_latest: Option<bool>,
) -> CliResult<Loaded> {
    let location = store.describe(key);
    // The key first: without one, nothing is downloaded.
    let cipher = keys.for_blob(Some(device), &location)?;
    let object = store.get(key, version).await?;
    let what = match &object.version_id {
        Some(v) => format!("{location} (version {v})"),
        None => location.clone(),
    };
    let plaintext = open_blob(&object.body, &cipher, &what)?;
    if let Some(PlaintextDigest::Sha256(stored)) = &object.plaintext_digest {
        let digest: [u8; 32] = sha2::Sha256::digest(&*plaintext).into();
        if *stored != digest {
            return Err(CliError::integrity(format!(
                "{what}: the decrypted plaintext's SHA-256 does not match the object's \
                 `etag` metadata"
            )));
        }
    }
    Ok(Loaded {
        info: SourceInfo::Device {
            device: device.to_string(),
            location,
            version_id: object.version_id.map(|v| v.to_string()),
            last_modified: object.last_modified.map(format_time),
            is_latest: is_latest.or(version.is_none().then_some(true)),
        },
        plaintext: PlainBytes::Opened(plaintext),
    })
}

/// The plaintext as a JSON document; exit 4, naming every reason, when the device
/// would not restore it (a NUL byte, not UTF-8, not JSON: `firmware::restore_problems`).
pub fn document(loaded: &Loaded) -> CliResult<Value> {
    let label = loaded.info.label();
    let problems = firmware::restore_problems(&loaded.plaintext);
    if !problems.is_empty() {
        let mut reasons: Vec<String> = problems.iter().map(ToString::to_string).collect();
        // Where the JSON breaks, when that is the only problem (serde_json's position,
        // never the input's text).
        if let (1, Err(content::ExportError::NotJson { reason })) =
            (problems.len(), content::parse(&loaded.plaintext))
        {
            if problems[0] == firmware::RestoreProblem::NotJson {
                reasons[0] = format!("{} ({reason})", reasons[0]);
            }
        }
        return Err(CliError::integrity(format!(
            "{label}: {}; it is not a Dexie export",
            reasons.join("; ")
        )));
    }
    content::parse(&loaded.plaintext)
        .map_err(|e| CliError::integrity(format!("{label}: {e}; it is not a Dexie export")))
}

/// The document as a Dexie export; exit 4 when it is none (the controller's app would
/// refuse to import it).
pub fn export_of<'a>(loaded: &Loaded, doc: &'a Value) -> CliResult<Export<'a>> {
    Export::new(doc).map_err(|e| {
        CliError::integrity(format!(
            "{}: {e}; the controller's app would refuse to import it",
            loaded.info.label()
        ))
    })
}

/// An export's problems, split into what the controller's app refuses (first) and
/// the rest.
pub fn problems(export: &Export<'_>) -> (Vec<ContentProblem>, Vec<ContentProblem>) {
    let to = |p: &ExportProblem| ContentProblem {
        code: p.code().to_string(),
        message: p.to_string(),
    };
    (
        export
            .problems
            .iter()
            .filter(|p| p.refused_by_app())
            .map(to)
            .collect(),
        export
            .problems
            .iter()
            .filter(|p| !p.refused_by_app())
            .map(to)
            .collect(),
    )
}

/// Warns on stderr about each problem of `export`.
pub fn warn_problems(ui: &Ui, loaded: &Loaded, export: &Export<'_>) {
    let label = loaded.info.label();
    for p in &export.problems {
        if p.refused_by_app() {
            ui.warn(format!(
                "{label}: {p}; the device will not restore it as it is"
            ));
        } else {
            ui.warn(format!("{label}: {p}"));
        }
    }
}

/// A `--from`/`--to` value: a version id, or a time meaning the version live then.
#[derive(Clone, Debug)]
pub enum VersionSpec {
    /// A version id.
    Id(VersionId),
    /// A time, and how it was typed.
    Time(SystemTime, String),
}

impl VersionSpec {
    /// Reads `text` given to `flag`: a time (`2026-11-30`, `2026-11-30T08:00:00Z`) or
    /// else a version id.
    pub fn parse(flag: &str, text: &str) -> CliResult<VersionSpec> {
        if let Some(t) = parse_time(text) {
            return Ok(VersionSpec::Time(t, text.to_string()));
        }
        VersionId::parse(text).map(VersionSpec::Id).map_err(|_| {
            CliError::usage(format!(
                "{flag}: expected a version id as `ffce versions UUID` lists it, or a \
                     time such as 2026-11-30 or 2026-11-30T08:00:00Z (UTC)"
            ))
        })
    }
}

/// The device's versions, newest first (by time; S3's order among equal times).
pub fn newest_first(mut versions: Vec<VersionEntry>) -> Vec<VersionEntry> {
    versions.sort_by_key(|v| std::cmp::Reverse(v.last_modified));
    versions
}

/// The version `spec` names among `versions` (newest first); exit 3 when it names
/// none, or a delete marker.
pub fn pick<'v>(
    versions: &'v [VersionEntry],
    spec: &VersionSpec,
    device: DeviceId,
    flag: &str,
) -> CliResult<&'v VersionEntry> {
    let found = match spec {
        VersionSpec::Id(id) => versions
            .iter()
            .find(|v| v.version_id == id.as_str())
            .ok_or_else(|| {
                CliError::not_found(format!(
                    "{flag} {id}: device {device} has no such version (`ffce versions \
                     {device}` lists them)"
                ))
            })?,
        VersionSpec::Time(at, text) => versions
            .iter()
            .find(|v| v.last_modified.is_some_and(|t| t <= *at))
            .ok_or_else(|| {
                let oldest = versions
                    .iter()
                    .filter_map(|v| v.last_modified)
                    .min()
                    .map(format_time)
                    .unwrap_or_else(|| "?".into());
                CliError::not_found(format!(
                    "{flag} {text}: device {device} had no backup yet at {} (its oldest \
                     version is from {oldest})",
                    format_time(*at)
                ))
            })?,
    };
    if found.is_delete_marker {
        let when = found
            .last_modified
            .map(format_time)
            .unwrap_or_else(|| "?".into());
        return Err(CliError::not_found(match spec {
            VersionSpec::Id(_) => format!(
                "{flag} {} is a delete marker (written {when}), not a backup; pick a \
                 version with content from `ffce versions {device}`",
                found.version_id
            ),
            VersionSpec::Time(at, text) => format!(
                "{flag} {text}: at {} the backup of device {device} was deleted (delete \
                 marker {}, written {when}); pick a time when it had a backup, or a \
                 version from `ffce versions {device}`",
                format_time(*at),
                found.version_id
            ),
        }));
    }
    Ok(found)
}
