//! Where everything came from: a key from the environment is named (on stderr and in
//! the report), flags beat environment variables, a write to the embedded default store
//! says so even with -q, `--profile` must name a profile that exists, keys can be piped
//! (`-`, `/dev/stdin`, `<(command)`), `key derive` reads `FFCE_MASTER_KEY`, and hex keys
//! take a `0x` prefix and a bad digit is reported where it is.

use crate::common;
use crate::common::s3;

use std::path::Path;
use std::process::Command;

use common::*;
use s3::{Bucket, endpoint, ffce_aws};

/// Neither the master secret nor the derived key in `text`, in any form.
#[track_caller]
fn assert_no_keys(text: &str) {
    assert_no_key(text, KEY_11);
    assert_no_key(text, MASTER_11);
}

// ---- 1. A key from the environment is named: on stderr and in the report ----

#[test]
fn key_from_the_environment_is_named_on_stderr_and_in_the_report() {
    let blob = vector("one-byte-backup").path();
    for (var, value) in [("FFCE_MASTER_KEY", MASTER_11), ("FFCE_KEY", KEY_11)] {
        let mut cmd = ffce();
        cmd.env(var, value).args(["inspect", s(&blob)]);
        let run = run_cmd(&mut cmd, None);
        run.expect_code(0);
        assert!(
            run.stderr.contains(var) && run.stderr.contains("environment"),
            "stderr should say the key came from {var}: {}",
            run.stderr
        );
        let key_line = run
            .out()
            .lines()
            .find(|l| l.starts_with("key "))
            .unwrap_or_else(|| panic!("no key line: {}", run.out()))
            .to_string();
        assert!(key_line.contains(var), "key line: {key_line}");
        assert_no_keys(&run.all());

        // -q hides the note, not the report's key line; JSON carries the source too.
        let mut cmd = ffce();
        cmd.env(var, value)
            .args(["-q", "inspect", "--json", s(&blob)]);
        let run = run_cmd(&mut cmd, None);
        run.expect_code(0);
        assert!(run.stderr.is_empty(), "-q: {}", run.stderr);
        assert_eq!(run.json()["key"]["source"], var, "{}", run.out());
    }

    // From a file: the key line names the flag and the path, and stderr says nothing
    // about the environment.
    let dir = temp_dir();
    let master = hex_key_file(dir.path(), "device.key", MASTER_11);
    let run = common::run(["inspect", "--master-key-file", s(&master), s(&blob)]);
    run.expect_code(0);
    let out = run.out();
    let key_line = out.lines().find(|l| l.starts_with("key ")).unwrap();
    assert!(
        key_line.contains("--master-key-file") && key_line.contains(s(&master)),
        "{key_line}"
    );
    assert!(!run.stderr.contains("environment"), "{}", run.stderr);
}

/// audit, verify and get name the key's source in their summaries too.
#[test]
fn audit_verify_and_get_name_an_environment_key() {
    let home = temp_dir();
    let store = temp_dir();
    let blob = vector("dexie-backup").path();
    run_home(
        home.path(),
        &["put", "--dir", s(store.path()), DEVICE, s(&blob)],
    )
    .expect_code(0);
    for args in [
        vec!["audit", "--dir", s(store.path())],
        vec!["verify", s(&blob)],
        vec!["get", "--dir", s(store.path()), "--decrypt", DEVICE],
    ] {
        let mut cmd = ffce_home(home.path());
        cmd.env("FFCE_MASTER_KEY", MASTER_11).args(&args);
        let run = run_cmd(&mut cmd, None);
        run.expect_code(0);
        assert!(
            run.out().contains("FFCE_MASTER_KEY"),
            "{args:?}: stdout should name the key's source:\n{}",
            run.out()
        );
        assert!(run.stderr.contains("FFCE_MASTER_KEY"), "{}", run.stderr);
        assert_no_keys(&run.all());
    }
}

// ---- 2. Flags beat environment variables ----

