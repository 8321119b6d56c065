//! [`classify`] and [`classify_listing`] fed with real `aws-sdk-s3` errors.
//!
//! Each test builds a real S3 client whose HTTP client replays one recorded S3 answer
//! (status, headers and the XML error document S3 sends, or no body for a HEAD), makes
//! the real SDK call, and classifies the `SdkError` the SDK made of that answer. No
//! server is involved: the local test server (moto) produces few of these answers, and
//! the SDK's own parsing (error codes from the XML, none for a bodiless HEAD) is part of
//! what is tested. Retries are off, so each test sends exactly one request, which the
//! replay client records and the test checks.

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

#[tokio::test]
async fn rejected_credentials_are_bad_credentials_with_their_code() {
    let cases = [
        (
            "InvalidAccessKeyId",
            "The AWS Access Key Id you provided does not exist in our records.",
            "<AWSAccessKeyId>AKIAIOSFODNN7EXAMPLE</AWSAccessKeyId>",
        ),
        (
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you \
             provided. Check your key and signing method.",
            "<AWSAccessKeyId>AKIAIOSFODNN7EXAMPLE</AWSAccessKeyId>",
        ),
        ("ExpiredToken", "The provided token has expired.", ""),
        (
            "InvalidToken",
            "The provided token is malformed or otherwise invalid.",
            "",
        ),
        (
            "TokenRefreshRequired",
            "The provided token must be refreshed.",
            "",
        ),
    ];
    for (code, message, extra) in cases {
        match get_object(xml_error(403, code, message, extra)).await {
            StoreError::BadCredentials { code: c, source } => {
                let detail = crate::error::error_chain(source.as_ref());
                assert_eq!(c, code, "case {code}");
                assert!(detail.contains(code), "case {code}: {detail}");
            }
            other => panic!("case 403 {code}: expected BadCredentials, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn access_denied_is_permission_denied() {
    let err = get_object(xml_error(403, "AccessDenied", "Access Denied", "")).await;
    assert_denied(err, OBJECT, "AccessDenied");
}

#[tokio::test]
async fn bodiless_403_on_head_is_permission_denied() {
    let (code, err) = head_object(bodiless(403)).await;
    // No code at all: only the status can say what this is.
    assert_eq!(code, None);
    assert_denied(err, OBJECT, "");
}

#[tokio::test]
async fn no_such_bucket_on_get_is_no_bucket() {
    let err = get_object(xml_error(
        404,
        "NoSuchBucket",
        "The specified bucket does not exist",
        "<BucketName>bucket</BucketName>",
    ))
    .await;
    assert_no_bucket(err);
}

#[tokio::test]
async fn no_such_key_is_not_found() {
    let err = get_object(xml_error(
        404,
        "NoSuchKey",
        "The specified key does not exist.",
        "<Key>key</Key>",
    ))
    .await;
    assert_not_found(err, OBJECT);
}

#[tokio::test]
async fn bodiless_404_on_head_is_not_found() {
    let (code, err) = head_object(bodiless(404)).await;
    // The SDK names HeadObject's modelled 404 `NotFound` itself.
    assert_eq!(code.as_deref(), Some("NotFound"));
    assert_not_found(err, OBJECT);
}

#[tokio::test]
async fn no_such_version_is_not_found() {
    let err = get_version(xml_error(
        404,
        "NoSuchVersion",
        "The specified version does not exist.",
        &format!("<Key>key</Key><VersionId>{VERSION}</VersionId>"),
    ))
    .await;
    assert_not_found(err, &version_what());
}

/// GET of a delete marker's version: S3 answers 405 with `x-amz-delete-marker: true`.
/// `classify` leaves it `Other` naming the 405; `get_once` turns that into not found.
#[tokio::test]
async fn method_not_allowed_on_a_delete_marker_version_is_other_naming_405() {
    let answer = xml_error(
        405,
        "MethodNotAllowed",
        "The specified method is not allowed against this resource.",
        "<Method>GET</Method><ResourceType>DeleteMarker</ResourceType>",
    )
    .with_header("x-amz-delete-marker", "true")
    .with_header("x-amz-version-id", VERSION)
    .with_header("allow", "DELETE");
    let err = get_version(answer).await;
    assert_other(
        err,
        &format!("{}: S3 answered HTTP 405 MethodNotAllowed", version_what()),
    );
}

#[tokio::test]
async fn operation_aborted_on_create_bucket_is_conflict_not_precondition_failed() {
    let (client, replay) = replaying(xml_error(409, "OperationAborted", OPERATION_ABORTED, ""));
    let err = failed(client.create_bucket().bucket(BUCKET).send().await);
    replay.only_request("PUT", &["bucket"]);
    assert_conflict(
        classify(err, BUCKET, "create s3://bucket"),
        "create s3://bucket",
    );
}

#[tokio::test]
async fn operation_aborted_on_put_bucket_versioning_is_conflict_not_precondition_failed() {
    let (client, replay) = replaying(xml_error(409, "OperationAborted", OPERATION_ABORTED, ""));
    let versioning = VersioningConfiguration::builder()
        .status(BucketVersioningStatus::Enabled)
        .build();
    let err = failed(
        client
            .put_bucket_versioning()
            .bucket(BUCKET)
            .versioning_configuration(versioning)
            .send()
            .await,
    );
    replay.only_request("PUT", &["versioning"]);
    assert_conflict(
        classify(err, BUCKET, "enable versioning"),
        "enable versioning",
    );
}

#[tokio::test]
async fn conditional_request_conflict_on_put_is_precondition_failed() {
    let err = put_if_match(xml_error(
        409,
        "ConditionalRequestConflict",
        "The conditional request cannot succeed due to a conflicting operation against \
         this resource.",
        "",
    ))
    .await;
    assert_precondition_failed(err);
}

#[tokio::test]
async fn bucket_not_empty_is_other_not_precondition_failed() {
    let (client, replay) = replaying(xml_error(
        409,
        "BucketNotEmpty",
        "The bucket you tried to delete is not empty",
        "<BucketName>bucket</BucketName>",
    ));
    let err = failed(client.delete_bucket().bucket(BUCKET).send().await);
    replay.only_request("DELETE", &["bucket"]);
    assert_other(
        classify(err, BUCKET, "delete s3://bucket"),
        "delete s3://bucket: S3 answered HTTP 409 BucketNotEmpty",
    );
}

#[tokio::test]
async fn precondition_failed_on_put_if_match_is_precondition_failed() {
    let err = put_if_match(xml_error(
        412,
        "PreconditionFailed",
        "At least one of the pre-conditions you specified did not hold",
        "<Condition>If-Match</Condition>",
    ))
    .await;
    assert_precondition_failed(err);
}

#[tokio::test]
async fn invalid_version_id_on_get_is_other_naming_400_and_the_code() {
    let err = get_version(xml_error(
        400,
        "InvalidArgument",
        "Invalid version id specified",
        &format!("<ArgumentName>versionId</ArgumentName><ArgumentValue>{VERSION}</ArgumentValue>"),
    ))
    .await;
    assert_other(
        err,
        &format!("{}: S3 answered HTTP 400 InvalidArgument", version_what()),
    );
}

#[tokio::test]
async fn invalid_version_id_on_delete_is_other_naming_400_and_the_code() {
    let (client, replay) = replaying(xml_error(
        400,
        "InvalidArgument",
        "Invalid version id specified",
        &format!("<ArgumentName>versionId</ArgumentName><ArgumentValue>{VERSION}</ArgumentValue>"),
    ));
    let err = failed(
        client
            .delete_object()
            .bucket(BUCKET)
            .key(KEY)
            .version_id(VERSION)
            .send()
            .await,
    );
    replay.only_request("DELETE", &["/key", &format!("versionId={VERSION}")]);
    assert_other(
        classify(err, BUCKET, &version_what()),
        &format!("{}: S3 answered HTTP 400 InvalidArgument", version_what()),
    );
}

#[tokio::test]
async fn internal_error_is_other_naming_500() {
    let err = get_object(xml_error(
        500,
        "InternalError",
        "We encountered an internal error. Please try again.",
        "",
    ))
    .await;
    assert_other(err, "s3://bucket/key: S3 answered HTTP 500 InternalError");
}

#[tokio::test]
async fn slow_down_is_other_naming_503() {
    let err = get_object(xml_error(
        503,
        "SlowDown",
        "Please reduce your request rate.",
        "",
    ))
    .await;
    assert_other(err, "s3://bucket/key: S3 answered HTTP 503 SlowDown");
}

#[tokio::test]
async fn listing_no_such_bucket_is_no_bucket() {
    let err = list_objects(xml_error(
        404,
        "NoSuchBucket",
        "The specified bucket does not exist",
        "<BucketName>bucket</BucketName>",
    ))
    .await;
    assert_no_bucket(err);
}

#[tokio::test]
async fn listing_bodiless_404_is_no_bucket() {
    let err = list_objects(bodiless(404)).await;
    assert_no_bucket(err);
}

#[tokio::test]
async fn listing_access_denied_names_the_listing() {
    let err = list_objects(xml_error(403, "AccessDenied", "Access Denied", "")).await;
    assert_denied(err, "list s3://bucket", "AccessDenied");
}

/// What the SDK's default credential chain answers when it finds nothing (see
/// `aws_config::meta::credentials::CredentialsProviderChain`).
#[derive(Debug)]
struct NoCredentialsFound;

impl ProvideCredentials for NoCredentialsFound {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        future::ProvideCredentials::ready(Err(CredentialsError::not_loaded(
            "no providers in chain provided credentials",
        )))
    }
}

/// The SDK reports the credential chain's failure as a dispatch failure around a
/// `CredentialsError`, before anything is sent. (A client with no credentials provider
/// at all is no model of this: the SDK then sends the request unsigned.)
#[tokio::test]
async fn missing_credentials_are_no_credentials() {
    let replay = Replay::new([]);
    let client = Client::from_conf(
        config(&replay)
            .credentials_provider(NoCredentialsFound)
            .build(),
    );
    let err = failed(client.get_object().bucket(BUCKET).key(KEY).send().await);
    assert!(
        replay.sent.lock().unwrap().is_empty(),
        "nothing is sent without credentials"
    );
    match classify(err, BUCKET, OBJECT) {
        StoreError::NoCredentials { source, .. } => {
            let detail = crate::error::error_chain(source.as_ref());
            assert!(detail.contains("no providers in chain"), "{detail}");
        }
        other => panic!("expected NoCredentials, got {other:?}"),
    }
}
