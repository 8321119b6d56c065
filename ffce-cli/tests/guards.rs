//! Trust under a user's mistakes: ffce never makes a bad backup live and never deletes
//! anything for good unless asked to.
//!
//! - `restore` applies the same checks as `put` to the version it would copy.
//! - `put` refuses to seal a blob twice, to upload with the on-device (`configfs`) key,
//!   and, when a key is given, to upload a blob that does not open with it.
//! - Every permanent deletion needs `--yes` (or `yes` typed on a terminal); a delete
//!   marker does not. A delete of nothing says so.
//! - `put --if-absent` of the bytes already stored says that nothing was written.
//!
//! The bucket tests run against the moto S3 server (`FFCE_TEST_S3_ENDPOINT`); they never
//! skip.

use crate::common;
use crate::common::s3;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;
use s3::*;

/// The number of versions and delete markers `ffce versions --json` lists.
fn version_count(b: &Bucket) -> usize {
    let run = b.ffce(&["versions", "--json", DEVICE]);
    run.expect_code(0);
    run.json()["versions"]
        .as_array()
        .expect("a JSON array")
        .len()
}

/// The version id of the latest version, as the test server has it.
fn latest_version(b: &Bucket) -> String {
    b.head(&nested(DEVICE))["version_id"]
        .as_str()
        .expect("a version id")
        .to_string()
}

/// A key file holding the master secret of vector `name`.
fn master_key_file(dir: &Path, name: &str) -> PathBuf {
    hex_key_file(dir, &format!("{name}.master"), &vector(name).master_secret)
}

/// A key file holding the derived AES key of vector `name`.
fn derived_key_file(dir: &Path, name: &str) -> PathBuf {
    hex_key_file(dir, &format!("{name}.key"), &vector(name).key)
}

// ---------------------------------------------------------------------------------
// 1. restore checks the version before it copies
// ---------------------------------------------------------------------------------

/// A version that `put` would refuse (bad magic, over the upload limit) is not made the
/// latest by `restore`: exit 4 naming the problem, and no new version. `--force` copies
/// it anyway, with a warning on stderr that `-q` does not hide.
#[test]
fn restore_refuses_a_version_put_would_refuse() {
    let b = Bucket::versioned("restore-bad");
    let good = vector("dexie-backup").path();
    let key = nested(DEVICE);
    for (bad, problem) in [("bad-magic", "magic"), ("oversize-backup", "upload limit")] {
        b.ffce(&["put", DEVICE, s(&good)]).expect_code(0);
        b.plant(&key, &vector(bad).path(), &[]);
        let bad_version = latest_version(&b);
        b.ffce(&["put", DEVICE, s(&good)]).expect_code(0);

        let before = version_count(&b);
        let run = b.ffce(&["restore", DEVICE, "--version-id", &bad_version]);
        run.expect_code(4);
        assert!(
            run.stderr.contains(problem),
            "{bad}: the message names the problem: {}",
            run.stderr
        );
        assert!(
            run.stderr.contains("--force"),
            "{bad}: says how to override: {}",
            run.stderr
        );
        assert_eq!(version_count(&b), before, "{bad}: no new version");
        assert_eq!(
            b.get(&key)["body_sha256"],
            vector("dexie-backup").blob_sha256,
            "{bad}: the good backup stays the latest"
        );

        let run = b.ffce(&[
            "-q",
            "restore",
            DEVICE,
            "--version-id",
            &bad_version,
            "--force",
        ]);
        run.expect_code(0);
        assert!(
            run.stderr.contains("warning") && run.stderr.contains(problem),
            "{bad}: --force warns even with -q: {}",
            run.stderr
        );
        assert_eq!(version_count(&b), before + 1, "{bad}: --force copied it");
        assert_eq!(b.get(&key)["body_sha256"], vector(bad).blob_sha256);
    }
}

