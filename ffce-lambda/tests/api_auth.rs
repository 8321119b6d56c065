//! Handler-level tests of what comes before a route's work, and around it: device
//! authentication (the device table, the four signed headers, the table's public key),
//! paths and methods, S3 faults, and the request's time budget. API Gateway HTTP API
//! (payload 2.0) events from `tests/events/` run through the shared router
//! (`App::handle_event`), on the in-memory store and table (`api`), on apps whose AWS
//! clients point at a closed or silent port, and, for S3 faults, on the moto server
//! (`api_on_moto`); see `common/mod.rs`.

mod common;

use std::sync::Arc;

use common::*;
use ffce_core::layout::Layout;
use ffce_lambda::devices::DynamoDevices;
use ffce_lambda::{App, Config};
use ffce_store::StoreError;

// ---------------------------------------------------------------------------------
// Authentication and routing
// ---------------------------------------------------------------------------------

#[tokio::test]
async fn unregistered_device_is_401_before_any_header_check() {
    let api = api("unregistered", Layout::Nested).await;
    api.register(OTHER_DEVICE, &device_key(10)).await;
    for method in ["POST", "GET", "DELETE"] {
        let r = api
            .send(event(
                "post-base64.json",
                method,
                &backup_path(DEVICE),
                &[],
                EventBody::Base64(b"FFCE"),
            ))
            .await;
        assert_eq!(
            status_and_message(&r),
            (401, "Device not registered".into()),
            "{method}"
        );
    }
}

#[tokio::test]
async fn device_authentication_refusals() {
    let api = api("auth", Layout::Nested).await;
    let key = device_key(11);
    api.register(DEVICE, &key).await;
    let blob = sealed(b"{}");
    let send = |headers: Vec<(String, String)>| {
        let api = &api;
        let blob = &blob;
        async move {
            api.send(event(
                "post-base64.json",
                "POST",
                &backup_path(DEVICE),
                &headers,
                EventBody::Base64(blob),
            ))
            .await
        }
    };
    // Registered, but no headers: 400 naming the first missing one.
    let r = send(vec![]).await;
    assert_eq!(
        status_and_message(&r),
        (400, "Missing authentication header X-Device-UUID".into())
    );
    // Signed by another key.
    let r = send(signed(&device_key(12), DEVICE)).await;
    assert_eq!(status_and_message(&r), (401, "Invalid signature".into()));
    // Another device's UUID in the header.
    let mut h = signed(&key, DEVICE);
    h[0].1 = OTHER_DEVICE.to_string();
    assert_eq!(send(h).await.status_code, 403);
    // A minute old, and a minute ahead: outside the ±10 s window. Not ±11: the server
    // reads its clock after the test does, and one second ticking between the two turns
    // "11 s ahead" into 10 s, which is accepted (CI saw exactly that). The exact edge is
    // tested with a fixed clock in ffce-core's `the_window_is_ten_seconds_either_way`.
    let now = device_auth_now();
    for at in [now - 60, now + 60] {
        let r = send(signed_at(&key, DEVICE, at)).await;
        assert_eq!(r.status_code, 401);
        assert!(message(&r).contains("at most 10 s"), "{}", message(&r));
    }
    assert!(matches!(
        api.store.get(&api.key(DEVICE), None).await,
        Err(StoreError::NotFound { .. })
    ));
    // The table's public key is not a P-256 point: a server fault.
    api.register_raw(OTHER_DEVICE, "AAAA").await;
    let r = get_with(&api, OTHER_DEVICE, &signed(&key, OTHER_DEVICE)).await;
    assert_eq!(
        status_and_message(&r),
        (500, "Internal server error".into())
    );
}

/// An app whose clients point at a closed port: any AWS call fails.
async fn unreachable_app() -> App {
    isolate_process();
    let dead = "http://127.0.0.1:9";
    let store = s3_store(dead, "no-such-bucket".into()).await;
    let devices = DynamoDevices::new(dynamo_client(dead).await, "no-such-table");
    let config = Config {
        bucket: "no-such-bucket".into(),
        table: "no-such-table".into(),
        layout: Layout::Nested,
        nonces_table: None,
    };
    App::new(config, Arc::new(store), Arc::new(devices))
}

#[tokio::test]
async fn invalid_uuid_is_400_before_any_aws_call() {
    let app = unreachable_app().await;
    for bad in [
        "3f2504e0-4f89-41d3-9a0c-0305e82c330",
        "3f2504e04f8941d39a0c0305e82c3301",
        "{3f2504e0-4f89-41d3-9a0c-0305e82c3301}",
        "3f2504e0-4f89-41d3-9a0c-0305e82c330g",
    ] {
        let r = app
            .handle_event(
                event("get.json", "GET", &backup_path(bad), &[], EventBody::None),
                "t",
            )
            .await;
        assert_eq!(r.status_code, 400, "{bad}");
        assert!(
            message(&r).starts_with("Invalid device UUID: not a device UUID"),
            "{}",
            message(&r)
        );
    }
    // The control: a valid UUID does reach AWS, which is not there.
    let r = app
        .handle_event(
            event(
                "get.json",
                "GET",
                &backup_path(DEVICE),
                &[],
                EventBody::None,
            ),
            "t",
        )
        .await;
    assert_eq!(
        status_and_message(&r),
        (500, "Internal server error".into())
    );
}

