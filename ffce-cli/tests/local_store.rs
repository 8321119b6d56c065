//! The bucket commands on the local directory store (`--dir`, `FFCE_DIR`, and the
//! embedded default in the user's data directory): same layout as the bucket, atomic
//! files, conditional writes, refusal of the versioning commands, and no way out of the
//! store's root.

use crate::common;

use common::*;

/// put, get, ls and delete with `--dir`, in both layouts: files at exactly the bucket's
/// keys, byte-identical round trips, idempotent delete, no temporary files left.
#[test]
fn dir_store_round_trip_in_both_layouts() {
    let home = temp_dir();
    let store = temp_dir();
    let out_dir = temp_dir();
    let v = vector("dexie-backup");
    let blob = v.blob();
    for (layout, rel) in [
        ("nested", format!("{DEVICE}/backup.ffce")),
        ("flat", DEVICE.to_string()),
    ] {
        let dir = store.path().join(layout);
        let d = s(&dir);
        let run = run_home(
            home.path(),
            &["put", "--dir", d, "--layout", layout, DEVICE, s(&v.path())],
        );
        run.expect_code(0);
        let path = dir.join(&rel);
        assert_eq!(std::fs::read(&path).unwrap(), blob);
        assert!(
            run.out().contains(s(&path)),
            "names the file: {}",
            run.out()
        );

        let out = out_dir.path().join(format!("{layout}.ffce"));
        run_home(
            home.path(),
            &["get", "--dir", d, "--layout", layout, DEVICE, "-o", s(&out)],
        )
        .expect_code(0);
        assert_eq!(std::fs::read(&out).unwrap(), blob);

        let key = hex_key_file(out_dir.path(), &format!("{layout}.key"), &v.master_secret);
        let plain = out_dir.path().join(format!("{layout}.json"));
        run_home(
            home.path(),
            &[
                "get",
                "--dir",
                d,
                "--layout",
                layout,
                DEVICE,
                "--decrypt",
                "--master-key-file",
                s(&key),
                "-o",
                s(&plain),
            ],
        )
        .expect_code(0);
        assert_eq!(
            sha256_hex(&std::fs::read(&plain).unwrap()),
            v.plaintext_sha256.clone().unwrap()
        );

        let run = run_home(
            home.path(),
            &["get", "--dir", d, "--layout", layout, DEVICE, "--json"],
        );
        run.expect_code(0);
        let report = run.json();
        assert_eq!(report["valid"], true);
        assert_eq!(report["object"]["checksum"]["status"], "local_file");
        assert_eq!(report["source"], s(&path));

        let run = run_home(
            home.path(),
            &["ls", "--dir", d, "--layout", layout, "--json"],
        );
        run.expect_code(0);
        let listed = run.json();
        assert_eq!(listed["devices"][0]["device"], DEVICE);
        assert_eq!(listed["devices"][0]["key"], rel.as_str());
        assert_eq!(listed["devices"][0]["size"], blob.len());
        assert_eq!(listed["stray_keys"].as_array().unwrap().len(), 0);

        let run = run_home(
            home.path(),
            &["delete", "--dir", d, "--layout", layout, DEVICE, "--yes"],
        );
        run.expect_code(0);
        assert!(run.out().contains("permanently"), "{}", run.out());
        assert!(!path.exists());
        let run = run_home(
            home.path(),
            &["delete", "--dir", d, "--layout", layout, DEVICE, "--yes"],
        );
        run.expect_code(0);
        assert!(run.stderr.contains("nothing was there"), "{}", run.stderr);
        run_home(
            home.path(),
            &["get", "--dir", d, "--layout", layout, DEVICE],
        )
        .expect_code(3);
        // Only the store's own lock folder stays (its lock files are never listed).
        assert_eq!(entries(&dir), [".ffce-locks"], "{:?}", entries(&dir));
    }
}

