//! The binary `ffce-backup-api`: how it refuses to start (exit code 2, naming the
//! problem), and `--listen` serving the same router over HTTP/1.1 against the moto
//! server, with one JSON log line per request on stdout.

mod common;

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use common::*;
use ffce_core::layout::Layout;
use serde_json::Value;

/// The binary with a clean environment plus `vars`. `FFCE_TEST_API_SERVER` names another
/// program to run in its place (scripts/lambda-arm64.sh: the arm64 build under qemu).
fn backup_api(vars: &[(&str, &str)]) -> Command {
    let program = std::env::var_os("FFCE_TEST_API_SERVER")
        .unwrap_or_else(|| env!("CARGO_BIN_EXE_ffce-backup-api").into());
    let mut cmd = Command::new(program);
    cmd.env_clear();
    for (k, v) in vars {
        cmd.env(k, v);
    }
    cmd
}

fn run(cmd: &mut Command) -> (i32, String) {
    let out = cmd.output().expect("run ffce-backup-api");
    (
        out.status.code().expect("an exit code"),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

const CONFIGURED: [(&str, &str); 2] = [
    ("S3_BACKUP_BUCKET_NAME", "b"),
    ("DYNAMODB_DEVICES_TABLE_NAME", "t"),
];

#[test]
fn without_lambda_runtime_or_listen_it_exits_2_saying_how_to_run_it() {
    let (code, stderr) = run(&mut backup_api(&CONFIGURED));
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("AWS_LAMBDA_RUNTIME_API is not set"),
        "{stderr}"
    );
    assert!(stderr.contains("--listen ADDR"), "{stderr}");

    let (code, stderr) = run(backup_api(&CONFIGURED).arg("--listen"));
    assert_eq!(code, 2);
    assert!(stderr.contains("--listen needs an address"), "{stderr}");
    let (code, stderr) = run(backup_api(&CONFIGURED).arg("--port"));
    assert_eq!(code, 2);
    assert!(
        stderr.contains("unexpected argument \"--port\""),
        "{stderr}"
    );
}

#[test]
fn configuration_errors_exit_2_naming_the_variable() {
    let listen = ["--listen", "127.0.0.1:0"];
    let (code, stderr) = run(backup_api(&[("DYNAMODB_DEVICES_TABLE_NAME", "t")]).args(listen));
    assert_eq!(code, 2);
    assert_eq!(
        stderr.trim(),
        "ffce-backup-api: S3_BACKUP_BUCKET_NAME is not set (it is required)"
    );
    let (code, stderr) = run(backup_api(&[("S3_BACKUP_BUCKET_NAME", "b")]).args(listen));
    assert_eq!(code, 2);
    assert!(
        stderr.contains("DYNAMODB_DEVICES_TABLE_NAME is not set"),
        "{stderr}"
    );
    let mut vars = CONFIGURED.to_vec();
    vars.push(("BACKUP_KEY_LAYOUT", "deep"));
    let (code, stderr) = run(backup_api(&vars).args(listen));
    assert_eq!(code, 2);
    assert!(
        stderr.contains("BACKUP_KEY_LAYOUT=\"deep\" is not a layout: use nested"),
        "{stderr}"
    );
}

/// A running `--listen` server, its address, and its stdout lines as they come.
struct Server {
    child: Child,
    addr: String,
    lines: mpsc::Receiver<String>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `--listen` for `api`'s bucket and tables, the nonce table included.
fn start(api: &Api) -> Server {
    start_with(api, true).0
}

/// `--listen` for `api`'s bucket and device table, and its nonce table if `nonces`;
/// the server and the log lines before the one that says where it listens.
fn start_with(api: &Api, nonces: bool) -> (Server, Vec<Value>) {
    let endpoint = s3_endpoint();
    let layout = api.layout.name();
    let nonces_table = if nonces {
        api.moto().nonces_table.as_str()
    } else {
        ""
    };
    let mut child = backup_api(&[
        ("DYNAMODB_NONCES_TABLE_NAME", nonces_table),
        ("S3_BACKUP_BUCKET_NAME", api.moto().s3.bucket()),
        ("DYNAMODB_DEVICES_TABLE_NAME", &api.moto().table),
        ("BACKUP_KEY_LAYOUT", layout),
        ("AWS_ENDPOINT_URL", &endpoint),
    ])
    // Dummy credentials, one region, no IMDS, no config files.
    .envs(ffce_test_support::AWS_SET.iter().copied())
    .args(["--listen", "127.0.0.1:0"])
    .stdout(Stdio::piped())
    .stderr(Stdio::inherit())
    .spawn()
    .expect("start ffce-backup-api --listen");
    let stdout = child.stdout.take().unwrap();
    let (tx, lines) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    // Killed on drop from here on, whatever fails below.
    let mut server = Server {
        child,
        addr: String::new(),
        lines,
    };
    // The first line that says where it listens (the SDK may warn before it).
    let mut before = Vec::new();
    loop {
        let line = server
            .lines
            .recv_timeout(Duration::from_secs(30))
            .expect("the server says where it listens");
        let line: Value = serde_json::from_str(&line).expect("a JSON log line");
        if line["message"] == "listening" {
            assert_eq!(line["layout"], layout);
            assert_eq!(line["nonces_table"], nonces_table);
            server.addr = line["addr"].as_str().expect("addr").to_string();
            return (server, before);
        }
        before.push(line);
    }
}

/// One HTTP/1.1 request; the status, the headers (lowercase names) and the body.
fn http(
    server: &Server,
    method: &str,
    path: &str,
    headers: &[(String, String)],
    body: &[u8],
) -> (u16, Vec<(String, String)>, Vec<u8>) {
    let mut stream = TcpStream::connect(&server.addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nContent-Length: {}\r\n",
        server.addr,
        body.len()
    );
    for (k, v) in headers {
        request.push_str(&format!("{k}: {v}\r\n"));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).unwrap();
    // A server that refuses a body may stop reading it: its answer still counts.
    let _ = stream.write_all(body);
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).expect("read the answer");
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a complete head");
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut head_lines = head.lines();
    let status: u16 = head_lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .expect("a status line");
    let headers = head_lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    (status, headers, raw[split + 4..].to_vec())
}

fn get_header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn listen_serves_the_same_routes_over_http() {
    let api = api_on_moto("listen", Layout::Flat).await;
    let key = device_key(21);
    api.register(DEVICE, &key).await;
    let server = start(&api);
    let plaintext = b"{\"formatName\":\"dexie\"}";
    let blob = sealed(plaintext);
    let etag = sha256_hex(plaintext);

    let mut headers = auth_headers_with(&key, DEVICE, &[("ETag", &etag)]);
    headers.push(("Content-Type".into(), "application/octet-stream".into()));
    let (status, h, body) = http(&server, "POST", &backup_path(DEVICE), &headers, &blob);
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    assert_eq!(get_header(&h, "content-type"), Some("application/json"));
    let answer: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(answer["message"], "Backup stored");

    // The blob itself over HTTP (no base64 outside Lambda), at the flat key.
    let (status, h, body) = http(
        &server,
        "GET",
        &backup_path(DEVICE),
        &signed(&key, DEVICE),
        b"",
    );
    assert_eq!(status, 200);
    assert_eq!(body, blob);
    assert_eq!(
        get_header(&h, "content-type"),
        Some("application/octet-stream")
    );
    assert_eq!(get_header(&h, "etag"), Some(format!("\"{etag}\"").as_str()));
    assert_eq!(
        get_header(&h, "content-length"),
        Some(blob.len().to_string().as_str())
    );
    assert!(
        api.store
            .get(&api.key(DEVICE), None)
            .await
            .is_ok_and(|o| o.body == blob)
    );

    let (status, _, body) = http(&server, "GET", "/devices/not-a-uuid/backup", &[], b"");
    assert_eq!(status, 400, "{}", String::from_utf8_lossy(&body));
    let (status, _, _) = http(&server, "GET", "/health", &[], b"");
    assert_eq!(status, 404);
    // Over Lambda's 6 MB request limit: refused before routing.
    let huge = vec![b'F'; ffce_lambda::listen::MAX_REQUEST_BODY + 1];
    let (status, _, body) = http(&server, "POST", &backup_path(DEVICE), &[], &huge);
    assert_eq!(status, 413);
    assert_eq!(
        String::from_utf8_lossy(&body),
        "{\"message\":\"Request body is over 6291456 bytes\"}"
    );

    // One log line per request, numbered in order under --listen.
    let mut requests = Vec::new();
    while requests.len() < 5 {
        let line = server
            .lines
            .recv_timeout(Duration::from_secs(10))
            .expect("a log line per request");
        let line: Value = serde_json::from_str(&line).expect("JSON");
        if line["message"] == "request" {
            requests.push(line);
        }
    }
    let ids: Vec<&str> = requests
        .iter()
        .map(|l| l["request_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["local-1", "local-2", "local-3", "local-4", "local-5"]);
    let statuses: Vec<u64> = requests
        .iter()
        .map(|l| l["status"].as_u64().unwrap())
        .collect();
    assert_eq!(statuses, [200, 200, 400, 404, 413]);
    assert_eq!(requests[4]["route"], "unread body");
    assert_eq!(requests[0]["device"], DEVICE);
    assert_eq!(requests[0]["route"], "POST /devices/{uuid}/backup");
}

/// With the nonce table, the same headers twice are refused the second time (401); without
/// it they are not, and the server said so at start-up, once, as a warning.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn listen_refuses_replays_and_says_at_start_up_when_it_cannot() {
    let api = api_on_moto("listen-replay", Layout::Nested).await;
    let key = device_key(22);
    api.register(DEVICE, &key).await;
    let notice = |lines: &[Value]| -> Vec<Value> {
        lines
            .iter()
            .filter(|l| {
                l["message"]
                    .as_str()
                    .is_some_and(|m| m.starts_with("replay protection is off"))
            })
            .cloned()
            .collect()
    };

    let (server, before) = start_with(&api, true);
    assert!(notice(&before).is_empty(), "{before:?}");
    let headers = signed(&key, DEVICE);
    let path = backup_path(DEVICE);
    let (status, _, _) = http(&server, "GET", &path, &headers, b"");
    assert_eq!(status, 404);
    let (status, _, body) = http(&server, "DELETE", &path, &headers, b"");
    assert_eq!(status, 401);
    let answer: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(answer["message"], ffce_lambda::REPLAYED_MESSAGE);
    drop(server);

    let (server, before) = start_with(&api, false);
    let notices = notice(&before);
    assert_eq!(notices.len(), 1, "{before:?}");
    assert_eq!(notices[0]["level"], "WARN");
    assert!(
        notices[0]["message"]
            .as_str()
            .unwrap()
            .contains("DYNAMODB_NONCES_TABLE_NAME is not set"),
        "{notices:?}"
    );
    let headers = signed(&key, DEVICE);
    for _ in 0..2 {
        let (status, _, _) = http(&server, "GET", &path, &headers, b"");
        assert_eq!(status, 404);
    }
}

/// One HTTP/1.1 request read from `reader`: method, path, body. `None` at the end.
fn read_request(reader: &mut BufReader<TcpStream>) -> Option<(String, String, Vec<u8>)> {
    let mut line = String::new();
    if reader.read_line(&mut line).ok()? == 0 {
        return None;
    }
    let mut parts = line.split_whitespace();
    let (method, path) = (parts.next()?.to_string(), parts.next()?.to_string());
    let mut len = 0;
    loop {
        let mut h = String::new();
        reader.read_line(&mut h).ok()?;
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            if k.eq_ignore_ascii_case("content-length") {
                len = v.trim().parse().ok()?;
            }
        }
    }
    let mut body = vec![0; len];
    reader.read_exact(&mut body).ok()?;
    Some((method, path, body))
}

/// A stand-in for the Lambda Runtime API: hands out `events` one by one (request ids
/// `req-1`, `req-2`, ...), sends each function response to the channel, and leaves the
/// next `next` unanswered once the events are out.
fn fake_runtime_api(events: Vec<Value>) -> (String, mpsc::Receiver<(String, Value)>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let (tx, rx) = mpsc::channel();
    let events = std::sync::Arc::new(std::sync::Mutex::new(events.into_iter().enumerate()));
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { break };
            let (events, tx) = (events.clone(), tx.clone());
            std::thread::spawn(move || {
                let mut writer = stream.try_clone().unwrap();
                let mut reader = BufReader::new(stream);
                while let Some((method, path, body)) = read_request(&mut reader) {
                    if method == "GET" && path.ends_with("/runtime/invocation/next") {
                        let next = events.lock().unwrap().next();
                        let Some((i, event)) = next else {
                            std::thread::sleep(Duration::from_secs(600));
                            return;
                        };
                        let body = event.to_string();
                        let deadline = std::time::SystemTime::now()
                            .duration_since(std::time::UNIX_EPOCH)
                            .unwrap()
                            .as_millis()
                            + 60_000;
                        let head = format!(
                            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\
                             Lambda-Runtime-Aws-Request-Id: req-{}\r\n\
                             Lambda-Runtime-Deadline-Ms: {deadline}\r\n\
                             Lambda-Runtime-Invoked-Function-Arn: arn:aws:lambda:us-east-1:123456789012:function:backup\r\n\
                             Content-Length: {}\r\n\r\n",
                            i + 1,
                            body.len()
                        );
                        let _ = writer.write_all(head.as_bytes());
                        let _ = writer.write_all(body.as_bytes());
                    } else {
                        let _ = writer
                            .write_all(b"HTTP/1.1 202 Accepted\r\nContent-Length: 2\r\n\r\n{}");
                        let value = serde_json::from_slice(&body).unwrap_or(Value::Null);
                        let _ = tx.send((path, value));
                    }
                }
            });
        }
    });
    (addr, rx)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn under_the_lambda_runtime_it_answers_api_gateway_events() {
    let api = api_on_moto("lambda-mode", Layout::Nested).await;
    let key = device_key(22);
    api.register(DEVICE, &key).await;
    let blob = sealed(b"{\"formatName\":\"dexie\"}");
    let as_json =
        |e: aws_lambda_events::apigw::ApiGatewayV2httpRequest| serde_json::to_value(e).unwrap();
    let post_event = event(
        "post-base64.json",
        "POST",
        &backup_path(DEVICE),
        &signed(&key, DEVICE),
        EventBody::Base64(&blob),
    );
    let get_event = event(
        "get.json",
        "GET",
        &backup_path(DEVICE),
        &signed(&key, DEVICE),
        EventBody::None,
    );
    // Not base64 although the event says so: `lambda_http` would panic here.
    let bad_event = event(
        "post-base64.json",
        "POST",
        &backup_path(DEVICE),
        &signed(&key, DEVICE),
        EventBody::RawBase64("!!not base64!!"),
    );
    let (runtime_api, responses) = fake_runtime_api(vec![
        as_json(post_event),
        as_json(get_event),
        as_json(bad_event),
    ]);

    let endpoint = s3_endpoint();
    let mut child = backup_api(&[
        ("AWS_LAMBDA_RUNTIME_API", runtime_api.as_str()),
        ("AWS_LAMBDA_FUNCTION_NAME", "backup"),
        ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256"),
        ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST"),
        ("S3_BACKUP_BUCKET_NAME", api.moto().s3.bucket()),
        ("DYNAMODB_DEVICES_TABLE_NAME", &api.moto().table),
        ("AWS_ENDPOINT_URL", &endpoint),
    ])
    .envs(ffce_test_support::AWS_SET.iter().copied())
    .stdout(Stdio::piped())
    .stderr(Stdio::inherit())
    .spawn()
    .expect("start ffce-backup-api under the fake runtime");
    let stdout = child.stdout.take().unwrap();
    let server = Server {
        child,
        addr: String::new(),
        lines: {
            let (tx, rx) = mpsc::channel();
            std::thread::spawn(move || {
                for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                    if tx.send(line).is_err() {
                        break;
                    }
                }
            });
            rx
        },
    };
    let mut answers = Vec::new();
    for _ in 0..3 {
        answers.push(
            responses
                .recv_timeout(Duration::from_secs(30))
                .expect("a function response"),
        );
    }
    assert_eq!(
        answers[0].0,
        "/2018-06-01/runtime/invocation/req-1/response"
    );
    assert_eq!(answers[0].1["statusCode"], 200, "{}", answers[0].1);
    let stored: Value = serde_json::from_str(answers[0].1["body"].as_str().unwrap()).unwrap();
    assert_eq!(stored["message"], "Backup stored");

    let get = &answers[1].1;
    assert_eq!(get["statusCode"], 200);
    assert_eq!(get["isBase64Encoded"], true);
    assert_eq!(get["body"], Value::String(base64_of(&blob)));
    assert_eq!(get["headers"]["content-type"], "application/octet-stream");

    let bad = &answers[2].1;
    assert_eq!(bad["statusCode"], 400);
    assert_eq!(
        bad["body"],
        "{\"message\":\"Request body is not valid base64\"}"
    );

    // The log lines carry Lambda's request ids.
    let mut ids = Vec::new();
    while ids.len() < 3 {
        let line = server
            .lines
            .recv_timeout(Duration::from_secs(10))
            .expect("a log line per invocation");
        let line: Value = serde_json::from_str(&line).expect("JSON");
        if line["message"] == "request" {
            ids.push(line["request_id"].as_str().unwrap().to_string());
        }
    }
    assert_eq!(ids, ["req-1", "req-2", "req-3"]);
}

fn base64_of(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}
