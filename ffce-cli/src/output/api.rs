//! `ffce api post|delete|keygen`: the device API's answers, and a new device key.
//! (`ffce api get` reports as `ffce get` does, [`super::download`].)

use ffce_core::numbers::bytes;
use schemars::JsonSchema;
use serde::Serialize;

use super::{Human, Record};

/// `ffce api post`: the API's answer.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Posted {
    /// The device UUID, lowercase.
    pub device: String,
    /// The backup's URL.
    pub url: String,
    /// The HTTP status (200 or 201 stored, 304 unchanged).
    pub status: u16,
    /// False for 304: the stored backup already has this etag; nothing was written.
    pub stored: bool,
    /// The API's message, made printable.
    pub message: Option<String>,
    /// The API's `last_backup_date`.
    pub last_backup_date: Option<String>,
    /// The backup's etag as the API answered it: the plaintext's SHA-256 in hex.
    pub plaintext_digest: Option<String>,
    /// Bytes sent.
    pub size: usize,
}

impl Record for Posted {
    const KIND: &'static str = "posted";

    fn human(&self, out: &mut Human) {
        if self.stored {
            out.line(&format!("stored    {}", self.url));
        } else {
            out.line(&format!(
                "unchanged {}: the stored backup already has this etag (304); nothing was \
                 written",
                self.url
            ));
        }
        out.line(&format!("size      {}", bytes(self.size)));
        if let Some(d) = &self.last_backup_date {
            out.line(&format!("date      {d}"));
        }
        if let Some(e) = &self.plaintext_digest {
            out.line(&format!("etag      {e}"));
        }
    }
}

/// `ffce api delete`: the API's answer.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ApiDeleted {
    /// The device UUID, lowercase.
    pub device: String,
    /// The backup's URL.
    pub url: String,
    /// The HTTP status (200 or 204).
    pub status: u16,
    /// The API's message, made printable.
    pub message: Option<String>,
}

impl Record for ApiDeleted {
    const KIND: &'static str = "api_deleted";

    fn human(&self, out: &mut Human) {
        out.line(&format!("deleted {}", self.url));
    }
}

/// `ffce api keygen`: the new key pair.
#[derive(Debug, Serialize, JsonSchema)]
pub struct KeyPair {
    /// The public key in the device table's format (base64 of the 65-byte point).
    pub public_key: String,
    /// Where the private key was written (PKCS#8 PEM, mode 0600).
    pub key_file: String,
}

impl Record for KeyPair {
    const KIND: &'static str = "key_pair";

    fn human(&self, out: &mut Human) {
        out.line(&self.public_key);
    }
}
