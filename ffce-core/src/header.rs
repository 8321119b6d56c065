//! The FFCE v1 header and structural validation, without any key (docs/SPEC.md §1).
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
/// Where the version byte is, in bytes from the start of a blob (magic is at 0).
pub(crate) const VERSION_OFFSET: usize = 4;
/// Where the 12-byte nonce starts.
pub(crate) const NONCE_OFFSET: usize = VERSION_OFFSET + 1;
/// Where the 4-byte little-endian `plaintext_len` starts.
pub(crate) const PLAINTEXT_LEN_OFFSET: usize = NONCE_OFFSET + NONCE_LEN;
/// Where the 16-byte tag starts.
pub(crate) const TAG_OFFSET: usize = PLAINTEXT_LEN_OFFSET + 4;
/// Length of the fixed header: magic, version, nonce, `plaintext_len`, tag. The
/// ciphertext starts here.
pub const HEADER_LEN: usize = TAG_OFFSET + TAG_LEN;
/// The largest plaintext the 32-bit `plaintext_len` field can describe: 4,294,967,295
/// bytes. A `u64` so the limit can be compared with file sizes on every platform.
pub const MAX_FORMAT_PLAINTEXT_LEN: u64 = u32::MAX as u64;
/// The largest blob the format can describe (any purpose, no upload limit): the header
/// plus [`MAX_FORMAT_PLAINTEXT_LEN`], 4,294,967,332 bytes. Anything longer cannot be an
/// FFCE blob, so a reader may refuse it by its size before reading it.
pub const MAX_FORMAT_BLOB_LEN: u64 = HEADER_LEN as u64 + MAX_FORMAT_PLAINTEXT_LEN;

/// The 37 header bytes, decoded but not judged.
///
/// A `Header` can hold a wrong magic or version: it is what the bytes say, which is what
/// an inspection report needs. [`Blob::parse`] is the function that judges.
///
/// ```
/// use ffce_core::Header;
///
/// let mut bytes = b"FFCE\x01".to_vec();
/// bytes.extend_from_slice(&[0; 32]);
/// let header = Header::read(&bytes).unwrap();
/// assert_eq!((header.version(), header.plaintext_len()), (1, 0));
/// assert_eq!(header.to_bytes()[..], bytes[..]);
/// ```
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
            version: head[VERSION_OFFSET],
            nonce: [0; NONCE_LEN],
            plaintext_len: 0,
            tag: [0; TAG_LEN],
        };
        header.magic.copy_from_slice(&head[..VERSION_OFFSET]);
        header
            .nonce
            .copy_from_slice(&head[NONCE_OFFSET..PLAINTEXT_LEN_OFFSET]);
        let mut len = [0; 4];
        len.copy_from_slice(&head[PLAINTEXT_LEN_OFFSET..TAG_OFFSET]);
        header.plaintext_len = u32::from_le_bytes(len);
        header.tag.copy_from_slice(&head[TAG_OFFSET..HEADER_LEN]);
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
        out[..VERSION_OFFSET].copy_from_slice(&self.magic);
        out[VERSION_OFFSET] = self.version;
        out[NONCE_OFFSET..PLAINTEXT_LEN_OFFSET].copy_from_slice(&self.nonce);
        out[PLAINTEXT_LEN_OFFSET..TAG_OFFSET].copy_from_slice(&self.plaintext_len.to_le_bytes());
        out[TAG_OFFSET..].copy_from_slice(&self.tag);
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

    /// Every structural problem of an object of `total_len` bytes that starts with this
    /// header, in the order of docs/SPEC.md §1 (too short, magic, version, length): what
    /// [`inspect`] says of the whole object, known from its first [`HEADER_LEN`] bytes
    /// and its size, e.g. one ranged read of a stored object. Empty for a well-formed
    /// blob. The upload limit is not a format rule: see
    /// [`validate_upload_len`](crate::upload::validate_upload_len).
    ///
    /// A `total_len` under [`HEADER_LEN`] contradicts a header having been read; it is
    /// reported as [`Error::TooShort`], with the magic and version judged only where
    /// the total covers them, as [`inspect`] judges a short input.
    ///
    /// ```
    /// # fn main() -> Result<(), ffce_core::Error> {
    /// use ffce_core::{Error, Header, Key, format::HEADER_LEN, keys::Nonce};
    ///
    /// let key = Key::from_bytes(&[7; 32]);
    /// let blob = key.seal_with_nonce(Nonce::assume_unique_for_key([1; 12]), b"hello")?;
    /// let prefix = &blob[..HEADER_LEN]; // all that was read of a 42-byte object
    ///
    /// let header = Header::read(prefix)?;
    /// assert!(header.check_total_len(42).is_empty());
    /// assert_eq!(
    ///     header.check_total_len(40), // the object was cut short
    ///     [Error::LengthMismatch { declared: 5, actual: 3 }]
    /// );
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn check_total_len(&self, total_len: u64) -> Vec<Error> {
        let mut problems = Vec::new();
        let covers = |n: usize| total_len >= n as u64;
        if !covers(HEADER_LEN) {
            problems.push(Error::TooShort {
                len: total_len as usize, // under HEADER_LEN, so it fits
            });
        }
        if covers(MAGIC.len()) && self.magic != MAGIC {
            problems.push(Error::BadMagic { found: self.magic });
        }
        if covers(VERSION_OFFSET + 1) && self.version != VERSION {
            problems.push(Error::UnsupportedVersion {
                version: self.version,
            });
        }
        if covers(HEADER_LEN) {
            let body = total_len - HEADER_LEN as u64;
            if body != u64::from(self.plaintext_len) {
                problems.push(Error::LengthMismatch {
                    declared: self.plaintext_len,
                    // Only past 4 GiB on a 32-bit target: any such size mismatches.
                    actual: usize::try_from(body).unwrap_or(usize::MAX),
                });
            }
        }
        problems
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
/// use ffce_core::{Blob, Key, keys::Nonce};
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
    /// Problems are reported in the order of docs/SPEC.md §1: too short, bad magic,
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
/// [`validate_upload_bytes`](crate::upload::validate_upload_bytes).
///
/// ```
/// use bytes::Bytes;
/// use ffce_core::Key;
/// use ffce_core::format::BlobBytes;
///
/// let key = Key::from_bytes(&[7; 32]);
/// let body = Bytes::from(key.seal(b"{}").unwrap()); // e.g. an HTTP request's body
/// let blob = BlobBytes::parse(body.clone()).unwrap();
/// assert_eq!(blob.ciphertext().len(), 2); // shares `body`'s buffer, no copy
/// assert_eq!(blob.into_bytes(), body);
/// ```
#[cfg(feature = "bytes")]
#[cfg_attr(docsrs, doc(cfg(feature = "bytes")))]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlobBytes {
    header: Header,
    bytes: Bytes,
}

