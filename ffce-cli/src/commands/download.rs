//! What `ffce get` and `ffce api get` share once the backup is downloaded: without
//! `-o`, the header report (authenticated with `--decrypt`) and the object; with `-o`,
//! the checks before anything is written, then the atomic write.
//!
//! Order of checks, each of which writes nothing when it fails: the size (over the
//! cloud's 524,288-byte limit it is no backup, exit 4, as `audit` says), the blob's
//! structure (exit 4), with a key the tag (exit 4) and the plaintext's SHA-256 against
//! the plaintext digest stored with the backup when it has one (S3's `etag` metadata,
//! the device API's ETag; docs/SPEC.md §5, exit 4). Only then is the output written
//! ([`crate::files::write_output`]): the plaintext with `--decrypt`, else the blob.
//! A key given without `--decrypt` is used all the same: it authenticates the blob
//! (a key that was given and silently ignored would make "not checked" a lie).
//! (The transport checksum was verified by the store.)

use std::path::Path;

use sha2::{Digest, Sha256};

use crate::exit::{CliError, CliResult};
use crate::files::{self, OutputOptions, Written};
use crate::keys::LoadedKey;
use crate::output::Printer;
use crate::output::download::{DownloadReport, Downloaded, StoredObject, WrittenFile};
use crate::output::report::BlobReport;
use crate::report::{
    build_report, lookalike_message, open_error, too_large_backup, warn_restore_problems,
};
use crate::ui::Ui;

/// A downloaded backup.
pub struct Download<'a> {
    /// The device.
    pub device: ffce_core::layout::DeviceId,
    /// The body.
    pub body: &'a [u8],
    /// The object as reported.
    pub object: StoredObject,
    /// What the stored digest is called in messages: "the object's `etag` metadata",
    /// "the backup's etag".
    pub digest_name: &'static str,
    /// What the body is called: "object", "body".
    pub noun: &'static str,
}

impl Download<'_> {
    /// Compares a plaintext digest with the digest stored with the backup, when there
    /// is one (exit 4 when they differ).
    fn compare(&self, digest: &[u8; 32]) -> CliResult {
        let plaintext = hex::encode(digest);
        match &self.object.plaintext_digest {
            Some(stored) if !stored.eq_ignore_ascii_case(&plaintext) => {
                Err(CliError::integrity(format!(
                    "the decrypted plaintext's SHA-256 does not match {}; nothing was written",
                    self.digest_name
                ))
                .with_detail(format!("stored {stored}, plaintext SHA-256 {plaintext}")))
            }
            _ => Ok(()),
        }
    }

    /// No `-o`: the header report, like `ffce inspect` (with a key, authenticated),
    /// and the object. Exit 4 for an invalid blob or a digest that does not match.
    pub fn report(self, ui: &Ui, printer: &mut Printer, key: Option<&LoadedKey>) -> CliResult {
        let report = build_report(self.body, key.map(|k| &k.key))
            .judged_as_stored_backup()
            .with_key_hints(self.body, key)
            .with_source(self.object.location.clone())
            .with_key_source(key.map(|k| &k.source));
        let mismatch = report
            .key
            .as_ref()
            .and_then(|k| k.plaintext_sha256)
            .and_then(|d| self.compare(&d).err());
        printer.document(&DownloadReport {
            report: BlobReport::from(&report),
            object: self.object,
        })?;
        report.warn_device(ui);
        if let Some(e) = report.error() {
            return Err(e);
        }
        mismatch.map_or(Ok(()), Err)
    }

    /// `-o PATH`: verify, with a key authenticate and compare the digest, write (the
    /// plaintext when `decrypt`, else the blob); then report what was written. Returns
    /// what was written, for the command's own note.
    pub fn write(
        self,
        ui: &Ui,
        printer: &mut Printer,
        key: Option<&LoadedKey>,
        decrypt: bool,
        path: &Path,
        opts: OutputOptions,
    ) -> CliResult<Written> {
        let location = &self.object.location;
        // Too large to be a backup is the verdict `audit` gives it too (exit 4).
        if let Some(why) = too_large_backup(self.body.len()) {
            return Err(CliError::integrity(format!(
                "{location}: {why}; nothing was written"
            )));
        }
        if let Err(e) = ffce_core::Blob::parse(self.body) {
            // Named as the header report (no -o) names it: an object that is not a blob
            // at all says what it looks like.
            let what = match ffce_core::format::recognise(self.body) {
                Some(l) => lookalike_message(l).to_string(),
                None => format!("the downloaded {} is not a valid FFCE blob: {e}", self.noun),
            };
            return Err(CliError::integrity(format!(
                "{location}: {what}; nothing was written"
            )));
        }
        let written = match key {
            Some(k) => {
                let plaintext = k.key.open(self.body).map_err(|e| {
                    open_error(e, self.body, k).with_detail(format!("while opening {location}"))
                })?;
                warn_restore_problems(ui, location, &plaintext, &k.key);
                self.compare(&Sha256::digest(&*plaintext).into())?;
                if decrypt {
                    files::write_output(path, &plaintext, opts)?
                } else {
                    files::write_output(path, self.body, opts)?
                }
            }
            None => files::write_output(path, self.body, opts)?,
        };
        printer.document(&Downloaded {
            device: self.device.to_string(),
            object: self.object,
            written: WrittenFile::from(&written),
            decrypted: decrypt && key.is_some(),
            authenticated: key.is_some(),
            valid: true,
            report: None,
        })?;
        Ok(written)
    }
}
