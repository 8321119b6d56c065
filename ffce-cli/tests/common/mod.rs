//! Helpers shared by the integration tests: run the real `ffce` binary, make temporary
//! folders and key files, and read the fixtures and their manifest.
//!
//! Each topic module (`inspect.rs`, `crypt.rs`, ...) does `use crate::common;`. Backend
//! helpers are the submodules: `s3` (the moto S3 server and the independent boto3 client),
//! `fault` (the fault-injecting proxy) and `api` (the device API server and its devices).

pub mod api;
pub mod fault;
pub mod s3;

use std::ffi::OsStr;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Output, Stdio};

use serde::Deserialize;
use sha2::{Digest, Sha256};

/// Path to the `ffce` binary cargo built for these tests.
pub fn ffce_path() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_ffce"))
}

/// A `Command` for `ffce` with a clean environment for keys and colour, so that a
/// developer's `FFCE_*` variables cannot change a test's outcome.
pub fn ffce() -> Command {
    let mut cmd = Command::new(ffce_path());
    for var in [
        "FFCE_MASTER_KEY",
        "FFCE_KEY",
        "FFCE_BUCKET",
        "FFCE_DIR",
        "NO_COLOR",
        "FFCE_TEST_PAUSE_BEFORE_RENAME_MS",
    ] {
        cmd.env_remove(var);
    }
    cmd.env("RUST_BACKTRACE", "0");
    cmd
}

/// The device most tests use.
pub const DEVICE: &str = "3f2504e0-4f89-41d3-9a0c-0305e82c3301";
/// A second device.
pub const OTHER: &str = "9b2c1d4e-0a6f-4c3b-8e7d-112233445566";
/// The fixtures' backup master secret (32 bytes of 0x11), in hex.
pub const MASTER_11: &str = "1111111111111111111111111111111111111111111111111111111111111111";

/// The backup key derived from [`MASTER_11`] (docs/SPEC.md §2 cross-check), in hex.
pub const KEY_11: &str = "fa38e736ef4d08926fdf50970b942048c3c8c7cc49cbc9fb951b4a76e2333c0d";

/// Asserts `text` shows the key `hex_key` in none of the ways it could leak: hex (either
/// case), base64, or any 12-hex-digit run of it.
#[track_caller]
pub fn assert_no_key(text: &str, hex_key: &str) {
    use base64::Engine as _;
    let bytes = hex::decode(hex_key).unwrap();
    let lower = text.to_lowercase();
    for i in 0..=(hex_key.len() - 12) {
        assert!(
            !lower.contains(&hex_key[i..i + 12]),
            "key hex leaked in:\n{text}"
        );
    }
    let b64 = base64::engine::general_purpose::STANDARD.encode(&bytes);
    assert!(!text.contains(&b64[..16]), "key base64 leaked in:\n{text}");
}

/// A path as the `&str` an argument list wants (test paths are UTF-8).
pub fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// The nested layout's object key of `uuid`: `{uuid}/backup.ffce`.
pub fn nested(uuid: &str) -> String {
    format!("{uuid}/backup.ffce")
}

/// `ffce` with HOME pointed at `home` and no store or AWS settings from outside.
pub fn ffce_home(home: &Path) -> Command {
    let mut cmd = ffce();
    for var in [
        "XDG_DATA_HOME",
        "S3_BACKUP_BUCKET_NAME",
        "AWS_ENDPOINT_URL",
        "AWS_ENDPOINT_URL_S3",
    ] {
        cmd.env_remove(var);
    }
    cmd.env("HOME", home);
    cmd
}

/// Runs `ffce ARGS` (no stdin) with HOME pointed at `home` ([`ffce_home`]).
pub fn run_home(home: &Path, args: &[&str]) -> Run {
    run_cmd(ffce_home(home).args(args), None)
}

/// A master secret file `dir/master.key` holding [`MASTER_11`].
pub fn master_11(dir: &Path) -> PathBuf {
    hex_key_file(dir, "master.key", MASTER_11)
}

