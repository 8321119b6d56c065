//! The AES-256-GCM backend: the only module that touches a cipher crate.
//!
//! FFCE stores the tag *before* the ciphertext and uses no associated data
//! (FFCE-SPEC §1), so everything here is "detached tag, empty AAD, in place".
//! Keeping the backend behind this narrow surface is what lets another AEAD
//! implementation be swapped in without touching the framing code.

use aes_gcm::aead::inout::InOutBuf;
use aes_gcm::aead::{AeadInOut, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce as GcmNonce, Tag as GcmTag};

use crate::header::{NONCE_LEN, TAG_LEN};

/// An AES-256-GCM key with its expanded key schedule and GHASH key, computed once.
///
/// The RustCrypto types zeroize themselves on drop (the `zeroize` feature of `aes-gcm`).
pub(crate) struct Cipher(Aes256Gcm);

/// The tag did not verify; the buffer still holds the untouched ciphertext.
pub(crate) struct Unauthentic;

impl Cipher {
    pub(crate) fn new(key: &[u8; 32]) -> Cipher {
        Cipher(Aes256Gcm::new(key.into()))
    }

    /// Encrypts `buf` in place and returns the tag.
    ///
    /// The caller has checked that the length fits FFCE's 32-bit field, which is far
    /// below GCM's own limit, so the backend cannot refuse.
    pub(crate) fn seal(&self, nonce: &[u8; NONCE_LEN], buf: &mut [u8]) -> [u8; TAG_LEN] {
        let tag = self
            .0
            .encrypt_inout_detached(&GcmNonce::from(*nonce), &[], buf.into())
            .unwrap_or_else(|_| unreachable!("lengths below 2^32 are within GCM's limit"));
        tag.into()
    }

    /// Verifies `tag` over `buf`, then decrypts `buf` in place.
    ///
    /// The backend computes the tag before it decrypts anything, so on failure `buf` is
    /// still ciphertext: no unauthenticated plaintext ever exists.
    pub(crate) fn open(
        &self,
        nonce: &[u8; NONCE_LEN],
        buf: &mut [u8],
        tag: &[u8; TAG_LEN],
    ) -> Result<(), Unauthentic> {
        self.0
            .decrypt_inout_detached(
                &GcmNonce::from(*nonce),
                &[],
                buf.into(),
                &GcmTag::from(*tag),
            )
            .map_err(|_| Unauthentic)
    }

    /// Encrypts `plaintext` into `out` (same length) and returns the tag, in one pass.
    pub(crate) fn seal_into(
        &self,
        nonce: &[u8; NONCE_LEN],
        plaintext: &[u8],
        out: &mut [u8],
    ) -> [u8; TAG_LEN] {
        let buf = InOutBuf::new(plaintext, out)
            .unwrap_or_else(|_| unreachable!("callers pass equal lengths"));
        let tag = self
            .0
            .encrypt_inout_detached(&GcmNonce::from(*nonce), &[], buf)
            .unwrap_or_else(|_| unreachable!("lengths below 2^32 are within GCM's limit"));
        tag.into()
    }

    /// Verifies `tag` over `ciphertext`, then decrypts it into `out` (same length).
    /// On failure `out` has not been written.
    pub(crate) fn open_into(
        &self,
        nonce: &[u8; NONCE_LEN],
        ciphertext: &[u8],
        out: &mut [u8],
        tag: &[u8; TAG_LEN],
    ) -> Result<(), Unauthentic> {
        let buf = InOutBuf::new(ciphertext, out)
            .unwrap_or_else(|_| unreachable!("callers pass equal lengths"));
        self.0
            .decrypt_inout_detached(&GcmNonce::from(*nonce), &[], buf, &GcmTag::from(*tag))
            .map_err(|_| Unauthentic)
    }
}
