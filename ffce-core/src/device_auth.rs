//! The device API's signed request headers (FFCE-SPEC §7, "Device authentication"): the
//! wire contract a device (signer) and the backup API (verifier) share.
//!
//! A device signs `nonce_bytes || timestamp_ascii_bytes` with its P-256 key (ECDSA,
//! SHA-256, DER signature) and sends four headers: [`UUID_HEADER`], [`NONCE_HEADER`],
//! [`TIMESTAMP_HEADER`], [`SIGNATURE_HEADER`]. A server looks the device up (an unknown
//! device is its own 401, before any header check), then calls [`AuthHeaders::parse`],
//! which checks the headers in the order of §7 step 2 and with its status codes, and
//! finally [`verify`] under the device's registered [`DevicePublicKey`].
//!
//! ```
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use ffce_core::DeviceId;
//! use ffce_core::device_auth::{self, AuthHeaders, DeviceSigningKey, DevicePublicKey, RawAuthHeaders};
//!
//! // The device: a key (here from a fixed scalar; `DeviceSigningKey::generate()` makes one),
//! // a fresh 32-byte nonce and the current time.
//! let key = DeviceSigningKey::from_scalar_bytes(&[0x42; 32])?;
//! let device = DeviceId::parse("3f2504e0-4f89-41d3-9a0c-0305e82c3301")?;
//! let now = 1_746_792_000; // 2025-05-09T12:00:00Z
//! let timestamp = device_auth::format_timestamp(now);
//! let signed = key.sign(&device, &[7; 32], &timestamp);
//!
//! // The table holds the public key as base64 of the 65-byte uncompressed point.
//! let registered = key.public_key().to_table_base64();
//!
//! // The server: parse the headers as received (with its own clock), then verify.
//! let raw = RawAuthHeaders {
//!     uuid: Some(signed.uuid()),
//!     nonce: Some(signed.nonce()),
//!     timestamp: Some(signed.timestamp()),
//!     signature: Some(signed.signature()),
//! };
//! let headers = AuthHeaders::parse("3f2504e0-4f89-41d3-9a0c-0305e82c3301", raw, now + 3)?;
//! device_auth::verify(&DevicePublicKey::from_table_base64(&registered)?, &headers)?;
//! # Ok(()) }
//! ```
//!
//! Base64 here is always the standard alphabet, strict: canonical padding, no whitespace,
//! no stray bits. Messages of every error name the header and the problem, never a
//! header's value (a signature or a nonce is noise to a reader and useful to nobody else).

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use p256::ecdsa::signature::{Signer as _, Verifier as _};
use p256::ecdsa::{DerSignature, SigningKey, VerifyingKey};
use p256::pkcs8::{DecodePrivateKey as _, EncodePrivateKey as _};
use zeroize::Zeroizing;

use crate::DeviceId;

/// The device's UUID; must equal the `{uuid}` of the path.
pub const UUID_HEADER: &str = "X-Device-UUID";
/// Standard base64 of [`NONCE_LEN`] random bytes, fresh for every request.
pub const NONCE_HEADER: &str = "X-Device-Nonce";
/// The request time, ISO 8601 UTC (`2025-05-09T12:00:00Z`).
pub const TIMESTAMP_HEADER: &str = "X-Device-Timestamp";
/// Standard base64 of the DER ECDSA P-256 signature over `nonce || timestamp`.
pub const SIGNATURE_HEADER: &str = "X-Device-Signature";

/// Length in bytes of the nonce a device signs.
pub const NONCE_LEN: usize = 32;

/// How far (in seconds, either way) a request's timestamp may be from the server's clock.
pub const WINDOW_SECS: u64 = 10;

/// Length of the uncompressed SEC1 point stored in the device table: `0x04 || X || Y`.
pub const PUBLIC_KEY_LEN: usize = 65;

/// Length of a P-256 private scalar.
pub const SCALAR_LEN: usize = 32;

/// The message a device signs: the nonce bytes followed by the timestamp's ASCII bytes.
fn signed_message(nonce: &[u8; NONCE_LEN], timestamp: &str) -> Vec<u8> {
    let mut message = Vec::with_capacity(NONCE_LEN + timestamp.len());
    message.extend_from_slice(nonce);
    message.extend_from_slice(timestamp.as_bytes());
    message
}

// ---------------------------------------------------------------------------------------
// Keys
// ---------------------------------------------------------------------------------------

/// A device's P-256 private key. Zeroized on drop (by `p256`); `Debug` shows no bytes.
pub struct DeviceSigningKey(SigningKey);

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
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RandomUnavailable;

