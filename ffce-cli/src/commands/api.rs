//! `ffce api`: the device backup API as a device uses it (FFCE-SPEC §7): `post`, `get`
//! and `delete` of `/devices/{uuid}/backup` with signed headers, and `keygen` for a test
//! device key.
//!
//! The checks are those of `ffce put` and `ffce get`, before and after the network: a
//! body the cloud would refuse is refused here (exit 4, nothing sent); a downloaded blob
//! is verified (and with `--decrypt` authenticated and compared with its etag) before
//! anything is written, atomically. The API's answers become exit codes in
//! [`crate::api_client::status_error`].

use std::path::Path;

use bytes::Bytes;
use hyper::Method;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::put::{UploadBody, Verb, prepare_upload};
use super::store_common::{device_arg, print, print_json};
use crate::api_client::{ApiClient, status_error};
use crate::cli::{
    ApiArgs, ApiCommand, ApiDeleteArgs, ApiGetArgs, ApiKeygenArgs, ApiPostArgs, KeyArgs,
};
use crate::exit::{CliError, CliResult};
use crate::files::{self, OutputOptions};
use crate::keys::{self, load_key_and_master};
use crate::report::{build_report, lookalike_message, open_error, warn_restore_problems};
use crate::ui::Ui;
use ffce_core::DeviceId;
use ffce_core::device_auth::DeviceSigningKey;

/// Runs `ffce api ...`.
pub fn run(ui: Ui, cmd: ApiCommand) -> CliResult {
    match cmd {
        ApiCommand::Post(args) => super::block_on(post(ui, args)),
        ApiCommand::Get(args) => super::block_on(get(ui, args)),
        ApiCommand::Delete(args) => super::block_on(delete(ui, args)),
        ApiCommand::Keygen(args) => keygen(ui, args),
    }
}

/// The device, its key and a client for its backup resource.
fn client(ui: &Ui, api: &ApiArgs, device: DeviceId) -> CliResult<ApiClient> {
    let key = keys::read_device_key(ui, &api.device_key)?;
    ApiClient::new(&api.api_url, device, key, api.timeout)
}

/// Refuses (exit 2) two of the device key, the master/AES key and the input file all
/// read from stdin: they would be read from one stream, one after the other.
fn refuse_shared_stdin(api: &ApiArgs, key: &KeyArgs, input: Option<&Path>) -> CliResult {
    let readers = [
        Some(("--device-key", api.device_key.as_path())),
        key.master_key_file
            .as_deref()
            .map(|p| ("--master-key-file", p)),
        key.key_file.as_deref().map(|p| ("--key-file", p)),
        input.map(|p| ("the input", p)),
    ];
    let stdin: Vec<&str> = readers
        .iter()
        .flatten()
        .filter(|(_, p)| files::is_stdio(p))
        .map(|(what, _)| *what)
        .collect();
    if stdin.len() > 1 {
        return Err(CliError::usage(format!(
            "{} would all be read from stdin; give all but one another way (a file or \
             <(command))",
            stdin.join(" and ")
        )));
    }
    Ok(())
}

/// An etag as given on the command line: the lowercase hex SHA-256 of a plaintext,
/// quotes allowed (exit 2 otherwise).
fn etag_arg(flag: &str, text: &str) -> CliResult<String> {
    let etag = ffce_store::unquote_etag(text).to_ascii_lowercase();
    if etag.len() != 64 || !etag.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(CliError::usage(format!(
            "{flag}: expected the hex SHA-256 of the backup's plaintext (64 hex digits), \
             as `ffce api get` prints it"
        )));
    }
    Ok(etag)
}

/// `api post`'s wording of its refusals.
const SEND: Verb = Verb {
    present: "send",
    past: "sent",
};

