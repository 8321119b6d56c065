//! Reports that do not mislead: what `inspect` checked, inputs that are not blobs,
//! inputs too large to be blobs, units and numbers, what the device will make of a
//! plaintext, and which key purpose opens a blob that the given one does not.

use crate::common;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use base64::Engine as _;
use common::*;
use serde_json::Value;

/// Runs ffce under a 1 GiB address-space limit, so that a command that tries to read a
/// huge input fails at once instead of eating the machine's memory.
fn run_limited(args: &[&str]) -> (Run, Duration) {
    let mut line = String::from("ulimit -v 1048576; exec \"$0\"");
    for i in 1..=args.len() {
        line.push_str(&format!(" \"${i}\""));
    }
    let mut cmd = std::process::Command::new("sh");
    cmd.arg("-c").arg(line).arg(ffce_path()).args(args);
    for var in ["FFCE_MASTER_KEY", "FFCE_KEY", "FFCE_BUCKET", "FFCE_DIR"] {
        cmd.env_remove(var);
    }
    let started = Instant::now();
    let r = run_cmd(&mut cmd, None);
    (r, started.elapsed())
}

/// A sparse file of `len` bytes: no disk used, instant to create.
fn sparse(dir: &Path, name: &str, len: u64) -> PathBuf {
    let path = dir.join(name);
    std::fs::File::create(&path).unwrap().set_len(len).unwrap();
    path
}

// ---- 1. say what was checked -------------------------------------------------------

#[test]
fn inspect_without_a_key_says_authentication_was_not_checked() {
    let blob = vector("dexie-backup").path();
    let r = run(["inspect", s(&blob)]);
    r.expect_code(0);
    let out = r.out();
    assert!(
        !out.lines()
            .any(|l| l.starts_with("valid") && l.ends_with("yes")),
        "a bare `valid yes` claims more than was checked:\n{out}"
    );
    assert!(
        out.lines()
            .any(|l| l.starts_with("structure") && l.contains("valid")),
        "{out}"
    );
    assert!(
        out.lines().any(|l| l.starts_with("authenticated")
            && l.contains("not checked")
            && l.contains("no key")),
        "{out}"
    );

    let r = run_json(&["inspect", "--json", s(&blob)]);
    let j = r.json();
    assert_eq!(j["structure"], "valid", "{j:#}");
    assert_eq!(j["authenticated"], Value::Null, "{j:#}");
    assert_eq!(j["authentication"], "not_checked", "{j:#}");
    assert_eq!(j["valid"], true, "kept for scripts: {j:#}");

    // With a key the same fields say what the key found (here: another device's key).
    let dir = temp_dir();
    let key = hex_key_file(dir.path(), "other.key", &"33".repeat(32));
    let j = run_json(&["inspect", "--json", "--master-key-file", s(&key), s(&blob)]).json();
    assert_eq!(j["structure"], "valid", "{j:#}");
    assert_eq!(j["authentication"], "failed", "{j:#}");
    assert_eq!(j["authenticated"], false, "{j:#}");
}

fn run_json(args: &[&str]) -> Run {
    run(args)
}

#[test]
fn get_header_report_says_authentication_was_not_checked() {
    let dir = temp_dir();
    let store = dir.path().join("store");
    std::fs::create_dir_all(store.join(DEVICE)).unwrap();
    std::fs::copy(
        vector("dexie-backup").path(),
        store.join(DEVICE).join("backup.ffce"),
    )
    .unwrap();
    let r = run(["get", "--dir", s(&store), DEVICE]);
    r.expect_code(0);
    let out = r.out();
    assert!(
        out.lines().any(|l| l.starts_with("authenticated")
            && l.contains("not checked")
            && l.contains("no key")),
        "{out}"
    );
}

// ---- 2. inputs that are not blobs --------------------------------------------------

