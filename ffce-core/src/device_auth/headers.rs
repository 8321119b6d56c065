//! A server's side: the four headers as a request carries them, checked in the order of
//! docs/SPEC.md §7 with their statuses, and the signature verified.

use alloc::string::String;
use core::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use p256::ecdsa::DerSignature;

use super::time::{check_window, parse_timestamp};
use super::{
    DevicePublicKey, NONCE_HEADER, NONCE_LEN, SIGNATURE_HEADER, TIMESTAMP_HEADER, UUID_HEADER,
    WINDOW_SECS, signed_message,
};

/// The four headers as a request carries them (`None` when absent); an empty value
/// counts as absent, as in the Python functions.
///
/// ```
/// use ffce_core::device_auth::{AuthError, AuthHeaders, RawAuthHeaders};
///
/// // Headers as a request has them; an empty one counts as absent.
/// let raw = RawAuthHeaders { uuid: Some(""), ..RawAuthHeaders::default() };
/// let e = AuthHeaders::parse("3f2504e0-4f89-41d3-9a0c-0305e82c3301", raw, 0).unwrap_err();
/// assert_eq!(e, AuthError::MissingHeader { name: "X-Device-UUID" });
/// assert_eq!(e.http_status(), 400);
/// ```
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
    /// The HTTP status of docs/SPEC.md §7 for this refusal: 400, 401 or 403.
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
///
/// ```
/// use ffce_core::device_auth::{AuthError, AuthHeaders, DeviceSigningKey, RawAuthHeaders, verify};
/// use ffce_core::layout::DeviceId;
///
/// let key = DeviceSigningKey::from_scalar_bytes(&[0x42; 32]).unwrap();
/// let device = DeviceId::parse("3f2504e0-4f89-41d3-9a0c-0305e82c3301").unwrap();
/// let signed = key.sign(&device, &[7; 32], "2025-05-09T12:00:00Z");
/// let raw = RawAuthHeaders {
///     uuid: Some(signed.uuid()),
///     nonce: Some(signed.nonce()),
///     timestamp: Some(signed.timestamp()),
///     signature: Some(signed.signature()),
/// };
/// let now = 1_746_792_000;
/// let headers = AuthHeaders::parse(signed.uuid(), raw, now).unwrap();
/// assert_eq!(verify(&key.public_key(), &headers), Ok(()));
/// // The same request a minute later is refused.
/// let late = AuthHeaders::parse(signed.uuid(), raw, now + 60).unwrap_err();
/// assert_eq!(late.http_status(), 401);
/// assert!(matches!(late, AuthError::TimestampOutsideWindow { skew_secs: -60 }));
/// ```
#[derive(Clone, Debug)]
pub struct AuthHeaders {
    nonce: [u8; NONCE_LEN],
    timestamp: String,
    signature: DerSignature,
}

impl AuthHeaders {
    /// Checks the headers in the order of docs/SPEC.md §7 step 2, each with its status:
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
///
/// ```
/// use ffce_core::device_auth::{AuthError, AuthHeaders, DeviceSigningKey, RawAuthHeaders, verify};
/// use ffce_core::layout::DeviceId;
///
/// let device = DeviceId::parse("3f2504e0-4f89-41d3-9a0c-0305e82c3301").unwrap();
/// let signer = DeviceSigningKey::from_scalar_bytes(&[0x42; 32]).unwrap();
/// let other = DeviceSigningKey::from_scalar_bytes(&[0x43; 32]).unwrap();
/// let signed = signer.sign(&device, &[7; 32], "2025-05-09T12:00:00Z");
/// let raw = RawAuthHeaders {
///     uuid: Some(signed.uuid()),
///     nonce: Some(signed.nonce()),
///     timestamp: Some(signed.timestamp()),
///     signature: Some(signed.signature()),
/// };
/// let headers = AuthHeaders::parse(signed.uuid(), raw, 1_746_792_000).unwrap();
/// assert_eq!(verify(&other.public_key(), &headers), Err(AuthError::BadSignature));
/// ```
pub fn verify(key: &DevicePublicKey, headers: &AuthHeaders) -> Result<(), AuthError> {
    let message = signed_message(&headers.nonce, &headers.timestamp);
    #[cfg(feature = "ring-verify")]
    let good = verify_ring(key, &message, &headers.signature);
    #[cfg(not(feature = "ring-verify"))]
    let good = verify_p256(key, &message, &headers.signature);
    if good {
        Ok(())
    } else {
        Err(AuthError::BadSignature)
    }
}

/// ECDSA P-256 / SHA-256 verification in pure Rust (`p256`): the portable default.
#[cfg(any(test, not(feature = "ring-verify")))]
pub(super) fn verify_p256(key: &DevicePublicKey, message: &[u8], signature: &DerSignature) -> bool {
    use p256::ecdsa::signature::Verifier as _;
    key.key.verify(message, signature).is_ok()
}

/// The same verification by `ring` (assembly field arithmetic): about a fifth of
/// `p256`'s CPU on x86_64, which matters to a server that verifies every request. The
/// signature already parsed as strict DER ([`AuthHeaders::parse`]); both backends take
/// any `s` in `[1, n-1]` (no low-S rule: the firmware's signer does not normalise), and
/// `tests.rs` checks that they agree on valid, altered and foreign signatures.
#[cfg(feature = "ring-verify")]
pub(super) fn verify_ring(key: &DevicePublicKey, message: &[u8], signature: &DerSignature) -> bool {
    use ring::signature::{ECDSA_P256_SHA256_ASN1, UnparsedPublicKey};
    UnparsedPublicKey::new(&ECDSA_P256_SHA256_ASN1, &key.sec1)
        .verify(message, signature.as_bytes())
        .is_ok()
}
