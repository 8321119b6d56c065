//! Which store the flags and environment select, and building it: the only place the
//! command line meets `ffce-store`'s plain configuration.
//!
//! Order: the command line (`--bucket`, `--dir`; both at once is a usage error), then
//! the environment (`FFCE_BUCKET`, `FFCE_DIR`; both at once is ambiguous, a usage
//! error), then the cloud's own `S3_BACKUP_BUCKET_NAME`, then the embedded default folder
//! (`$XDG_DATA_HOME/ffce/backups`, else `$HOME/.local/share/ffce/backups`).
//! A flag beats every variable: a variable left exported in a shell is only a default,
//! never a conflict with what the user typed. `S3_BACKUP_BUCKET_NAME` ranks below
//! `FFCE_DIR` because it is the cloud's own variable and may be set in a shell for other
//! reasons; ffce's own settings win.

use std::path::PathBuf;
use std::time::Duration;

use ffce_store::{LocalStore, S3Config, S3Store, Store};

use crate::cli::{S3Args, StoreArgs};
use crate::exit::{CliError, CliResult};
use crate::ui::Ui;

/// Environment variable naming the bucket when no `--bucket` or `--dir` is given.
pub const BUCKET_ENV: &str = "FFCE_BUCKET";
/// Environment variable naming the local folder when no `--bucket` or `--dir` is given.
pub const DIR_ENV: &str = "FFCE_DIR";
/// Environment variable the cloud's backup functions get the bucket name from
/// (FFCE-SPEC §5); read after `--bucket` / `--dir` and `FFCE_BUCKET` / `FFCE_DIR`.
pub const BUCKET_FALLBACK_ENV: &str = "S3_BACKUP_BUCKET_NAME";

/// Which store the flags and environment select.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StoreChoice {
    /// `--bucket` / `FFCE_BUCKET`, or `S3_BACKUP_BUCKET_NAME` when no `--dir` either.
    Bucket(String),
    /// `--dir` / `FFCE_DIR`.
    Dir(PathBuf),
    /// Neither: the embedded default in the user's data directory.
    Default(PathBuf),
}

/// Picks the store (see the module docs for the order).
pub fn choose(args: &StoreArgs) -> CliResult<StoreChoice> {
    choose_from(args).map(|(choice, _)| choice)
}

/// Picks the store and says which flag or variable chose it (`None`: the default).
fn choose_from(args: &StoreArgs) -> CliResult<(StoreChoice, Option<&'static str>)> {
    if let Some(bucket) = non_empty(args.bucket.clone()) {
        return Ok((StoreChoice::Bucket(bucket), Some("--bucket")));
    }
    if let Some(dir) = args.dir.as_ref().filter(|d| !d.as_os_str().is_empty()) {
        return Ok((StoreChoice::Dir(dir.clone()), Some("--dir")));
    }
    let bucket = env_string(BUCKET_ENV)?;
    let dir = std::env::var_os(DIR_ENV).filter(|d| !d.is_empty());
    match (bucket, dir) {
        (Some(_), Some(_)) => Err(CliError::usage(format!(
            "both {BUCKET_ENV} and {DIR_ENV} are set in the environment, so the store is \
             ambiguous: unset one, or pass --bucket NAME or --dir PATH"
        ))),
        (Some(bucket), None) => Ok((StoreChoice::Bucket(bucket), Some(BUCKET_ENV))),
        (None, Some(dir)) => Ok((StoreChoice::Dir(PathBuf::from(dir)), Some(DIR_ENV))),
        (None, None) => match env_string(BUCKET_FALLBACK_ENV)? {
            Some(bucket) => Ok((StoreChoice::Bucket(bucket), Some(BUCKET_FALLBACK_ENV))),
            None => Ok((StoreChoice::Default(default_dir()?), None)),
        },
    }
}

fn non_empty(s: Option<String>) -> Option<String> {
    s.filter(|s| !s.is_empty())
}

/// A variable's value; unset or empty is `None`, a value that is not UTF-8 (no bucket
/// name is) a usage error.
fn env_string(var: &str) -> CliResult<Option<String>> {
    match std::env::var(var) {
        Ok(value) => Ok(non_empty(Some(value))),
        Err(std::env::VarError::NotPresent) => Ok(None),
        Err(std::env::VarError::NotUnicode(_)) => Err(CliError::usage(format!(
            "{var} is set to a value that is not UTF-8, so it cannot name a bucket"
        ))),
    }
}

