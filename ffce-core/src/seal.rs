//! Sealing: plaintext in, FFCE v1 blob out (docs/SPEC.md §1).

use alloc::vec;
use alloc::vec::Vec;
use core::fmt;

use crate::header::{HEADER_LEN, Header, NONCE_LEN};
use crate::{Error, Key};

/// A 96-bit AES-GCM nonce. A nonce must never repeat under one key.
///
/// There are two ways to get one, and the names say which promise the caller makes:
/// [`Nonce::random`] (the normal way) and [`Nonce::assume_unique_for_key`] (test
/// vectors, reproducible fixtures).
///
/// ```
/// use ffce_core::Key;
/// use ffce_core::keys::Nonce;
///
/// // Only for test vectors: a nonce must never repeat under one key.
/// let key = Key::from_bytes(&[7; 32]);
/// let blob = key.seal_with_nonce(Nonce::assume_unique_for_key([1; 12]), b"{}").unwrap();
/// assert_eq!(&blob[5..17], &[1; 12]);
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Nonce([u8; NONCE_LEN]);

impl Nonce {
    /// A fresh nonce from the operating system's random source.
    ///
    /// With random 96-bit nonces one key should seal at most about 2^32 blobs
    /// (docs/SPEC.md §2); a device writes about one a day.
    #[cfg(feature = "std")]
    #[cfg_attr(docsrs, doc(cfg(feature = "std")))]
    pub fn random() -> Result<Nonce, Error> {
        let mut bytes = [0u8; NONCE_LEN];
        getrandom::fill(&mut bytes).map_err(|_| Error::RandomUnavailable)?;
        Ok(Nonce(bytes))
    }

    /// A caller-chosen nonce. The caller promises it was never used with this key
    /// before: reusing a GCM nonce reveals the XOR of two plaintexts and lets an attacker
    /// forge tags. Meant for test vectors; production code calls [`Nonce::random`].
    pub fn assume_unique_for_key(bytes: [u8; NONCE_LEN]) -> Nonce {
        Nonce(bytes)
    }

    /// The nonce bytes (nonces are public: they are stored in the header).
    pub fn as_bytes(&self) -> &[u8; NONCE_LEN] {
        &self.0
    }
}

impl fmt::Debug for Nonce {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Nonce(")?;
        for b in self.0 {
            write!(f, "{b:02x}")?;
        }
        write!(f, ")")
    }
}

/// A buffer laid out for [`Key::seal_in_place`]: [`HEADER_LEN`] zero bytes of room for
/// the header, with capacity for `plaintext_capacity` more. Append the plaintext, seal,
/// and the same allocation becomes the blob.
///
/// ```
/// use ffce_core::Key;
/// use ffce_core::format::HEADER_LEN;
/// use ffce_core::keys::buffer_with_header_room;
///
/// let key = Key::from_bytes(&[7; 32]);
/// let mut blob = buffer_with_header_room(2);
/// blob.extend_from_slice(b"{}");
/// key.seal_in_place(&mut blob).unwrap(); // no second buffer
/// assert_eq!(blob.len(), HEADER_LEN + 2);
/// assert_eq!(&*key.open(&blob).unwrap(), b"{}");
/// ```
pub fn buffer_with_header_room(plaintext_capacity: usize) -> Vec<u8> {
    let mut buf = Vec::with_capacity(HEADER_LEN.saturating_add(plaintext_capacity));
    buf.resize(HEADER_LEN, 0);
    buf
}

fn declared_len(len: usize) -> Result<u32, Error> {
    u32::try_from(len).map_err(|_| Error::PlaintextTooLong { len })
}

impl Key {
    /// Seals in place, without copying the payload.
    ///
    /// `blob` must be laid out as the blob will be: [`HEADER_LEN`] bytes of room (their
    /// contents are overwritten), then the plaintext, which is encrypted where it lies.
    /// Works on anything that derefs to `&mut [u8]`: a `Vec<u8>`, a `BytesMut`.
    ///
    /// ```
    /// # fn main() -> Result<(), ffce_core::Error> {
    /// use ffce_core::{Key, keys::{buffer_with_header_room, Nonce}};
    ///
    /// let key = Key::from_bytes(&[7; 32]);
    /// let mut buf = buffer_with_header_room(5);
    /// buf.extend_from_slice(b"hello");
    /// key.seal_in_place_with_nonce(Nonce::assume_unique_for_key([1; 12]), &mut buf)?;
    /// assert_eq!(&buf[..4], b"FFCE");
    /// assert_eq!(buf.len(), 37 + 5);
    /// # Ok(()) }
    /// ```
    pub fn seal_in_place_with_nonce(&self, nonce: Nonce, blob: &mut [u8]) -> Result<(), Error> {
        if blob.len() < HEADER_LEN {
            return Err(Error::NoRoomForHeader { len: blob.len() });
        }
        let (head, body) = blob.split_at_mut(HEADER_LEN);
        let len = declared_len(body.len())?;
        let tag = self.cipher.seal(nonce.as_bytes(), body);
        head.copy_from_slice(&Header::v1(nonce.0, len, tag).to_bytes());
        Ok(())
    }

    /// [`seal_in_place_with_nonce`](Self::seal_in_place_with_nonce) with a fresh random nonce.
    #[cfg(feature = "std")]
    #[cfg_attr(docsrs, doc(cfg(feature = "std")))]
    pub fn seal_in_place(&self, blob: &mut [u8]) -> Result<(), Error> {
        self.seal_in_place_with_nonce(Nonce::random()?, blob)
    }

    /// Seals `plaintext` into a new blob under a caller-chosen nonce.
    ///
    /// An empty plaintext gets a real GCM tag, so readers can and must verify it
    /// (docs/SPEC.md §1, "Empty plaintext").
    pub fn seal_with_nonce(&self, nonce: Nonce, plaintext: &[u8]) -> Result<Vec<u8>, Error> {
        let len = declared_len(plaintext.len())?;
        let mut blob = vec![0u8; HEADER_LEN + plaintext.len()];
        let (head, body) = blob.split_at_mut(HEADER_LEN);
        let tag = self.cipher.seal_into(nonce.as_bytes(), plaintext, body);
        head.copy_from_slice(&Header::v1(nonce.0, len, tag).to_bytes());
        Ok(blob)
    }

    /// Seals `plaintext` into a new blob under a fresh random nonce.
    ///
    /// ```
    /// # fn main() -> Result<(), ffce_core::Error> {
    /// let key = ffce_core::Key::from_bytes(&[7; 32]);
    /// let a = key.seal(b"same")?;
    /// let b = key.seal(b"same")?;
    /// assert_ne!(a, b); // a new nonce every time
    /// # Ok(()) }
    /// ```
    #[cfg(feature = "std")]
    #[cfg_attr(docsrs, doc(cfg(feature = "std")))]
    pub fn seal(&self, plaintext: &[u8]) -> Result<Vec<u8>, Error> {
        self.seal_with_nonce(Nonce::random()?, plaintext)
    }
}
