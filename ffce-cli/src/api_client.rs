//! The device side of the backup API (docs/SPEC.md §7): one signed HTTP request per command,
//! as a device sends it, and the answer with its status.
//!
//! Each request carries the four `X-Device-*` headers from `ffce_core::device_auth`: a
//! fresh 32-byte nonce from the OS and the current UTC time, signed with the device's
//! key. The transport is the hyper/rustls stack the AWS SDK already brings (http:// for
//! a local server, https:// with the system's root certificates for API Gateway).
//!
//! What an answer's status means for the exit code is decided here, in one place
//! ([`status_error`]); the commands add what they were doing.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use ffce_core::device_auth::{self, DeviceSigningKey, NONCE_LEN};
use ffce_core::layout::DeviceId;
use http_body_util::{BodyExt as _, Full, Limited};
use hyper::{Method, Request, Uri, header};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

use crate::exit::{CliError, CliResult};

/// Bodies longer than this are not read: the largest answer is a blob of at most
/// 524,288 bytes (a GET), and an API that sends more is not this API.
const MAX_RESPONSE_LEN: usize = 2 * 1024 * 1024;

/// Server messages longer than this are cut when shown.
const MAX_MESSAGE_CHARS: usize = 300;

/// A signing client for one device's backup resource, `{api}/devices/{uuid}/backup`.
pub struct ApiClient {
    client: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
    url: Uri,
    shown: String,
    device: DeviceId,
    key: DeviceSigningKey,
    timeout: Duration,
}

/// An answer from the API.
pub struct Answer {
    /// The HTTP status.
    pub status: u16,
    /// The `ETag` header, quotes stripped (`None` when absent).
    pub etag: Option<String>,
    /// The body (a blob for a GET, JSON otherwise).
    pub body: Bytes,
}

impl Answer {
    /// The body as the JSON object error and success bodies are, if it is one.
    pub fn json(&self) -> Option<serde_json::Map<String, serde_json::Value>> {
        match serde_json::from_slice(&self.body) {
            Ok(serde_json::Value::Object(map)) => Some(map),
            _ => None,
        }
    }

    /// The body's `message`, made safe to print (printable, at most a line).
    pub fn message(&self) -> Option<String> {
        let json = self.json()?;
        let text = json.get("message")?.as_str()?;
        Some(printable(text))
    }

    /// A string field of the JSON body (e.g. `last_backup_date`), made safe to print.
    pub fn field(&self, name: &str) -> Option<String> {
        Some(printable(self.json()?.get(name)?.as_str()?))
    }
}

/// `text` with control characters replaced and cut to [`MAX_MESSAGE_CHARS`]: a server's
/// words must not drive the terminal.
fn printable(text: &str) -> String {
    let mut out: String = text
        .chars()
        .take(MAX_MESSAGE_CHARS)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if text.chars().count() > MAX_MESSAGE_CHARS {
        out.push('…');
    }
    out
}

impl ApiClient {
    /// A client for `device`'s backup at the API `api_url` (http:// or https://), signing
    /// with `key`. A malformed URL is a usage error (exit 2).
    pub fn new(
        api_url: &str,
        device: DeviceId,
        key: DeviceSigningKey,
        timeout: Duration,
    ) -> CliResult<ApiClient> {
        let base = api_url.trim_end_matches('/');
        let shown_base = if base.len() <= 300 && base.bytes().all(|b| b.is_ascii_graphic()) {
            base.to_string()
        } else {
            "the URL".to_string()
        };
        let https = if base.starts_with("https://") {
            true
        } else if base.starts_with("http://") {
            false
        } else {
            return Err(CliError::usage(format!(
                "--api-url {shown_base}: expected an http:// or https:// URL, e.g. \
                 https://abc123.execute-api.eu-west-1.amazonaws.com"
            )));
        };
        let shown = format!("{base}/devices/{device}/backup");
        let url: Uri = shown.parse().map_err(|e| {
            CliError::usage(format!("--api-url {shown_base}: not a valid URL ({e})"))
        })?;
        if url.host().is_none_or(str::is_empty) || url.query().is_some() {
            return Err(CliError::usage(format!(
                "--api-url {shown_base}: expected a base URL with a host and no query"
            )));
        }
        Ok(ApiClient {
            client: Client::builder(TokioExecutor::new()).build(connector(https)?),
            url,
            shown,
            device,
            key,
            timeout,
        })
    }

    /// The resource's URL, for messages.
    pub fn location(&self) -> &str {
        &self.shown
    }