#[tokio::test]
async fn other_paths_are_404_and_other_methods_405_without_aws_calls() {
    let app = unreachable_app().await;
    for path in [
        "/",
        "/devices",
        &format!("/devices/{DEVICE}"),
        &format!("/devices/{DEVICE}/backup/x"),
    ] {
        let r = app
            .handle_event(event("get.json", "GET", path, &[], EventBody::None), "t")
            .await;
        assert_eq!(status_and_message(&r), (404, "Not found".into()), "{path}");
    }
    for method in ["PUT", "PATCH", "HEAD"] {
        let r = app
            .handle_event(
                event(
                    "get.json",
                    method,
                    &backup_path(DEVICE),
                    &[],
                    EventBody::None,
                ),
                "t",
            )
            .await;
        assert_eq!(
            status_and_message(&r),
            (405, "Method not allowed".into()),
            "{method}"
        );
        assert_eq!(header(&r, "allow"), Some("GET, POST, DELETE"));
    }
}

#[tokio::test]
async fn s3_faults_other_than_a_missing_object_are_500() {
    let api = api_on_moto("s3-fault", Layout::Nested).await;
    let key = device_key(14);
    api.register(DEVICE, &key).await;
    // The same device table, but a bucket that does not exist: NoSuchBucket is a fault
    // of the deployment, not "no backup".
    let moto = api.moto();
    let (client, name) = (&moto.dynamo, &moto.table);
    let missing = s3_store(&s3_endpoint(), unique("no-bucket")).await;
    let app = App::new(
        Config {
            bucket: missing.bucket().to_string(),
            table: name.clone(),
            layout: Layout::Nested,
            nonces_table: None,
        },
        Arc::new(missing),
        Arc::new(DynamoDevices::new(client.clone(), name.clone())),
    );
    let r = app
        .handle_event(
            event(
                "get.json",
                "GET",
                &backup_path(DEVICE),
                &signed(&key, DEVICE),
                EventBody::None,
            ),
            "t",
        )
        .await;
    assert_eq!(
        status_and_message(&r),
        (500, "Failed to read the backup".into())
    );
    let r = app
        .handle_event(
            event(
                "post-base64.json",
                "POST",
                &backup_path(DEVICE),
                &signed(&key, DEVICE),
                EventBody::Base64(&sealed(b"{}")),
            ),
            "t",
        )
        .await;
    assert_eq!(
        status_and_message(&r),
        (500, "Failed to store the backup".into())
    );
    // Nothing stored, so no last_backup_date either.
    assert_eq!(api.item(DEVICE).await.last_backup_date, None);
}

/// A request still waiting for AWS when its time budget runs out is answered 503 (with
/// `Retry-After`) while the function still runs, rather than cut off by Lambda's 15 s
/// timeout with no answer and no log line of ours. Here the device table's endpoint
/// accepts connections and never answers, and the test client has no timeouts of its
/// own: only the budget ends the request.
#[tokio::test]
async fn a_request_still_waiting_when_its_time_budget_runs_out_is_503() {
    let api = api("budget", Layout::Nested).await;
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let silent_url = format!("http://{}", silent.local_addr().unwrap());
    let holder = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = silent.accept().await {
            held.push(stream);
        }
    });
    // A DynamoDB client with dummy credentials, pointed at the silent endpoint.
    isolate_process();
    let app = App::new(
        api.app.config().clone(),
        api.store.clone(),
        Arc::new(DynamoDevices::new(
            dynamo_client(&silent_url).await,
            "devices",
        )),
    )
    .with_time_budget(std::time::Duration::from_millis(700));
    let started = std::time::Instant::now();
    let r = app
        .handle_event(
            event(
                "get.json",
                "GET",
                &backup_path(DEVICE),
                &signed(&device_key(15), DEVICE),
                EventBody::None,
            ),
            "t",
        )
        .await;
    let took = started.elapsed();
    holder.abort();
    assert_eq!(
        status_and_message(&r),
        (503, ffce_lambda::OUT_OF_TIME_MESSAGE.into())
    );
    assert_eq!(header(&r, "retry-after"), Some("1"));
    assert!(took < std::time::Duration::from_secs(5), "{took:?}");
    assert_eq!(ffce_lambda::TIME_BUDGET, std::time::Duration::from_secs(13));
}
