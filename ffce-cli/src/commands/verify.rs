//! `ffce verify`: check many blobs, one line (or JSON record) each, then a total.
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

use serde_json::{Value, json};

use crate::cli::VerifyArgs;
use crate::exit::{CliError, CliResult, Failure};
use crate::files::{self, read_input_limited};
use crate::keys::{self, load_optional_key_and_master};
use crate::report::{Report, build_report};
use crate::ui::Ui;

/// How one file fared.
enum Outcome {
    /// Read and judged (valid or not). Boxed: a report is much larger than an error.
    Checked(Box<Report>),
    /// Could not be read.
    Unreadable(CliError),
}

impl Outcome {
    fn failure(&self) -> Option<Failure> {
        match self {
            Outcome::Checked(r) => r.failure(),
            Outcome::Unreadable(e) => Some(e.failure),
        }
    }
}

/// Runs `ffce verify`.
pub fn run(ui: Ui, args: VerifyArgs) -> CliResult {
    let inputs: Vec<&Path> = args.files.iter().map(PathBuf::as_path).collect();
    keys::refuse_shared_stdin(&args.key, &inputs)?;
    let (key, master) = load_optional_key_and_master(&ui, &args.key)?.unzip();
    let master = master.flatten();
    let key_source = key.as_ref().and_then(|_| keys::key_source(&args.key));
    if key.is_none() {
        ui.detail(1, "no key given: checking structure only, not authenticity");
    }
    let (mut ok, mut invalid, mut missing, mut unreadable) = (0usize, 0usize, 0usize, 0usize);
    for path in &args.files {
        let outcome = match read_input_limited(path, &files::ANY_BLOB) {
            Ok(blob) => Outcome::Checked(Box::new(
                build_report(&blob, key.as_ref()).with_master(&blob, master.as_ref()),
            )),
            Err(e) => Outcome::Unreadable(e),
        };
        match outcome.failure() {
            None => ok += 1,
            Some(Failure::Integrity) => invalid += 1,
            Some(Failure::NotFound) => missing += 1,
            Some(_) => unreadable += 1,
        }
        let line = if args.json {
            let mut s = record(path, &outcome).to_string();
            s.push('\n');
            s
        } else {
            human_line(&ui.for_stdout(), path, &outcome, key.is_some())
        };
        files::write_stdout(line.as_bytes())?;
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
    let summary = if args.json {
        let mut s = json!({
            "type": "total",
            "files": total,
            "ok": ok,
            "failed": failed,
            "invalid": invalid,
            "not_found": missing,
            "unreadable": unreadable,
            "authenticated": key.is_some(),
            "key_source": key_source.as_ref().map(ToString::to_string),
            "exit_code": failure.map_or(0, Failure::code),
        })
        .to_string();
        s.push('\n');
        s
    } else {
        let mut s = format!("total: {total} files, {ok} ok, {failed} failed");
        let details: Vec<String> = [
            (invalid, "invalid"),
            (missing, "not found"),
            (unreadable, "unreadable"),
        ]
        .iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, what)| format!("{n} {what}"))
        .collect();
        if !details.is_empty() {
            s.push_str(&format!(" ({})", details.join(", ")));
        }
        match &key_source {
            Some(source) => s.push_str(&format!("; authenticated with the key from {source}")),
            None => s.push_str("; structure only, no key given"),
        }
        s.push('\n');
        s
    };
    files::write_stdout(summary.as_bytes())?;
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

fn human_line(ui: &Ui, path: &Path, outcome: &Outcome, keyed: bool) -> String {
    let name = shown(path);
    match outcome {
        Outcome::Checked(r) if r.valid() => {
            let mut why = if keyed {
                "authenticated".to_string()
            } else {
                "well-formed (not authenticated: no key)".to_string()
            };
            for w in &r.warnings {
                why.push_str(&format!("; warning: {}", w.code));
            }
            format!("{}    {name}  {why}\n", ui.paint("32", "OK"))
        }
        Outcome::Checked(r) => {
            let why = r.reason();
            format!("{}  {name}  {why}\n", ui.paint("31", "FAIL"))
        }
        Outcome::Unreadable(e) => {
            format!(
                "{}  {name}  {}: {}\n",
                ui.paint("31", "FAIL"),
                code(e),
                e.message
            )
        }
    }
}

fn code(e: &CliError) -> &'static str {
    match e.failure {
        Failure::NotFound => "not_found",
        // The only integrity failure before a file is read: too large to be a blob.
        Failure::Integrity => "too_large",
        _ => "unreadable",
    }
}

/// One JSON record: `type` = `file`, `file`, `ok`, `status` (`ok`, `invalid`,
/// `not_found`, `too_large`, `unreadable`), `errors`, `warnings`, `looks_like` and
/// `device_warnings` (as `inspect --json` has them, [`Report::findings_json`]; `null`
/// and empty for a file that could not be read); when the file was read also `valid`,
/// `blob_len`, and with a key `authenticated` and `plaintext_sha256`.
fn record(path: &Path, outcome: &Outcome) -> Value {
    let file = shown(path);
    match outcome {
        Outcome::Checked(r) => {
            let mut v = json!({
                "type": "file",
                "file": file,
                "ok": r.valid(),
                "status": if r.valid() { "ok" } else { "invalid" },
                "valid": r.valid(),
                "blob_len": r.blob_len,
            });
            if let Value::Object(map) = &mut v {
                map.extend(r.findings_json());
            }
            if let Some(k) = &r.key {
                v["authenticated"] = json!(k.authenticated);
                v["plaintext_sha256"] = json!(k.plaintext_sha256.map(hex::encode));
            }
            v
        }
        Outcome::Unreadable(e) => json!({
            "type": "file",
            "file": file,
            "ok": false,
            "status": code(e),
            "errors": [{ "code": code(e), "message": e.message }],
            "warnings": [],
            "looks_like": null,
            "device_warnings": [],
        }),
    }
}