/// Seals `plaintext` with the backup key of [`MASTER_11`], as `dir/NAME.ffce`. Sealed
/// with the library rather than `ffce encrypt`, which refuses a plaintext the device
/// will not restore: tests plant such blobs on purpose.
pub fn seal(dir: &Path, name: &str, plaintext: &[u8]) -> PathBuf {
    let key = ffce_core::MasterSecret::from_bytes([0x11; 32]).derive(ffce_core::Purpose::Backup);
    let output = dir.join(format!("{name}.ffce"));
    std::fs::write(&output, key.seal(plaintext).unwrap()).unwrap();
    output
}

/// A plaintext the controller restores: a Dexie export of its `FireFly-Controller`
/// database (fixtures/exports/device-v1.json).
pub fn restorable_plaintext() -> Vec<u8> {
    std::fs::read(fixtures_dir().join("exports/device-v1.json")).unwrap()
}

/// How a process ended: by itself with a code, or by a signal.
#[derive(Debug, PartialEq, Eq)]
pub enum Ended {
    Exit(i32),
    Signal(i32),
}

impl Ended {
    /// After cleaning up on SIGINT/SIGTERM, ffce ends by that signal, not by exit(128+N):
    /// a shell shows 130/143 either way, but only death by the signal stops a script.
    pub fn of(status: &ExitStatus) -> Ended {
        use std::os::unix::process::ExitStatusExt as _;
        match (status.code(), status.signal()) {
            (Some(code), _) => Ended::Exit(code),
            (None, Some(signal)) => Ended::Signal(signal),
            (None, None) => panic!("neither an exit code nor a signal: {status:?}"),
        }
    }

    /// Ended by `signal`.
    pub fn by(signal: rustix::process::Signal) -> Ended {
        Ended::Signal(signal.as_raw())
    }
}

/// What a finished run produced.
#[derive(Debug)]
pub struct Run {
    pub status: ExitStatus,
    pub stdout: Vec<u8>,
    pub stderr: String,
}

impl Run {
    /// The exit code (panics if the process was killed by a signal).
    pub fn code(&self) -> i32 {
        self.status
            .code()
            .unwrap_or_else(|| panic!("killed by a signal: {self:?}"))
    }

    /// Stdout as text.
    pub fn out(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }

    /// Stdout and stderr together, for "never contains" checks.
    pub fn all(&self) -> String {
        format!("{}{}", self.out(), self.stderr)
    }

    /// Stdout parsed as one JSON value.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {self:?}"))
    }

    /// Stdout parsed as JSON Lines: one value per line.
    pub fn json_lines(&self) -> Vec<serde_json::Value> {
        self.out()
            .lines()
            .map(|l| {
                serde_json::from_str(l)
                    .unwrap_or_else(|e| panic!("not a JSON line ({e}): {l:?}\n{}", self.out()))
            })
            .collect()
    }

    /// Asserts the exit code, showing everything on failure.
    #[track_caller]
    pub fn expect_code(&self, code: i32) -> &Run {
        assert_eq!(
            self.status.code(),
            Some(code),
            "expected exit {code}; stdout:\n{}\nstderr:\n{}",
            self.out(),
            self.stderr
        );
        self
    }
}

impl From<Output> for Run {
    fn from(o: Output) -> Run {
        Run {
            status: o.status,
            stdout: o.stdout,
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }
}

/// Runs `ffce ARGS` with no stdin.
pub fn run<I, S>(args: I) -> Run
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    run_cmd(ffce().args(args), None)
}

/// Runs `ffce ARGS` with `stdin` piped in.
pub fn run_stdin<I, S>(args: I, stdin: &[u8]) -> Run
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    run_cmd(ffce().args(args), Some(stdin))
}

/// Runs a prepared command, feeding `stdin` if given (else /dev/null).
pub fn run_cmd(cmd: &mut Command, stdin: Option<&[u8]>) -> Run {
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    cmd.stdin(if stdin.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    });
    let mut child = cmd.spawn().expect("spawn ffce");
    if let Some(bytes) = stdin {
        let mut pipe = child.stdin.take().unwrap();
        let bytes = bytes.to_vec();
        // A thread, so a large input cannot deadlock against a full stdout pipe.
        std::thread::spawn(move || {
            let _ = pipe.write_all(&bytes);
        });
    }
    child.wait_with_output().expect("wait for ffce").into()
}

