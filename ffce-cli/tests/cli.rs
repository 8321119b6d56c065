//! The command line as a whole: help with examples and the exit-code table,
//! completions and the man page, usage errors, broken pipes.

use crate::common;

use std::io::Read;
use std::process::Stdio;

use common::*;

#[test]
fn help_lists_exit_codes_and_every_command_has_an_example() {
    let run = run(["--help"]);
    run.expect_code(0);
    let out = run.out();
    for line in [
        "0  success",
        "2  usage error",
        "4  integrity failure",
        "5  refused",
        "7  stdout's reader left early",
    ] {
        assert!(out.contains(line), "{out}");
    }
    for cmd in [
        vec!["inspect"],
        vec!["encrypt"],
        vec!["decrypt"],
        vec!["verify"],
        vec!["key", "derive"],
        vec!["bucket", "create"],
        vec!["bucket", "check"],
        vec!["bucket", "empty"],
        vec!["audit"],
        vec!["completions"],
        vec!["man"],
    ] {
        let mut args = cmd.clone();
        args.push("--help");
        let run = common::run(&args);
        run.expect_code(0);
        assert!(
            run.out().contains("Example"),
            "{cmd:?} --help has no example"
        );
    }
}

#[test]
fn completions_and_man_page() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let run = run(["completions", shell]);
        run.expect_code(0);
        let out = run.out();
        assert!(out.len() > 1000, "{shell}: {out}");
        for word in ["inspect", "decrypt", "master-key-file"] {
            assert!(out.contains(word), "{shell} completions lack {word}");
        }
    }
    run(["completions", "tcsh"]).expect_code(2);
    let man = run(["man"]);
    man.expect_code(0);
    let page = man.out();
    assert!(
        page.starts_with(".ie") || page.contains(".TH ffce"),
        "{page}"
    );
    assert!(page.contains("inspect"), "{page}");
}

#[test]
fn usage_errors_exit_2() {
    run(Vec::<&str>::new()).expect_code(2);
    run(["frobnicate"]).expect_code(2);
    run(["-v", "-q", "man"]).expect_code(2);
    run(["encrypt", "x"]).expect_code(2); // no -o
}

/// `get` and `api get` share their output checks: `--json` with `-o -` would put the
/// report and the bytes on one stdout, so both refuse it as a usage error before
/// anything is fetched (no bucket or API is set up here); stdout gets only the error.
#[test]
fn downloads_refuse_json_and_stdout_together() {
    let uuid = "3f2504e0-4f89-41d3-9a0c-0305e82c3301";
    for cmd in [
        vec!["get", uuid, "--json", "-o", "-"],
        // Nothing listens on port 9, and the key file is not there: neither is reached.
        vec![
            "api",
            "get",
            uuid,
            "--api-url",
            "http://127.0.0.1:9",
            "--device-key",
            "/nonexistent/device.pem",
            "--json",
            "-o",
            "-",
        ],
    ] {
        let run = run(&cmd);
        run.expect_code(2);
        assert!(
            run.stderr
                .contains("--json and -o - would both write to stdout; give -o a file"),
            "{cmd:?}: {}",
            run.stderr
        );
        // With --json, stdout holds only the error, as JSON.
        assert_eq!(run.json()["error"]["kind"], "usage", "{cmd:?}");
    }
}

/// `ffce man | head -1`: a reader that goes away is not an error (and not a panic).
#[test]
fn closed_stdout_is_not_an_error() {
    for args in [vec!["man"], vec!["completions", "bash"]] {
        let mut child = ffce()
            .args(&args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take()); // closes the read end at once
        let mut stderr = String::new();
        child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut stderr)
            .unwrap();
        let status = child.wait().unwrap();
        assert_eq!(status.code(), Some(0), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
}

/// One stdin-sharing check for every command: `api post` refuses a key file that is
/// stdin under another name (`/dev/stdin`) when the input is stdin too, as `put` does,
/// before anything is read (nothing listens on port 9, and no device key is there).
#[test]
fn api_post_refuses_two_readers_of_stdin_however_named() {
    let uuid = "3f2504e0-4f89-41d3-9a0c-0305e82c3301";
    for cmd in [
        vec![
            "api",
            "post",
            "--api-url",
            "http://127.0.0.1:9",
            "--device-key",
            "/nonexistent/device.pem",
            "--encrypt",
            "--master-key-file",
            "/dev/stdin",
            uuid,
            "-",
        ],
        vec![
            "put",
            "--dir",
            "/nonexistent/store",
            "--encrypt",
            "--master-key-file",
            "/dev/stdin",
            uuid,
            "-",
        ],
    ] {
        let run = run_stdin(&cmd, b"{\"formatName\":\"dexie\"}");
        run.expect_code(2);
        assert!(
            run.stderr
                .contains("--master-key-file /dev/stdin and the input -")
                && run.stderr.contains("would both be read from stdin"),
            "{cmd:?}: {}",
            run.stderr
        );
    }
}

/// A fatal error is on stdout with `--jsonl` as with `--json`: one `error` record (the
/// same body), so that a script reading lines learns why there is no result.
#[test]
fn fatal_errors_are_a_json_line_with_jsonl_as_with_json() {
    let dir = temp_dir();
    let missing = dir.path().join("missing");
    let blob = vector("dexie-backup").path();
    let cases: [&[&str]; 6] = [
        &["ls", "--dir", s(&missing)],
        &["audit", "--dir", s(&missing)],
        &["get", "--dir", s(&missing), DEVICE],
        &["inspect", s(&missing)],
        &["put", "--dir", s(dir.path()), DEVICE, s(&missing)],
        &["show", "--key-file", s(&missing), s(&blob)],
    ];
    for args in cases {
        let json = run(args.iter().copied().chain(["--json"]));
        let lines = run(args.iter().copied().chain(["--jsonl"]));
        assert_ne!(json.code(), 0, "{args:?}");
        assert_eq!(lines.code(), json.code(), "{args:?}");
        let doc = json.json();
        let lines = lines.json_lines();
        assert_eq!(lines.len(), 1, "{args:?}: {lines:?}");
        assert_eq!(lines[0]["type"], "error", "{args:?}");
        assert_eq!(lines[0]["schema_version"], 1, "{args:?}");
        assert_eq!(lines[0]["error"], doc["error"], "{args:?}");
    }
}
