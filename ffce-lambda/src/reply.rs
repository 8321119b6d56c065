//! The router's request and response types, and the JSON answers of docs/SPEC.md §7
//! (`{"message": ...}` with `Content-Type: application/json`).

use bytes::Bytes;
use http::{HeaderValue, StatusCode, header};

/// A request as the router sees it, from either mode.
pub type Request = http::Request<Bytes>;
/// A response as the router makes it.
pub type Response = http::Response<Bytes>;

/// A JSON body with `status`.
pub fn json(status: u16, value: &serde_json::Value) -> Response {
    let mut response = http::Response::new(Bytes::from(value.to_string()));
    *response.status_mut() =
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// `{"message": message}` with `status`.
pub fn message(status: u16, message: &str) -> Response {
    json(status, &serde_json::json!({ "message": message }))
}

/// A quoted `ETag` header value for a lowercase hex digest (or an empty one).
pub fn etag_value(hex: &str) -> HeaderValue {
    HeaderValue::from_str(&format!("\"{hex}\"")).unwrap_or(HeaderValue::from_static("\"\""))
}

/// A refusal on the way to a handler: the status and the message of its JSON answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    /// The HTTP status.
    pub status: u16,
    /// The `message` of the body.
    pub message: String,
}

impl Refusal {
    /// A refusal with `status` and `message`.
    pub fn new(status: u16, message: impl Into<String>) -> Refusal {
        Refusal {
            status,
            message: message.into(),
        }
    }

    /// The JSON answer.
    pub fn into_response(self) -> Response {
        message(self.status, &self.message)
    }
}