#[cfg(feature = "std")]
impl fmt::Display for RandomUnavailable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the operating system's random number generator is unavailable")
    }
}

#[cfg(feature = "std")]
impl core::error::Error for RandomUnavailable {}

impl DeviceSigningKey {
    /// A fresh random key from the operating system's random source.
    #[cfg(feature = "std")]
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
        DevicePublicKey(*self.0.verifying_key())
    }

    /// The four header values of one request from `device`, signed over
    /// `nonce || timestamp`. The caller supplies a fresh random `nonce` and the current
    /// time as [`format_timestamp`] writes it; a repeated nonce or a stale time is the
    /// caller's mistake (the server refuses times outside [`WINDOW_SECS`]).
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
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct DevicePublicKey(VerifyingKey);

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
        VerifyingKey::from_sec1_bytes(&bytes)
            .map(DevicePublicKey)
            .map_err(|_| PublicKeyError::NotOnCurve)
    }

    /// The device table's form: standard base64 of the 65-byte uncompressed point.
    pub fn to_table_base64(&self) -> String {
        STANDARD.encode(self.0.to_sec1_point(false).as_bytes())
    }
}

// ---------------------------------------------------------------------------------------
// Server side: parsing and verifying
// ---------------------------------------------------------------------------------------

/// The four headers as a request carries them (`None` when absent); an empty value
/// counts as absent, as in the Python functions.
#[derive(Clone, Copy, Debug, Default)]
pub struct RawAuthHeaders<'a> {
    /// [`UUID_HEADER`].
    pub uuid: Option<&'a str>,
    /// [`NONCE_HEADER`].
    pub nonce: Option<&'a str>,
    /// [`TIMESTAMP_HEADER`].
    pub timestamp: Option<&'a str>,
    /// [`SIGNATURE_HEADER`].
    pub signature: Option<&'a str>,
}

/// Why a request's authentication headers are refused. [`http_status`] gives the §7
/// status; `Display` gives a message for the response body that names the header and
/// the problem (never a header's value).
///
/// [`http_status`]: AuthError::http_status
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum AuthError {
    /// A header is absent or empty (400).
    MissingHeader {
        /// The header's name.
        name: &'static str,
    },
    /// [`UUID_HEADER`] differs from the path's device (403).
    UuidMismatch,
    /// [`NONCE_HEADER`] is not strict standard base64 (400).
    NonceNotBase64,
    /// [`NONCE_HEADER`] decodes to this many bytes, not [`NONCE_LEN`] (400).
    NonceLength {
        /// The decoded length.
        decoded: usize,
    },
    /// [`TIMESTAMP_HEADER`] is not an ISO 8601 UTC time (400).
    TimestampFormat,
    /// [`TIMESTAMP_HEADER`] is more than [`WINDOW_SECS`] from the server's clock (401).
    /// Positive `skew_secs`: the request claims a time in the server's future.
    TimestampOutsideWindow {
        /// Request time minus server time, in seconds.
        skew_secs: i64,
    },
    /// [`SIGNATURE_HEADER`] is not strict standard base64 (400).
    SignatureNotBase64,
    /// [`SIGNATURE_HEADER`] decodes, but not to a DER ECDSA P-256 signature (400).
    SignatureNotDer,
    /// The signature does not verify under the device's public key (401).
    BadSignature,
}

impl AuthError {
    /// The HTTP status of FFCE-SPEC §7 for this refusal: 400, 401 or 403.
    pub fn http_status(&self) -> u16 {
        match self {
            AuthError::MissingHeader { .. }
            | AuthError::NonceNotBase64
            | AuthError::NonceLength { .. }
            | AuthError::TimestampFormat
            | AuthError::SignatureNotBase64
            | AuthError::SignatureNotDer => 400,
            AuthError::UuidMismatch => 403,
            AuthError::TimestampOutsideWindow { .. } | AuthError::BadSignature => 401,
        }
    }
}

