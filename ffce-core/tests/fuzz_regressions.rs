//! Regression tests for the fuzz targets in `fuzz/` (issue 7).
//!
//! The `header`, `open` and `upload` targets check properties, not just "no panic". The same
//! properties are written here once more and run on every fixture blob and on a list of
//! hand-picked edge inputs, so `cargo test` (which needs no fuzzing toolchain) guards them.
//!
//! Any input a fuzz target ever crashed on goes into [`FOUND`] with the date, the target and
//! what it broke; none has been found so far (runs recorded in issue 7).

use std::path::Path;

use bytes::Bytes;
use ffce_core::{
    Blob, Error, Header, Key, MasterSecret, Purpose,
    format::{BlobBytes, HEADER_LEN, MAGIC},
    inspect,
    keys::{Nonce, buffer_with_header_room},
    upload::{MAX_BLOB_LEN, validate_upload},
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

/// The `header` target's properties.
fn header_properties(name: &str, data: &[u8]) {
    let report = inspect(data);
    let parsed = Blob::parse(data);
    assert_eq!(report.blob_len, data.len(), "{name}");
    assert_eq!(report.is_valid(), parsed.is_ok(), "{name}");
    assert_eq!(report.header, Header::read(data).ok(), "{name}");
    match &report.header {
        Some(h) => assert_eq!(h.to_bytes()[..], data[..HEADER_LEN], "{name}"),
        None => assert_eq!(
            report.problems.first(),
            Some(&Error::TooShort { len: data.len() }),
            "{name}"
        ),
    }
    match &parsed {
        Ok(blob) => {
            assert_eq!(blob.len(), data.len(), "{name}");
            assert_eq!(blob.ciphertext(), &data[HEADER_LEN..], "{name}");
            assert_eq!(
                blob.header().plaintext_len() as usize,
                blob.ciphertext().len(),
                "{name}"
            );
        }
        Err(e) => assert_eq!(report.problems.first(), Some(e), "{name}"),
    }
    let shared = BlobBytes::parse(Bytes::copy_from_slice(data));
    assert_eq!(
        shared.as_ref().map(BlobBytes::as_blob).map_err(|e| *e),
        parsed,
        "{name}"
    );
    for (i, problem) in report.problems.iter().enumerate() {
        assert!(problem.is_integrity_failure(), "{name}");
        assert!(!problem.to_string().is_empty(), "{name}");
        for other in &report.problems[i + 1..] {
            assert_ne!(problem.code(), other.code(), "{name}: listed twice");
        }
    }
}

/// The `open` target's properties.
fn open_properties(name: &str, key: &Key, data: &[u8]) {
    let opened = key.open(data);
    let mut buf = data.to_vec();
    let in_place = key.open_in_place(&mut buf).map(|p| p.to_vec());
    let from_vec = key.open_vec(data.to_vec());
    match (&opened, &in_place, &from_vec) {
        (Ok(a), Ok(b), Ok(c)) => {
            assert_eq!(&a[..], &b[..], "{name}");
            assert_eq!(&a[..], &c[..], "{name}");
            let header = *Blob::parse(data).unwrap().header();
            let nonce = Nonce::assume_unique_for_key(*header.nonce());
            assert_eq!(key.seal_with_nonce(nonce, a).unwrap(), data, "{name}");
            let mut again = buffer_with_header_room(a.len());
            again.extend_from_slice(a);
            key.seal_in_place_with_nonce(nonce, &mut again).unwrap();
            assert_eq!(again, data, "{name}");
        }
        (Err(a), Err(b), Err(c)) => {
            assert_eq!(a, b, "{name}");
            assert_eq!(a, c, "{name}");
            match Blob::parse(data) {
                // Authentication failed: header kept, body wiped, no plaintext left.
                Ok(_) => {
                    assert_eq!(*a, Error::AuthenticationFailed, "{name}");
                    assert_eq!(buf[..HEADER_LEN], data[..HEADER_LEN], "{name}");
                    assert!(
                        buf[HEADER_LEN..].iter().all(|b| *b == 0),
                        "{name}: not wiped"
                    );
                }
                // Structurally invalid: nothing was touched.
                Err(structural) => {
                    assert_eq!(*a, structural, "{name}");
                    assert_eq!(buf, data, "{name}: an invalid blob was modified");
                }
            }
        }
        _ => panic!("{name}: open paths disagree"),
    }
}

/// The `upload` target's model of FFCE-SPEC §3.
fn upload_model(body: &[u8]) -> Result<(), Error> {
    if body.is_empty() {
        return Err(Error::Empty);
    }
    if body.len() > MAX_BLOB_LEN {
        return Err(Error::TooLarge {
            len: body.len(),
            max: MAX_BLOB_LEN,
        });
    }
    if body.len() >= 4 && body[..4] != MAGIC {
        return Err(Error::BadMagic {
            found: [body[0], body[1], body[2], body[3]],
        });
    }
    Blob::parse(body).map(|_| ())
}

#[test]
fn header_properties_hold() {
    for (name, data) in all_inputs() {
        header_properties(&name, &data);
    }
}

#[test]
fn open_properties_hold() {
    let key = fuzz_key();
    let mut opened = 0;
    for (name, data) in all_inputs() {
        open_properties(&name, &key, &data);
        opened += usize::from(key.open(&data).is_ok());
    }
    // The fixtures sealed with master 11 x 32 for backup open; the success path ran.
    assert!(opened >= 5, "only {opened} inputs opened");
}

#[test]
fn upload_matches_the_model() {
    for (name, data) in all_inputs() {
        let got = validate_upload(&data);
        assert_eq!(
            got.map(|_| ()).map_err(Error::from),
            upload_model(&data),
            "{name}"
        );
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
