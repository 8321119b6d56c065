//! `ffce bucket create|check|empty` against the loopback S3 server (moto), with the
//! independent boto3 client (`scripts/s3_oracle.py`) preparing state and checking what
//! the bucket holds afterwards (docs/SPEC.md §5, §6). Each test has its own
//! bucket. Without `FFCE_TEST_S3_ENDPOINT` these tests fail; they never skip.

use crate::common;
use crate::common::s3;

use common::*;
use s3::*;
use serde_json::{Value, json};

const PAB: [&str; 4] = [
    "block_public_acls",
    "ignore_public_acls",
    "block_public_policy",
    "restrict_public_buckets",
];

/// A bucket name nobody has created yet (ffce creates it, or the test with the oracle).
fn fresh(tag: &str) -> Bucket {
    Bucket {
        name: unique_bucket_name(tag),
    }
}

fn settings(b: &Bucket) -> Value {
    oracle(&["bucket-settings", &b.name])
}

fn counts(b: &Bucket) -> Value {
    oracle(&["count-versions", &b.name])
}

/// The deviations of a `bucket check --json` run, as (setting, expected, found).
fn deviations(run: &Run) -> Vec<(String, Value, Value)> {
    let out = run.json();
    assert_eq!(
        out["conforms"],
        out["deviations"].as_array().unwrap().is_empty()
    );
    out["deviations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            assert_eq!(d["ok"], false);
            (
                d["setting"].as_str().unwrap().to_string(),
                d["expected"].clone(),
                d["found"].clone(),
            )
        })
        .collect()
}

/// A bucket made by the oracle with the whole spec except what `skip` names.
fn provisioned_by_oracle(tag: &str, skip: &str) -> Bucket {
    let b = fresh(tag);
    oracle(&["create-bucket", &b.name]);
    if skip != "pab" {
        oracle(&["put-public-access-block", &b.name]);
    }
    if skip != "versioning" {
        oracle(&["put-versioning", &b.name, "Enabled"]);
    }
    if skip != "encryption" {
        oracle(&["put-encryption", &b.name, "aws:kms"]);
    }
    b
}

