//! Opening: FFCE v1 blob in, plaintext out, and only after the tag verified.

use alloc::vec;
use alloc::vec::Vec;
use core::fmt;
use core::ops::Deref;

use zeroize::Zeroize;

use crate::header::HEADER_LEN;
use crate::{Blob, Error, Key};

/// Authenticated plaintext. Its buffer is zeroized on drop.
///
/// Plaintext can hold secrets (MQTT credentials, docs/SPEC.md §4), so it is not `Clone`
/// and its `Debug` shows only the length.
///
/// ```
/// use ffce_core::Key;
///
/// let key = Key::from_bytes(&[7; 32]);
/// let plaintext = key.open(&key.seal(b"{}").unwrap()).unwrap();
/// assert_eq!(&*plaintext, b"{}"); // wiped when it drops
/// assert_eq!(format!("{plaintext:?}"), "Plaintext(2 bytes, redacted)");
/// ```
pub struct Plaintext {
    buf: Vec<u8>,
    // Where the plaintext starts in `buf`: 0 for a fresh buffer, HEADER_LEN when the
    // blob was opened where it lay.
    start: usize,
}

impl Plaintext {
    /// The plaintext bytes.
    pub fn as_slice(&self) -> &[u8] {
        &self.buf[self.start..]
    }
}

impl Deref for Plaintext {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        self.as_slice()
    }
}

impl AsRef<[u8]> for Plaintext {
    fn as_ref(&self) -> &[u8] {
        self.as_slice()
    }
}

impl Drop for Plaintext {
    fn drop(&mut self) {
        // Wipe the whole allocation, header room included (it holds no secret, but a
        // partial wipe is a trap for the next reader of this code).
        self.buf.zeroize();
    }
}

impl fmt::Debug for Plaintext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Plaintext({} bytes, redacted)", self.len())
    }
}

impl Key {
    /// Validates and opens `blob` into a new buffer.
    ///
    /// Structural problems come first (they need no key), then the tag, which is
    /// verified for empty plaintexts too. Nothing is returned unless it verified.
    ///
    /// ```
    /// # fn main() -> Result<(), ffce_core::Error> {
    /// use ffce_core::{Error, MasterSecret, Purpose};
    ///
    /// let key = MasterSecret::from_bytes([0x11; 32]).derive(Purpose::Backup);
    /// let blob = key.seal(b"{\"formatName\":\"dexie\"}")?;
    /// assert_eq!(&*key.open(&blob)?, b"{\"formatName\":\"dexie\"}");
    ///
    /// let other = MasterSecret::from_bytes([0x22; 32]).derive(Purpose::Backup);
    /// assert_eq!(other.open(&blob).unwrap_err(), Error::AuthenticationFailed);
    /// # Ok(()) }
    /// ```
    pub fn open(&self, blob: &[u8]) -> Result<Plaintext, Error> {
        self.open_blob(&Blob::parse(blob)?)
    }

    /// Opens a blob that was already parsed or validated ([`Blob::parse`],
    /// [`validate_upload`](crate::upload::validate_upload), `BlobBytes::as_blob`), without
    /// parsing it again. Holding a [`Blob`] proves the structure, so the only error is
    /// [`Error::AuthenticationFailed`]; the tag is verified for empty plaintexts too.
    ///
    /// ```
    /// # fn main() -> Result<(), Box<dyn core::error::Error>> {
    /// use ffce_core::{MasterSecret, Purpose, upload::validate_upload};
    ///
    /// let key = MasterSecret::from_bytes([0x11; 32]).derive(Purpose::Backup);
    /// let body = key.seal(br#"{"formatName":"dexie"}"#)?;
    ///
    /// let blob = validate_upload(&body)?;    // the upload checks, once
    /// let plaintext = key.open_blob(&blob)?; // then only the tag
    /// assert_eq!(plaintext.len(), blob.header().plaintext_len() as usize);
    /// # Ok(()) }
    /// ```
    pub fn open_blob(&self, blob: &Blob<'_>) -> Result<Plaintext, Error> {
        let mut buf = vec![0u8; blob.ciphertext().len()];
        let header = blob.header();
        self.cipher
            .open_into(header.nonce(), blob.ciphertext(), &mut buf, header.tag())
            .map_err(|_| Error::AuthenticationFailed)?;
        Ok(Plaintext { buf, start: 0 })
    }

    /// Opens a blob where it lies and returns the plaintext as a sub-slice of it
    /// (`&mut blob[HEADER_LEN..]`). Works on a `Vec<u8>` or a `BytesMut`.
    ///
    /// When the tag does not verify, everything after the header is wiped to zeros (as
    /// `ring` does): the buffer never holds unauthenticated plaintext, whichever backend
    /// decrypted it. A structurally invalid blob is left untouched. On success the caller
    /// owns the plaintext in the buffer and must wipe it when done.
    pub fn open_in_place<'b>(&self, blob: &'b mut [u8]) -> Result<&'b mut [u8], Error> {
        let header = *Blob::parse(blob)?.header();
        let body = &mut blob[HEADER_LEN..];
        if self
            .cipher
            .open(header.nonce(), body, header.tag())
            .is_err()
        {
            body.zeroize();
            return Err(Error::AuthenticationFailed);
        }
        Ok(body)
    }

    /// Opens an owned blob without copying it; the returned [`Plaintext`] reuses (and
    /// will wipe) its allocation.
    pub fn open_vec(&self, mut blob: Vec<u8>) -> Result<Plaintext, Error> {
        self.open_in_place(&mut blob)?;
        Ok(Plaintext {
            buf: blob,
            start: HEADER_LEN,
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::upload::validate_upload;
    use crate::{Blob, Error, MasterSecret, Purpose};

    #[test]
    fn a_validated_blob_opens_without_a_second_parse() {
        let key = MasterSecret::from_bytes([0x11; 32]).derive(Purpose::Backup);
        let other = MasterSecret::from_bytes([0x22; 32]).derive(Purpose::Backup);
        let body = key.seal(b"{\"formatName\":\"dexie\"}").unwrap();
        let blob: Blob<'_> = validate_upload(&body).unwrap();
        assert_eq!(
            &*key.open_blob(&blob).unwrap(),
            b"{\"formatName\":\"dexie\"}"
        );
        assert_eq!(
            other.open_blob(&blob).unwrap_err(),
            Error::AuthenticationFailed
        );
        // An empty plaintext's tag is checked too (docs/SPEC.md §1).
        let mut empty = key.seal(b"").unwrap();
        empty[30] ^= 1;
        let forged = Blob::parse(&empty).unwrap();
        assert_eq!(
            key.open_blob(&forged).unwrap_err(),
            Error::AuthenticationFailed
        );
    }
}
