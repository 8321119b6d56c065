//! `ffce verify`: check many blobs, one record each, then a total.
//!
//! Without a key each file is checked for structure only; with a key it must also
//! authenticate. Upload-limit warnings (`too_large`) are shown but do not fail a file
//! (see [`crate::report`]).
//!
//! Exit code: the worst finding wins. 4 if any blob is malformed or fails
//! authentication; otherwise 3 if any file does not exist; otherwise 1 if any file could
//! not be read for another reason; otherwise 0. Integrity ranks first because it is what
//! `verify` is for: a forged or corrupt backup must not hide behind a typo elsewhere in
//! the file list. Every file is checked either way; a key that cannot be loaded stops
//! the command before any file (with that error's own code).

use std::path::{Path, PathBuf};

use crate::exit::{CliError, CliResult, Failure};
use crate::files::{self, read_input_limited};
use crate::keys::BlobKey;
use crate::output::report::{BlobReport, BlobStatus, ProblemRecord};
use crate::output::verify::{FileCheck, FileStatus, VerifyDocument, VerifyTotal};
use crate::output::{Format, Printer};
use crate::ui::Ui;

/// `ffce verify`, resolved.
pub struct Verify {
    /// The key, when one was given, or a folder of device keys.
    pub key: BlobKey,
    /// The blobs to check.
    pub files: Vec<PathBuf>,
}

/// Runs `ffce verify`.
pub fn run(ui: &Ui, printer: &mut Printer, args: Verify) -> CliResult {
    if printer.format() == Format::Json {
        // Scripts written for the JSON Lines `--json` printed before schema_version 1.
        ui.info(
            "note: `ffce verify --json` prints one JSON document; for one record per line \
             (what --json printed before schema_version 1), use --jsonl",
        );
    }
    let key = &args.key;
    if !key.given() {
        ui.detail(1, "no key given: checking structure only, not authenticity");
    }
    let (mut ok, mut invalid, mut missing, mut unreadable) = (0usize, 0usize, 0usize, 0usize);
    let mut results = Vec::new();
    for path in &args.files {
        let (record, failure) = match read_input_limited(path, &files::ANY_BLOB) {
            Ok(blob) => {
                let report = key.report(ui, &blob, false)?;
                let failure = report.failure();
                (checked(path, &BlobReport::from(&report)), failure)
            }
            Err(e) => (unreadable_record(path, &e), Some(e.failure)),
        };
        match failure {
            None => ok += 1,
            Some(Failure::Integrity) => invalid += 1,
            Some(Failure::NotFound) => missing += 1,
            Some(_) => unreadable += 1,
        }
        if !printer.item_kept(record, &mut results)? {
            // The verdict so far: exit 4 when a file already failed its checks.
            let so_far = match invalid {
                0 => Ok(()),
                n => Err(CliError::integrity(format!(
                    "{n} of the {} file(s) checked so far failed verification",
                    ok + invalid + missing + unreadable
                ))),
            };
            return Err(CliError::reader_left(so_far));
        }
    }
    let failed = invalid + missing + unreadable;
    let total = args.files.len();
    let failure = if invalid > 0 {
        Some(Failure::Integrity)
    } else if missing > 0 {
        Some(Failure::NotFound)
    } else if unreadable > 0 {
        Some(Failure::Other)
    } else {
        None
    };
    let total_record = VerifyTotal {
        files: total,
        ok,
        failed,
        invalid,
        not_found: missing,
        unreadable,
        authenticated: key.given(),
        key_source: key.source(),
        exit_code: failure.map_or(0, Failure::code),
    };
    if printer.format() == Format::Json {
        printer.document(&VerifyDocument {
            total: total_record,
            results,
        })?;
    } else {
        printer.summary(&total_record)?;
    }
    match failure {
        None => Ok(()),
        Some(f) => Err(CliError::new(
            f,
            format!("{failed} of {total} files failed verification"),
        )),
    }
}

fn shown(path: &Path) -> String {
    if files::is_stdio(path) {
        "-".into()
    } else {
        path.display().to_string()
    }
}

/// The record of a file that was read and judged.
fn checked(path: &Path, r: &BlobReport) -> FileCheck {
    let keyed = r.key.is_some();
    FileCheck {
        file: shown(path),
        ok: r.valid,
        status: match r.status {
            BlobStatus::Authenticated => FileStatus::Authenticated,
            BlobStatus::StructureValid => FileStatus::StructureValid,
            BlobStatus::AuthenticationFailed => FileStatus::AuthenticationFailed,
            BlobStatus::Malformed => FileStatus::Malformed,
            // Only a stored backup is judged too large (verify's files may be configfs).
            BlobStatus::TooLarge => FileStatus::TooLarge,
        },
        valid: Some(r.valid),
        blob_len: Some(r.blob_len),
        errors: r.errors.clone(),
        warnings: r.warnings.clone(),
        looks_like: r.looks_like.clone(),
        device_warnings: r.device_warnings.clone(),
        authenticated: r.authenticated,
        plaintext_digest: keyed.then(|| r.plaintext_digest.clone()),
    }
}

/// The record of a file that could not be read.
fn unreadable_record(path: &Path, e: &CliError) -> FileCheck {
    let status = match e.failure {
        Failure::NotFound => FileStatus::NotFound,
        // The only integrity failure before a file is read: too large to be a blob.
        Failure::Integrity => FileStatus::TooLarge,
        _ => FileStatus::Unreadable,
    };
    let code = match status {
        FileStatus::NotFound => "not_found",
        FileStatus::TooLarge => "too_large",
        _ => "unreadable",
    };
    FileCheck {
        file: shown(path),
        ok: false,
        status,
        valid: None,
        blob_len: None,
        errors: vec![ProblemRecord {
            code: code.into(),
            message: e.message.clone(),
        }],
        warnings: Vec::new(),
        looks_like: None,
        device_warnings: Vec::new(),
        authenticated: None,
        plaintext_digest: None,
    }
}
