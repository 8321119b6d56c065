//! The harness of the handler-level tests: a fresh store, device table and nonce ledger
//! per test, in memory ([`api`]: `MemoryStore`, `MemoryDevices`, `MemoryNonces`) or on the
//! moto server ([`api_on_moto`]: S3 and DynamoDB on one endpoint,
//! `FFCE_TEST_S3_ENDPOINT`, exported by `scripts/test.sh`; without it those tests fail,
//! saying so, and never skip), device keys and signed headers, and API Gateway v2 events
//! from `tests/events/`.
#![allow(dead_code, unused_imports)] // each test binary uses a different subset

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

use aws_lambda_events::apigw::{ApiGatewayV2httpRequest, ApiGatewayV2httpResponse};
use aws_lambda_events::encodings::Body;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, KeySchemaElement, KeyType,
    ScalarAttributeType,
};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use ffce_core::device_auth::{self, DeviceSigningKey};
use ffce_core::{
    MasterSecret, Purpose,
    layout::{DeviceId, Layout, ObjectKey},
};
use ffce_lambda::devices::{DeviceItem, DynamoDevices, MemoryDevices};
use ffce_lambda::nonces::{DynamoNonces, MemoryNonces};
use ffce_lambda::{App, Config};
use ffce_store::{MemoryStore, PlaintextDigest, S3Config, S3Store, Store, StoreError};
use serde_json::{Value, json};
use sha2::Digest as _;

pub const DEVICE: &str = "3f2504e0-4f89-41d3-9a0c-0305e82c3301";
pub const OTHER_DEVICE: &str = "9b2c1d4e-5f60-4a7b-8c9d-0e1f2a3b4c5d";

// ---------------------------------------------------------------------------------
// Harness
// ---------------------------------------------------------------------------------

pub use ffce_test_support::{isolate_process, s3_endpoint};

pub static COUNTER: AtomicU32 = AtomicU32::new(0);

pub fn unique(tag: &str) -> String {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!("ffce-api-{tag}-{}-{n}-{nanos}", std::process::id())
}

/// The app under test on a fresh store, device table and nonce ledger, and handles to
/// look behind it.
pub struct Api {
    pub app: App,
    pub store: Arc<dyn Store>,
    pub layout: Layout,
    pub backend: Backend,
}

/// What an [`Api`] runs on.
pub enum Backend {
    /// `MemoryStore`, `MemoryDevices` and `MemoryNonces`.
    Memory(Arc<MemoryDevices>),
    /// A bucket and tables on the moto server (boxed: the clients are most of an
    /// `Api`'s size).
    Moto(Box<Moto>),
}

/// The moto server's bucket and tables behind an [`Api`].
pub struct Moto {
    pub s3: S3Store,
    pub dynamo: aws_sdk_dynamodb::Client,
    pub table: String,
    /// The nonce table the app records every accepted request's nonce in.
    pub nonces_table: String,
}

pub async fn dynamo_client(endpoint: &str) -> aws_sdk_dynamodb::Client {
    let sdk = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region(aws_config::Region::new("us-east-1"))
        .load()
        .await;
    aws_sdk_dynamodb::Client::new(&sdk)
}

pub async fn s3_store(endpoint: &str, bucket: String) -> S3Store {
    let config = S3Config {
        endpoint_url: Some(endpoint.to_string()),
        region: Some("us-east-1".into()),
        max_attempts: 1,
        ..S3Config::new(bucket)
    };
    S3Store::connect(&config).await.expect("an S3 client")
}

/// The app on a new `MemoryStore`, `MemoryDevices` table and `MemoryNonces` ledger: no
/// server. Replay protection is on, as deployed.
pub async fn api(_tag: &str, layout: Layout) -> Api {
    let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
    let devices = Arc::new(MemoryDevices::new());
    let config = Config {
        bucket: "memory".into(),
        table: "memory".into(),
        layout,
        nonces_table: None,
    };
    let app = App::new(config, Arc::clone(&store), devices.clone())
        .with_nonces(Arc::new(MemoryNonces::new()));
    Api {
        app,
        store,
        layout,
        backend: Backend::Memory(devices),
    }
}

