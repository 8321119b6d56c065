//! Handler-level tests of the three routes: API Gateway HTTP API (payload 2.0) events,
//! from the JSON fixtures in `tests/events/`, run through the shared router
//! (`App::handle_event`). Each test has its own store and device table; see
//! `common/mod.rs`. Most run on the
//! in-memory ones (`api`); the few whose subject is what S3 and DynamoDB store or
//! answer run on the real moto server (`api_on_moto`): the `etag` metadata and
//! `last_backup_date` written, the HEAD behind `If-None-Match`, a delete marker and the
//! attribute removed. Authentication, routing, S3 faults and the time budget are in
//! `api_auth.rs`.

mod common;

use aws_lambda_events::encodings::Body;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use common::*;
use ffce_core::device_auth;
use ffce_core::layout::{DeviceId, Layout, ObjectKey};
use ffce_store::{PlaintextDigest, StoreError};
use serde_json::json;
use sha2::Digest as _;

// ---------------------------------------------------------------------------------
// POST
// ---------------------------------------------------------------------------------

#[tokio::test]
async fn post_base64_body_is_stored_with_its_etag_and_last_backup_date() {
    let api = api_on_moto("post", Layout::Nested).await;
    let key = device_key(1);
    api.register(DEVICE, &key).await;
    let plaintext = br#"{"formatName":"dexie","data":{}}"#;
    let blob = sealed(plaintext);
    let etag = sha256_hex(plaintext);

    let r = post(&api, &key, &blob, &[("ETag", &format!("\"{etag}\""))]).await;
    assert_eq!(r.status_code, 200, "{r:?}");
    let body = json_body(&r);
    assert_eq!(body["message"], "Backup stored");
    let date = body["last_backup_date"].as_str().expect("last_backup_date");
    assert!(is_utc_second(date), "{date}");
    let skew = device_auth::parse_timestamp(date).unwrap() - device_auth_now();
    assert!(
        skew.abs() <= 5,
        "last_backup_date {date} is the time of the upload"
    );
    assert_eq!(header(&r, "etag"), Some(format!("\"{etag}\"").as_str()));

    // Behind the API: the bytes, the plaintext digest as `etag` metadata, the item.
    let stored = api.store.get(&api.key(DEVICE), None).await.expect("stored");
    assert_eq!(&stored.body[..], &blob[..]);
    assert_eq!(
        stored.plaintext_digest,
        Some(PlaintextDigest::Sha256(
            sha2::Sha256::digest(plaintext).into()
        ))
    );
    let item = api.item(DEVICE).await;
    assert_eq!(item.last_backup_date.as_deref(), Some(date));
}

#[tokio::test]
async fn post_plain_bodies_are_validated_in_full() {
    let api = api("post-plain", Layout::Nested).await;
    let key = device_key(2);
    api.register(DEVICE, &key).await;
    let send = |text: &'static str| {
        let api = &api;
        let key = &key;
        async move {
            api.send(event(
                "post-plain.json",
                "POST",
                &backup_path(DEVICE),
                &signed(key, DEVICE),
                EventBody::Plain(text),
            ))
            .await
        }
    };
    // The Python functions check the magic only: this one they would store.
    let r = send("FFCE and then not a header").await;
    assert_eq!(
        status_and_message(&r),
        (
            400,
            ffce_core::upload::validate_upload(b"FFCE and then not a header")
                .unwrap_err()
                .to_string()
        )
    );
    assert_eq!(
        message(&r),
        "blob is 26 bytes, shorter than the 37-byte FFCE header"
    );
    let r = send("{\"formatName\":\"dexie\"}").await;
    assert_eq!(r.status_code, 400);
    assert!(message(&r).contains("FFCE"), "{}", message(&r));
    let r = send("").await;
    assert_eq!(
        status_and_message(&r),
        (400, "Request body is required".into())
    );
    // The plain-body fixture as it stands: four bytes, "FFCE".
    assert!(matches!(
        api.store.get(&api.key(DEVICE), None).await,
        Err(StoreError::NotFound { .. })
    ));
}

