//! The request log: one JSON line per request, with its fields, and never the body,
//! the nonce or the signature. Its own test binary, so that the subscriber is the
//! process's global one, set before any log call site is first used (a per-thread
//! subscriber raced with other tests' threads over tracing's call-site cache and
//! sometimes saw nothing).

mod common;

use std::sync::{Arc, Mutex};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use common::*;
use ffce_core::layout::Layout;
use serde_json::Value;

// ---------------------------------------------------------------------------------
// Logs
// ---------------------------------------------------------------------------------

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().write(buf)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn one_json_log_line_per_request_without_body_or_secrets() {
    let captured = Captured::default();
    let sink = captured.clone();
    tracing::subscriber::set_global_default(ffce_lambda::logging::subscriber(move || sink.clone()))
        .expect("the only subscriber of this test binary");
    let api = api("log", Layout::Nested).await;
    let key = device_key(13);
    api.register(DEVICE, &key).await;
    let blob = sealed(b"{\"secret\":\"do not log me\"}");
    let headers = auth_headers_with(&key, DEVICE, &[]);

    let r = api
        .send(event(
            "post-base64.json",
            "POST",
            &backup_path(DEVICE),
            &headers,
            EventBody::Base64(&blob),
        ))
        .await;
    assert_eq!(r.status_code, 200);

    let text = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    let requests: Vec<&Value> = lines.iter().filter(|l| l["message"] == "request").collect();
    assert_eq!(requests.len(), 1, "log: {text:?}");
    let line = requests[0];
    assert_eq!(line["level"], "INFO");
    assert_eq!(line["request_id"], "test-request");
    assert_eq!(line["method"], "POST");
    assert_eq!(line["route"], "POST /devices/{uuid}/backup");
    assert_eq!(line["device"], DEVICE);
    assert_eq!(line["status"], 200);
    assert!(
        line["duration_ms"].as_f64().is_some_and(|d| d >= 0.0),
        "{line}"
    );
    // Nothing of the body, the nonce or the signature anywhere in the log.
    let b64 = BASE64.encode(&blob);
    for (what, secret) in [
        ("the body (base64)", b64.as_str()),
        ("the body's start", &b64[..16]),
        ("the nonce", headers[1].1.as_str()),
        ("the signature", headers[3].1.as_str()),
    ] {
        assert!(!text.contains(secret), "{what} is in the log: {text}");
    }

    // The same headers again: refused as a replay, said on a line with the request's
    // id, and the nonce's value (base64 as sent, hex) still nowhere in the log.
    let r = api
        .app
        .handle_event(
            event(
                "get.json",
                "GET",
                &backup_path(DEVICE),
                &headers,
                EventBody::None,
            ),
            "replayed-request",
        )
        .await;
    assert_eq!(r.status_code, 401);
    let text = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let replay = lines
        .iter()
        .find(|l| l["request_id"] == "replayed-request" && l["message"] != "request")
        .unwrap_or_else(|| panic!("no line about the replay: {text}"));
    assert_eq!(replay["level"], "WARN", "{replay}");
    assert!(
        replay["message"]
            .as_str()
            .unwrap()
            .contains("replayed request refused"),
        "{replay}"
    );
    let nonce = BASE64.decode(&headers[1].1).unwrap();
    for (what, secret) in [
        ("the nonce", headers[1].1.clone()),
        ("the nonce in hex", hex_lower(&nonce)),
    ] {
        assert!(!text.contains(&secret), "{what} is in the log: {text}");
    }
}
