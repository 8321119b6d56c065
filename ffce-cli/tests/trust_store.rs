//! Store-facing errors and reads a user can trust: not found is exit 3 and names what
//! is missing (a device, a folder, a bucket), every `--json` command prints a JSON
//! error object, checksums of every S3 algorithm are recognised and verified, a stalled
//! endpoint is explained while ffce waits, a missing key hints at where the backup
//! may be, `s3://` URLs stand for a device, and `get --no-verify` fetches a broken
//! backup for analysis.
//!
//! Against the real `ffce` binary and the moto S3 test server; without
//! `FFCE_TEST_S3_ENDPOINT` these tests fail, they never skip.

mod common;
#[path = "common/s3.rs"]
mod s3;

use std::path::Path;

use common::*;
use s3::*;

const DEVICE: &str = "3f2504e0-4f89-41d3-9a0c-0305e82c3301";

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// `ffce ARGS` against the test server with `--bucket NAME`.
fn ffce_bucket(name: &str, args: &[&str]) -> Run {
    let ep = endpoint();
    let mut cmd = ffce_aws();
    cmd.args(args)
        .args(["--bucket", name, "--endpoint-url", &ep]);
    run_cmd(&mut cmd, None)
}

/// Asserts stdout is exactly one JSON error object of `kind` with `code`, and returns
/// its message.
#[track_caller]
fn json_error(run: &Run, kind: &str, code: i32) -> String {
    let v = run.json();
    let err = &v["error"];
    assert_eq!(err["kind"], kind, "{v}");
    assert_eq!(err["exit_code"], code, "{v}");
    let message = err["message"].as_str().expect("a message").to_string();
    assert!(
        run.stderr.contains(&message),
        "stderr repeats the message: {run:?}"
    );
    message
}

// ---- 1. not found is exit 3 ----

#[test]
fn versions_of_a_device_with_no_object_is_not_found() {
    let b = Bucket::versioned("versions-none");
    let run = b.ffce(&["versions", DEVICE]);
    run.expect_code(3);
    assert!(run.stderr.contains(DEVICE), "names the device: {run:?}");
    assert!(run.out().is_empty(), "nothing on stdout: {run:?}");

    let run = b.ffce(&["versions", "--json", DEVICE]);
    run.expect_code(3);
    let message = json_error(&run, "not_found", 3);
    assert!(message.contains(DEVICE), "{message}");
}

#[test]
fn ls_and_audit_of_a_missing_folder_are_not_found() {
    let dir = temp_dir();
    let missing = dir.path().join("no-such-store");
    for cmd in ["ls", "audit"] {
        let r = run([cmd, "--dir", s(&missing)]);
        r.expect_code(3);
        assert!(
            r.stderr.contains(s(&missing)) && r.stderr.contains("does not exist"),
            "{cmd}: names the folder: {r:?}"
        );
        assert!(!r.stderr.contains("0 backups"), "{cmd}: {r:?}");
        let r = run_json_cmd(cmd, &missing);
        r.expect_code(3);
        json_error(&r, "not_found", 3);
    }
    // An existing but empty folder is fine.
    for cmd in ["ls", "audit"] {
        run([cmd, "--dir", s(dir.path())]).expect_code(0);
    }
}

fn run_json_cmd(cmd: &str, dir: &Path) -> Run {
    run([cmd, "--json", "--dir", s(dir)])
}

// ---- 2. a missing bucket is exit 3 everywhere, with a JSON error under --json ----

#[test]
fn a_missing_bucket_is_not_found_from_every_command() {
    let name = unique_bucket_name("no-such-bucket");
    let dir = temp_dir();
    let blob = vector("dexie-backup").path();
    let blob = s(&blob);
    let cases: Vec<Vec<&str>> = vec![
        vec!["get", DEVICE],
        vec!["put", DEVICE, blob],
        vec!["ls"],
        vec!["versions", DEVICE],
        vec!["restore", DEVICE, "--version-id", "v1"],
        vec!["delete", DEVICE],
        vec!["audit"],
    ];
    for args in &cases {
        let run = ffce_bucket(&name, args);
        run.expect_code(3);
        assert!(
            run.stderr.contains(&name) && run.stderr.contains("does not exist"),
            "{args:?}: {run:?}"
        );
        let mut with_json = args.clone();
        with_json.insert(1, "--json");
        let run = ffce_bucket(&name, &with_json);
        run.expect_code(3);
        let message = json_error(&run, "not_found", 3);
        assert!(message.contains(&name), "{args:?}: {message}");
    }
    let ep = endpoint();
    for sub in [
        vec!["bucket", "check", "--json"],
        vec!["bucket", "empty", "--yes", "--json"],
    ] {
        let mut cmd = ffce_aws();
        cmd.args(&sub)
            .args(["--bucket", &name, "--endpoint-url", &ep]);
        let run = run_cmd(&mut cmd, None);
        run.expect_code(3);
        let message = json_error(&run, "not_found", 3);
        assert!(message.contains(&name), "{sub:?}: {message}");
    }
    drop(dir);
}

/// Every error of a `--json` command is a JSON object on stdout, also one that is not
/// about the store (here: a usage error found before any request).
#[test]
fn json_errors_have_one_shape() {
    let r = run(["versions", "--json", "--dir", "/tmp", "not-a-uuid"]);
    r.expect_code(2);
    json_error(&r, "usage", 2);
    // Without --json, stdout stays empty.
    let r = run(["versions", "--dir", "/tmp", "not-a-uuid"]);
    r.expect_code(2);
    assert!(r.out().is_empty(), "{r:?}");
}
