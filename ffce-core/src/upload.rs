//! The cloud's acceptance rules for a backup body (FFCE-SPEC §3): what a Lambda calls
//! before it stores anything.

use crate::header::{HEADER_LEN, MAGIC};
use crate::{Blob, Error, Key};

/// The largest body the cloud accepts: 512 KiB, header included. Larger gets HTTP 413.
pub const MAX_BLOB_LEN: usize = 512 * 1024;

/// The largest plaintext whose blob fits under [`MAX_BLOB_LEN`]: 524,251 bytes.
pub const MAX_PLAINTEXT_LEN: usize = MAX_BLOB_LEN - HEADER_LEN;

/// Checks an upload body the way the cloud does, then fully checks its structure.
///
/// In order: not empty ([`Error::Empty`], HTTP 400), at most [`MAX_BLOB_LEN`] bytes
/// ([`Error::TooLarge`], HTTP 413), starts with `FFCE` ([`Error::BadMagic`], HTTP 400),
/// then everything [`Blob::parse`] checks. The tag cannot be checked without the device
/// key, so a body that passes is well-formed, not necessarily authentic.
///
/// ```
/// use ffce_core::{Error, MAX_BLOB_LEN, validate_upload};
///
/// assert_eq!(validate_upload(b""), Err(Error::Empty));
/// let huge = vec![0u8; MAX_BLOB_LEN + 1];
/// assert_eq!(
///     validate_upload(&huge),
///     Err(Error::TooLarge { len: 524_289, max: 524_288 })
/// );
/// ```
pub fn validate_upload(body: &[u8]) -> Result<Blob<'_>, Error> {
    if body.is_empty() {
        return Err(Error::Empty);
    }
    if body.len() > MAX_BLOB_LEN {
        return Err(Error::TooLarge {
            len: body.len(),
            max: MAX_BLOB_LEN,
        });
    }
    // The cloud rejects a wrong prefix even when the body is too short for a header.
    if let Some(found) = body.get(..MAGIC.len()) {
        if found != MAGIC {
            let mut magic = [0; 4];
            magic.copy_from_slice(found);
            return Err(Error::BadMagic { found: magic });
        }
    }
    Blob::parse(body)
}

/// Checks a body as [`validate_upload`] does, then authenticates it with `key`: what a
/// writer that holds the device's key checks before a body becomes the live backup (a
/// new upload, or an older version made the latest again).
///
/// Errors: those of [`validate_upload`], then [`Error::AuthenticationFailed`]. The
/// plaintext is wiped at once and never returned.
///
/// ```
/// use ffce_core::{Error, MasterSecret, Purpose, validate_authentic_upload};
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