/// With neither a bucket nor a folder, ffce uses `$XDG_DATA_HOME/ffce/backups` (or
/// `~/.local/share/ffce/backups`) and says so on stderr, unless -q.
#[test]
fn embedded_default_store() {
    let home = temp_dir();
    let blob = vector("dexie-backup").path();
    let default = home.path().join(".local/share/ffce/backups");
    let run = run_home(home.path(), &["put", DEVICE, s(&blob)]);
    run.expect_code(0);
    assert!(
        run.stderr.contains(&format!(
            "using the local backup store at {}",
            default.display()
        )),
        "{}",
        run.stderr
    );
    assert!(default.join(DEVICE).join("backup.ffce").is_file());
    let run = run_home(home.path(), &["-q", "ls"]);
    run.expect_code(0);
    assert!(run.stderr.is_empty(), "-q: {}", run.stderr);
    // -q prints only errors: not the listing either (tests/quiet.rs).
    assert!(run.out().is_empty(), "-q: {}", run.out());
    assert!(run_home(home.path(), &["ls"]).out().contains(DEVICE));
    // The main job: put → ls → get → inspect.
    let out = home.path().join("back.ffce");
    run_home(home.path(), &["get", DEVICE, "-o", s(&out)]).expect_code(0);
    run_home(home.path(), &["inspect", s(&out)]).expect_code(0);

    let xdg = temp_dir();
    let mut cmd = ffce_home(home.path());
    cmd.env("XDG_DATA_HOME", xdg.path())
        .args(["put", OTHER, s(&blob)]);
    let run = run_cmd(&mut cmd, None);
    run.expect_code(0);
    assert!(
        xdg.path()
            .join("ffce/backups")
            .join(OTHER)
            .join("backup.ffce")
            .is_file()
    );
    assert!(run.out().contains(s(&xdg.path().join("ffce/backups"))));

    // FFCE_DIR selects a folder and the note is not printed.
    let chosen = temp_dir();
    let mut cmd = ffce_home(home.path());
    cmd.env("FFCE_DIR", chosen.path())
        .args(["put", OTHER, s(&blob)]);
    let run = run_cmd(&mut cmd, None);
    run.expect_code(0);
    assert!(
        !run.stderr.contains("using the local backup store"),
        "{}",
        run.stderr
    );
    assert!(chosen.path().join(OTHER).join("backup.ffce").is_file());
}

/// Versioning commands need a bucket: exit 2 with a message that says so, and the
/// store is untouched.
#[test]
fn versioning_commands_need_a_bucket() {
    let home = temp_dir();
    let store = temp_dir();
    let d = s(store.path());
    let blob = vector("dexie-backup").path();
    run_home(home.path(), &["put", "--dir", d, DEVICE, s(&blob)]).expect_code(0);
    for args in [
        vec!["versions", "--dir", d, DEVICE],
        vec!["restore", "--dir", d, DEVICE, "--version-id", "abc"],
        vec!["delete", "--dir", d, DEVICE, "--version-id", "abc"],
        vec!["delete", "--dir", d, DEVICE, "--all-versions", "--yes"],
        vec!["delete", "--dir", d, DEVICE, "--all-versions"],
        vec!["get", "--dir", d, DEVICE, "--version-id", "abc"],
    ] {
        let run = run_home(home.path(), &args);
        run.expect_code(2);
        assert!(
            run.stderr.contains("needs an S3 bucket"),
            "{args:?}: {}",
            run.stderr
        );
    }
    assert!(store.path().join(DEVICE).join("backup.ffce").is_file());
}

