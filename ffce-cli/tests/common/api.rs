//! Helpers for the device API tests (docs/SPEC.md §7): the real `ffce-backup-api --listen`
//! server against the moto test server (S3 and DynamoDB on one endpoint), a device table
//! per test and a nonce table per server (`scripts/device_table.py`: the server refuses
//! replayed requests, as deployed), `ffce api` pointed at the server, and a tiny
//! raw HTTP/1.1 client for the requests `ffce api` cannot make (bad headers, bad bodies).
//!
//! Topic modules reach it as `crate::common::api`.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ffce_core::device_auth::{self, DeviceSigningKey};
use ffce_core::layout::DeviceId;
use serde_json::Value;

use crate::common::s3::{endpoint, ffce_aws, python, unique_bucket_name};
use crate::common::{Run, ffce_path, run_cmd};

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The server binary: beside `ffce` in cargo's target folder, unless
/// `FFCE_TEST_API_SERVER` names another program to run in its place (scripts/lambda-arm64.sh
/// runs these tests against the arm64 build under qemu that way).
pub fn server_path() -> PathBuf {
    if let Some(path) = std::env::var_os("FFCE_TEST_API_SERVER") {
        let path = PathBuf::from(path);
        assert!(path.exists(), "FFCE_TEST_API_SERVER: no {}", path.display());
        return path;
    }
    let path = ffce_path()
        .parent()
        .unwrap()
        .join(format!("ffce-backup-api{}", std::env::consts::EXE_SUFFIX));
    assert!(
        path.exists(),
        "no {}: build it: cargo build -p ffce-lambda (`cargo test --workspace` and \
         scripts/test.sh build it)",
        path.display()
    );
    path
}

