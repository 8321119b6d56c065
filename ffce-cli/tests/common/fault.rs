//! Fault injection for the S3 tests: start `scripts/fault_proxy.py` between `ffce` and
//! the loopback S3 server, change its plan, read its log, and read back what the bucket
//! holds with the oracle's boto3 client.
//!
//! Builds on the S3 helpers (`crate::common::s3`); topic modules reach it as
//! `crate::common::fault`.
//! Like those, these tests never skip: without `FFCE_TEST_S3_ENDPOINT` (set by
//! `scripts/test.sh`) they fail and say so.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::Value;

use crate::common::s3::{endpoint, python};

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// What the bucket holds for exactly `key`, read in one go with the oracle's boto3
/// client: the SHA-256 (hex) of every version's body, latest first, and of the body a
/// plain GET returns (None if there is none).
pub fn version_digests(bucket: &str, key: &str) -> (Vec<String>, Option<String>) {
    const SCRIPT: &str = r#"
import hashlib, json, sys
sys.path.insert(0, sys.argv[1])
import s3_oracle
s3 = s3_oracle.client(sys.argv[2])
bucket, key = sys.argv[3], sys.argv[4]
versions = []
for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket, Prefix=key):
    versions += [v for v in page.get("Versions", []) if v["Key"] == key]
versions.sort(key=lambda v: (not v["IsLatest"], -v["LastModified"].timestamp()))
def digest(**kw):
    return hashlib.sha256(s3.get_object(Bucket=bucket, Key=key, **kw)["Body"].read()).hexdigest()
out = {"versions": [digest(VersionId=v["VersionId"]) for v in versions]}
try:
    out["latest"] = digest()
except s3.exceptions.NoSuchKey:
    out["latest"] = None
print(json.dumps(out))
"#;
    let out = Command::new(python())
        .args(["-c", SCRIPT])
        .arg(repo_root().join("scripts"))
        .args([&endpoint(), bucket, key])
        .stdin(Stdio::null())
        .output()
        .expect("run the venv python");
    assert!(
        out.status.success(),
        "reading the versions of {bucket}/{key} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let versions = v["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_str().unwrap().to_string())
        .collect();
    (versions, v["latest"].as_str().map(str::to_string))
}

/// A running `scripts/fault_proxy.py` in front of the S3 server; stopped on drop.
pub struct FaultProxy {
    child: Child,
    /// `http://127.0.0.1:PORT`, to pass as `--endpoint-url`.
    pub url: String,
    port: u16,
}

impl FaultProxy {
    /// Starts a proxy to the S3 server with an empty plan (everything passes).
    pub fn start() -> FaultProxy {
        let mut child = Command::new(python())
            .arg(repo_root().join("scripts/fault_proxy.py"))
            .args(["--upstream", &endpoint()])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start scripts/fault_proxy.py");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .expect("read the proxy's first line");
        let Some(url) = line.trim().strip_prefix("FAULT_PROXY_URL=") else {
            let _ = child.kill();
            panic!("fault proxy did not start: {line:?} ({:?})", child.wait());
        };
        let port = url.rsplit(':').next().unwrap().parse().unwrap();
        FaultProxy {
            child,
            url: url.to_string(),
            port,
        }
    }

    /// Replaces the plan (and clears the log and counters).
    pub fn plan(&self, plan: Value) {
        let (status, body) = self.control("POST", "plan", &plan.to_string());
        assert_eq!(status, 200, "proxy refused the plan {plan}: {body}");
    }

    /// Every proxied request since the last plan, in order.
    pub fn log(&self) -> Vec<Value> {
        let (status, body) = self.control("GET", "log", "");
        assert_eq!(status, 200);
        serde_json::from_str::<Value>(&body)
            .unwrap()
            .as_array()
            .unwrap()
            .clone()
    }

    /// The log entries that had a fault applied.
    pub fn faulted(&self) -> Vec<Value> {
        self.log()
            .into_iter()
            .filter(|e| !e["fault"].is_null() && e["applied"] == true)
            .collect()
    }

    /// One HTTP/1.1 exchange with the control endpoint.
    fn control(&self, method: &str, what: &str, body: &str) -> (u16, String) {
        let mut s = TcpStream::connect(("127.0.0.1", self.port)).expect("connect to the proxy");
        s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        write!(
            s,
            "{method} /__fault__/{what} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {}\r\n\
             Connection: close\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        let mut raw = String::new();
        s.read_to_string(&mut raw).expect("read the proxy's answer");
        let (head, body) = raw.split_once("\r\n\r\n").expect("an HTTP answer");
        let status = head.split(' ').nth(1).unwrap().parse().unwrap();
        (status, body.to_string())
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What a streaming `ffce` run wrote, read as it came: its exit code, its stdout (one
/// JSON value per line) and how long before the end of its output the first line came.
pub struct Streamed {
    pub code: Option<i32>,
    pub text: String,
    pub lines: Vec<Value>,
    pub first_line_lead: Duration,
}

/// Runs `ffce ARGS --bucket BUCKET --endpoint-url URL` with stdout on a pipe, noting when
/// its first line arrives, so a test can tell streamed output from output held to the end.
pub fn stream_json_lines(args: &[&str], bucket: &str, url: &str) -> Streamed {
    let mut child = crate::common::s3::ffce_aws()
        .args(args)
        .args(["--bucket", bucket, "--endpoint-url", url])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn ffce");
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut text = String::new();
    out.read_line(&mut text).unwrap();
    let first_at = std::time::Instant::now();
    out.read_to_string(&mut text).unwrap();
    let code = child.wait().unwrap().code();
    let first_line_lead = first_at.elapsed();
    let lines = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    Streamed {
        code,
        text,
        lines,
        first_line_lead,
    }
}
