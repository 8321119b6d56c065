//! `ffce put`: upload a device's backup, an existing blob or a plaintext sealed first
//! (issue 4).
//!
//! Everything that can be refused is refused before the store is touched: the UUID
//! (exit 2), the key (with `--encrypt`), the body against the cloud's upload rules
//! (FFCE-SPEC §3: exit 4 with the numbers, nothing uploaded). The output names where
//! the backup went, its ETag and its version id.

use bytes::Bytes;
use serde_json::json;
use sha2::{Digest, Sha256};

use super::store_common::{device_arg, object_key, print, print_json};
use crate::cli::PutArgs;
use crate::exit::{CliError, CliResult};
use crate::files::{self, group_digits};
use crate::keys::load_key;
use crate::store_choice;
use crate::ui::Ui;
use ffce_store::{Condition, PutOptions};

/// Runs `ffce put`.
pub async fn run(ui: Ui, args: PutArgs) -> CliResult {
    let device = device_arg(&args.uuid)?;
    let key = object_key(device, &args.store);
    let condition = match (&args.if_match, args.if_absent) {
        (Some(etag), _) => {
            let etag = ffce_store::unquote_etag(etag);
            if etag.is_empty() || !etag.bytes().all(|b| b.is_ascii_graphic()) {
                return Err(CliError::usage(
                    "--if-match: expected an ETag as `ffce put` or `ffce versions` printed it",
                ));
            }
            Condition::IfMatch(etag)
        }
        (None, true) => Condition::IfAbsent,
        (None, false) => Condition::None,
    };
    if let Some(kms) = &args.sse_kms_key_id {
        if kms.is_empty() || !kms.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(CliError::usage(
                "--sse-kms-key-id: expected a KMS key id, alias or ARN",
            ));
        }
    }
    let shown = if files::is_stdio(&args.file) {
        "stdin".to_string()
    } else {
        args.file.display().to_string()
    };

    let (blob, plaintext_sha256) = if args.encrypt {
        let cipher_key = load_key(&ui, &args.key)?;
        let plaintext = files::read_secret_input_limited(&args.file, &files::UPLOAD_PLAINTEXT)?;
        if plaintext.len() > ffce_core::MAX_PLAINTEXT_LEN {
            return Err(CliError::integrity(format!(
                "{shown}: plaintext is {} bytes; sealed it would be {} bytes, over the \
                 {}-byte upload limit (at most {} bytes of plaintext); nothing was uploaded",
                group_digits(plaintext.len()),
                group_digits(plaintext.len() + ffce_core::HEADER_LEN),
                group_digits(ffce_core::MAX_BLOB_LEN),
                group_digits(ffce_core::MAX_PLAINTEXT_LEN),
            )));
        }
        let digest: [u8; 32] = Sha256::digest(&plaintext[..]).into();
        let blob = cipher_key.seal(&plaintext)?;
        (blob, Some(digest))
    } else {
        (
            files::read_input_limited(&args.file, &files::UPLOAD_BLOB)?,
            None,
        )
    };

    if let Err(e) = ffce_core::validate_upload(&blob) {
        let hint = match e {
            ffce_core::Error::BadMagic { .. } if !args.encrypt => {
                " (to upload a plaintext, seal it with --encrypt)"
            }
            _ => "",
        };
        return Err(CliError::integrity(format!(
            "{shown}: not an acceptable backup body: {e}{hint}; nothing was uploaded"
        )));
    }
    let content_sha256: [u8; 32] = Sha256::digest(&blob).into();
    let len = blob.len();

    let store = store_choice::open(&ui, &args.store).await?;
    let opts = PutOptions {
        content_sha256,
        plaintext_sha256,
        sse_kms_key_id: args.sse_kms_key_id.clone(),
        condition,
    };
    let outcome = store.put(&key, Bytes::from(blob), &opts).await?;

    if args.json {
        return print_json(&json!({
            "uuid": device.to_string(),
            "key": key.as_string(),
            "location": outcome.location,
            "size": len,
            "etag": outcome.etag,
            "version_id": outcome.version_id,
            "content_sha256": hex::encode(content_sha256),
            "plaintext_sha256": plaintext_sha256.map(hex::encode),
        }));
    }
    let mut out = format!("stored    {}\n", outcome.location);
    out.push_str(&format!("size      {} bytes\n", group_digits(len)));
    if let Some(etag) = &outcome.etag {
        out.push_str(&format!("etag      {etag}\n"));
    }
    if let Some(v) = &outcome.version_id {
        out.push_str(&format!("version   {v}\n"));
    }
    out.push_str(&format!("sha256    {}\n", hex::encode(content_sha256)));
    print(&out)
}
