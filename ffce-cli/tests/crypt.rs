//! `ffce encrypt` and `ffce decrypt` on real files: every fixture, round trips,
//! stdin/stdout, output guards and exit codes.

use crate::common;

use common::*;

/// Decrypting each vector with its derived key (`--key-file`) succeeds exactly when the
/// manifest's `open` is `ok`, with the recorded plaintext SHA-256; otherwise it exits 4
/// and writes nothing.
#[test]
fn decrypt_every_vector() {
    let m = manifest();
    let dir = temp_dir();
    for v in &m.vectors {
        let key = hex_key_file(dir.path(), &format!("{}.key", v.name), &v.key);
        let out = dir.path().join(format!("{}.out", v.name));
        let run = run([
            "decrypt",
            "--key-file",
            key.to_str().unwrap(),
            v.path().to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
        ]);
        if v.open == "ok" {
            run.expect_code(0);
            let plaintext = std::fs::read(&out).unwrap();
            assert_eq!(
                plaintext.len() as u64,
                v.plaintext_len.unwrap(),
                "{}",
                v.name
            );
            assert_eq!(
                sha256_hex(&plaintext),
                v.plaintext_sha256.as_deref().unwrap(),
                "{}",
                v.name
            );
            assert_eq!(mode_of(&out), 0o600, "plaintext files are private");
            if let Some(file) = &v.plaintext_file {
                assert_eq!(plaintext, std::fs::read(fixtures_dir().join(file)).unwrap());
            }
        } else {
            run.expect_code(4);
            assert!(!out.exists(), "{}: a failed decrypt left {out:?}", v.name);
            assert!(run.stderr.contains("cannot decrypt"), "{}", run.stderr);
        }
        assert!(run.stdout.is_empty(), "{}: stdout must stay empty", v.name);
    }
    // Nothing but key files and successful outputs: no temporary files either.
    for name in entries(dir.path()) {
        assert!(
            name.ends_with(".key") || name.ends_with(".out"),
            "left behind: {name}"
        );
    }
}

/// Decrypting with the master secret and `--purpose` gives the same result as with the
/// derived key (configfs vector included).
#[test]
fn decrypt_with_master_secret_and_purpose() {
    let dir = temp_dir();
    for name in ["dexie-backup", "dexie-configfs", "binary-backup"] {
        let v = vector(name);
        let key = hex_key_file(dir.path(), &format!("{name}.master"), &v.master_secret);
        let run = run([
            "decrypt",
            "--master-key-file",
            key.to_str().unwrap(),
            "--purpose",
            &v.purpose,
            v.path().to_str().unwrap(),
            "-o",
            "-",
        ]);
        run.expect_code(0);
        assert_eq!(
            sha256_hex(&run.stdout),
            v.plaintext_sha256.unwrap(),
            "{name}"
        );
    }
    // The configfs blob does not open with the backup key of the same master.
    let v = vector("dexie-configfs");
    let key = hex_key_file(dir.path(), "configfs.master", &v.master_secret);
    run([
        "decrypt",
        "--master-key-file",
        key.to_str().unwrap(),
        v.path().to_str().unwrap(),
        "-o",
        "-",
    ])
    .expect_code(4);
}

