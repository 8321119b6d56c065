//! `ffce get`: download a device's backup, verify it, and either write it (optionally
//! decrypted) or show its header report.
//!
//! Order of checks, each of which writes nothing when it fails: the stored checksum
//! (any of S3's algorithms) against the body (in the store, exit 4), the blob's structure (exit 4),
//! with `--decrypt` the tag (exit 4) and the plaintext's SHA-256 against the object's
//! `etag` metadata when it has one (FFCE-SPEC §5, exit 4). Only then is the output
//! written, atomically ([`crate::files::write_output`]).

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::store_common::{device_arg, key_argument, object_key, print, print_json, version_arg};
use crate::cli::GetArgs;
use crate::exit::{CliError, CliResult};
use crate::files::{self, OutputOptions};
use crate::keys::{self, load_key_and_master};
use crate::report::{build_report, lookalike_message, open_error, warn_restore_problems};
use crate::store_choice;
use crate::ui::Ui;
use ffce_core::{ObjectKey, StrayReason};
use ffce_store::{
    ChecksumAlgorithm, ChecksumCheck, Object, PlaintextDigest, Store, StoreError, format_time,
    near_misses,
};

/// Runs `ffce get`.
pub async fn run(ui: Ui, args: GetArgs) -> CliResult {
    let device = device_arg(&args.uuid)?;
    let key = object_key(device, &args.store);
    let version = args.version_id.as_deref().map(version_arg).transpose()?;
    let out_opts =
        files::download_output(args.output.as_deref(), args.decrypt, args.force, args.json)?;
    let (cipher_key, master) = if args.decrypt {
        let (key, master) = load_key_and_master(&ui, &args.key)?;
        (Some(key), master)
    } else {
        (None, None)
    };

    let store = store_choice::open(&ui, &args.store).await?;
    let location = store.describe(&key);
    let object = match store.get(&key, version.as_ref()).await {
        Ok(object) => object,
        Err(e @ StoreError::NotFound { .. }) if version.is_none() => {
            return Err(with_near_misses(store.as_ref(), &key, e).await);
        }
        Err(e) => return Err(e.into()),
    };
    report_checks(&ui, &location, &object);

    let Some(path) = &args.output else {
        // No -o: the header report, like `ffce inspect` (with --decrypt, authenticated).
        let report = build_report(&object.body, cipher_key.as_ref())
            .with_master(&object.body, master.as_ref())
            .with_source(location.clone())
            .with_key_source(keys::key_source(&args.key));
        let digest_mismatch = report
            .key
            .as_ref()
            .and_then(|k| k.plaintext_sha256)
            .and_then(|d| compare_digest(&object, &d).err());
        if args.json {
            let mut value = report.to_json();
            if let Value::Object(map) = &mut value {
                map.insert("object".into(), object_json(&location, &object));
            }
            print_json(&value)?;
        } else {
            let mut text = report.render_human(&ui.for_stdout());
            text.push_str(&object_human(&object));
            print(&text)?;
        }
        report.warn_device(&ui);
        if let Some(e) = report.error() {
            return Err(e);
        }
        return digest_mismatch.map_or(Ok(()), Err);
    };

    if args.no_verify {
        return write_unverified(&ui, &args, path, &location, &object, out_opts);
    }
    if let Err(e) = ffce_core::Blob::parse(&object.body) {
        // Named as the header report (no -o) names it: an object that is not a blob
        // at all says what it looks like.
        let what = match ffce_core::recognise(&object.body) {
            Some(l) => lookalike_message(l).to_string(),
            None => format!("the downloaded object is not a valid FFCE blob: {e}"),
        };
        return Err(CliError::integrity(format!(
            "{location}: {what}; nothing was written"
        )));
    }
    let written = match &cipher_key {
        Some(k) => {
            let plaintext = k.open(&object.body).map_err(|e| {
                open_error(e, &object.body, k, master.as_ref())
                    .with_detail(format!("while opening {location}"))
            })?;
            warn_restore_problems(&ui, &location, &plaintext);
            let digest: [u8; 32] = Sha256::digest(&*plaintext).into();
            compare_digest(&object, &digest)?;
            files::write_output(path, &plaintext, out_opts)?
        }
        None => files::write_output(path, &object.body, out_opts)?,
    };
    if args.json {
        let mut value = object_json(&location, &object);
        if let Value::Object(map) = &mut value {
            map.insert("written".into(), json!(written.describe()));
            map.insert("decrypted".into(), json!(args.decrypt));
        }
        return print_json(&value);
    }
    let from = match &object.version_id {
        Some(v) => format!("{location} (version {v})"),
        None => location,
    };
    ui.info(format!(
        "wrote {}{} from {from}",
        if args.decrypt {
            "the plaintext to "
        } else {
            ""
        },
        written.describe()
    ));
    Ok(())
}

