//! The device's keys: its P-256 private key, read from the key file a device (or a test
//! bench) keeps, and signing; the public key as the device table stores it.

use alloc::string::String;
use core::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use p256::ecdsa::signature::Signer as _;
use p256::ecdsa::{DerSignature, SigningKey, VerifyingKey};
use p256::pkcs8::{DecodePrivateKey as _, EncodePrivateKey as _};
use zeroize::Zeroizing;

use super::{
    NONCE_HEADER, NONCE_LEN, PUBLIC_KEY_LEN, SCALAR_LEN, SIGNATURE_HEADER, TIMESTAMP_HEADER,
    UUID_HEADER, signed_message,
};
use crate::layout::DeviceId;

/// A device's P-256 private key. Zeroized on drop (by `p256`); `Debug` shows no bytes.
///
/// ```
/// use ffce_core::device_auth::{DevicePublicKey, DeviceSigningKey};
///
/// let key = DeviceSigningKey::from_scalar_bytes(&[0x42; 32]).unwrap();
/// // The key file a device keeps, read back.
/// let pem = key.to_pkcs8_pem();
/// let again = DeviceSigningKey::from_key_file_bytes(pem.as_bytes()).unwrap();
/// assert_eq!(again.public_key().to_table_base64(), key.public_key().to_table_base64());
/// ```
pub struct DeviceSigningKey(pub(super) SigningKey);

impl fmt::Debug for DeviceSigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DeviceSigningKey(P-256, redacted)")
    }
}

/// Why bytes are not a device private key. Names the format it saw, never the bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyFileError {
    /// Nothing but whitespace.
    Empty,
    /// A `PRIVATE KEY` PEM block (PKCS#8) that does not hold a P-256 private key.
    Pkcs8Pem,
    /// DER that is neither a PKCS#8 nor a SEC1 P-256 private key.
    Der,
    /// An `EC PRIVATE KEY` PEM block (SEC1) that does not hold a P-256 private key.
    Sec1Pem,
    /// An `ENCRYPTED PRIVATE KEY` PEM block: password-protected keys are not supported.
    EncryptedPem,
    /// A PEM block with a label that holds no private key (e.g. `PUBLIC KEY`).
    OtherPem {
        /// The PEM label (printable ASCII only, at most 40 characters).
        label: String,
    },
    /// 64 hex digits, but the number is zero or not below the P-256 group order.
    ScalarOutOfRange,
    /// Only hex digits, but not 64 of them.
    HexLength {
        /// How many hex digits were found.
        digits: usize,
    },
    /// None of the accepted formats.
    Unrecognised {
        /// Length in bytes after trimming surrounding whitespace.
        len: usize,
    },
}

impl fmt::Display for KeyFileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyFileError::Empty => f.write_str("the device key is empty"),
            KeyFileError::Pkcs8Pem => f.write_str(
                "a PKCS#8 PEM block (PRIVATE KEY), but not a valid P-256 private key \
                 (another curve or algorithm, or damaged)",
            ),
            KeyFileError::Der => f.write_str(
                "DER, but neither a PKCS#8 nor a SEC1 P-256 private key \
                 (another curve or algorithm, or damaged)",
            ),
            KeyFileError::Sec1Pem => f.write_str(
                "a SEC1 PEM block (EC PRIVATE KEY), but not a valid P-256 private key \
                 (another curve, or damaged)",
            ),
            KeyFileError::EncryptedPem => f.write_str(
                "an encrypted PKCS#8 key (ENCRYPTED PRIVATE KEY); decrypt it first, e.g. \
                 `openssl pkcs8 -in KEY -out PLAIN.pem`",
            ),
            KeyFileError::OtherPem { label } => write!(
                f,
                "a PEM block labelled {label:?}, which holds no private key; expected \
                 PRIVATE KEY (PKCS#8) or EC PRIVATE KEY (SEC1)"
            ),
            KeyFileError::ScalarOutOfRange => f.write_str(
                "64 hex digits, but not a valid P-256 private scalar (zero, or not below \
                 the group order)",
            ),
            KeyFileError::HexLength { digits } => write!(
                f,
                "{digits} hex digits; a P-256 private scalar is 64 hex digits (32 bytes)"
            ),
            KeyFileError::Unrecognised { len } => write!(
                f,
                "not a device key ({len} bytes): expected PKCS#8 PEM or DER, SEC1 PEM or \
                 DER, or the 32-byte private scalar as 64 hex digits"
            ),
        }
    }
}