/// `create` makes exactly the spec's bucket (as the oracle reads it back), `check`
/// passes on it, and a second `create` leaves the existing bucket alone (exit 0).
#[test]
fn create_then_check_passes() {
    let b = fresh("create");
    let run = b.ffce(&["bucket", "create", "--json"]);
    run.expect_code(0);
    let out = run.json();
    assert_eq!(out["created"], true);
    assert_eq!(out["already_existed"], false);

    let s = settings(&b);
    assert_eq!(s["exists"], true);
    for flag in PAB {
        assert_eq!(s["public_access_block"][flag], true, "{flag}: {s}");
    }
    assert_eq!(s["versioning"], "Enabled");
    assert_eq!(s["encryption"]["algorithm"], "aws:kms");
    assert_eq!(s["encryption"]["bucket_key_enabled"], true);
    assert_eq!(s["encryption"]["kms_key_id"], Value::Null);

    let run = b.ffce(&["bucket", "check", "--json"]);
    run.expect_code(0);
    let out = run.json();
    assert_eq!(out["conforms"], true);
    assert_eq!(out["deviations"], json!([]));
    let settings_checked: Vec<&str> = out["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["setting"].as_str().unwrap())
        .collect();
    assert_eq!(
        settings_checked,
        [&PAB[..], &["versioning", "default_encryption"]].concat()
    );
    let human = b.ffce(&["bucket", "check"]);
    human.expect_code(0);
    assert!(human.out().contains("conforms"), "{}", human.out());

    // Again: the bucket exists and is ours; nothing changes, and check is suggested.
    oracle(&["put-versioning", &b.name, "Suspended"]);
    let run = b.ffce(&["bucket", "create"]);
    run.expect_code(0);
    assert!(run.out().contains("already exists"), "{}", run.out());
    assert!(run.stderr.contains("ffce bucket check"), "{}", run.stderr);
    assert_eq!(settings(&b)["versioning"], "Suspended", "left unchanged");
}

/// `--kms-key-id` lands in the default encryption, and `check --kms-key-id` compares it.
#[test]
fn create_with_a_kms_key() {
    let b = fresh("create-kms");
    b.ffce(&["bucket", "create", "--kms-key-id", TEST_KMS_KEY])
        .expect_code(0);
    assert_eq!(settings(&b)["encryption"]["kms_key_id"], TEST_KMS_KEY);
    b.ffce(&["bucket", "check", "--kms-key-id", TEST_KMS_KEY])
        .expect_code(0);
    let run = b.ffce(&["bucket", "check", "--json", "--kms-key-id", "alias/other"]);
    run.expect_code(4);
    assert_eq!(
        deviations(&run),
        vec![(
            "kms_key_id".to_string(),
            json!("alias/other"),
            json!(TEST_KMS_KEY)
        )]
    );
}

/// Versioning never enabled, or suspended: exactly that deviation, exit 4.
#[test]
fn check_without_versioning_fails() {
    let b = provisioned_by_oracle("no-versioning", "versioning");
    let run = b.ffce(&["bucket", "check", "--json"]);
    run.expect_code(4);
    assert_eq!(
        deviations(&run),
        vec![("versioning".to_string(), json!("Enabled"), Value::Null)]
    );
    assert!(run.stderr.contains("versioning"), "{}", run.stderr);

    oracle(&["put-versioning", &b.name, "Enabled"]);
    oracle(&["put-versioning", &b.name, "Suspended"]);
    let run = b.ffce(&["bucket", "check", "--json"]);
    run.expect_code(4);
    assert_eq!(
        deviations(&run),
        vec![(
            "versioning".to_string(),
            json!("Enabled"),
            json!("Suspended")
        )]
    );
    let human = b.ffce(&["bucket", "check"]);
    human.expect_code(4);
    assert!(
        human.out().lines().any(|l| l.starts_with("FAIL")
            && l.contains("versioning")
            && l.contains("found Suspended")),
        "{}",
        human.out()
    );
}

/// No default encryption, or SSE-S3 instead of SSE-KMS: that deviation, exit 4.
#[test]
fn check_without_kms_encryption_fails() {
    let b = provisioned_by_oracle("no-encryption", "encryption");
    let run = b.ffce(&["bucket", "check", "--json"]);
    run.expect_code(4);
    assert_eq!(
        deviations(&run),
        vec![(
            "default_encryption".to_string(),
            json!("aws:kms"),
            Value::Null
        )]
    );

    oracle(&["put-encryption", &b.name, "AES256"]);
    let run = b.ffce(&["bucket", "check", "--json"]);
    run.expect_code(4);
    assert_eq!(
        deviations(&run),
        vec![(
            "default_encryption".to_string(),
            json!("aws:kms"),
            json!("AES256")
        )]
    );
}

/// One public-access-block flag off: that flag alone is the deviation. No public
/// access block at all: all four.
#[test]
fn check_with_a_public_access_setting_off_fails() {
    for flag in PAB {
        let b = provisioned_by_oracle("pab-off", "pab");
        oracle(&["put-public-access-block", &b.name, "--off", flag]);
        let run = b.ffce(&["bucket", "check", "--json"]);
        run.expect_code(4);
        assert_eq!(
            deviations(&run),
            vec![(flag.to_string(), json!(true), json!(false))],
            "{flag}"
        );
    }
    let b = provisioned_by_oracle("pab-none", "pab");
    let run = b.ffce(&["bucket", "check", "--json"]);
    run.expect_code(4);
    let found: Vec<String> = deviations(&run).into_iter().map(|d| d.0).collect();
    assert_eq!(found, PAB);
}

#[test]
fn check_of_a_missing_bucket_is_not_found() {
    let b = fresh("missing");
    let run = b.ffce(&["bucket", "check"]);
    run.expect_code(3);
    assert!(run.stderr.contains("does not exist"), "{}", run.stderr);
    for flags in [&["--yes"][..], &["--dry-run"], &["--production", "--yes"]] {
        let mut args = vec!["bucket", "empty"];
        args.extend_from_slice(flags);
        let run = b.ffce(&args);
        run.expect_code(3);
        assert!(
            run.stderr.contains("does not exist"),
            "{flags:?}: {}",
            run.stderr
        );
    }
    assert_eq!(settings(&b)["exists"], false, "nothing created by accident");
}

/// A bucket with more than one listing page of versions (S3 pages hold 1,000), several
/// versions per key, delete markers and open multipart uploads: `empty --yes` leaves
/// nothing, says so, and reports what it did; the bucket itself stays.
#[test]
fn empty_removes_every_version_marker_and_upload() {
    let b = fresh("empty");
    b.ffce(&["bucket", "create"]).expect_code(0);
    let blob = vector("dexie-backup").path();
    oracle(&[
        "put-many",
        &b.name,
        "1100",
        "--devices",
        "nested",
        "--file",
        blob.to_str().unwrap(),
    ]);
    oracle(&["put-many", &b.name, "4", "--key", "many/versions"]);
    for key in ["gone/a", "gone/b"] {
        b.plant(key, &blob, &[]);
        oracle(&["delete", &b.name, key]);
    }
    oracle(&["delete", &b.name, "gone/a"]); // a second marker on top
    for key in ["upload/1", "upload/2", "upload/1"] {
        oracle(&["create-multipart", &b.name, key]);
    }
    let before = counts(&b);
    assert_eq!(
        before,
        json!({"versions": 1100 + 4 + 2, "delete_markers": 3, "uploads": 3})
    );

    let run = b.ffce(&["bucket", "empty", "--yes", "--json"]);
    run.expect_code(0);
    let out = run.json();
    assert_eq!(out["found"]["versions"], before["versions"]);
    assert_eq!(out["found"]["delete_markers"], before["delete_markers"]);
    assert_eq!(out["found"]["uploads"], before["uploads"]);
    assert_eq!(out["deleted_versions"], before["versions"]);
    assert_eq!(out["deleted_delete_markers"], before["delete_markers"]);
    assert_eq!(out["aborted_uploads"], before["uploads"]);
    assert_eq!(out["failures"], json!([]));
    assert_eq!(out["empty"], true);
    assert!(
        run.stderr.contains("DELETE_FAILED") && run.stderr.contains("three backup function"),
        "the seed's reminder: {}",
        run.stderr
    );

    assert_eq!(
        counts(&b),
        json!({"versions": 0, "delete_markers": 0, "uploads": 0})
    );
    assert_eq!(settings(&b)["exists"], true, "the bucket itself stays");

    // Human output, on the now empty bucket.
    let run = b.ffce(&["bucket", "empty", "--yes"]);
    run.expect_code(0);
    assert!(run.out().contains("already empty"), "{}", run.out());
}

/// The human output of a real emptying names the counts and the verification.
#[test]
fn empty_human_output() {
    let b = fresh("empty-human");
    b.ffce(&["bucket", "create"]).expect_code(0);
    oracle(&["put-many", &b.name, "3", "--key", "k"]);
    oracle(&["delete", &b.name, "k"]);
    let run = b.ffce(&["bucket", "empty", "--yes"]);
    run.expect_code(0);
    let out = run.out();
    assert!(
        out.contains("deleted 3 version(s) and 1 delete marker(s), aborted 0"),
        "{out}"
    );
    assert!(
        out.contains("verified:") && out.contains("is empty"),
        "{out}"
    );
}

/// `--production` refuses while any version or delete marker exists, says what it
/// found, and changes nothing, even with --yes; with only incomplete uploads left it
/// aborts them.
#[test]
fn production_guard_refuses_and_changes_nothing() {
    let b = fresh("production");
    b.ffce(&["bucket", "create"]).expect_code(0);
    oracle(&["put-many", &b.name, "2", "--key", "precious/backup.ffce"]);
    oracle(&["delete", &b.name, "precious/backup.ffce"]);
    oracle(&["create-multipart", &b.name, "partial"]);
    let before = counts(&b);

    let run = b.ffce(&["bucket", "empty", "--production", "--yes"]);
    run.expect_code(5);
    assert!(
        run.stderr.contains("2 version(s)")
            && run.stderr.contains("1 delete marker(s)")
            && run.stderr.contains("precious/backup.ffce")
            && run.stderr.contains("investigate before emptying"),
        "{}",
        run.stderr
    );
    assert_eq!(counts(&b), before);

    let run = b.ffce(&["bucket", "empty", "--production", "--yes", "--json"]);
    run.expect_code(5);
    assert_eq!(run.json()["refused"], true);
    assert_eq!(run.json()["found"]["versions"], 2);
    // --dry-run does not get past the guard either.
    b.ffce(&["bucket", "empty", "--production", "--dry-run"])
        .expect_code(5);
    assert_eq!(counts(&b), before);

    // Only uploads left: not data, so the guard lets the aborts happen.
    let other = fresh("production-uploads");
    other.ffce(&["bucket", "create"]).expect_code(0);
    oracle(&["create-multipart", &other.name, "partial"]);
    other
        .ffce(&["bucket", "empty", "--production", "--yes"])
        .expect_code(0);
    assert_eq!(
        counts(&other),
        json!({"versions": 0, "delete_markers": 0, "uploads": 0})
    );
}

/// `--dry-run` lists every version, marker and upload the oracle sees, and changes
/// nothing.
#[test]
fn dry_run_lists_and_changes_nothing() {
    let b = fresh("dry-run");
    b.ffce(&["bucket", "create"]).expect_code(0);
    oracle(&["put-many", &b.name, "3", "--key", "a/backup.ffce"]);
    oracle(&["delete", &b.name, "a/backup.ffce"]);
    let upload = oracle(&["create-multipart", &b.name, "b"])["upload_id"].clone();
    let before = counts(&b);
    let listed = oracle(&["list-versions", &b.name]);

    let run = b.ffce(&["bucket", "empty", "--dry-run", "--json"]);
    run.expect_code(0);
    let out = run.json();
    assert_eq!(out["dry_run"], true);
    let mut ids: Vec<(String, bool)> = out["would_delete"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["version_id"].as_str().unwrap().to_string(),
                v["kind"] == "delete_marker",
            )
        })
        .collect();
    ids.sort();
    let mut want: Vec<(String, bool)> = listed["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| (v["version_id"].as_str().unwrap().to_string(), false))
        .chain(
            listed["delete_markers"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| (m["version_id"].as_str().unwrap().to_string(), true)),
        )
        .collect();
    want.sort();
    assert_eq!(ids, want);
    assert_eq!(out["would_abort"][0]["upload_id"], upload);
    assert_eq!(counts(&b), before);

    let run = b.ffce(&["bucket", "empty", "--dry-run"]);
    run.expect_code(0);
    assert_eq!(
        run.out()
            .lines()
            .filter(|l| l.starts_with("would "))
            .count(),
        5
    );
    assert!(run.out().contains("nothing was changed"), "{}", run.out());
    assert_eq!(counts(&b), before);
}

