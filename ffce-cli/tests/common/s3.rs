//! Helpers for the tests against a real S3-compatible server (moto, on loopback):
//! where the server is, a fresh bucket per test, `ffce` pointed at it, and an
//! independent client (`scripts/s3_oracle.py`, boto3) to prepare state and check what
//! landed.
//!
//! The server comes from `scripts/test.sh` (which starts it and exports
//! `FFCE_TEST_S3_ENDPOINT`). Without it these tests fail, loudly; they never skip.
//!
//! Topic modules reach it as `crate::common::s3`; it reaches the shared helpers as
//! `crate::common`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};

use serde_json::Value;

use crate::common::{Run, ffce, run_cmd};

/// The S3 endpoint of the test server (loopback only; see `ffce_test_support`).
pub fn endpoint() -> String {
    ffce_test_support::s3_endpoint()
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The test venv's Python (`FFCE_TEST_PYTHON`, else `target/py-venv/bin/python`).
pub fn python() -> PathBuf {
    let path = std::env::var_os("FFCE_TEST_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("target/py-venv/bin/python"));
    assert!(
        path.exists(),
        "no Python venv at {}: run the tests through `scripts/test.sh`",
        path.display()
    );
    path
}

/// Runs `scripts/s3_oracle.py ARGS` and parses its JSON answer; panics on failure.
pub fn oracle(args: &[&str]) -> Value {
    let out = Command::new(python())
        .arg(repo_root().join("scripts/s3_oracle.py"))
        .arg("--endpoint")
        .arg(endpoint())
        .args(args)
        .output()
        .expect("run scripts/s3_oracle.py");
    assert!(
        out.status.success(),
        "s3_oracle {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "s3_oracle {args:?}: not JSON ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

/// `ffce` with dummy AWS credentials and region, and nothing from the developer's AWS
/// set-up (profiles, endpoints, IMDS) or ffce environment.
pub fn ffce_aws() -> Command {
    let mut cmd = ffce();
    ffce_test_support::isolate_command(&mut cmd);
    for var in ["S3_BACKUP_BUCKET_NAME", "XDG_DATA_HOME"] {
        cmd.env_remove(var);
    }
    cmd.env("HOME", "/nonexistent/ffce-test-home");
    cmd
}

/// Runs `ffce ARGS --endpoint-url ENDPOINT` (no stdin) with the variables `env` set:
/// no `--bucket`, for a bucket an `s3://` URL or a variable names.
pub fn ffce_endpoint(args: &[&str], env: &[(&str, &str)]) -> Run {
    let ep = endpoint();
    let mut cmd = ffce_aws();
    cmd.args(args).args(["--endpoint-url", &ep]);
    for (var, value) in env {
        cmd.env(var, value);
    }
    run_cmd(&mut cmd, None)
}

/// Runs `ffce ARGS --bucket NAME --endpoint-url ENDPOINT` (no stdin), for a bucket
/// that may not exist.
pub fn ffce_bucket(name: &str, args: &[&str]) -> Run {
    let mut all = args.to_vec();
    all.extend(["--bucket", name]);
    ffce_endpoint(&all, &[])
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// A bucket name no other test (or earlier run against the same server) uses.
pub fn unique_bucket_name(tag: &str) -> String {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    let tag: String = tag
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .take(30)
        .collect();
    format!("ffce-{tag}-{}-{n}-{nanos}", std::process::id())
}

/// A fresh bucket on the test server.
pub struct Bucket {
    pub name: String,
}

/// The default-encryption KMS key id the versioned test buckets get.
pub const TEST_KMS_KEY: &str = "arn:aws:kms:us-east-1:123456789012:key/ffce-test-default";

impl Bucket {
    /// A bucket like the production one: versioned, SSE-KMS by default.
    pub fn versioned(tag: &str) -> Bucket {
        Bucket::create(tag, &["--versioned", "--kms", TEST_KMS_KEY])
    }

    /// A plain bucket: no versioning, no default KMS.
    pub fn plain(tag: &str) -> Bucket {
        Bucket::create(tag, &[])
    }

    fn create(tag: &str, flags: &[&str]) -> Bucket {
        let name = unique_bucket_name(tag);
        let mut args = vec!["create-bucket", name.as_str()];
        args.extend_from_slice(flags);
        oracle(&args);
        Bucket { name }
    }

    /// Runs `ffce ARGS --bucket NAME --endpoint-url ENDPOINT` (no stdin).
    pub fn ffce(&self, args: &[&str]) -> Run {
        ffce_bucket(&self.name, args)
    }

    /// The oracle's `head` of `key` (optionally a version).
    pub fn head(&self, key: &str) -> Value {
        oracle(&["head", &self.name, key])
    }

    /// The oracle's `get` of `key`.
    pub fn get(&self, key: &str) -> Value {
        oracle(&["get", &self.name, key])
    }

    /// Plants `file` at `key` with the oracle (extra flags: `--checksum-sha256 B64`,
    /// `--metadata K=V`, `--content-type T`).
    pub fn plant(&self, key: &str, file: &Path, extra: &[&str]) -> Value {
        let mut args = vec!["put", self.name.as_str(), key, file.to_str().unwrap()];
        args.extend_from_slice(extra);
        oracle(&args)
    }

    /// Every key (latest versions) in the bucket.
    pub fn keys(&self) -> Vec<String> {
        oracle(&["list", &self.name])
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["key"].as_str().unwrap().to_string())
            .collect()
    }

    /// The oracle's `list-versions` for `prefix`: (versions, delete markers), each
    /// restricted to exactly `key`.
    pub fn versions_of(&self, key: &str) -> (Vec<Value>, Vec<Value>) {
        let all = oracle(&["list-versions", &self.name, "--prefix", key]);
        let only = |field: &str| -> Vec<Value> {
            all[field]
                .as_array()
                .unwrap()
                .iter()
                .filter(|v| v["key"] == key)
                .cloned()
                .collect()
        };
        (only("versions"), only("delete_markers"))
    }
}

/// Base64 of the SHA-256 of `bytes`, as S3 reports ChecksumSHA256.
pub fn sha256_b64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    use sha2::{Digest, Sha256};
    base64::engine::general_purpose::STANDARD.encode(Sha256::digest(bytes))
}

/// Plants `(key, file)` pairs in one oracle call, in order (later = newer version).
pub fn plant_all(b: &Bucket, pairs: &[(String, PathBuf)]) {
    let mut args = vec!["put-files".to_string(), b.name.clone()];
    args.extend(
        pairs
            .iter()
            .map(|(k, f)| format!("{k}={}", f.to_str().unwrap())),
    );
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    oracle(&args);
}
