//! `-q` prints only errors: no human report on stdout and nothing on stderr for a command
//! that succeeds (`put`, `ls`, `inspect`, `audit`, `verify`, `get`), while what was
//! asked for as data stays: `--json`, bytes to stdout, and an error's message.

use crate::common;

use common::*;

#[test]
fn quiet_prints_nothing_for_a_success_and_only_the_error_for_a_failure() {
    let dir = temp_dir();
    let key = master_11(dir.path());
    let blob = seal(dir.path(), "b", br#"{"formatName":"dexie"}"#);
    let store = dir.path().join("store");
    std::fs::create_dir(&store).unwrap();
    let st = s(&store);
    let cases: [&[&str]; 7] = [
        &["-q", "put", "--dir", st, DEVICE, s(&blob)],
        &["-q", "ls", "--dir", st],
        &["-q", "inspect", s(&blob)],
        &["-q", "inspect", "--master-key-file", s(&key), s(&blob)],
        &["-q", "audit", "--dir", st],
        &["-q", "verify", s(&blob)],
        &["-q", "get", "--dir", st, DEVICE],
    ];
    for args in cases {
        let r = run(args);
        r.expect_code(0);
        assert_eq!(r.out(), "", "{args:?}: stdout");
        assert_eq!(r.stderr, "", "{args:?}: stderr");
    }

    // Without -q the same commands do report (the test above is not vacuous).
    let r = run(["ls", "--dir", st]);
    assert!(r.out().contains(DEVICE), "{}", r.out());

    // A failure: the error on stderr, nothing on stdout, the exit code.
    let broken = write_file(dir.path(), "broken.ffce", b"FFCE\x01short", 0o644);
    let r = run(["-q", "inspect", s(&broken)]);
    r.expect_code(4);
    assert_eq!(r.out(), "");
    assert!(r.stderr.starts_with("error: "), "{}", r.stderr);

    // What was asked for as data stays: --json, --jsonl, and the payload of -o -.
    let r = run(["-q", "ls", "--json", "--dir", st]);
    r.expect_code(0);
    assert_eq!(r.json()["devices"][0]["device"], DEVICE, "{}", r.out());
    let r = run(["-q", "audit", "--jsonl", "--dir", st]);
    r.expect_code(0);
    assert_eq!(r.json_lines().len(), 2, "{}", r.out());
    let r = run([
        "-q",
        "decrypt",
        "--master-key-file",
        s(&key),
        s(&blob),
        "-o",
        "-",
    ]);
    r.expect_code(0);
    assert_eq!(r.out(), r#"{"formatName":"dexie"}"#);
}
