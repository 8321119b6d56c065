//! The cloud's acceptance rules for a backup body (docs/SPEC.md §3, §7): what a Lambda calls
//! before it stores anything, and [`UploadError`], the verdict with its HTTP status.

use core::fmt;

use crate::header::{HEADER_LEN, MAGIC, VERSION};
use crate::{Blob, Error, Header, Key};

/// The largest body the cloud accepts: 512 KiB, header included. Larger gets HTTP 413.
pub const MAX_BLOB_LEN: usize = 512 * 1024;

/// The largest plaintext whose blob fits under [`MAX_BLOB_LEN`]: 524,251 bytes.
pub const MAX_PLAINTEXT_LEN: usize = MAX_BLOB_LEN - HEADER_LEN;

/// Why the cloud refuses an upload body: only what [`validate_upload`] can find, so a
/// handler matches every variant without a wildcard arm.
///
/// [`http_status`](Self::http_status) is the status the device API answers with
/// (docs/SPEC.md §7) and `Display` is a one-line message fit for the body of that answer:
/// it names the problem and its numbers, never key or plaintext bytes. Converts into
/// the crate-wide [`Error`] (same variant, same [`code`](Self::code)) for `?` callers.
///
/// ```
/// use ffce_core::{upload::{UploadError, validate_upload}};
///
/// let (status, message) = match validate_upload(b"") {
///     Ok(_) => (200, "Backup stored".to_string()),
///     Err(e) => (e.http_status(), e.to_string()),
/// };
/// assert_eq!((status, message.as_str()), (400, "Request body is required"));
///
/// let truncated = &b"FFCE\x01"[..];
/// let e = validate_upload(truncated).unwrap_err();
/// assert_eq!(e, UploadError::TooShort { len: 5 });
/// assert_eq!(e.http_status(), 400);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UploadError {
    /// No bytes at all (HTTP 400 `Request body is required`).
    Empty,
    /// Over [`MAX_BLOB_LEN`] (HTTP 413).
    TooLarge {
        /// Length of the body in bytes.
        len: usize,
        /// The limit, [`MAX_BLOB_LEN`].
        max: usize,
    },
    /// The first four bytes are not ASCII `FFCE` (HTTP 400).
    BadMagic {
        /// The four bytes found instead.
        found: [u8; 4],
    },
    /// Shorter than the 37-byte header (HTTP 400).
    TooShort {
        /// Length of the body in bytes.
        len: usize,
    },
    /// A version byte other than `0x01` (HTTP 400).
    UnsupportedVersion {
        /// The version byte found.
        version: u8,
    },
    /// The header's `plaintext_len` differs from the bytes after the header: a
    /// truncated upload, or trailing bytes (HTTP 400).
    LengthMismatch {
        /// `plaintext_len` as declared in the header.
        declared: u32,
        /// Bytes actually present after the header.
        actual: usize,
    },
}

impl UploadError {
    /// The HTTP status the device API answers with (docs/SPEC.md §7): 413 for a body over
    /// the limit, 400 for everything else.
    pub fn http_status(&self) -> u16 {
        match self {
            UploadError::TooLarge { .. } => 413,
            UploadError::Empty
            | UploadError::BadMagic { .. }
            | UploadError::TooShort { .. }
            | UploadError::UnsupportedVersion { .. }
            | UploadError::LengthMismatch { .. } => 400,
        }
    }

    /// The stable machine-readable name, the same as [`Error::code`] of the
    /// corresponding [`Error`] (e.g. `length_mismatch`).
    pub fn code(&self) -> &'static str {
        Error::from(*self).code()
    }
}

impl From<UploadError> for Error {
    fn from(e: UploadError) -> Error {
        match e {
            UploadError::Empty => Error::Empty,
            UploadError::TooLarge { len, max } => Error::TooLarge { len, max },
            UploadError::BadMagic { found } => Error::BadMagic { found },
            UploadError::TooShort { len } => Error::TooShort { len },
            UploadError::UnsupportedVersion { version } => Error::UnsupportedVersion { version },
            UploadError::LengthMismatch { declared, actual } => {
                Error::LengthMismatch { declared, actual }
            }
        }
    }
}

impl fmt::Display for UploadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            // The device API's own words for it (docs/SPEC.md §7).
            UploadError::Empty => f.write_str("Request body is required"),
            // The rest read as the format's errors do, numbers included.
            other => fmt::Display::fmt(&Error::from(*other), f),
        }
    }
}

impl core::error::Error for UploadError {}

