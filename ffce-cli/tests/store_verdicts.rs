//! What the stores promise, as the `ffce` command reports it:
//!
//! - `put --if-match` on the local store is a compare-and-swap: of writers racing with
//!   the same ETag, exactly one wins (separate processes, every round).
//! - A put that would destroy the only copy of a backup (the local store, a bucket
//!   without versioning) is asked about like a permanent delete; a first backup and a
//!   versioned bucket ask nothing.
//! - `ls --deleted` refuses, naming why, on a store that cannot hold delete markers
//!   (the local store, a bucket whose versioning was never enabled).
//!
//! The bucket tests run against the moto S3 server (`FFCE_TEST_S3_ENDPOINT`); they never
//! skip.

use crate::common;
use crate::common::s3::Bucket;

use std::process::{Command, Stdio};

use common::*;

/// The `object_etag` of a `put --json`.
fn etag_of(run: &Run) -> String {
    run.json()["object_etag"]
        .as_str()
        .unwrap_or_else(|| panic!("no object_etag: {}", run.out()))
        .to_string()
}

/// Eight `ffce put --if-match ETAG` processes started together on one local device,
/// five rounds, each from the ETag the last round's winner reported: exactly one exits
/// 0 every round, the others exit 5 saying someone else wrote it, and the stored file
/// is the winner's.
#[test]
fn local_if_match_has_exactly_one_winner() {
    const WRITERS: usize = 8;
    const ROUNDS: usize = 5;
    let work = temp_dir();
    let store = work.path().join("store");
    let d = s(&store);
    let first = seal(work.path(), "first.ffce", br#"{"round":"first"}"#);
    let mut etag = etag_of(run(["put", "--dir", d, DEVICE, s(&first), "--json"]).expect_code(0));
    for round in 0..ROUNDS {
        let blobs: Vec<_> = (0..WRITERS)
            .map(|w| {
                let text = format!(r#"{{"round":{round},"writer":{w}}}"#);
                seal(work.path(), &format!("r{round}w{w}.ffce"), text.as_bytes())
            })
            .collect();
        let children: Vec<_> = blobs
            .iter()
            .map(|blob| {
                ffce()
                    .args(["put", "--dir", d, DEVICE, s(blob), "--if-match", &etag])
                    .args(["--yes", "--json"])
                    .stdin(Stdio::null())
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped())
                    .spawn()
                    .expect("spawn ffce")
            })
            .collect();
        let runs: Vec<Run> = children
            .into_iter()
            .map(|c| c.wait_with_output().expect("wait for ffce").into())
            .collect();
        let winners: Vec<usize> = (0..WRITERS).filter(|&w| runs[w].code() == 0).collect();
        assert_eq!(
            winners.len(),
            1,
            "round {round}: exactly one winner; exits {:?}; stderr:\n{}",
            runs.iter().map(Run::code).collect::<Vec<_>>(),
            runs.iter().map(|r| r.stderr.as_str()).collect::<String>()
        );
        let won = winners[0];
        for (w, r) in runs.iter().enumerate().filter(|&(w, _)| w != won) {
            r.expect_code(5);
            assert!(
                r.stderr.contains("someone else wrote it"),
                "round {round} writer {w}: {}",
                r.stderr
            );
        }
        let stored = std::fs::read(store.join(DEVICE).join("backup.ffce")).unwrap();
        assert_eq!(
            stored,
            std::fs::read(&blobs[won]).unwrap(),
            "round {round}: the winner's backup is stored"
        );
        etag = etag_of(&runs[won]);
    }
    // The lock files are the store's own, never listed as stray keys.
    let ls = run(["ls", "--dir", d, "--json"]).expect_code(0).json();
    assert_eq!(ls["stray_keys"].as_array().unwrap().len(), 0, "{ls}");
    assert_eq!(ls["devices"].as_array().unwrap().len(), 1, "{ls}");
}

/// On a bucket without versioning, a put over an existing backup destroys it: refused
/// without `--yes` when nobody can be asked (exit 5, the old backup kept), done with
/// it. The device's first backup asks nothing, nor does `--if-absent`.
#[test]
fn put_over_an_unversioned_bucket_needs_yes() {
    let b = Bucket::plain("put-plain");
    let work = temp_dir();
    let one = seal(work.path(), "one.ffce", br#"{"n":1}"#);
    let two = seal(work.path(), "two.ffce", br#"{"n":2}"#);
    b.ffce(&["put", DEVICE, s(&one)]).expect_code(0);
    let before = b.head(&nested(DEVICE));

    let refused = b.ffce(&["put", DEVICE, s(&two)]);
    refused.expect_code(5);
    for part in [
        "destroy",
        "--yes",
        "nothing was uploaded",
        "keeps no versions",
    ] {
        assert!(refused.stderr.contains(part), "{part}: {}", refused.stderr);
    }
    assert_eq!(
        b.head(&nested(DEVICE))["etag"],
        before["etag"],
        "the old backup is kept"
    );
    b.ffce(&["put", DEVICE, s(&two), "--if-absent"])
        .expect_code(5);

    b.ffce(&["put", DEVICE, s(&two), "--yes"]).expect_code(0);
    assert_ne!(b.head(&nested(DEVICE))["etag"], before["etag"]);
}

/// A versioned bucket keeps the old backup as a version: a second put asks nothing.
#[test]
fn put_over_a_versioned_bucket_asks_nothing() {
    let b = Bucket::versioned("put-versioned");
    let work = temp_dir();
    let one = seal(work.path(), "one.ffce", br#"{"n":1}"#);
    let two = seal(work.path(), "two.ffce", br#"{"n":2}"#);
    b.ffce(&["put", DEVICE, s(&one)]).expect_code(0);
    b.ffce(&["put", DEVICE, s(&two)]).expect_code(0);
    assert_eq!(b.versions_of(&nested(DEVICE)).0.len(), 2);
}

/// The local store keeps no versions: a second put needs `--yes` (exit 5 and the file
/// unchanged without), and on a terminal it asks; `yes` replaces the file.
#[test]
fn put_over_a_local_backup_asks() {
    let home = temp_dir();
    let work = temp_dir();
    let store = work.path().join("store");
    let d = s(&store);
    let file = store.join(DEVICE).join("backup.ffce");
    let one = seal(work.path(), "one.ffce", br#"{"n":1}"#);
    let two = seal(work.path(), "two.ffce", br#"{"n":2}"#);
    run(["put", "--dir", d, DEVICE, s(&one)]).expect_code(0);

    let refused = run(["put", "--dir", d, DEVICE, s(&two)]);
    refused.expect_code(5);
    assert!(
        refused.stderr.contains("this store keeps no versions"),
        "{}",
        refused.stderr
    );
    assert_eq!(std::fs::read(&file).unwrap(), std::fs::read(&one).unwrap());

    let line = format!(
        "'{}' put --dir '{d}' {DEVICE} '{}'",
        ffce_path().display(),
        s(&two)
    );
    for (answer, code, stored) in [("no\n", 5, &one), ("yes\n", 0, &two)] {
        let mut script = Command::new("script");
        script
            .args(["-q", "-e", "-c", &line, "/dev/null"])
            .env_remove("FFCE_BUCKET")
            .env_remove("FFCE_DIR")
            .env("HOME", home.path());
        let run = run_cmd(&mut script, Some(answer.as_bytes()));
        assert_eq!(run.code(), code, "{answer:?}: {}", run.all());
        assert!(run.all().contains("Type 'yes' to confirm"), "{}", run.all());
        assert_eq!(
            std::fs::read(&file).unwrap(),
            std::fs::read(stored).unwrap(),
            "{answer:?}"
        );
    }
}

/// `ls --deleted` on a store that cannot hold delete markers is the same refusal on
/// both stores (exit 2, naming why), never "0 devices".
#[test]
fn ls_deleted_refuses_where_nothing_can_be_deleted() {
    let b = Bucket::plain("ls-deleted-plain");
    let work = temp_dir();
    let one = seal(work.path(), "one.ffce", br#"{"n":1}"#);
    b.ffce(&["put", DEVICE, s(&one)]).expect_code(0);
    b.ffce(&["delete", DEVICE, "--yes"]).expect_code(0);
    for json in [false, true] {
        let mut args = vec!["ls", "--deleted"];
        if json {
            args.push("--json");
        }
        let refused = b.ffce(&args);
        refused.expect_code(2);
        assert!(
            refused.stderr.contains("needs a versioned S3 bucket")
                && refused.stderr.contains("versioning was never enabled")
                && refused.stderr.contains(&b.name),
            "{}",
            refused.stderr
        );
    }

    let local = run(["ls", "--deleted", "--dir", s(work.path())]);
    local.expect_code(2);
    assert!(
        local.stderr.contains("needs a versioned S3 bucket"),
        "{}",
        local.stderr
    );

    // A versioned bucket with nothing deleted is an empty answer, not a refusal.
    let v = Bucket::versioned("ls-deleted-none");
    v.ffce(&["put", DEVICE, s(&one)]).expect_code(0);
    let none = v.ffce(&["ls", "--deleted", "--json"]);
    none.expect_code(0);
    assert_eq!(none.json()["devices"].as_array().unwrap().len(), 0);
}

/// A command run as an unprivileged user (`nobody` through `setpriv` when the tests
/// run as root, who bypasses file permissions), with the clean environment of
/// [`ffce`].
fn ffce_unprivileged() -> Command {
    if !rustix::process::geteuid().is_root() {
        return ffce();
    }
    let mut cmd = Command::new("setpriv");
    cmd.args(["--reuid=65534", "--regid=65534", "--clear-groups"])
        .arg(ffce_path());
    for var in ["FFCE_MASTER_KEY", "FFCE_KEY", "FFCE_BUCKET", "FFCE_DIR"] {
        cmd.env_remove(var);
    }
    cmd.env("RUST_BACKTRACE", "0");
    cmd
}

/// A local folder ffce may not read or write is a file-permission problem: the message
/// names the path and the operating system's error and points at the permissions,
/// never at IAM or credentials.
#[test]
fn local_permission_errors_name_the_path_and_the_os_error() {
    let work = temp_dir();
    set_mode(work.path(), 0o755);
    let store = work.path().join("store");
    std::fs::create_dir(&store).unwrap();
    let blob = seal(work.path(), "one.ffce", br#"{"n":1}"#);
    set_mode(&blob, 0o644);
    set_mode(&store, 0o311); // neither readable nor (for others) writable
    let ls = run_cmd(ffce_unprivileged().args(["ls", "--dir", s(&store)]), None);
    let put = run_cmd(
        ffce_unprivileged().args(["put", "--dir", s(&store), DEVICE, s(&blob)]),
        None,
    );
    set_mode(&store, 0o755);
    for (what, r) in [("ls", &ls), ("put", &put)] {
        r.expect_code(1);
        assert!(
            r.stderr.contains(s(&store))
                && r.stderr.contains("Permission denied (os error 13)")
                && r.stderr.contains("check the permissions"),
            "{what}: {}",
            r.stderr
        );
        assert!(
            !r.stderr.contains("IAM") && !r.stderr.contains("credentials"),
            "{what}: {}",
            r.stderr
        );
    }
}

/// A second delete of a device whose latest version is a delete marker says that it
/// is already deleted, since when, and the command that brings the backup back (exit 0,
/// as a delete of nothing is); the command it prints works.
#[test]
fn second_delete_says_already_deleted() {
    let b = Bucket::versioned("delete-twice");
    let work = temp_dir();
    let one = seal(work.path(), "one.ffce", br#"{"n":1}"#);
    let put = b.ffce(&["put", DEVICE, s(&one), "--json"]);
    put.expect_code(0);
    let version = put.json()["version_id"].as_str().unwrap().to_string();
    b.ffce(&["delete", DEVICE]).expect_code(0);

    let again = b.ffce(&["delete", DEVICE]);
    again.expect_code(0);
    for part in [
        "already deleted (latest version is a delete marker since 20",
        &format!("restore with `ffce restore {DEVICE} --version-id {version}"),
        "nothing was deleted",
    ] {
        assert!(again.stderr.contains(part), "{part}: {}", again.stderr);
    }
    assert!(
        !again.stderr.contains("nothing was there"),
        "{}",
        again.stderr
    );
    let (_, markers) = b.versions_of(&nested(DEVICE));
    assert_eq!(markers.len(), 1, "no second delete marker");

    // A device never stored is still "nothing was there".
    let never = b.ffce(&["delete", OTHER]);
    never.expect_code(0);
    assert!(
        never.stderr.contains("nothing was there"),
        "{}",
        never.stderr
    );
}

/// `--older-than` takes a date (before midnight UTC that day) or an RFC 3339 time as
/// well as an age, in `ls` and `audit`; anything else is a usage error naming both forms.
#[test]
fn older_than_takes_a_date_or_a_time() {
    let work = temp_dir();
    let store = work.path().join("store");
    let d = s(&store);
    let one = seal(work.path(), "one.ffce", br#"{"n":1}"#);
    run(["put", "--dir", d, DEVICE, s(&one)]).expect_code(0);
    let listed = |older: &str| {
        run(["ls", "--dir", d, "--older-than", older, "--json"])
            .expect_code(0)
            .json()["devices"]
            .as_array()
            .unwrap()
            .len()
    };
    assert_eq!(listed("2000-01-01"), 0, "written after that day");
    assert_eq!(listed("2999-01-01"), 1, "written before that day");
    assert_eq!(listed("2999-01-01T08:00:00Z"), 1);
    assert_eq!(listed("2000-01-01T08:00:00Z"), 0);
    assert_eq!(listed("30d"), 0, "an age still works");

    let human = run(["ls", "--dir", d, "--older-than", "2999-01-01"]);
    human.expect_code(0);
    assert!(
        human
            .stderr
            .contains("last written before 2999-01-01T00:00:00Z"),
        "{}",
        human.stderr
    );
    let audit = run(["audit", "--dir", d, "--older-than", "2999-01-01", "--json"]);
    audit.expect_code(0);
    assert_eq!(audit.json()["totals"]["stale"], 1, "{}", audit.out());

    for bad in ["2026-13-01", "yesterday", "2026-11"] {
        let r = run(["ls", "--dir", d, "--older-than", bad]);
        r.expect_code(2);
        assert!(
            r.stderr.contains("e.g. 30d") && r.stderr.contains("2026-11-01"),
            "{bad}: {}",
            r.stderr
        );
    }
}

/// `audit --fail-on` makes the named findings fail the audit (exit 4) for a nightly
/// script; by default they do not. Unknown kinds are a usage error naming the allowed
/// ones, and `stale` without `--older-than` is one too.
#[test]
fn audit_fail_on_named_findings() {
    let work = temp_dir();
    let store = work.path().join("store");
    let d = s(&store);
    let one = seal(work.path(), "one.ffce", br#"{"n":1}"#);
    run(["put", "--dir", d, DEVICE, s(&one)]).expect_code(0);
    write_file(&store, "notes.txt", b"not a backup", 0o644);
    let keys = work.path().join("keys");
    std::fs::create_dir(&keys).unwrap();
    let k = s(&keys);

    run(["audit", "--dir", d]).expect_code(0);
    run(["audit", "--dir", d, "--key-dir", k]).expect_code(0);
    run(["audit", "--dir", d, "--older-than", "2999-01-01"]).expect_code(0);

    let stray = run(["audit", "--dir", d, "--fail-on", "stray"]);
    stray.expect_code(4);
    assert!(stray.stderr.contains("1 stray key(s)"), "{}", stray.stderr);
    let json = run(["audit", "--dir", d, "--fail-on", "stray", "--json"]);
    json.expect_code(4);
    assert_eq!(json.json()["exit_code"], 4);

    let no_key = run(["audit", "--dir", d, "--key-dir", k, "--fail-on", "no_key"]);
    no_key.expect_code(4);
    assert!(no_key.stderr.contains("no_key"), "{}", no_key.stderr);

    let stale = ["audit", "--dir", d, "--fail-on", "stale,no_key"];
    let r = run(stale);
    r.expect_code(2);
    assert!(r.stderr.contains("--older-than"), "{}", r.stderr);
    run(stale.iter().copied().chain(["--older-than", "2999-01-01"])).expect_code(4);
    run(stale.iter().copied().chain(["--older-than", "2000-01-01"])).expect_code(0);

    let bad = run(["audit", "--dir", d, "--fail-on", "stale,bogus"]);
    bad.expect_code(2);
    assert!(
        bad.stderr.contains("bogus")
            && bad.stderr.contains("stale")
            && bad.stderr.contains("no_key")
            && bad.stderr.contains("stray"),
        "{}",
        bad.stderr
    );
}