/// The app on a new bucket, device table and nonce table of the moto server.
pub async fn api_on_moto(tag: &str, layout: Layout) -> Api {
    let endpoint = s3_endpoint();
    isolate_process();
    let store = s3_store(&endpoint, unique(tag)).await;
    store
        .create_provisioned(None)
        .await
        .unwrap_or_else(|e| panic!("create bucket {}: {e}", store.bucket()));
    let dynamo = dynamo_client(&endpoint).await;
    let table = unique(tag);
    create_table(&dynamo, &table, "uuid").await;
    // Every request of these tests is signed with a fresh nonce, so they pass with
    // replay protection on, as deployed.
    let nonces_table = unique(&format!("{tag}-nonces"));
    create_table(&dynamo, &nonces_table, "id").await;
    let config = Config {
        bucket: store.bucket().to_string(),
        table: table.clone(),
        layout,
        nonces_table: Some(nonces_table.clone()),
    };
    let app = App::new(
        config,
        Arc::new(store.clone()),
        Arc::new(DynamoDevices::new(dynamo.clone(), table.clone())),
    )
    .with_nonces(Arc::new(DynamoNonces::new(
        dynamo.clone(),
        nonces_table.clone(),
    )));
    Api {
        app,
        store: Arc::new(store.clone()),
        layout,
        backend: Backend::Moto(Box::new(Moto {
            s3: store,
            dynamo,
            table,
            nonces_table,
        })),
    }
}

/// A DynamoDB table with one string partition key `key`, on demand.
pub async fn create_table(dynamo: &aws_sdk_dynamodb::Client, table: &str, key: &str) {
    dynamo
        .create_table()
        .table_name(table)
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name(key)
                .attribute_type(ScalarAttributeType::S)
                .build()
                .unwrap(),
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name(key)
                .key_type(KeyType::Hash)
                .build()
                .unwrap(),
        )
        .billing_mode(BillingMode::PayPerRequest)
        .send()
        .await
        .unwrap_or_else(|e| panic!("create table {table}: {e:?}"));
}

impl Api {
    /// The moto server's bucket and tables (an [`api_on_moto`] app).
    pub fn moto(&self) -> &Moto {
        match &self.backend {
            Backend::Moto(moto) => moto,
            Backend::Memory(_) => panic!("this test needs api_on_moto, not the in-memory api"),
        }
    }

    /// Registers device `uuid` with its public key.
    pub async fn register(&self, uuid: &str, key: &DeviceSigningKey) {
        self.register_raw(uuid, &key.public_key().to_table_base64())
            .await;
    }

    /// Puts an item whose `public_key` is any text.
    pub async fn register_raw(&self, uuid: &str, public_key: &str) {
        match &self.backend {
            Backend::Memory(devices) => devices.register(uuid, public_key),
            Backend::Moto(moto) => {
                moto.dynamo
                    .put_item()
                    .table_name(&moto.table)
                    .item("uuid", AttributeValue::S(uuid.to_string()))
                    .item("public_key", AttributeValue::S(public_key.to_string()))
                    .send()
                    .await
                    .expect("register the device");
            }
        }
    }

    /// The item of a registered device.
    pub async fn item(&self, uuid: &str) -> DeviceItem {
        match &self.backend {
            Backend::Memory(devices) => devices.item(uuid).expect("the device item exists"),
            Backend::Moto(moto) => {
                let item = moto
                    .dynamo
                    .get_item()
                    .table_name(&moto.table)
                    .key("uuid", AttributeValue::S(uuid.to_string()))
                    .consistent_read(true)
                    .send()
                    .await
                    .expect("read the device item")
                    .item
                    .expect("the device item exists");
                let text = |name: &str| item.get(name).and_then(|v| v.as_s().ok()).cloned();
                DeviceItem {
                    public_key: text("public_key"),
                    last_backup_date: text("last_backup_date"),
                    generation: item
                        .get("backup_generation")
                        .and_then(|v| v.as_n().ok())
                        .and_then(|n| n.parse().ok()),
                }
            }
        }
    }

