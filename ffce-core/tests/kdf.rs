//! Key derivation through the public API: the cross-check value of docs/SPEC.md §2, the
//! labels, and key material of the wrong length. RFC 5869's HKDF-SHA256 cases and
//! Wycheproof's HKDF-SHA256 vectors run against the HKDF primitive itself, in the unit
//! tests of `src/keys.rs`.

use ffce_core::{Error, Key, MasterSecret, Purpose, keys::Nonce};

#[test]
fn spec_cross_check_value() {
    let master = MasterSecret::from_bytes([0x11; 32]);
    let key = master.derive_key_bytes(Purpose::Backup);
    assert_eq!(
        hex::encode(key.expose_secret()),
        "fa38e736ef4d08926fdf50970b942048c3c8c7cc49cbc9fb951b4a76e2333c0d"
    );
}

#[test]
fn purposes_have_distinct_labels_and_keys() {
    assert_eq!(Purpose::Backup.label(), "firefly-backup-v1");
    assert_eq!(Purpose::ConfigFs.label(), "firefly-configfs-v1");
    let master = MasterSecret::from_bytes([0x11; 32]);
    let backup = master.derive_key_bytes(Purpose::Backup);
    let configfs = master.derive_key_bytes(Purpose::ConfigFs);
    assert_ne!(backup.expose_secret(), configfs.expose_secret());
}

#[test]
fn derived_key_equals_imported_bytes_of_same_derivation() {
    let master = MasterSecret::from_bytes([0x22; 32]);
    let derived = master.derive(Purpose::ConfigFs);
    let imported = Key::from(master.derive_key_bytes(Purpose::ConfigFs));
    let nonce = Nonce::assume_unique_for_key([9; 12]);
    let a = derived.seal_with_nonce(nonce, b"config").unwrap();
    let b = imported.seal_with_nonce(nonce, b"config").unwrap();
    assert_eq!(a, b);
}

#[test]
fn key_material_of_wrong_length_is_refused_with_its_length() {
    assert_eq!(
        MasterSecret::try_from_slice(&[1; 31]).unwrap_err(),
        Error::BadKeyLength { len: 31 }
    );
    assert_eq!(
        Key::try_from_slice(&[1; 33]).unwrap_err(),
        Error::BadKeyLength { len: 33 }
    );
    let err = Key::try_from_slice(&[]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "key material is 0 bytes, expected exactly 32"
    );
}

#[test]
fn debug_output_never_shows_key_bytes() {
    // 0xab repeated is easy to spot in any rendering: decimal 171, hex ab.
    let master = MasterSecret::from_bytes([0xab; 32]);
    let bytes = master.derive_key_bytes(Purpose::Backup);
    let key = master.derive(Purpose::Backup);
    let imported = Key::from_bytes(&[0xab; 32]);
    let secret_hex = hex::encode(bytes.expose_secret());
    for rendered in [
        format!("{master:?}"),
        format!("{bytes:?}"),
        format!("{key:?}"),
        format!("{imported:?}"),
        format!("{master:#?} {key:#?}"),
    ] {
        assert!(!rendered.contains("171"), "{rendered}");
        assert!(!rendered.to_lowercase().contains("abab"), "{rendered}");
        assert!(!rendered.contains(&secret_hex[..8]), "{rendered}");
    }
    assert_eq!(
        format!("{key:?}"),
        "Key { algorithm: \"AES-256-GCM\", origin: Derived(Backup), .. }"
    );
}