#[test]
fn inspect_recognises_what_is_not_a_blob() {
    let dir = temp_dir();
    let blob = vector("dexie-backup").blob();
    let b64 = base64::engine::general_purpose::STANDARD.encode(&blob);
    // `base64` wraps at 76 columns; a pasted copy may too.
    let wrapped: String = b64
        .as_bytes()
        .chunks(76)
        .map(|c| format!("{}\n", std::str::from_utf8(c).unwrap()))
        .collect();
    let cases: [(&str, Vec<u8>, &str, &str); 5] = [
        (
            "plain.json",
            std::fs::read(fixtures_dir().join("plaintexts/dexie-config.json")).unwrap(),
            "json",
            "looks like a JSON plaintext, not an FFCE blob",
        ),
        (
            "blob.b64",
            wrapped.into_bytes(),
            "base64_blob",
            "base64 copy of an FFCE blob: decode it first (base64 -d",
        ),
        (
            "blob.hex",
            format!("{}\n", hex::encode(&blob)).into_bytes(),
            "hex_blob",
            "hex copy of an FFCE blob: decode it first",
        ),
        (
            "BLOB.HEX",
            hex::encode_upper(&blob).into_bytes(),
            "hex_blob",
            "hex copy of an FFCE blob",
        ),
        ("empty", Vec::new(), "empty", "empty file (0 bytes)"),
    ];
    for (name, bytes, kind, phrase) in cases {
        let path = write_file(dir.path(), name, &bytes, 0o644);
        let r = run(["inspect", s(&path)]);
        r.expect_code(4);
        let out = r.out();
        assert!(out.contains(phrase), "{name}: stdout:\n{out}");
        assert!(r.stderr.contains(phrase), "{name}: stderr: {}", r.stderr);
        for nonsense in ["nonce", "tag ", "plaintext_len", "magic"] {
            assert!(
                !out.lines().any(|l| l.starts_with(nonsense)),
                "{name}: header field {nonsense:?} shown for a non-blob:\n{out}"
            );
        }
        let r = run_json(&["inspect", "--json", s(&path)]);
        r.expect_code(4);
        let j = r.json();
        assert_eq!(j["looks_like"]["kind"], kind, "{name}: {j:#}");
        assert!(
            j["looks_like"]["message"]
                .as_str()
                .is_some_and(|m| m.contains(phrase)),
            "{name}: {j:#}"
        );
        assert_eq!(j["valid"], false, "{name}: {j:#}");
        assert_eq!(j["nonce"], Value::Null, "{name}: {j:#}");
    }
    // The JSON case names the command to use.
    let json = dir.path().join("plain.json");
    let r = run(["inspect", s(&json)]);
    assert!(r.out().contains("ffce encrypt"), "{}", r.out());

    // decrypt and verify say the same instead of "bad magic".
    let key = master_11(dir.path());
    let out = dir.path().join("out.json");
    let r = run([
        "decrypt",
        "--master-key-file",
        s(&key),
        s(&json),
        "-o",
        s(&out),
    ]);
    r.expect_code(4);
    assert!(
        r.stderr.contains("looks like a JSON plaintext"),
        "{}",
        r.stderr
    );
    assert!(!out.exists());
    let b64 = dir.path().join("blob.b64");
    let r = run(["verify", s(&b64)]);
    r.expect_code(4);
    assert!(
        r.out().contains("base64 copy of an FFCE blob"),
        "{}",
        r.out()
    );
}

// ---- 3. inputs too large to be blobs -----------------------------------------------