    /// Every key in the store, in key order.
    pub async fn keys(&self) -> Vec<String> {
        let listed = self.store.list().await.expect("list the store");
        listed.into_iter().map(|e| e.key).collect()
    }

    pub fn key(&self, uuid: &str) -> ObjectKey {
        ObjectKey::new(DeviceId::parse(uuid).unwrap(), self.layout)
    }

    pub async fn send(&self, event: ApiGatewayV2httpRequest) -> ApiGatewayV2httpResponse {
        self.app.handle_event(event, "test-request").await
    }
}

pub fn device_key(seed: u8) -> DeviceSigningKey {
    DeviceSigningKey::from_scalar_bytes(&[seed; 32]).expect("a valid scalar")
}

/// The four signed headers a device sends now.
pub fn signed(key: &DeviceSigningKey, uuid: &str) -> Vec<(String, String)> {
    signed_at(key, uuid, device_auth_now())
}

/// The four signed headers, with `X-Device-UUID` spelled as `as_sent` (any case of the
/// device's UUID), as a device that sends its UUID in uppercase does.
pub fn signed_as_sent(key: &DeviceSigningKey, as_sent: &str) -> Vec<(String, String)> {
    let mut headers = signed(key, as_sent);
    let uuid = headers
        .iter_mut()
        .find(|(name, _)| name.eq_ignore_ascii_case("X-Device-UUID"))
        .expect("an X-Device-UUID header");
    uuid.1 = as_sent.to_string();
    headers
}

pub fn device_auth_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

pub fn signed_at(key: &DeviceSigningKey, uuid: &str, unix_secs: i64) -> Vec<(String, String)> {
    signed_with_nonce(key, uuid, unix_secs, &fresh_nonce())
}

/// A nonce no other request of this test process uses.
pub fn fresh_nonce() -> [u8; 32] {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let mut nonce = [0x5a; 32];
    nonce[..4].copy_from_slice(&n.to_be_bytes());
    nonce[4..8].copy_from_slice(&std::process::id().to_be_bytes());
    nonce
}