impl fmt::Display for AuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AuthError::MissingHeader { name } => {
                write!(f, "Missing authentication header {name}")
            }
            AuthError::UuidMismatch => {
                write!(f, "{UUID_HEADER} does not match the device in the path")
            }
            AuthError::NonceNotBase64 => write!(f, "{NONCE_HEADER} is not standard base64"),
            AuthError::NonceLength { decoded } => write!(
                f,
                "{NONCE_HEADER} must be {NONCE_LEN} bytes, got {decoded}{}",
                if *decoded == 1 { " byte" } else { " bytes" }
            ),
            AuthError::TimestampFormat => write!(
                f,
                "{TIMESTAMP_HEADER} is not an ISO 8601 UTC time like 2025-05-09T12:00:00Z"
            ),
            AuthError::TimestampOutsideWindow { skew_secs } => {
                let (amount, side) = if *skew_secs < 0 {
                    (skew_secs.unsigned_abs(), "behind")
                } else {
                    (skew_secs.unsigned_abs(), "ahead of")
                };
                write!(
                    f,
                    "{TIMESTAMP_HEADER} is {amount} s {side} the server's clock \
                     (at most {WINDOW_SECS} s allowed)"
                )
            }
            AuthError::SignatureNotBase64 => {
                write!(f, "{SIGNATURE_HEADER} is not standard base64")
            }
            AuthError::SignatureNotDer => {
                write!(f, "{SIGNATURE_HEADER} is not a DER ECDSA P-256 signature")
            }
            AuthError::BadSignature => f.write_str("Invalid signature"),
        }
    }
}

impl core::error::Error for AuthError {}

/// Well-formed, fresh authentication headers, ready for [`verify`]. Only
/// [`AuthHeaders::parse`] makes one.
#[derive(Clone, Debug)]
pub struct AuthHeaders {
    nonce: [u8; NONCE_LEN],
    timestamp: String,
    signature: DerSignature,
}

impl AuthHeaders {
    /// Checks the headers in the order of FFCE-SPEC §7 step 2, each with its status:
    /// all four present (400); [`UUID_HEADER`] equal to `path_uuid`, the path parameter
    /// as the request has it (403); the nonce strict base64 of 32 bytes (400); the
    /// timestamp an ISO 8601 UTC time (400) within [`WINDOW_SECS`] of `now_unix_secs`,
    /// the server's clock (401); the signature strict base64 of a DER signature (400).
    /// The signature itself is checked by [`verify`] (401).
    pub fn parse(
        path_uuid: &str,
        raw: RawAuthHeaders<'_>,
        now_unix_secs: i64,
    ) -> Result<AuthHeaders, AuthError> {
        let uuid = present(raw.uuid, UUID_HEADER)?;
        let nonce = present(raw.nonce, NONCE_HEADER)?;
        let timestamp = present(raw.timestamp, TIMESTAMP_HEADER)?;
        let signature = present(raw.signature, SIGNATURE_HEADER)?;

        if uuid != path_uuid {
            return Err(AuthError::UuidMismatch);
        }
        let nonce = decode_nonce(nonce)?;
        let request_secs = parse_timestamp(timestamp)?;
        check_window(request_secs, now_unix_secs)?;
        let signature = decode_signature(signature)?;
        Ok(AuthHeaders {
            nonce,
            timestamp: String::from(timestamp),
            signature,
        })
    }

    /// The nonce's 32 bytes, as signed: what a server remembers so that the same signed
    /// request is accepted once only.
    pub fn nonce(&self) -> &[u8; NONCE_LEN] {
        &self.nonce
    }

    /// [`TIMESTAMP_HEADER`] as sent (and signed); [`parse_timestamp`] reads it.
    pub fn timestamp(&self) -> &str {
        &self.timestamp
    }
}

/// A header's value, or [`AuthError::MissingHeader`] when it is absent or empty.
fn present<'a>(value: Option<&'a str>, name: &'static str) -> Result<&'a str, AuthError> {
    value
        .filter(|v| !v.is_empty())
        .ok_or(AuthError::MissingHeader { name })
}

fn decode_nonce(text: &str) -> Result<[u8; NONCE_LEN], AuthError> {
    // Anything much longer than 44 characters is not 32 bytes: say so without decoding.
    if text.len() > 1024 {
        return Err(AuthError::NonceLength {
            decoded: text.len() / 4 * 3,
        });
    }
    let bytes = STANDARD
        .decode(text)
        .map_err(|_| AuthError::NonceNotBase64)?;
    <[u8; NONCE_LEN]>::try_from(bytes.as_slice()).map_err(|_| AuthError::NonceLength {
        decoded: bytes.len(),
    })
}

fn decode_signature(text: &str) -> Result<DerSignature, AuthError> {
    // A DER P-256 signature is at most 72 bytes (96 base64 characters).
    if text.len() > 1024 {
        return Err(AuthError::SignatureNotDer);
    }
    let bytes = STANDARD
        .decode(text)
        .map_err(|_| AuthError::SignatureNotBase64)?;
    DerSignature::from_bytes(&bytes).map_err(|_| AuthError::SignatureNotDer)
}

