//! The FFCE v1 header and structural validation, without any key (FFCE-SPEC §1).
//!
//! Parsing is zero-copy: [`Blob`] borrows the ciphertext from the input slice and
//! `BlobBytes` (feature `bytes`) shares it from a `bytes::Bytes` buffer, so inspecting a
//! large backup costs no copy of its payload.

use alloc::vec::Vec;

#[cfg(feature = "bytes")]
use bytes::Bytes;

use crate::Error;

/// ASCII `FFCE`, the first four bytes of every blob.
pub const MAGIC: [u8; 4] = *b"FFCE";
/// The only FFCE version that exists.
pub const VERSION: u8 = 1;
/// Length of the AES-GCM nonce (IV) in bytes.
pub const NONCE_LEN: usize = 12;
/// Length of the AES-GCM authentication tag in bytes.
pub const TAG_LEN: usize = 16;
/// Length of the fixed header: magic, version, nonce, `plaintext_len`, tag.
pub const HEADER_LEN: usize = 4 + 1 + NONCE_LEN + 4 + TAG_LEN;
/// The largest plaintext the 32-bit `plaintext_len` field can describe: 4,294,967,295
/// bytes. A `u64` so the limit can be compared with file sizes on every platform.
pub const MAX_FORMAT_PLAINTEXT_LEN: u64 = u32::MAX as u64;
/// The largest blob the format can describe (any purpose, no upload limit): the header
/// plus [`MAX_FORMAT_PLAINTEXT_LEN`], 4,294,967,332 bytes. Anything longer cannot be an
/// FFCE blob, so a reader may refuse it by its size before reading it.
pub const MAX_FORMAT_BLOB_LEN: u64 = HEADER_LEN as u64 + MAX_FORMAT_PLAINTEXT_LEN;

// Field offsets, in the order of the table in FFCE-SPEC §1.
const VERSION_AT: usize = 4;
const NONCE_AT: usize = 5;
const LEN_AT: usize = NONCE_AT + NONCE_LEN;
const TAG_AT: usize = LEN_AT + 4;

/// The 37 header bytes, decoded but not judged.
///
/// A `Header` can hold a wrong magic or version: it is what the bytes say, which is what
/// an inspection report needs. [`Blob::parse`] is the function that judges.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    magic: [u8; 4],
    version: u8,
    nonce: [u8; NONCE_LEN],
    plaintext_len: u32,
    tag: [u8; TAG_LEN],
}

impl Header {
    /// Decodes the first [`HEADER_LEN`] bytes of `bytes`, checking nothing but the length.
    pub fn read(bytes: &[u8]) -> Result<Header, Error> {
        let Some(head) = bytes.get(..HEADER_LEN) else {
            return Err(Error::TooShort { len: bytes.len() });
        };
        let mut header = Header {
            magic: [0; 4],
            version: head[VERSION_AT],
            nonce: [0; NONCE_LEN],
            plaintext_len: 0,
            tag: [0; TAG_LEN],
        };
        header.magic.copy_from_slice(&head[..VERSION_AT]);
        header.nonce.copy_from_slice(&head[NONCE_AT..LEN_AT]);
        let mut len = [0; 4];
        len.copy_from_slice(&head[LEN_AT..TAG_AT]);
        header.plaintext_len = u32::from_le_bytes(len);
        header.tag.copy_from_slice(&head[TAG_AT..HEADER_LEN]);
        Ok(header)
    }

    /// A v1 header for the given nonce, length and tag.
    pub(crate) fn v1(nonce: [u8; NONCE_LEN], plaintext_len: u32, tag: [u8; TAG_LEN]) -> Header {
        Header {
            magic: MAGIC,
            version: VERSION,
            nonce,
            plaintext_len,
            tag,
        }
    }

