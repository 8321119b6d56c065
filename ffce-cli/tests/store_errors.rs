//! Store-facing errors and reads a user can trust: not found is exit 3 and names what
//! is missing (a device, a folder, a bucket), every `--json` command prints a JSON
//! error object, checksums of every S3 algorithm are recognised and verified, a stalled
//! endpoint is explained while ffce waits, a missing key hints at where the backup
//! may be, `s3://` URLs stand for a device, and `get --no-verify` fetches a broken
//! backup for analysis.
//!
//! Against the real `ffce` binary and the moto S3 test server; without
//! `FFCE_TEST_S3_ENDPOINT` these tests fail, they never skip.

use crate::common;
use crate::common::fault;
use crate::common::s3;

use std::path::Path;

use common::*;
use s3::*;

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
    // A file command too.
    let r = run(["inspect", "--json", "/nonexistent/ffce-test/backup.ffce"]);
    r.expect_code(3);
    json_error(&r, "not_found", 3);
    // A command that already printed its result (a report, then exit 4) prints no
    // second JSON value.
    let r = run(["inspect", "--json", s(&vector("bad-magic").path())]);
    r.expect_code(4);
    assert!(r.json().get("error").is_none(), "{r:?}");
    // Without --json, stdout stays empty.
    let r = run(["versions", "--dir", "/tmp", "not-a-uuid"]);
    r.expect_code(2);
    assert!(r.out().is_empty(), "{r:?}");
}

// ---- 3. every S3 checksum algorithm is recognised, verified and named ----

/// Plants `file` at `key` with the venv's boto3. `how` is `boto3:ALG` (boto3 computes
/// the checksum itself, as `aws s3 cp` does) or `header:ALG` (the checksum computed
/// here in Python, independently of ffce's code, and sent as a header; `bad` sends the
/// checksum of other bytes, which moto stores without checking).
fn plant_with_checksum(bucket: &str, key: &str, file: &Path, how: &str, bad: bool) {
    const SCRIPT: &str = r#"
import base64, binascii, hashlib, sys
sys.path.insert(0, sys.argv[1])
import s3_oracle
s3 = s3_oracle.client(sys.argv[2])
bucket, key, path, how, bad = sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6], sys.argv[7] == "bad"
body = open(path, "rb").read()
def crc(data, poly, width):
    mask = (1 << width) - 1
    c = mask
    for b in data:
        c ^= b
        for _ in range(8):
            c = (c >> 1) ^ (poly if c & 1 else 0)
    return (c ^ mask) & mask
assert crc(b"123456789", 0x82F63B78, 32) == 0xE3069283
assert crc(b"123456789", 0x9A6C9329AC4BC9B5, 64) == 0xAE8B14860A799888
DIGESTS = {
    "CRC32": lambda d: binascii.crc32(d).to_bytes(4, "big"),
    "CRC32C": lambda d: crc(d, 0x82F63B78, 32).to_bytes(4, "big"),
    "CRC64NVME": lambda d: crc(d, 0x9A6C9329AC4BC9B5, 64).to_bytes(8, "big"),
    "SHA1": lambda d: hashlib.sha1(d).digest(),
    "SHA256": lambda d: hashlib.sha256(d).digest(),
}
mode, alg = how.split(":")
if mode == "boto3":
    s3.put_object(Bucket=bucket, Key=key, Body=body, ChecksumAlgorithm=alg)
else:
    value = base64.b64encode(DIGESTS[alg](body + b"x" if bad else body)).decode()
    def add(request, **kw):
        for h in [h for h in request.headers.keys() if h.lower().startswith("x-amz-checksum-")]:
            del request.headers[h]
        request.headers["x-amz-sdk-checksum-algorithm"] = alg
        request.headers["x-amz-checksum-" + alg.lower()] = value
    s3.meta.events.register("before-sign.s3.PutObject", add)
    s3.put_object(Bucket=bucket, Key=key, Body=body)