impl core::error::Error for KeyFileError {}

/// The OS random source failed (only [`DeviceSigningKey::generate`] uses it).
#[cfg(feature = "std")]
#[cfg_attr(docsrs, doc(cfg(feature = "std")))]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RandomUnavailable;

#[cfg(feature = "std")]
#[cfg_attr(docsrs, doc(cfg(feature = "std")))]
impl fmt::Display for RandomUnavailable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the operating system's random number generator is unavailable")
    }
}

#[cfg(feature = "std")]
#[cfg_attr(docsrs, doc(cfg(feature = "std")))]
impl core::error::Error for RandomUnavailable {}

impl DeviceSigningKey {
    /// A fresh random key from the operating system's random source.
    #[cfg(feature = "std")]
    #[cfg_attr(docsrs, doc(cfg(feature = "std")))]
    pub fn generate() -> Result<DeviceSigningKey, RandomUnavailable> {
        // A random 256-bit number is a valid scalar unless it is zero or not below the
        // group order (probability about 2^-32), so a few draws always suffice.
        for _ in 0..64 {
            let mut scalar = Zeroizing::new([0u8; SCALAR_LEN]);
            getrandom::fill(scalar.as_mut_slice()).map_err(|_| RandomUnavailable)?;
            if let Ok(key) = DeviceSigningKey::from_scalar_bytes(&scalar) {
                return Ok(key);
            }
        }
        Err(RandomUnavailable)
    }

    /// The key with this big-endian private scalar; zero or a value not below the group
    /// order is refused.
    pub fn from_scalar_bytes(scalar: &[u8; SCALAR_LEN]) -> Result<DeviceSigningKey, KeyFileError> {
        SigningKey::from_slice(scalar)
            .map(DeviceSigningKey)
            .map_err(|_| KeyFileError::ScalarOutOfRange)
    }

    /// Reads a key file: PKCS#8 PEM (`PRIVATE KEY`) or DER, SEC1 PEM (`EC PRIVATE KEY`)
    /// or DER, or the 32-byte scalar as 64 hex digits (optionally after `0x`). Surrounding
    /// whitespace is ignored. The error names the format it recognised.
    pub fn from_key_file_bytes(bytes: &[u8]) -> Result<DeviceSigningKey, KeyFileError> {
        let trimmed = bytes.trim_ascii();
        if trimmed.is_empty() {
            return Err(KeyFileError::Empty);
        }
        if let Some(label) = pem_label(trimmed) {
            // PEM is ASCII; non-UTF-8 inside it is a damaged block of that label.
            let text = core::str::from_utf8(trimmed).ok();
            return match label {
                "PRIVATE KEY" => text
                    .and_then(|t| SigningKey::from_pkcs8_pem(t).ok())
                    .map(DeviceSigningKey)
                    .ok_or(KeyFileError::Pkcs8Pem),
                "EC PRIVATE KEY" => text
                    .and_then(|t| p256::SecretKey::from_sec1_pem(t).ok())
                    .map(|secret| DeviceSigningKey(SigningKey::from(secret)))
                    .ok_or(KeyFileError::Sec1Pem),
                "ENCRYPTED PRIVATE KEY" => Err(KeyFileError::EncryptedPem),
                other => Err(KeyFileError::OtherPem {
                    label: String::from(other),
                }),
            };
        }
        let hex_part = trimmed.strip_prefix(b"0x").unwrap_or(trimmed);
        if hex_part.iter().all(u8::is_ascii_hexdigit) {
            if hex_part.len() != 2 * SCALAR_LEN {
                return Err(KeyFileError::HexLength {
                    digits: hex_part.len(),
                });
            }
            let mut scalar = Zeroizing::new([0u8; SCALAR_LEN]);
            hex::decode_to_slice(hex_part, scalar.as_mut_slice()).map_err(|_| {
                KeyFileError::HexLength {
                    digits: hex_part.len(),
                }
            })?;
            return DeviceSigningKey::from_scalar_bytes(&scalar);
        }
        // DER starts with a SEQUENCE tag. Raw binary is not trimmed: whitespace bytes
        // could be part of it.
        if bytes.first() == Some(&0x30) {
            if let Ok(key) = SigningKey::from_pkcs8_der(bytes) {
                return Ok(DeviceSigningKey(key));
            }
            return p256::SecretKey::from_sec1_der(bytes)
                .map(|secret| DeviceSigningKey(SigningKey::from(secret)))
                .map_err(|_| KeyFileError::Der);
        }
        Err(KeyFileError::Unrecognised { len: trimmed.len() })
    }

