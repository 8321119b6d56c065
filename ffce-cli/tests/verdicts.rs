//! Verdicts a user can trust: a key that is given is used (`get` without `--decrypt`),
//! writes refuse a plaintext the device will not restore, `put` stores the plaintext
//! digest it knows, `--if-match` says which digest it takes, and a key that does not
//! open a blob comes with the key that does.

use crate::common;
use crate::common::s3;

use common::*;
use s3::*;

/// Puts `blob` for DEVICE in the local store at `root` (no key: as it is).
fn put_local(root: &std::path::Path, blob: &std::path::Path) {
    run(["put", "--dir", s(root), DEVICE, s(blob)]).expect_code(0);
}

/// `get` with a key and without `--decrypt` authenticates the blob: a wrong key is
/// exit 4 (the report says "failed", not "not checked"), and with `-o` nothing is
/// written; the right key writes the blob as stored; the same key from
/// `FFCE_MASTER_KEY` is used too.
#[test]
fn get_uses_a_key_given_without_decrypt() {
    let dir = temp_dir();
    let root = dir.path().join("store");
    std::fs::create_dir(&root).unwrap();
    let blob = seal(dir.path(), "b", &restorable_plaintext());
    put_local(&root, &blob);
    let right = master_11(dir.path());
    let wrong = hex_key_file(dir.path(), "wrong.key", &"22".repeat(32));

    let report = run([
        "get",
        "--dir",
        s(&root),
        DEVICE,
        "--master-key-file",
        s(&wrong),
    ]);
    report.expect_code(4);
    assert!(!report.all().contains("no key given"), "{}", report.all());
    assert!(report.all().contains("failed"), "{}", report.all());

    let out = dir.path().join("x.ffce");
    let run_o = run([
        "get",
        "--dir",
        s(&root),
        DEVICE,
        "--master-key-file",
        s(&wrong),
        "-o",
        s(&out),
    ]);
    run_o.expect_code(4);
    assert!(!out.exists(), "nothing written on a failed authentication");

    let ok = run([
        "get",
        "--json",
        "--dir",
        s(&root),
        DEVICE,
        "--master-key-file",
        s(&right),
        "-o",
        s(&out),
    ]);
    ok.expect_code(0);
    assert_eq!(std::fs::read(&out).unwrap(), std::fs::read(&blob).unwrap());
    let j = ok.json();
    assert_eq!(
        (&j["authenticated"], &j["decrypted"]),
        (&true.into(), &false.into())
    );

    // The key in the environment is a key given too.
    let env = run_cmd(
        ffce()
            .env("FFCE_MASTER_KEY", "22".repeat(32))
            .args(["get", "--dir", s(&root), DEVICE]),
        None,
    );
    env.expect_code(4);
    assert!(env.stderr.contains("FFCE_MASTER_KEY"), "{}", env.stderr);
}

/// Every write that has the plaintext in hand refuses one the device will not restore
/// (exit 4, nothing written, the reason named); `--force` writes it with a warning.
#[test]
fn writes_refuse_a_plaintext_the_device_will_not_restore() {
    let dir = temp_dir();
    let root = dir.path().join("store");
    std::fs::create_dir(&root).unwrap();
    let key = master_11(dir.path());
    let cases: [(&str, &[u8], &str); 4] = [
        ("nul", b"{\"formatName\":\"dexie\"}\0", "NUL byte"),
        ("empty", b"", "empty plaintext"),
        (
            "truncated",
            b"{\"formatName\":\"dexie\",\"data\":{",
            "not JSON",
        ),
        (
            "not-dexie",
            br#"{"formatName":"other","data":{}}"#,
            "not a Dexie export",
        ),
    ];
    for (name, plaintext, why) in cases {
        let file = write_file(dir.path(), name, plaintext, 0o600);
        let put = |extra: &[&str]| {
            let mut args = vec!["put", "--dir", s(&root), DEVICE, "--encrypt"];
            args.extend_from_slice(&["--master-key-file", s(&key), s(&file)]);
            args.extend_from_slice(extra);
            run(args)
        };
        let refused = put(&[]);
        refused.expect_code(4);
        assert!(
            refused.stderr.contains("will not restore"),
            "{name}: {}",
            refused.stderr
        );
        assert!(refused.stderr.contains(why), "{name}: {}", refused.stderr);
        assert!(
            refused.stderr.contains("--force"),
            "{name}: {}",
            refused.stderr
        );
        run(["get", "--dir", s(&root), DEVICE]).expect_code(3);

        // A blob of it, uploaded as it is with the key that opens it: refused too.
        let blob = seal(dir.path(), name, plaintext);
        let as_blob = run([
            "put",
            "--dir",
            s(&root),
            DEVICE,
            "--master-key-file",
            s(&key),
            s(&blob),
        ]);
        as_blob.expect_code(4);
        assert!(as_blob.stderr.contains(why), "{name}: {}", as_blob.stderr);

        let out = dir.path().join(format!("{name}.ffce.out"));
        let enc = run([
            "encrypt",
            "--master-key-file",
            s(&key),
            s(&file),
            "-o",
            s(&out),
        ]);
        enc.expect_code(4);
        assert!(!out.exists(), "{name}: encrypt wrote nothing");
    }

    // --force writes it, loudly, even with -q.
    let nul = dir.path().join("nul");
    let forced = run([
        "put",
        "-q",
        "--dir",
        s(&root),
        DEVICE,
        "--encrypt",
        "--force",
        "--master-key-file",
        s(&key),
        s(&nul),
    ]);
    forced.expect_code(0);
    assert!(
        forced.stderr.contains("warning:") && forced.stderr.contains("NUL byte"),
        "{}",
        forced.stderr
    );
    // And a good export goes through silently.
    let good = write_file(dir.path(), "good.json", &restorable_plaintext(), 0o600);
    // `--yes`: it replaces the forced backup above, of which the local store keeps no
    // version.
    let ok = run([
        "put",
        "--yes",
        "--dir",
        s(&root),
        DEVICE,
        "--encrypt",
        "--master-key-file",
        s(&key),
        s(&good),
    ]);
    ok.expect_code(0);
    assert!(!ok.stderr.contains("warning"), "{}", ok.stderr);
}

