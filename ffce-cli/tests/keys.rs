//! Key material: every accepted key-file format, the environment fallbacks, the errors
//! (which must never show the key), permission warnings, `ffce key derive`.

use crate::common;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use common::*;

fn key_bytes() -> Vec<u8> {
    hex::decode(KEY_11).unwrap()
}

fn decrypt_one_byte(key_flag: &str, key_path: &str) -> Run {
    let v = vector("one-byte-backup");
    run([
        "decrypt",
        key_flag,
        key_path,
        v.path().to_str().unwrap(),
        "-o",
        "-",
    ])
}

#[test]
fn every_key_file_format_opens_the_blob() {
    let dir = temp_dir();
    let key = key_bytes();
    let mut raw_with_whitespace_edges = key.clone();
    // A raw key may start or end with bytes that are whitespace; they are key bytes.
    raw_with_whitespace_edges[0] = b'\n';
    raw_with_whitespace_edges[31] = b' ';
    let b64 = STANDARD.encode(&key);
    let formats: Vec<(&str, Vec<u8>)> = vec![
        ("hex", KEY_11.as_bytes().to_vec()),
        ("hex-newline", format!("{KEY_11}\n").into_bytes()),
        (
            "hex-upper-spaces",
            format!("  \t{}\r\n\n", KEY_11.to_uppercase()).into_bytes(),
        ),
        ("base64", b64.clone().into_bytes()),
        ("base64-newline", format!("{b64}\n").into_bytes()),
        (
            "base64-unpadded",
            b64.trim_end_matches('=').as_bytes().to_vec(),
        ),
        ("raw", key.clone()),
    ];
    for (name, contents) in formats {
        let path = write_file(dir.path(), name, &contents, 0o600);
        let run = decrypt_one_byte("--key-file", path.to_str().unwrap());
        run.expect_code(0);
        assert_eq!(run.stdout, b"F", "{name}");
        // No warning about the key (the plaintext "F" is not JSON, which the device
        // would not restore: that warning is expected).
        assert!(
            !run.stderr
                .lines()
                .any(|l| l.contains("warning") && !l.contains("the device will not restore")),
            "{name}: {}",
            run.stderr
        );
    }
    // The raw key with whitespace bytes at its ends is a different key: it must be
    // taken as 32 raw bytes (not trimmed), so it does not open this blob but is accepted.
    let path = write_file(dir.path(), "raw-edges", &raw_with_whitespace_edges, 0o600);
    let run = decrypt_one_byte("--key-file", path.to_str().unwrap());
    run.expect_code(4);

    // Master-secret files accept the same formats.
    let master = vec![0x11u8; 32];
    for (name, contents) in [
        ("m-hex", MASTER_11.as_bytes().to_vec()),
        (
            "m-b64",
            format!("{}\n", STANDARD.encode(&master)).into_bytes(),
        ),
        ("m-raw", master.clone()),
    ] {
        let path = write_file(dir.path(), name, &contents, 0o600);
        let run = decrypt_one_byte("--master-key-file", path.to_str().unwrap());
        run.expect_code(0);
        assert_eq!(run.stdout, b"F", "{name}");
    }
}

#[test]
fn bad_key_files_say_what_they_found_and_never_the_key() {
    let dir = temp_dir();
    let b64_31 = STANDARD.encode(&key_bytes()[..31]);
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "short-hex",
            KEY_11.as_bytes()[..62].to_vec(),
            "found 62 hex digits",
        ),
        (
            "long-hex",
            format!("{KEY_11}ff\n").into_bytes(),
            "found 66 hex digits",
        ),
        (
            "b64-31",
            b64_31.into_bytes(),
            "found base64 decoding to 31 bytes",
        ),
        (
            "garbage",
            format!("{}!!!!!!!!!!!!!", &KEY_11[..32]).into_bytes(),
            "found 45 bytes that are neither hex nor base64",
        ),
        ("empty", Vec::new(), "found no key"),
        ("raw-31", key_bytes()[..31].to_vec(), "31 bytes"),
        (
            "split-hex",
            format!("{}\n{}\n", &KEY_11[..32], &KEY_11[32..]).into_bytes(),
            "whitespace inside",
        ),
    ];
    for (name, contents, want) in cases {
        let path = write_file(dir.path(), name, &contents, 0o600);
        for flag in ["--key-file", "--master-key-file"] {
            let run = decrypt_one_byte(flag, path.to_str().unwrap());
            run.expect_code(2);
            assert!(run.stderr.contains(want), "{name}: {}", run.stderr);
            assert!(run.stderr.contains(name), "names the file: {}", run.stderr);
            assert!(run.stdout.is_empty());
            assert_no_key(&run.all(), KEY_11);
        }
    }
}

