//! The cloud's upload check (FFCE-SPEC §3): `validate_upload` on arbitrary bodies.
//!
//! Never panics; `Ok` means the body is non-empty, at most `MAX_BLOB_LEN` bytes and
//! structurally valid (`Blob::parse` agrees); every error is the one the spec's order
//! gives: empty (400), too large (413), wrong magic prefix (400), then the structural
//! error `Blob::parse` reports. The expected result is computed here by a separate model.
#![no_main]

use ffce_core::{Blob, Error, format::MAGIC, upload::{MAX_BLOB_LEN, MAX_PLAINTEXT_LEN, validate_upload}};
use libfuzzer_sys::fuzz_target;

/// The spec's rules, written independently of `ffce_core::upload::validate_upload`.
fn model(body: &[u8]) -> Result<(), Error> {
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

fuzz_target!(|data: &[u8]| {
    let got = validate_upload(data);
    assert_eq!(got.map(|_| ()).map_err(Error::from), model(data));
    match got {
        Ok(blob) => {
            assert!(!data.is_empty());
            assert!(data.len() <= MAX_BLOB_LEN);
            assert!(blob.ciphertext().len() <= MAX_PLAINTEXT_LEN);
            assert_eq!(Blob::parse(data), Ok(blob));
            assert_eq!(blob.len(), data.len());
        }
        Err(e) => {
            assert!(Error::from(e).is_integrity_failure());
            assert_eq!(e.http_status(), if e.code() == "too_large" { 413 } else { 400 });
            assert!(!e.to_string().is_empty());
        }
    }
});
