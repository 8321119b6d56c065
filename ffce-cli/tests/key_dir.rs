//! `--key-dir DIR` on loose files and on `put`: the folder of per-device master secrets
//! that `ffce audit` reads (`DIR/{uuid}.key`). For a loose blob (`inspect`, `verify`,
//! `decrypt`) the device whose key opens it is found and named; for `put UUID FILE`
//! the target device's key is the one that must open the blob (or seal it).

use std::path::{Path, PathBuf};

use crate::common::*;

/// A key folder with DEVICE's master secret (0x11 × 32, the fixtures' key) and OTHER's
/// (0x22 × 32), plus a file that is no device's key.
fn key_folder(dir: &Path) -> PathBuf {
    let keys = dir.join("keys");
    std::fs::create_dir(&keys).unwrap();
    std::fs::write(keys.join(format!("{DEVICE}.key")), "11".repeat(32)).unwrap();
    std::fs::write(keys.join(format!("{OTHER}.key")), "22".repeat(32)).unwrap();
    std::fs::write(keys.join("README"), "not a key").unwrap();
    keys
}

/// A blob sealed with the backup key of the master secret `byte` × 32.
fn sealed_with(dir: &Path, name: &str, byte: u8, plaintext: &[u8]) -> PathBuf {
    let key = ffce_core::MasterSecret::from_bytes([byte; 32]).derive(ffce_core::Purpose::Backup);
    let path = dir.join(name);
    std::fs::write(&path, key.seal(plaintext).unwrap()).unwrap();
    path
}

#[test]
fn inspect_names_the_device_whose_key_opens_a_loose_blob() {
    let dir = temp_dir();
    let keys = key_folder(dir.path());
    let other = sealed_with(dir.path(), "other.ffce", 0x22, &restorable_plaintext());
    let report = run(["inspect", "--json", "--key-dir", s(&keys), s(&other)]);
    report.expect_code(0);
    let text = report.out();
    assert!(
        text.contains("\"authenticated\": true") || text.contains("\"authenticated\":true"),
        "{text}"
    );
    assert!(text.contains(OTHER), "the report names the device: {text}");

    // A blob no key in the folder opens: authentication failed, exit 4, in words.
    let foreign = sealed_with(dir.path(), "foreign.ffce", 0x33, &restorable_plaintext());
    let failed = run(["inspect", "--key-dir", s(&keys), s(&foreign)]);
    failed.expect_code(4);
    assert!(
        failed.all().contains("no device key in --key-dir"),
        "{}",
        failed.all()
    );
    assert!(!failed.all().contains("no key given"), "{}", failed.all());
}

#[test]
fn verify_and_decrypt_find_each_blobs_key() {
    let dir = temp_dir();
    let keys = key_folder(dir.path());
    let plaintext = restorable_plaintext();
    let mine = sealed_with(dir.path(), "mine.ffce", 0x11, &plaintext);
    let other = sealed_with(dir.path(), "other.ffce", 0x22, &plaintext);
    let foreign = sealed_with(dir.path(), "foreign.ffce", 0x33, &plaintext);

    let ok = run(["verify", "--key-dir", s(&keys), s(&mine), s(&other)]);
    ok.expect_code(0);
    let with_foreign = run(["verify", "--key-dir", s(&keys), s(&mine), s(&foreign)]);
    with_foreign.expect_code(4);

    let out = dir.path().join("plain.json");
    run(["decrypt", "--key-dir", s(&keys), s(&other), "-o", s(&out)]).expect_code(0);
    assert_eq!(std::fs::read(&out).unwrap(), plaintext);
    let not_out = dir.path().join("not.json");
    let refused = run([
        "decrypt",
        "--key-dir",
        s(&keys),
        s(&foreign),
        "-o",
        s(&not_out),
    ]);
    refused.expect_code(4);
    assert!(
        refused.all().contains("no device key in it opens"),
        "{}",
        refused.all()
    );
    assert!(!not_out.exists(), "nothing written");

    // encrypt has no device to pick a key for: refused, naming the flag to use.
    let enc = run([
        "encrypt",
        "--key-dir",
        s(&keys),
        s(&out),
        "-o",
        s(&dir.path().join("x")),
    ]);
    enc.expect_code(2);
    assert!(enc.all().contains("--master-key-file"), "{}", enc.all());
}

#[test]
fn put_uses_the_target_devices_key_from_the_folder() {
    let dir = temp_dir();
    let keys = key_folder(dir.path());
    let root = dir.path().join("store");
    std::fs::create_dir(&root).unwrap();
    let plaintext = restorable_plaintext();
    let others_blob = sealed_with(dir.path(), "other.ffce", 0x22, &plaintext);

    // OTHER's blob put for DEVICE does not open with DEVICE's key: exit 4, nothing stored.
    let refused = run([
        "put",
        "--dir",
        s(&root),
        DEVICE,
        s(&others_blob),
        "--key-dir",
        s(&keys),
    ]);
    refused.expect_code(4);
    let got = run(["get", "--dir", s(&root), DEVICE]);
    got.expect_code(3);

    // The same blob for OTHER opens: stored, with its plaintext digest.
    let stored = run([
        "put",
        "--json",
        "--dir",
        s(&root),
        OTHER,
        s(&others_blob),
        "--key-dir",
        s(&keys),
    ]);
    stored.expect_code(0);
    assert!(
        stored.out().contains(&sha256_hex(&plaintext)),
        "{}",
        stored.out()
    );

    // --encrypt seals with the target's key from the folder.
    let plain = dir.path().join("plain.json");
    std::fs::write(&plain, &plaintext).unwrap();
    run([
        "put",
        "--dir",
        s(&root),
        DEVICE,
        s(&plain),
        "--encrypt",
        "--key-dir",
        s(&keys),
    ])
    .expect_code(0);
    let fetched = dir.path().join("fetched.ffce");
    run(["get", "--dir", s(&root), DEVICE, "-o", s(&fetched)]).expect_code(0);
    let blob = std::fs::read(&fetched).unwrap();
    let key = ffce_core::MasterSecret::from_bytes([0x11; 32]).derive(ffce_core::Purpose::Backup);
    assert_eq!(&*key.open(&blob).unwrap(), plaintext.as_slice());

    // A device without a key file: not found (exit 3), naming the file expected.
    let third = "0b3e2f1a-7c6d-4e5f-8a9b-cdef01234567";
    let missing = run([
        "put",
        "--dir",
        s(&root),
        third,
        s(&plain),
        "--encrypt",
        "--key-dir",
        s(&keys),
    ]);
    missing.expect_code(3);
    assert!(
        missing.all().contains(&format!("{third}.key")),
        "{}",
        missing.all()
    );
}