#[test]
fn missing_key_file_exits_3_and_names_it() {
    let dir = temp_dir();
    let path = dir.path().join("no-such.key");
    let run = decrypt_one_byte("--key-file", path.to_str().unwrap());
    run.expect_code(3);
    assert!(run.stderr.contains("no-such.key"), "{}", run.stderr);
}

/// A key pasted where the path goes is not echoed back.
#[test]
fn key_material_as_the_path_is_not_echoed() {
    for material in [KEY_11.to_string(), STANDARD.encode(key_bytes())] {
        for flag in ["--key-file", "--master-key-file"] {
            let run = decrypt_one_byte(flag, &material);
            run.expect_code(3);
            assert!(
                run.stderr.contains("looks like key material"),
                "{}",
                run.stderr
            );
            assert_no_key(&run.all(), KEY_11);
        }
    }
    let run = run(["key", "derive", "--master-key-file", MASTER_11]);
    run.expect_code(3);
    assert!(
        run.stderr.contains("looks like key material"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains(&MASTER_11[..16]), "{}", run.stderr);
}

#[test]
fn shared_key_file_warns() {
    let dir = temp_dir();
    for (mode, warns) in [
        (0o600, false),
        (0o400, false),
        (0o640, true),
        (0o604, true),
        (0o620, true),
    ] {
        let path = write_file(dir.path(), "k", format!("{KEY_11}\n").as_bytes(), mode);
        let run = decrypt_one_byte("--key-file", path.to_str().unwrap());
        run.expect_code(0);
        assert_eq!(
            run.stderr.contains("warning:") && run.stderr.contains("group or others"),
            warns,
            "mode {mode:o}: {}",
            run.stderr
        );
        // -q silences the warning.
        let v = vector("one-byte-backup");
        let quiet = common::run([
            "-q",
            "decrypt",
            "--key-file",
            path.to_str().unwrap(),
            v.path().to_str().unwrap(),
            "-o",
            "-",
        ]);
        quiet.expect_code(0);
        assert!(quiet.stderr.is_empty(), "{}", quiet.stderr);
    }
}

#[test]
fn environment_variables() {
    let v = vector("one-byte-backup");
    let blob = v.path();
    let args = ["decrypt", blob.to_str().unwrap(), "-o", "-"];
    let with_env = |vars: &[(&str, &str)]| {
        let mut cmd = ffce();
        cmd.args(args);
        for (k, val) in vars {
            cmd.env(k, val);
        }
        run_cmd(&mut cmd, None)
    };
    // Master secret (hex, base64) and derived key, each alone.
    let master_b64 = STANDARD.encode([0x11u8; 32]);
    for vars in [
        vec![("FFCE_MASTER_KEY", MASTER_11)],
        vec![("FFCE_MASTER_KEY", master_b64.as_str())],
        vec![("FFCE_KEY", KEY_11)],
        // FFCE_MASTER_KEY wins over FFCE_KEY (here: a wrong FFCE_KEY is ignored).
        vec![
            ("FFCE_MASTER_KEY", MASTER_11),
            ("FFCE_KEY", &"00".repeat(32)),
        ],
    ] {
        let run = with_env(&vars);
        run.expect_code(0);
        assert_eq!(run.stdout, b"F", "{vars:?}");
    }
    // The key is the derived one, so a master secret in FFCE_KEY fails to authenticate.
    with_env(&[("FFCE_KEY", MASTER_11)]).expect_code(4);
    // A flag wins over the environment.
    let dir = temp_dir();
    let file = hex_key_file(dir.path(), "k", KEY_11);
    let mut cmd = ffce();
    cmd.args(["decrypt", "--key-file", file.to_str().unwrap()])
        .args(&args[1..])
        .env("FFCE_MASTER_KEY", "00".repeat(32));
    run_cmd(&mut cmd, None).expect_code(0);
    // Bad variable: named, described, not shown. Raw bytes are not accepted there.
    let run = with_env(&[("FFCE_KEY", &KEY_11[..60])]);
    run.expect_code(2);
    assert!(run.stderr.contains("$FFCE_KEY"), "{}", run.stderr);
    assert!(run.stderr.contains("60 hex digits"), "{}", run.stderr);
    assert_no_key(&run.all(), KEY_11);
}

/// Even at -vvv, nothing prints the key (master or derived), in any encoding.
#[test]
fn verbose_output_never_contains_the_key() {
    let dir = temp_dir();
    let v = vector("dexie-backup");
    let master = hex_key_file(dir.path(), "m", MASTER_11);
    let derived = hex_key_file(dir.path(), "d", KEY_11);
    let out = dir.path().join("out.json");
    for (flag, path) in [("--master-key-file", &master), ("--key-file", &derived)] {
        let run = run([
            "-vvv",
            "decrypt",
            flag,
            path.to_str().unwrap(),
            v.path().to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
            "--force",
        ]);
        run.expect_code(0);
        assert!(
            run.stderr.contains("key:"),
            "-vvv says where the key came from"
        );
        assert_no_key(&run.all(), KEY_11);
        assert_no_key(&run.all(), MASTER_11);
    }
    // Also on failure paths (wrong key) and in inspect.
    let wrong = hex_key_file(dir.path(), "w", &"22".repeat(32));
    for cmd in ["decrypt", "inspect"] {
        let mut args = vec![
            "-vvv".to_string(),
            cmd.into(),
            "--key-file".into(),
            wrong.to_str().unwrap().into(),
            v.path().to_str().unwrap().into(),
        ];
        if cmd == "decrypt" {
            args.extend(["-o".into(), "-".into()]);
        }
        let run = run(args);
        run.expect_code(4);
        assert_no_key(&run.all(), &"22".repeat(32));
    }
}

#[test]
fn key_derive_prints_hex() {
    let m = manifest();
    let dir = temp_dir();
    let master = hex_key_file(dir.path(), "m", &m.kdf_check.master_secret);
    let run = run([
        "key",
        "derive",
        "--master-key-file",
        master.to_str().unwrap(),
    ]);
    run.expect_code(0);
    assert_eq!(run.out(), format!("{}\n", m.kdf_check.key));
    assert!(
        run.stderr.is_empty(),
        "no warning when stdout is a pipe: {}",
        run.stderr
    );

    // configfs, against the manifest's dexie-configfs vector (master 22…22).
    let v = m.vectors.iter().find(|v| v.purpose == "configfs").unwrap();
    let master = hex_key_file(dir.path(), "m2", &v.master_secret);
    let run = common::run([
        "key",
        "derive",
        "--master-key-file",
        master.to_str().unwrap(),
        "--purpose",
        "configfs",
    ]);
    run.expect_code(0);
    assert_eq!(run.out().trim(), v.key);

    // Errors.
    common::run(["key", "derive"]).expect_code(2);
    common::run(["key", "derive", "--master-key-file", "/nonexistent/m"]).expect_code(3);
}

#[test]
fn key_derive_warns_on_a_terminal() {
    let dir = temp_dir();
    hex_key_file(dir.path(), "m", MASTER_11);
    let (code, shown) = run_on_terminal(&["key", "derive", "--master-key-file", "m"], dir.path());
    assert_eq!(code, 0, "{shown}");
    assert!(
        shown.contains("warning:") && shown.contains("secret"),
        "{shown}"
    );
    assert!(shown.contains(KEY_11), "{shown}");
}
