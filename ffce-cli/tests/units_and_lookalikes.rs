//! Follow-ups to "trust under a user's mistakes": one byte is "1 byte" everywhere,
//! `verify --json` says what a file looks like and what the device will make of it as
//! `inspect --json` does, and `get -o FILE` names what a stored non-blob looks like.
//!
//! Against the real `ffce` binary and, where a bucket is involved, the moto S3 test
//! server; without `FFCE_TEST_S3_ENDPOINT` those tests fail, they never skip.

use crate::common;
use crate::common::s3;

use common::*;
use s3::*;

/// Asserts `text` says "1 byte" and never "1 bytes".
#[track_caller]
fn says_one_byte(text: &str) {
    assert!(
        text.contains("(1 byte)") && !text.contains("1 bytes"),
        "one byte is singular:\n{text}"
    );
}

// ---- 1. one byte is "1 byte" --------------------------------------------------------

#[test]
fn deleting_a_one_byte_version_says_1_byte() {
    let b = Bucket::versioned("one-byte-delete");
    let dir = temp_dir();
    let one = write_file(dir.path(), "one", b"x", 0o644);
    let key = format!("{DEVICE}/backup.ffce");
    b.plant(&key, &one, &[]);
    let run = b.ffce(&["versions", "--json", DEVICE]);
    run.expect_code(0);
    let version = run.json()["versions"][0]["version_id"]
        .as_str()
        .unwrap()
        .to_string();

    let run = b.ffce(&["delete", DEVICE, "--version-id", &version, "--yes"]);
    run.expect_code(0);
    says_one_byte(&run.out());
    assert_eq!(b.versions_of(&key).0.len(), 0, "the version is gone");
}

#[test]
fn emptying_a_bucket_of_one_byte_says_1_byte() {
    let b = Bucket::plain("one-byte-empty");
    let dir = temp_dir();
    let one = write_file(dir.path(), "one", b"x", 0o644);
    b.plant(&format!("{DEVICE}/backup.ffce"), &one, &[]);

    let run = b.ffce(&["bucket", "empty", "--dry-run"]);
    run.expect_code(0);
    let all = run.all();
    says_one_byte(&all);

    // Without --yes and no terminal: the refusal states the size too.
    let run = b.ffce(&["bucket", "empty"]);
    run.expect_code(5);
    says_one_byte(&run.stderr);
}

// ---- 2. verify --json carries what inspect --json says ------------------------------

#[test]
fn verify_json_records_say_what_a_file_looks_like_and_what_the_device_will_do() {
    let dir = temp_dir();
    let key = master_11(dir.path());
    let json = fixtures_dir().join("plaintexts/dexie-config.json");
    // A plaintext the device would cut at its NUL byte, sealed with the backup key.
    let nul = seal(dir.path(), "nul", b"{\"a\":1}\0{\"b\":2}");

    for (file, keyed) in [(&json, false), (&nul, true)] {
        let mut flags = vec!["--json"];
        if keyed {
            flags.extend(["--master-key-file", s(&key)]);
        }
        let inspect = run(["inspect"]
            .iter()
            .chain(&flags)
            .chain(&[s(file)])
            .copied()
            .collect::<Vec<_>>())
        .json();
        let verify = run(["verify"]
            .iter()
            .chain(&flags)
            .chain(&[s(file)])
            .copied()
            .collect::<Vec<_>>());
        let record = verify.json()["results"][0].clone();
        for field in ["looks_like", "device_warnings"] {
            assert!(
                record.get(field).is_some(),
                "{}: verify's record has no {field}: {record}",
                file.display()
            );
            assert_eq!(
                record[field],
                inspect[field],
                "{}: {field} as inspect says it",
                file.display()
            );
        }
    }
    // And what they say, so that the comparison above is not of two nulls.
    let r = run(["verify", "--jsonl", s(&json)]);
    r.expect_code(4);
    let record = r.json_lines().remove(0);
    assert_eq!(record["looks_like"]["kind"], "json", "{record}");
    let r = run(["verify", "--jsonl", "--master-key-file", s(&key), s(&nul)]);
    r.expect_code(0);
    let record = r.json_lines().remove(0);
    assert_eq!(record["looks_like"], serde_json::Value::Null, "{record}");
    assert_eq!(record["device_warnings"][0]["code"], "nul_byte", "{record}");
    assert_eq!(record["device_warnings"][0]["offset"], 7, "{record}");
    // A file that could not be read has the same fields, empty.
    let missing = dir.path().join("missing.ffce");
    let r = run(["verify", "--jsonl", s(&missing)]);
    r.expect_code(3);
    let record = r.json_lines().remove(0);
    assert_eq!(record["looks_like"], serde_json::Value::Null, "{record}");
    assert_eq!(record["device_warnings"], serde_json::json!([]), "{record}");
}

