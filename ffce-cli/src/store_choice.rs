//! Which store a command acts on, chosen once from the flags, a device's `s3://` URL and
//! the environment ([`StoreTarget::resolve`]), and building it: the only place the
//! command line meets `ffce-store`'s plain configuration.
//!
//! Order: a device's `s3://` URL and the command line (`--bucket`, `--dir`; both at once
//! is a usage error), then the environment (`FFCE_BUCKET`, `FFCE_DIR`; both at once is
//! ambiguous, a usage error), then the cloud's own `S3_BACKUP_BUCKET_NAME`, then the
//! embedded default folder (`$XDG_DATA_HOME/ffce/backups`, else
//! `$HOME/.local/share/ffce/backups`). A flag beats every variable: a variable left
//! exported in a shell is only a default, never a conflict with what the user typed.
//! `S3_BACKUP_BUCKET_NAME` ranks below `FFCE_DIR` because it is the cloud's own variable
//! and may be set in a shell for other reasons; ffce's own settings win.

use std::ffi::OsString;
use std::path::PathBuf;

use ffce_core::layout::{DeviceId, Layout, ObjectKey};
use ffce_store::{DeviceUrl, LocalStore, S3Config, S3Store, Store};

use crate::cli::values::DeviceArg;
use crate::cli::{S3Args, StoreArgs};
use crate::env::{BUCKET_ENV, BUCKET_FALLBACK_ENV, DIR_ENV, Env};
use crate::exit::{CliError, CliResult};
use crate::ui::Ui;

/// Which store the flags and environment select.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StoreChoice {
    /// `--bucket` / `FFCE_BUCKET` / an `s3://` URL, or `S3_BACKUP_BUCKET_NAME` when no
    /// `--dir` either.
    Bucket(String),
    /// `--dir` / `FFCE_DIR`.
    Dir(PathBuf),
    /// Neither: the embedded default in the user's data directory.
    Default(PathBuf),
}

/// Whether a command writes the device's key (then always the lowercase one) or reads
/// the key a URL names exactly.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// get, delete, versions, restore.
    Read,
    /// put.
    Write,
}

/// The store a command acts on, with where the choice came from, the layout and the
/// S3 connection settings: everything built from `StoreArgs`, a device URL and the
/// environment, once.
#[derive(Clone, Debug)]
pub struct StoreTarget {
    /// The store.
    pub choice: StoreChoice,
    /// The flag, URL or variable that chose it (`None`: the embedded default).
    pub origin: Option<&'static str>,
    /// The store variables set in the environment that a flag or URL overrode.
    pub overridden: Vec<&'static str>,
    /// The object key layout.
    pub layout: Layout,
    /// How to reach S3, as given.
    pub s3: S3Args,
}

/// A device and the exact object key a command acts on.
#[derive(Clone, Copy, Debug)]
pub struct DeviceTarget {
    /// The device.
    pub device: DeviceId,
    /// Its object key: the lowercase key in the layout, unless an `s3://` URL named
    /// the device's key with the UUID in another case (another object, which only the
    /// URL names).
    pub key: ObjectKey,
}

impl StoreTarget {
    /// The store of a command without a device (ls, audit).
    pub fn resolve(args: &StoreArgs, env: &Env) -> CliResult<StoreTarget> {
        let (choice, origin) = choose(args, env)?;
        Ok(StoreTarget::new(choice, origin, args, env))
    }

    /// The store and key of a per-device command. An `s3://` URL stands for the UUID
    /// and names the bucket: it gives way to nothing in the environment, but a
    /// `--bucket` naming another bucket, a `--dir`, or `--layout flat` with a URL naming
    /// the nested key are usage errors. A URL names one exact key: when its UUID is not
    /// in lowercase (a key the Python device API stored as a device sent it), a read
    /// acts on that key; a write still writes the lowercase key, as every writer does.
    pub fn resolve_device(
        args: &StoreArgs,
        device: &DeviceArg,
        access: Access,
        env: &Env,
    ) -> CliResult<(StoreTarget, DeviceTarget)> {
        let url = match device {
            DeviceArg::Id(id) => {
                let target = StoreTarget::resolve(args, env)?;
                let key = ObjectKey::new(*id, args.layout);
                return Ok((target, DeviceTarget { device: *id, key }));
            }
            DeviceArg::Url(url, shown) => (url, shown),
        };
        let (url, shown) = url;
        check_url(url, shown, args)?;
        let key = url.key(args.layout);
        let key = match access {
            Access::Read => key,
            Access::Write => ObjectKey::new(url.device, args.layout),
        };
        let choice = StoreChoice::Bucket(url.bucket.clone());
        let target = StoreTarget::new(choice, Some("the s3:// URL"), args, env);
        Ok((
            target,
            DeviceTarget {
                device: url.device,
                key,
            },
        ))
    }