    /// The header as it is laid out on the wire.
    pub fn to_bytes(&self) -> [u8; HEADER_LEN] {
        let mut out = [0; HEADER_LEN];
        out[..VERSION_AT].copy_from_slice(&self.magic);
        out[VERSION_AT] = self.version;
        out[NONCE_AT..LEN_AT].copy_from_slice(&self.nonce);
        out[LEN_AT..TAG_AT].copy_from_slice(&self.plaintext_len.to_le_bytes());
        out[TAG_AT..].copy_from_slice(&self.tag);
        out
    }

    /// The four magic bytes (`FFCE` in a valid blob).
    pub fn magic(&self) -> [u8; 4] {
        self.magic
    }

    /// The version byte (`1` in a valid blob).
    pub fn version(&self) -> u8 {
        self.version
    }

    /// The 96-bit GCM nonce.
    pub fn nonce(&self) -> &[u8; NONCE_LEN] {
        &self.nonce
    }

    /// The plaintext length the header declares.
    pub fn plaintext_len(&self) -> u32 {
        self.plaintext_len
    }

    /// The 128-bit GCM tag.
    pub fn tag(&self) -> &[u8; TAG_LEN] {
        &self.tag
    }

    /// The header's own problems (magic, then version), in the order the spec lists them.
    fn check(&self) -> Result<(), Error> {
        if self.magic != MAGIC {
            return Err(Error::BadMagic { found: self.magic });
        }
        if self.version != VERSION {
            return Err(Error::UnsupportedVersion {
                version: self.version,
            });
        }
        Ok(())
    }

    /// Checks that `body_len` bytes after the header match the declared length.
    fn check_body(&self, body_len: usize) -> Result<(), Error> {
        if body_len as u64 != u64::from(self.plaintext_len) {
            return Err(Error::LengthMismatch {
                declared: self.plaintext_len,
                actual: body_len,
            });
        }
        Ok(())
    }
}

/// A structurally valid FFCE v1 blob, borrowed from its bytes.
///
/// Holding a `Blob` proves the magic, version and length are right; only the tag is
/// left to check, which needs the key.
///
/// ```
/// # fn main() -> Result<(), ffce_core::Error> {
/// use ffce_core::{Blob, Key, Nonce};
///
/// let key = Key::from_bytes(&[7; 32]);
/// let blob = key.seal_with_nonce(Nonce::assume_unique_for_key([1; 12]), b"hello")?;
///
/// let parsed = Blob::parse(&blob)?; // no key needed
/// assert_eq!(parsed.header().plaintext_len(), 5);
/// assert_eq!(parsed.ciphertext().len(), 5);
///
/// let mut broken = blob.clone();
/// broken.push(0); // a trailing byte
/// assert!(matches!(
///     Blob::parse(&broken),
///     Err(ffce_core::Error::LengthMismatch { declared: 5, actual: 6 })
/// ));
/// # Ok(()) }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Blob<'a> {
    header: Header,
    ciphertext: &'a [u8],
}

impl<'a> Blob<'a> {
    /// Answers "is this structurally a valid FFCE v1 blob, and if not, why".
    ///
    /// Problems are reported in the order of FFCE-SPEC §1: too short, bad magic,
    /// unsupported version, length mismatch. Use [`inspect`] to get all of them at once.
    pub fn parse(bytes: &'a [u8]) -> Result<Blob<'a>, Error> {
        let header = Header::read(bytes)?;
        header.check()?;
        let ciphertext = &bytes[HEADER_LEN..];
        header.check_body(ciphertext.len())?;
        Ok(Blob { header, ciphertext })
    }

    /// A blob whose header the caller has already judged (magic, version, length).
    pub(crate) fn from_checked(header: Header, ciphertext: &'a [u8]) -> Blob<'a> {
        debug_assert_eq!(header.check(), Ok(()));
        debug_assert_eq!(header.check_body(ciphertext.len()), Ok(()));
        Blob { header, ciphertext }
    }

    /// The decoded header.
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// The ciphertext, exactly `plaintext_len` bytes.
    pub fn ciphertext(&self) -> &'a [u8] {
        self.ciphertext
    }

    /// Length of the whole blob, header included.
    pub fn len(&self) -> usize {
        HEADER_LEN + self.ciphertext.len()
    }

    /// True when the blob carries an empty plaintext (its tag still has to verify).
    pub fn is_empty(&self) -> bool {
        self.ciphertext.is_empty()
    }
}

/// A structurally valid blob that shares its storage with a [`Bytes`] buffer (feature
/// `bytes`).
///
/// Useful where bodies arrive as `Bytes` (HTTP clients, Lambda runtimes): the ciphertext
/// can be handed on as a cheap reference-counted slice. An upload body is checked with
/// [`validate_upload_bytes`](crate::validate_upload_bytes).
#[cfg(feature = "bytes")]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlobBytes {
    header: Header,
    bytes: Bytes,
}

