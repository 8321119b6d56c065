//! Properties of seal and open over arbitrary inputs (proptest).
//!
//! Round trips hold for any plaintext up to the cloud limit; any single-bit change to
//! the nonce, length, tag or ciphertext, any truncation and any appended bytes make
//! opening fail with the error the spec assigns, and never yield plaintext (a failed
//! in-place open wipes the body); no input makes any entry point panic.

use ffce_core::{
    Blob, Error, Key,
    format::HEADER_LEN,
    inspect,
    keys::{Nonce, buffer_with_header_room},
    upload::{MAX_PLAINTEXT_LEN, validate_upload},
};
use proptest::prelude::*;

fn key() -> Key {
    Key::from_bytes(&[0x5a; 32])
}

/// Plaintexts of every size class: mostly small, some near the cloud limit.
fn plaintext() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        8 => proptest::collection::vec(any::<u8>(), 0..2048),
        1 => (MAX_PLAINTEXT_LEN - 64..=MAX_PLAINTEXT_LEN)
            .prop_flat_map(|n| proptest::collection::vec(any::<u8>(), n..=n)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn seal_then_open_round_trips(pt in plaintext(), nonce in any::<[u8; 12]>()) {
        let key = key();
        let blob = key.seal_with_nonce(Nonce::assume_unique_for_key(nonce), &pt).unwrap();
        prop_assert_eq!(blob.len(), HEADER_LEN + pt.len());
        prop_assert!(validate_upload(&blob).is_ok());
        prop_assert_eq!(&*key.open(&blob).unwrap(), &pt[..]);

        // The in-place paths produce and accept the same bytes.
        let mut buf = buffer_with_header_room(pt.len());
        buf.extend_from_slice(&pt);
        key.seal_in_place_with_nonce(Nonce::assume_unique_for_key(nonce), &mut buf).unwrap();
        prop_assert_eq!(&buf, &blob);
        prop_assert_eq!(&*key.open_vec(buf).unwrap(), &pt[..]);
    }

    #[test]
    fn any_flipped_bit_after_the_version_is_detected(
        pt in proptest::collection::vec(any::<u8>(), 0..512),
        bit in any::<prop::sample::Index>(),
    ) {
        let key = key();
        let blob = key.seal_with_nonce(Nonce::assume_unique_for_key([3; 12]), &pt).unwrap();
        // Bytes 5.. are nonce, length, tag, ciphertext; magic and version are covered
        // by their own property below.
        let bits = (blob.len() - 5) * 8;
        let at = bit.index(bits);
        let mut bad = blob.clone();
        bad[5 + at / 8] ^= 1 << (at % 8);
        let expected = if (17..21).contains(&(5 + at / 8)) {
            let declared = u32::from_le_bytes(bad[17..21].try_into().unwrap());
            Error::LengthMismatch { declared, actual: pt.len() }
        } else {
            Error::AuthenticationFailed
        };
        prop_assert_eq!(key.open(&bad).unwrap_err(), expected);
        let mut in_place = bad.clone();
        prop_assert_eq!(key.open_in_place(&mut in_place).unwrap_err(), expected);
        prop_assert_eq!(&in_place[..HEADER_LEN], &bad[..HEADER_LEN]);
        if expected == Error::AuthenticationFailed {
            // Never plaintext: a body that failed authentication is wiped.
            prop_assert!(in_place[HEADER_LEN..].iter().all(|&b| b == 0));
        } else {
            // A structural failure is found before any decryption and touches nothing.
            prop_assert_eq!(in_place, bad);
        }
    }

    #[test]
    fn magic_and_version_changes_are_named(
        pt in proptest::collection::vec(any::<u8>(), 0..64),
        at in 0usize..5,
        flip in 1u8..=255,
    ) {
        let key = key();
        let mut blob = key.seal_with_nonce(Nonce::assume_unique_for_key([4; 12]), &pt).unwrap();
        blob[at] ^= flip;
        let err = key.open(&blob).unwrap_err();
        if at < 4 {
            prop_assert!(matches!(err, Error::BadMagic { .. }), "{:?}", err);
        } else {
            prop_assert_eq!(err, Error::UnsupportedVersion { version: 1 ^ flip });
        }
    }

    #[test]
    fn truncation_and_appending_are_length_mismatches(
        pt in proptest::collection::vec(any::<u8>(), 1..512),
        cut in any::<prop::sample::Index>(),
        extra in proptest::collection::vec(any::<u8>(), 1..64),
    ) {
        let key = key();
        let blob = key.seal_with_nonce(Nonce::assume_unique_for_key([5; 12]), &pt).unwrap();
        let keep = cut.index(blob.len());
        let truncated = &blob[..keep];
        let expected = if keep < HEADER_LEN {
            Error::TooShort { len: keep }
        } else {
            Error::LengthMismatch { declared: pt.len() as u32, actual: keep - HEADER_LEN }
        };
        prop_assert_eq!(key.open(truncated).unwrap_err(), expected);

        let mut longer = blob.clone();
        longer.extend_from_slice(&extra);
        prop_assert_eq!(
            key.open(&longer).unwrap_err(),
            Error::LengthMismatch { declared: pt.len() as u32, actual: pt.len() + extra.len() }
        );
    }

    #[test]
    fn no_input_panics(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        let key = key();
        let _ = Blob::parse(&bytes);
        let _ = validate_upload(&bytes);
        let report = inspect(&bytes);
        prop_assert_eq!(report.is_valid(), Blob::parse(&bytes).is_ok());
        prop_assert!(key.open(&bytes).is_err() || Blob::parse(&bytes).is_ok());
        let mut copy = bytes.clone();
        let _ = key.open_in_place(&mut copy);
    }
}

