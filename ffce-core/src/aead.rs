//! The AES-256-GCM backend: the only module that touches a cipher crate.
//!
//! FFCE stores the tag *before* the ciphertext and uses no associated data
//! (docs/SPEC.md §1), so everything here is "detached tag, empty AAD, in place".
//! Keeping the backend behind this narrow surface is what lets another AEAD
//! implementation be swapped in without touching the framing code.
//!
//! Two backends, chosen at build time (one portable, one fast):
//!
//! - default: RustCrypto's pure-Rust `aes-gcm` (portable, no C, no assembly; it still
//!   uses AES-NI and PCLMULQDQ through intrinsics when the CPU has them);
//! - feature `ring`: `ring`'s assembly AES-GCM, about twice as fast on x86_64.
//!
//! Both keep the same observable behaviour, which the tests check with either backend:
//! nothing but authenticated plaintext is ever left in an output buffer, and a failed
//! open (in place or into a buffer) leaves that buffer zeroed, as `ring` does. Wiping
//! rather than promising "untouched ciphertext" is what lets `ring` decrypt and verify
//! in one pass: a verify-first open under `ring` measured at half its speed
//! (`benches/README.md`).

use crate::header::{NONCE_LEN, TAG_LEN};

/// The tag did not verify; no unauthenticated plaintext was left anywhere.
pub(crate) struct Unauthentic;

#[cfg(not(feature = "ring"))]
pub(crate) use rust_crypto::Cipher;

#[cfg(feature = "ring")]
pub(crate) use ring_backend::Cipher;

/// The pure-Rust default backend.
#[cfg(not(feature = "ring"))]
mod rust_crypto {
    use aes_gcm::aead::inout::InOutBuf;
    use aes_gcm::aead::{AeadInOut, KeyInit};
    use aes_gcm::{Aes256Gcm, Nonce as GcmNonce, Tag as GcmTag};

    use super::{NONCE_LEN, TAG_LEN, Unauthentic};

    /// An AES-256-GCM key with its expanded key schedule and GHASH key, computed once.
    ///
    /// The RustCrypto types zeroize themselves on drop (the `zeroize` feature of `aes-gcm`).
    pub(crate) struct Cipher(Aes256Gcm);

    impl Cipher {
        pub(crate) fn new(key: &[u8; 32]) -> Cipher {
            Cipher(Aes256Gcm::new(key.into()))
        }

        /// Encrypts `buf` in place and returns the tag.
        ///
        /// The caller has checked that the length fits FFCE's 32-bit field, which is far
        /// below GCM's own limit, so the backend cannot refuse.
        #[inline]
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
        /// still ciphertext (`Key::open_in_place` then wipes it, as with every backend).
        #[inline]
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
        #[inline]
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
        #[inline]
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
}

/// The `ring` backend (feature `ring`).
///
/// `ring` is `no_std` and is used here without its `alloc`/`std` features, so
/// it builds without this crate's default features (checked on the host). It needs a C
/// compiler for its assembly and runs only on the targets `ring` supports (x86, x86_64,
/// ARM, AArch64, RISC-V, …; not the Xtensa ESP32 of the device itself). On a bare-metal
/// target (`target_os = "none"`) its unconditional `getrandom` 0.2 dependency refuses to
/// compile unless the final binary enables `getrandom/custom`; this crate never calls
/// `ring`'s random generator, so any registered function will do.
///
/// Two differences from the default backend, and how they are handled:
///
/// - `ring` decrypts and authenticates in one interleaved pass, so when the tag is wrong
///   it has already written the output and leaves it unspecified. `open_into` wipes `out`
///   on failure, and `Key::open_in_place` wipes the body for every backend, so no
///   unauthenticated plaintext survives a failed open either way.
/// - `ring` does not wipe its expanded key schedule on drop (it has no `Drop` impl and
///   this crate forbids the `unsafe` it would take to do it from outside). A program
///   that holds device keys for long is better off on the default backend.
#[cfg(feature = "ring")]
mod ring_backend {
    use ring::aead::{AES_256_GCM, Aad, LessSafeKey, Nonce, Tag, UnboundKey};
    use zeroize::Zeroize;

    use super::{NONCE_LEN, TAG_LEN, Unauthentic};

    /// A `ring` AES-256-GCM key, its schedule expanded once.
    ///
    /// `ring` does not wipe its key schedule on drop; with this backend the promise that
    /// a `Key` is zeroized covers only ffce's own copies of the key bytes.
    pub(crate) struct Cipher {
        ring: LessSafeKey,
    }

    impl Cipher {
        pub(crate) fn new(key: &[u8; 32]) -> Cipher {
            let unbound = UnboundKey::new(&AES_256_GCM, key)
                .unwrap_or_else(|_| unreachable!("32 bytes is an AES-256 key"));
            Cipher {
                ring: LessSafeKey::new(unbound),
            }
        }

        /// Encrypts `buf` in place and returns the tag.
        #[inline]
        pub(crate) fn seal(&self, nonce: &[u8; NONCE_LEN], buf: &mut [u8]) -> [u8; TAG_LEN] {
            let tag = self
                .ring
                .seal_in_place_separate_tag(Nonce::assume_unique_for_key(*nonce), Aad::empty(), buf)
                .unwrap_or_else(|_| unreachable!("lengths below 2^32 are within GCM's limit"));
            let mut out = [0u8; TAG_LEN];
            out.copy_from_slice(tag.as_ref());
            out
        }

        /// Decrypts `buf` in place if `tag` verifies, in one pass.
        #[inline]
        pub(crate) fn open(
            &self,
            nonce: &[u8; NONCE_LEN],
            buf: &mut [u8],
            tag: &[u8; TAG_LEN],
        ) -> Result<(), Unauthentic> {
            let opened = self.ring.open_in_place_separate_tag(
                Nonce::assume_unique_for_key(*nonce),
                Aad::empty(),
                Tag::from(*tag),
                buf,
                0..,
            );
            // ring leaves `buf` unspecified on failure; `Key::open_in_place` wipes it.
            opened.map(|_| ()).map_err(|_| Unauthentic)
        }

        /// Encrypts `plaintext` into `out` (same length) and returns the tag.
        ///
        /// `ring` works in place only, so the plaintext is copied first (a `memcpy`, an
        /// order of magnitude faster than the cipher).
        #[inline]
        pub(crate) fn seal_into(
            &self,
            nonce: &[u8; NONCE_LEN],
            plaintext: &[u8],
            out: &mut [u8],
        ) -> [u8; TAG_LEN] {
            out.copy_from_slice(plaintext);
            self.seal(nonce, out)
        }

        /// Decrypts `ciphertext` into `out` (same length) if `tag` verifies.
        /// On failure `out` is zeroed: it never holds unauthenticated plaintext.
        #[inline]
        pub(crate) fn open_into(
            &self,
            nonce: &[u8; NONCE_LEN],
            ciphertext: &[u8],
            out: &mut [u8],
            tag: &[u8; TAG_LEN],
        ) -> Result<(), Unauthentic> {
            out.copy_from_slice(ciphertext);
            let opened = self.ring.open_in_place_separate_tag(
                Nonce::assume_unique_for_key(*nonce),
                Aad::empty(),
                Tag::from(*tag),
                out,
                0..,
            );
            if opened.is_err() {
                // ring zeroes what it wrote, but documents the buffer as unspecified after
                // a failure: wipe it here so the guarantee does not rest on that detail.
                out.zeroize();
                return Err(Unauthentic);
            }
            Ok(())
        }
    }
}