/// Checks only the length of a body: what a handler can decide from a declared size
/// (`Content-Length`, an object listing) before it holds the bytes.
///
/// Errors: [`UploadError::Empty`] for 0, [`UploadError::TooLarge`] over [`MAX_BLOB_LEN`].
///
/// ```
/// use ffce_core::{upload::{UploadError, validate_upload_len}};
///
/// assert_eq!(validate_upload_len(5_000), Ok(()));
/// assert_eq!(validate_upload_len(0), Err(UploadError::Empty));
/// assert_eq!(validate_upload_len(600_000).unwrap_err().http_status(), 413);
/// ```
pub fn validate_upload_len(len: usize) -> Result<(), UploadError> {
    if len == 0 {
        return Err(UploadError::Empty);
    }
    if len > MAX_BLOB_LEN {
        return Err(UploadError::TooLarge {
            len,
            max: MAX_BLOB_LEN,
        });
    }
    Ok(())
}

/// Checks an upload body the way the cloud does, then fully checks its structure.
///
/// In order: not empty ([`UploadError::Empty`], HTTP 400), at most [`MAX_BLOB_LEN`]
/// bytes ([`UploadError::TooLarge`], HTTP 413), starts with `FFCE`
/// ([`UploadError::BadMagic`], HTTP 400), then everything [`Blob::parse`] checks (HTTP
/// 400). The tag cannot be checked without the device key, so a body that passes is
/// well-formed, not necessarily authentic.
///
/// ```
/// use ffce_core::{upload::{MAX_BLOB_LEN, UploadError, validate_upload}};
///
/// assert_eq!(validate_upload(b""), Err(UploadError::Empty));
/// let huge = vec![0u8; MAX_BLOB_LEN + 1];
/// assert_eq!(
///     validate_upload(&huge),
///     Err(UploadError::TooLarge { len: 524_289, max: 524_288 })
/// );
/// ```
pub fn validate_upload(body: &[u8]) -> Result<Blob<'_>, UploadError> {
    validate_upload_len(body.len())?;
    // The cloud rejects a wrong prefix even when the body is too short for a header.
    if let Some(found) = body.get(..MAGIC.len()) {
        if found != MAGIC {
            let mut magic = [0; 4];
            magic.copy_from_slice(found);
            return Err(UploadError::BadMagic { found: magic });
        }
    }
    // The same checks as `Blob::parse`, in the same order, with the narrower error.
    let header = Header::read(body).map_err(|_| UploadError::TooShort { len: body.len() })?;
    if header.version() != VERSION {
        return Err(UploadError::UnsupportedVersion {
            version: header.version(),
        });
    }
    let ciphertext = &body[HEADER_LEN..];
    if ciphertext.len() as u64 != u64::from(header.plaintext_len()) {
        return Err(UploadError::LengthMismatch {
            declared: header.plaintext_len(),
            actual: ciphertext.len(),
        });
    }
    Ok(Blob::from_checked(header, ciphertext))
}

/// [`validate_upload`] for a body held in a [`Bytes`](bytes::Bytes) buffer (feature
/// `bytes`): the blob it returns shares that buffer, so the ciphertext can be stored or
/// forwarded without a copy. Same checks, same order, same errors.
///
/// ```
/// # fn main() -> Result<(), Box<dyn core::error::Error>> {
/// use bytes::Bytes;
/// use ffce_core::{MasterSecret, Purpose, upload::{UploadError, validate_upload_bytes}};
///
/// let key = MasterSecret::from_bytes([0x11; 32]).derive(Purpose::Backup);
/// let body = Bytes::from(key.seal(b"{}")?); // e.g. a request body
/// let blob = validate_upload_bytes(body.clone())?;
/// assert_eq!(blob.as_bytes(), &body);
/// assert_eq!(&*key.open_blob(&blob.as_blob())?, b"{}");
///
/// let cut = body.slice(..30);
/// assert_eq!(validate_upload_bytes(cut), Err(UploadError::TooShort { len: 30 }));
/// # Ok(()) }
/// ```
#[cfg(feature = "bytes")]
#[cfg_attr(docsrs, doc(cfg(feature = "bytes")))]
pub fn validate_upload_bytes(body: bytes::Bytes) -> Result<crate::format::BlobBytes, UploadError> {
    let header = *validate_upload(&body)?.header();
    Ok(crate::format::BlobBytes::from_checked(header, body))
}