/// The store variables set in the environment that `origin` (a flag) overrides.
fn overridden(origin: &str) -> Vec<&'static str> {
    if !origin.starts_with("--") {
        return Vec::new();
    }
    [BUCKET_ENV, DIR_ENV, BUCKET_FALLBACK_ENV]
        .into_iter()
        .filter(|var| std::env::var_os(var).is_some_and(|v| !v.is_empty()))
        .collect()
}

/// The embedded default store's folder. A relative `XDG_DATA_HOME` is ignored, as the
/// XDG base directory specification says.
pub fn default_dir() -> CliResult<PathBuf> {
    if let Some(xdg) = std::env::var_os("XDG_DATA_HOME").map(PathBuf::from) {
        if xdg.is_absolute() {
            return Ok(xdg.join("ffce").join("backups"));
        }
    }
    match std::env::var_os("HOME").map(PathBuf::from) {
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

/// Builds the store the flags select, after the command has validated everything
/// else. Only here is AWS configuration loaded, and only for a bucket.
pub async fn open(ui: &Ui, args: &StoreArgs) -> CliResult<Box<dyn Store>> {
    open_with(ui, args, false).await
}

/// [`open`] for a command that changes the store (put, delete, restore). On the
/// embedded default store the note says so even with `-q`, and how to target a bucket:
/// a forgotten `FFCE_BUCKET` must not send a backup to the local folder unnoticed.
pub async fn open_for_change(ui: &Ui, args: &StoreArgs) -> CliResult<Box<dyn Store>> {
    open_with(ui, args, true).await
}

async fn open_with(ui: &Ui, args: &StoreArgs, changes: bool) -> CliResult<Box<dyn Store>> {
    // The local store writes through registered temporary files, which `interrupt`
    // (installed by `main`) removes on SIGINT/SIGTERM.
    let local = |dir: PathBuf| Box::new(LocalStore::new(dir));
    let (choice, origin) = choose_from(args)?;
    if let Some(origin) = origin {
        let ignored = overridden(origin);
        if !ignored.is_empty() {
            ui.detail(
                1,
                format!(
                    "store: {origin} given, so {} in the environment is not used",
                    ignored.join(" and ")
                ),
            );
        }
    }
    let from = origin.map_or(String::new(), |o| format!(" (from {o})"));
    match choice {
        StoreChoice::Bucket(bucket) => {
            ui.detail(1, format!("store: S3 bucket {bucket}{from}"));
            Ok(Box::new(connect(ui, bucket, &args.s3).await?))
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

/// Checks the connection flags, turns them into an [`S3Config`] and builds the store.
/// No request is made.
pub async fn connect(ui: &Ui, bucket: String, args: &S3Args) -> CliResult<S3Store> {
    let config = s3_config(bucket, args)?;
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

/// The flags as an [`S3Config`]. The flags are checked here, so that the messages name
/// them; the library checks the same values again for every other caller.
fn s3_config(bucket: String, args: &S3Args) -> CliResult<S3Config> {
    if args.max_attempts == 0 {
        return Err(CliError::usage(
            "--max-attempts must be at least 1 (the first try counts)",
        ));
    }
    let seconds = |flag: &str, t: f64| {
        if t.is_finite() && t > 0.0 && t <= 86_400.0 {
            Ok(Duration::from_secs_f64(t))
        } else {
            Err(CliError::usage(format!(
                "{flag} must be a number of seconds above 0 and at most 86400"
            )))
        }
    };
    let timeout = args.timeout.map(|t| seconds("--timeout", t)).transpose()?;
    let attempt_timeout = seconds("--attempt-timeout", args.attempt_timeout)?;
    if let Some(url) = &args.endpoint_url {
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(CliError::usage(
                "--endpoint-url must start with http:// or https://",
            ));
        }
    }
    Ok(S3Config {
        bucket,
        region: args.region.clone(),
        profile: args.profile.clone(),
        endpoint_url: args.endpoint_url.clone(),
        max_attempts: args.max_attempts,
        attempt_timeout,
        timeout,
    })
}