#[test]
fn encrypt_then_decrypt_round_trip() {
    let dir = temp_dir();
    let v = vector("dexie-backup");
    let master = hex_key_file(dir.path(), "m.key", &v.master_secret);
    let derived = hex_key_file(dir.path(), "d.key", &v.key);
    let input = write_file(dir.path(), "export.json", &restorable_plaintext(), 0o600);
    let a = dir.path().join("a.ffce");
    let b = dir.path().join("b.ffce");
    for out in [&a, &b] {
        run([
            "encrypt",
            "--master-key-file",
            master.to_str().unwrap(),
            input.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
        ])
        .expect_code(0);
    }
    let (blob_a, blob_b) = (std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
    assert_eq!(blob_a.len(), 37 + restorable_plaintext().len());
    assert_eq!(&blob_a[..5], b"FFCE\x01");
    assert_ne!(blob_a[5..17], blob_b[5..17], "a fresh nonce every time");
    // Sealed with the master secret, opened with the derived key.
    let run = run([
        "decrypt",
        "--key-file",
        derived.to_str().unwrap(),
        a.to_str().unwrap(),
        "-o",
        "-",
    ]);
    run.expect_code(0);
    assert_eq!(run.stdout, std::fs::read(&input).unwrap());
    // A blob is not secret: its mode follows the umask, it is not forced to 0600 ...
    // (but it is readable and writable by its owner).
    assert_eq!(mode_of(&a) & 0o600, 0o600);
}

#[test]
fn stdin_to_stdout_both_ways() {
    let dir = temp_dir();
    let key = hex_key_file(dir.path(), "k", &"ab".repeat(32));
    let plaintext = b"{\"formatName\":\"dexie\"}".to_vec();
    let sealed = run_stdin(
        [
            "encrypt",
            "--key-file",
            key.to_str().unwrap(),
            "-",
            "-o",
            "-",
        ],
        &plaintext,
    );
    sealed.expect_code(0);
    assert_eq!(sealed.stdout.len(), 37 + plaintext.len());
    let opened = run_stdin(
        [
            "decrypt",
            "--key-file",
            key.to_str().unwrap(),
            "-",
            "-o",
            "-",
        ],
        &sealed.stdout,
    );
    opened.expect_code(0);
    assert_eq!(opened.stdout, plaintext);
    // Nothing but the key file was created.
    assert_eq!(entries(dir.path()), ["k"]);
}

#[test]
fn existing_output_needs_force() {
    let dir = temp_dir();
    let v = vector("one-byte-backup");
    let key = hex_key_file(dir.path(), "k", &v.key);
    let out = write_file(dir.path(), "out.bin", b"precious", 0o644);
    let args = |force: bool| {
        let mut a = vec![
            "decrypt".to_string(),
            "--key-file".into(),
            key.to_str().unwrap().into(),
            v.path().to_str().unwrap().into(),
            "-o".into(),
            out.to_str().unwrap().into(),
        ];
        if force {
            a.push("--force".into());
        }
        a
    };
    let refused = run(args(false));
    refused.expect_code(5);
    assert!(refused.stderr.contains("--force"), "{}", refused.stderr);
    assert_eq!(std::fs::read(&out).unwrap(), b"precious");
    run(args(true)).expect_code(0);
    assert_eq!(std::fs::read(&out).unwrap(), b"F");
    assert_eq!(
        mode_of(&out),
        0o600,
        "the replacement has the plaintext mode"
    );
    assert_eq!(entries(dir.path()), ["k", "out.bin"]);

    // encrypt refuses the same way
    let blob = write_file(dir.path(), "x.ffce", b"old", 0o644);
    run([
        "encrypt",
        "--key-file",
        key.to_str().unwrap(),
        out.to_str().unwrap(),
        "-o",
        blob.to_str().unwrap(),
    ])
    .expect_code(5);
    assert_eq!(std::fs::read(&blob).unwrap(), b"old");
}

#[test]
fn output_over_input_is_refused_even_with_force() {
    let dir = temp_dir();
    let key = hex_key_file(dir.path(), "k", &"cd".repeat(32));
    let file = write_file(dir.path(), "data.json", b"{}", 0o644);
    // Through a different spelling of the same path.
    let other_spelling = dir.path().join(".").join("data.json");
    let run = run([
        "encrypt",
        "--key-file",
        key.to_str().unwrap(),
        file.to_str().unwrap(),
        "-o",
        other_spelling.to_str().unwrap(),
        "--force",
    ]);
    run.expect_code(5);
    assert!(run.stderr.contains("input file"), "{}", run.stderr);
    assert_eq!(std::fs::read(&file).unwrap(), b"{}");
}

#[test]
fn oversize_plaintext_is_sealed_with_a_warning() {
    let dir = temp_dir();
    let key = hex_key_file(dir.path(), "k", &"01".repeat(32));
    let input = write_file(dir.path(), "big.bin", &vec![7u8; 524_252], 0o600);
    let out = dir.path().join("big.ffce");
    let run = run([
        "encrypt",
        "--key-file",
        key.to_str().unwrap(),
        input.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]);
    run.expect_code(0);
    assert!(run.stderr.contains("warning:"), "{}", run.stderr);
    assert!(run.stderr.contains("524,289"), "{}", run.stderr);
    assert_eq!(std::fs::metadata(&out).unwrap().len(), 524_289);
    // One byte less fits the limit: no warning.
    let input = write_file(dir.path(), "max.bin", &vec![7u8; 524_251], 0o600);
    let out = dir.path().join("max.ffce");
    let quiet = common::run([
        "encrypt",
        "--key-file",
        key.to_str().unwrap(),
        input.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]);
    quiet.expect_code(0);
    assert!(!quiet.stderr.contains("warning"), "{}", quiet.stderr);
}

#[test]
fn exit_codes() {
    let dir = temp_dir();
    let v = vector("one-byte-backup");
    let key = hex_key_file(dir.path(), "k", &v.key);
    let k = key.to_str().unwrap();
    let input = v.path();
    let input = input.to_str().unwrap();
    let out = dir.path().join("o");
    let o = out.to_str().unwrap();

    // 2: usage (no -o; no key anywhere; unknown purpose)
    run(["decrypt", "--key-file", k, input]).expect_code(2);
    let no_key = run(["decrypt", input, "-o", o]);
    no_key.expect_code(2);
    assert!(
        no_key.stderr.contains("--master-key-file"),
        "{}",
        no_key.stderr
    );
    run([
        "decrypt",
        "--key-file",
        k,
        "--purpose",
        "nope",
        input,
        "-o",
        o,
    ])
    .expect_code(2);
    run([
        "decrypt",
        "--key-file",
        k,
        "--master-key-file",
        k,
        input,
        "-o",
        o,
    ])
    .expect_code(2);
    // 3: missing input; missing output folder
    let missing = run(["decrypt", "--key-file", k, "/nonexistent/x.ffce", "-o", o]);
    missing.expect_code(3);
    assert!(
        missing.stderr.contains("/nonexistent/x.ffce"),
        "{}",
        missing.stderr
    );
    run([
        "decrypt",
        "--key-file",
        k,
        input,
        "-o",
        "/nonexistent/dir/o",
    ])
    .expect_code(3);
    // 4: integrity
    let bad = vector("bad-magic");
    run([
        "decrypt",
        "--key-file",
        k,
        bad.path().to_str().unwrap(),
        "-o",
        o,
    ])
    .expect_code(4);
    // 5: output is a directory
    run([
        "decrypt",
        "--key-file",
        k,
        input,
        "-o",
        dir.path().to_str().unwrap(),
    ])
    .expect_code(5);
    // 1: input is a directory
    run([
        "encrypt",
        "--key-file",
        k,
        dir.path().to_str().unwrap(),
        "-o",
        o,
    ])
    .expect_code(1);
    // 0
    run(["decrypt", "--key-file", k, input, "-o", o]).expect_code(0);
    assert!(out.exists());
}

/// A blob is binary: `-o -` to a terminal is refused (exit 5) and nothing is printed.
#[test]
fn binary_output_to_a_terminal_is_refused() {
    let dir = temp_dir();
    let key = hex_key_file(dir.path(), "k", &"02".repeat(32));
    write_file(dir.path(), "p.json", b"{\"a\":1}", 0o600);
    let (code, shown) = run_on_terminal(
        &["encrypt", "--key-file", "k", "p.json", "-o", "-"],
        dir.path(),
    );
    assert_eq!(code, 5, "{shown}");
    assert!(shown.contains("terminal"), "{shown}");
    assert!(!shown.contains("FFCE"), "{shown}");
    let _ = key;
    // Binary plaintext is refused too; text plaintext may be shown.
    let v = vector("binary-backup");
    hex_key_file(dir.path(), "bk", &v.key);
    let (code, shown) = run_on_terminal(
        &[
            "decrypt",
            "--key-file",
            "bk",
            v.path().to_str().unwrap(),
            "-o",
            "-",
        ],
        dir.path(),
    );
    assert_eq!(code, 5, "{shown}");
    let v = vector("not-dexie-backup");
    let (code, shown) = run_on_terminal(
        &[
            "decrypt",
            "--key-file",
            "bk",
            v.path().to_str().unwrap(),
            "-o",
            "-",
        ],
        dir.path(),
    );
    assert_eq!(code, 0, "{shown}");
    assert!(shown.contains("\"hello\""), "{shown}");
}