#[test]
fn huge_inputs_are_refused_by_size_before_reading() {
    let dir = temp_dir();
    let key = master_11(dir.path());
    let huge = sparse(dir.path(), "huge.ffce", 5_000_000_000);
    let out = dir.path().join("out");
    let blob_limit = "4,294,967,332"; // 37-byte header + u32::MAX plaintext bytes
    let cases: [(&[&str], i32, &str); 4] = [
        (&["inspect", s(&huge)], 4, blob_limit),
        (&["verify", s(&huge)], 4, blob_limit),
        (
            &[
                "decrypt",
                "--master-key-file",
                s(&key),
                s(&huge),
                "-o",
                s(&out),
            ],
            4,
            blob_limit,
        ),
        (
            &[
                "encrypt",
                "--master-key-file",
                s(&key),
                s(&huge),
                "-o",
                s(&out),
            ],
            // The same verdict as every other input too large: exit 4.
            4,
            "4,294,967,295",
        ),
    ];
    for (args, code, limit) in cases {
        let (r, took) = run_limited(args);
        let ctx = format!("{args:?}: {} / {}", r.out(), r.stderr);
        assert_eq!(r.status.code(), Some(code), "{ctx}");
        assert!(r.all().contains("5,000,000,000"), "{ctx}");
        assert!(r.all().contains(limit), "{ctx}");
        assert!(took < Duration::from_secs(5), "took {took:?}: {ctx}");
        assert!(!out.exists(), "{ctx}");
    }

    let j = run_json(&["verify", "--jsonl", s(&huge)]);
    assert!(j.out().contains("\"status\":\"too_large\""), "{}", j.out());

    // put: over the cloud's upload limit, before reading; also from stdin.
    let store = dir.path().join("store");
    std::fs::create_dir_all(&store).unwrap();
    let (r, took) = run_limited(&["put", "--dir", s(&store), DEVICE, s(&huge)]);
    let ctx = format!("put: {} / {}", r.out(), r.stderr);
    assert_eq!(r.status.code(), Some(4), "{ctx}");
    assert!(r.stderr.contains("5,000,000,000"), "{ctx}");
    assert!(r.stderr.contains("524,288"), "{ctx}");
    assert!(took < Duration::from_secs(5), "{ctx}");
    assert_eq!(entries(&store), Vec::<String>::new(), "{ctx}");

    let mut big = vector("dexie-backup").blob();
    big.resize(600_000, 0);
    let r = run_stdin(["put", "--dir", s(&store), DEVICE, "-"], &big);
    r.expect_code(4);
    assert!(
        r.stderr.contains("stdin") && r.stderr.contains("524,288"),
        "{}",
        r.stderr
    );
    assert_eq!(entries(&store), Vec::<String>::new());
}

// ---- 4. units and numbers ----------------------------------------------------------

#[test]
fn one_byte_is_singular_and_numbers_are_grouped() {
    let v = vector("one-byte-backup");
    let dir = temp_dir();
    let key = hex_key_file(dir.path(), "k", &v.master_secret);
    let r = run(["inspect", "--master-key-file", s(&key), s(&v.path())]);
    r.expect_code(0);
    let out = r.out();
    assert!(!out.contains(" 1 bytes"), "{out}");
    assert!(out.contains("1 byte"), "{out}");

    // Library messages group digits like the rest of the report.
    let mut blob = vector("dexie-backup").blob();
    blob.truncate(2000);
    let cut = write_file(dir.path(), "cut.ffce", &blob, 0o644);
    let r = run(["inspect", s(&cut)]);
    r.expect_code(4);
    assert!(
        r.out()
            .contains("header declares 5,729 plaintext bytes, 1,963 bytes follow"),
        "{}",
        r.out()
    );
    let r = run_json(&["inspect", s(&vector("oversize-backup").path())]);
    assert!(
        r.out().contains("524,289 bytes, over the 524,288-byte"),
        "{}",
        r.out()
    );
}

#[test]
fn ls_columns_fit_large_sizes() {
    let dir = temp_dir();
    let store = dir.path().join("store");
    let small = "00000000-0000-4000-8000-000000000001";
    let large = "00000000-0000-4000-8000-000000000002";
    for (uuid, len) in [(small, 38u64), (large, 1_234_567_890u64)] {
        std::fs::create_dir_all(store.join(uuid)).unwrap();
        sparse(&store.join(uuid), "backup.ffce", len);
    }
    let r = run(["ls", "--dir", s(&store)]);
    r.expect_code(0);
    let out = r.out();
    let lines: Vec<&str> = out.lines().take(3).collect();
    assert!(out.contains("1,234,567,890"), "{out}");
    // Every row's LAST MODIFIED column starts where the header's does.
    let at = lines[0].find("LAST MODIFIED").expect("header");
    for l in &lines[1..] {
        let (before, after) = l.split_at(at);
        assert!(before.ends_with("  "), "column overrun:\n{out}");
        assert!(
            after.starts_with(|c: char| c.is_ascii_digit() || c == '-'),
            "misaligned:\n{out}"
        );
    }
    // Sizes are right-aligned under SIZE.
    let end = lines[0].find("SIZE").unwrap() + "SIZE".len();
    for l in &lines[1..] {
        assert!(
            l.as_bytes()[end - 1].is_ascii_digit() && l.as_bytes()[end] == b' ',
            "size not right-aligned under SIZE:\n{out}"
        );
    }
}

// ---- 5. what the device will make of it --------------------------------------------

