//! The bucket commands against a real S3-compatible server (moto on loopback, started by
//! `scripts/test.sh`): put, get, delete, ls, versions and restore, checked with an
//! independent client (boto3, `scripts/s3_oracle.py`). Each test has its own bucket.
//!
//! Without `FFCE_TEST_S3_ENDPOINT` these tests fail; they never skip.

use crate::common;
use crate::common::s3;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;
use s3::*;
use serde_json::Value;

/// The dexie backup vector, its master-secret key file, and its plaintext.
struct Dexie {
    /// Where the blob and the plaintext are (apart from the test's own folder).
    _files: tempfile::TempDir,
    blob: PathBuf,
    key_file: PathBuf,
    plaintext: PathBuf,
    plaintext_sha256: String,
}

fn dexie(dir: &Path) -> Dexie {
    // A backup the controller restores (the fixture vectors' export names another
    // database, which `put --encrypt` refuses).
    let plaintext = restorable_plaintext();
    let files = temp_dir();
    Dexie {
        blob: seal(files.path(), "dexie", &plaintext),
        key_file: hex_key_file(dir, "device.key", MASTER_11),
        plaintext: write_file(files.path(), "dexie.json", &plaintext, 0o600),
        plaintext_sha256: sha256_hex(&plaintext),
        _files: files,
    }
}

/// `put` of an existing blob and of a plaintext with `--encrypt`: what lands is what
/// docs/SPEC.md §5 asks for (content type, SHA-256 checksum, SSE-KMS, metadata `etag` =
/// plaintext SHA-256 only when ffce knows the plaintext), and the output names the
/// object, its ETag and its version id as the server has them.
#[test]
fn put_lands_as_the_spec_says() {
    let b = Bucket::versioned("put-lands");
    let dir = temp_dir();
    let d = dexie(dir.path());
    let blob = std::fs::read(&d.blob).unwrap();

    let run = b.ffce(&["put", "--json", DEVICE, s(&d.blob)]);
    run.expect_code(0);
    let out = run.json();
    let key = nested(DEVICE);
    assert_eq!(out["location"], format!("s3://{}/{key}", b.name));
    let head = b.head(&key);
    assert_eq!(head["content_type"], "application/octet-stream");
    assert_eq!(head["checksum_sha256"], sha256_b64(&blob));
    assert_eq!(head["sse"], "aws:kms");
    assert_eq!(head["sse_kms_key_id"], TEST_KMS_KEY);
    assert_eq!(
        head["metadata"],
        serde_json::json!({}),
        "no plaintext known, no etag"
    );
    assert_eq!(head["etag"], out["object_etag"]);
    assert_eq!(head["version_id"], out["version_id"]);
    assert_eq!(b.get(&key)["body_sha256"], sha256_hex(&blob));

    // Human output names the location too.
    let run = b.ffce(&["put", DEVICE, s(&d.blob)]);
    run.expect_code(0);
    assert!(
        run.out().contains(&format!("s3://{}/{key}", b.name)),
        "{}",
        run.out()
    );

    // --encrypt: sealed here, plaintext digest as metadata, explicit KMS key.
    let run = b.ffce(&[
        "put",
        "--json",
        OTHER,
        "--encrypt",
        "--master-key-file",
        s(&d.key_file),
        "--sse-kms-key-id",
        "alias/ffce-explicit",
        s(&d.plaintext),
    ]);
    run.expect_code(0);
    let out = run.json();
    assert_eq!(out["plaintext_digest"], d.plaintext_sha256);
    let got = b.get(&nested(OTHER));
    assert_eq!(got["metadata"]["etag"], d.plaintext_sha256);
    assert_eq!(got["sse_kms_key_id"], "alias/ffce-explicit");
    assert_eq!(got["body_sha256"], out["content_sha256"]);
    // The uploaded blob opens with the device key and gives back the plaintext.
    let fetched = dir.path().join("fetched.json");
    b.ffce(&[
        "get",
        OTHER,
        "--decrypt",
        "--master-key-file",
        s(&d.key_file),
        "-o",
        s(&fetched),
    ])
    .expect_code(0);
    assert_eq!(
        sha256_hex(&std::fs::read(&fetched).unwrap()),
        d.plaintext_sha256
    );
    assert!(
        !run.all().contains(
            &std::fs::read_to_string(&d.key_file)
                .unwrap()
                .trim()
                .to_string()
        )
    );
}

