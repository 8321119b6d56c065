//! The fixture kit in `fixtures/`, made by an independent Python implementation
//! (`fixtures/generate.py`), run through ffce-core.
//!
//! Every vector names the expected outcome of three operations: a structural parse
//! (`structure`), the cloud's upload rules (`upload`) and opening with the recorded
//! master secret and purpose (`open`). Each must match exactly, error variant included.
//! Positive vectors must also be reproduced byte for byte by `seal_with_nonce`, which
//! proves interoperability in both directions.

use std::path::{Path, PathBuf};

use ffce_core::{Blob, Error, Key, MasterSecret, Purpose, keys::Nonce, upload::validate_upload};
use serde::Deserialize;
use sha2::{Digest, Sha256};

#[derive(Deserialize)]
struct Manifest {
    kdf_check: KdfCheck,
    vectors: Vec<Vector>,
}

#[derive(Deserialize)]
struct KdfCheck {
    master_secret: String,
    purpose: String,
    key: String,
}

#[derive(Deserialize)]
struct Vector {
    name: String,
    file: String,
    purpose: String,
    master_secret: String,
    key: String,
    nonce: Option<String>,
    plaintext_len: Option<usize>,
    plaintext_sha256: Option<String>,
    plaintext_file: Option<String>,
    plaintext_pattern: Option<String>,
    blob_len: usize,
    blob_sha256: String,
    structure: String,
    upload: String,
    open: String,
    mutation: Option<String>,
}

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures")
}

fn load_manifest() -> Manifest {
    let text = std::fs::read_to_string(fixtures_dir().join("manifest.json")).expect("manifest");
    serde_json::from_str(&text).expect("manifest parses")
}

fn purpose(name: &str) -> Purpose {
    match name {
        "backup" => Purpose::Backup,
        "configfs" => Purpose::ConfigFs,
        other => panic!("unknown purpose {other}"),
    }
}

fn master(hex_secret: &str) -> MasterSecret {
    MasterSecret::try_from_slice(&hex::decode(hex_secret).unwrap()).unwrap()
}

fn outcome<T>(result: Result<T, Error>) -> String {
    match result {
        Ok(_) => "ok".to_string(),
        Err(e) => e.code().to_string(),
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn expected_plaintext(v: &Vector) -> Option<Vec<u8>> {
    if let Some(file) = &v.plaintext_file {
        return Some(std::fs::read(fixtures_dir().join(file)).unwrap());
    }
    match v.plaintext_pattern.as_deref() {
        Some("mod251") => Some(
            (0..v.plaintext_len.unwrap())
                .map(|i| (i % 251) as u8)
                .collect(),
        ),
        Some(other) => panic!("unknown pattern {other}"),
        None => None,
    }
}

#[test]
fn kdf_check_value_matches() {
    let m = load_manifest();
    let derived =
        master(&m.kdf_check.master_secret).derive_key_bytes(purpose(&m.kdf_check.purpose));
    assert_eq!(hex::encode(derived.expose_secret()), m.kdf_check.key);
}

#[test]
fn every_vector_has_its_expected_outcomes() {
    let m = load_manifest();
    assert!(m.vectors.len() >= 20, "manifest lost vectors");
    let mut seen_errors = std::collections::BTreeSet::new();
    for v in &m.vectors {
        let blob = std::fs::read(fixtures_dir().join(&v.file)).unwrap();
        let name = &v.name;
        assert_eq!(blob.len(), v.blob_len, "{name}: blob length");
        assert_eq!(sha256_hex(&blob), v.blob_sha256, "{name}: blob digest");

        // The derivation the manifest records must be the one ffce computes.
        let secret = master(&v.master_secret);
        let p = purpose(&v.purpose);
        assert_eq!(
            hex::encode(secret.derive_key_bytes(p).expose_secret()),
            v.key,
            "{name}: key"
        );
        let key = secret.derive(p);

        assert_eq!(
            outcome(Blob::parse(&blob)),
            v.structure,
            "{name}: structure"
        );
        assert_eq!(
            outcome(validate_upload(&blob).map_err(Error::from)),
            v.upload,
            "{name}: upload"
        );
        let opened = key.open(&blob);
        assert_eq!(
            outcome(opened.as_ref().map(|_| ()).map_err(|e| *e)),
            v.open,
            "{name}: open"
        );
        // The zero-copy and in-place paths must agree with the allocating one.
        assert_eq!(
            outcome(key.open_vec(blob.clone())),
            v.open,
            "{name}: open_vec"
        );
        let mut in_place = blob.clone();
        assert_eq!(
            outcome(key.open_in_place(&mut in_place)),
            v.open,
            "{name}: open_in_place"
        );

        for code in [&v.structure, &v.upload, &v.open] {
            seen_errors.insert(code.clone());
        }

        if let Ok(plaintext) = opened {
            assert_eq!(
                Some(plaintext.len()),
                v.plaintext_len,
                "{name}: plaintext length"
            );
            assert_eq!(
                Some(sha256_hex(&plaintext)),
                v.plaintext_sha256,
                "{name}: plaintext digest"
            );
        }

        // Unmutated, authentic vectors: sealing the same plaintext under the same nonce
        // must give the Python implementation's bytes exactly.
        if v.open == "ok" && v.mutation.is_none() {
            let plaintext = expected_plaintext(v).expect("positive vectors carry their plaintext");
            let nonce: [u8; 12] = hex::decode(v.nonce.as_ref().unwrap())
                .unwrap()
                .try_into()
                .unwrap();
            let sealed = key
                .seal_with_nonce(Nonce::assume_unique_for_key(nonce), &plaintext)
                .unwrap();
            assert!(
                sealed == blob,
                "{name}: seal does not reproduce the fixture"
            );
        }
    }
    // The kit must exercise every blob error the spec defines.
    for code in [
        "ok",
        "too_short",
        "bad_magic",
        "unsupported_version",
        "length_mismatch",
        "authentication_failed",
        "empty",
        "too_large",
    ] {
        assert!(seen_errors.contains(code), "no fixture produces {code}");
    }
}

#[test]
fn length_mismatch_reports_both_numbers() {
    let m = load_manifest();
    for name in ["truncated-body", "trailing-bytes"] {
        let v = m.vectors.iter().find(|v| v.name == name).unwrap();
        let blob = std::fs::read(fixtures_dir().join(&v.file)).unwrap();
        match Blob::parse(&blob) {
            Err(Error::LengthMismatch { declared, actual }) => {
                assert_eq!(actual, blob.len() - 37);
                assert_ne!(declared as usize, actual);
                let msg = Error::LengthMismatch { declared, actual }.to_string();
                assert!(
                    msg.contains(&declared.to_string()) && msg.contains(&actual.to_string()),
                    "{msg}"
                );
            }
            other => panic!("{name}: {other:?}"),
        }
    }
}

#[test]
fn wrong_key_is_an_authentication_failure_not_a_panic() {
    // An imported key that is not the device's.
    let m = load_manifest();
    let v = m.vectors.iter().find(|v| v.name == "dexie-backup").unwrap();
    let blob = std::fs::read(fixtures_dir().join(&v.file)).unwrap();
    let wrong = Key::from_bytes(&[0u8; 32]);
    assert_eq!(wrong.open(&blob).unwrap_err(), Error::AuthenticationFailed);
}