    fn new(
        choice: StoreChoice,
        origin: Option<&'static str>,
        args: &StoreArgs,
        env: &Env,
    ) -> StoreTarget {
        let by_hand = origin.is_some_and(|o| o.starts_with("--") || o.starts_with("the "));
        StoreTarget {
            choice,
            origin,
            overridden: if by_hand {
                env.store_vars()
            } else {
                Vec::new()
            },
            layout: args.layout,
            s3: args.s3.clone(),
        }
    }

    /// The bucket, when the store is one.
    pub fn bucket(&self) -> Option<&str> {
        match &self.choice {
            StoreChoice::Bucket(b) => Some(b),
            _ => None,
        }
    }

    /// Whether this is the embedded default store (which lists as empty before the
    /// first `put` creates it).
    pub fn is_default(&self) -> bool {
        matches!(self.choice, StoreChoice::Default(_))
    }

    /// Builds the store, after the command has validated everything else. Only here is
    /// AWS configuration loaded, and only for a bucket.
    pub async fn open(&self, ui: &Ui) -> CliResult<Box<dyn Store>> {
        self.open_with(ui, false).await
    }

    /// [`open`](Self::open) for a command that changes the store (put, delete,
    /// restore). On the embedded default store the note says so even with `-q`, and
    /// how to target a bucket: a forgotten `FFCE_BUCKET` must not send a backup to the
    /// local folder unnoticed.
    pub async fn open_for_change(&self, ui: &Ui) -> CliResult<Box<dyn Store>> {
        self.open_with(ui, true).await
    }

    async fn open_with(&self, ui: &Ui, changes: bool) -> CliResult<Box<dyn Store>> {
        // The local store writes through registered temporary files, which `interrupt`
        // (installed by `main`) removes on SIGINT/SIGTERM.
        let local = |dir: &PathBuf| Box::new(LocalStore::new(dir.clone()));
        if let Some(origin) = self.origin.filter(|_| !self.overridden.is_empty()) {
            ui.detail(
                1,
                format!(
                    "store: {origin} given, so {} in the environment is not used",
                    self.overridden.join(" and ")
                ),
            );
        }
        let from = self
            .origin
            .map_or(String::new(), |o| format!(" (from {o})"));
        match &self.choice {
            StoreChoice::Bucket(bucket) => {
                ui.detail(1, format!("store: S3 bucket {bucket}{from}"));
                Ok(Box::new(connect(ui, bucket.clone(), &self.s3).await?))
            }
            StoreChoice::Dir(dir) => {
                ui.detail(1, format!("store: local folder {}{from}", dir.display()));
                Ok(local(dir))
            }
            StoreChoice::Default(dir) if changes => {
                ui.notice(format!(
                    "using the local backup store at {} (no --bucket, {BUCKET_ENV} or --dir \
                     given); for an S3 bucket pass --bucket NAME or set {BUCKET_ENV}, for \
                     another folder pass --dir PATH",
                    dir.display()
                ));
                Ok(local(dir))
            }
            StoreChoice::Default(dir) => {
                ui.info(format!(
                    "using the local backup store at {} (no --bucket, {BUCKET_ENV} or --dir given)",
                    dir.display()
                ));
                Ok(local(dir))
            }
        }
    }
}

