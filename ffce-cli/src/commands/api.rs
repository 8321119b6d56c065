//! `ffce api`: the device backup API as a device uses it (docs/SPEC.md §7): `post`, `get`
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

use super::download::Download;
use super::put::{UploadBody, Verb, prepare_upload};
use crate::api_client::{ApiClient, status_error};
use crate::cli::{ApiArgs, ApiDeleteArgs, ApiGetArgs, ApiPostArgs};
use crate::exit::{CliError, CliResult};
use crate::files::{self, OutputOptions};
use crate::keys::{self, LoadedKey};
use crate::output::Printer;
use crate::output::api::{ApiDeleted, KeyPair, Posted};
use crate::output::download::StoredObject;
use crate::ui::Ui;
use ffce_core::device_auth::DeviceSigningKey;
use ffce_core::layout::DeviceId;

/// The device, its key and a client for its backup resource.
fn client(ui: &Ui, api: &ApiArgs, device: DeviceId) -> CliResult<ApiClient> {
    let key = keys::read_device_key(ui, &api.device_key)?;
    ApiClient::new(&api.api_url, device, key, api.timeout)
}

/// `api post`'s wording of its refusals.
const SEND: Verb = Verb {
    present: "send",
    past: "sent",
    anyway: "sending it anyway",
};

/// `ffce api post UUID FILE`.
pub async fn post(
    ui: &Ui,
    printer: &mut Printer,
    args: ApiPostArgs,
    key: Option<LoadedKey>,
) -> CliResult {
    let device = args.device;
    let given_etag = args.etag.clone();
    let if_none_match = args.if_none_match.clone();
    let shown = if files::is_stdio(&args.file) {
        "stdin".to_string()
    } else {
        args.file.display().to_string()
    };
    // The plaintext's digest: sealed here, or opened with the key given for a blob.
    let UploadBody {
        blob,
        plaintext_sha256,
    } = prepare_upload(
        ui,
        &args.file,
        key.as_ref(),
        args.encrypt,
        args.force,
        &SEND,
    )?;
    let etag = given_etag.or(plaintext_sha256.map(hex::encode));
    if if_none_match.is_some() && etag.is_none() {
        return Err(CliError::usage(
            "--if-none-match needs the backup's etag to send with it: give --etag, \
             --encrypt, or a key that opens FILE",
        ));
    }

    let api = client(ui, &args.api, device)?;
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
    printer.document(&Posted {
        device: device.to_string(),
        url: api.location().to_string(),
        status: answer.status,
        stored,
        message: answer.message(),
        last_backup_date: answer.field("last_backup_date"),
        plaintext_digest: answer.etag.clone().filter(|e| !e.is_empty()),
        size: len,
    })
}

/// `ffce api get UUID [-o FILE]`.
pub async fn get(
    ui: &Ui,
    printer: &mut Printer,
    args: ApiGetArgs,
    opts: OutputOptions<'static>,
    key: Option<LoadedKey>,
) -> CliResult {
    let api = client(ui, &args.api, args.device)?;
    let answer = api.send(Method::GET, Bytes::new(), &[]).await?;
    if answer.status != 200 {
        return Err(status_error(
            &format!("{}: no backup downloaded", api.location()),
            &answer,
        ));
    }
    let location = api.location().to_string();
    let etag = answer.etag.clone().filter(|e| !e.is_empty());
    let download = Download {
        device: args.device,
        body: &answer.body,
        object: StoredObject {
            location: location.clone(),
            size: answer.body.len(),
            object_etag: None,
            version_id: None,
            last_modified: None,
            checksum: None,
            plaintext_digest: etag.clone(),
        },
        digest_name: "the backup's etag",
        noun: "body",
    };
    let Some(path) = &args.output else {
        return download.report(ui, printer, key.as_ref());
    };
    let decrypt = args.decrypt;
    let written = download.write(ui, printer, key.as_ref(), decrypt, path, opts)?;
    if printer.format().is_json() {
        return Ok(());
    }
    ui.info(format!(
        "wrote {}{} from {location}{}",
        if decrypt { "the plaintext to " } else { "" },
        written.describe(),
        match (&key, decrypt) {
            (Some(k), false) => format!("; authenticated with the key from {}", k.source),
            _ => String::new(),
        }
    ));
    if etag.is_none() {
        ui.info("the backup has no etag");
    }
    Ok(())
}

/// `ffce api delete UUID`.
pub async fn delete(ui: &Ui, printer: &mut Printer, args: ApiDeleteArgs) -> CliResult {
    let device = args.device;
    let api = client(ui, &args.api, device)?;
    let answer = api.send(Method::DELETE, Bytes::new(), &[]).await?;
    if answer.status != 200 && answer.status != 204 {
        return Err(status_error(
            &format!("{}: not deleted", api.location()),
            &answer,
        ));
    }
    printer.document(&ApiDeleted {
        device: device.to_string(),
        url: api.location().to_string(),
        status: answer.status,
        message: answer.message(),
    })
}

/// `ffce api keygen -o FILE`.
pub fn keygen(ui: &Ui, printer: &mut Printer, output: &Path) -> CliResult {
    if files::is_stdio(output) {
        return Err(CliError::usage(
            "-o -: the private key goes to a file (stdout carries the public key)",
        ));
    }
    if std::fs::symlink_metadata(output).is_ok() {
        return Err(CliError::refused(format!(
            "{} already exists; keygen never replaces a key file (a device whose key is \
             lost can no longer sign); give another path",
            output.display()
        )));
    }
    let key = DeviceSigningKey::generate().map_err(|e| CliError::other(e.to_string()))?;
    let written = files::write_output(
        output,
        key.to_pkcs8_pem().as_bytes(),
        OutputOptions::plaintext(false),
    )?;
    let public = key.public_key().to_table_base64();
    ui.info(format!(
        "wrote the device's private key to {}; register the public key below as the \
         device's public_key in the device table",
        written.describe()
    ));
    printer.document(&KeyPair {
        public_key: public,
        key_file: output.display().to_string(),
    })
}