/// Checks a body as [`validate_upload`] does, then authenticates it with `key`: what a
/// writer that holds the device's key checks before a body becomes the live backup (a
/// new upload, or an older version made the latest again).
///
/// Errors: those of [`validate_upload`] (as [`Error`]), then
/// [`Error::AuthenticationFailed`]. The plaintext is wiped at once and never returned.
///
/// ```
/// use ffce_core::{Error, MasterSecret, Purpose, upload::validate_authentic_upload};
///
/// let key = MasterSecret::from_bytes([0x11; 32]).derive(Purpose::Backup);
/// let other = MasterSecret::from_bytes([0x22; 32]).derive(Purpose::Backup);
/// let blob = key.seal(b"{}").unwrap();
/// assert!(validate_authentic_upload(&blob, &key).is_ok());
/// assert_eq!(
///     validate_authentic_upload(&blob, &other).err(),
///     Some(Error::AuthenticationFailed)
/// );
/// ```
pub fn validate_authentic_upload<'a>(body: &'a [u8], key: &Key) -> Result<Blob<'a>, Error> {
    let blob = validate_upload(body)?;
    // Only the verdict matters; the plaintext is zeroized as it is dropped here.
    key.open(body)?;
    Ok(blob)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{MasterSecret, Purpose};

    #[test]
    fn each_upload_problem_has_its_http_status_and_a_message() {
        let key = MasterSecret::from_bytes([0x11; 32]).derive(Purpose::Backup);
        let blob = key.seal(b"{}").unwrap();
        let mut v2 = blob.clone();
        v2[4] = 2;
        let huge = alloc::vec![0u8; MAX_BLOB_LEN + 1];
        let cases: [(&[u8], UploadError, u16, &str); 6] = [
            (b"", UploadError::Empty, 400, "Request body is required"),
            (
                &huge,
                UploadError::TooLarge {
                    len: 524_289,
                    max: 524_288,
                },
                413,
                "524,289 bytes, over the 524,288-byte upload limit",
            ),
            (
                b"PK\x03\x04 zip",
                UploadError::BadMagic {
                    found: *b"PK\x03\x04",
                },
                400,
                "bad magic",
            ),
            (
                &blob[..20],
                UploadError::TooShort { len: 20 },
                400,
                "20 bytes, shorter than the 37-byte FFCE header",
            ),
            (
                &v2,
                UploadError::UnsupportedVersion { version: 2 },
                400,
                "unsupported FFCE version 2",
            ),
            (
                &blob[..blob.len() - 1],
                UploadError::LengthMismatch {
                    declared: 2,
                    actual: 1,
                },
                400,
                "truncated",
            ),
        ];
        for (body, expected, status, words) in cases {
            let got = validate_upload(body).unwrap_err();
            assert_eq!(got, expected);
            assert_eq!(got.http_status(), status, "{got:?}");
            let message = alloc::string::ToString::to_string(&got);
            assert!(message.contains(words), "{message:?} lacks {words:?}");
            // The crate-wide error keeps working for `?` callers, with the same code.
            assert_eq!(Error::from(got).code(), got.code());
        }
        assert!(validate_upload(&blob).is_ok());
    }

    #[test]
    fn the_authentic_check_adds_only_authentication() {
        let key = MasterSecret::from_bytes([0x11; 32]).derive(Purpose::Backup);
        let other = MasterSecret::from_bytes([0x22; 32]).derive(Purpose::Backup);
        let blob = key.seal(b"{}").unwrap();
        assert_eq!(
            validate_authentic_upload(b"", &key).unwrap_err(),
            Error::Empty
        );
        assert_eq!(
            validate_authentic_upload(&blob, &other).unwrap_err(),
            Error::AuthenticationFailed
        );
    }
}

#[cfg(all(test, feature = "bytes"))]
mod bytes_tests {
    use bytes::Bytes;

    use super::*;
    use crate::{MasterSecret, Purpose};

    #[test]
    fn bytes_bodies_are_validated_without_a_copy() {
        let key = MasterSecret::from_bytes([0x11; 32]).derive(Purpose::Backup);
        let body = Bytes::from(key.seal(b"{}").unwrap());
        let blob = validate_upload_bytes(body.clone()).unwrap();
        // The ciphertext is a slice of the very buffer that came in.
        assert_eq!(blob.ciphertext().as_ptr(), body[HEADER_LEN..].as_ptr());
        assert_eq!(&*key.open_blob(&blob.as_blob()).unwrap(), b"{}");
        assert_eq!(
            validate_upload_bytes(Bytes::new()).unwrap_err(),
            UploadError::Empty
        );
        let truncated = body.slice(..body.len() - 1);
        assert_eq!(
            validate_upload_bytes(truncated).unwrap_err(),
            UploadError::LengthMismatch {
                declared: 2,
                actual: 1
            }
        );
    }
}