#[test]
fn dir_flag_beats_ffce_bucket() {
    let home = temp_dir();
    let store = temp_dir();
    let blob = vector("dexie-backup").path();
    run_home(
        home.path(),
        &["put", "--dir", s(store.path()), DEVICE, s(&blob)],
    )
    .expect_code(0);
    let mut cmd = ffce_home(home.path());
    cmd.env("FFCE_BUCKET", "some-bucket-from-the-shell").args([
        "ls",
        "--json",
        "--dir",
        s(store.path()),
    ]);
    let run = run_cmd(&mut cmd, None);
    run.expect_code(0);
    assert_eq!(run.json()["devices"].as_array().unwrap().len(), 1);
}

#[test]
fn bucket_flag_beats_ffce_dir() {
    let b = Bucket::versioned("flag-beats-dir");
    let blob = vector("dexie-backup").path();
    b.ffce(&["put", DEVICE, s(&blob)]).expect_code(0);
    let elsewhere = temp_dir();
    let mut cmd = ffce_aws();
    cmd.env("FFCE_DIR", elsewhere.path()).args([
        "ls",
        "--json",
        "--bucket",
        &b.name,
        "--endpoint-url",
        &endpoint(),
    ]);
    let run = run_cmd(&mut cmd, None);
    run.expect_code(0);
    assert_eq!(run.json()["devices"].as_array().unwrap().len(), 1);
    assert!(entries(elsewhere.path()).is_empty());
}

#[test]
fn both_flags_or_both_variables_are_a_usage_error() {
    let home = temp_dir();
    let store = temp_dir();
    let run = run_home(
        home.path(),
        &["ls", "--bucket", "b-b-b", "--dir", s(store.path())],
    );
    run.expect_code(2);
    assert!(
        run.stderr.contains("--bucket") && run.stderr.contains("--dir"),
        "{}",
        run.stderr
    );
    // Both variables and no flag: ambiguous, so named (not flags the user never typed).
    let mut cmd = ffce_home(home.path());
    cmd.env("FFCE_BUCKET", "b-b-b")
        .env("FFCE_DIR", store.path())
        .arg("ls");
    let run = run_cmd(&mut cmd, None);
    run.expect_code(2);
    assert!(
        run.stderr.contains("FFCE_BUCKET") && run.stderr.contains("FFCE_DIR"),
        "{}",
        run.stderr
    );
    // A flag settles it.
    let mut cmd = ffce_home(home.path());
    cmd.env("FFCE_BUCKET", "b-b-b")
        .env("FFCE_DIR", store.path())
        .args(["ls", "--dir", s(store.path())]);
    run_cmd(&mut cmd, None).expect_code(0);
}

#[test]
fn help_still_names_the_store_variables() {
    let run = common::run(["ls", "--help"]);
    run.expect_code(0);
    for var in ["FFCE_BUCKET", "FFCE_DIR", "S3_BACKUP_BUCKET_NAME"] {
        assert!(
            run.out().contains(var),
            "{var} missing from:\n{}",
            run.out()
        );
    }
}

// ---- 3. Writes to the embedded default store say so, even with -q ----

#[test]
fn writes_to_the_default_store_say_so_even_with_q() {
    let home = temp_dir();
    let blob = vector("dexie-backup").path();
    let default = home.path().join(".local/share/ffce/backups");
    for args in [
        vec!["-q", "put", DEVICE, s(&blob)],
        vec!["-q", "delete", DEVICE],
        vec!["-q", "restore", DEVICE, "--version-id", "abc"],
    ] {
        let run = run_cmd(ffce_home(home.path()).args(&args), None);
        let shown = format!("using the local backup store at {}", default.display());
        assert!(run.stderr.contains(&shown), "{args:?}: {}", run.stderr);
        for how in ["--bucket", "FFCE_BUCKET", "--dir"] {
            assert!(run.stderr.contains(how), "{args:?} {how}: {}", run.stderr);
        }
    }
    // Reading stays quiet with -q.
    let run = run_home(home.path(), &["-q", "ls"]);
    run.expect_code(0);
    assert!(run.stderr.is_empty(), "{}", run.stderr);
}

// ---- 4. --profile must name a profile that exists ----

/// AWS config and credentials files in `dir`.
fn aws_files(dir: &Path, config: &str, credentials: &str) -> (String, String) {
    let c = write_file(dir, "config", config.as_bytes(), 0o600);
    let k = write_file(dir, "credentials", credentials.as_bytes(), 0o600);
    (s(&c).to_string(), s(&k).to_string())
}