/// Checks the signature of parsed headers under the device's registered key:
/// ECDSA P-256 with SHA-256 over `nonce || timestamp`. A mismatch is
/// [`AuthError::BadSignature`] (401).
pub fn verify(key: &DevicePublicKey, headers: &AuthHeaders) -> Result<(), AuthError> {
    key.0
        .verify(
            &signed_message(&headers.nonce, &headers.timestamp),
            &headers.signature,
        )
        .map_err(|_| AuthError::BadSignature)
}

// ---------------------------------------------------------------------------------------
// Time
// ---------------------------------------------------------------------------------------

/// Refuses a request time more than [`WINDOW_SECS`] from the server's `now` (either way),
/// as [`AuthError::TimestampOutsideWindow`] (401). Exactly 10 s apart is accepted.
pub fn check_window(request_unix_secs: i64, now_unix_secs: i64) -> Result<(), AuthError> {
    let skew_secs = request_unix_secs.saturating_sub(now_unix_secs);
    if skew_secs.unsigned_abs() > WINDOW_SECS {
        return Err(AuthError::TimestampOutsideWindow { skew_secs });
    }
    Ok(())
}

/// Parses an ISO 8601 UTC time to Unix seconds, strictly: `YYYY-MM-DDTHH:MM:SS`, an
/// optional fraction of 1 to 9 digits (dropped: the window is whole seconds), then `Z`
/// or `+00:00`. Years 1970 to 9999; no leap second; no other offsets or spellings.
pub fn parse_timestamp(text: &str) -> Result<i64, AuthError> {
    let b = text.as_bytes();
    let bad = AuthError::TimestampFormat;
    if b.len() < 20 {
        return Err(bad);
    }
    let num = |range: core::ops::Range<usize>| -> Result<i64, AuthError> {
        let digits = &b[range];
        if !digits.iter().all(u8::is_ascii_digit) {
            return Err(AuthError::TimestampFormat);
        }
        Ok(digits
            .iter()
            .fold(0i64, |acc, d| acc * 10 + i64::from(d - b'0')))
    };
    if b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[13] != b':' || b[16] != b':' {
        return Err(bad);
    }
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
    let mut rest = &b[19..];
    if let Some(fraction) = rest.strip_prefix(b".") {
        let digits = fraction.iter().take_while(|c| c.is_ascii_digit()).count();
        if !(1..=9).contains(&digits) {
            return Err(bad);
        }
        rest = &fraction[digits..];
    }
    if rest != b"Z" && rest != b"+00:00" {
        return Err(bad);
    }
    if year < 1970
        || !(1..=12).contains(&month)
        || day < 1
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 59
    {
        return Err(bad);
    }
    Ok(days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second)
}