/// Runs `scripts/device_table.py ARGS` against the test endpoint; its JSON answer.
pub fn device_table(args: &[&str]) -> Value {
    let mut cmd = Command::new(python());
    ffce_test_support::isolate_command(&mut cmd);
    let out = cmd
        .arg(repo_root().join("scripts/device_table.py"))
        .arg("--endpoint")
        .arg(endpoint())
        .args(args)
        .output()
        .expect("run scripts/device_table.py");
    assert!(
        out.status.success(),
        "device_table {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "device_table {args:?}: not JSON ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

/// A fresh device table (key `uuid`, string) on the test server.
pub struct Table {
    pub name: String,
}

impl Table {
    pub fn new(tag: &str) -> Table {
        let name = unique_bucket_name(tag);
        device_table(&["create", &name]);
        Table { name }
    }

    /// Registers `uuid` with `public_key` (the table's base64 form).
    pub fn register(&self, uuid: &str, public_key: &str) {
        device_table(&["register", &self.name, uuid, public_key]);
    }

    /// The device's item as plain JSON (`null` when it has none).
    pub fn item(&self, uuid: &str) -> Value {
        device_table(&["get", &self.name, uuid])
    }
}

/// What the device item and the bucket say about `uuid`'s backup at `key`: its
/// `last_backup_date` (if any) and the SHA-256 (hex) of the latest version's body
/// (`None`: a delete marker or nothing). Asserts what the API guarantees once every
/// request is answered: no `last_backup_date` without a stored backup.
#[track_caller]
pub fn date_and_latest(
    bucket: &str,
    table: &Table,
    uuid: &str,
    key: &str,
) -> (Option<String>, Option<String>) {
    let item = table.item(uuid);
    let date = item
        .get("last_backup_date")
        .and_then(Value::as_str)
        .map(str::to_string);
    let (_, latest) = crate::common::fault::version_digests(bucket, key);
    assert!(
        date.is_none() || latest.is_some(),
        "last_backup_date {date:?} with no backup in the bucket at {key}"
    );
    (date, latest)
}

/// `ffce-backup-api --listen 127.0.0.1:PORT`, killed on drop.
pub struct Server {
    pub url: String,
    child: Child,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

/// A loopback port that was free a moment ago.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Server {
    /// Starts the server for `bucket` and `table` with `layout` (`nested` or `flat`),
    /// and waits until it accepts connections.
    pub fn start(bucket: &str, table: &str, layout: &str) -> Server {
        Server::start_with_env(bucket, table, layout, &[])
    }

    /// [`Server::start`], with these environment variables set on top (for example
    /// `AWS_ENDPOINT_URL_DYNAMODB`, to send the table's requests through a fault proxy).
    pub fn start_with_env(bucket: &str, table: &str, layout: &str, env: &[(&str, &str)]) -> Server {
        // Its own nonce table (`DYNAMODB_NONCES_TABLE_NAME`): replays refused, as deployed.
        let nonces_table = unique_bucket_name("nonces");
        device_table(&["create-nonces", &nonces_table]);
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("server.log");
        for _ in 0..3 {
            let port = free_port();
            let mut cmd = Command::new(server_path());
            cmd.arg("--listen").arg(format!("127.0.0.1:{port}"));
            ffce_test_support::isolate_command(&mut cmd);
            cmd.env("S3_BACKUP_BUCKET_NAME", bucket)
                .env("DYNAMODB_DEVICES_TABLE_NAME", table)
                .env("DYNAMODB_NONCES_TABLE_NAME", &nonces_table)
                .env("BACKUP_KEY_LAYOUT", layout)
                .env("AWS_ENDPOINT_URL", endpoint())
                .envs(env.iter().copied())
                .stdin(Stdio::null())
                .stdout(std::fs::File::create(&log).unwrap())
                .stderr(std::fs::File::create(dir.path().join("server.err")).unwrap());
            let child = cmd.spawn().expect("spawn ffce-backup-api");
            let mut server = Server {
                url: format!("http://127.0.0.1:{port}"),
                child,
                log: log.clone(),
                _dir: tempfile::tempdir().unwrap(),
            };
            let deadline = Instant::now() + Duration::from_secs(20);
            while Instant::now() < deadline {
                if let Some(status) = server.child.try_wait().unwrap() {
                    // The port was taken in between: try another one.
                    let err =
                        std::fs::read_to_string(dir.path().join("server.err")).unwrap_or_default();
                    if err.contains("in use") {
                        break;
                    }
                    panic!("ffce-backup-api exited ({status}) before answering:\n{err}");
                }
                if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                    server._dir = dir;
                    return server;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        panic!("ffce-backup-api did not start listening");
    }

    /// What the server logged on stdout so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The log's JSON lines so far.
    pub fn log_lines(&self) -> Vec<Value> {
        self.log()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
            .collect()
    }

    /// The lines other than the request line that carry the `request_id` of the last
    /// request answered with `status` (what the server said about it), with that id.
    #[track_caller]
    pub fn said_about_last(&self, status: u16) -> (String, Vec<Value>) {
        let lines = self.log_lines();
        let id = lines
            .iter()
            .rev()
            .find(|l| l["message"] == "request" && l["status"] == status)
            .and_then(|l| l["request_id"].as_str())
            .unwrap_or_else(|| panic!("no request answered {status} in the log: {lines:?}"))
            .to_string();
        let said = lines
            .into_iter()
            .filter(|l| l["request_id"] == id.as_str() && l["message"] != "request")
            .collect();
        (id, said)
    }

    /// `ffce api ARGS --api-url URL` with dummy AWS settings and `FFCE_DEVICE_KEY` unset.
    pub fn ffce(&self, args: &[&str]) -> Run {
        let mut cmd = ffce_aws();
        cmd.env_remove("FFCE_API_URL").env_remove("FFCE_DEVICE_KEY");
        cmd.arg("api").args(args).args(["--api-url", &self.url]);
        run_cmd(&mut cmd, None)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A test device: a UUID, its key (written to `key_file`, mode 0600) and the public key
/// in the table's form.
pub struct Device {
    pub uuid: String,
    pub key: DeviceSigningKey,
    pub key_file: PathBuf,
    pub public_key: String,
}

impl Device {
    /// A device with a fresh key, written as PKCS#8 PEM into `dir`.
    pub fn new(dir: &Path, uuid: &str) -> Device {
        let key = DeviceSigningKey::generate().unwrap();
        let key_file = dir.join(format!("{uuid}.pem"));
        std::fs::write(&key_file, key.to_pkcs8_pem().as_bytes()).unwrap();
        crate::common::set_mode(&key_file, 0o600);
        let public_key = key.public_key().to_table_base64();
        Device {
            uuid: uuid.to_string(),
            key,
            key_file,
            public_key,
        }
    }

    /// The four signed headers for a request at `unix_secs` with `nonce`.
    pub fn headers_at(&self, unix_secs: i64, nonce: &[u8; 32]) -> Vec<(String, String)> {
        let device = DeviceId::parse(&self.uuid).unwrap();
        let signed = self
            .key
            .sign(&device, nonce, &device_auth::format_timestamp(unix_secs));
        signed
            .pairs()
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect()
    }

    /// The four signed headers for a request now, with a random nonce.
    pub fn headers(&self) -> Vec<(String, String)> {
        let mut nonce = [0u8; 32];
        getrandom::fill(&mut nonce).unwrap();
        self.headers_at(now(), &nonce)
    }
}

/// The current Unix time in seconds.
pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// Standard base64.
pub fn b64(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

/// An HTTP answer from [`raw`].
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    /// A header's value (name case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The JSON body's `message`.
    pub fn message(&self) -> String {
        let json: Value = serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not a JSON body ({e}): {self:?}"));
        json["message"]
            .as_str()
            .unwrap_or_else(|| panic!("no message: {json}"))
            .to_string()
    }

    /// Asserts the status (and that an error body is JSON with a message).
    #[track_caller]
    pub fn expect(&self, status: u16) -> &Reply {
        assert_eq!(
            self.status,
            status,
            "expected {status}, got {}: {}",
            self.status,
            String::from_utf8_lossy(&self.body)
        );
        if status >= 400 {
            assert!(
                self.header("content-type")
                    .is_some_and(|t| t.starts_with("application/json")),
                "an error body is JSON: {self:?}"
            );
            assert!(!self.message().is_empty());
        }
        self
    }
}

/// One HTTP/1.1 request on a fresh connection (`Connection: close`): exactly the headers
/// given, plus Host, Content-Length and Connection.
pub fn raw(
    server: &Server,
    method: &str,
    uuid: &str,
    headers: &[(String, String)],
    body: &[u8],
) -> Reply {
    let addr = server.url.trim_start_matches("http://");
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let mut request = format!(
        "{method} /devices/{uuid}/backup HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\
         Content-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).unwrap();
    // A server may answer (413) before reading a large body: a failed write is fine.
    let _ = stream.write_all(body);
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    parse_reply(&answer)
}

fn parse_reply(answer: &[u8]) -> Reply {
    let split = answer
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no HTTP head in {:?}", String::from_utf8_lossy(answer)));
    let head = String::from_utf8_lossy(&answer[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let status: u16 = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("bad status line: {head}"));
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_string(), v.trim().to_string()))
        .collect();
    let mut body = answer[split + 4..].to_vec();
    let chunked = headers.iter().any(|(n, v)| {
        n.eq_ignore_ascii_case("transfer-encoding") && v.eq_ignore_ascii_case("chunked")
    });
    if chunked {
        body = dechunk(&body);
    }
    Reply {
        status,
        headers,
        body,
    }
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let Some(eol) = data.windows(2).position(|w| w == b"\r\n") else {
            return out;
        };
        let size_text = String::from_utf8_lossy(&data[..eol]);
        let size = usize::from_str_radix(size_text.split(';').next().unwrap().trim(), 16)
            .unwrap_or_else(|_| panic!("bad chunk size {size_text:?}"));
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&data[eol + 2..eol + 2 + size]);
        data = &data[eol + 2 + size + 2..];
    }
}
