//! Each S3 answer, replayed, and the `StoreError` it becomes.

use super::*;

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