/// Seconds since the Unix epoch on this machine's clock: what a device signs and what
/// the server compares it with (0 for a clock before 1970).
#[cfg(feature = "std")]
pub fn now_unix_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// Unix seconds as `%Y-%m-%dT%H:%M:%SZ`, the form a device sends and the API stores as
/// `last_backup_date`.
pub fn format_timestamp(unix_secs: i64) -> String {
    let days = unix_secs.div_euclid(86_400);
    let secs = unix_secs.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    alloc::format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

fn is_leap(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's `days_from_civil`).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The inverse of [`days_from_civil`].
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    const DEVICE: &str = "3f2504e0-4f89-41d3-9a0c-0305e82c3301";
    const OTHER: &str = "11111111-2222-4333-8444-555555555555";
    /// 2025-05-09T12:00:00Z.
    const NOW: i64 = 1_746_792_000;
    const NOW_TEXT: &str = "2025-05-09T12:00:00Z";

    fn fixture(name: &str) -> Vec<u8> {
        let path = alloc::format!(
            "{}/../fixtures/device-keys/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    fn key() -> DeviceSigningKey {
        DeviceSigningKey::from_scalar_bytes(&[0x42; 32]).unwrap()
    }

    fn device() -> DeviceId {
        DeviceId::parse(DEVICE).unwrap()
    }

    fn raw(h: &SignedHeaders) -> RawAuthHeaders<'_> {
        RawAuthHeaders {
            uuid: Some(h.uuid()),
            nonce: Some(h.nonce()),
            timestamp: Some(h.timestamp()),
            signature: Some(h.signature()),
        }
    }

    fn check(key: &DevicePublicKey, raw: RawAuthHeaders<'_>, now: i64) -> Result<(), AuthError> {
        verify(key, &AuthHeaders::parse(DEVICE, raw, now)?)
    }

    #[test]
    fn sign_then_verify_round_trip() {
        let signed = key().sign(&device(), &[7; 32], NOW_TEXT);
        assert_eq!(signed.uuid(), DEVICE);
        assert_eq!(signed.timestamp(), NOW_TEXT);
        assert_eq!(STANDARD.decode(signed.nonce()).unwrap(), [7; 32]);
        assert_eq!(
            signed.pairs().map(|(name, _)| name),
            [
                UUID_HEADER,
                NONCE_HEADER,
                TIMESTAMP_HEADER,
                SIGNATURE_HEADER
            ]
        );
        check(&key().public_key(), raw(&signed), NOW).unwrap();
        // What a server keeps of a verified request: the nonce's bytes and the time.
        let parsed = AuthHeaders::parse(DEVICE, raw(&signed), NOW).unwrap();
        assert_eq!(parsed.nonce(), &[7; 32]);
        assert_eq!(parsed.timestamp(), NOW_TEXT);
    }

    #[test]
    fn signature_is_der_ecdsa_sha256_over_nonce_then_timestamp() {
        // Checked independently of `verify`: p256's verifier over the documented message.
        let signed = key().sign(&device(), &[9; 32], NOW_TEXT);
        let der = STANDARD.decode(signed.signature()).unwrap();
        assert_eq!(der[0], 0x30, "DER SEQUENCE");
        let signature = DerSignature::from_bytes(&der).unwrap();
        let mut message = [9u8; 32].to_vec();
        message.extend_from_slice(NOW_TEXT.as_bytes());
        key()
            .0
            .verifying_key()
            .verify(&message, &signature)
            .unwrap();
    }

    #[test]
    fn forged_or_altered_requests_are_401() {
        let pk = key().public_key();
        let signed = key().sign(&device(), &[7; 32], NOW_TEXT);
        // A signature over another nonce, sent with this one.
        let other = key().sign(&device(), &[8; 32], NOW_TEXT);
        let forged = RawAuthHeaders {
            signature: Some(other.signature()),
            ..raw(&signed)
        };
        assert_eq!(check(&pk, forged, NOW), Err(AuthError::BadSignature));
        // The same signature with the timestamp changed by one second.
        let moved = RawAuthHeaders {
            timestamp: Some("2025-05-09T12:00:01Z"),
            ..raw(&signed)
        };
        assert_eq!(check(&pk, moved, NOW), Err(AuthError::BadSignature));
        assert_eq!(AuthError::BadSignature.http_status(), 401);
        assert_eq!(AuthError::BadSignature.to_string(), "Invalid signature");
    }

    #[test]
    fn a_wrong_key_is_401() {
        let signed = key().sign(&device(), &[7; 32], NOW_TEXT);
        let other = DeviceSigningKey::from_scalar_bytes(&[0x43; 32]).unwrap();
        assert_eq!(
            check(&other.public_key(), raw(&signed), NOW),
            Err(AuthError::BadSignature)
        );
    }

    #[test]
    fn headers_are_checked_in_the_order_of_the_spec() {
        let pk = key().public_key();
        let signed = key().sign(&device(), &[7; 32], NOW_TEXT);
        for (name, cleared) in [
            (
                UUID_HEADER,
                RawAuthHeaders {
                    uuid: None,
                    ..raw(&signed)
                },
            ),
            (
                NONCE_HEADER,
                RawAuthHeaders {
                    nonce: Some(""),
                    ..raw(&signed)
                },
            ),
            (
                TIMESTAMP_HEADER,
                RawAuthHeaders {
                    timestamp: None,
                    ..raw(&signed)
                },
            ),
            (
                SIGNATURE_HEADER,
                RawAuthHeaders {
                    signature: None,
                    ..raw(&signed)
                },
            ),
        ] {
            let err = check(&pk, cleared, NOW).unwrap_err();
            assert_eq!(err, AuthError::MissingHeader { name });
            assert_eq!(err.http_status(), 400);
            assert_eq!(
                err.to_string(),
                alloc::format!("Missing authentication header {name}")
            );
        }
        // Missing beats a mismatch; a mismatch (403) beats every other check.
        let all_bad = RawAuthHeaders {
            uuid: Some(OTHER),
            nonce: Some("!!"),
            timestamp: Some("yesterday"),
            signature: Some("!!"),
        };
        let err = check(&pk, all_bad, NOW).unwrap_err();
        assert_eq!(
            (err.clone(), err.http_status()),
            (AuthError::UuidMismatch, 403)
        );
        let err = check(
            &pk,
            RawAuthHeaders {
                uuid: Some(DEVICE),
                ..all_bad
            },
            NOW,
        )
        .unwrap_err();
        assert_eq!(err, AuthError::NonceNotBase64);
        // Then the timestamp's form, then its window, then the signature's encoding.
        let good_nonce = RawAuthHeaders {
            uuid: Some(DEVICE),
            nonce: Some(signed.nonce()),
            ..all_bad
        };
        assert_eq!(check(&pk, good_nonce, NOW), Err(AuthError::TimestampFormat));
        let stale = RawAuthHeaders {
            timestamp: Some("2025-05-09T11:00:00Z"),
            ..good_nonce
        };
        assert_eq!(
            check(&pk, stale, NOW),
            Err(AuthError::TimestampOutsideWindow { skew_secs: -3600 })
        );
        let fresh = RawAuthHeaders {
            timestamp: Some(NOW_TEXT),
            ..good_nonce
        };
        assert_eq!(check(&pk, fresh, NOW), Err(AuthError::SignatureNotBase64));
    }

    #[test]
    fn uuid_header_must_equal_the_path_exactly() {
        let signed = key().sign(&device(), &[7; 32], NOW_TEXT);
        let upper = DEVICE.to_uppercase();
        assert_eq!(
            AuthHeaders::parse(&upper, raw(&signed), NOW).unwrap_err(),
            AuthError::UuidMismatch
        );
        let other = DeviceId::parse(OTHER).unwrap();
        let theirs = key().sign(&other, &[7; 32], NOW_TEXT);
        let err = AuthHeaders::parse(DEVICE, raw(&theirs), NOW).unwrap_err();
        assert_eq!(
            err.to_string(),
            "X-Device-UUID does not match the device in the path"
        );
    }

    #[test]
    fn nonce_must_be_strict_base64_of_32_bytes() {
        let signed = key().sign(&device(), &[7; 32], NOW_TEXT);
        let short = STANDARD.encode([7u8; 31]);
        let long = STANDARD.encode([7u8; 33]);
        let unpadded = signed.nonce().trim_end_matches('=').to_string();
        let spaced = alloc::format!("{} ", signed.nonce());
        let wrapped = alloc::format!("{}\n{}", &signed.nonce()[..20], &signed.nonce()[20..]);
        let url_safe = STANDARD
            .encode([0xfb; 32])
            .replace('+', "-")
            .replace('/', "_");
        for (text, want) in [
            (short.as_str(), AuthError::NonceLength { decoded: 31 }),
            (long.as_str(), AuthError::NonceLength { decoded: 33 }),
            (unpadded.as_str(), AuthError::NonceNotBase64),
            (spaced.as_str(), AuthError::NonceNotBase64),
            (wrapped.as_str(), AuthError::NonceNotBase64),
            (url_safe.as_str(), AuthError::NonceNotBase64),
        ] {
            let headers = RawAuthHeaders {
                nonce: Some(text),
                ..raw(&signed)
            };
            let err = AuthHeaders::parse(DEVICE, headers, NOW).unwrap_err();
            assert_eq!(err, want, "{text:?}");
            assert_eq!(err.http_status(), 400);
        }
        assert_eq!(
            AuthError::NonceLength { decoded: 31 }.to_string(),
            "X-Device-Nonce must be 32 bytes, got 31 bytes"
        );
    }

    #[test]
    fn signature_must_be_strict_base64_of_der() {
        let signed = key().sign(&device(), &[7; 32], NOW_TEXT);
        let unpadded_or_spaced = alloc::format!(" {}", signed.signature());
        let raw_rs = STANDARD.encode([1u8; 64]);
        for (text, want) in [
            ("%%%", AuthError::SignatureNotBase64),
            (unpadded_or_spaced.as_str(), AuthError::SignatureNotBase64),
            (raw_rs.as_str(), AuthError::SignatureNotDer),
        ] {
            let headers = RawAuthHeaders {
                signature: Some(text),
                ..raw(&signed)
            };
            let err = AuthHeaders::parse(DEVICE, headers, NOW).unwrap_err();
            assert_eq!((err.clone(), err.http_status()), (want, 400), "{text:?}");
        }
    }

    #[test]
    fn the_window_is_ten_seconds_either_way() {
        assert_eq!(check_window(NOW - 10, NOW), Ok(()));
        assert_eq!(check_window(NOW + 10, NOW), Ok(()));
        assert_eq!(check_window(NOW, NOW), Ok(()));
        let past = check_window(NOW - 11, NOW).unwrap_err();
        assert_eq!(past, AuthError::TimestampOutsideWindow { skew_secs: -11 });
        assert_eq!(past.http_status(), 401);
        assert_eq!(
            past.to_string(),
            "X-Device-Timestamp is 11 s behind the server's clock (at most 10 s allowed)"
        );
        let future = check_window(NOW + 11, NOW).unwrap_err();
        assert_eq!(future.http_status(), 401);
        assert!(future.to_string().contains("11 s ahead of"), "{future}");
        assert!(check_window(i64::MIN, i64::MAX).is_err());
        // Through parse: a replay of a good request 11 s later is refused.
        let pk = key().public_key();
        let signed = key().sign(&device(), &[7; 32], NOW_TEXT);
        assert_eq!(check(&pk, raw(&signed), NOW + 10), Ok(()));
        assert_eq!(
            check(&pk, raw(&signed), NOW + 11),
            Err(AuthError::TimestampOutsideWindow { skew_secs: -11 })
        );
    }

    #[test]
    fn timestamps_parse_to_known_unix_seconds() {
        for (text, secs) in [
            ("1970-01-01T00:00:00Z", 0),
            ("2025-05-09T12:00:00Z", NOW),
            ("2025-05-09T12:00:00+00:00", NOW),
            ("2025-05-09T12:00:00.999Z", NOW),
            ("2025-05-09T12:00:00.123456789+00:00", NOW),
            ("2000-02-29T23:59:59Z", 951_868_799),
            ("2038-01-19T03:14:08Z", 2_147_483_648),
            ("9999-12-31T23:59:59Z", 253_402_300_799),
        ] {
            assert_eq!(parse_timestamp(text), Ok(secs), "{text}");
        }
        for text in [
            "",
            "2025-05-09",
            "2025-05-09 12:00:00Z",
            "2025-05-09T12:00:00",
            "2025-05-09T12:00:00z",
            "2025-05-09T12:00:00+01:00",
            "2025-05-09T12:00:00-00:00",
            "2025-05-09T12:00:00.Z",
            "2025-05-09T12:00:00.1234567890Z",
            "2025-05-09T12:00:60Z",
            "2025-05-09T24:00:00Z",
            "2025-02-29T12:00:00Z",
            "1900-02-29T12:00:00Z",
            "2025-13-01T12:00:00Z",
            "2025-00-01T12:00:00Z",
            "1969-12-31T23:59:59Z",
            "+025-05-09T12:00:00Z",
            "2025-05-09T12:00:00ZZ",
            "２０２５-05-09T12:00:00Z",
        ] {
            assert_eq!(
                parse_timestamp(text),
                Err(AuthError::TimestampFormat),
                "{text}"
            );
        }
    }

    #[test]
    fn format_timestamp_is_the_inverse() {
        assert_eq!(format_timestamp(0), "1970-01-01T00:00:00Z");
        assert_eq!(format_timestamp(NOW), NOW_TEXT);
        assert_eq!(format_timestamp(951_868_799), "2000-02-29T23:59:59Z");
        for secs in (0..4_000_000_000i64).step_by(7_777_777) {
            assert_eq!(parse_timestamp(&format_timestamp(secs)), Ok(secs));
        }
    }

    #[test]
    fn table_public_key_is_base64_of_the_uncompressed_point() {
        let pk = key().public_key();
        let text = pk.to_table_base64();
        let bytes = STANDARD.decode(&text).unwrap();
        assert_eq!((bytes.len(), bytes[0]), (65, 0x04));
        assert_eq!(DevicePublicKey::from_table_base64(&text), Ok(pk));

        let compressed = STANDARD.encode(key().0.verifying_key().to_sec1_point(true).as_bytes());
        assert_eq!(
            DevicePublicKey::from_table_base64(&compressed),
            Err(PublicKeyError::Length { decoded: 33 })
        );
        let bare = STANDARD.encode(&bytes[1..]);
        assert_eq!(
            DevicePublicKey::from_table_base64(&bare),
            Err(PublicKeyError::Length { decoded: 64 })
        );
        let mut hybrid = bytes.clone();
        hybrid[0] = 0x06;
        assert_eq!(
            DevicePublicKey::from_table_base64(&STANDARD.encode(&hybrid)),
            Err(PublicKeyError::NotUncompressed)
        );
        let mut off_curve = bytes.clone();
        off_curve[64] ^= 1;
        assert_eq!(
            DevicePublicKey::from_table_base64(&STANDARD.encode(&off_curve)),
            Err(PublicKeyError::NotOnCurve)
        );
        for text in [&text[..87], &alloc::format!("{text}\n"), "not base64"] {
            assert_eq!(
                DevicePublicKey::from_table_base64(text),
                Err(PublicKeyError::NotBase64),
                "{text:?}"
            );
        }
        assert!(DevicePublicKey::from_table_base64(&"A".repeat(10_000)).is_err());
    }

    #[test]
    fn every_key_file_format_of_one_openssl_key() {
        let want = core::str::from_utf8(&fixture("public.b64"))
            .unwrap()
            .trim()
            .to_string();
        for name in [
            "pkcs8.pem",
            "pkcs8.der",
            "sec1.pem",
            "sec1.der",
            "scalar.hex",
        ] {
            let key = DeviceSigningKey::from_key_file_bytes(&fixture(name))
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(key.public_key().to_table_base64(), want, "{name}");
        }
        let hex = fixture("scalar.hex");
        let mut prefixed = b"  0x".to_vec();
        prefixed.extend_from_slice(hex.trim_ascii());
        prefixed.extend_from_slice(b"\r\n");
        let key = DeviceSigningKey::from_key_file_bytes(&prefixed).unwrap();
        assert_eq!(key.public_key().to_table_base64(), want);
    }

    #[test]
    fn key_files_written_by_p256_read_back() {
        let secret = p256::SecretKey::from_slice(&[0x42; 32]).unwrap();
        let want = key().public_key();
        let sec1_pem = secret.to_sec1_pem(p256::pkcs8::LineEnding::CRLF).unwrap();
        let sec1_der = secret.to_sec1_der().unwrap();
        let pkcs8_der = key().0.to_pkcs8_der().unwrap();
        let pkcs8_pem = key().to_pkcs8_pem();
        assert!(pkcs8_pem.starts_with("-----BEGIN PRIVATE KEY-----\n"));
        for bytes in [
            sec1_pem.as_bytes(),
            sec1_der.as_slice(),
            pkcs8_der.as_bytes(),
            pkcs8_pem.as_bytes(),
        ] {
            assert_eq!(
                DeviceSigningKey::from_key_file_bytes(bytes)
                    .unwrap()
                    .public_key(),
                want
            );
        }
    }

    #[test]
    fn key_file_errors_name_what_was_seen() {
        let err = |bytes: &[u8]| DeviceSigningKey::from_key_file_bytes(bytes).unwrap_err();
        assert_eq!(err(b" \n"), KeyFileError::Empty);
        assert_eq!(err(&fixture("p384-pkcs8.pem")), KeyFileError::Pkcs8Pem);
        assert_eq!(
            err(&fixture("public.pem")),
            KeyFileError::OtherPem {
                label: "PUBLIC KEY".to_string()
            }
        );
        assert_eq!(
            err(b"-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n"),
            KeyFileError::EncryptedPem
        );
        let mut damaged = fixture("sec1.pem");
        damaged[40] ^= 0x01;
        assert_eq!(err(&damaged), KeyFileError::Sec1Pem);
        let mut der = fixture("pkcs8.der");
        der.truncate(60);
        assert_eq!(err(&der), KeyFileError::Der);
        assert_eq!(err(&[b'a'; 62]), KeyFileError::HexLength { digits: 62 });
        assert_eq!(err(&[b'0'; 64]), KeyFileError::ScalarOutOfRange);
        assert_eq!(err(&[b'f'; 64]), KeyFileError::ScalarOutOfRange);
        assert_eq!(err(b"hello, world"), KeyFileError::Unrecognised { len: 12 });
        // Messages describe, never quote, the input.
        let text = err(&damaged).to_string();
        assert!(text.contains("SEC1") && !text.contains("MHc"), "{text}");
    }

    #[test]
    fn debug_never_shows_the_private_key() {
        let shown = alloc::format!("{:?}", key());
        assert_eq!(shown, "DeviceSigningKey(P-256, redacted)");
        assert!(!shown.contains("42"));
    }

    #[cfg(feature = "std")]
    #[test]
    fn generated_keys_differ_and_sign() {
        let a = DeviceSigningKey::generate().unwrap();
        let b = DeviceSigningKey::generate().unwrap();
        assert_ne!(a.public_key(), b.public_key());
        let signed = a.sign(&device(), &[1; 32], NOW_TEXT);
        assert_eq!(check(&a.public_key(), raw(&signed), NOW), Ok(()));
        let again = DeviceSigningKey::from_key_file_bytes(a.to_pkcs8_pem().as_bytes()).unwrap();
        assert_eq!(again.public_key(), a.public_key());
    }
}