/// With a key, `restore` also authenticates the version: one that does not open is
/// refused (exit 4, no new version); one that opens is restored.
#[test]
fn restore_with_a_key_authenticates_the_version() {
    let b = Bucket::versioned("restore-key");
    let dir = temp_dir();
    let key_file = master_key_file(dir.path(), "dexie-backup");
    let good = vector("dexie-backup").path();
    let key = nested(DEVICE);

    b.ffce(&["put", DEVICE, s(&good)]).expect_code(0);
    let good_version = latest_version(&b);
    b.plant(&key, &vector("dexie-ciphertext-flipped").path(), &[]);
    let forged_version = latest_version(&b);
    b.ffce(&["put", DEVICE, s(&good)]).expect_code(0);

    let before = version_count(&b);
    let run = b.ffce(&[
        "restore",
        DEVICE,
        "--version-id",
        &forged_version,
        "--master-key-file",
        s(&key_file),
    ]);
    run.expect_code(4);
    assert!(
        run.stderr.contains("authentic") || run.stderr.contains("wrong key"),
        "{}",
        run.stderr
    );
    assert_eq!(version_count(&b), before, "no new version");

    b.ffce(&[
        "restore",
        DEVICE,
        "--version-id",
        &good_version,
        "--master-key-file",
        s(&key_file),
    ])
    .expect_code(0);
    assert_eq!(version_count(&b), before + 1);
}

// ---------------------------------------------------------------------------------
// 2. put --encrypt of a blob
// ---------------------------------------------------------------------------------

