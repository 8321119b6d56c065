//! [`classify`] and [`classify_listing`] fed with real `aws-sdk-s3` errors.
//!
//! Each test builds a real S3 client whose HTTP client replays one recorded S3 answer
//! (status, headers and the XML error document S3 sends, or no body for a HEAD), makes
//! the real SDK call, and classifies the `SdkError` the SDK made of that answer. No
//! server is involved: the local test server (moto) produces few of these answers, and
//! the SDK's own parsing (error codes from the XML, none for a bodiless HEAD) is part of
//! what is tested. Retries are off, so each test sends exactly one request, which the
//! replay client records and the test checks.
//!
//! This file is the replaying client and the helpers; `cases.rs` holds the tests.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use aws_credential_types::provider::error::CredentialsError;
use aws_credential_types::provider::{ProvideCredentials, future};
use aws_sdk_s3::Client;
use aws_sdk_s3::config::http::{HttpRequest, HttpResponse};
use aws_sdk_s3::config::retry::RetryConfig;
use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{BucketVersioningStatus, VersioningConfiguration};
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_runtime_api::http::StatusCode;
use aws_smithy_types::body::SdkBody;

use super::{classify, classify_listing};
use crate::error::StoreError;

mod cases;

const BUCKET: &str = "bucket";
const KEY: &str = "key";
const OBJECT: &str = "s3://bucket/key";
const VERSION: &str = "3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY";

/// One recorded S3 answer.
#[derive(Clone, Debug)]
struct Answer {
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: Option<String>,
}

/// The headers S3 sends with every answer.
fn s3_headers() -> Vec<(&'static str, String)> {
    vec![
        ("x-amz-request-id", "4442587FB7D0A2F9".into()),
        (
            "x-amz-id-2",
            "vlR7PnpV2Ce81puvl6BQV5TQjCz7Kz3Y8jEx9yPHQVCv9yOXzLQ3ALh1dmGqL1Bf".into(),
        ),
        ("date", "Wed, 01 Jan 2025 12:00:00 GMT".into()),
        ("server", "AmazonS3".into()),
    ]
}

/// An answer with S3's XML error document; `extra` is the elements S3 adds after
/// the message for this code (`<Key>`, `<BucketName>`, ...).
fn xml_error(status: u16, code: &str, message: &str, extra: &str) -> Answer {
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code>\
         <Message>{message}</Message>{extra}<RequestId>4442587FB7D0A2F9</RequestId>\
         <HostId>vlR7PnpV2Ce81puvl6BQV5TQjCz7Kz3Y8jEx9yPHQVCv9yOXzLQ3ALh1dmGqL1Bf</HostId>\
         </Error>"
    );
    let mut headers = s3_headers();
    headers.push(("content-type", "application/xml".into()));
    headers.push(("content-length", body.len().to_string()));
    Answer {
        status,
        headers,
        body: Some(body),
    }
}

/// A HEAD answer: the status and headers only.
fn bodiless(status: u16) -> Answer {
    Answer {
        status,
        headers: s3_headers(),
        body: None,
    }
}

impl Answer {
    fn with_header(mut self, name: &'static str, value: &str) -> Answer {
        self.headers.push((name, value.to_string()));
        self
    }

    fn to_response(&self) -> HttpResponse {
        let status = StatusCode::try_from(self.status).expect("a valid HTTP status");
        let body = match &self.body {
            Some(b) => SdkBody::from(b.clone()),
            None => SdkBody::empty(),
        };
        let mut response = HttpResponse::new(status, body);
        for (name, value) in &self.headers {
            response.headers_mut().insert(*name, value.clone());
        }
        response
    }
}

/// A request the client sent: method, URI and headers.
#[derive(Debug)]
struct Sent {
    method: String,
    uri: String,
    headers: Vec<(String, String)>,
}

