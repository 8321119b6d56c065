//! Device authentication (docs/SPEC.md §7, every route), after the device table lookup:
//! the four signed headers, checked by `ffce_core::device_auth` against the server's
//! clock (±10 s) and the device's registered public key.

use ffce_core::device_auth::{
    self, AuthHeaders, DevicePublicKey, NONCE_HEADER, NONCE_LEN, RawAuthHeaders, SIGNATURE_HEADER,
    TIMESTAMP_HEADER, UUID_HEADER,
};

use crate::reply::{Refusal, Request};

/// Reads the device item's `public_key` attribute; an unusable one is a server fault.
pub fn parse_public_key(text: &str) -> Result<DevicePublicKey, device_auth::PublicKeyError> {
    DevicePublicKey::from_table_base64(text)
}

/// Seconds since the Unix epoch on the server's clock.
pub use ffce_core::device_auth::now_unix_secs;

/// What a verified request signed: its nonce and its time.
#[derive(Clone, Copy)]
pub struct Signed {
    /// The nonce's bytes.
    pub nonce: [u8; NONCE_LEN],
    /// The request's timestamp, in Unix seconds.
    pub unix_secs: i64,
}

/// Checks the request's headers for the device `path_uuid` (the path parameter as
/// sent) registered with `public_key`; the refusal is the §7 answer (400, 401, 403)
/// whose message names the header and the problem, never a header's value.
pub fn check(
    request: &Request,
    path_uuid: &str,
    public_key: &DevicePublicKey,
) -> Result<Signed, Refusal> {
    // Header names are case-insensitive (`http` lowercases them); a value that is not
    // visible ASCII is no valid value, and counts as absent.
    let header = |name: &str| request.headers().get(name).and_then(|v| v.to_str().ok());
    let raw = RawAuthHeaders {
        uuid: header(UUID_HEADER),
        nonce: header(NONCE_HEADER),
        timestamp: header(TIMESTAMP_HEADER),
        signature: header(SIGNATURE_HEADER),
    };
    AuthHeaders::parse(path_uuid, raw, now_unix_secs())
        .and_then(|headers| {
            device_auth::verify(public_key, &headers)?;
            // Parsed once already; it cannot fail here.
            let unix_secs = device_auth::parse_timestamp(headers.timestamp())?;
            Ok(Signed {
                nonce: *headers.nonce(),
                unix_secs,
            })
        })
        .map_err(|e| Refusal::new(e.http_status(), e.to_string()))
}