#[tokio::test]
async fn post_malformed_blobs_are_400_naming_the_problem_and_nothing_is_stored() {
    let api = api("post-malformed", Layout::Nested).await;
    let key = device_key(3);
    api.register(DEVICE, &key).await;
    let blob = sealed(b"{\"formatName\":\"dexie\"}");

    let truncated = &blob[..blob.len() - 5];
    let r = post(&api, &key, truncated, &[]).await;
    assert_eq!(r.status_code, 400);
    let expected = ffce_core::upload::validate_upload(truncated).unwrap_err();
    assert!(matches!(
        expected,
        ffce_core::upload::UploadError::LengthMismatch { .. }
    ));
    assert_eq!(message(&r), expected.to_string());

    let mut version_2 = blob.clone();
    version_2[4] = 2;
    let r = post(&api, &key, &version_2, &[]).await;
    assert_eq!(r.status_code, 400);
    assert_eq!(
        message(&r),
        ffce_core::upload::validate_upload(&version_2)
            .unwrap_err()
            .to_string()
    );

    let r = api
        .send(event(
            "post-base64.json",
            "POST",
            &backup_path(DEVICE),
            &signed(&key, DEVICE),
            EventBody::RawBase64("not*base64"),
        ))
        .await;
    assert_eq!(
        status_and_message(&r),
        (400, "Request body is not valid base64".into())
    );

    let r = post(&api, &key, &blob, &[("ETag", "not-a-digest")]).await;
    assert_eq!(
        status_and_message(&r),
        (
            400,
            "ETag must be the SHA-256 of the backup's plaintext as 64 hex digits".into()
        )
    );

    assert!(matches!(
        api.store.get(&api.key(DEVICE), None).await,
        Err(StoreError::NotFound { .. })
    ));
    assert_eq!(api.item(DEVICE).await.last_backup_date, None);
}

#[tokio::test]
async fn post_over_524288_bytes_is_413_and_exactly_524288_is_stored() {
    let api = api("post-size", Layout::Nested).await;
    let key = device_key(4);
    api.register(DEVICE, &key).await;
    let largest = sealed(&vec![b'x'; ffce_core::upload::MAX_PLAINTEXT_LEN]);
    assert_eq!(largest.len(), 524_288);
    let r = post(&api, &key, &largest, &[]).await;
    assert_eq!(r.status_code, 200, "{}", message(&r));

    let mut over = largest.clone();
    over.push(0);
    let r = post(&api, &key, &over, &[]).await;
    assert_eq!(r.status_code, 413);
    assert_eq!(
        message(&r),
        ffce_core::upload::validate_upload(&over)
            .unwrap_err()
            .to_string()
    );
    assert!(message(&r).contains("524,289"), "{}", message(&r));
    assert_eq!(versions(&api, DEVICE).await, 1, "the 413 wrote nothing");
}

#[tokio::test]
async fn if_none_match_is_compared_with_the_stored_etag() {
    let api = api_on_moto("if-none-match", Layout::Nested).await;
    let key = device_key(5);
    api.register(DEVICE, &key).await;
    let (p1, p2) = (b"{\"n\":1}".as_slice(), b"{\"n\":2}".as_slice());
    let (e1, e2) = (sha256_hex(p1), sha256_hex(p2));

    // Nothing stored yet: the upload happens even though ETag == If-None-Match.
    let r = post(
        &api,
        &key,
        &sealed(p1),
        &[("ETag", &e1), ("If-None-Match", &e1)],
    )
    .await;
    assert_eq!(r.status_code, 200, "{}", message(&r));
    assert_eq!(versions(&api, DEVICE).await, 1);

    // The stored object is that plaintext: 304 with the ETag, nothing written.
    let r = post(
        &api,
        &key,
        &sealed(p1),
        &[
            ("ETag", &format!("\"{e1}\"")),
            ("If-None-Match", &format!("\"{e1}\"")),
        ],
    )
    .await;
    assert_eq!(r.status_code, 304);
    assert_eq!(header(&r, "etag"), Some(format!("\"{e1}\"").as_str()));
    assert!(r.body.is_none());
    assert_eq!(versions(&api, DEVICE).await, 1, "a 304 writes nothing");

    // The request's two headers agree but the stored object is another plaintext:
    // the Python functions answer 304 here; the documented meaning stores it.
    let r = post(
        &api,
        &key,
        &sealed(p2),
        &[("ETag", &e2), ("If-None-Match", &e2)],
    )
    .await;
    assert_eq!(r.status_code, 200);
    assert_eq!(versions(&api, DEVICE).await, 2);

    // A backup deleted meanwhile is uploaded again.
    assert_eq!(delete(&api, &key).await.status_code, 200);
    let r = post(
        &api,
        &key,
        &sealed(p2),
        &[("ETag", &e2), ("If-None-Match", &e2)],
    )
    .await;
    assert_eq!(r.status_code, 200);
    assert!(api.store.get(&api.key(DEVICE), None).await.is_ok());
}