/// `put --encrypt` of a file that already is an FFCE blob would seal it twice: refused
/// (exit 2) with a message that says so and how to upload it as it is; `--force` does
/// it anyway.
#[test]
fn put_encrypt_of_a_blob_is_refused() {
    let home = temp_dir();
    let store = temp_dir();
    let d = s(store.path());
    let key_file = master_key_file(home.path(), "dexie-backup");
    let blob = vector("dexie-backup").path();
    let args = [
        "put",
        "--dir",
        d,
        "--encrypt",
        "--master-key-file",
        s(&key_file),
        DEVICE,
        s(&blob),
    ];
    let run = run_home(home.path(), &args);
    run.expect_code(2);
    assert!(
        run.stderr.contains("already an FFCE blob"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("without --encrypt"), "{}", run.stderr);
    assert!(entries(store.path()).is_empty(), "nothing was uploaded");

    let mut forced = args.to_vec();
    forced.push("--force");
    run_home(home.path(), &forced).expect_code(0);
    assert!(store.path().join(DEVICE).join("backup.ffce").is_file());
}

// ---------------------------------------------------------------------------------
// 3. only the backup key uploads
// ---------------------------------------------------------------------------------

/// A blob sealed (or checked) with the on-device `configfs` key is no cloud backup: no
/// device can restore it. `put` refuses it (exit 2, saying why), whether it seals or
/// uploads a blob; an already-derived key (`--key-file`) has no purpose and is allowed.
#[test]
fn put_refuses_the_configfs_key() {
    let home = temp_dir();
    let store = temp_dir();
    let d = s(store.path());
    let master = master_key_file(home.path(), "dexie-configfs");
    let v = vector("dexie-configfs");
    let plaintext = fixtures_dir().join(v.plaintext_file.as_ref().unwrap());
    for args in [
        vec![
            "put",
            "--dir",
            d,
            "--encrypt",
            "--purpose",
            "configfs",
            "--master-key-file",
            s(&master),
            DEVICE,
            s(&plaintext),
        ],
        vec![
            "put",
            "--dir",
            d,
            "--purpose",
            "configfs",
            "--master-key-file",
            s(&master),
            DEVICE,
            s(&v.path()),
        ],
    ] {
        let run = run_home(home.path(), &args);
        run.expect_code(2);
        assert!(
            run.stderr.contains("configfs") && run.stderr.contains("no device can restore"),
            "{args:?}: {}",
            run.stderr
        );
        assert!(
            entries(store.path()).is_empty(),
            "{args:?}: nothing uploaded"
        );
    }
    let derived = derived_key_file(home.path(), "dexie-backup");
    let export = write_file(home.path(), "export.json", &restorable_plaintext(), 0o600);
    run_home(
        home.path(),
        &[
            "put",
            "--dir",
            d,
            "--encrypt",
            "--key-file",
            s(&derived),
            DEVICE,
            s(&export),
        ],
    )
    .expect_code(0);
}

// ---------------------------------------------------------------------------------
// 4. put with a key authenticates the blob
// ---------------------------------------------------------------------------------

/// `put --master-key-file K UUID blob` authenticates the blob with K first: one that does
/// not open is refused (exit 4) and nothing is uploaded; one that opens is uploaded.
#[test]
fn put_with_a_key_authenticates_the_blob() {
    let b = Bucket::versioned("put-auth");
    let dir = temp_dir();
    let key_file = master_key_file(dir.path(), "dexie-backup");
    let forged = vector("dexie-ciphertext-flipped").path();
    let run = b.ffce(&["put", "--master-key-file", s(&key_file), DEVICE, s(&forged)]);
    run.expect_code(4);
    assert!(
        run.stderr.contains("nothing was uploaded"),
        "{}",
        run.stderr
    );
    assert_eq!(b.head(&nested(DEVICE))["exists"], false, "nothing uploaded");

    let good = vector("dexie-backup").path();
    b.ffce(&["put", "--master-key-file", s(&key_file), DEVICE, s(&good)])
        .expect_code(0);
    assert_eq!(b.head(&nested(DEVICE))["exists"], true);
}

// ---------------------------------------------------------------------------------
// 5. permanent deletion needs --yes
// ---------------------------------------------------------------------------------

/// `delete --version-id V` deletes for good: without `--yes` (and no terminal) it is
/// refused (exit 5, naming `--yes`) and nothing changes. A plain delete on a versioned
/// bucket only adds a delete marker and needs no confirmation.
#[test]
fn delete_of_a_version_needs_yes() {
    let b = Bucket::versioned("delete-version");
    let blob = vector("dexie-backup").path();
    b.ffce(&["put", DEVICE, s(&blob)]).expect_code(0);
    let first = latest_version(&b);
    b.ffce(&["put", DEVICE, s(&blob)]).expect_code(0);

    let run = b.ffce(&["delete", DEVICE, "--version-id", &first]);
    run.expect_code(5);
    assert!(run.stderr.contains("--yes"), "{}", run.stderr);
    assert_eq!(version_count(&b), 2, "nothing was deleted");

    b.ffce(&["delete", DEVICE, "--version-id", &first, "--yes"])
        .expect_code(0);
    assert_eq!(version_count(&b), 1);

    // A delete marker keeps the data: no confirmation.
    b.ffce(&["delete", DEVICE]).expect_code(0);
    assert_eq!(version_count(&b), 2, "one version and one delete marker");
}

/// The local store keeps no versions, so every delete there is permanent: refused
/// without `--yes` (exit 5, file kept), done with it.
#[test]
fn local_delete_needs_yes() {
    let home = temp_dir();
    let store = temp_dir();
    let d = s(store.path());
    let blob = vector("dexie-backup").path();
    let file = store.path().join(DEVICE).join("backup.ffce");
    run_home(home.path(), &["put", "--dir", d, DEVICE, s(&blob)]).expect_code(0);

    let run = run_home(home.path(), &["delete", "--dir", d, DEVICE]);
    run.expect_code(5);
    assert!(run.stderr.contains("--yes"), "{}", run.stderr);
    assert!(file.is_file(), "nothing was deleted");

    let run = run_home(home.path(), &["delete", "--dir", d, DEVICE, "--yes"]);
    run.expect_code(0);
    assert!(!file.exists());
}

/// On a bucket without versioning a plain delete is permanent too (no delete marker
/// keeps the data): refused without `--yes` (exit 5, object kept), done with it.
#[test]
fn delete_on_an_unversioned_bucket_needs_yes() {
    let b = Bucket::plain("delete-plain");
    let blob = vector("dexie-backup").path();
    b.ffce(&["put", DEVICE, s(&blob)]).expect_code(0);

    let run = b.ffce(&["delete", DEVICE]);
    run.expect_code(5);
    assert!(run.stderr.contains("--yes"), "{}", run.stderr);
    assert_eq!(
        b.head(&nested(DEVICE))["exists"],
        true,
        "nothing was deleted"
    );

    b.ffce(&["delete", DEVICE, "--yes"]).expect_code(0);
    assert_eq!(b.head(&nested(DEVICE))["exists"], false);
}

/// On a terminal a permanent local delete asks; anything but `yes` keeps the file.
#[test]
fn local_delete_asks_on_a_terminal() {
    let home = temp_dir();
    let store = temp_dir();
    let d = s(store.path());
    let blob = vector("dexie-backup").path();
    let file = store.path().join(DEVICE).join("backup.ffce");
    run_home(home.path(), &["put", "--dir", d, DEVICE, s(&blob)]).expect_code(0);
    let line = format!("'{}' delete --dir '{d}' {DEVICE}", ffce_path().display());
    for (answer, code, kept) in [("no\n", 5, true), ("yes\n", 0, false)] {
        let mut script = Command::new("script");
        script
            .args(["-q", "-e", "-c", &line, "/dev/null"])
            .env_remove("FFCE_BUCKET")
            .env_remove("FFCE_DIR")
            .env("HOME", home.path());
        let run = run_cmd(&mut script, Some(answer.as_bytes()));
        assert_eq!(run.code(), code, "{answer:?}: {}", run.all());
        assert!(run.all().contains("Type 'yes' to confirm"), "{}", run.all());
        assert_eq!(file.is_file(), kept, "{answer:?}");
    }
}

// ---------------------------------------------------------------------------------
// 6. a delete of nothing says so
// ---------------------------------------------------------------------------------

/// Deleting a backup that was never there is still success (idempotent), but stderr says
/// that nothing was there, also with `--json` (whose stdout stays pure JSON); on the
/// local store no confirmation is needed for nothing.
#[test]
fn delete_of_nothing_says_so() {
    let b = Bucket::versioned("delete-nothing");
    for json in [false, true] {
        let mut args = vec!["delete", DEVICE];
        if json {
            args.push("--json");
        }
        let run = b.ffce(&args);
        run.expect_code(0);
        assert!(
            run.stderr.contains("nothing was there"),
            "json {json}: {}",
            run.stderr
        );
        if json {
            assert_eq!(run.json()["existed"], false);
        }
    }

    let home = temp_dir();
    let store = temp_dir();
    let run = run_home(home.path(), &["delete", "--dir", s(store.path()), DEVICE]);
    run.expect_code(0);
    assert!(run.stderr.contains("nothing was there"), "{}", run.stderr);
}

// ---------------------------------------------------------------------------------
// 7. put --if-absent of the identical bytes
// ---------------------------------------------------------------------------------

/// `put --if-absent` of exactly the bytes already stored writes nothing and says so
/// (exit 0; JSON `"written": false`), on a bucket and on the local store alike.
/// Different bytes are still refused (exit 5).
#[test]
fn put_if_absent_of_identical_bytes_writes_nothing() {
    let blob = vector("dexie-backup").path();
    let other = vector("binary-backup").path();

    let b = Bucket::versioned("if-absent-same");
    b.ffce(&["put", DEVICE, s(&blob)]).expect_code(0);
    let run = b.ffce(&["put", "--if-absent", DEVICE, s(&blob)]);
    run.expect_code(0);
    assert!(
        run.out().contains("already") && run.out().contains("nothing was written"),
        "{}",
        run.out()
    );
    assert!(!run.out().starts_with("stored"), "{}", run.out());
    let run = b.ffce(&["put", "--json", "--if-absent", DEVICE, s(&blob)]);
    run.expect_code(0);
    assert_eq!(run.json()["written"], false, "{}", run.out());
    assert_eq!(version_count(&b), 1, "no new version");
    b.ffce(&["put", "--if-absent", DEVICE, s(&other)])
        .expect_code(5);

    let home = temp_dir();
    let store = temp_dir();
    let d = s(store.path());
    run_home(home.path(), &["put", "--dir", d, DEVICE, s(&blob)]).expect_code(0);
    let run = run_home(
        home.path(),
        &["put", "--dir", d, "--json", "--if-absent", DEVICE, s(&blob)],
    );
    run.expect_code(0);
    assert_eq!(run.json()["written"], false, "{}", run.out());
    let run = run_home(
        home.path(),
        &["put", "--dir", d, "--if-absent", DEVICE, s(&blob)],
    );
    run.expect_code(0);
    assert!(run.out().contains("nothing was written"), "{}", run.out());
    run_home(
        home.path(),
        &["put", "--dir", d, "--if-absent", DEVICE, s(&other)],
    )
    .expect_code(5);
}