#[test]
fn plaintext_the_device_cannot_restore_is_warned_about() {
    let dir = temp_dir();
    let key = master_11(dir.path());
    let nul = seal(dir.path(), "nul", b"{\"a\":1}\0{\"b\":2}");
    let latin1 = seal(dir.path(), "latin1", b"{\"name\":\"Caf\xe9\"}");
    let text = seal(dir.path(), "text", b"hello, world\n");
    let good = seal(dir.path(), "good", &restorable_plaintext());
    let cases: [(&Path, &[&str]); 4] = [
        (&nul, &["NUL byte at offset 7", "cut"]),
        (&latin1, &["not UTF-8", "offset 12"]),
        (&text, &["not JSON"]),
        (&good, &[]),
    ];
    for (blob, phrases) in cases {
        let ctx = blob.display().to_string();
        // inspect: in the report, on stderr, and in --json.
        let r = run(["inspect", "--master-key-file", s(&key), s(blob)]);
        r.expect_code(0);
        for p in phrases {
            assert!(r.out().contains(p), "{ctx}: stdout {}", r.out());
            assert!(r.stderr.contains(p), "{ctx}: stderr {}", r.stderr);
        }
        if phrases.is_empty() {
            assert!(!r.all().contains("device"), "{ctx}: {}", r.all());
        }
        let j = run_json(&["inspect", "--json", "--master-key-file", s(&key), s(blob)]).json();
        let warnings = j["device_warnings"].as_array().expect("device_warnings");
        assert_eq!(warnings.is_empty(), phrases.is_empty(), "{ctx}: {j:#}");
        // decrypt writes the plaintext (it is authentic) but warns.
        let out = dir.path().join("out.bin");
        let _ = std::fs::remove_file(&out);
        let r = run([
            "decrypt",
            "--master-key-file",
            s(&key),
            s(blob),
            "-o",
            s(&out),
        ]);
        r.expect_code(0);
        for p in phrases {
            assert!(r.stderr.contains(p), "{ctx}: decrypt stderr {}", r.stderr);
        }
    }
    let j = run_json(&["inspect", "--json", "--master-key-file", s(&key), s(&nul)]).json();
    assert_eq!(j["device_warnings"][0]["code"], "nul_byte", "{j:#}");
    assert_eq!(j["device_warnings"][0]["offset"], 7, "{j:#}");

    // get --decrypt warns too.
    let store = dir.path().join("store");
    std::fs::create_dir_all(store.join(DEVICE)).unwrap();
    std::fs::copy(&nul, store.join(DEVICE).join("backup.ffce")).unwrap();
    let out = dir.path().join("got.json");
    let r = run([
        "get",
        "--dir",
        s(&store),
        DEVICE,
        "--decrypt",
        "--master-key-file",
        s(&key),
        "-o",
        s(&out),
    ]);
    r.expect_code(0);
    assert!(r.stderr.contains("NUL byte at offset 7"), "{}", r.stderr);
}

#[test]
fn empty_blobs_say_the_device_does_not_check_their_tag() {
    let dir = temp_dir();
    let key = master_11(dir.path());
    // A forged empty blob: the device would accept it; ffce refuses and says so.
    let forged = vector("empty-tag-flipped").path();
    let r = run(["inspect", "--master-key-file", s(&key), s(&forged)]);
    r.expect_code(4);
    assert!(
        r.out().contains("does not check the tag of an empty blob"),
        "{}",
        r.out()
    );
    // Without a key: structure valid, but the device would take it unchecked.
    let empty = vector("empty-backup").path();
    let r = run(["inspect", s(&empty)]);
    r.expect_code(0);
    assert!(
        r.out().contains("does not check the tag of an empty blob"),
        "{}",
        r.out()
    );
    // With the key: authentic, but there is nothing to restore.
    let r = run(["inspect", "--master-key-file", s(&key), s(&empty)]);
    r.expect_code(0);
    assert!(r.out().contains("empty plaintext"), "{}", r.out());
}

// ---- 6. which purpose opens it -----------------------------------------------------

