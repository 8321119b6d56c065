//! The device authentication tests: keys and key files, the headers' checks in spec
//! order, the signature, the timestamp and the window.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use p256::ecdsa::DerSignature;
use p256::ecdsa::signature::Verifier as _;
use p256::pkcs8::EncodePrivateKey as _;

use crate::layout::DeviceId;

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

/// The `ring` backend must give the same answer as `p256` on every signature a request
/// can carry: genuine ones, high-S twins of them, ones over another message, by another
/// key, or with one byte of the DER altered (where the result still parses as DER).
#[cfg(feature = "ring-verify")]
mod backends_agree {
    use super::headers::{verify_p256, verify_ring};
    use super::*;
    use p256::ecdsa::Signature;
    use p256::ecdsa::signature::Signer as _;
    use proptest::prelude::*;

    fn both(key: &DevicePublicKey, message: &[u8], signature: &DerSignature) -> (bool, bool) {
        (
            verify_p256(key, message, signature),
            verify_ring(key, message, signature),
        )
    }

    /// The same signature with `s` replaced by `n - s`: ECDSA's other valid form.
    fn high_s(signature: &DerSignature) -> DerSignature {
        let fixed = Signature::from_der(signature.as_bytes()).unwrap();
        let (r, s) = fixed.split_scalars();
        Signature::from_scalars(r.to_bytes(), (-s).to_bytes())
            .unwrap()
            .to_der()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn on_every_signature(
            scalar in prop::array::uniform32(1u8..),
            other_scalar in prop::array::uniform32(1u8..),
            message in prop::collection::vec(any::<u8>(), 0..80),
            flip_at in any::<usize>(),
            flip in 1u8..,
        ) {
            let (Ok(signer), Ok(other)) = (
                DeviceSigningKey::from_scalar_bytes(&scalar),
                DeviceSigningKey::from_scalar_bytes(&other_scalar),
            ) else {
                return Ok(());
            };
            let key = signer.public_key();
            let signature: DerSignature = signer.0.sign(&message);
            prop_assert_eq!(both(&key, &message, &signature), (true, true));
            prop_assert_eq!(both(&key, &message, &high_s(&signature)), (true, true));
            let mut altered_message = message.clone();
            altered_message.push(flip);
            prop_assert_eq!(both(&key, &altered_message, &signature), (false, false));
            if other.public_key() != key {
                prop_assert_eq!(both(&other.public_key(), &message, &signature), (false, false));
            }
            let mut bytes = signature.as_bytes().to_vec();
            let at = flip_at % bytes.len();
            bytes[at] ^= flip;
            if let Ok(altered) = DerSignature::try_from(bytes.as_slice()) {
                let (p256, ring) = both(&key, &message, &altered);
                prop_assert_eq!(p256, ring, "byte {} ^ {:#04x}", at, flip);
            }
        }
    }
}
