//! API Gateway HTTP API events (payload format 2.0) to and from the router's plain
//! `http` types, so that Lambda and `--listen` share one router.
//!
//! The conversion is written here, not taken from `lambda_http`, because that crate
//! panics on an event whose `isBase64Encoded` body does not decode; docs/SPEC.md §7 wants
//! a 400 for it, after the device is authenticated. Such a request reaches the router
//! with an empty body and the [`UndecodableBody`] extension.

use aws_lambda_events::apigw::{ApiGatewayV2httpRequest, ApiGatewayV2httpResponse};
use aws_lambda_events::encodings::Body;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use bytes::Bytes;

use crate::reply::{Request, Response};

/// Marks a request whose event said `isBase64Encoded` but whose body is not base64.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UndecodableBody;

/// The request an API Gateway v2 event describes: method, path (without a named
/// stage's prefix), query, headers and the body (base64-decoded when the event says
/// so).
pub fn request_from_event(event: ApiGatewayV2httpRequest) -> Request {
    let method = event.request_context.http.method.clone();
    let raw_path = event
        .raw_path
        .clone()
        .or_else(|| event.request_context.http.path.clone())
        .unwrap_or_else(|| "/".to_string());
    // A named stage prefixes the raw path (`/prod/devices/...`); `$default` does not.
    let path = match event.request_context.stage.as_deref() {
        Some(stage) if stage != "$default" => raw_path
            .strip_prefix(&format!("/{stage}"))
            .filter(|rest| rest.starts_with('/'))
            .map(str::to_string)
            .unwrap_or(raw_path),
        _ => raw_path,
    };
    let (body, undecodable) = match (event.body.as_deref(), event.is_base64_encoded) {
        (None, _) => (Bytes::new(), false),
        (Some(text), true) => match BASE64.decode(text) {
            Ok(bytes) => (Bytes::from(bytes), false),
            Err(_) => (Bytes::new(), true),
        },
        (Some(text), false) => (Bytes::from(text.to_string()), false),
    };
    let mut request = http::Request::new(body);
    *request.method_mut() = method;
    // A path that is no URI (API Gateway would not send one) is served as `/`: 404.
    if let Ok(uri) = path.parse::<http::Uri>() {
        *request.uri_mut() = uri;
    }
    *request.headers_mut() = event.headers;
    if undecodable {
        request.extensions_mut().insert(UndecodableBody);
    }
    request
}

/// The API Gateway v2 answer for `response`: a binary body (the blob,
/// `application/octet-stream`) base64-encoded with `isBase64Encoded: true`, any other
/// body as text.
pub fn response_to_event(response: Response) -> ApiGatewayV2httpResponse {
    let (parts, body) = response.into_parts();
    let binary = parts
        .headers
        .get(http::header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes() == ffce_core::layout::CONTENT_TYPE.as_bytes());
    let mut out = ApiGatewayV2httpResponse::default();
    out.status_code = i64::from(parts.status.as_u16());
    out.headers = parts.headers;
    (out.body, out.is_base64_encoded) = if body.is_empty() {
        (None, false)
    } else if binary {
        (Some(Body::Binary(body.to_vec())), true)
    } else {
        (
            Some(Body::Text(String::from_utf8_lossy(&body).into_owned())),
            false,
        )
    };
    out
}