// ---------------------------------------------------------------------------------
// GET and DELETE
// ---------------------------------------------------------------------------------

#[tokio::test]
async fn get_answers_the_blob_base64_with_etag_and_content_length() {
    let api = api("get", Layout::Nested).await;
    let key = device_key(6);
    api.register(DEVICE, &key).await;
    let plaintext = b"{\"formatName\":\"dexie\",\"rows\":[1,2,3]}";
    let blob = sealed(plaintext);
    let etag = sha256_hex(plaintext);
    assert_eq!(
        post(&api, &key, &blob, &[("ETag", &etag)])
            .await
            .status_code,
        200
    );

    let r = get(&api, &key).await;
    assert_eq!(r.status_code, 200);
    assert!(r.is_base64_encoded);
    assert_eq!(r.body, Some(Body::Binary(blob.clone())));
    assert_eq!(header(&r, "content-type"), Some("application/octet-stream"));
    assert_eq!(
        header(&r, "content-length"),
        Some(blob.len().to_string().as_str())
    );
    assert_eq!(header(&r, "etag"), Some(format!("\"{etag}\"").as_str()));
    // What Lambda hands API Gateway: the body as base64 text.
    let wire = serde_json::to_value(&r).unwrap();
    assert_eq!(wire["isBase64Encoded"], true);
    assert_eq!(wire["statusCode"], 200);
    assert_eq!(wire["body"], json!(BASE64.encode(&blob)));
}

#[tokio::test]
async fn get_without_etag_metadata_and_get_of_nothing() {
    let api = api("get-missing", Layout::Nested).await;
    let key = device_key(7);
    api.register(DEVICE, &key).await;
    let r = get(&api, &key).await;
    assert_eq!(
        status_and_message(&r),
        (404, "No backup found for this device".into())
    );
    let blob = sealed(b"{}");
    assert_eq!(post(&api, &key, &blob, &[]).await.status_code, 200);
    let r = get(&api, &key).await;
    assert_eq!(r.status_code, 200);
    assert_eq!(header(&r, "etag"), Some("\"\""));
}

#[tokio::test]
async fn delete_removes_the_backup_and_last_backup_date_and_is_idempotent() {
    let api = api_on_moto("delete", Layout::Nested).await;
    let key = device_key(8);
    api.register(DEVICE, &key).await;
    assert_eq!(post(&api, &key, &sealed(b"{}"), &[]).await.status_code, 200);
    assert!(api.item(DEVICE).await.last_backup_date.is_some());

    let r = delete(&api, &key).await;
    assert_eq!(status_and_message(&r), (200, "Backup deleted".into()));
    assert_eq!(api.item(DEVICE).await.last_backup_date, None);
    assert!(matches!(
        api.store.get(&api.key(DEVICE), None).await,
        Err(StoreError::Deleted { .. } | StoreError::NotFound { .. })
    ));
    assert_eq!(get(&api, &key).await.status_code, 404);
    // Again: still 200 (S3's DeleteObject is idempotent), and the item is still there.
    assert_eq!(
        status_and_message(&delete(&api, &key).await),
        (200, "Backup deleted".into())
    );
    assert!(api.item(DEVICE).await.public_key.is_some());
}

#[tokio::test]
async fn flat_layout_stores_and_serves_uuid_keys() {
    for layout in [Layout::Flat, Layout::Nested] {
        let api = api("layout", layout).await;
        let key = device_key(9);
        api.register(DEVICE, &key).await;
        let blob = sealed(b"{\"layout\":true}");
        assert_eq!(post(&api, &key, &blob, &[]).await.status_code, 200);
        let here = ObjectKey::new(DeviceId::parse(DEVICE).unwrap(), layout);
        let other_layout = match layout {
            Layout::Flat => Layout::Nested,
            Layout::Nested => Layout::Flat,
        };
        let there = ObjectKey::new(DeviceId::parse(DEVICE).unwrap(), other_layout);
        assert_eq!(api.keys().await, vec![here.as_string()], "{layout:?}");
        assert!(api.store.get(&there, None).await.is_err());
        let r = get(&api, &key).await;
        assert_eq!(r.body, Some(Body::Binary(blob)), "{layout:?}");
    }
}