/// `get --no-verify -o FILE`: the object as stored (its transport checksum was
/// verified by the store), then every structural problem, exit 4 if there is any. A
/// support engineer gets a broken backup out without `aws s3 cp`.
fn write_unverified(
    ui: &Ui,
    args: &GetArgs,
    path: &std::path::Path,
    location: &str,
    object: &Object,
    out_opts: OutputOptions,
) -> CliResult {
    let report = build_report(&object.body, None);
    let written = files::write_output(path, &object.body, out_opts)?;
    if args.json {
        let mut value = object_json(location, object);
        if let Value::Object(map) = &mut value {
            map.insert("written".into(), json!(written.describe()));
            map.insert("decrypted".into(), json!(false));
            map.insert("report".into(), report.to_json());
        }
        print_json(&value)?;
    }
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
                "wrote {} from {location} (a valid FFCE blob; not authenticated)",
                written.describe()
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

/// Compares a plaintext digest with the object's `etag` metadata, when it has one.
fn compare_digest(object: &Object, digest: &[u8; 32]) -> CliResult {
    match &object.plaintext_digest {
        Some(PlaintextDigest::Sha256(stored)) if stored != digest => Err(CliError::integrity(
            "the decrypted plaintext's SHA-256 does not match the object's `etag` metadata; \
             nothing was written",
        )
        .with_detail(format!(
            "metadata etag {}, plaintext SHA-256 {}",
            hex::encode(stored),
            hex::encode(digest)
        ))),
        _ => Ok(()),
    }
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
    }
    if object.plaintext_digest == Some(PlaintextDigest::NotASha256) {
        ui.warn(format!(
            "{location}: its `etag` metadata is not a SHA-256; not compared with the plaintext"
        ));
    }
}

fn checksum_json(check: &ChecksumCheck) -> Value {
    match check {
        // `sha256_base64` is kept for scripts written when ffce knew only SHA-256.
        ChecksumCheck::Verified {
            algorithm,
            value_base64,
        } => json!({
            "status": "verified",
            "algorithm": algorithm.name(),
            "value_base64": value_base64,
            "sha256_base64": (*algorithm == ChecksumAlgorithm::Sha256).then_some(value_base64),
        }),
        ChecksumCheck::Absent => {
            json!({ "status": "absent", "algorithm": null, "value_base64": null, "sha256_base64": null })
        }
        ChecksumCheck::LocalFile => {
            json!({ "status": "local_file", "algorithm": null, "value_base64": null, "sha256_base64": null })
        }
    }
}

fn object_json(location: &str, object: &Object) -> Value {
    json!({
        "location": location,
        "size": object.body.len(),
        "etag": object.etag,
        "version_id": object.version_id,
        "last_modified": object.last_modified.map(format_time),
        "checksum": checksum_json(&object.checksum),
        "plaintext_sha256_metadata": sha256_metadata(object).map(hex::encode),
    })
}

/// The plaintext SHA-256 the object's metadata holds, if it holds one.
fn sha256_metadata(object: &Object) -> Option<&[u8; 32]> {
    match &object.plaintext_digest {
        Some(PlaintextDigest::Sha256(d)) => Some(d),
        _ => None,
    }
}

fn object_human(object: &Object) -> String {
    let mut out = String::new();
    let mut row = |label: &str, value: String| {
        out.push_str(&format!("{label:<15}{value}\n"));
    };
    if let Some(v) = &object.version_id {
        row("version id", v.clone());
    }
    if let Some(e) = &object.etag {
        row("etag", e.clone());
    }
    if let Some(t) = object.last_modified {
        row("last modified", format_time(t));
    }
    row(
        "checksum",
        match &object.checksum {
            ChecksumCheck::Verified { algorithm, .. } => format!("{algorithm} verified"),
            ChecksumCheck::Absent => "none stored".to_string(),
            ChecksumCheck::LocalFile => "local file (none stored)".to_string(),
        },
    );
    if let Some(d) = sha256_metadata(object) {
        row("plaintext sha", format!("{} (metadata)", hex::encode(d)));
    }
    out
}
