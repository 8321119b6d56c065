//! The properties the fuzz targets check, written once. The targets in `fuzz/` include
//! this file (`#[path]`) and call one function per input libFuzzer makes;
//! `tests/fuzz_regressions.rs` calls the same functions on the fixtures, edge inputs and
//! every input a target ever crashed on, so `cargo test` guards them without a fuzzing
//! toolchain. Each function panics, naming the property, when one does not hold.

use bytes::Bytes;
use ffce_core::format::{BlobBytes, HEADER_LEN, MAGIC, VERSION};
use ffce_core::keys::{Nonce, buffer_with_header_room};
use ffce_core::upload::{MAX_BLOB_LEN, MAX_PLAINTEXT_LEN, validate_upload};
use ffce_core::{Blob, Error, Header, Key, inspect};

/// Keyless structural parsing (docs/SPEC.md §1): `Blob::parse`, `BlobBytes::parse`,
/// `Header::read` and `inspect` on arbitrary bytes.
///
/// Beyond "never panics", the parsers must agree with each other:
/// - `inspect(b).is_valid() == Blob::parse(b).is_ok()`, and when parsing fails its error is
///   the first problem `inspect` lists (both follow the spec's order);
/// - every decoded header field round-trips through `Header::to_bytes` to the input bytes;
/// - a parsed blob covers exactly the input (header + `plaintext_len` bytes of ciphertext);
/// - every error is an integrity failure with a stable code and a printable message.
pub fn header(data: &[u8]) {
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
}

/// Opening arbitrary blobs with `key` (docs/SPEC.md §1): `Key::open`, `Key::open_in_place`
/// and `Key::open_vec` must agree on every input.
///
/// The target and the regression tests use the fixtures' backup key (master secret `11` x
/// 32, purpose `backup`), so the fixtures hold blobs that open and the success path is
/// covered.
///
/// Properties:
/// - the three entry points return the same result and the same plaintext;
/// - on failure no plaintext is left anywhere: a structural error (equal to `Blob::parse`'s)
///   leaves the `open_in_place` buffer untouched; an authentication failure leaves its
///   header untouched and its body wiped to zeros (the contract since the `ring` backend
///   decrypts in one pass);
/// - on success, sealing the plaintext again under the header's nonce (both `seal_with_nonce`
///   and `seal_in_place_with_nonce`) reproduces the input exactly: the header's nonce and
///   length, and the tag, are fully determined by the key and plaintext;
/// - independently of the above, the input used as a *plaintext* seals and opens back to
///   itself, and flipping one bit of that blob (chosen by the input) makes it fail.
pub fn open(key: &Key, data: &[u8]) {
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
}

/// The spec's rules, written independently of `ffce_core::upload::validate_upload`.
pub fn upload_model(body: &[u8]) -> Result<(), Error> {
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

/// The cloud's upload check (docs/SPEC.md §3): `validate_upload` on arbitrary bodies.
///
/// Never panics; `Ok` means the body is non-empty, at most `MAX_BLOB_LEN` bytes and
/// structurally valid (`Blob::parse` agrees); every error is the one the spec's order
/// gives: empty (400), too large (413), wrong magic prefix (400), then the structural
/// error `Blob::parse` reports. The expected result is computed here by a separate model.
pub fn upload(data: &[u8]) {
    let got = validate_upload(data);
    assert_eq!(got.map(|_| ()).map_err(Error::from), upload_model(data));
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
            assert_eq!(
                e.http_status(),
                if e.code() == "too_large" { 413 } else { 400 }
            );
            assert!(!e.to_string().is_empty());
        }
    }
}