/// A path UUID in uppercase (docs/SPEC.md §5: the cloud accepts either case). As the Python
/// functions do, the device table is read, and `X-Device-UUID` compared, with the path
/// parameter as sent. Unlike them, the object goes under the canonical lowercase key, the
/// one every other ffce tool reads (a key in uppercase is a stray `uppercase_uuid` to
/// `ffce ls`): one device, one object, whichever case it sends.
#[tokio::test]
async fn an_uppercase_path_uuid_is_looked_up_as_sent_and_stored_lowercase() {
    let api = api("upper", Layout::Nested).await;
    let upper = DEVICE.to_uppercase();
    let key = device_key(15);
    api.register(&upper, &key).await;
    let headers = || signed_as_sent(&key, &upper);
    let blob = sealed(b"{\"upper\":true}");
    let r = api
        .send(event(
            "post-base64.json",
            "POST",
            &backup_path(&upper),
            &headers(),
            EventBody::Base64(&blob),
        ))
        .await;
    assert_eq!(status_and_message(&r), (200, "Backup stored".into()));
    assert_eq!(api.keys().await, vec![format!("{DEVICE}/backup.ffce")]);
    assert!(api.item(&upper).await.last_backup_date.is_some());
    // GET with the same path reads it back.
    let r = get_with(&api, &upper, &headers()).await;
    assert_eq!(r.status_code, 200);
    assert_eq!(r.body, Some(Body::Binary(blob)));
    // The table knows the device only as sent: the lowercase path is not registered.
    let r = get(&api, &key).await;
    assert_eq!(
        status_and_message(&r),
        (401, "Device not registered".into())
    );
    // The header must equal the path exactly, as in the Python functions.
    let r = get_with(&api, &upper, &signed(&key, DEVICE)).await;
    assert_eq!(r.status_code, 403);
}

/// A backup the Python functions stored under the path UUID as the device sent it (here
/// in mixed case) stays reachable: a GET with that path serves it while there is no
/// lowercase object, serves the newer lowercase one after a POST, and a DELETE removes
/// both keys, so that the old one cannot come back.
#[tokio::test]
async fn a_backup_stored_under_the_uuid_as_sent_is_served_until_replaced_and_deleted() {
    for layout in [Layout::Nested, Layout::Flat] {
        let api = api("as-sent", layout).await;
        let spelled = format!("{}{}", DEVICE[..9].to_uppercase(), &DEVICE[9..]);
        let key = device_key(16);
        api.register(&spelled, &key).await;
        let headers = || signed_as_sent(&key, &spelled);
        let legacy = ObjectKey::as_spelled(&spelled, layout).unwrap();
        let old = sealed(b"{\"written by\":\"python\"}");
        api.store
            .put(
                &legacy,
                old.clone().into(),
                &ffce_store::PutOptions::for_body(&old),
            )
            .await
            .expect("plant the old backup");

        let r = get_with(&api, &spelled, &headers()).await;
        assert_eq!(r.status_code, 200, "{layout:?}: {r:?}");
        assert_eq!(r.body, Some(Body::Binary(old.clone())), "{layout:?}");
        // The lowercase path is another device to the table, and has no fallback.
        let r = get_with(&api, DEVICE, &signed(&key, DEVICE)).await;
        assert_eq!(r.status_code, 401, "{layout:?}");

        let new = sealed(b"{\"written by\":\"ffce\"}");
        let r = send_to(&api, "POST", &spelled, &headers(), EventBody::Base64(&new)).await;
        assert_eq!(r.status_code, 200, "{layout:?}");
        let mut both = vec![api.key(DEVICE).as_string(), legacy.as_string()];
        both.sort();
        assert_eq!(api.keys().await, both, "{layout:?}");
        let r = get_with(&api, &spelled, &headers()).await;
        assert_eq!(r.body, Some(Body::Binary(new)), "{layout:?}");

        let r = send_to(&api, "DELETE", &spelled, &headers(), EventBody::None).await;
        assert_eq!(
            status_and_message(&r),
            (200, "Backup deleted".into()),
            "{layout:?}"
        );
        assert_eq!(api.keys().await, Vec::<String>::new(), "{layout:?}");
        let r = get_with(&api, &spelled, &headers()).await;
        assert_eq!(
            status_and_message(&r),
            (404, "No backup found for this device".into()),
            "{layout:?}"
        );
    }
}
