//! Each signed request is good once: the router records every verified request's nonce
//! in the nonce table (moto's DynamoDB) before it acts, and refuses the same headers
//! again on every route (401), whatever the method or the body; a failing table is a
//! 503 with nothing done. See `src/nonces.rs`.

mod common;

use std::sync::Arc;

use aws_lambda_events::apigw::ApiGatewayV2httpResponse;
use aws_sdk_dynamodb::types::AttributeValue;
use common::*;
use ffce_core::layout::{DeviceId, Layout};
use ffce_lambda::devices::DynamoDevices;
use ffce_lambda::nonces::{self, DynamoNonces, MemoryNonces, Nonces, Recorded};
use ffce_lambda::{App, NONCES_UNAVAILABLE_MESSAGE, REPLAYED_MESSAGE};

fn is_replay_refusal(r: &ApiGatewayV2httpResponse) -> bool {
    r.status_code == 401 && message(r) == REPLAYED_MESSAGE
}

async fn last_backup_date(api: &Api) -> Option<String> {
    api.item(DEVICE).await.last_backup_date
}

#[tokio::test]
async fn a_replay_is_refused_on_every_route_whatever_the_method_or_the_body() {
    let api = api_on_moto("replay", Layout::Nested).await;
    let key = device_key(31);
    api.register(DEVICE, &key).await;
    let first = sealed(b"{\"n\":1}");
    let other = sealed(b"{\"n\":2}");

    // A POST, then its four headers again: as the same POST, as a POST of another
    // body, as a GET and as a DELETE. Each is refused and changes nothing.
    let posted = signed(&key, DEVICE);
    let r = send_to(&api, "POST", DEVICE, &posted, EventBody::Base64(&first)).await;
    assert_eq!(r.status_code, 200, "{r:?}");
    let date = last_backup_date(&api).await.expect("the date is set");
    for (method, body) in [
        ("POST", EventBody::Base64(&first)),
        ("POST", EventBody::Base64(&other)),
        ("GET", EventBody::None),
        ("DELETE", EventBody::None),
    ] {
        let r = send_to(&api, method, DEVICE, &posted, body).await;
        assert!(is_replay_refusal(&r), "{method}: {r:?}");
    }
    assert_eq!(versions(&api, DEVICE).await, 1);
    assert_eq!(last_backup_date(&api).await.as_deref(), Some(date.as_str()));
    let r = get(&api, &key).await;
    assert_eq!(r.status_code, 200);

    // A GET's headers again: as a GET (the backup is not handed out twice) and as a
    // DELETE (the backup stays).
    let got = signed(&key, DEVICE);
    assert_eq!(get_with(&api, DEVICE, &got).await.status_code, 200);
    assert!(is_replay_refusal(&get_with(&api, DEVICE, &got).await));
    let r = send_to(&api, "DELETE", DEVICE, &got, EventBody::None).await;
    assert!(is_replay_refusal(&r), "{r:?}");
    assert_eq!(api.keys().await, vec![api.key(DEVICE).to_string()]);

    // A DELETE's headers again, as a POST: nothing is stored.
    let deleted = signed(&key, DEVICE);
    let r = send_to(&api, "DELETE", DEVICE, &deleted, EventBody::None).await;
    assert_eq!(r.status_code, 200);
    let r = send_to(&api, "POST", DEVICE, &deleted, EventBody::Base64(&other)).await;
    assert!(is_replay_refusal(&r), "{r:?}");
    assert_eq!(get(&api, &key).await.status_code, 404);
    assert_eq!(last_backup_date(&api).await, None);
}

#[tokio::test]
async fn a_replay_under_another_spelling_of_the_uuid_is_refused() {
    // The same device registered under both spellings (the Python functions keyed the
    // table as sent): a request to the lowercase path, replayed to the uppercase one
    // with `X-Device-UUID` rewritten (it is not signed), is still the same nonce.
    let api = api_on_moto("replay-case", Layout::Nested).await;
    let key = device_key(32);
    let upper = DEVICE.to_uppercase();
    api.register(DEVICE, &key).await;
    api.register(&upper, &key).await;
    let headers = signed(&key, DEVICE);
    assert_eq!(get_with(&api, DEVICE, &headers).await.status_code, 404);
    let mut as_upper = headers.clone();
    for (name, value) in &mut as_upper {
        if name.eq_ignore_ascii_case("X-Device-UUID") {
            *value = upper.clone();
        }
    }
    assert!(is_replay_refusal(&get_with(&api, &upper, &as_upper).await));
}