    /// The key as a PKCS#8 PEM document (`-----BEGIN PRIVATE KEY-----`, LF line endings),
    /// zeroized on drop: what `openssl genpkey -algorithm EC` writes, and what
    /// [`from_key_file_bytes`](DeviceSigningKey::from_key_file_bytes) reads back.
    pub fn to_pkcs8_pem(&self) -> Zeroizing<String> {
        // Encoding a valid key into an in-memory document cannot fail; the error arm is
        // unreachable but handled without a panic by an empty document.
        self.0
            .to_pkcs8_pem(p256::pkcs8::LineEnding::LF)
            .unwrap_or_else(|_| Zeroizing::new(String::new()))
    }

    /// The matching public key (what the device table holds).
    pub fn public_key(&self) -> DevicePublicKey {
        DevicePublicKey::new(*self.0.verifying_key())
    }

    /// The four header values of one request from `device`, signed over
    /// `nonce || timestamp`. The caller supplies a fresh random `nonce` and the current
    /// time as [`format_timestamp`](super::format_timestamp) writes it; a repeated nonce
    /// or a stale time is the caller's mistake (the server refuses times outside
    /// [`WINDOW_SECS`](super::WINDOW_SECS)).
    pub fn sign(
        &self,
        device: &DeviceId,
        nonce: &[u8; NONCE_LEN],
        timestamp: &str,
    ) -> SignedHeaders {
        let signature: DerSignature = self.0.sign(&signed_message(nonce, timestamp));
        SignedHeaders {
            uuid: alloc::format!("{device}"),
            nonce: STANDARD.encode(nonce),
            timestamp: String::from(timestamp),
            signature: STANDARD.encode(signature.as_bytes()),
        }
    }
}

/// The label of a PEM block if `bytes` starts like one (`-----BEGIN LABEL-----`).
fn pem_label(bytes: &[u8]) -> Option<&str> {
    let rest = bytes.strip_prefix(b"-----BEGIN ")?;
    let end = rest.windows(5).position(|w| w == b"-----")?;
    let label = core::str::from_utf8(&rest[..end]).ok()?;
    let printable = label.len() <= 40 && label.bytes().all(|b| b == b' ' || b.is_ascii_graphic());
    Some(if printable { label } else { "(unprintable)" })
}

/// The four header values a device sends, from [`DeviceSigningKey::sign`].
///
/// ```
/// use ffce_core::device_auth::{DeviceSigningKey, format_timestamp};
/// use ffce_core::layout::DeviceId;
///
/// let key = DeviceSigningKey::from_scalar_bytes(&[0x42; 32]).unwrap();
/// let device = DeviceId::parse("3f2504e0-4f89-41d3-9a0c-0305e82c3301").unwrap();
/// let signed = key.sign(&device, &[7; 32], &format_timestamp(1_746_792_000));
/// let names: Vec<_> = signed.pairs().iter().map(|(name, _)| *name).collect();
/// assert_eq!(names, ["X-Device-UUID", "X-Device-Nonce", "X-Device-Timestamp", "X-Device-Signature"]);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedHeaders {
    uuid: String,
    nonce: String,
    timestamp: String,
    signature: String,
}