/// `restore` with a key judges the version's plaintext as `put` does.
#[test]
fn restore_refuses_a_version_the_device_will_not_restore() {
    let b = Bucket::versioned("verdict-restore");
    let dir = temp_dir();
    let key = master_11(dir.path());
    let bad = seal(dir.path(), "nul", b"{}\0");
    let planted = b.plant(&nested(DEVICE), &bad, &[]);
    let version = planted["version_id"].as_str().unwrap().to_string();
    let good = seal(dir.path(), "good", &restorable_plaintext());
    b.plant(&nested(DEVICE), &good, &[]);
    let run = b.ffce(&[
        "restore",
        DEVICE,
        "--version-id",
        &version,
        "--master-key-file",
        s(&key),
    ]);
    run.expect_code(4);
    assert!(run.stderr.contains("NUL byte"), "{}", run.stderr);
    assert!(run.stderr.contains("--force"), "{}", run.stderr);
    assert_eq!(
        b.versions_of(&nested(DEVICE)).0.len(),
        2,
        "nothing restored"
    );
    let forced = b.ffce(&[
        "restore",
        DEVICE,
        "--version-id",
        &version,
        "--master-key-file",
        s(&key),
        "--force",
    ]);
    forced.expect_code(0);
    assert!(forced.stderr.contains("warning:"), "{}", forced.stderr);
}

/// `put` of a blob with the key that opens it stores the plaintext digest as the
/// `etag` metadata (as the device API does); `get --json` reads it back.
/// `--if-match` given that digest instead of the object ETag says so.
#[test]
fn put_stores_the_plaintext_digest_and_if_match_names_it() {
    let b = Bucket::versioned("verdict-etag");
    let dir = temp_dir();
    let key = master_11(dir.path());
    let plaintext = restorable_plaintext();
    let blob = seal(dir.path(), "good", &plaintext);
    let put = b.ffce(&[
        "put",
        "--json",
        DEVICE,
        "--master-key-file",
        s(&key),
        s(&blob),
    ]);
    put.expect_code(0);
    let digest = sha256_hex(&plaintext);
    assert_eq!(put.json()["plaintext_digest"], digest.as_str());
    assert_eq!(b.head(&nested(DEVICE))["metadata"]["etag"], digest.as_str());
    let got = b.ffce(&["get", "--json", DEVICE]);
    got.expect_code(0);
    assert_eq!(got.json()["object"]["plaintext_digest"], digest.as_str());

    let object_etag = put.json()["object_etag"].as_str().unwrap().to_string();
    // Another backup (a fresh nonce), so that the conditional put has to write.
    let blob = seal(dir.path(), "next", &plaintext);
    let wrong = b.ffce(&["put", DEVICE, "--if-match", &digest, s(&blob)]);
    wrong.expect_code(5);
    assert!(
        wrong.stderr.contains("that is the plaintext digest")
            && wrong.stderr.contains(&object_etag),
        "{}",
        wrong.stderr
    );
    b.ffce(&["put", DEVICE, "--if-match", &object_etag, s(&blob)])
        .expect_code(0);
}

/// A key that does not open a blob is named with the key that does: the other
/// purpose, or the key file read the other way; `--purpose` with an already-derived
/// key is refused (exit 2).
#[test]
fn key_hints() {
    let dir = temp_dir();
    let root = dir.path().join("store");
    std::fs::create_dir(&root).unwrap();
    let master = master_11(dir.path());
    // A configfs blob of the same master secret: put names it.
    let configfs = ffce_core::MasterSecret::from_bytes([0x11; 32])
        .derive(ffce_core::Purpose::ConfigFs)
        .seal(&restorable_plaintext())
        .unwrap();
    let file = write_file(dir.path(), "config.ffce", &configfs, 0o644);
    let put = run([
        "put",
        "--dir",
        s(&root),
        DEVICE,
        "--master-key-file",
        s(&master),
        s(&file),
    ]);
    put.expect_code(4);
    assert!(
        put.stderr.contains("on-device config file"),
        "{}",
        put.stderr
    );

    // The master secret given as --key-file.
    let blob = seal(dir.path(), "good", &restorable_plaintext());
    for args in [
        vec!["inspect", "--key-file", s(&master), s(&blob)],
        vec![
            "put",
            "--dir",
            s(&root),
            DEVICE,
            "--key-file",
            s(&master),
            s(&blob),
        ],
    ] {
        let r = run(&args);
        r.expect_code(4);
        assert!(
            r.all()
                .contains("read as a master secret: use --master-key-file"),
            "{args:?}: {}",
            r.all()
        );
    }
    // A derived key given as --master-key-file.
    let derived = hex_key_file(dir.path(), "derived.key", KEY_11);
    let out = dir.path().join("plain.json");
    let r = run([
        "decrypt",
        "--master-key-file",
        s(&derived),
        s(&blob),
        "-o",
        s(&out),
    ]);
    r.expect_code(4);
    assert!(r.stderr.contains("use --key-file"), "{}", r.stderr);

    let r = run([
        "inspect",
        "--key-file",
        s(&derived),
        "--purpose",
        "configfs",
        s(&blob),
    ]);
    r.expect_code(2);
    assert!(r.stderr.contains("already-derived"), "{}", r.stderr);
}