// ---- 3. get -o names what a stored non-blob looks like ------------------------------

#[test]
fn get_to_a_file_names_what_a_stored_non_blob_looks_like() {
    let b = Bucket::versioned("get-lookalike");
    let dir = temp_dir();
    let key = master_11(dir.path());
    let json = fixtures_dir().join("plaintexts/dexie-config.json");
    let b64 = write_file(
        dir.path(),
        "blob.b64",
        {
            use base64::Engine as _;
            base64::engine::general_purpose::STANDARD
                .encode(vector("dexie-backup").blob())
                .into_bytes()
        }
        .as_slice(),
        0o644,
    );
    for (planted, says) in [
        (&json, "looks like a JSON plaintext, not an FFCE blob"),
        (&b64, "base64 copy of an FFCE blob"),
    ] {
        b.plant(&format!("{DEVICE}/backup.ffce"), planted, &[]);

        // Without -o (the header report) it was named already; with -o too now.
        let run = b.ffce(&["get", DEVICE]);
        run.expect_code(4);
        assert!(run.stderr.contains(says), "get: {}", run.stderr);

        let out = dir.path().join("out.ffce");
        let run = b.ffce(&["get", DEVICE, "-o", s(&out)]);
        run.expect_code(4);
        assert!(run.stderr.contains(says), "get -o: {}", run.stderr);
        assert!(run.stderr.contains("nothing was written"), "{}", run.stderr);
        assert!(!out.exists(), "nothing written");

        let run = b.ffce(&[
            "get",
            DEVICE,
            "--decrypt",
            "--master-key-file",
            s(&key),
            "-o",
            s(&out),
        ]);
        run.expect_code(4);
        assert!(
            run.stderr.contains(says),
            "get --decrypt -o: {}",
            run.stderr
        );
        assert!(!out.exists(), "nothing written");

        // --no-verify writes it as stored, and says what it looks like.
        let run = b.ffce(&["get", "--no-verify", DEVICE, "-o", s(&out)]);
        run.expect_code(4);
        assert!(
            run.stderr.contains(says),
            "get --no-verify -o: {}",
            run.stderr
        );
        assert_eq!(
            std::fs::read(&out).unwrap(),
            std::fs::read(planted).unwrap()
        );
        std::fs::remove_file(&out).unwrap();
    }
}

#[test]
fn key_material_of_one_byte_says_1_byte() {
    let dir = temp_dir();
    let blob = vector("dexie-backup").path();
    for (contents, says) in [
        (&b"AA==\n"[..], "found base64 decoding to 1 byte;"),
        (&b"!"[..], "found 1 byte that is neither hex nor base64"),
        (&b"abc\n"[..], "found 3 hex digits"),
    ] {
        let key = write_file(dir.path(), "k", contents, 0o600);
        let r = run(["inspect", "--key-file", s(&key), s(&blob)]);
        r.expect_code(2);
        assert!(r.stderr.contains(says), "{says}: {}", r.stderr);
    }
}

// ---- s3:// URLs: only what was typed can contradict the URL -------------------------

#[test]
fn a_url_gives_way_to_nothing_typed_and_beats_the_environment() {
    let b = Bucket::versioned("url-typed");
    let dir = temp_dir();
    let url = format!("s3://{}/{DEVICE}/backup.ffce", b.name);
    ffce_endpoint(&["put", &url, s(&vector("dexie-backup").path())], &[]).expect_code(0);

    // Variables are defaults only: the URL's bucket wins over both.
    let folder = s(dir.path());
    ffce_endpoint(&["get", &url], &[("FFCE_DIR", folder)]).expect_code(0);
    ffce_endpoint(&["get", &url], &[("FFCE_BUCKET", "some-other-bucket")]).expect_code(0);

    // A typed --dir or another --bucket (in either spelling) contradicts it.
    for typed in [
        vec!["--dir", folder],
        vec!["--bucket", "some-other-bucket"],
        vec!["--bucket=some-other-bucket"],
    ] {
        let mut args = vec!["get", url.as_str()];
        args.extend(&typed);
        let run = ffce_endpoint(&args, &[]);
        run.expect_code(2);
        assert!(
            run.stderr.contains("give one of them"),
            "{typed:?}: {}",
            run.stderr
        );
    }
    // The same bucket typed again is no contradiction.
    let same = format!("--bucket={}", b.name);
    ffce_endpoint(&["get", &url, &same], &[]).expect_code(0);
}
