//! Opening arbitrary blobs with a fixed key (FFCE-SPEC §1): `Key::open`,
//! `Key::open_in_place` and `Key::open_vec` must agree on every input.
//!
//! The key is the fixtures' backup key (master secret `11` x 32, purpose `backup`), so the
//! seed corpus (fixtures/vectors) holds blobs that open, and the success path is covered.
//!
//! Properties:
//! - the three entry points return the same result and the same plaintext;
//! - on failure no plaintext is left anywhere: a structural error (equal to `Blob::parse`'s)
//!   leaves the `open_in_place` buffer untouched; an authentication failure leaves its
//!   header untouched and its body wiped to zeros (the contract since the `ring` backend
//!   decrypts in one pass);
//! - on success, sealing the plaintext again under the header's nonce (both `seal_with_nonce`
//!   and `seal_in_place_with_nonce`) reproduces the input exactly: the header's nonce and
//!   length, and the tag, are fully determined by the key and plaintext;
//! - independently of the above, the input used as a *plaintext* seals and opens back to
//!   itself, and flipping one bit of that blob (chosen by the input) makes it fail.
#![no_main]

use std::sync::LazyLock;

use ffce_core::{Blob, Error, Key, MasterSecret, Purpose, format::HEADER_LEN, keys::{buffer_with_header_room, Nonce}};
use libfuzzer_sys::fuzz_target;

static KEY: LazyLock<Key> =
    LazyLock::new(|| MasterSecret::from_bytes([0x11; 32]).derive(Purpose::Backup));

fuzz_target!(|data: &[u8]| {
    let key = &*KEY;

    let opened = key.open(data);
    let mut in_place_buf = data.to_vec();
    let in_place = key.open_in_place(&mut in_place_buf).map(|p| p.to_vec());
    let from_vec = key.open_vec(data.to_vec());

    match (&opened, &in_place, &from_vec) {
        (Ok(a), Ok(b), Ok(c)) => {
            assert_eq!(&a[..], &b[..]);
            assert_eq!(&a[..], &c[..]);
            // The buffer now holds header + plaintext.
            assert_eq!(in_place_buf[..HEADER_LEN], data[..HEADER_LEN]);
            assert_eq!(&in_place_buf[HEADER_LEN..], &a[..]);

            let header = *Blob::parse(data).expect("opened blobs parse").header();
            assert_eq!(header.plaintext_len() as usize, a.len());
            let nonce = Nonce::assume_unique_for_key(*header.nonce());

            let resealed = key.seal_with_nonce(nonce, a).expect("seal");
            assert_eq!(resealed, data, "re-sealing does not reproduce the blob");

            let mut buf = buffer_with_header_room(a.len());
            buf.extend_from_slice(a);
            key.seal_in_place_with_nonce(nonce, &mut buf)
                .expect("seal in place");
            assert_eq!(buf, data, "re-sealing in place does not reproduce the blob");
        }
        (Err(a), Err(b), Err(c)) => {
            assert_eq!(a, b);
            assert_eq!(a, c);
            // A failed open leaves no plaintext in the caller's buffer, not even a
            // partial or unauthenticated one.
            match Blob::parse(data) {
                Ok(_) => {
                    assert_eq!(*a, Error::AuthenticationFailed);
                    assert_eq!(in_place_buf[..HEADER_LEN], data[..HEADER_LEN]);
                    assert!(
                        in_place_buf[HEADER_LEN..].iter().all(|b| *b == 0),
                        "failed open_in_place did not wipe the body"
                    );
                }
                Err(structural) => {
                    assert_eq!(*a, structural);
                    assert_eq!(
                        in_place_buf, data,
                        "open_in_place modified a structurally invalid blob"
                    );
                }
            }
            assert!(a.is_integrity_failure());
        }
        _ => panic!(
            "open / open_in_place / open_vec disagree: {:?} {:?} {:?}",
            opened.as_ref().err(),
            in_place.as_ref().err(),
            from_vec.as_ref().err()
        ),
    }

    // The input as a plaintext: seal, open, tamper.
    let mut nonce = [0u8; 12];
    for (n, b) in nonce.iter_mut().zip(data) {
        *n = *b;
    }
    let sealed = key
        .seal_with_nonce(Nonce::assume_unique_for_key(nonce), data)
        .expect("inputs are far below 4 GiB");
    assert_eq!(sealed.len(), HEADER_LEN + data.len());
    assert_eq!(&key.open(&sealed).expect("own blob opens")[..], data);

    // Flip one bit anywhere in the blob: any change must be rejected. (Changing the
    // magic, version or length is a structural error; anything else fails the tag.)
    let seed = data.iter().fold(0usize, |acc, b| {
        acc.wrapping_mul(31).wrapping_add(*b as usize)
    });
    let mut tampered = sealed.clone();
    let at = seed % tampered.len();
    tampered[at] ^= 1 << (seed % 8);
    assert!(
        key.open(&tampered).is_err(),
        "a tampered blob opened (byte {at})"
    );
    let mut tampered_in_place = tampered.clone();
    assert!(key.open_in_place(&mut tampered_in_place).is_err());
    assert_eq!(tampered_in_place[..HEADER_LEN], tampered[..HEADER_LEN]);
});
