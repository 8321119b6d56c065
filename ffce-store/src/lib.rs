//! The FFCE device-backups bucket as a library: where backups live and what can be
//! done with them, for the `ffce` command, a Lambda function or any other program.
//!
//! - [`Store`] is the one small async trait every backend implements (put, one read
//!   and one delete with options, list); [`VersionedStore`] adds what only a versioned
//!   bucket has (versions, delete one, restore). Backends: [`S3Store`] (a bucket,
//!   through `aws-sdk-s3`, built from a plain [`S3Config`]), [`LocalStore`] (a folder
//!   laid out like the bucket) and [`MemoryStore`] (a versioned bucket in memory).
//! - [`bucket`]: the bucket as a whole, for an S3 store: provision it to the spec,
//!   check its settings, empty it.
//! - [`audit`]: judge a fleet of backups (structure from a 37-byte ranged read, or
//!   authentication with a key), off the I/O path; [`keyring`]: where its keys come
//!   from (one for the fleet, or one master secret per device from a folder);
//!   [`stale`]: which devices stopped backing up (a cut-off from a `Duration` or a `SystemTime`).
//! - Keys are [`ffce_core::layout::ObjectKey`]s, built only from a validated device id and a
//!   layout: no raw string reaches a request or a path.
//!
//! Errors ([`StoreError`]) name objects, buckets and S3's error codes; which exit code
//! or HTTP status they become is the caller's choice. Every future is `Send`, and the
//! library never starts a runtime of its own: call it from the caller's tokio runtime.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use bytes::Bytes;
//! use ffce_core::{MasterSecret, Purpose, layout::{DeviceId, Layout, ObjectKey}};
//! use ffce_store::{LocalStore, PutOptions, Store};
//!
//! let key = MasterSecret::from_bytes([7; 32]).derive(Purpose::Backup);
//! let blob = Bytes::from(key.seal(br#"{"formatName":"dexie"}"#)?);
//! ffce_core::upload::validate_upload(&blob)?;
//!
//! let dir = tempfile::tempdir()?;
//! let store: Box<dyn Store> = Box::new(LocalStore::new(dir.path().to_path_buf()));
//! let object = ObjectKey::new(DeviceId::parse("3f2504e0-4f89-41d3-9a0c-0305e82c3301")?, Layout::Nested);
//! store.put(&object, blob.clone(), &PutOptions::for_body(&blob)).await?;
//!
//! let fetched = store.get(&object, None).await?;
//! assert_eq!(&*key.open(&fetched.body)?, br#"{"formatName":"dexie"}"#);
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![deny(rustdoc::broken_intra_doc_links)]

pub mod audit;
pub mod bounded;
pub mod bucket;
mod checksum;
mod error;
pub mod keyring;
mod listing;
mod local;
mod memory;
mod near_miss;
mod s3;
pub mod stale;
mod store;
pub mod temp;
mod url;

pub use checksum::{ChecksumAlgorithm, ChecksumCheck, StoredChecksum, verify as verify_checksum};
pub use error::{BoxError, InvalidVersionId, StoreError, StoreResult, TimeoutLimit, VersionId};
pub use listing::ListPace;
pub use local::LocalStore;
pub use memory::MemoryStore;
pub use near_miss::{NearMiss, near_misses};
pub use s3::{Activity, OperationTimedOut, S3Config, S3Store, Waiting, check_bucket_name};
pub use store::{
    Condition, DeleteEffect, DeleteOptions, DeleteOutcome, DeletedEntry, GetOptions, ListEntry,
    Object, OverwriteEffect, PlaintextDigest, PutOptions, PutOutcome, PutStatus, Store,
    VersionEntry, VersionedStore, format_time, parse_time, unquote_etag,
};
pub use url::{DeviceUrl, InvalidDeviceUrl};

// The crate's README (its page on crates.io) is compiled and run as a doc test.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct CrateReadmeDoctests;
