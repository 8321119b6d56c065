//! `-o` destinations that are not regular files: a device or a FIFO is written through
//! (never renamed over or chmod'ed, no `--force` needed), `/dev/stdout` is stdout, and a
//! symbolic link is followed to its target (the link is kept) or refused, never replaced.
//! Every command that writes `-o` goes through one writer; these tests use `decrypt`
//! (plaintext), `encrypt` (a blob) and `get` from a local store.

use crate::common;

use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::*;

/// The fixture, its key file in `dir`, and its plaintext.
struct Sealed {
    blob: PathBuf,
    key: PathBuf,
    plaintext: Vec<u8>,
}

fn sealed(dir: &Path) -> Sealed {
    let key = master_11(dir);
    let plaintext = br#"{"formatName":"dexie","data":{"tables":[]}}"#.to_vec();
    let blob = seal(dir, "backup", &plaintext);
    Sealed {
        blob,
        key,
        plaintext,
    }
}

fn decrypt_to(sealed: &Sealed, out: &Path, force: bool) -> Run {
    let mut args = vec![
        "decrypt".to_string(),
        "--master-key-file".into(),
        s(&sealed.key).into(),
        s(&sealed.blob).into(),
        "-o".into(),
        s(out).into(),
    ];
    if force {
        args.push("--force".into());
    }
    run(args)
}

/// `mkfifo PATH`, as a process (no FFI in the tests).
fn mkfifo(path: &Path) {
    let st = Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("run mkfifo");
    assert!(st.success(), "mkfifo {}", path.display());
}

/// A reader of `fifo` (`cat FIFO > into`) in its own process.
fn fifo_reader(fifo: &Path, into: &Path) -> Child {
    Command::new("sh")
        .arg("-c")
        .arg("exec cat \"$0\" > \"$1\"")
        .arg(fifo)
        .arg(into)
        .stdin(Stdio::null())
        .spawn()
        .expect("spawn cat")
}