#[tokio::test]
async fn requests_refused_before_the_signature_verifies_leave_the_nonce_unused() {
    // Refused by the signature (another key), the window (a minute old) or the headers
    // (another device's UUID): the ledger is not touched, so an attacker cannot spend
    // a device's nonces, and the device's own request with that nonce goes through.
    let api = api_on_moto("replay-unsigned", Layout::Nested).await;
    let key = device_key(33);
    api.register(DEVICE, &key).await;
    let nonce = fresh_nonce();
    let now = device_auth_now();
    let forged = signed_with_nonce(&device_key(34), DEVICE, now, &nonce);
    assert_eq!(get_with(&api, DEVICE, &forged).await.status_code, 401);
    let stale = signed_with_nonce(&key, DEVICE, now - 60, &nonce);
    assert_eq!(get_with(&api, DEVICE, &stale).await.status_code, 401);
    let mut mismatched = signed_with_nonce(&key, DEVICE, now, &nonce);
    mismatched[0].1 = OTHER_DEVICE.to_string();
    assert_eq!(get_with(&api, DEVICE, &mismatched).await.status_code, 403);
    let items = api
        .moto()
        .dynamo
        .scan()
        .table_name(&api.moto().nonces_table)
        .send()
        .await
        .unwrap();
    assert_eq!(items.count, 0, "{:?}", items.items);
    let own = signed_with_nonce(&key, DEVICE, now, &nonce);
    assert_eq!(get_with(&api, DEVICE, &own).await.status_code, 404);
}

/// The ledger's entry: keyed by the hash of device and nonce (never the nonce), kept
/// until the request's time plus the window plus the margin.
#[tokio::test]
async fn the_entry_holds_no_nonce_and_expires_after_the_window() {
    let api = api_on_moto("replay-entry", Layout::Nested).await;
    let key = device_key(35);
    api.register(DEVICE, &key).await;
    let nonce = fresh_nonce();
    let at = device_auth_now();
    let r = get_with(&api, DEVICE, &signed_with_nonce(&key, DEVICE, at, &nonce)).await;
    assert_eq!(r.status_code, 404);
    let items = api
        .moto()
        .dynamo
        .scan()
        .table_name(&api.moto().nonces_table)
        .send()
        .await
        .unwrap()
        .items
        .unwrap();
    assert_eq!(items.len(), 1);
    let item = &items[0];
    let device = DeviceId::parse(DEVICE).unwrap();
    assert_eq!(
        item["id"].as_s().unwrap(),
        &nonces::ledger_key(&device, &nonce)
    );
    assert_eq!(
        item["expires_at"].as_n().unwrap(),
        &(at + 10 + nonces::MARGIN_SECS).to_string()
    );
    let text = format!("{item:?}");
    assert!(!text.contains(&hex_lower(&nonce)), "{text}");
    assert!(!text.contains(&signed_with_nonce(&key, DEVICE, at, &nonce)[1].1));
    // And which call wrote it (see `nonces::ATTEMPT_ATTRIBUTE`): nothing else.
    assert!(item[nonces::ATTEMPT_ATTRIBUTE].as_s().is_ok(), "{item:?}");
    assert_eq!(item.len(), 3, "{item:?}");
}