/// `ffce api post UUID FILE`.
async fn post(ui: Ui, args: ApiPostArgs) -> CliResult {
    let device = device_arg(&args.uuid)?;
    let given_etag = args
        .etag
        .as_deref()
        .map(|e| etag_arg("--etag", e))
        .transpose()?;
    let if_none_match = args
        .if_none_match
        .as_deref()
        .map(|e| etag_arg("--if-none-match", e))
        .transpose()?;
    refuse_shared_stdin(&args.api, &args.key, Some(&args.file))?;
    let shown = if files::is_stdio(&args.file) {
        "stdin".to_string()
    } else {
        args.file.display().to_string()
    };
    let UploadBody {
        blob,
        plaintext_sha256,
        checked_with,
    } = prepare_upload(&ui, &args.file, &args.key, args.encrypt, args.force, &SEND)?;
    // The plaintext's digest: sealed here, or opened with the key given for a blob.
    let digest = match (plaintext_sha256, checked_with) {
        (Some(d), _) => Some(d),
        (None, Some(k)) => Some(Sha256::digest(&*k.open(&blob)?).into()),
        (None, None) => None,
    };
    let etag = given_etag.or(digest.map(hex::encode));
    if if_none_match.is_some() && etag.is_none() {
        return Err(CliError::usage(
            "--if-none-match needs the backup's etag to send with it: give --etag, \
             --encrypt, or a key that opens FILE",
        ));
    }

    let api = client(&ui, &args.api, device)?;
    let mut headers = Vec::new();
    if let Some(etag) = &etag {
        headers.push(("ETag", format!("\"{etag}\"")));
    }
    if let Some(inm) = &if_none_match {
        headers.push(("If-None-Match", format!("\"{inm}\"")));
    }
    let len = blob.len();
    let answer = api.send(Method::POST, Bytes::from(blob), &headers).await?;
    let stored = match answer.status {
        200 | 201 => true,
        304 => false,
        _ => {
            return Err(status_error(
                &format!("{shown}: not stored at {}", api.location()),
                &answer,
            ));
        }
    };
    let date = answer.field("last_backup_date");
    if args.json {
        return print_json(&json!({
            "uuid": device.to_string(),
            "url": api.location(),
            "status": answer.status,
            "stored": stored,
            "message": answer.message(),
            "last_backup_date": date,
            "etag": answer.etag.as_ref().filter(|e| !e.is_empty()),
            "size": len,
        }));
    }
    let mut out = if stored {
        format!("stored    {}\n", api.location())
    } else {
        format!(
            "unchanged {}: the stored backup already has this etag (304); nothing was \
             written\n",
            api.location()
        )
    };
    out.push_str(&format!("size      {}\n", ffce_core::bytes(len)));
    if let Some(d) = &date {
        out.push_str(&format!("date      {d}\n"));
    }
    if let Some(e) = answer.etag.as_ref().filter(|e| !e.is_empty()) {
        out.push_str(&format!("etag      {e}\n"));
    }
    print(&out)
}