head = s3.head_object(Bucket=bucket, Key=key, ChecksumMode="ENABLED")
assert head.get("Checksum" + alg), f"moto stored no {alg} checksum: {head}"
"#;
    let out = std::process::Command::new(python())
        .args(["-c", SCRIPT])
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts"))
        .args([&endpoint(), bucket, key, s(file), how])
        .arg(if bad { "bad" } else { "good" })
        .output()
        .expect("run the venv python");
    assert!(
        out.status.success(),
        "planting {key} with {how} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

const ALGORITHMS: [&str; 5] = ["CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256"];

#[test]
fn every_s3_checksum_algorithm_is_verified_and_named() {
    let b = Bucket::versioned("checksums");
    let blob = vector("dexie-backup").path();
    let key = format!("{DEVICE}/backup.ffce");
    let mut plants: Vec<String> = ALGORITHMS.iter().map(|a| format!("header:{a}")).collect();
    // As `aws s3 cp` and boto3 upload by default: CRC32 computed by the SDK.
    plants.push("boto3:CRC32".into());
    plants.push("boto3:SHA1".into());
    for how in &plants {
        let alg = how.split(':').nth(1).unwrap();
        plant_with_checksum(&b.name, &key, &blob, how, false);
        let run = b.ffce(&["get", "--json", DEVICE]);
        run.expect_code(0);
        let checksum = &run.json()["object"]["checksum"];
        assert_eq!(checksum["status"], "verified", "{how}: {checksum}");
        assert_eq!(checksum["algorithm"], alg, "{how}: {checksum}");
        assert!(!run.stderr.contains("warning"), "{how}: {}", run.stderr);

        let run = b.ffce(&["get", DEVICE]);
        run.expect_code(0);
        assert!(
            run.out().contains(&format!("{alg} verified")),
            "{how}: {}",
            run.out()
        );
        assert!(!run.out().contains("none stored"), "{how}: {}", run.out());

        // Written to a file, the download says which checksum vouched for it, as the
        // report does; with --json, the document's object says it.
        let dir = temp_dir();
        let out = dir.path().join("b.ffce");
        let run = b.ffce(&["get", DEVICE, "-o", s(&out)]);
        run.expect_code(0);
        assert!(
            run.stderr.contains(&format!("its {alg} checksum verified")),
            "{how}: {}",
            run.stderr
        );
        let out = dir.path().join("c.ffce");
        let run = b.ffce(&["get", "--json", DEVICE, "-o", s(&out)]);
        run.expect_code(0);
        assert_eq!(run.json()["object"]["checksum"]["algorithm"], alg, "{how}");
        assert_eq!(run.json()["written"]["path"], s(&out), "{how}");
    }
}

/// An object stored without a checksum: `get -o` says that nothing but the blob's own
/// checks vouched for the download.
#[test]
fn get_to_a_file_says_when_no_checksum_was_stored() {
    let b = Bucket::versioned("no-checksum");
    let blob = vector("dexie-backup").path();
    b.plant(&format!("{DEVICE}/backup.ffce"), &blob, &[]);
    let dir = temp_dir();
    let out = dir.path().join("b.ffce");
    let run = b.ffce(&["get", DEVICE, "-o", s(&out)]);
    run.expect_code(0);
    assert!(
        run.stderr.contains("no checksum was stored with it"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_checksum_mismatch_names_its_algorithm() {
    let b = Bucket::versioned("checksum-bad");
    let blob = vector("dexie-backup").path();
    let key = format!("{DEVICE}/backup.ffce");
    let dir = temp_dir();
    let out = dir.path().join("out.ffce");
    for alg in ALGORITHMS {
        plant_with_checksum(&b.name, &key, &blob, &format!("header:{alg}"), true);
        let run = b.ffce(&["get", DEVICE, "-o", s(&out)]);
        run.expect_code(4);
        assert!(
            run.stderr.contains(&format!("stored {alg} checksum")),
            "{alg}: {}",
            run.stderr
        );
        if alg != "SHA256" {
            assert!(!run.stderr.contains("SHA-256"), "{alg}: {}", run.stderr);
        }
        assert!(!out.exists(), "{alg}: nothing written");
    }
}

// ---- 5. a missing key hints at the other layout and an uppercase UUID ----

#[test]
fn get_of_a_missing_key_hints_at_the_other_layout_and_uppercase() {
    let b = Bucket::versioned("near-miss");
    let blob = vector("dexie-backup").path();
    // Only the flat key exists: the default (nested) get says where the backup is.
    b.plant(DEVICE, &blob, &[]);
    let run = b.ffce(&["get", DEVICE]);
    run.expect_code(3);
    assert!(
        run.stderr.contains("--layout flat")
            && run.stderr.contains(&format!("s3://{}/{DEVICE}", b.name)),
        "{}",
        run.stderr
    );
    // And the other way round.
    let b = Bucket::versioned("near-miss-upper");
    let upper = DEVICE.to_uppercase();
    b.plant(&format!("{upper}/backup.ffce"), &blob, &[]);
    b.plant(&upper, &blob, &[]);
    for (layout, hint) in [
        ("nested", format!("s3://{}/{upper}/backup.ffce", b.name)),
        ("flat", format!("s3://{}/{upper} --layout flat", b.name)),
    ] {
        let run = b.ffce(&["get", "--layout", layout, DEVICE]);
        run.expect_code(3);
        // Each hint names the command that reads the key it found.
        assert!(
            run.stderr
                .contains(&format!("`ffce get {hint}` reads that key")),
            "{layout}: {}",
            run.stderr
        );
        let words: Vec<&str> = hint.split(' ').collect();
        let found = ffce_endpoint(&[&["get", "--json"][..], &words].concat(), &[]);
        found.expect_code(0);
        assert_eq!(found.json()["source"], words[0], "{layout}");
    }
    // Nothing anywhere: no hint.
    let b = Bucket::versioned("near-miss-none");
    let run = b.ffce(&["get", DEVICE]);
    run.expect_code(3);
    assert!(!run.stderr.contains("--layout"), "{}", run.stderr);

    // The local store too.
    let dir = temp_dir();
    std::fs::write(dir.path().join(DEVICE), std::fs::read(&blob).unwrap()).unwrap();
    let r = common::run(["get", "--dir", s(dir.path()), DEVICE]);
    r.expect_code(3);
    assert!(r.stderr.contains("--layout flat"), "{}", r.stderr);
}

// ---- 6. s3:// URLs wherever a UUID is expected ----

#[test]
fn s3_urls_stand_for_the_device_and_its_bucket() {
    let b = Bucket::versioned("urls");
    let blob = vector("dexie-backup").path();
    let nested_url = format!("s3://{}/{DEVICE}/backup.ffce", b.name);
    let device_url = format!("s3://{}/{DEVICE}", b.name);

    ffce_endpoint(&["put", &nested_url, s(&blob)], &[]).expect_code(0);
    assert_eq!(b.keys(), vec![format!("{DEVICE}/backup.ffce")]);

    let run = ffce_endpoint(&["get", "--json", &device_url], &[]);
    run.expect_code(0);
    assert_eq!(
        run.json()["source"],
        format!("s3://{}/{DEVICE}/backup.ffce", b.name)
    );

    let run = ffce_endpoint(&["versions", "--json", &nested_url], &[]);
    run.expect_code(0);
    let version = run.json()["versions"][0]["version_id"]
        .as_str()
        .unwrap()
        .to_string();

    ffce_endpoint(&["delete", &device_url], &[]).expect_code(0);
    ffce_endpoint(&["restore", &nested_url, "--version-id", &version], &[]).expect_code(0);
    ffce_endpoint(&["get", &nested_url], &[]).expect_code(0);

    // The same bucket given twice is fine; another one is a usage error naming both.
    b.ffce(&["get", &nested_url]).expect_code(0);
    let run = ffce_endpoint(&["get", &nested_url, "--bucket", "some-other-bucket"], &[]);
    run.expect_code(2);
    assert!(
        run.stderr.contains("some-other-bucket") && run.stderr.contains(&b.name),
        "{}",
        run.stderr
    );
    // A bucket from the environment gives way to the URL's (the command line wins).
    ffce_endpoint(
        &["get", &nested_url],
        &[("FFCE_BUCKET", "some-other-bucket")],
    )
    .expect_code(0);
    // A URL naming the nested key contradicts --layout flat.
    let run = ffce_endpoint(&["get", &nested_url, "--layout", "flat"], &[]);
    run.expect_code(2);
    assert!(run.stderr.contains("--layout"), "{}", run.stderr);
    // A URL that names no device.
    for bad in [
        format!("s3://{}/not-a-uuid", b.name),
        format!("s3://{}/{DEVICE}/other.bin", b.name),
        "s3://".to_string(),
    ] {
        let run = ffce_endpoint(&["get", &bad], &[]);
        run.expect_code(2);
        assert!(run.stderr.contains("s3://"), "{bad}: {}", run.stderr);
    }
}

/// A URL names one exact key: one with the UUID in uppercase, as the Python device API
/// stored a backup when the device sent its UUID so, is read, listed, deleted and
/// restored by its URL, and the lowercase object beside it is left alone; a bare UUID
/// of either case still names the lowercase key, and put still writes only that one.
#[test]
fn a_url_with_the_uuid_in_uppercase_names_that_exact_key() {
    let b = Bucket::versioned("urls-upper");
    let dir = temp_dir();
    let upper = DEVICE.to_uppercase();
    let upper_key = format!("{upper}/backup.ffce");
    let upper_url = format!("s3://{}/{upper_key}", b.name);
    let old = vector("dexie-backup").path();
    let new = seal(dir.path(), "new.ffce", b"{\"new\":true}");
    b.plant(&upper_key, &old, &[]);
    b.plant(&upper_key, &old, &[]);
    b.ffce(&["put", &upper, s(&new)]).expect_code(0);
    let lower = b.versions_of(&nested(DEVICE)).0;
    assert_eq!(
        lower.len(),
        1,
        "a bare uppercase UUID writes the lowercase key"
    );

    let run = ffce_endpoint(&["get", "--json", &upper_url], &[]);
    run.expect_code(0);
    assert_eq!(run.json()["source"], upper_url);
    let out = dir.path().join("old.ffce");
    ffce_endpoint(&["get", &upper_url, "-o", s(&out)], &[]).expect_code(0);
    assert_eq!(std::fs::read(&out).unwrap(), std::fs::read(&old).unwrap());
    let out = dir.path().join("new-by-uuid.ffce");
    b.ffce(&["get", &upper, "-o", s(&out)]).expect_code(0);
    assert_eq!(std::fs::read(&out).unwrap(), std::fs::read(&new).unwrap());

    let run = ffce_endpoint(&["versions", "--json", &upper_url], &[]);
    run.expect_code(0);
    assert_eq!(run.json()["versions"].as_array().unwrap().len(), 2);

    let run = ffce_endpoint(&["delete", "--json", &upper_url], &[]);
    run.expect_code(0);
    let deleted = run.json();
    assert_eq!(deleted["location"], upper_url);
    assert_eq!(deleted["delete_marker_added"], true);
    let undo = deleted["undo"].as_str().unwrap();
    assert_eq!(
        undo,
        format!(
            "ffce restore {upper_url} --version-id {} --endpoint-url {}",
            deleted["previous_version_id"].as_str().unwrap(),
            endpoint()
        )
    );
    assert_eq!(b.keys(), vec![nested(DEVICE)], "the lowercase object stays");
    assert_eq!(b.versions_of(&nested(DEVICE)).0, lower);

    // The undo command, run as printed, brings the uppercase key back.
    run_cmd(ffce_aws().args(undo.split(' ').skip(1)), None).expect_code(0);
    let mut keys = b.keys();
    keys.sort();
    let mut want = vec![upper_key.clone(), nested(DEVICE)];
    want.sort();
    assert_eq!(keys, want);

    // put by the URL writes the lowercase key, as every writer does.
    ffce_endpoint(&["put", &upper_url, s(&new)], &[]).expect_code(0);
    assert_eq!(b.versions_of(&nested(DEVICE)).0.len(), 2);
    assert_eq!(b.versions_of(&upper_key).0.len(), 3);

    // A flat key: its URL takes the layout from --layout, so the undo gives it too.
    let flat_url = format!("s3://{}/{upper}", b.name);
    b.plant(&upper, &old, &[]);
    b.plant(&upper, &old, &[]);
    let run = ffce_endpoint(&["delete", "--json", &flat_url, "--layout", "flat"], &[]);
    run.expect_code(0);
    let undo = run.json()["undo"].as_str().unwrap().to_string();
    assert!(
        undo.starts_with(&format!(
            "ffce restore {flat_url} --layout flat --version-id "
        )),
        "{undo}"
    );
    assert!(!b.keys().contains(&upper));
    run_cmd(ffce_aws().args(undo.split(' ').skip(1)), None).expect_code(0);
    assert!(b.keys().contains(&upper));
    assert_eq!(
        b.versions_of(&upper_key).0.len(),
        3,
        "the nested key untouched"
    );

    // ls names the way to read it.
    let run = b.ffce(&["ls"]);
    run.expect_code(0);
    assert!(
        run.all().contains("reads this one by its s3:// URL"),
        "{}",
        run.all()
    );
}

// ---- 7. get --no-verify fetches a broken backup for analysis ----

#[test]
fn get_no_verify_writes_a_broken_backup_as_stored_and_says_what_is_wrong() {
    let b = Bucket::versioned("no-verify");
    let dir = temp_dir();
    let key = format!("{DEVICE}/backup.ffce");
    for name in ["bad-magic", "truncated-body", "version-2"] {
        let v = vector(name);
        let bytes = v.blob();
        // Planted with its true SHA-256 checksum: the transport is fine, the blob is not.
        b.plant(&key, &v.path(), &["--checksum-sha256", &sha256_b64(&bytes)]);
        let out = dir.path().join(format!("{name}.ffce"));

        // Without --no-verify: refused, nothing written (unchanged).
        let run = b.ffce(&["get", DEVICE, "-o", s(&out)]);
        run.expect_code(4);
        assert!(!out.exists(), "{name}");

        let run = b.ffce(&["get", "--no-verify", DEVICE, "-o", s(&out)]);
        run.expect_code(4);
        assert_eq!(
            std::fs::read(&out).unwrap(),
            bytes,
            "{name}: written as stored"
        );
        assert!(
            run.stderr.contains("not a valid FFCE blob") && run.stderr.contains(s(&out)),
            "{name}: {}",
            run.stderr
        );
    }
    // A valid blob with --no-verify: exit 0, written.
    let v = vector("dexie-backup");
    b.plant(
        &key,
        &v.path(),
        &["--checksum-sha256", &sha256_b64(&v.blob())],
    );
    let out = dir.path().join("good.ffce");
    b.ffce(&["get", "--no-verify", DEVICE, "-o", s(&out)])
        .expect_code(0);
    assert_eq!(std::fs::read(&out).unwrap(), v.blob());

    // A key given with --no-verify is used, not ignored: its verdict is reported (and
    // is exit 4 when the blob does not authenticate), the object written as stored.
    let right = hex_key_file(dir.path(), "right.key", &v.master_secret);
    let wrong = hex_key_file(dir.path(), "wrong.key", &"22".repeat(32));
    let out = dir.path().join("keyed.ffce");
    let get_keyed = |key: &Path, extra: &[&str]| {
        let mut args = vec!["get", "--no-verify", "--force", DEVICE, "-o", s(&out)];
        args.extend_from_slice(extra);
        args.extend(["--master-key-file", s(key)]);
        b.ffce(&args)
    };
    let run = get_keyed(&right, &[]);
    run.expect_code(0);
    assert!(
        run.stderr
            .contains("authenticated with the key from --master-key-file"),
        "{}",
        run.stderr
    );
    let json = get_keyed(&right, &["--json"]);
    json.expect_code(0);
    let doc: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(doc["authenticated"], true, "{doc}");
    let run = get_keyed(&wrong, &[]);
    run.expect_code(4);
    assert!(
        run.stderr.contains("authentication_failed"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("written as stored"), "{}", run.stderr);
    assert_eq!(std::fs::read(&out).unwrap(), v.blob(), "written as stored");

    // The transport checksum is still verified: a mismatch writes nothing.
    let wrong = sha256_b64(b"not the body");
    b.plant(&key, &v.path(), &["--checksum-sha256", &wrong]);
    let out = dir.path().join("mismatch.ffce");
    let run = b.ffce(&["get", "--no-verify", DEVICE, "-o", s(&out)]);
    run.expect_code(4);
    assert!(run.stderr.contains("checksum"), "{}", run.stderr);
    assert!(!out.exists());

    // --no-verify makes no sense with --decrypt, and needs -o.
    b.ffce(&["get", "--no-verify", "--decrypt", DEVICE, "-o", s(&out)])
        .expect_code(2);
    b.ffce(&["get", "--no-verify", DEVICE]).expect_code(2);
}

// ---- 4. a stalled endpoint: say what ffce waits for, and which limit fired ----

/// `ffce ARGS` through the proxy, and how long it took.
fn through(proxy: &fault::FaultProxy, bucket: &str, args: &[&str]) -> (Run, std::time::Duration) {
    let mut cmd = ffce_aws();
    cmd.args(args)
        .args(["--bucket", bucket, "--endpoint-url", &proxy.url]);
    let started = std::time::Instant::now();
    let run = run_cmd(&mut cmd, None);
    (run, started.elapsed())
}

#[test]
fn a_stalled_endpoint_is_explained_while_waiting_and_names_the_limit() {
    use serde_json::json;
    let b = Bucket::versioned("stall");
    let proxy = fault::FaultProxy::start();
    proxy.plan(json!({"rules": [{"fault": "stall", "method": "GET"}]}));

    // Each attempt stalls until --attempt-timeout; both attempts are used up.
    let (run, took) = through(
        &proxy,
        &b.name,
        &["ls", "--attempt-timeout", "3.5", "--max-attempts", "2"],
    );
    run.expect_code(1);
    assert!(took < std::time::Duration::from_secs(20), "took {took:?}");
    let waiting: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| l.contains("waiting for"))
        .collect();
    assert!(
        waiting
            .iter()
            .any(|l| l.contains(&proxy.url) && l.contains("attempt 1 of 2"))
            && waiting.iter().any(|l| l.contains("attempt 2 of 2")),
        "{}",
        run.stderr
    );
    let error = run.stderr.lines().last().unwrap();
    assert!(
        error.starts_with("error:")
            && error.contains("--attempt-timeout 3.5")
            && !error.contains("see --timeout"),
        "{error}"
    );

    // The whole operation's limit fires first: the error names --timeout.
    let (run, _) = through(&proxy, &b.name, &["ls", "--timeout", "4"]);
    run.expect_code(1);
    assert!(run.stderr.contains("waiting for"), "{}", run.stderr);
    let error = run.stderr.lines().last().unwrap();
    assert!(
        error.contains("--timeout 4") && !error.contains("--attempt-timeout"),
        "{error}"
    );

    // -q hides the waiting line, not the error.
    let (run, _) = through(&proxy, &b.name, &["-q", "ls", "--timeout", "4"]);
    run.expect_code(1);
    assert!(!run.stderr.contains("waiting for"), "{}", run.stderr);
    assert!(run.stderr.contains("--timeout 4"), "{}", run.stderr);
}

/// A body corrupted in transit, on an object that carries CRC32 (as `aws s3 cp`
/// stores it): caught, reported as a CRC32 mismatch, nothing written.
#[test]
fn a_crc32_object_corrupted_in_transit_is_a_crc32_mismatch() {
    use serde_json::json;
    let b = Bucket::versioned("crc32-transit");
    let blob = vector("dexie-backup").path();
    plant_with_checksum(
        &b.name,
        &format!("{DEVICE}/backup.ffce"),
        &blob,
        "boto3:CRC32",
        false,
    );
    let proxy = fault::FaultProxy::start();
    proxy.plan(
        json!({"rules": [{"fault": "corrupt", "method": "GET", "offset": 100, "xor": 0x40}]}),
    );
    let dir = temp_dir();
    let out = dir.path().join("out.ffce");
    let (run, _) = through(
        &proxy,
        &b.name,
        &["get", DEVICE, "-o", s(&out), "--max-attempts", "1"],
    );
    run.expect_code(4);
    assert!(!proxy.faulted().is_empty(), "no corruption happened");
    assert!(
        run.stderr.contains("stored CRC32 checksum") && !run.stderr.contains("SHA-256"),
        "{}",
        run.stderr
    );
    assert!(!out.exists());
}