#[tokio::test]
async fn a_nonce_is_accepted_again_once_its_entry_has_expired() {
    // DynamoDB's TTL deletes an expired item some time later, not at once: an entry
    // past its `expires_at` but still in the table counts as absent.
    let api = api_on_moto("replay-expired", Layout::Nested).await;
    let key = device_key(36);
    api.register(DEVICE, &key).await;
    let nonce = fresh_nonce();
    let device = DeviceId::parse(DEVICE).unwrap();
    let now = device_auth_now();
    api.moto()
        .dynamo
        .put_item()
        .table_name(&api.moto().nonces_table)
        .item("id", AttributeValue::S(nonces::ledger_key(&device, &nonce)))
        .item("expires_at", AttributeValue::N((now - 1).to_string()))
        .send()
        .await
        .unwrap();
    let headers = signed_with_nonce(&key, DEVICE, now, &nonce);
    let blob = sealed(b"{}");
    let r = send_to(&api, "POST", DEVICE, &headers, EventBody::Base64(&blob)).await;
    assert_eq!(r.status_code, 200, "{r:?}");
    // Recorded anew: now it is a replay.
    let r = send_to(&api, "POST", DEVICE, &headers, EventBody::Base64(&blob)).await;
    assert!(is_replay_refusal(&r), "{r:?}");
    assert_eq!(versions(&api, DEVICE).await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_identical_requests_at_the_same_instant_succeed_exactly_once() {
    let api = Arc::new(api_on_moto("replay-race", Layout::Nested).await);
    let key = device_key(37);
    api.register(DEVICE, &key).await;
    let blob = sealed(b"{\"race\":true}");
    for round in 0..5 {
        let headers = signed(&key, DEVICE);
        let send = |method: &'static str| {
            let api = Arc::clone(&api);
            let headers = headers.clone();
            let blob = blob.clone();
            tokio::spawn(async move {
                let body = match method {
                    "POST" => EventBody::Base64(&blob),
                    _ => EventBody::None,
                };
                send_to(&api, method, DEVICE, &headers, body).await
            })
        };
        let method = if round % 2 == 0 { "POST" } else { "GET" };
        let (a, b) = (send(method), send(method));
        let (a, b) = (a.await.unwrap(), b.await.unwrap());
        let mut statuses = [a.status_code, b.status_code];
        statuses.sort();
        assert_eq!(statuses, [200, 401], "round {round} ({method})");
        let refused = if a.status_code == 401 { &a } else { &b };
        assert!(is_replay_refusal(refused), "{refused:?}");
    }
    // Three POST rounds, one version each.
    assert_eq!(versions(&api, DEVICE).await, 3);
}

/// The nonce table cannot answer (here: it does not exist): 503, retryable, and the
/// request does nothing: no object stored or deleted, `last_backup_date` untouched.
#[tokio::test]
async fn a_failing_nonce_table_is_503_and_nothing_is_written() {
    let api = api_on_moto("replay-503", Layout::Nested).await;
    let key = device_key(38);
    api.register(DEVICE, &key).await;
    let stored = sealed(b"{\"kept\":1}");
    assert_eq!(post(&api, &key, &stored, &[]).await.status_code, 200);
    let date = last_backup_date(&api).await.unwrap();

    let config = api.app.config().clone();
    let broken = App::new(
        config,
        Arc::new(api.moto().s3.clone()),
        Arc::new(DynamoDevices::new(
            api.moto().dynamo.clone(),
            api.moto().table.clone(),
        )),
    )
    .with_nonces(Arc::new(DynamoNonces::new(
        api.moto().dynamo.clone(),
        "ffce-no-such-nonce-table",
    )));
    let other = sealed(b"{\"lost\":1}");
    for (method, body) in [
        ("POST", EventBody::Base64(&other)),
        ("DELETE", EventBody::None),
        ("GET", EventBody::None),
    ] {
        let fixture = if method == "POST" {
            "post-base64.json"
        } else {
            "get.json"
        };
        let e = event(
            fixture,
            method,
            &backup_path(DEVICE),
            &signed(&key, DEVICE),
            body,
        );
        let r = broken.handle_event(e, "test-request").await;
        assert_eq!(
            status_and_message(&r),
            (503, NONCES_UNAVAILABLE_MESSAGE.to_string()),
            "{method}"
        );
        assert_eq!(header(&r, "retry-after"), Some("1"));
    }
    assert_eq!(versions(&api, DEVICE).await, 1);
    assert_eq!(api.keys().await, vec![api.key(DEVICE).to_string()]);
    assert_eq!(last_backup_date(&api).await, Some(date));
}

/// Both ledgers answer alike: the DynamoDB table (on moto) and the in-memory one.
#[tokio::test]
async fn the_dynamodb_and_memory_ledgers_agree() {
    let api = api_on_moto("replay-ledgers", Layout::Nested).await;
    let dynamo: Arc<dyn Nonces> = Arc::new(DynamoNonces::new(
        api.moto().dynamo.clone(),
        api.moto().nonces_table.clone(),
    ));
    let memory: Arc<dyn Nonces> = Arc::new(MemoryNonces::new());
    let device = DeviceId::parse(DEVICE).unwrap();
    let other = DeviceId::parse(OTHER_DEVICE).unwrap();
    let now = device_auth_now();
    for ledger in [dynamo, memory] {
        let nonce = fresh_nonce();
        let old = fresh_nonce();
        let record = |d: &DeviceId, n: &[u8; 32], at: i64| {
            let (ledger, d, n) = (Arc::clone(&ledger), *d, *n);
            async move { ledger.record(&d, &n, at).await.unwrap() }
        };
        assert_eq!(record(&device, &nonce, now + 70).await, Recorded::Fresh);
        assert_eq!(record(&device, &nonce, now + 70).await, Recorded::Replayed);
        assert_eq!(record(&other, &nonce, now + 70).await, Recorded::Fresh);
        assert_eq!(record(&device, &old, now - 1).await, Recorded::Fresh);
        assert_eq!(record(&device, &old, now + 70).await, Recorded::Fresh);
        assert_eq!(record(&device, &old, now + 70).await, Recorded::Replayed);
    }
}

/// An app with no ledger accepts the same headers twice: what `DYNAMODB_NONCES_TABLE_NAME`
/// unset means (the binary says so at start-up; see tests/binary.rs).
#[tokio::test]
async fn without_a_ledger_a_replay_is_accepted() {
    let api = api_on_moto("replay-off", Layout::Nested).await;
    let key = device_key(39);
    api.register(DEVICE, &key).await;
    let config = api.app.config().clone();
    let open = App::new(
        config,
        Arc::new(api.moto().s3.clone()),
        Arc::new(DynamoDevices::new(
            api.moto().dynamo.clone(),
            api.moto().table.clone(),
        )),
    );
    assert!(!open.refuses_replays() && api.app.refuses_replays());
    let headers = signed(&key, DEVICE);
    for _ in 0..2 {
        let e = event(
            "get.json",
            "GET",
            &backup_path(DEVICE),
            &headers,
            EventBody::None,
        );
        assert_eq!(open.handle_event(e, "test-request").await.status_code, 404);
    }
}