/// Runs `ffce ARGS` with stdout and stderr on a pseudo-terminal (via util-linux
/// `script`), for the "is stdout a terminal" behaviour. Returns the exit code and
/// everything the terminal showed.
pub fn run_on_terminal(args: &[&str], dir: &Path) -> (i32, String) {
    let mut line = shell_quote(ffce_path().to_str().unwrap());
    for a in args {
        line.push(' ');
        line.push_str(&shell_quote(a));
    }
    let out = Command::new("script")
        .args(["-q", "-e", "-c", &line, "/dev/null"])
        .current_dir(dir)
        .env_remove("FFCE_MASTER_KEY")
        .env_remove("FFCE_KEY")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .output()
        .expect("run `script` (util-linux) to get a terminal");
    let shown = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), shown)
}

fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// A fresh temporary folder, removed when dropped.
pub fn temp_dir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("ffce-test-")
        .tempdir()
        .expect("temp dir")
}

/// Names of the entries in `dir`, sorted (hidden temporary files included).
pub fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("read dir")
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// Writes `contents` to `dir/name` with unix `mode`, returns the path.
pub fn write_file(dir: &Path, name: &str, contents: &[u8], mode: u32) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, contents).unwrap();
    set_mode(&path, mode);
    path
}

/// Sets unix permissions.
pub fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// Unix permission bits of `path`.
pub fn mode_of(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// Writes a key file holding `hex` (64 hex digits and a newline), mode 0600.
pub fn hex_key_file(dir: &Path, name: &str, hex: &str) -> PathBuf {
    write_file(dir, name, format!("{hex}\n").as_bytes(), 0o600)
}

/// Lowercase hex SHA-256.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// `fixtures/` at the repository root.
pub fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures")
}

/// `fixtures/manifest.json`, parsed.
#[derive(Debug, Deserialize)]
pub struct Manifest {
    pub kdf_check: KdfCheck,
    pub vectors: Vec<Vector>,
}

/// `kdf_check` of the manifest.
#[derive(Debug, Deserialize)]
pub struct KdfCheck {
    pub master_secret: String,
    pub key: String,
}

/// One test vector (see fixtures/README.md).
#[derive(Debug, Clone, Deserialize)]
pub struct Vector {
    pub name: String,
    pub file: String,
    pub purpose: String,
    pub master_secret: String,
    pub key: String,
    pub plaintext_len: Option<u64>,
    pub plaintext_sha256: Option<String>,
    pub plaintext_file: Option<String>,
    pub blob_len: usize,
    pub blob_sha256: String,
    pub structure: String,
    pub upload: String,
    pub open: String,
    pub header: Option<HeaderFields>,
}

/// Raw header fields of a vector.
#[derive(Debug, Clone, Deserialize)]
pub struct HeaderFields {
    pub magic: String,
    pub version: u8,
    pub nonce: String,
    pub plaintext_len: u64,
    pub tag: String,
}

impl Vector {
    /// Absolute path of the blob.
    pub fn path(&self) -> PathBuf {
        fixtures_dir().join(&self.file)
    }

    /// The blob's bytes.
    pub fn blob(&self) -> Vec<u8> {
        std::fs::read(self.path()).unwrap()
    }
}

/// Loads the manifest and checks each blob against its recorded SHA-256, so a test
/// never passes on a fixture that changed under it.
pub fn manifest() -> Manifest {
    let text = std::fs::read(fixtures_dir().join("manifest.json")).expect("fixtures/manifest.json");
    let m: Manifest = serde_json::from_slice(&text).expect("parse manifest");
    assert_eq!(m.vectors.len(), 22, "the manifest has 22 vectors");
    for v in &m.vectors {
        assert_eq!(sha256_hex(&v.blob()), v.blob_sha256, "{} changed", v.name);
    }
    m
}

/// The vector called `name`.
pub fn vector(name: &str) -> Vector {
    manifest()
        .vectors
        .into_iter()
        .find(|v| v.name == name)
        .unwrap_or_else(|| panic!("no vector {name}"))
}