/// Without --yes and without a terminal to ask on, `empty` refuses (exit 5) and
/// deletes nothing.
#[test]
fn no_yes_without_a_terminal_refuses() {
    let b = fresh("no-yes");
    b.ffce(&["bucket", "create"]).expect_code(0);
    oracle(&["put-many", &b.name, "2", "--key", "k"]);
    let before = counts(&b);
    let run = b.ffce(&["bucket", "empty"]);
    run.expect_code(5);
    assert!(
        run.stderr.contains("--yes") && run.stderr.contains("Nothing was deleted"),
        "{}",
        run.stderr
    );
    assert_eq!(counts(&b), before);
}

/// A version S3 refuses to delete (object-lock legal hold) is reported with S3's code,
/// everything else goes, and the command exits non-zero because the bucket is not
/// empty.
#[test]
fn per_object_errors_are_reported() {
    let b = fresh("legal-hold");
    oracle(&["create-bucket", &b.name, "--object-lock"]);
    let blob = vector("dexie-backup").path();
    b.plant("held/backup.ffce", &blob, &["--legal-hold"]);
    oracle(&["put-many", &b.name, "3", "--key", "free"]);
    oracle(&["delete", &b.name, "free"]);

    let run = b.ffce(&["bucket", "empty", "--yes", "--json"]);
    run.expect_code(1);
    let out = run.json();
    assert_eq!(out["deleted_versions"], 3);
    assert_eq!(out["deleted_delete_markers"], 1);
    let failures = out["failures"].as_array().unwrap();
    assert_eq!(failures.len(), 1, "{out}");
    assert_eq!(failures[0]["key"], "held/backup.ffce");
    assert_eq!(failures[0]["kind"], "version");
    assert_eq!(failures[0]["code"], "AccessDenied");
    assert_eq!(out["empty"], false);
    assert_eq!(out["remaining"]["versions"], 1);
    assert!(run.stderr.contains("is not empty"), "{}", run.stderr);
    assert_eq!(
        counts(&b),
        json!({"versions": 1, "delete_markers": 0, "uploads": 0})
    );

    let run = b.ffce(&["bucket", "empty", "--yes"]);
    run.expect_code(1);
    assert!(
        run.out().contains("FAILED  version")
            && run.out().contains("held/backup.ffce: AccessDenied"),
        "{}",
        run.out()
    );
}

/// A bucket command without --bucket is a usage error: the name is never taken from
/// the environment.
#[test]
fn the_bucket_name_is_required() {
    let mut cmd = ffce_aws();
    cmd.env("FFCE_BUCKET", "from-the-environment")
        .args(["bucket", "empty", "--yes"]);
    let run = run_cmd(&mut cmd, None);
    run.expect_code(2);
    assert!(run.stderr.contains("--bucket"), "{}", run.stderr);
}
