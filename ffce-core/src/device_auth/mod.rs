//! The device API's signed request headers (docs/SPEC.md §7.1): the
//! wire contract a device (signer) and the backup API (verifier) share.
//!
//! A device signs `nonce_bytes || timestamp_ascii_bytes` with its P-256 key (ECDSA,
//! SHA-256, DER signature) and sends four headers: [`UUID_HEADER`], [`NONCE_HEADER`],
//! [`TIMESTAMP_HEADER`], [`SIGNATURE_HEADER`]. A server looks the device up (an unknown
//! device is its own 401, before any header check), then calls [`AuthHeaders::parse`],
//! which checks the headers in the order of §7 step 2 and with its status codes, and
//! finally [`verify`] under the device's registered [`DevicePublicKey`].
//!
//! ```
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use ffce_core::layout::DeviceId;
//! use ffce_core::device_auth::{self, AuthHeaders, DeviceSigningKey, DevicePublicKey, RawAuthHeaders};
//!
//! // The device: a key (here from a fixed scalar; `DeviceSigningKey::generate()` makes one),
//! // a fresh 32-byte nonce and the current time.
//! let key = DeviceSigningKey::from_scalar_bytes(&[0x42; 32])?;
//! let device = DeviceId::parse("3f2504e0-4f89-41d3-9a0c-0305e82c3301")?;
//! let now = 1_746_792_000; // 2025-05-09T12:00:00Z
//! let timestamp = device_auth::format_timestamp(now);
//! let signed = key.sign(&device, &[7; 32], &timestamp);
//!
//! // The table holds the public key as base64 of the 65-byte uncompressed point.
//! let registered = key.public_key().to_table_base64();
//!
//! // The server: parse the headers as received (with its own clock), then verify.
//! let raw = RawAuthHeaders {
//!     uuid: Some(signed.uuid()),
//!     nonce: Some(signed.nonce()),
//!     timestamp: Some(signed.timestamp()),
//!     signature: Some(signed.signature()),
//! };
//! let headers = AuthHeaders::parse("3f2504e0-4f89-41d3-9a0c-0305e82c3301", raw, now + 3)?;
//! device_auth::verify(&DevicePublicKey::from_table_base64(&registered)?, &headers)?;
//! # Ok(()) }
//! ```
//!
//! Base64 here is always the standard alphabet, strict: canonical padding, no whitespace,
//! no stray bits. Messages of every error name the header and the problem, never a
//! header's value (a signature or a nonce is noise to a reader and useful to nobody else).
//!
//! Files: `keys` (the device's private key from its key file, the public key in the
//! device table, signing), `headers` (a server's parsing and verifying of the four
//! headers), `time` (the timestamp's format and the window).

use alloc::vec::Vec;

mod headers;
mod keys;
#[cfg(test)]
mod tests;
mod time;

pub use headers::{AuthError, AuthHeaders, RawAuthHeaders, verify};
#[cfg(feature = "std")]
#[cfg_attr(docsrs, doc(cfg(feature = "std")))]
pub use keys::RandomUnavailable;
pub use keys::{DevicePublicKey, DeviceSigningKey, KeyFileError, PublicKeyError, SignedHeaders};
#[cfg(feature = "std")]
pub use time::now_unix_secs;
pub use time::{check_window, format_timestamp, parse_timestamp};

/// The device's UUID; must equal the `{uuid}` of the path.
pub const UUID_HEADER: &str = "X-Device-UUID";
/// Standard base64 of [`NONCE_LEN`] random bytes, fresh for every request.
pub const NONCE_HEADER: &str = "X-Device-Nonce";
/// The request time, ISO 8601 UTC (`2025-05-09T12:00:00Z`).
pub const TIMESTAMP_HEADER: &str = "X-Device-Timestamp";
/// Standard base64 of the DER ECDSA P-256 signature over `nonce || timestamp`.
pub const SIGNATURE_HEADER: &str = "X-Device-Signature";

/// Length in bytes of the nonce a device signs.
pub const NONCE_LEN: usize = 32;

/// How far (in seconds, either way) a request's timestamp may be from the server's clock.
pub const WINDOW_SECS: u64 = 10;

/// Length of the uncompressed SEC1 point stored in the device table: `0x04 || X || Y`.
pub const PUBLIC_KEY_LEN: usize = 65;

/// Length of a P-256 private scalar.
pub const SCALAR_LEN: usize = 32;

/// The message a device signs: the nonce bytes followed by the timestamp's ASCII bytes.
fn signed_message(nonce: &[u8; NONCE_LEN], timestamp: &str) -> Vec<u8> {
    let mut message = Vec::with_capacity(NONCE_LEN + timestamp.len());
    message.extend_from_slice(nonce);
    message.extend_from_slice(timestamp.as_bytes());
    message
}
