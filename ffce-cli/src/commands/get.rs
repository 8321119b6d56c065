//! `ffce get`: download a device's backup, verify it, and either write it (optionally
//! decrypted) or show its header report.
//!
//! Order of checks, each of which writes nothing when it fails: the stored checksum
//! (any of S3's algorithms) against the body (in the store, exit 4), the blob's structure (exit 4),
//! with `--decrypt` the tag (exit 4) and the plaintext's SHA-256 against the object's
//! `etag` metadata when it has one (docs/SPEC.md §5, exit 4). Only then is the output
//! written, atomically ([`crate::files::write_output`]).

use std::path::PathBuf;

use super::download::Download;
use super::store_common::key_argument;
use crate::exit::{CliError, CliResult};
use crate::files::OutputOptions;
use crate::keys::LoadedKey;
use crate::output::download::{Checksum, ChecksumStatus, Downloaded, StoredObject, WrittenFile};
use crate::output::report::BlobReport;
use crate::output::{Printer, timestamp};
use crate::report::{build_report, lookalike_message};
use crate::store_choice::{DeviceTarget, StoreTarget};
use crate::ui::Ui;
use ffce_core::layout::{ObjectKey, StrayReason};
use ffce_store::{
    ChecksumCheck, Object, PlaintextDigest, Store, StoreError, VersionId, near_misses,
};