/// `--if-absent` is exact on the local store; `--if-match` compares the file's SHA-256
/// (its ETag here).
#[test]
fn local_conditional_writes() {
    let home = temp_dir();
    let store = temp_dir();
    let d = s(store.path());
    let first = vector("dexie-backup");
    let second = vector("binary-backup");
    let run = run_home(
        home.path(),
        &[
            "put",
            "--dir",
            d,
            "--json",
            "--if-absent",
            DEVICE,
            s(&first.path()),
        ],
    );
    run.expect_code(0);
    let etag = run.json()["object_etag"].as_str().unwrap().to_string();
    assert_eq!(etag, first.blob_sha256);
    run_home(
        home.path(),
        &["put", "--dir", d, "--if-absent", DEVICE, s(&second.path())],
    )
    .expect_code(5);
    run_home(
        home.path(),
        &[
            "put",
            "--dir",
            d,
            "--if-match",
            "00",
            DEVICE,
            s(&second.path()),
        ],
    )
    .expect_code(5);
    run_home(
        home.path(),
        &[
            "put",
            "--dir",
            d,
            "--if-match",
            &etag,
            OTHER,
            s(&second.path()),
        ],
    )
    .expect_code(5);
    let file = store.path().join(DEVICE).join("backup.ffce");
    assert_eq!(std::fs::read(&file).unwrap(), first.blob());
    run_home(
        home.path(),
        &[
            "put",
            "--dir",
            d,
            "--if-match",
            &etag,
            DEVICE,
            s(&second.path()),
            // The local store keeps no versions: replacing a backup is confirmed.
            "--yes",
        ],
    )
    .expect_code(0);
    assert_eq!(std::fs::read(&file).unwrap(), second.blob());
    assert_eq!(
        entries(&store.path().join(DEVICE)),
        vec!["backup.ffce".to_string()]
    );
    assert!(!store.path().join(OTHER).exists());
}

/// A device folder or file that is a symlink out of the root is refused (exit 5) for
/// writes, reads and deletes; the outside stays untouched.
#[test]
fn symlinks_out_of_the_store_are_refused() {
    let home = temp_dir();
    let store = temp_dir();
    let outside = temp_dir();
    let d = s(store.path());
    let blob = vector("dexie-backup").path();
    std::os::unix::fs::symlink(outside.path(), store.path().join(DEVICE)).unwrap();
    let victim = write_file(outside.path(), "victim", b"keep me", 0o644);
    std::os::unix::fs::symlink(&victim, store.path().join(OTHER)).unwrap();
    for args in [
        vec!["put", "--dir", d, DEVICE, s(&blob)],
        vec!["get", "--dir", d, DEVICE],
        vec!["delete", "--dir", d, DEVICE, "--yes"],
        vec!["put", "--dir", d, "--layout", "flat", OTHER, s(&blob)],
        vec!["get", "--dir", d, "--layout", "flat", OTHER],
        vec!["delete", "--dir", d, "--layout", "flat", OTHER, "--yes"],
    ] {
        let run = run_home(home.path(), &args);
        run.expect_code(5);
        assert!(run.stderr.contains("symlink"), "{args:?}: {}", run.stderr);
    }
    assert_eq!(entries(outside.path()), vec!["victim".to_string()]);
    assert_eq!(std::fs::read(&victim).unwrap(), b"keep me");
}

/// ls on the local store reports stray files and folders, and a missing store is empty.
#[test]
fn local_ls_reports_strays() {
    let home = temp_dir();
    let store = temp_dir();
    let d = s(store.path());
    let blob = vector("dexie-backup").path();
    run_home(home.path(), &["put", "--dir", d, DEVICE, s(&blob)]).expect_code(0);
    run_home(
        home.path(),
        &["put", "--dir", d, "--layout", "flat", OTHER, s(&blob)],
    )
    .expect_code(0);
    write_file(store.path(), "notes.txt", b"x", 0o644);
    std::fs::create_dir_all(store.path().join(DEVICE).join("deeper")).unwrap();
    let run = run_home(home.path(), &["ls", "--dir", d, "--json"]);
    run.expect_code(0);
    let out = run.json();
    assert_eq!(out["devices"].as_array().unwrap().len(), 1);
    let mut strays: Vec<(String, String)> = out["stray_keys"]
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
    strays.sort();
    let mut expected = vec![
        (format!("{DEVICE}/deeper/"), "unrecognised".to_string()),
        (OTHER.to_string(), "flat_layout".to_string()),
        ("notes.txt".to_string(), "unrecognised".to_string()),
    ];
    expected.sort();
    assert_eq!(strays, expected);

    let missing = store.path().join("does-not-exist");
    let run = run_home(home.path(), &["ls", "--dir", s(&missing), "--json"]);
    run.expect_code(3);
    assert_eq!(run.json()["error"]["kind"], "not_found");
}