/// Both layouts write and read exactly `{uuid}/backup.ffce` and `{uuid}`; an uppercase
/// UUID names the same (lowercase) object; get writes the blob, the plaintext, or
/// without -o prints the header report with the object's details.
#[test]
fn get_round_trips_in_both_layouts() {
    let b = Bucket::versioned("layouts");
    let dir = temp_dir();
    let d = dexie(dir.path());
    let blob = std::fs::read(&d.blob).unwrap();
    for (layout, key) in [("nested", nested(DEVICE)), ("flat", DEVICE.to_string())] {
        b.ffce(&[
            "put",
            "--layout",
            layout,
            &DEVICE.to_uppercase(),
            s(&d.blob),
        ])
        .expect_code(0);
        assert!(b.keys().contains(&key), "{layout}: {:?}", b.keys());

        let out = dir.path().join(format!("{layout}.ffce"));
        b.ffce(&["get", "--layout", layout, DEVICE, "-o", s(&out)])
            .expect_code(0);
        assert_eq!(std::fs::read(&out).unwrap(), blob);

        let plain = dir.path().join(format!("{layout}.json"));
        b.ffce(&[
            "get",
            "--layout",
            layout,
            DEVICE,
            "--decrypt",
            "--master-key-file",
            s(&d.key_file),
            "-o",
            s(&plain),
        ])
        .expect_code(0);
        assert_eq!(
            sha256_hex(&std::fs::read(&plain).unwrap()),
            d.plaintext_sha256
        );

        let run = b.ffce(&["get", "--layout", layout, DEVICE, "--json"]);
        run.expect_code(0);
        let report = run.json();
        assert_eq!(report["valid"], true);
        assert_eq!(report["source"], format!("s3://{}/{key}", b.name));
        assert_eq!(report["object"]["checksum"]["status"], "verified");
        assert_eq!(report["object"]["checksum"]["algorithm"], "SHA256");
        assert_eq!(
            report["object"]["checksum"]["value_base64"],
            sha256_b64(&blob)
        );
        assert_eq!(report["object"]["version_id"], b.head(&key)["version_id"]);

        let run = b.ffce(&["get", "--layout", layout, DEVICE]);
        run.expect_code(0);
        assert!(run.out().contains("SHA256 verified"), "{}", run.out());

        // -o onto an existing file is refused before anything is downloaded.
        b.ffce(&["get", "--layout", layout, DEVICE, "-o", s(&out)])
            .expect_code(5);
    }
    assert_eq!(b.keys().len(), 2);
}

/// Objects written by other clients: without a checksum ffce warns and still checks the
/// structure; with the plaintext-digest metadata it compares after decrypting, and a
/// mismatch exits 4 without writing anything.
#[test]
fn get_checks_objects_written_by_others() {
    let b = Bucket::versioned("others");
    let dir = temp_dir();
    let d = dexie(dir.path());
    let meta = format!("etag={}", d.plaintext_sha256);
    b.plant(DEVICE, &d.blob, &["--metadata", &meta]);

    let out = dir.path().join("plain.json");
    let run = b.ffce(&[
        "get",
        "--layout",
        "flat",
        DEVICE,
        "--decrypt",
        "--master-key-file",
        s(&d.key_file),
        "-o",
        s(&out),
    ]);
    run.expect_code(0);
    assert!(
        run.stderr.contains("has no checksum stored"),
        "{}",
        run.stderr
    );
    assert_eq!(
        sha256_hex(&std::fs::read(&out).unwrap()),
        d.plaintext_sha256
    );

    // Metadata that names another plaintext: refused, nothing written.
    b.plant(
        DEVICE,
        &d.blob,
        &["--metadata", &format!("etag={}", "ab".repeat(32))],
    );
    let out2 = dir.path().join("plain2.json");
    let run = b.ffce(&[
        "get",
        "--layout",
        "flat",
        DEVICE,
        "--decrypt",
        "--master-key-file",
        s(&d.key_file),
        "-o",
        s(&out2),
    ]);
    run.expect_code(4);
    assert!(run.stderr.contains("etag"), "{}", run.stderr);
    assert!(!out2.exists());
    // The report path (no -o) says the same with exit 4.
    b.ffce(&[
        "get",
        "--layout",
        "flat",
        DEVICE,
        "--decrypt",
        "--master-key-file",
        s(&d.key_file),
    ])
    .expect_code(4);
}