#[test]
fn unknown_profile_is_a_usage_error_even_with_credentials_in_the_environment() {
    let b = Bucket::versioned("profile");
    let dir = temp_dir();
    let (config, creds) = aws_files(
        dir.path(),
        "[profile other]\nregion = us-east-1\n",
        "[known]\naws_access_key_id = test\naws_secret_access_key = test\n",
    );
    let mut cmd = ffce_aws();
    cmd.env("AWS_CONFIG_FILE", &config)
        .env("AWS_SHARED_CREDENTIALS_FILE", &creds)
        .args(["ls", "--bucket", &b.name, "--endpoint-url", &endpoint()])
        .args(["--profile", "nosuch"]);
    let run = run_cmd(&mut cmd, None);
    run.expect_code(2);
    assert!(
        run.stderr
            .contains("the config profile (nosuch) could not be found"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains(&config) && run.stderr.contains(&creds),
        "names the files looked in: {}",
        run.stderr
    );

    // A profile that exists only in the credentials file, or only in the config
    // file, is found.
    for profile in ["known", "other"] {
        let mut cmd = ffce_aws();
        cmd.env("AWS_CONFIG_FILE", &config)
            .env("AWS_SHARED_CREDENTIALS_FILE", &creds)
            .args(["ls", "--bucket", &b.name, "--endpoint-url", &endpoint()])
            .args(["--profile", profile]);
        run_cmd(&mut cmd, None).expect_code(0);
    }
}

#[test]
fn no_credentials_with_a_profile_names_the_profile_not_the_flag() {
    let dir = temp_dir();
    let (config, creds) = aws_files(dir.path(), "[profile known]\nregion = us-east-1\n", "");
    let mut cmd = ffce_aws();
    cmd.env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .env("AWS_CONFIG_FILE", &config)
        .env("AWS_SHARED_CREDENTIALS_FILE", &creds)
        .args(["ls", "--bucket", "ffce-no-such-bucket", "--endpoint-url"])
        .arg(endpoint())
        .args(["--profile", "known", "--max-attempts", "1"]);
    let run = run_cmd(&mut cmd, None);
    run.expect_code(1);
    assert!(run.stderr.contains("no AWS credentials"), "{}", run.stderr);
    assert!(
        run.stderr.contains("profile known"),
        "names the profile: {}",
        run.stderr
    );
    assert!(
        !run.stderr.contains("use --profile"),
        "the user already gave --profile: {}",
        run.stderr
    );
}

// ---- 5. Keys can be piped ----

#[test]
fn key_file_dash_and_dev_stdin_read_the_key_from_stdin() {
    let blob = vector("one-byte-backup").path();
    for path in ["-", "/dev/stdin"] {
        let run = run_stdin(
            ["decrypt", "--master-key-file", path, s(&blob), "-o", "-"],
            format!("{MASTER_11}\n").as_bytes(),
        );
        run.expect_code(0);
        assert_eq!(run.stdout, b"F", "{path}: {}", run.stderr);
        assert_no_keys(&run.all());
    }
    // key derive too.
    let run = run_stdin(
        ["key", "derive", "--master-key-file", "-"],
        MASTER_11.as_bytes(),
    );
    run.expect_code(0);
    assert_eq!(run.out(), format!("{KEY_11}\n"));
}

#[test]
fn key_from_process_substitution_fifo() {
    let blob = vector("one-byte-backup").path();
    // `<(command)` hands ffce a pipe as /dev/fd/N.
    let script = format!(
        "exec \"$FFCE\" decrypt --master-key-file <(printf '%s\\n' {MASTER_11}) \"$BLOB\" -o -"
    );
    let mut cmd = Command::new("bash");
    cmd.args(["-c", &script])
        .env("FFCE", ffce_path())
        .env("BLOB", &blob)
        .env_remove("FFCE_MASTER_KEY")
        .env_remove("FFCE_KEY");
    let run = run_cmd(&mut cmd, None);
    run.expect_code(0);
    assert_eq!(run.stdout, b"F", "{}", run.stderr);

    // A named FIFO (mkfifo) works the same way.
    let dir = temp_dir();
    let fifo = dir.path().join("key.fifo");
    let made = Command::new("mkfifo").arg(&fifo).status().expect("mkfifo");
    assert!(made.success());
    let writer = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::write(fifo, KEY_11))
    };
    let run = common::run(["decrypt", "--key-file", s(&fifo), s(&blob), "-o", "-"]);
    writer.join().unwrap().unwrap();
    run.expect_code(0);
    assert_eq!(run.stdout, b"F", "{}", run.stderr);
}

