//! Regression tests for the fuzz targets in `fuzz/`.
//!
//! The `header`, `open` and `upload` targets check properties, not just "no panic". The
//! properties are written once, in `fuzz_properties/`, which the targets include too;
//! here they run on every fixture blob and on a list of hand-picked edge inputs, so
//! `cargo test` (which needs no fuzzing toolchain) guards them.
//!
//! Any input a fuzz target ever crashed on goes into [`FOUND`] with the date, the target and
//! what it broke; none has been found so far.

mod fuzz_properties;

use std::path::Path;

use fuzz_properties as properties;

use ffce_core::{
    Blob, Key, MasterSecret, Purpose,
    format::{HEADER_LEN, MAGIC},
    keys::Nonce,
    upload::MAX_BLOB_LEN,
};
/// Inputs that crashed a fuzz target: (what it broke, the input). Empty so far.
const FOUND: &[(&str, &[u8])] = &[];

/// The key the `open` target uses: the fixtures' backup key (master secret `11` x 32).
fn fuzz_key() -> Key {
    MasterSecret::from_bytes([0x11; 32]).derive(Purpose::Backup)
}

/// A 37-byte v1 header with the given length field and zero nonce and tag, then `body`.
fn v1(plaintext_len: u32, body: &[u8]) -> Vec<u8> {
    let mut blob = MAGIC.to_vec();
    blob.push(1);
    blob.extend_from_slice(&[0; 12]);
    blob.extend_from_slice(&plaintext_len.to_le_bytes());
    blob.extend_from_slice(&[0; 16]);
    blob.extend_from_slice(body);
    blob
}

/// Edge inputs: lengths around the header, extreme length fields, near-magic prefixes.
fn edge_inputs() -> Vec<Vec<u8>> {
    let mut inputs = vec![
        Vec::new(),
        b"F".to_vec(),
        b"FFC".to_vec(),
        b"FFCE".to_vec(),
        b"FFCE\x01".to_vec(),
        b"FFCX\x02".to_vec(),
        vec![0; HEADER_LEN - 1],
        vec![0; HEADER_LEN],
        vec![0xff; HEADER_LEN + 1],
        v1(0, b""),
        v1(1, b""),
        v1(0, b"x"),
        v1(u32::MAX, b""),
        v1(u32::MAX, &[0; 64]),
        v1(0x8000_0000, b"abc"),
        v1(3, b"abc"),
    ];
    let mut v0 = v1(0, b"");
    v0[4] = 0;
    inputs.push(v0);
    let mut bad_magic_and_version = v1(2, b"xyz");
    bad_magic_and_version[0] = b'f';
    bad_magic_and_version[4] = 9;
    inputs.push(bad_magic_and_version);
    for &len in &[MAX_BLOB_LEN, MAX_BLOB_LEN + 1] {
        let body = len - HEADER_LEN;
        inputs.push(v1(body as u32, &vec![0; body]));
    }
    inputs
}

fn fixture_blobs() -> Vec<(String, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/vectors");
    let mut out: Vec<_> = std::fs::read_dir(&dir)
        .expect("fixtures/vectors")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "ffce"))
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&p).unwrap())
        })
        .collect();
    out.sort();
    assert!(out.len() >= 20, "fixtures lost vectors");
    out
}

/// Every input the properties run on: fixtures, edge cases, and past crashes.
fn all_inputs() -> Vec<(String, Vec<u8>)> {
    let mut inputs = fixture_blobs();
    for (i, input) in edge_inputs().into_iter().enumerate() {
        inputs.push((format!("edge #{i}"), input));
    }
    for (what, input) in FOUND {
        inputs.push(((*what).to_string(), input.to_vec()));
    }
    inputs
}

#[test]
fn header_properties_hold() {
    for (name, data) in all_inputs() {
        // Shown if the property panics on this input.
        eprintln!("input: {name}");
        properties::header(&data);
    }
}

#[test]
fn open_properties_hold() {
    let key = fuzz_key();
    let mut opened = 0;
    for (name, data) in all_inputs() {
        eprintln!("input: {name}");
        properties::open(&key, &data);
        opened += usize::from(key.open(&data).is_ok());
    }
    // The fixtures sealed with master 11 x 32 for backup open; the success path ran.
    assert!(opened >= 5, "only {opened} inputs opened");
}

#[test]
fn upload_matches_the_model() {
    for (name, data) in all_inputs() {
        eprintln!("input: {name}");
        properties::upload(&data);
    }
}

#[test]
fn one_flipped_bit_anywhere_is_rejected() {
    // The `open` target flips one bit of a blob it sealed; here every bit of small blobs.
    let key = fuzz_key();
    for plaintext in [&b""[..], b"x", b"{\"formatName\":\"dexie\"}"] {
        let blob = key
            .seal_with_nonce(Nonce::assume_unique_for_key([7; 12]), plaintext)
            .unwrap();
        for at in 0..blob.len() {
            for bit in 0..8 {
                let mut tampered = blob.clone();
                tampered[at] ^= 1 << bit;
                assert!(key.open(&tampered).is_err(), "byte {at} bit {bit} accepted");
                let mut in_place = tampered.clone();
                assert!(key.open_in_place(&mut in_place).is_err());
                if Blob::parse(&tampered).is_ok() {
                    // The tag failed: header kept, body wiped.
                    assert_eq!(in_place[..HEADER_LEN], tampered[..HEADER_LEN]);
                    assert!(in_place[HEADER_LEN..].iter().all(|b| *b == 0));
                } else {
                    // Magic, version or length broken: nothing touched.
                    assert_eq!(in_place, tampered, "byte {at} bit {bit}");
                }
            }
        }
    }
}