/// A stored SHA-256 checksum that does not match the body (moto returns what it was
/// given, so the oracle can plant one): ffce refuses with exit 4 and writes nothing.
/// Also a body that is not a valid blob, and one whose tag does not verify.
#[test]
fn integrity_failures_exit_4_and_write_nothing() {
    let b = Bucket::versioned("integrity");
    let dir = temp_dir();
    let d = dexie(dir.path());
    let blob = std::fs::read(&d.blob).unwrap();
    let wrong = sha256_b64(b"not the body");
    b.plant(&nested(DEVICE), &d.blob, &["--checksum-sha256", &wrong]);
    assert_eq!(b.head(&nested(DEVICE))["checksum_sha256"], wrong);

    let out = dir.path().join("out.ffce");
    let run = b.ffce(&["get", DEVICE, "-o", s(&out)]);
    run.expect_code(4);
    assert!(run.stderr.contains("checksum"), "{}", run.stderr);
    assert!(!out.exists());
    assert_eq!(entries(dir.path()), vec!["device.key".to_string()]);
    b.ffce(&["get", DEVICE]).expect_code(4);
    let run = b.ffce(&["-v", "get", DEVICE]);
    run.expect_code(4);
    assert!(
        run.stderr.contains(&wrong),
        "-v names the stored checksum: {}",
        run.stderr
    );

    // Structurally broken body, correct checksum.
    let broken = vector("truncated-body");
    let broken_bytes = broken.blob();
    b.plant(
        &nested(OTHER),
        &broken.path(),
        &["--checksum-sha256", &sha256_b64(&broken_bytes)],
    );
    let run = b.ffce(&["get", OTHER, "-o", s(&out)]);
    run.expect_code(4);
    assert!(!out.exists());
    let run = b.ffce(&["get", OTHER, "--json"]);
    run.expect_code(4);
    assert_eq!(run.json()["valid"], false);

    // Valid structure, tag flipped: only --decrypt can tell.
    let flipped = vector("tag-flipped");
    b.plant(
        &nested(OTHER),
        &flipped.path(),
        &["--checksum-sha256", &sha256_b64(&flipped.blob())],
    );
    b.ffce(&["get", OTHER, "-o", s(&out)]).expect_code(0);
    std::fs::remove_file(&out).unwrap();
    let key = hex_key_file(dir.path(), "flipped.key", &flipped.key);
    let run = b.ffce(&[
        "get",
        OTHER,
        "--decrypt",
        "--key-file",
        s(&key),
        "-o",
        s(&out),
    ]);
    run.expect_code(4);
    assert!(!out.exists());
    let _ = blob;
}