/// The four signed headers with the nonce given.
pub fn signed_with_nonce(
    key: &DeviceSigningKey,
    uuid: &str,
    unix_secs: i64,
    nonce: &[u8; 32],
) -> Vec<(String, String)> {
    let timestamp = device_auth::format_timestamp(unix_secs);
    key.sign(&DeviceId::parse(uuid).unwrap(), nonce, &timestamp)
        .pairs()
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// How an event carries its body.
pub enum EventBody<'a> {
    None,
    Base64(&'a [u8]),
    Plain(&'a str),
    /// `isBase64Encoded: true` with this text as it stands.
    RawBase64(&'a str),
}

/// An event from a fixture, with its method, path and headers replaced.
pub fn event(
    fixture: &str,
    method: &str,
    path: &str,
    headers: &[(String, String)],
    body: EventBody<'_>,
) -> ApiGatewayV2httpRequest {
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/events")
            .join(fixture),
    )
    .expect("read the fixture");
    let mut e: Value = serde_json::from_str(&text).expect("fixture JSON");
    e["rawPath"] = json!(path);
    e["requestContext"]["http"]["path"] = json!(path);
    e["requestContext"]["http"]["method"] = json!(method);
    e["routeKey"] = json!(format!("{method} /devices/{{uuid}}/backup"));
    for (name, value) in headers {
        e["headers"][name.to_ascii_lowercase()] = json!(value);
    }
    match body {
        EventBody::None => {
            e.as_object_mut().unwrap().remove("body");
            e["isBase64Encoded"] = json!(false);
        }
        EventBody::Base64(bytes) => {
            e["body"] = json!(BASE64.encode(bytes));
            e["isBase64Encoded"] = json!(true);
        }
        EventBody::Plain(text) => {
            e["body"] = json!(text);
            e["isBase64Encoded"] = json!(false);
        }
        EventBody::RawBase64(text) => {
            e["body"] = json!(text);
            e["isBase64Encoded"] = json!(true);
        }
    }
    serde_json::from_value(e).expect("an API Gateway v2 event")
}

pub fn backup_path(uuid: &str) -> String {
    format!("/devices/{uuid}/backup")
}

/// `plaintext` sealed with a fixed test key.
pub fn sealed(plaintext: &[u8]) -> Vec<u8> {
    MasterSecret::from_bytes([0x11; 32])
        .derive(Purpose::Backup)
        .seal(plaintext)
        .expect("seal")
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex_lower(&sha2::Sha256::digest(bytes))
}

pub fn hex_lower(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub fn header<'a>(r: &'a ApiGatewayV2httpResponse, name: &str) -> Option<&'a str> {
    r.headers.get(name).and_then(|v| v.to_str().ok())
}

/// The JSON body of an answer, after checking its content type.
pub fn json_body(r: &ApiGatewayV2httpResponse) -> Value {
    assert_eq!(header(r, "content-type"), Some("application/json"), "{r:?}");
    assert!(!r.is_base64_encoded);
    match &r.body {
        Some(Body::Text(t)) => serde_json::from_str(t).expect("a JSON body"),
        other => panic!("expected a text body, got {other:?}"),
    }
}

pub fn message(r: &ApiGatewayV2httpResponse) -> String {
    json_body(r)["message"]
        .as_str()
        .expect("a message")
        .to_string()
}

pub fn status_and_message(r: &ApiGatewayV2httpResponse) -> (i64, String) {
    (r.status_code, message(r))
}

pub fn auth_headers_with(
    key: &DeviceSigningKey,
    uuid: &str,
    extra: &[(&str, &str)],
) -> Vec<(String, String)> {
    let mut h = signed(key, uuid);
    h.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    h
}

pub async fn post(
    api: &Api,
    key: &DeviceSigningKey,
    blob: &[u8],
    extra: &[(&str, &str)],
) -> ApiGatewayV2httpResponse {
    api.send(event(
        "post-base64.json",
        "POST",
        &backup_path(DEVICE),
        &auth_headers_with(key, DEVICE, extra),
        EventBody::Base64(blob),
    ))
    .await
}

pub async fn get(api: &Api, key: &DeviceSigningKey) -> ApiGatewayV2httpResponse {
    get_with(api, DEVICE, &signed(key, DEVICE)).await
}

/// A GET of `/devices/{path_uuid}/backup` with `headers` as given (any spelling of the
/// UUID, any signer).
pub async fn get_with(
    api: &Api,
    path_uuid: &str,
    headers: &[(String, String)],
) -> ApiGatewayV2httpResponse {
    send_to(api, "GET", path_uuid, headers, EventBody::None).await
}

pub async fn delete(api: &Api, key: &DeviceSigningKey) -> ApiGatewayV2httpResponse {
    send_to(api, "DELETE", DEVICE, &signed(key, DEVICE), EventBody::None).await
}

/// `method` on `/devices/{path_uuid}/backup` with `headers` and `body` as given.
pub async fn send_to(
    api: &Api,
    method: &str,
    path_uuid: &str,
    headers: &[(String, String)],
    body: EventBody<'_>,
) -> ApiGatewayV2httpResponse {
    let fixture = match body {
        EventBody::None => "get.json",
        _ => "post-base64.json",
    };
    api.send(event(
        fixture,
        method,
        &backup_path(path_uuid),
        headers,
        body,
    ))
    .await
}

/// The stored object's versions (the bucket is versioned): how many writes happened.
pub async fn versions(api: &Api, uuid: &str) -> usize {
    api.store
        .versioned()
        .expect("a versioned store")
        .list_versions(&api.key(uuid))
        .await
        .expect("list versions")
        .len()
}

pub fn is_utc_second(text: &str) -> bool {
    device_auth::parse_timestamp(text).is_ok() && text.len() == 20 && text.ends_with('Z')
}
