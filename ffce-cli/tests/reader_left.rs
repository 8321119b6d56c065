//! A reader that leaves early (`ffce audit --jsonl | head -1`) is not a success: the
//! command exits 7, or keeps the verdict it already had (4 when an invalid backup was
//! read before the reader left), so that a `set -o pipefail` check cut short does not
//! read as a pass. Every streaming command: verify, ls --jsonl, audit (--jsonl and
//! human), versions --jsonl, show --jsonl.
//!
//! Each test spawns the real binary with stdout on a pipe, reads one line (or nothing),
//! drops the read end, and checks the exit code. The outputs are far larger than a pipe's
//! buffer (64 KiB), so the writer is certainly still going when its reader leaves.

use crate::common;
use crate::common::s3;

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::*;
use s3::*;

/// How a run whose reader left ended.
struct Left {
    first_line: String,
    code: Option<i32>,
    stderr: String,
}

/// Spawns `cmd` with stdout piped, reads one line (`lines == 1`) or none (`0`), then
/// closes the read end and waits.
fn leave_after(cmd: &mut Command, lines: usize) -> Left {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("spawn ffce");
    let mut first_line = String::new();
    {
        let mut out = BufReader::new(child.stdout.take().unwrap());
        if lines > 0 {
            out.read_line(&mut first_line).unwrap();
        }
        // `out` is dropped here: the pipe's read end is closed.
    }
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    let status = child.wait().unwrap();
    assert!(!stderr.contains("panicked"), "{stderr}");
    Left {
        first_line,
        code: status.code(),
        stderr,
    }
}

fn uuid(n: u32) -> String {
    format!("{n:08x}-2222-4333-8444-{n:012x}")
}

/// A local store (`--dir`) of `n` devices holding a valid backup, the first of them
/// (in key order) `first` instead.
fn local_fleet(dir: &Path, n: u32, first: &Path) -> PathBuf {
    let store = dir.join("store");
    let good = vector("dexie-backup").blob();
    for i in 1..=n {
        let folder = store.join(uuid(i));
        std::fs::create_dir_all(&folder).unwrap();
        let path = folder.join("backup.ffce");
        if i == 1 {
            std::fs::copy(first, &path).unwrap();
        } else {
            std::fs::write(&path, &good).unwrap();
        }
    }
    store
}

/// `n` paths to blobs for `verify`: the first is `first`, the rest valid.
fn blob_files(dir: &Path, n: usize, first: &Path) -> Vec<PathBuf> {
    let good = vector("dexie-backup").path();
    (0..n)
        .map(|i| {
            let path = dir.join(format!("{i:05}.ffce"));
            std::os::unix::fs::symlink(if i == 0 { first } else { &good }, &path).unwrap();
            path
        })
        .collect()
}

#[test]
fn verify_whose_reader_leaves_exits_7_or_its_verdict_so_far() {
    let dir = temp_dir();
    let good = vector("dexie-backup").path();
    let bad = vector("truncated-body").path();
    for (format, first, code) in [
        (None, &good, 7),
        (Some("--jsonl"), &good, 7),
        (None, &bad, 4),
        (Some("--jsonl"), &bad, 4),
    ] {
        let sub = tempfile::tempdir_in(dir.path()).unwrap();
        let files = blob_files(sub.path(), 2000, first);
        let mut cmd = ffce();
        cmd.arg("verify").args(format).args(&files);
        let left = leave_after(&mut cmd, 1);
        assert!(!left.first_line.is_empty());
        assert_eq!(
            left.code,
            Some(code),
            "{format:?}, first {}: {}",
            first.display(),
            left.stderr
        );
        assert!(left.stderr.contains("reader left early"), "{}", left.stderr);
    }
}

#[test]
fn ls_and_audit_whose_reader_leaves_exit_7_or_the_verdict_so_far() {
    let dir = temp_dir();
    let good = vector("dexie-backup").path();
    let bad = vector("truncated-body").path();
    let valid = local_fleet(&dir.path().join("valid"), 1000, &good);
    let broken = local_fleet(&dir.path().join("broken"), 1000, &bad);
    // (A human audit of valid backups prints only its summary, a few lines that fit
    // in the pipe: its reader cannot leave before the end.)
    let cases: [(&[&str], &Path, i32); 5] = [
        (&["ls", "--jsonl"], &valid, 7),
        (&["ls"], &valid, 7),
        (&["audit", "--jsonl", "--concurrency", "1"], &valid, 7),
        // The first device read is invalid: the verdict so far is already exit 4.
        (&["audit", "--jsonl", "--concurrency", "1"], &broken, 4),
        (&["audit"], &broken, 4),
    ];
    for (args, store, code) in cases {
        let mut cmd = ffce();
        cmd.args(args).arg("--dir").arg(store);
        let left = leave_after(&mut cmd, 1);
        assert!(!left.first_line.is_empty(), "{args:?}");
        assert_eq!(left.code, Some(code), "{args:?}: {}", left.stderr);
    }
}

/// `versions --jsonl` and `show --jsonl` whose reader is gone before the first line.
#[test]
fn versions_and_show_whose_reader_left_exit_7() {
    let dir = temp_dir();
    let key = master_11(dir.path());
    let plaintext = serde_json::json!({
        "formatName": "dexie",
        "formatVersion": 1,
        "data": {"databaseName": "d", "databaseVersion": 1, "tables": [
            {"name": "t", "schema": "++id", "rowCount": 1}
        ], "data": [{"tableName": "t", "inbound": true, "rows": [{"id": 1}]}]}
    });
    let blob = seal(dir.path(), "b", plaintext.to_string().as_bytes());
    let mut cmd = ffce();
    cmd.args(["show", "--jsonl", "--master-key-file", s(&key), s(&blob)]);
    let left = leave_after(&mut cmd, 0);
    assert_eq!(left.code, Some(7), "show: {}", left.stderr);

    let b = Bucket::versioned("reader-left");
    for _ in 0..3 {
        b.ffce(&["put", DEVICE, s(&vector("dexie-backup").path())])
            .expect_code(0);
    }
    let mut cmd = ffce_aws();
    cmd.args(["versions", "--jsonl", "--bucket", &b.name, DEVICE])
        .args(["--endpoint-url", &endpoint()]);
    let left = leave_after(&mut cmd, 0);
    assert_eq!(left.code, Some(7), "versions: {}", left.stderr);
}