/// Waits up to 10 s for `child`; kills it and answers false if it is still running (a
/// reader that was left opening a FIFO nobody will ever write to).
fn ended_within(child: &mut Child) -> bool {
    let until = Instant::now() + Duration::from_secs(10);
    while Instant::now() < until {
        if child.try_wait().unwrap().is_some() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
    false
}

/// A FIFO gets the plaintext through it, with or without `--force`, and stays a FIFO
/// (renaming over it would leave a plain file and a reader waiting for nothing).
#[test]
fn a_fifo_is_written_through_with_or_without_force() {
    let dir = temp_dir();
    let sealed = sealed(dir.path());
    for force in [false, true] {
        let fifo = dir.path().join(format!("pipe-{force}"));
        mkfifo(&fifo);
        let got = dir.path().join(format!("read-{force}"));
        let mut reader = fifo_reader(&fifo, &got);
        let r = decrypt_to(&sealed, &fifo, force);
        let ended = ended_within(&mut reader);
        r.expect_code(0);
        assert!(ended, "force {force}: the FIFO's reader never got an end");
        assert_eq!(
            std::fs::read(&got).unwrap(),
            sealed.plaintext,
            "force {force}: the reader got other bytes"
        );
        let meta = std::fs::symlink_metadata(&fifo).unwrap();
        assert!(
            meta.file_type().is_fifo(),
            "force {force}: the FIFO was replaced"
        );
    }
}

/// `/dev/null` and `/dev/stdout` just work, without `--force`, for every writer.
#[test]
fn dev_null_and_dev_stdout_need_no_force() {
    let dir = temp_dir();
    let sealed = sealed(dir.path());
    let r = decrypt_to(&sealed, Path::new("/dev/null"), false);
    r.expect_code(0);
    let plain = write_file(dir.path(), "plain.json", &sealed.plaintext, 0o600);
    run([
        "encrypt",
        "--master-key-file",
        s(&sealed.key),
        s(&plain),
        "-o",
        "/dev/null",
    ])
    .expect_code(0);
    let store = dir.path().join("store");
    std::fs::create_dir(&store).unwrap();
    run(["put", "--dir", s(&store), DEVICE, s(&sealed.blob)]).expect_code(0);
    run(["get", "--dir", s(&store), DEVICE, "-o", "/dev/null"]).expect_code(0);
    let null = std::fs::metadata("/dev/null").unwrap();
    assert!(null.file_type().is_char_device());

    // /dev/stdout is stdout: the plaintext comes out of the pipe.
    let r = decrypt_to(&sealed, Path::new("/dev/stdout"), false);
    r.expect_code(0);
    assert_eq!(r.stdout, sealed.plaintext);
    // ... and with --json it is refused as -o - is (both would write to stdout).
    let r = run([
        "get",
        "--json",
        "--dir",
        s(&store),
        DEVICE,
        "-o",
        "/dev/stdout",
    ]);
    r.expect_code(2);
}

/// A character device made in a temporary folder (`mknod x c 1 3`, a second /dev/null)
/// is written through with `--force`: still a device, its mode untouched, holding no
/// plaintext. `mknod` needs CAP_MKNOD; without it only this part is skipped, and the
/// skip asserts why.
#[test]
fn a_character_device_is_never_renamed_over() {
    let dir = temp_dir();
    let sealed = sealed(dir.path());
    let dev = dir.path().join("x");
    let made = Command::new("mknod")
        .arg(&dev)
        .args(["c", "1", "3"])
        .output()
        .expect("run mknod");
    if !made.status.success() {
        let why = String::from_utf8_lossy(&made.stderr);
        assert!(
            why.contains("Operation not permitted") || why.contains("Permission denied"),
            "mknod failed for another reason than permission: {why}"
        );
        eprintln!("skipped: mknod is not permitted here: {why}");
        return;
    }
    let before = std::fs::metadata(&dev).unwrap();
    for force in [false, true] {
        decrypt_to(&sealed, &dev, force).expect_code(0);
        let after = std::fs::symlink_metadata(&dev).unwrap();
        assert!(
            after.file_type().is_char_device(),
            "force {force}: the device became a {:?}",
            after.file_type()
        );
        assert_eq!(after.rdev(), before.rdev());
        assert_eq!(after.mode(), before.mode(), "force {force}: chmod'ed");
    }
    assert_eq!(
        entries(dir.path())
            .iter()
            .filter(|n| n.ends_with(".tmp"))
            .count(),
        0
    );
}

/// A link to a regular file: refused without `--force` (naming the target); with it,
/// the target is replaced atomically and the link kept. A link to nothing is refused
/// and neither the link nor its target is made.
#[test]
fn a_symlink_is_followed_never_replaced() {
    let dir = temp_dir();
    let sealed = sealed(dir.path());
    let target = write_file(dir.path(), "target.json", b"old contents", 0o644);
    let link = dir.path().join("link.json");
    std::os::unix::fs::symlink(&target, &link).unwrap();

    let r = decrypt_to(&sealed, &link, false);
    r.expect_code(5);
    assert!(
        r.stderr.contains("symbolic link") && r.stderr.contains("--force"),
        "{}",
        r.stderr
    );
    assert_eq!(std::fs::read(&target).unwrap(), b"old contents");

    decrypt_to(&sealed, &link, true).expect_code(0);
    let meta = std::fs::symlink_metadata(&link).unwrap();
    assert!(meta.file_type().is_symlink(), "the link was replaced");
    assert_eq!(std::fs::read_link(&link).unwrap(), target);
    assert_eq!(std::fs::read(&target).unwrap(), sealed.plaintext);
    assert_eq!(
        mode_of(&target),
        0o600,
        "plaintext is 0600, as for any file"
    );

    let dangling = dir.path().join("dangling.json");
    let nowhere = dir.path().join("nowhere.json");
    std::os::unix::fs::symlink(&nowhere, &dangling).unwrap();
    for force in [false, true] {
        let r = decrypt_to(&sealed, &dangling, force);
        r.expect_code(5);
        assert!(
            r.stderr.contains("symbolic link") && r.stderr.contains("nowhere.json"),
            "{}",
            r.stderr
        );
        assert!(
            std::fs::symlink_metadata(&dangling)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert!(!nowhere.exists());
    }
}