    /// Sends one signed request with `body` and `headers`, and reads the answer. A
    /// network failure or a timeout is exit 1.
    pub async fn send(
        &self,
        method: Method,
        body: Bytes,
        headers: &[(&str, String)],
    ) -> CliResult<Answer> {
        let mut nonce = [0u8; NONCE_LEN];
        getrandom::fill(&mut nonce)
            .map_err(|e| CliError::other(format!("no random nonce from the OS: {e}")))?;
        let timestamp = device_auth::format_timestamp(device_auth::now_unix_secs());
        let signed = self.key.sign(&self.device, &nonce, &timestamp);

        let mut request = Request::builder()
            .method(method.clone())
            .uri(self.url.clone())
            .header(
                header::USER_AGENT,
                concat!("ffce/", env!("CARGO_PKG_VERSION")),
            );
        for (name, value) in signed.pairs() {
            request = request.header(name, value);
        }
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        if method == Method::POST {
            request = request.header(header::CONTENT_TYPE, ffce_core::layout::CONTENT_TYPE);
        }
        let request = request
            .body(Full::new(body))
            .map_err(|e| CliError::other(format!("cannot build the request: {e}")))?;

        let exchange = async {
            // The whole chain: hyper's own words ("client error (Connect)") say nothing
            // of the cause (refused, DNS, an untrusted certificate).
            let response = self.client.request(request).await.map_err(|e| {
                CliError::other(format!(
                    "{method} {}: no answer: {}",
                    self.shown,
                    crate::exit::error_chain(&e)
                ))
            })?;
            let status = response.status().as_u16();
            let etag = response
                .headers()
                .get(header::ETAG)
                .and_then(|v| v.to_str().ok())
                .map(|v| printable(v.trim().trim_matches('"')));
            let body = Limited::new(response.into_body(), MAX_RESPONSE_LEN)
                .collect()
                .await
                .map_err(|e| {
                    CliError::other(format!(
                        "{method} {}: the answer's body could not be read: {e}",
                        self.shown
                    ))
                })?
                .to_bytes();
            Ok(Answer { status, etag, body })
        };
        tokio::time::timeout(self.timeout, exchange)
            .await
            .map_err(|_| {
                CliError::other(format!(
                    "{method} {}: no answer within --timeout {} s",
                    self.shown,
                    self.timeout.as_secs_f64()
                ))
            })?
    }
}

/// An https-or-http connector. https needs the system's root certificates; a plain
/// http:// URL (a local server) does not, so their absence is not an error there.
fn connector(https: bool) -> CliResult<HttpsConnector<HttpConnector>> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let builder = hyper_rustls::HttpsConnectorBuilder::new();
    let builder = if https {
        builder
            .with_provider_and_native_roots(provider)
            .map_err(|e| {
                CliError::other(format!(
                    "https needs the system's root certificates, and none could be \
                     loaded: {e}"
                ))
            })?
    } else {
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| CliError::other(format!("cannot set up TLS: {e}")))?
            .with_root_certificates(rustls::RootCertStore::empty())
            .with_no_client_auth();
        builder.with_tls_config(config)
    };
    Ok(builder.https_or_http().enable_http1().build())
}

/// The error for an answer that is not a success, as exit codes (see `exit.rs`):
/// 401/403 refused (5): the API does not accept this device, key or clock; 404 not
/// found (3); 400/413 integrity (4): everything else a request carries is checked
/// here first, so the API refused the body, as `ffce put` refuses a bad file; 5xx and
/// anything else 1. The server's `message` is shown.
pub fn status_error(what: &str, answer: &Answer) -> CliError {
    let status = answer.status;
    let said = match answer.message() {
        Some(m) => format!(": {m}"),
        None => String::new(),
    };
    let text = format!("{what}: the API answered {status}{said}");
    match status {
        401 | 403 => CliError::refused(format!(
            "{text} (check the device key, its registration in the device table, and \
             this machine's clock: requests more than 10 s off are refused)"
        )),
        404 => CliError::not_found(text),
        400 | 413 => CliError::integrity(text),
        _ => CliError::other(text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(status: u16, body: &str) -> Answer {
        Answer {
            status,
            etag: None,
            body: Bytes::from(body.to_string()),
        }
    }

    #[test]
    fn statuses_map_to_exit_codes() {
        use crate::exit::Failure;
        for (status, failure) in [
            (400, Failure::Integrity),
            (401, Failure::Refused),
            (403, Failure::Refused),
            (404, Failure::NotFound),
            (413, Failure::Integrity),
            (500, Failure::Other),
            (502, Failure::Other),
            (418, Failure::Other),
        ] {
            let err = status_error("post", &answer(status, r#"{"message": "why"}"#));
            assert_eq!(err.failure, failure, "{status}");
            assert!(
                err.message
                    .starts_with(&format!("post: the API answered {status}: why")),
                "{}",
                err.message
            );
        }
    }

    #[test]
    fn server_messages_cannot_drive_the_terminal() {
        let a = answer(400, "{\"message\": \"bad\\u001b[31m\\nthing\"}");
        assert_eq!(a.message().unwrap(), "bad [31m thing");
        let long = format!("{{\"message\": \"{}\"}}", "x".repeat(1000));
        assert_eq!(answer(400, &long).message().unwrap().chars().count(), 301);
        assert_eq!(answer(502, "<html>").message(), None);
    }
}