#[test]
fn empty_plaintext_has_a_verified_tag() {
    let key = key();
    let blob = key
        .seal_with_nonce(Nonce::assume_unique_for_key([6; 12]), b"")
        .unwrap();
    assert_eq!(blob.len(), HEADER_LEN);
    assert_ne!(
        &blob[21..37],
        &[0u8; 16],
        "GCM defines a real tag for the empty message"
    );
    assert!(key.open(&blob).unwrap().is_empty());
    // The firmware would accept this forgery; ffce must not.
    let mut forged = blob.clone();
    forged[21..37].copy_from_slice(&[0u8; 16]);
    assert_eq!(key.open(&forged).unwrap_err(), Error::AuthenticationFailed);
}

#[test]
fn seal_in_place_needs_room_for_the_header() {
    let mut small = vec![0u8; HEADER_LEN - 1];
    assert_eq!(
        key().seal_in_place_with_nonce(Nonce::assume_unique_for_key([0; 12]), &mut small),
        Err(Error::NoRoomForHeader { len: 36 })
    );
}

#[test]
fn inspect_lists_every_problem() {
    let key = key();
    let mut blob = key
        .seal_with_nonce(Nonce::assume_unique_for_key([7; 12]), b"abc")
        .unwrap();
    blob[0] = b'X';
    blob[4] = 2;
    blob.push(0);
    let report = inspect(&blob);
    let codes: Vec<_> = report.problems.iter().map(|e| e.code()).collect();
    assert_eq!(
        codes,
        ["bad_magic", "unsupported_version", "length_mismatch"]
    );
    assert_eq!(report.header.unwrap().plaintext_len(), 3);
}

#[test]
fn error_messages_name_the_numbers() {
    let cases = [
        (
            Error::TooShort { len: 12 },
            "blob is 12 bytes, shorter than the 37-byte FFCE header",
        ),
        (
            Error::BadMagic {
                found: *b"PK\x03\x04",
            },
            "bad magic: expected \"FFCE\", found 0x504b0304",
        ),
        (
            Error::UnsupportedVersion { version: 2 },
            "unsupported FFCE version 2 (only version 1 exists)",
        ),
        (
            Error::LengthMismatch {
                declared: 10,
                actual: 4,
            },
            "length mismatch (truncated): header declares 10 plaintext bytes, 4 bytes follow the header",
        ),
        (
            Error::TooLarge {
                len: 600_000,
                max: 524_288,
            },
            "blob is 600,000 bytes, over the 524,288-byte upload limit",
        ),
    ];
    for (err, msg) in cases {
        assert_eq!(err.to_string(), msg);
    }
}

#[test]
fn plaintext_debug_is_redacted() {
    let key = key();
    let blob = key.seal(b"mqtt-password=hunter2").unwrap();
    let pt = key.open(&blob).unwrap();
    let shown = format!("{pt:?}");
    assert_eq!(shown, "Plaintext(21 bytes, redacted)");
}