impl SignedHeaders {
    /// The value of [`UUID_HEADER`].
    pub fn uuid(&self) -> &str {
        &self.uuid
    }
    /// The value of [`NONCE_HEADER`].
    pub fn nonce(&self) -> &str {
        &self.nonce
    }
    /// The value of [`TIMESTAMP_HEADER`].
    pub fn timestamp(&self) -> &str {
        &self.timestamp
    }
    /// The value of [`SIGNATURE_HEADER`].
    pub fn signature(&self) -> &str {
        &self.signature
    }
    /// `(name, value)` of all four headers, to add to a request.
    pub fn pairs(&self) -> [(&'static str, &str); 4] {
        [
            (UUID_HEADER, &self.uuid),
            (NONCE_HEADER, &self.nonce),
            (TIMESTAMP_HEADER, &self.timestamp),
            (SIGNATURE_HEADER, &self.signature),
        ]
    }
}

/// A device's registered P-256 public key.
///
/// ```
/// use ffce_core::device_auth::{DevicePublicKey, DeviceSigningKey};
///
/// let registered = DeviceSigningKey::from_scalar_bytes(&[0x42; 32]).unwrap().public_key();
/// let text = registered.to_table_base64(); // the device table's `public_key`
/// assert_eq!(text.len(), 88);
/// assert!(DevicePublicKey::from_table_base64(&text).is_ok());
/// assert!(DevicePublicKey::from_table_base64("AAAA").is_err());
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct DevicePublicKey {
    pub(super) key: VerifyingKey,
    /// The same point as the table holds it (`0x04 || X || Y`), kept because turning
    /// `key` back into bytes costs a field inversion: `ring` verifies from these bytes,
    /// and converting per request made its verify take about 1.7 times as long
    /// (`benches/device_auth.rs`).
    pub(super) sec1: [u8; PUBLIC_KEY_LEN],
}

impl fmt::Debug for DevicePublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DevicePublicKey({})", self.to_table_base64())
    }
}

/// Why a device table's `public_key` attribute is unusable: a server fault (500), since
/// the table, not the request, is wrong.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum PublicKeyError {
    /// Not strict standard base64.
    NotBase64,
    /// Decodes to this many bytes, not [`PUBLIC_KEY_LEN`].
    Length {
        /// The decoded length.
        decoded: usize,
    },
    /// 65 bytes, but not an uncompressed point (first byte not `0x04`).
    NotUncompressed,
    /// 65 bytes of an uncompressed point that is not on the P-256 curve.
    NotOnCurve,
}

impl fmt::Display for PublicKeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the device's registered public key is unusable: ")?;
        match self {
            PublicKeyError::NotBase64 => f.write_str("not standard base64"),
            PublicKeyError::Length { decoded } => write!(
                f,
                "{decoded} bytes, expected the {PUBLIC_KEY_LEN}-byte uncompressed P-256 point"
            ),
            PublicKeyError::NotUncompressed => {
                f.write_str("not an uncompressed point (first byte is not 0x04)")
            }
            PublicKeyError::NotOnCurve => f.write_str("not a point on the P-256 curve"),
        }
    }
}

impl core::error::Error for PublicKeyError {}

impl DevicePublicKey {
    /// Reads the device table's `public_key` attribute: strict standard base64 of the
    /// 65-byte uncompressed point `0x04 || X || Y`. Anything else (compressed points,
    /// 64 bare coordinates, DER `SubjectPublicKeyInfo`) is an error.
    pub fn from_table_base64(text: &str) -> Result<DevicePublicKey, PublicKeyError> {
        // 65 bytes are 88 base64 characters; refuse long input before decoding it.
        if text.len() > 4 * PUBLIC_KEY_LEN.div_ceil(3) + 4 {
            return Err(PublicKeyError::Length {
                decoded: text.len() / 4 * 3,
            });
        }
        let bytes = STANDARD
            .decode(text)
            .map_err(|_| PublicKeyError::NotBase64)?;
        if bytes.len() != PUBLIC_KEY_LEN {
            return Err(PublicKeyError::Length {
                decoded: bytes.len(),
            });
        }
        if bytes[0] != 0x04 {
            return Err(PublicKeyError::NotUncompressed);
        }
        let key = VerifyingKey::from_sec1_bytes(&bytes).map_err(|_| PublicKeyError::NotOnCurve)?;
        let mut sec1 = [0; PUBLIC_KEY_LEN];
        sec1.copy_from_slice(&bytes);
        Ok(DevicePublicKey { key, sec1 })
    }

    fn new(key: VerifyingKey) -> DevicePublicKey {
        let mut sec1 = [0; PUBLIC_KEY_LEN];
        sec1.copy_from_slice(key.to_sec1_point(false).as_bytes());
        DevicePublicKey { key, sec1 }
    }

    /// The device table's form: standard base64 of the 65-byte uncompressed point.
    pub fn to_table_base64(&self) -> String {
        STANDARD.encode(self.sec1)
    }
}