/// Versioned semantics: delete adds a marker and prints the exact restore command;
/// running it brings the backup back; restore of an older version makes it latest;
/// deleting the delete marker by id undeletes; missing versions exit 3.
#[test]
fn delete_marker_restore_and_undelete() {
    let b = Bucket::versioned("versions");
    let dir = temp_dir();
    let d = dexie(dir.path());
    let key = nested(DEVICE);
    let v1_file = d.blob.clone();
    let v2_file = vector("binary-backup").path();
    let v1 = b.ffce(&["put", "--json", DEVICE, s(&v1_file)]).json();
    let v2 = b.ffce(&["put", "--json", DEVICE, s(&v2_file)]).json();
    let v1_id = v1["version_id"].as_str().unwrap().to_string();
    let v2_id = v2["version_id"].as_str().unwrap().to_string();

    let listed = b.ffce(&["versions", "--json", DEVICE]);
    listed.expect_code(0);
    let document = listed.json();
    assert_eq!(document["schema_version"], 1);
    assert_eq!(document["device"], DEVICE);
    let listed = &document["versions"];
    let ids: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["version_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec![v2_id.as_str(), v1_id.as_str()], "newest first");
    assert_eq!(listed[0]["is_latest"], true);
    assert_eq!(listed[1]["is_latest"], false);
    assert_eq!(listed[0]["kind"], "backup");
    assert_eq!(
        listed[0]["size"],
        std::fs::metadata(&v2_file).unwrap().len()
    );
    assert!(listed[0]["last_modified"].as_str().unwrap().ends_with('Z'));

    // Delete: a marker, earlier versions kept, and the exact undo command.
    let run = b.ffce(&["delete", DEVICE]);
    run.expect_code(0);
    assert!(run.out().contains("delete marker"), "{}", run.out());
    let undo_line = run
        .out()
        .lines()
        .find_map(|l| l.strip_prefix("undo with: ").map(str::to_string))
        .unwrap_or_else(|| panic!("no undo line: {}", run.out()));
    // The store flags that were given are repeated, so it can be pasted as it is.
    assert_eq!(
        undo_line,
        format!(
            "ffce restore {DEVICE} --version-id {v2_id} --bucket {} --endpoint-url {}",
            b.name,
            endpoint()
        )
    );
    let (versions, markers) = b.versions_of(&key);
    assert_eq!(versions.len(), 2);
    assert_eq!(markers.len(), 1);
    assert_eq!(markers[0]["is_latest"], true);
    let run = b.ffce(&["get", DEVICE]);
    run.expect_code(3);
    assert!(run.stderr.contains("ffce versions"), "{}", run.stderr);
    let listed = b.ffce(&["versions", "--json", DEVICE]).json()["versions"].take();
    assert_eq!(listed.as_array().unwrap().len(), 3);
    assert_eq!(listed[0]["kind"], "delete_marker");
    assert_eq!(listed[0]["is_latest"], true);
    assert_eq!(listed[0].get("size"), None, "a delete marker has no size");

    // Run the printed command as it is.
    let words: Vec<&str> = undo_line.split_whitespace().skip(1).collect();
    let mut cmd = ffce_aws();
    cmd.args(&words);
    run_cmd(&mut cmd, None).expect_code(0);
    let head = b.head(&key);
    assert_eq!(head["exists"], true);
    assert_eq!(
        b.get(&key)["body_sha256"],
        sha256_hex(&std::fs::read(&v2_file).unwrap())
    );
    assert_eq!(head["sse"], "aws:kms", "restore keeps SSE-KMS");
    assert!(
        head["checksum_sha256"].is_string(),
        "restore keeps a checksum"
    );

    // Restore the first version.
    let run = b.ffce(&["restore", "--json", DEVICE, "--version-id", &v1_id]);
    run.expect_code(0);
    let restored = run.json();
    assert_ne!(
        restored["version_id"],
        v1_id.as_str(),
        "a copy is a new version"
    );
    let got = b.get(&key);
    assert_eq!(
        got["body_sha256"],
        sha256_hex(&std::fs::read(&v1_file).unwrap())
    );
    assert_eq!(got["version_id"], restored["version_id"]);
    let out = dir.path().join("v1.ffce");
    b.ffce(&["get", DEVICE, "-o", s(&out)]).expect_code(0);
    assert_eq!(
        std::fs::read(&out).unwrap(),
        std::fs::read(&v1_file).unwrap()
    );
    // And get --version-id reads an older version directly.
    let out2 = dir.path().join("v2.ffce");
    b.ffce(&["get", DEVICE, "--version-id", &v2_id, "-o", s(&out2)])
        .expect_code(0);
    assert_eq!(
        std::fs::read(&out2).unwrap(),
        std::fs::read(&v2_file).unwrap()
    );

    // Undelete by removing the delete marker.
    let del = b.ffce(&["delete", "--json", DEVICE]);
    del.expect_code(0);
    let marker = del.json()["delete_marker_version_id"]
        .as_str()
        .unwrap()
        .to_string();
    let run = b.ffce(&["delete", DEVICE, "--version-id", &marker, "--yes"]);
    run.expect_code(0);
    assert!(run.out().contains("visible again"), "{}", run.out());
    assert_eq!(b.head(&key)["exists"], true);
    let (_, markers) = b.versions_of(&key);
    assert_eq!(markers.len(), 1, "only the first marker is left");

    // Permanently delete one version.
    let before = b.versions_of(&key).0.len();
    b.ffce(&["delete", DEVICE, "--version-id", &v1_id, "--yes"])
        .expect_code(0);
    assert_eq!(b.versions_of(&key).0.len(), before - 1);

    // Missing versions: exit 3, nothing changes.
    let missing = "doesNotExist123";
    b.ffce(&["restore", DEVICE, "--version-id", missing])
        .expect_code(3);
    b.ffce(&["delete", DEVICE, "--version-id", missing, "--yes"])
        .expect_code(3);
    b.ffce(&["get", DEVICE, "--version-id", &v1_id])
        .expect_code(3);
    let first_marker = b.versions_of(&key).1[0]["version_id"]
        .as_str()
        .unwrap()
        .to_string();
    let run = b.ffce(&["restore", DEVICE, "--version-id", &first_marker]);
    run.expect_code(3);
    assert!(run.stderr.contains("delete marker"), "{}", run.stderr);
}

/// Deleting a missing backup succeeds and says so, without stacking up delete markers;
/// on an unversioned bucket a delete is permanent and says that.
#[test]
fn delete_is_idempotent() {
    let b = Bucket::versioned("idempotent");
    let run = b.ffce(&["delete", DEVICE]);
    run.expect_code(0);
    assert!(run.stderr.contains("nothing was there"), "{}", run.stderr);
    let run = b.ffce(&["delete", "--json", DEVICE]);
    run.expect_code(0);
    assert_eq!(run.json()["existed"], false);
    let (v, m) = b.versions_of(&nested(DEVICE));
    assert!(v.is_empty() && m.is_empty());

    // After a real delete, a second delete adds no second marker.
    let blob = vector("dexie-backup").path();
    b.ffce(&["put", DEVICE, s(&blob)]).expect_code(0);
    b.ffce(&["delete", DEVICE]).expect_code(0);
    let run = b.ffce(&["delete", DEVICE]);
    run.expect_code(0);
    assert!(run.stderr.contains("already deleted"), "{}", run.stderr);
    assert_eq!(b.versions_of(&nested(DEVICE)).1.len(), 1);

    let plain = Bucket::plain("unversioned");
    plain.ffce(&["put", DEVICE, s(&blob)]).expect_code(0);
    let run = plain.ffce(&["delete", "--json", "--yes", DEVICE]);
    run.expect_code(0);
    let out = run.json();
    assert_eq!(out["existed"], true);
    assert_eq!(out["delete_marker_added"], false);
    assert_eq!(out["undo"], Value::Null);
    assert!(plain.keys().is_empty());
    let run = plain.ffce(&["delete", DEVICE]);
    run.expect_code(0);
    assert!(run.stderr.contains("nothing was there"), "{}", run.stderr);
}

/// `--all-versions` needs `--yes` (no terminal to ask on here): without it exit 5 and
/// nothing changes; with it every version and marker of that device is gone, and only
/// that device's.
#[test]
fn delete_all_versions_needs_confirmation() {
    let b = Bucket::versioned("all-versions");
    let blob = vector("dexie-backup").path();
    for _ in 0..3 {
        b.ffce(&["put", DEVICE, s(&blob)]).expect_code(0);
    }
    b.ffce(&["delete", DEVICE]).expect_code(0);
    b.ffce(&["put", OTHER, s(&blob)]).expect_code(0);

    let run = b.ffce(&["delete", "--all-versions", DEVICE]);
    run.expect_code(5);
    assert!(run.stderr.contains("--yes"), "{}", run.stderr);
    let (v, m) = b.versions_of(&nested(DEVICE));
    assert_eq!((v.len(), m.len()), (3, 1));

    let run = b.ffce(&["delete", "--all-versions", "--yes", "--json", DEVICE]);
    run.expect_code(0);
    assert_eq!(run.json()["deleted"], 4);
    let (v, m) = b.versions_of(&nested(DEVICE));
    assert!(v.is_empty() && m.is_empty(), "{v:?} {m:?}");
    assert_eq!(b.keys(), vec![nested(OTHER)]);
    // Again: nothing left, still success.
    b.ffce(&["delete", "--all-versions", "--yes", DEVICE])
        .expect_code(0);
}

/// On a terminal `--all-versions` asks: anything but `yes` refuses (exit 5, nothing
/// deleted), `yes` deletes. (util-linux `script` provides the terminal.)
#[test]
fn delete_all_versions_asks_on_a_terminal() {
    let b = Bucket::versioned("all-versions-tty");
    let blob = vector("dexie-backup").path();
    b.ffce(&["put", DEVICE, s(&blob)]).expect_code(0);
    let line = format!(
        "'{}' delete --all-versions {DEVICE} --bucket {} --endpoint-url {}",
        ffce_path().display(),
        b.name,
        endpoint()
    );
    for (answer, code, left) in [("no\n", 5, 1), ("yes\n", 0, 0)] {
        // The same clean environment as `ffce_aws`, but running `script` instead.
        let env = ffce_aws();
        let mut script = Command::new("script");
        for (k, v) in env.get_envs() {
            match v {
                Some(v) => script.env(k, v),
                None => script.env_remove(k),
            };
        }
        script.args(["-q", "-e", "-c", &line, "/dev/null"]);
        let run = run_cmd(&mut script, Some(answer.as_bytes()));
        assert_eq!(run.code(), code, "{}", run.all());
        assert!(run.all().contains("Type 'yes' to confirm"), "{}", run.all());
        assert_eq!(b.versions_of(&nested(DEVICE)).0.len(), left);
    }
}

/// `--if-absent` and `--if-match` are S3 conditional writes: the losing writer exits 5
/// and the object is unchanged.
#[test]
fn conditional_writes() {
    let b = Bucket::versioned("conditional");
    let first = vector("dexie-backup").path();
    let second = vector("binary-backup").path();
    let key = nested(DEVICE);

    let put = b.ffce(&["put", "--json", "--if-absent", DEVICE, s(&first)]);
    put.expect_code(0);
    let etag = put.json()["object_etag"].as_str().unwrap().to_string();
    let run = b.ffce(&["put", "--if-absent", DEVICE, s(&second)]);
    run.expect_code(5);
    assert!(run.stderr.contains("already exists"), "{}", run.stderr);
    let run = b.ffce(&["put", "--if-match", "0123456789abcdef", DEVICE, s(&second)]);
    run.expect_code(5);
    assert_eq!(b.versions_of(&key).0.len(), 1, "nothing was written");
    assert_eq!(
        b.get(&key)["body_sha256"],
        sha256_hex(&std::fs::read(&first).unwrap())
    );

    // The right ETag (quoted or not) wins.
    b.ffce(&[
        "put",
        "--if-match",
        &format!("\"{etag}\""),
        DEVICE,
        s(&second),
    ])
    .expect_code(0);
    assert_eq!(
        b.get(&key)["body_sha256"],
        sha256_hex(&std::fs::read(&second).unwrap())
    );
    // The old ETag no longer matches.
    b.ffce(&["put", "--if-match", &etag, DEVICE, s(&first)])
        .expect_code(5);
    // --if-match on a device with no backup: refused, nothing created.
    let run = b.ffce(&["put", "--if-match", &etag, OTHER, s(&first)]);
    run.expect_code(5);
    assert!(run.stderr.contains("does not exist"), "{}", run.stderr);
    assert_eq!(b.keys(), vec![key]);
}

/// What the cloud would refuse is refused before upload (exit 4, with the numbers).
#[test]
fn upload_limits_are_enforced_before_upload() {
    let b = Bucket::versioned("limits");
    let dir = temp_dir();
    let run = b.ffce(&["put", DEVICE, s(&vector("oversize-backup").path())]);
    run.expect_code(4);
    assert!(
        run.stderr.contains("524289") || run.stderr.contains("524,289"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("524288") || run.stderr.contains("524,288"),
        "{}",
        run.stderr
    );

    for name in [
        "empty-file",
        "bad-magic",
        "truncated-header",
        "trailing-bytes",
    ] {
        b.ffce(&["put", DEVICE, s(&vector(name).path())])
            .expect_code(4);
    }
    // A plaintext uploaded without --encrypt is not a blob.
    let plain = fixtures_dir().join("plaintexts/dexie-config.json");
    let run = b.ffce(&["put", DEVICE, s(&plain)]);
    run.expect_code(4);
    assert!(run.stderr.contains("--encrypt"), "{}", run.stderr);

    // --encrypt of a plaintext one byte too long for the limit.
    let v = vector("dexie-backup");
    let key = hex_key_file(dir.path(), "k", &v.master_secret);
    let big = write_file(dir.path(), "big.bin", &vec![b'a'; 524_252], 0o600);
    let run = b.ffce(&[
        "put",
        DEVICE,
        "--encrypt",
        "--master-key-file",
        s(&key),
        s(&big),
    ]);
    run.expect_code(4);
    assert!(run.stderr.contains("524,252"), "{}", run.stderr);
    // The largest plaintext that fits goes through (with --force: it is no JSON, so
    // the device would not restore it, and put says so).
    let max = write_file(dir.path(), "max.bin", &vec![b'a'; 524_251], 0o600);
    let run = b.ffce(&[
        "put",
        DEVICE,
        "--encrypt",
        "--force",
        "--master-key-file",
        s(&key),
        s(&max),
    ]);
    run.expect_code(0);
    assert!(
        run.stderr.contains("warning:") && run.stderr.contains("not JSON"),
        "{}",
        run.stderr
    );
    assert_eq!(b.head(&nested(DEVICE))["size"], 524_288);
    assert_eq!(
        b.versions_of(&nested(DEVICE)).0.len(),
        1,
        "only the valid upload landed"
    );
}

/// Anything but an 8-4-4-4-12 UUID is refused with exit 2 before any request: the
/// endpoint here is a closed port, so a request would have failed with exit 1.
#[test]
fn non_uuid_is_refused_before_any_request() {
    let blob = vector("dexie-backup").path();
    for bad in [
        "3f2504e04f8941d39a0c0305e82c3301",
        "{3f2504e0-4f89-41d3-9a0c-0305e82c3301}",
        "../../etc/passwd",
        "3f2504e0-4f89-41d3-9a0c-0305e82c330g",
        "",
    ] {
        for args in [
            vec!["put", bad, s(&blob)],
            vec!["get", bad],
            vec!["delete", bad],
            vec!["versions", bad],
            vec!["restore", bad, "--version-id", "v"],
        ] {
            let mut cmd = ffce_aws();
            cmd.args(&args).args([
                "--bucket",
                "ffce-never-used",
                "--endpoint-url",
                "http://127.0.0.1:9",
                "--max-attempts",
                "1",
            ]);
            let run = run_cmd(&mut cmd, None);
            run.expect_code(2);
            assert!(run.stderr.contains("UUID"), "{args:?}: {}", run.stderr);
        }
    }
}

/// Missing bucket, missing credentials and an unreachable endpoint: one clear line
/// each (exit 1); `-v` adds the SDK's detail.
#[test]
fn clear_messages_for_bucket_and_credentials() {
    let ep = endpoint();
    let missing = unique_bucket_name("missing");
    for args in [
        vec!["ls"],
        vec!["get", DEVICE],
        vec!["delete", DEVICE],
        vec!["versions", DEVICE],
    ] {
        let mut cmd = ffce_aws();
        cmd.args(&args)
            .args(["--bucket", &missing, "--endpoint-url", &ep]);
        let run = run_cmd(&mut cmd, None);
        run.expect_code(3);
        assert!(
            run.stderr
                .trim()
                .starts_with(&format!("error: bucket {missing} does not exist")),
            "{args:?}: {}",
            run.stderr
        );
    }

    let b = Bucket::versioned("creds");
    let mut cmd = ffce_aws();
    cmd.env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .args(["ls", "--bucket", &b.name, "--endpoint-url", &ep]);
    let run = run_cmd(&mut cmd, None);
    run.expect_code(1);
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    assert!(run.stderr.contains("no AWS credentials"), "{}", run.stderr);
    let mut cmd = ffce_aws();
    cmd.env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .args(["-v", "ls", "--bucket", &b.name, "--endpoint-url", &ep]);
    let run = run_cmd(&mut cmd, None);
    run.expect_code(1);
    assert!(
        run.stderr.lines().count() > 1,
        "-v adds detail: {}",
        run.stderr
    );

    let mut cmd = ffce_aws();
    cmd.env_remove("AWS_REGION")
        .args(["ls", "--bucket", &b.name, "--endpoint-url", &ep]);
    let run = run_cmd(&mut cmd, None);
    run.expect_code(2);
    assert!(run.stderr.contains("region"), "{}", run.stderr);

    let mut cmd = ffce_aws();
    cmd.args([
        "ls",
        "--bucket",
        &b.name,
        "--endpoint-url",
        "http://127.0.0.1:9",
        "--max-attempts",
        "1",
    ]);
    let run = run_cmd(&mut cmd, None);
    run.expect_code(1);
    // The endpoint and the cause, in one line without -v.
    assert!(
        run.stderr
            .contains("could not reach S3 at http://127.0.0.1:9 (connection refused)"),
        "{}",
        run.stderr
    );
}

/// `ls`: every device with its key, size and time; keys that do not fit the layout
/// are listed as stray keys with the reason, not hidden.
#[test]
fn ls_lists_devices_and_stray_keys() {
    let b = Bucket::versioned("ls");
    let dir = temp_dir();
    let blob = vector("dexie-backup").path();
    let len = std::fs::metadata(&blob).unwrap().len();
    b.ffce(&["put", DEVICE, s(&blob)]).expect_code(0);
    b.ffce(&["put", OTHER, s(&blob)]).expect_code(0);
    b.ffce(&["put", "--layout", "flat", OTHER, s(&blob)])
        .expect_code(0);
    let junk = write_file(dir.path(), "junk", b"junk", 0o644);
    b.plant("README.txt", &junk, &[]);
    b.plant(&nested(&DEVICE.to_uppercase()), &junk, &[]);
    b.plant(&format!("{DEVICE}/old.ffce"), &junk, &[]);

    let run = b.ffce(&["ls", "--json"]);
    run.expect_code(0);
    let out = run.json();
    assert_eq!(out["store"], format!("s3://{}", b.name));
    let devices = out["devices"].as_array().unwrap();
    let uuids: Vec<&str> = devices
        .iter()
        .map(|d| d["device"].as_str().unwrap())
        .collect();
    assert_eq!(uuids, vec![DEVICE, OTHER]);
    assert_eq!(devices[0]["key"], nested(DEVICE));
    assert_eq!(devices[0]["size"], len);
    assert!(devices[0]["last_modified"].as_str().unwrap().ends_with('Z'));
    let strays: Vec<(String, String)> = out["stray_keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["key"].as_str().unwrap().to_string(),
                s["reason"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let mut expected = vec![
        (nested(&DEVICE.to_uppercase()), "uppercase_uuid".to_string()),
        (format!("{DEVICE}/old.ffce"), "unrecognised".to_string()),
        (OTHER.to_string(), "flat_layout".to_string()),
        ("README.txt".to_string(), "unrecognised".to_string()),
    ];
    let mut got = strays.clone();
    got.sort();
    expected.sort();
    assert_eq!(got, expected);

    let run = b.ffce(&["ls", "--layout", "flat", "--json"]);
    run.expect_code(0);
    let flat = run.json();
    assert_eq!(flat["devices"].as_array().unwrap().len(), 1);
    assert_eq!(flat["devices"][0]["key"], OTHER);

    let run = b.ffce(&["ls"]);
    run.expect_code(0);
    assert!(
        run.out().contains(DEVICE) && run.out().contains("stray keys"),
        "{}",
        run.out()
    );
    assert!(run.stderr.contains("2 device(s)"), "{}", run.stderr);
}

/// Listings longer than one S3 page (1,000 entries) are followed to the end: ls of
/// 1,003 devices and versions of a key with 1,003 versions.
#[test]
fn listings_follow_pagination() {
    let b = Bucket::versioned("pages");
    oracle(&["put-many", &b.name, "1003", "--devices", "nested"]);
    let run = b.ffce(&["ls", "--json"]);
    run.expect_code(0);
    let out = run.json();
    assert_eq!(out["devices"].as_array().unwrap().len(), 1003);
    assert!(out["stray_keys"].as_array().unwrap().is_empty());

    let many = oracle(&["put-many", &b.name, "1003", "--key", DEVICE]);
    let run = b.ffce(&["versions", "--json", "--layout", "flat", DEVICE]);
    run.expect_code(0);
    let listed = run.json();
    let listed = listed["versions"].as_array().unwrap();
    assert_eq!(listed.len(), 1003);
    assert_eq!(listed[0]["version_id"], many["version_ids"][1002]);
    assert_eq!(listed.iter().filter(|v| v["is_latest"] == true).count(), 1);
    // `{uuid}` is a prefix of `{uuid}/backup.ffce`: the nested object is not a version.
    b.ffce(&["put", DEVICE, s(&vector("dexie-backup").path())])
        .expect_code(0);
    let listed = b
        .ffce(&["versions", "--json", "--layout", "flat", DEVICE])
        .json();
    assert_eq!(listed["versions"].as_array().unwrap().len(), 1003);
}

/// The bucket and endpoint also come from the environment: `FFCE_BUCKET`, then the
/// cloud's `S3_BACKUP_BUCKET_NAME`; `AWS_ENDPOINT_URL_S3` read by the SDK.
#[test]
fn bucket_and_endpoint_from_the_environment() {
    let b = Bucket::versioned("env");
    let blob = vector("dexie-backup").path();
    let mut cmd = ffce_aws();
    cmd.env("S3_BACKUP_BUCKET_NAME", &b.name)
        .env("AWS_ENDPOINT_URL_S3", endpoint())
        .args(["put", DEVICE, s(&blob)]);
    let run = run_cmd(&mut cmd, None);
    run.expect_code(0);
    assert!(
        run.out().contains(&format!("s3://{}/", b.name)),
        "{}",
        run.out()
    );
    assert_eq!(b.keys(), vec![nested(DEVICE)]);

    let mut cmd = ffce_aws();
    cmd.env("FFCE_BUCKET", &b.name)
        .env("S3_BACKUP_BUCKET_NAME", "ffce-not-this-one")
        .env("AWS_ENDPOINT_URL", endpoint())
        .args(["ls", "--json"]);
    let run = run_cmd(&mut cmd, None);
    run.expect_code(0);
    assert_eq!(run.json()["devices"].as_array().unwrap().len(), 1);

    // --dir wins over S3_BACKUP_BUCKET_NAME.
    let dir = temp_dir();
    let mut cmd = ffce_aws();
    cmd.env("S3_BACKUP_BUCKET_NAME", &b.name).args([
        "put",
        DEVICE,
        s(&blob),
        "--dir",
        s(dir.path()),
    ]);
    run_cmd(&mut cmd, None).expect_code(0);
    assert!(dir.path().join(nested(DEVICE)).is_file());
    assert_eq!(b.versions_of(&nested(DEVICE)).0.len(), 1);
}