#[test]
fn wrong_purpose_names_the_purpose_that_opens_it() {
    let dir = temp_dir();
    let v = vector("wrong-purpose"); // configfs blob of master 11..11
    let key = master_11(dir.path());
    let hint = "on-device config file (configfs key), not a cloud backup: use --purpose configfs";

    let r = run(["inspect", "--master-key-file", s(&key), s(&v.path())]);
    r.expect_code(4);
    assert!(r.all().contains(hint), "{}", r.all());
    let j = run_json(&[
        "inspect",
        "--json",
        "--master-key-file",
        s(&key),
        s(&v.path()),
    ])
    .json();
    assert_eq!(j["key"]["opens_with_purpose"], "configfs", "{j:#}");

    let out = dir.path().join("out.bin");
    let r = run([
        "decrypt",
        "--master-key-file",
        s(&key),
        s(&v.path()),
        "-o",
        s(&out),
    ]);
    r.expect_code(4);
    assert!(r.stderr.contains(hint), "{}", r.stderr);
    assert!(!out.exists());

    let r = run(["verify", "--master-key-file", s(&key), s(&v.path())]);
    r.expect_code(4);
    assert!(r.out().contains(hint), "{}", r.out());

    // The other way round.
    let backup = vector("one-byte-backup").path();
    let r = run([
        "inspect",
        "--master-key-file",
        s(&key),
        "--purpose",
        "configfs",
        s(&backup),
    ]);
    r.expect_code(4);
    assert!(
        r.all().contains(
            "cloud backup (backup key), not an on-device config file: use --purpose backup"
        ),
        "{}",
        r.all()
    );

    // get --decrypt.
    let store = dir.path().join("store");
    std::fs::create_dir_all(store.join(DEVICE)).unwrap();
    std::fs::copy(v.path(), store.join(DEVICE).join("backup.ffce")).unwrap();
    let r = run([
        "get",
        "--dir",
        s(&store),
        DEVICE,
        "--decrypt",
        "--master-key-file",
        s(&key),
        "-o",
        s(&out),
    ]);
    r.expect_code(4);
    assert!(r.stderr.contains(hint), "{}", r.stderr);
    assert!(!out.exists());

    // A derived key cannot be re-derived: the plain message stays.
    let derived = hex_key_file(dir.path(), "derived.key", &v.key);
    let r = run(["inspect", "--key-file", s(&derived), s(&v.path())]);
    r.expect_code(4);
    assert!(!r.all().contains("--purpose"), "{}", r.all());
}

#[test]
fn audit_and_key_messages_use_the_same_units() {
    let dir = temp_dir();
    let store = dir.path().join("store");
    std::fs::create_dir_all(store.join(DEVICE)).unwrap();
    std::fs::copy(
        vector("one-byte-backup").path(),
        store.join(DEVICE).join("backup.ffce"),
    )
    .unwrap();
    std::fs::write(store.join("junk"), b"x").unwrap();
    let r = run(["audit", "--dir", s(&store)]);
    r.expect_code(0);
    assert!(r.out().contains("(1 byte)"), "{}", r.out());
    assert!(!r.out().contains("1 bytes"), "{}", r.out());

    let big = write_file(dir.path(), "big.key", &[0u8; 5000], 0o600);
    let r = run([
        "inspect",
        "--key-file",
        s(&big),
        s(&vector("one-byte-backup").path()),
    ]);
    r.expect_code(2);
    assert!(r.stderr.contains("found 5,000 bytes"), "{}", r.stderr);
}

#[test]
fn get_header_report_warns_and_names_lookalikes() {
    let dir = temp_dir();
    let key = master_11(dir.path());
    let store = dir.path().join("store");
    std::fs::create_dir_all(store.join(DEVICE)).unwrap();
    let object = store.join(DEVICE).join("backup.ffce");

    // A plaintext the device would cut: the header report (no -o) warns on stderr.
    let nul = seal(dir.path(), "nul", b"{\"a\":1}\0{\"b\":2}");
    std::fs::copy(&nul, &object).unwrap();
    let r = run([
        "get",
        "--dir",
        s(&store),
        DEVICE,
        "--decrypt",
        "--master-key-file",
        s(&key),
    ]);
    r.expect_code(0);
    assert!(r.stderr.contains("NUL byte at offset 7"), "{}", r.stderr);

    // A JSON plaintext stored as if it were a backup.
    std::fs::copy(fixtures_dir().join("plaintexts/dexie-config.json"), &object).unwrap();
    let r = run(["get", "--dir", s(&store), DEVICE]);
    r.expect_code(4);
    assert!(
        r.stderr
            .contains("looks like a JSON plaintext, not an FFCE blob"),
        "{}",
        r.stderr
    );
}