#[cfg(feature = "bytes")]
#[cfg_attr(docsrs, doc(cfg(feature = "bytes")))]
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

/// The header's fields as far as the bytes reach, decoded one by one: what a report
/// shows of an input too short to hold a whole header (or one that is not a blob at
/// all). A field is `None` when the input ends before its last byte. For a whole header
/// use [`Header::read`].
///
/// ```
/// use ffce_core::format::HeaderFields;
///
/// let fields = HeaderFields::read(b"FFCE\x01 twelve bytes");
/// assert_eq!(fields.magic, Some(*b"FFCE"));
/// assert_eq!(fields.version, Some(1));
/// assert_eq!(fields.nonce, Some(*b" twelve bytes".first_chunk::<12>().unwrap()));
/// assert_eq!((fields.plaintext_len, fields.tag), (None, None));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HeaderFields {
    /// Bytes 0 to 3.
    pub magic: Option<[u8; 4]>,
    /// Byte 4.
    pub version: Option<u8>,
    /// Bytes 5 to 16.
    pub nonce: Option<[u8; NONCE_LEN]>,
    /// Bytes 17 to 20, little-endian.
    pub plaintext_len: Option<u32>,
    /// Bytes 21 to 36.
    pub tag: Option<[u8; TAG_LEN]>,
}

impl HeaderFields {
    /// Decodes every field `bytes` holds whole, judging none.
    pub fn read(bytes: &[u8]) -> HeaderFields {
        HeaderFields {
            magic: field(bytes, 0),
            version: bytes.get(VERSION_OFFSET).copied(),
            nonce: field(bytes, NONCE_OFFSET),
            plaintext_len: field(bytes, PLAINTEXT_LEN_OFFSET).map(u32::from_le_bytes),
            tag: field(bytes, TAG_OFFSET),
        }
    }
}

