//! Keyless structural parsing (FFCE-SPEC §1): `Blob::parse`, `BlobBytes::parse`,
//! `Header::read` and `inspect` on arbitrary bytes.
//!
//! Beyond "never panics", the parsers must agree with each other:
//! - `inspect(b).is_valid() == Blob::parse(b).is_ok()`, and when parsing fails its error is
//!   the first problem `inspect` lists (both follow the spec's order);
//! - every decoded header field round-trips through `Header::to_bytes` to the input bytes;
//! - a parsed blob covers exactly the input (header + `plaintext_len` bytes of ciphertext);
//! - every error is an integrity failure with a stable code and a printable message.
#![no_main]

use bytes::Bytes;
use ffce_core::{Blob, Error, Header, inspect, format::{BlobBytes, HEADER_LEN, MAGIC, VERSION}};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let report = inspect(data);
    let parsed = Blob::parse(data);

    assert_eq!(report.blob_len, data.len());
    assert_eq!(report.is_valid(), parsed.is_ok());
    assert_eq!(report.header, Header::read(data).ok());

    // The decoded header is exactly the first 37 bytes.
    match &report.header {
        Some(header) => {
            assert!(data.len() >= HEADER_LEN);
            assert_eq!(header.to_bytes()[..], data[..HEADER_LEN]);
            assert_eq!(Header::read(&header.to_bytes()), Ok(*header));
        }
        None => {
            assert!(data.len() < HEADER_LEN);
            assert_eq!(
                report.problems.first(),
                Some(&Error::TooShort { len: data.len() })
            );
        }
    }

    match &parsed {
        Ok(blob) => {
            let header = blob.header();
            assert_eq!(header.magic(), MAGIC);
            assert_eq!(header.version(), VERSION);
            assert_eq!(blob.len(), data.len());
            assert_eq!(blob.ciphertext(), &data[HEADER_LEN..]);
            assert_eq!(header.plaintext_len() as usize, blob.ciphertext().len());
            assert_eq!(blob.is_empty(), blob.ciphertext().is_empty());
            assert_eq!(Some(*header), report.header);
        }
        Err(e) => assert_eq!(report.problems.first(), Some(e)),
    }

    // The shared-buffer parser agrees with the borrowing one.
    let shared = BlobBytes::parse(Bytes::copy_from_slice(data));
    match (&parsed, &shared) {
        (Ok(blob), Ok(owned)) => {
            assert_eq!(owned.as_blob(), *blob);
            assert_eq!(owned.header(), blob.header());
            assert_eq!(&owned.ciphertext()[..], blob.ciphertext());
            assert_eq!(&owned.as_bytes()[..], data);
        }
        (Err(a), Err(b)) => assert_eq!(a, b),
        _ => panic!("Blob::parse and BlobBytes::parse disagree"),
    }

    // Every structural problem is an integrity failure and prints without panicking.
    for problem in &report.problems {
        assert!(problem.is_integrity_failure());
        assert!(!problem.code().is_empty());
        assert!(!problem.to_string().is_empty());
        let _ = format!("{problem:?}");
    }
    // No duplicates: each problem kind is reported at most once.
    for (i, a) in report.problems.iter().enumerate() {
        for b in &report.problems[i + 1..] {
            assert_ne!(a.code(), b.code());
        }
    }
});