impl Sent {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// An HTTP client that answers the requests in order with recorded answers and records
/// what was sent; a request beyond the recording fails as a connection error.
#[derive(Clone, Debug, Default)]
struct Replay {
    answers: Arc<Mutex<VecDeque<Answer>>>,
    sent: Arc<Mutex<Vec<Sent>>>,
}

impl Replay {
    fn new(answers: impl IntoIterator<Item = Answer>) -> Replay {
        Replay {
            answers: Arc::new(Mutex::new(answers.into_iter().collect())),
            sent: Arc::default(),
        }
    }

    /// The one request the test made (retries are off), checked for method and for
    /// what its URI contains.
    fn only_request(&self, method: &str, uri_has: &[&str]) -> Sent {
        let mut sent = self.sent.lock().unwrap();
        assert_eq!(sent.len(), 1, "expected exactly one request: {sent:#?}");
        let request = sent.pop().unwrap();
        assert_eq!(request.method, method, "{request:#?}");
        for part in uri_has {
            assert!(
                request.uri.contains(part),
                "the URI {} lacks {part:?}",
                request.uri
            );
        }
        request
    }
}

impl HttpConnector for Replay {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        self.sent.lock().unwrap().push(Sent {
            method: request.method().to_string(),
            uri: request.uri().to_string(),
            headers: request
                .headers()
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect(),
        });
        let result = match self.answers.lock().unwrap().pop_front() {
            Some(answer) => Ok(answer.to_response()),
            None => Err(ConnectorError::other(
                "the replay has no answer left for this request".into(),
                None,
            )),
        };
        HttpConnectorFuture::ready(result)
    }
}

impl HttpClient for Replay {
    fn http_connector(
        &self,
        _: &HttpConnectorSettings,
        _: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(self.clone())
    }
}

/// The S3 config of the tests: a fixed region, one attempt per request, `replay` as
/// the HTTP client; credentials are up to the caller.
fn config(replay: &Replay) -> aws_sdk_s3::config::Builder {
    aws_sdk_s3::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("eu-west-1"))
        .retry_config(RetryConfig::standard().with_max_attempts(1))
        .http_client(replay.clone())
}

/// A client with static credentials that answers every request with `answer`, once.
fn replaying(answer: Answer) -> (Client, Replay) {
    let replay = Replay::new([answer]);
    let credentials = Credentials::new(
        "AKIAIOSFODNN7EXAMPLE",
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        None,
        None,
        "replay",
    );
    let client = Client::from_conf(config(&replay).credentials_provider(credentials).build());
    (client, replay)
}

/// The error of a call that must fail (the outputs need not be `Debug`).
fn failed<T, E>(result: Result<T, E>) -> E {
    match result {
        Ok(_) => panic!("the replayed error answer was taken for a success"),
        Err(e) => e,
    }
}

/// `GetObject` of `s3://bucket/key` answered with `answer`, classified.
async fn get_object(answer: Answer) -> StoreError {
    let (client, replay) = replaying(answer);
    let err = failed(client.get_object().bucket(BUCKET).key(KEY).send().await);
    replay.only_request("GET", &["bucket", "/key"]);
    classify(err, BUCKET, OBJECT)
}

/// `HeadObject` of `s3://bucket/key` answered with `answer`: the error code the SDK
/// made of it (a HEAD answer has no body to read one from), and the classification.
async fn head_object(answer: Answer) -> (Option<String>, StoreError) {
    let (client, replay) = replaying(answer);
    let err = failed(client.head_object().bucket(BUCKET).key(KEY).send().await);
    replay.only_request("HEAD", &["bucket", "/key"]);
    let code = err.code().map(str::to_owned);
    (code, classify(err, BUCKET, OBJECT))
}

