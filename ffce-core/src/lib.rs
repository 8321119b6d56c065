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
//! - `no_std` + `alloc` with `default-features = false`; the default `std` feature adds
//!   `std::error::Error` and random nonces from the OS.
#![cfg_attr(not(feature = "std"), no_std)]
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![deny(rustdoc::broken_intra_doc_links)]

extern crate alloc;

mod aead;
mod error;
mod header;
mod keys;
mod open;
mod seal;
mod upload;

pub use error::Error;
pub use header::{
    Blob, BlobBytes, HEADER_LEN, Header, Inspection, MAGIC, NONCE_LEN, TAG_LEN, VERSION, inspect,
};
pub use keys::{
    BACKUP_LABEL, CONFIGFS_LABEL, KEY_LEN, Key, KeyBytes, KeyOrigin, MasterSecret, Purpose,
    hkdf_sha256,
};
pub use open::Plaintext;
pub use seal::{Nonce, buffer_with_header_room};
pub use upload::{MAX_BLOB_LEN, MAX_PLAINTEXT_LEN, validate_upload};

// The README's library example is compiled and run as a doc test.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
struct ReadmeDoctests;