#[test]
fn key_and_payload_both_on_stdin_is_a_usage_error() {
    let dir = temp_dir();
    let out = dir.path().join("out");
    for path in ["-", "/dev/stdin"] {
        let run = run_stdin(
            ["encrypt", "--master-key-file", path, "-", "-o", s(&out)],
            b"{}",
        );
        run.expect_code(2);
        assert!(
            run.stderr.contains("stdin") && run.stderr.contains("both"),
            "{path}: {}",
            run.stderr
        );
        assert!(!out.exists());
    }
}

#[test]
fn a_piped_key_is_read_only_up_to_a_limit() {
    let big = vec![b'a'; 100_000];
    let blob = vector("one-byte-backup").path();
    let run = run_stdin(
        ["decrypt", "--master-key-file", "-", s(&blob), "-o", "-"],
        &big,
    );
    run.expect_code(2);
    assert!(run.stderr.contains("4,096 bytes"), "{}", run.stderr);
    assert!(run.stdout.is_empty());
}

// ---- 6. key derive reads FFCE_MASTER_KEY ----

#[test]
fn key_derive_reads_ffce_master_key() {
    let mut cmd = ffce();
    cmd.env("FFCE_MASTER_KEY", MASTER_11)
        .args(["key", "derive"]);
    let run = run_cmd(&mut cmd, None);
    run.expect_code(0);
    assert_eq!(run.out(), format!("{KEY_11}\n"));
    assert!(run.stderr.contains("FFCE_MASTER_KEY"), "{}", run.stderr);

    // Neither: a usage error that names both ways.
    let run = common::run(["key", "derive"]);
    run.expect_code(2);
    assert!(
        run.stderr.contains("--master-key-file") && run.stderr.contains("FFCE_MASTER_KEY"),
        "{}",
        run.stderr
    );
}

// ---- 7. 0x-prefixed hex; a bad hex digit is reported where it is ----

#[test]
fn hex_with_0x_prefix_is_accepted() {
    let blob = vector("one-byte-backup").path();
    let mut cmd = ffce();
    cmd.env("FFCE_MASTER_KEY", format!("0x{MASTER_11}"))
        .args(["decrypt", s(&blob), "-o", "-"]);
    let run = run_cmd(&mut cmd, None);
    run.expect_code(0);
    assert_eq!(run.stdout, b"F");

    let dir = temp_dir();
    let file = write_file(
        dir.path(),
        "k",
        format!("0X{}\n", KEY_11.to_uppercase()).as_bytes(),
        0o600,
    );
    let run = common::run(["decrypt", "--key-file", s(&file), s(&blob), "-o", "-"]);
    run.expect_code(0);
    assert_eq!(run.stdout, b"F");
}

#[test]
fn a_bad_hex_digit_is_reported_at_its_position() {
    let mut bad = KEY_11.to_string();
    bad.replace_range(16..17, "g");
    let dir = temp_dir();
    let file = hex_key_file(dir.path(), "k", &bad);
    let blob = vector("one-byte-backup").path();
    let run = common::run(["decrypt", "--key-file", s(&file), s(&blob), "-o", "-"]);
    run.expect_code(2);
    assert!(
        run.stderr.contains("not hex: character 'g' at position 17"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("base64 decoding"), "{}", run.stderr);
    assert_no_keys(&run.all());

    // The same in a variable.
    let mut cmd = ffce();
    cmd.env("FFCE_KEY", &bad)
        .args(["decrypt", s(&blob), "-o", "-"]);
    let run = run_cmd(&mut cmd, None);
    run.expect_code(2);
    assert!(
        run.stderr.contains("not hex: character 'g' at position 17"),
        "{}",
        run.stderr
    );
}
