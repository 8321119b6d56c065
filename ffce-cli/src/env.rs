//! The environment, read once at the start: the variables that choose a store, the key
//! variables, the user's data directory and `NO_COLOR`. Everything after reads this
//! snapshot, so a command never decides twice from a variable (or a second time after
//! it acted on the first).
//!
//! The key variables' values are not kept here: only which one is set. The one key
//! loader ([`crate::keys`]) reads the value once, into a buffer it wipes.
//! (`FFCE_API_URL` and `FFCE_DEVICE_KEY` are read by clap, as defaults of their flags.)

use std::ffi::OsString;
use std::path::PathBuf;

/// Environment variable naming the bucket when no `--bucket` or `--dir` is given.
pub const BUCKET_ENV: &str = "FFCE_BUCKET";
/// Environment variable naming the local folder when no `--bucket` or `--dir` is given.
pub const DIR_ENV: &str = "FFCE_DIR";
/// Environment variable the cloud's backup functions get the bucket name from
/// (docs/SPEC.md §5); read after `--bucket` / `--dir` and `FFCE_BUCKET` / `FFCE_DIR`.
pub const BUCKET_FALLBACK_ENV: &str = "S3_BACKUP_BUCKET_NAME";
/// Environment variable holding a device master secret (hex or base64).
pub const MASTER_KEY_ENV: &str = "FFCE_MASTER_KEY";
/// Environment variable holding an already-derived AES key (hex or base64).
pub const KEY_ENV: &str = "FFCE_KEY";

/// The environment as ffce uses it.
#[derive(Clone, Debug, Default)]
pub struct Env {
    /// `FFCE_BUCKET`, unless unset or empty.
    pub bucket: Option<OsString>,
    /// `FFCE_DIR`, unless unset or empty.
    pub dir: Option<OsString>,
    /// `S3_BACKUP_BUCKET_NAME`, unless unset or empty.
    pub bucket_fallback: Option<OsString>,
    /// `XDG_DATA_HOME`.
    pub xdg_data_home: Option<PathBuf>,
    /// `HOME`.
    pub home: Option<PathBuf>,
    /// Whether `FFCE_MASTER_KEY` is set (to anything, even empty).
    pub master_key_set: bool,
    /// Whether `FFCE_KEY` is set.
    pub key_set: bool,
    /// `NO_COLOR` set and not empty.
    pub no_color: bool,
}

impl Env {
    /// Reads the process environment.
    pub fn read() -> Env {
        let non_empty = |var: &str| std::env::var_os(var).filter(|v| !v.is_empty());
        Env {
            bucket: non_empty(BUCKET_ENV),
            dir: non_empty(DIR_ENV),
            bucket_fallback: non_empty(BUCKET_FALLBACK_ENV),
            xdg_data_home: std::env::var_os("XDG_DATA_HOME").map(PathBuf::from),
            home: std::env::var_os("HOME").map(PathBuf::from),
            master_key_set: std::env::var_os(MASTER_KEY_ENV).is_some(),
            key_set: std::env::var_os(KEY_ENV).is_some(),
            no_color: non_empty("NO_COLOR").is_some(),
        }
    }

    /// The store variables that are set (for the note that a flag overrides them).
    pub fn store_vars(&self) -> Vec<&'static str> {
        [
            (BUCKET_ENV, &self.bucket),
            (DIR_ENV, &self.dir),
            (BUCKET_FALLBACK_ENV, &self.bucket_fallback),
        ]
        .into_iter()
        .filter_map(|(var, value)| value.as_ref().map(|_| var))
        .collect()
    }
}