/// `ffce api get UUID [-o FILE]`.
async fn get(ui: Ui, args: ApiGetArgs) -> CliResult {
    let device = device_arg(&args.uuid)?;
    let out_opts =
        files::download_output(args.output.as_deref(), args.decrypt, args.force, args.json)?;
    refuse_shared_stdin(&args.api, &args.key, None)?;
    let (cipher_key, master) = if args.decrypt {
        let (k, m) = load_key_and_master(&ui, &args.key)?;
        (Some(k), m)
    } else {
        (None, None)
    };
    let api = client(&ui, &args.api, device)?;
    let answer = api.send(Method::GET, Bytes::new(), &[]).await?;
    if answer.status != 200 {
        return Err(status_error(
            &format!("{}: no backup downloaded", api.location()),
            &answer,
        ));
    }
    let location = api.location().to_string();
    let etag = answer.etag.clone().filter(|e| !e.is_empty());
    let body = &answer.body;

    let Some(path) = &args.output else {
        // No -o: the header report, like `ffce get` (with --decrypt, authenticated).
        let report = build_report(body, cipher_key.as_ref())
            .with_master(body, master.as_ref())
            .with_source(location.clone())
            .with_key_source(keys::key_source(&args.key));
        let mismatch = report
            .key
            .as_ref()
            .and_then(|k| k.plaintext_sha256)
            .and_then(|d| compare_etag(etag.as_deref(), &d).err());
        if args.json {
            let mut value = report.to_json();
            if let Value::Object(map) = &mut value {
                map.insert("url".into(), json!(location));
                map.insert("etag".into(), json!(etag));
            }
            print_json(&value)?;
        } else {
            let mut text = report.render_human(&ui.for_stdout());
            text.push_str(&format!(
                "etag      {}\n",
                etag.as_deref().unwrap_or("(none)")
            ));
            print(&text)?;
        }
        report.warn_device(&ui);
        if let Some(e) = report.error() {
            return Err(e);
        }
        return mismatch.map_or(Ok(()), Err);
    };

    if let Err(e) = ffce_core::Blob::parse(body) {
        let what = match ffce_core::recognise(body) {
            Some(l) => lookalike_message(l).to_string(),
            None => format!("the downloaded body is not a valid FFCE blob: {e}"),
        };
        return Err(CliError::integrity(format!(
            "{location}: {what}; nothing was written"
        )));
    }
    let written = match &cipher_key {
        Some(k) => {
            let plaintext = k.open(body).map_err(|e| {
                open_error(e, body, k, master.as_ref())
                    .with_detail(format!("while opening {location}"))
            })?;
            warn_restore_problems(&ui, &location, &plaintext);
            let digest: [u8; 32] = Sha256::digest(&*plaintext).into();
            compare_etag(etag.as_deref(), &digest)?;
            files::write_output(path, &plaintext, out_opts)?
        }
        None => files::write_output(path, body, out_opts)?,
    };
    if args.json {
        return print_json(&json!({
            "uuid": device.to_string(),
            "url": location,
            "etag": etag,
            "size": body.len(),
            "written": written.describe(),
            "decrypted": args.decrypt,
        }));
    }
    ui.info(format!(
        "wrote {}{} from {location}",
        if args.decrypt {
            "the plaintext to "
        } else {
            ""
        },
        written.describe()
    ));
    // The etag alone on stdout (a device keeps it for its next --if-none-match), unless
    // stdout carried the backup itself.
    match &etag {
        Some(e) if !files::is_stdio(path) => print(&format!("{e}\n")),
        Some(_) => Ok(()),
        None => {
            ui.info("the backup has no etag");
            Ok(())
        }
    }
}

/// Compares a plaintext's digest with the backup's etag, when it has one (exit 4).
fn compare_etag(etag: Option<&str>, digest: &[u8; 32]) -> CliResult {
    match etag {
        Some(e) if !e.eq_ignore_ascii_case(&hex::encode(digest)) => Err(CliError::integrity(
            "the decrypted plaintext's SHA-256 does not match the backup's etag; nothing \
             was written",
        )
        .with_detail(format!(
            "etag {e}, plaintext SHA-256 {}",
            hex::encode(digest)
        ))),
        _ => Ok(()),
    }
}

/// `ffce api delete UUID`.
async fn delete(ui: Ui, args: ApiDeleteArgs) -> CliResult {
    let device = device_arg(&args.uuid)?;
    let api = client(&ui, &args.api, device)?;
    let answer = api.send(Method::DELETE, Bytes::new(), &[]).await?;
    if answer.status != 200 && answer.status != 204 {
        return Err(status_error(
            &format!("{}: not deleted", api.location()),
            &answer,
        ));
    }
    if args.json {
        return print_json(&json!({
            "uuid": device.to_string(),
            "url": api.location(),
            "status": answer.status,
            "message": answer.message(),
        }));
    }
    print(&format!("deleted {}\n", api.location()))
}

/// `ffce api keygen -o FILE`.
fn keygen(ui: Ui, args: ApiKeygenArgs) -> CliResult {
    if files::is_stdio(&args.output) {
        return Err(CliError::usage(
            "-o -: the private key goes to a file (stdout carries the public key)",
        ));
    }
    if std::fs::symlink_metadata(&args.output).is_ok() {
        return Err(CliError::refused(format!(
            "{} already exists; keygen never replaces a key file (a device whose key is \
             lost can no longer sign); give another path",
            args.output.display()
        )));
    }
    let key = DeviceSigningKey::generate().map_err(|e| CliError::other(e.to_string()))?;
    let written = files::write_output(
        &args.output,
        key.to_pkcs8_pem().as_bytes(),
        OutputOptions::plaintext(false),
    )?;
    let public = key.public_key().to_table_base64();
    ui.info(format!(
        "wrote the device's private key to {}; register the public key below as the \
         device's public_key in the device table",
        written.describe()
    ));
    if args.json {
        return print_json(&json!({
            "public_key": public,
            "key_file": args.output.display().to_string(),
        }));
    }
    print(&format!("{public}\n"))
}