/// The flags contradict the URL only where they were typed (the variables are read
/// from the environment snapshot, never by clap).
fn check_url(url: &DeviceUrl, shown: &str, args: &StoreArgs) -> CliResult {
    if let Some(bucket) = &args.bucket {
        if *bucket != url.bucket {
            return Err(CliError::usage(format!(
                "{shown} names bucket {} but --bucket gives {bucket}; give one of them",
                url.bucket
            )));
        }
    }
    if args.dir.is_some() {
        return Err(CliError::usage(format!(
            "{shown} names an S3 bucket, but --dir selects a local folder; give one of them"
        )));
    }
    if url.layout == Some(Layout::Nested) && args.layout == Layout::Flat {
        return Err(CliError::usage(format!(
            "{shown} names the nested key (UUID/backup.ffce), but --layout flat was given"
        )));
    }
    Ok(())
}

/// Picks the store (see the module docs for the order) and says which flag or
/// variable chose it (`None`: the default).
fn choose(args: &StoreArgs, env: &Env) -> CliResult<(StoreChoice, Option<&'static str>)> {
    if let Some(bucket) = args.bucket.clone().filter(|s| !s.is_empty()) {
        return Ok((StoreChoice::Bucket(bucket), Some("--bucket")));
    }
    if let Some(dir) = args.dir.as_ref().filter(|d| !d.as_os_str().is_empty()) {
        return Ok((StoreChoice::Dir(dir.clone()), Some("--dir")));
    }
    let bucket = utf8(BUCKET_ENV, &env.bucket)?;
    match (bucket, &env.dir) {
        (Some(_), Some(_)) => Err(CliError::usage(format!(
            "both {BUCKET_ENV} and {DIR_ENV} are set in the environment, so the store is \
             ambiguous: unset one, or pass --bucket NAME or --dir PATH"
        ))),
        (Some(bucket), None) => Ok((StoreChoice::Bucket(bucket), Some(BUCKET_ENV))),
        (None, Some(dir)) => Ok((StoreChoice::Dir(PathBuf::from(dir)), Some(DIR_ENV))),
        (None, None) => match utf8(BUCKET_FALLBACK_ENV, &env.bucket_fallback)? {
            Some(bucket) => Ok((StoreChoice::Bucket(bucket), Some(BUCKET_FALLBACK_ENV))),
            None => Ok((StoreChoice::Default(default_dir(env)?), None)),
        },
    }
}

/// A variable's value as a bucket name; one that is not UTF-8 (no bucket name is) is
/// a usage error.
fn utf8(var: &str, value: &Option<OsString>) -> CliResult<Option<String>> {
    value
        .as_ref()
        .map(|v| {
            v.to_str().map(str::to_string).ok_or_else(|| {
                CliError::usage(format!(
                    "{var} is set to a value that is not UTF-8, so it cannot name a bucket"
                ))
            })
        })
        .transpose()
}

/// The embedded default store's folder. A relative `XDG_DATA_HOME` is ignored, as the
/// XDG base directory specification says.
pub fn default_dir(env: &Env) -> CliResult<PathBuf> {
    if let Some(xdg) = env.xdg_data_home.as_ref().filter(|x| x.is_absolute()) {
        return Ok(xdg.join("ffce").join("backups"));
    }
    match &env.home {
        Some(home) if home.is_absolute() => Ok(home
            .join(".local")
            .join("share")
            .join("ffce")
            .join("backups")),
        _ => Err(CliError::usage(
            "no backup store given and no home directory to keep one in: \
             pass --bucket NAME or --dir PATH",
        )),
    }
}

/// Turns the connection flags (already checked by their parsers) into an [`S3Config`]
/// and builds the store. No request is made.
pub async fn connect(ui: &Ui, bucket: String, args: &S3Args) -> CliResult<S3Store> {
    let config = S3Config {
        bucket,
        region: args.region.clone(),
        profile: args.profile.clone(),
        endpoint_url: args.endpoint_url.clone(),
        max_attempts: args.max_attempts,
        attempt_timeout: args.attempt_timeout,
        timeout: args.timeout,
    };
    let store = S3Store::connect(&config).await?;
    crate::waiting::watch(*ui, &store, args);
    if let Some(region) = store.region() {
        ui.detail(1, format!("s3: region {region}"));
    }
    if store.path_style() {
        ui.detail(1, "s3: custom endpoint, path-style addressing");
    }
    Ok(store)
}