#[cfg(feature = "bytes")]
impl BlobBytes {
    /// Validates `bytes` like [`Blob::parse`] and keeps them.
    pub fn parse(bytes: Bytes) -> Result<BlobBytes, Error> {
        let header = *Blob::parse(&bytes)?.header();
        Ok(BlobBytes { header, bytes })
    }

    /// Keeps `bytes`, whose header (already judged by the caller) is `header`.
    pub(crate) fn from_checked(header: Header, bytes: Bytes) -> BlobBytes {
        debug_assert_eq!(Blob::parse(&bytes).map(|b| *b.header()), Ok(header));
        BlobBytes { header, bytes }
    }

    /// The decoded header.
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// The ciphertext as a shared slice of the original buffer (no copy).
    pub fn ciphertext(&self) -> Bytes {
        self.bytes.slice(HEADER_LEN..)
    }

    /// The whole blob.
    pub fn as_bytes(&self) -> &Bytes {
        &self.bytes
    }

    /// Borrows the blob as a [`Blob`].
    pub fn as_blob(&self) -> Blob<'_> {
        Blob {
            header: self.header,
            ciphertext: &self.bytes[HEADER_LEN..],
        }
    }

    /// Gives the buffer back.
    pub fn into_bytes(self) -> Bytes {
        self.bytes
    }
}

/// What can be learned from a blob without its key: the header (when there are enough
/// bytes for one) and *every* structural problem, not only the first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Inspection {
    /// The decoded header, if the input holds at least [`HEADER_LEN`] bytes.
    pub header: Option<Header>,
    /// Length of the whole input.
    pub blob_len: usize,
    /// Every structural problem found, in spec order; empty for a valid blob.
    pub problems: Vec<Error>,
}

impl Inspection {
    /// True when no structural problem was found.
    pub fn is_valid(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Reads everything a support engineer can know about a blob without the key.
///
/// Unlike [`Blob::parse`], which stops at the first problem, this lists them all: a
/// blob can have the wrong version *and* trailing bytes. It never panics.
///
/// ```
/// let report = ffce_core::inspect(b"FFCX");
/// assert!(report.header.is_none());
/// assert_eq!(report.problems.len(), 2); // too short, and the magic is wrong
/// ```
pub fn inspect(bytes: &[u8]) -> Inspection {
    let mut problems = Vec::new();
    let header = Header::read(bytes).ok();
    match &header {
        None => {
            problems.push(Error::TooShort { len: bytes.len() });
            // Even a stub can show that it is not FFCE at all.
            if let Some(found) = bytes.get(..4) {
                if found != MAGIC {
                    let mut magic = [0; 4];
                    magic.copy_from_slice(found);
                    problems.push(Error::BadMagic { found: magic });
                }
            }
            if let Some(&version) = bytes.get(VERSION_AT) {
                if version != VERSION {
                    problems.push(Error::UnsupportedVersion { version });
                }
            }
        }
        Some(h) => {
            if h.magic != MAGIC {
                problems.push(Error::BadMagic { found: h.magic });
            }
            if h.version != VERSION {
                problems.push(Error::UnsupportedVersion { version: h.version });
            }
            if let Err(e) = h.check_body(bytes.len() - HEADER_LEN) {
                problems.push(e);
            }
        }
    }
    Inspection {
        header,
        blob_len: bytes.len(),
        problems,
    }
}
