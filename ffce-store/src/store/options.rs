//! How a store reads ([`GetOptions`]), writes ([`PutOptions`], [`Condition`]) and
//! deletes ([`DeleteOptions`]).

use std::ops::RangeTo;

use crate::error::VersionId;
#[cfg(doc)]
use crate::{ChecksumCheck, DeleteOutcome, Object, Store};

/// What [`Store::get_opts`] reads. The default is the whole latest object with a
/// missing key explained, as [`Store::get`] reads it.
///
/// ```
/// use ffce_store::{GetOptions, VersionId};
///
/// // The 37-byte header and the object's size, as an audit reads them.
/// let header = GetOptions::prefix(37).explain_missing(false);
/// assert_eq!(header.range, Some(..37));
/// // Only the metadata (the `etag`), as the device API compares it.
/// assert!(GetOptions::head().head);
/// let old = GetOptions::version(VersionId::parse("3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY").unwrap());
/// assert!(old.explain_missing && old.range.is_none());
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GetOptions {
    /// An older version instead of the latest
    /// ([`StoreError::NoVersions`](crate::StoreError::NoVersions) on a store that keeps
    /// none).
    pub version: Option<VersionId>,
    /// Only the first bytes: [`Object::body`] holds at most this many (fewer when the
    /// object is shorter) and [`Object::size`] the whole object's size. On S3 one
    /// ranged GET. No checksum can be compared on a part of a body
    /// ([`ChecksumCheck::PartialRead`]).
    pub range: Option<RangeTo<usize>>,
    /// Only the metadata, no body (on S3 one HEAD). Wins over `range`.
    pub head: bool,
    /// When the key has no object, find out why: on a versioned S3 bucket one more
    /// request (ListObjectVersions) tells an object deleted with its earlier versions
    /// kept ([`StoreError::Deleted`](crate::StoreError::Deleted)) from one never
    /// stored. Off, a missing key is [`StoreError::NotFound`](crate::StoreError::NotFound)
    /// at once, with no request beyond the read: for a role allowed `s3:GetObject`
    /// alone, which may not list versions. Ignored for a read of a version.
    pub explain_missing: bool,
}

impl Default for GetOptions {
    fn default() -> GetOptions {
        GetOptions {
            version: None,
            range: None,
            head: false,
            explain_missing: true,
        }
    }
}

impl GetOptions {
    /// The whole of `version`.
    pub fn version(version: VersionId) -> GetOptions {
        GetOptions {
            version: Some(version),
            ..GetOptions::default()
        }
    }

    /// The first `n` bytes of the latest version, and its size.
    pub fn prefix(n: usize) -> GetOptions {
        GetOptions {
            range: Some(..n),
            ..GetOptions::default()
        }
    }

    /// The latest version's metadata, no body.
    pub fn head() -> GetOptions {
        GetOptions {
            head: true,
            ..GetOptions::default()
        }
    }

    /// The same options, explaining a missing key or not (see
    /// [`explain_missing`](Self::explain_missing)).
    pub fn explain_missing(self, explain: bool) -> GetOptions {
        GetOptions {
            explain_missing: explain,
            ..self
        }
    }
}

/// How [`Store::delete_opts`] deletes. The default looks first.
///
/// ```
/// use ffce_store::DeleteOptions;
///
/// assert!(DeleteOptions::default().look_first);
/// // One DeleteObject and nothing else: for a role allowed `s3:DeleteObject` alone.
/// assert!(!DeleteOptions::blind().look_first);
/// assert!(DeleteOptions::dry_run().dry_run);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DeleteOptions {
    /// Find out first what is there (on S3 one HEAD, and a HEAD of the bucket when the
    /// key is missing): the outcome then says whether there was an object and which
    /// version was the latest, and a missing key writes nothing (no second delete
    /// marker is stacked up). Off, the delete is one request that looks nothing up
    /// (`existed` is then `None` where the store cannot tell: S3 answers a DeleteObject
    /// the same, and adds a marker, whether or not there was an object).
    pub look_first: bool,
    /// Only find out what the delete would do ([`DeleteOutcome::effect`]); nothing
    /// is deleted. Looks first whatever [`look_first`](Self::look_first) says.
    pub dry_run: bool,
}

impl Default for DeleteOptions {
    fn default() -> DeleteOptions {
        DeleteOptions {
            look_first: true,
            dry_run: false,
        }
    }
}

impl DeleteOptions {
    /// One delete request, nothing looked up.
    pub fn blind() -> DeleteOptions {
        DeleteOptions {
            look_first: false,
            dry_run: false,
        }
    }

    /// What a delete would do, without deleting.
    pub fn dry_run() -> DeleteOptions {
        DeleteOptions {
            look_first: true,
            dry_run: true,
        }
    }
}

/// A write guard: when a put may happen.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use bytes::Bytes;
/// use ffce_core::layout::{DeviceId, Layout, ObjectKey};
/// use ffce_store::{Condition, MemoryStore, PutOptions, Store, StoreError};
///
/// let store = MemoryStore::new();
/// let key = ObjectKey::new(DeviceId::parse("3f2504e0-4f89-41d3-9a0c-0305e82c3301")?, Layout::Flat);
/// let (a, b) = (Bytes::from_static(b"FFCE a"), Bytes::from_static(b"FFCE b"));
/// let first = store.put(&key, a.clone(), &PutOptions::for_body(&a)).await?;
/// let if_absent = PutOptions { condition: Condition::IfAbsent, ..PutOptions::for_body(&b) };
/// assert!(matches!(store.put(&key, b.clone(), &if_absent).await, Err(StoreError::AlreadyExists { .. })));
/// // Compare and swap: only over the object this writer read.
/// let swap = PutOptions { condition: Condition::IfMatch(first.etag.unwrap()), ..PutOptions::for_body(&b) };
/// store.put(&key, b.clone(), &swap).await?;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Condition {
    /// Always.
    None,
    /// Only if there is no object yet (S3 `If-None-Match: *`).
    IfAbsent,
    /// Only if the current object's ETag is this one (S3 `If-Match`). Quotes optional.
    IfMatch(String),
}

/// How to store a body.
///
/// ```
/// use ffce_store::{Condition, PutOptions};
///
/// let blob = b"FFCE (a sealed blob)";
/// // Only where there is no backup yet, with the plaintext's digest as `etag` metadata.
/// let opts = PutOptions {
///     condition: Condition::IfAbsent,
///     plaintext_sha256: Some([0xab; 32]),
///     ..PutOptions::for_body(blob)
/// };
/// assert_eq!(opts.sse_kms_key_id, None, "the bucket's default encryption");
/// ```
#[derive(Clone, Debug)]
pub struct PutOptions {
    /// SHA-256 of the body, sent as the S3 checksum (the server checks it on AWS).
    pub content_sha256: [u8; 32],
    /// SHA-256 of the plaintext, stored as user metadata `etag`, when known.
    pub plaintext_sha256: Option<[u8; 32]>,
    /// SSE-KMS key id; `None` leaves encryption to the bucket default.
    pub sse_kms_key_id: Option<String>,
    /// The write guard.
    pub condition: Condition,
}

impl PutOptions {
    /// Unconditional, bucket-default encryption, no plaintext digest: the options of
    /// a plain upload of `body`, whose SHA-256 they carry.
    pub fn for_body(body: &[u8]) -> PutOptions {
        use sha2::Digest as _;
        PutOptions {
            content_sha256: sha2::Sha256::digest(body).into(),
            plaintext_sha256: None,
            sse_kms_key_id: None,
            condition: Condition::None,
        }
    }
}