/// `GetObject` of version [`VERSION`] answered with `answer`, classified as the store
/// does (`version V of s3://bucket/key`).
async fn get_version(answer: Answer) -> StoreError {
    let (client, replay) = replaying(answer);
    let err = failed(
        client
            .get_object()
            .bucket(BUCKET)
            .key(KEY)
            .version_id(VERSION)
            .send()
            .await,
    );
    replay.only_request("GET", &["/key", &format!("versionId={VERSION}")]);
    classify(err, BUCKET, &version_what())
}

fn version_what() -> String {
    format!("version {VERSION} of {OBJECT}")
}

/// `PutObject` with `If-Match` answered with `answer`, classified.
async fn put_if_match(answer: Answer) -> StoreError {
    let (client, replay) = replaying(answer);
    let err = failed(
        client
            .put_object()
            .bucket(BUCKET)
            .key(KEY)
            .if_match("\"9b2cf535f27731c974343645a3985328\"")
            .body(ByteStream::from_static(b"FFCE body"))
            .send()
            .await,
    );
    let sent = replay.only_request("PUT", &["/key"]);
    assert_eq!(
        sent.header("if-match"),
        Some("\"9b2cf535f27731c974343645a3985328\""),
        "{sent:#?}"
    );
    classify(err, BUCKET, OBJECT)
}

/// `ListObjectsV2` of the bucket answered with `answer`, classified as a listing.
async fn list_objects(answer: Answer) -> StoreError {
    let (client, replay) = replaying(answer);
    let err = failed(client.list_objects_v2().bucket(BUCKET).send().await);
    replay.only_request("GET", &["list-type=2"]);
    classify_listing(err, BUCKET, || "list s3://bucket".to_string())
}

/// Asserts `StoreError::Other` with exactly `message` and the SDK error kept as source.
fn assert_other(err: StoreError, message: &str) {
    match err {
        StoreError::Other {
            message: m,
            source: Some(_),
        } => assert_eq!(m, message),
        other => panic!("expected Other({message:?}), got {other:?}"),
    }
}

fn assert_not_found(err: StoreError, what: &str) {
    match err {
        StoreError::NotFound { what: w } => assert_eq!(w, what),
        other => panic!("expected NotFound, got {other:?}"),
    }
}

fn assert_no_bucket(err: StoreError) {
    match err {
        StoreError::NoBucket { bucket } => assert_eq!(bucket, BUCKET),
        other => panic!("expected NoBucket, got {other:?}"),
    }
}

fn assert_precondition_failed(err: StoreError) {
    match err {
        StoreError::PreconditionFailed { what, missing } => {
            assert_eq!(what, OBJECT);
            assert!(!missing, "an ETag mismatch, not a missing object");
        }
        other => panic!("expected PreconditionFailed {{ missing: false }}, got {other:?}"),
    }
}

/// Asserts `PermissionDenied` for `what`, with `detail_has` in the SDK's explanation.
fn assert_denied(err: StoreError, what: &str, detail_has: &str) {
    match err {
        StoreError::PermissionDenied { what: w, source } => {
            let detail = crate::error::error_chain(source.as_ref());
            assert_eq!(w, what);
            assert!(detail.contains(detail_has), "{detail}");
        }
        other => panic!("expected PermissionDenied, got {other:?}"),
    }
}

/// Asserts the 409 `OperationAborted` became `Conflict` and NOT `PreconditionFailed`
/// (which every 409 used to become).
fn assert_conflict(err: StoreError, what: &str) {
    match err {
        StoreError::Conflict { what: w, code } => {
            assert_eq!(code, "OperationAborted");
            assert_eq!(w, what);
        }
        StoreError::PreconditionFailed { .. } => panic!(
            "409 OperationAborted was classified as PreconditionFailed: a concurrent \
             bucket operation is no ETag mismatch ({err:?})"
        ),
        other => panic!("expected Conflict {{ code: OperationAborted }}, got {other:?}"),
    }
}

const OPERATION_ABORTED: &str = concat!(
    "A conflicting conditional operation is currently in progress against this ",
    "resource. Please try again."
);
