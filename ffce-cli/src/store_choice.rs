//! Which store the flags and environment select, and building it: the only place the
//! command line meets `ffce-store`'s plain configuration.
//!
//! Order: `--bucket`/`FFCE_BUCKET`, then `--dir`/`FFCE_DIR`, then the cloud's own
//! `S3_BACKUP_BUCKET_NAME`, then the embedded default folder
//! (`$XDG_DATA_HOME/ffce/backups`, else `$HOME/.local/share/ffce/backups`).
//! `S3_BACKUP_BUCKET_NAME` ranks below `--dir` because it is the cloud's own variable
//! and may be set in a shell for other reasons; ffce's own settings win.

use std::path::PathBuf;
use std::time::Duration;

use ffce_store::{LocalStore, S3Config, S3Store, Store};

use crate::cli::{S3Args, StoreArgs};
use crate::exit::{CliError, CliResult};
use crate::files::interrupt;
use crate::ui::Ui;

/// Environment variable the cloud's backup functions get the bucket name from
/// (FFCE-SPEC §5); read after `--bucket` / `FFCE_BUCKET` and `--dir` / `FFCE_DIR`.
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
    if let Some(bucket) = non_empty(args.bucket.clone()) {
        return Ok(StoreChoice::Bucket(bucket));
    }
    if let Some(dir) = &args.dir {
        if !dir.as_os_str().is_empty() {
            return Ok(StoreChoice::Dir(dir.clone()));
        }
    }
    if let Some(bucket) = non_empty(std::env::var(BUCKET_FALLBACK_ENV).ok()) {
        return Ok(StoreChoice::Bucket(bucket));
    }
    default_dir().map(StoreChoice::Default)
}

fn non_empty(s: Option<String>) -> Option<String> {
    s.filter(|s| !s.is_empty())
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
    let local = |dir: PathBuf| {
        // The local store writes through registered temporary files; the command
        // removes them on SIGINT/SIGTERM.
        interrupt::install();
        Box::new(LocalStore::new(dir))
    };
    match choose(args)? {
        StoreChoice::Bucket(bucket) => {
            ui.detail(1, format!("store: S3 bucket {bucket}"));
            Ok(Box::new(connect(ui, bucket, &args.s3).await?))
        }
        StoreChoice::Dir(dir) => {
            ui.detail(1, format!("store: local folder {}", dir.display()));
            Ok(local(dir))
        }
        StoreChoice::Default(dir) => {
            ui.info(format!(
                "using the local backup store at {} (no --bucket or --dir given)",
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
