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
//! - Secrets ([`MasterSecret`], [`KeyBytes`](keys::KeyBytes), [`Key`], [`Plaintext`]) are zeroized on
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
//! # Where things are
//!
//! The root holds the few names of the example above and the crate's [`Error`]; the rest
//! is grouped by concept:
//!
//! | module | what |
//! |---|---|
//! | [`format`](mod@format) | the bytes of a blob (docs/SPEC.md §1): [`Blob`], [`Header`], [`format::HeaderFields`], [`inspect`], the lengths and limits, and what an input that is no blob looks like ([`format::recognise`]) |
//! | [`keys`] | keys (§2): [`MasterSecret`], [`Purpose`], [`Key`] (seal and open), [`keys::Nonce`], [`Plaintext`] |
//! | [`upload`] | what the cloud accepts (§3): [`upload::validate_upload`] and its [`upload::UploadError`] with the HTTP status |
//! | [`layout`] | the bucket's keys (§5): [`layout::DeviceId`], [`layout::Layout`], [`layout::ObjectKey`], [`layout::ListedKey`], the `etag` metadata name and the content type |
//! | [`key_material`] | key material given as text or bytes |
//! | `device_auth` | (feature `device-auth`) the device API's signed request headers (§7) |
//! | `content`, `firmware` | (feature `content`) what a decrypted backup holds (§4): a value-free summary, the Dexie export as tables of keyed rows, the differences between two exports, the redaction of secrets; and what the device firmware would make of a plaintext |
//! | [`numbers`] | how numbers read in this crate's messages |
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
//! - `ring-verify`: `device_auth::verify` by `ring` instead of `p256` (about a fifth of
//!   the CPU on x86_64), for a server that checks every request; implies `device-auth`.
#![cfg_attr(not(feature = "std"), no_std)]
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![deny(rustdoc::broken_intra_doc_links)]
// docs.rs builds with `--cfg docsrs` (see Cargo.toml): mark feature-gated items.
#![cfg_attr(docsrs, feature(doc_cfg))]
// The docs name the std-only conveniences (`Key::seal`, `Nonce::random`) beside their
// no_std twins; without `std` those items do not exist, so the links cannot resolve there.
// Default-feature docs still deny every broken link.
#![cfg_attr(not(feature = "std"), allow(rustdoc::broken_intra_doc_links))]

extern crate alloc;

mod aead;
#[cfg(feature = "content")]
#[cfg_attr(docsrs, doc(cfg(feature = "content")))]
pub mod content;
#[cfg(feature = "device-auth")]
#[cfg_attr(docsrs, doc(cfg(feature = "device-auth")))]
pub mod device_auth;
mod error;
#[cfg(feature = "content")]
#[cfg_attr(docsrs, doc(cfg(feature = "content")))]
pub mod firmware;
mod header;
mod key;
pub mod key_material;
pub mod layout;
mod lookalike;
pub mod numbers;
mod open;
mod seal;
pub mod upload;

pub mod format {
    //! The bytes of an FFCE v1 blob (docs/SPEC.md §1), read and judged without a key:
    //! the 37-byte header, the whole blob, an inspection listing every structural
    //! problem, and inputs that are often mistaken for a blob.
    //!
    //! ```
    //! use ffce_core::format::{self, HEADER_LEN, Lookalike};
    //!
    //! assert_eq!(HEADER_LEN, 37);
    //! let report = format::inspect(b"FFCE\x01");
    //! assert!(!report.is_valid());
    //! assert_eq!(format::recognise(br#"{"formatName":"dexie"}"#), Some(Lookalike::Json));
    //! ```
    #[cfg(feature = "bytes")]
    #[cfg_attr(docsrs, doc(cfg(feature = "bytes")))]
    pub use crate::header::BlobBytes;
    pub use crate::header::{
        Blob, HEADER_LEN, Header, HeaderFields, Inspection, MAGIC, MAX_FORMAT_BLOB_LEN,
        MAX_FORMAT_PLAINTEXT_LEN, NONCE_LEN, TAG_LEN, VERSION, inspect,
    };
    pub use crate::lookalike::{Lookalike, recognise};
}

pub mod keys {
    //! Keys (docs/SPEC.md §2): the device's master secret, the HKDF-SHA256 derivation of
    //! one key per purpose, and the cipher-bound [`Key`] that seals (with a fresh
    //! [`Nonce`]) and opens blobs, handing out [`Plaintext`] only after the tag
    //! verified.
    //!
    //! ```
    //! use ffce_core::keys::{BACKUP_LABEL, MasterSecret, Purpose};
    //!
    //! assert_eq!(BACKUP_LABEL, "firefly-backup-v1");
    //! let key = MasterSecret::from_bytes([0x11; 32]).derive(Purpose::Backup);
    //! let blob = key.seal(b"{}").unwrap();
    //! assert_eq!(&*key.open(&blob).unwrap(), b"{}");
    //! ```
    pub use crate::key::{
        BACKUP_LABEL, CONFIGFS_LABEL, KEY_LEN, Key, KeyBytes, KeyOrigin, MasterSecret, Purpose,
    };
    pub use crate::open::Plaintext;
    pub use crate::seal::{Nonce, buffer_with_header_room};
}

pub use error::Error;
pub use format::{Blob, Header, inspect};
pub use keys::{Key, MasterSecret, Plaintext, Purpose};

/// Helpers that exist for this crate's own tests are not part of its API: the HKDF
/// primitive is reached only through [`MasterSecret::derive`]. The error must be E0425
/// (no such function), so that any other compile error fails the test (rustdoc checks
/// the code on nightly toolchains; stable ones accept any error).
///
/// ```compile_fail,E0425
/// let mut okm = [0u8; 32];
/// ffce_core::hkdf_sha256(None, &[0x0b; 22], b"", &mut okm).unwrap();
/// ```
#[cfg(doctest)]
struct NoPublicTestHelpers;

// The README's library example is compiled and run as a doc test.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
struct ReadmeDoctests;

// The crate's README (its page on crates.io) is compiled and run as a doc test.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct CrateReadmeDoctests;