/// `ffce get`, resolved.
pub struct Get {
    /// Where the backup is.
    pub store: StoreTarget,
    /// The device and its key.
    pub target: DeviceTarget,
    /// A specific version.
    pub version: Option<VersionId>,
    /// `-o PATH`, checked, with how to write it.
    pub output: Option<(PathBuf, OutputOptions<'static>)>,
    /// `--no-verify`.
    pub no_verify: bool,
    /// The key: required with `--decrypt`; without it, a key given authenticates the
    /// blob.
    pub key: Option<LoadedKey>,
    /// `--decrypt`: write the plaintext.
    pub decrypt: bool,
}

/// Runs `ffce get`.
pub async fn run(ui: &Ui, printer: &mut Printer, args: Get) -> CliResult {
    let key = args.target.key;
    let store = args.store.open(ui).await?;
    let location = store.describe(&key);
    let object = match store.get(&key, args.version.as_ref()).await {
        Ok(object) => object,
        Err(e @ StoreError::NotFound { .. }) if args.version.is_none() => {
            return Err(with_near_misses(store.as_ref(), &key, e).await);
        }
        Err(e) => return Err(e.into()),
    };
    report_checks(ui, &location, &object);
    let download = Download {
        device: args.target.device,
        body: &object.body,
        object: stored_object(&location, &object),
        digest_name: "the object's `etag` metadata",
        noun: "object",
    };
    let Some((path, opts)) = &args.output else {
        return download.report(ui, printer, args.key.as_ref());
    };
    if args.no_verify {
        return write_unverified(ui, printer, download, args.key.as_ref(), path, *opts);
    }
    let checksum = download.object.checksum.clone();
    let written = download.write(ui, printer, args.key.as_ref(), args.decrypt, path, *opts)?;
    if printer.format().is_json() {
        return Ok(());
    }
    let from = match &object.version_id {
        Some(v) => format!("{location} (version {v})"),
        None => location,
    };
    ui.info(format!(
        "wrote {}{} from {from}; {}{}",
        if args.decrypt {
            "the plaintext to "
        } else {
            ""
        },
        written.describe(),
        checked_with(checksum.as_ref()),
        match (&args.key, args.decrypt) {
            (Some(k), false) => format!("; authenticated with the key from {}", k.source),
            _ => String::new(),
        }
    ));
    Ok(())
}

/// What vouched for the download, for the note after a write: "its CRC32 checksum
/// verified", "no checksum was stored with it".
fn checked_with(checksum: Option<&Checksum>) -> String {
    match checksum {
        Some(Checksum {
            status: ChecksumStatus::Verified,
            algorithm: Some(a),
            ..
        }) => format!("its {a} checksum verified"),
        Some(Checksum {
            status: ChecksumStatus::LocalFile,
            ..
        }) => "a local file (the local store keeps no checksum)".to_string(),
        _ => {
            "no checksum was stored with it, so only the blob's own checks vouch for it".to_string()
        }
    }
}

/// `get --no-verify -o FILE`: the object as stored (its transport checksum was
/// verified by the store), then every structural problem and, with a key, whether it
/// authenticates; exit 4 if anything is wrong. A support engineer gets a broken backup
/// out without `aws s3 cp`.
fn write_unverified(
    ui: &Ui,
    printer: &mut Printer,
    download: Download,
    key: Option<&LoadedKey>,
    path: &std::path::Path,
    opts: OutputOptions,
) -> CliResult {
    let location = download.object.location.clone();
    let report = build_report(download.body, key.map(|k| &k.key))
        .with_key_hints(download.body, key)
        .judged_as_stored_backup();
    let authenticated = report.key.as_ref().is_some_and(|k| k.authenticated);
    let written = crate::files::write_output(path, download.body, opts)?;
    printer.document(&Downloaded {
        device: download.device.to_string(),
        object: download.object,
        written: WrittenFile::from(&written),
        decrypted: false,
        authenticated,
        valid: report.valid(),
        report: Some(BlobReport::from(&report)),
    })?;
    for problem in &report.errors {
        ui.warn(format!("{location}: {}", problem.message));
    }
    match report.failure() {
        Some(failure) => {
            let what = match report.looks_like {
                Some(l) => lookalike_message(l).to_string(),
                None => {
                    let codes: Vec<&str> = report.errors.iter().map(|e| e.code).collect();
                    format!("not a valid FFCE blob ({})", codes.join(", "))
                }
            };
            Err(CliError::new(
                failure,
                format!(
                    "{location}: {what}; written as stored to {} for analysis (--no-verify)",
                    written.describe()
                ),
            ))
        }
        None => {
            ui.info(format!(
                "wrote {} from {location} (a valid FFCE blob; {})",
                written.describe(),
                match key {
                    Some(k) if authenticated =>
                        format!("authenticated with the key from {}", k.source),
                    _ => "not authenticated".to_string(),
                }
            ));
            Ok(())
        }
    }
}

/// A "not found" with where the backup may be instead: under the other layout, or
/// with its UUID in uppercase. The look-up's own failure leaves the error as it was.
async fn with_near_misses(store: &dyn Store, key: &ObjectKey, err: StoreError) -> CliError {
    let misses = near_misses(store, key).await.unwrap_or_default();
    let mut error = CliError::from(err);
    for miss in misses {
        let hint = match miss.reason {
            StrayReason::OtherLayout(layout) => format!(
                "; but {} exists, in the {} layout: add --layout {}",
                miss.location,
                layout.name(),
                layout.name()
            ),
            // An S3 key is named by its URL; a local file is only copied or moved.
            _ if miss.location.starts_with("s3://") => format!(
                "; but {} exists, with the UUID not in lowercase (as the Python device API \
                 stored it): `ffce get {}` reads that key",
                miss.location,
                key_argument(&miss.key, &miss.location)
            ),
            _ => format!(
                "; but {} exists, with the UUID not in lowercase: ffce writes and reads \
                 the lowercase key, so copy or move it to {}",
                miss.location,
                miss.key.canonical()
            ),
        };
        error.message.push_str(&hint);
    }
    error
}

/// Warnings and details about how the download was checked.
fn report_checks(ui: &Ui, location: &str, object: &Object) {
    match &object.checksum {
        ChecksumCheck::Verified {
            algorithm,
            value_base64,
        } => {
            ui.detail(1, format!("checksum: {algorithm} {value_base64} verified"));
        }
        ChecksumCheck::Absent => ui.warn(format!(
            "{location} has no checksum stored with it; only its structure \
             (and with --decrypt its tag) was checked"
        )),
        ChecksumCheck::LocalFile => {
            ui.detail(
                1,
                "checksum: a local file (the local store keeps no checksums)",
            );
        }
        // A get reads whole bodies; a part of one has no checksum to compare.
        ChecksumCheck::PartialRead => ui.detail(1, "checksum: not compared (a partial read)"),
    }
    if object.plaintext_digest == Some(PlaintextDigest::NotASha256) {
        ui.warn(format!(
            "{location}: its `etag` metadata is not a SHA-256; not compared with the plaintext"
        ));
    }
}

/// The object as the records report it.
fn stored_object(location: &str, object: &Object) -> StoredObject {
    let checksum = match &object.checksum {
        ChecksumCheck::Verified {
            algorithm,
            value_base64,
        } => Checksum {
            status: ChecksumStatus::Verified,
            algorithm: Some(algorithm.name().to_string()),
            value_base64: Some(value_base64.clone()),
        },
        // A get reads whole bodies, so a partial read cannot reach here; were it to, no
        // checksum was compared, as when none is stored.
        ChecksumCheck::Absent | ChecksumCheck::PartialRead => Checksum {
            status: ChecksumStatus::Absent,
            algorithm: None,
            value_base64: None,
        },
        ChecksumCheck::LocalFile => Checksum {
            status: ChecksumStatus::LocalFile,
            algorithm: None,
            value_base64: None,
        },
    };
    StoredObject {
        location: location.to_string(),
        size: object.body.len(),
        object_etag: object.etag.clone(),
        version_id: object.version_id.as_ref().map(|v| v.to_string()),
        last_modified: object.last_modified.map(timestamp),
        checksum: Some(checksum),
        plaintext_digest: match &object.plaintext_digest {
            Some(PlaintextDigest::Sha256(d)) => Some(hex::encode(d)),
            _ => None,
        },
    }
}
