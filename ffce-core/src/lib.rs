//! Read, validate, seal and open **FFCE v1** blobs: the encrypted configuration backups
//! of FireFly field controllers.
//!
//! A blob is a 37-byte header (magic `FFCE`, version `1`, 96-bit nonce, little-endian
//! 32-bit plaintext length, 128-bit tag) followed by the AES-256-GCM ciphertext, with no
//! associated data. Keys come from the device's 32-byte master secret through
//! HKDF-SHA256, one key per [`Purpose`].
//!
//! ```
//! # fn main() -> Result<(), ffce_core::Error> {
//! use ffce_core::{Blob, MasterSecret, Purpose};
//!
//! let key = MasterSecret::from_bytes([0x11; 32]).derive(Purpose::Backup);
//! let blob = key.seal(br#"{"formatName":"dexie"}"#)?;      // fresh random nonce
//! let header = *Blob::parse(&blob)?.header();               // no key needed
//! let plaintext = key.open(&blob)?;                          // only after the tag verified
//! assert_eq!(plaintext.len(), header.plaintext_len() as usize);
//! # Ok(()) }
//! ```
//!
//! # What this crate promises
//!
//! - No `unsafe`, no panics on any input, and a typed [`Error`] for every failure the
//!   format defines.
//! - Plaintext is returned only after authentication, including for empty plaintexts
//!   (the device firmware skips that check; this crate does not).
//! - Secrets ([`MasterSecret`], [`KeyBytes`], [`Key`], [`Plaintext`]) are zeroized on
//!   drop and never printed by `Debug`. (With the optional `ring` backend, `ring`'s own
//!   copy of the AES key schedule is not wiped: see the `ring` feature.)
//! - Two AEAD backends: the portable pure-Rust `aes-gcm` (default) and `ring` (feature
//!   `ring`, about twice as fast on x86_64 in `benches/`).
//! - `no_std` + `alloc` with `default-features = false`; every error type implements
//!   `core::error::Error` either way. The default `std` feature adds random nonces from
//!   the OS.
//! - [`Key`] is `Send + Sync` (asserted at compile time): build it once and share it
//!   between threads or requests (see [`Key`] for the `OnceLock` pattern).
//!
//! Beside the blob format it owns what every writer of the backup bucket shares: the
//! device layout ([`DeviceId`], [`Layout`], [`ObjectKey`], the [`PLAINTEXT_DIGEST_METADATA`]
//! name and [`CONTENT_TYPE`]), the parsing of key material given as text or bytes
//! ([`key_material`]), and with the `content` feature what a decrypted backup holds
//! ([`content`](crate#features)): a value-free summary, the Dexie export as tables of
//! keyed rows, the differences between two exports, and the redaction of secrets.
//!
//! # Features
//!
//! - `std` (default): OS randomness for [`Key::seal`].
//! - `bytes` (default): blobs that share a `bytes::Bytes` buffer (`BlobBytes`,
//!   `validate_upload_bytes`), as HTTP clients and Lambda runtimes hand bodies over;
//!   no_std.
//! - `ring`: the `ring` AEAD backend.
//! - `content`: `ffce_core::content`, what a decrypted Dexie export holds (a value-free
//!   summary; tables and rows keyed by their primary key; the diff of two exports;
//!   secrets redacted), and `ffce_core::firmware`, whether the device would restore a
//!   plaintext; no_std + alloc.
//! - `device-auth`: `ffce_core::device_auth`, the device API's signed request headers
//!   (P-256 ECDSA): sign them on a device, parse and verify them in a server; no_std.
#![cfg_attr(not(feature = "std"), no_std)]
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![deny(rustdoc::broken_intra_doc_links)]
// The docs name the std-only conveniences (`Key::seal`, `Nonce::random`) beside their
// no_std twins; without `std` those items do not exist, so the links cannot resolve there.
// Default-feature docs still deny every broken link.
#![cfg_attr(not(feature = "std"), allow(rustdoc::broken_intra_doc_links))]

extern crate alloc;

mod aead;
#[cfg(feature = "content")]
pub mod content;
mod device;
#[cfg(feature = "device-auth")]
pub mod device_auth;
mod error;
#[cfg(feature = "content")]
pub mod firmware;
mod header;
pub mod key_material;
mod keys;
mod lookalike;
mod numbers;
mod open;
mod seal;
mod upload;

pub use device::{
    BACKUP_FILE_NAME, CONTENT_TYPE, DeviceId, InvalidDeviceId, Layout, ListedKey, ObjectKey,
    PLAINTEXT_DIGEST_METADATA, StrayReason,
};
pub use error::Error;
#[cfg(feature = "bytes")]
pub use header::BlobBytes;
pub use header::{
    Blob, HEADER_LEN, Header, Inspection, MAGIC, MAX_FORMAT_BLOB_LEN, MAX_FORMAT_PLAINTEXT_LEN,
    NONCE_LEN, NONCE_OFFSET, PLAINTEXT_LEN_OFFSET, TAG_LEN, TAG_OFFSET, VERSION, VERSION_OFFSET,
    inspect,
};
pub use keys::{
    BACKUP_LABEL, CONFIGFS_LABEL, KEY_LEN, Key, KeyBytes, KeyOrigin, MasterSecret, Purpose,
};
pub use lookalike::{Lookalike, recognise};
pub use numbers::{Count, Grouped, bytes};
pub use open::Plaintext;
pub use seal::{Nonce, buffer_with_header_room};
#[cfg(feature = "bytes")]
pub use upload::validate_upload_bytes;
pub use upload::{
    MAX_BLOB_LEN, MAX_PLAINTEXT_LEN, UploadError, validate_authentic_upload, validate_upload,
    validate_upload_len,
};

/// Helpers that exist for this crate's own tests are not part of its API: the HKDF
/// primitive is reached only through [`MasterSecret::derive`].
///
/// ```compile_fail
/// let mut okm = [0u8; 32];
/// ffce_core::hkdf_sha256(None, &[0x0b; 22], b"", &mut okm).unwrap();
/// ```
#[cfg(doctest)]
struct NoPublicTestHelpers;

// The README's library example is compiled and run as a doc test.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
struct ReadmeDoctests;