/// The `N` bytes at `at`, if the input holds them all.
fn field<const N: usize>(bytes: &[u8], at: usize) -> Option<[u8; N]> {
    bytes.get(at..at.checked_add(N)?)?.try_into().ok()
}

/// What can be learned from a blob without its key: the header (when there are enough
/// bytes for one) and *every* structural problem, not only the first.
///
/// ```
/// let report = ffce_core::inspect(b"FFCE\x02");
/// assert!(!report.is_valid());
/// let codes: Vec<_> = report.problems.iter().map(|p| p.code()).collect();
/// assert_eq!(codes, ["too_short", "unsupported_version"]);
/// ```
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
            if let Some(&version) = bytes.get(VERSION_OFFSET) {
                if version != VERSION {
                    problems.push(Error::UnsupportedVersion { version });
                }
            }
        }
        Some(h) => problems = h.check_total_len(bytes.len() as u64),
    }
    Inspection {
        header,
        blob_len: bytes.len(),
        problems,
    }
}

#[cfg(test)]
mod tests {
    use alloc::vec;

    use super::*;
    use crate::{Key, keys::Nonce};

    fn sealed(plaintext: &[u8]) -> Vec<u8> {
        Key::from_bytes(&[7; 32])
            .seal_with_nonce(Nonce::assume_unique_for_key([1; 12]), plaintext)
            .unwrap()
    }

    #[test]
    fn offsets_are_those_of_the_spec_table() {
        // docs/SPEC.md §1: magic 0, version 4, nonce 5, plaintext_len 17, tag 21, body 37.
        assert_eq!(
            (
                VERSION_OFFSET,
                NONCE_OFFSET,
                PLAINTEXT_LEN_OFFSET,
                TAG_OFFSET
            ),
            (4, 5, 17, 21)
        );
        assert_eq!(TAG_OFFSET + TAG_LEN, HEADER_LEN);
        let blob = sealed(b"hello");
        let header = Header::read(&blob).unwrap();
        assert_eq!(blob[VERSION_OFFSET], header.version());
        assert_eq!(
            &blob[NONCE_OFFSET..NONCE_OFFSET + NONCE_LEN],
            header.nonce()
        );
        assert_eq!(
            blob[PLAINTEXT_LEN_OFFSET..PLAINTEXT_LEN_OFFSET + 4],
            5u32.to_le_bytes()
        );
        assert_eq!(&blob[TAG_OFFSET..HEADER_LEN], header.tag());
    }

    #[test]
    fn a_header_and_a_total_size_say_what_the_whole_object_would() {
        let blob = sealed(b"hello, world");
        let mut cases: Vec<Vec<u8>> = (0..=blob.len() + 3)
            .map(|n| {
                let mut b = blob.clone();
                b.resize(n, 0);
                b
            })
            .collect();
        let mut v2 = blob.clone();
        v2[VERSION_OFFSET] = 2;
        let mut zip = v2.clone();
        zip[..4].copy_from_slice(b"PK\x03\x04");
        cases.extend([v2, zip]);
        for whole in cases {
            let Ok(header) = Header::read(&whole) else {
                continue;
            };
            assert_eq!(
                header.check_total_len(whole.len() as u64),
                inspect(&whole).problems,
                "{} bytes",
                whole.len()
            );
        }
    }

    #[test]
    fn a_total_size_is_checked_against_the_declared_length() {
        let blob = sealed(b"hello");
        let header = Header::read(&blob[..HEADER_LEN]).unwrap();
        assert_eq!(header.check_total_len(42), vec![]);
        assert_eq!(
            header.check_total_len(40),
            vec![Error::LengthMismatch {
                declared: 5,
                actual: 3
            }]
        );
        // Far past what a 32-bit length can declare, on every platform.
        assert_eq!(
            header.check_total_len(MAX_FORMAT_BLOB_LEN + 1),
            vec![Error::LengthMismatch {
                declared: 5,
                actual: usize::try_from(MAX_FORMAT_PLAINTEXT_LEN + 1).unwrap_or(usize::MAX),
            }]
        );
        // A total shorter than a header: only the fields it covers are judged.
        assert_eq!(header.check_total_len(3), vec![Error::TooShort { len: 3 }]);
    }
}
