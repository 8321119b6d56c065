//! The router and the three handlers of docs/SPEC.md §7, shared by the Lambda function and
//! `--listen`: one [`App`] per process (configuration and clients built once), one
//! [`App::handle`] per request, one JSON log line per request.

use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_lambda_events::apigw::{ApiGatewayV2httpRequest, ApiGatewayV2httpResponse};
use bytes::Bytes;
use ffce_core::{
    layout::{CONTENT_TYPE, ObjectKey},
    upload::validate_upload_bytes,
};
use ffce_store::{
    DeleteOptions, GetOptions, PlaintextDigest, PutOptions, S3Config, S3Store, Store, StoreError,
};
use http::{HeaderValue, Method, StatusCode, header};

use crate::config::Config;
use crate::devices::{DeviceTable, DynamoDevices, Lookup, Update};
use crate::event::{UndecodableBody, request_from_event, response_to_event};
use crate::nonces::{self, DynamoNonces, Nonces, Recorded};
use crate::reply::{self, Refusal, Request, Response, etag_value};
use crate::{auth, logging};

/// The function: its configuration, the bucket, the device table and the nonce ledger,
/// built once per process. Any [`Store`] and [`DeviceTable`] serve: the deployment's S3
/// bucket and DynamoDB table ([`App::connect`]), or in-memory ones
/// (`ffce_store::MemoryStore`, [`MemoryDevices`](crate::devices::MemoryDevices)) for
/// tests.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use std::sync::Arc;
/// use ffce_core::layout::Layout;
/// use ffce_lambda::devices::MemoryDevices;
/// use ffce_lambda::{App, Config};
/// use ffce_store::MemoryStore;
///
/// let config = Config {
///     bucket: "b".into(),
///     table: "t".into(),
///     nonces_table: None,
///     layout: Layout::Nested,
/// };
/// let app = App::new(config, Arc::new(MemoryStore::new()), Arc::new(MemoryDevices::new()));
/// let request = http::Request::get("/devices/3f2504e0-4f89-41d3-9a0c-0305e82c3301/backup")
///     .body(bytes::Bytes::new())
///     .unwrap();
/// // No such device in the table.
/// assert_eq!(app.handle(request, "example").await.status(), 401);
/// # }
/// ```
#[derive(Clone)]
pub struct App {
    config: Config,
    store: Arc<dyn Store>,
    devices: Arc<dyn DeviceTable>,
    /// The nonce ledger; `None`: replays are not refused.
    nonces: Option<Arc<dyn Nonces>>,
    /// How long one request may take before it is answered 503 ([`TIME_BUDGET`]).
    budget: Duration,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App")
            .field("config", &self.config)
            .field("store", &self.store.to_string())
            .field("nonces", &self.nonces)
            .field("budget", &self.budget)
            .finish_non_exhaustive()
    }
}

/// How long one request may take, from routing to its answer: Lambda stops the function
/// at 15 s (and API Gateway then answers for it, with no log line of ours), so a request
/// still waiting after 13 s is answered 503 ([`OUT_OF_TIME_MESSAGE`]) while there is time.
pub const TIME_BUDGET: Duration = Duration::from_secs(13);
/// The 503 message of a request that ran out of its [`TIME_BUDGET`].
pub const OUT_OF_TIME_MESSAGE: &str =
    "The request took too long (AWS is slow to answer); try again with a fresh nonce";
/// One DynamoDB attempt (device lookup, nonce record, date update) is abandoned after
/// this and retried (the SDK's standard retries, three attempts)...
pub const DYNAMODB_ATTEMPT_TIMEOUT: Duration = Duration::from_secs(2);
/// ... and the call, retries included, after this: a single-digit-millisecond call
/// that takes seconds will not answer in the budget.
pub const DYNAMODB_TIMEOUT: Duration = Duration::from_secs(5);

/// The 401 message of a replayed request.
pub const REPLAYED_MESSAGE: &str =
    "Request already used: sign each request with a fresh X-Device-Nonce";
/// The 503 message when the nonce ledger cannot answer.
pub const NONCES_UNAVAILABLE_MESSAGE: &str =
    "Cannot check the request for a replay now; try again with a fresh nonce";

/// A client could not be built at start-up.
#[derive(Debug)]
pub struct StartError(pub String);

impl std::fmt::Display for StartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for StartError {}

impl App {
    /// Builds the S3 and DynamoDB clients for `config` from the AWS environment
    /// (region, credentials, `AWS_ENDPOINT_URL`). No request is made.
    pub async fn connect(config: Config) -> Result<App, StartError> {
        let s3 = S3Config {
            // Lambda's 15 s budget: a stalled attempt is abandoned after 5 s and retried.
            attempt_timeout: std::time::Duration::from_secs(5),
            timeout: Some(std::time::Duration::from_secs(12)),
            ..S3Config::new(config.bucket.clone())
        };
        let store = S3Store::connect(&s3)
            .await
            .map_err(|e| StartError(format!("S3: {e}")))?;
        let timeouts = aws_config::timeout::TimeoutConfig::builder()
            .connect_timeout(Duration::from_secs(2))
            .operation_attempt_timeout(DYNAMODB_ATTEMPT_TIMEOUT)
            .operation_timeout(DYNAMODB_TIMEOUT)
            .build();
        let sdk = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .timeout_config(timeouts)
            .load()
            .await;
        let dynamodb = aws_sdk_dynamodb::Client::new(&sdk);
        let nonces = config
            .nonces_table
            .clone()
            .map(|table| Arc::new(DynamoNonces::new(dynamodb.clone(), table)) as Arc<dyn Nonces>);
        let devices = DynamoDevices::new(dynamodb, config.table.clone());
        let app = App::new(config, Arc::new(store), Arc::new(devices));
        Ok(match nonces {
            Some(nonces) => app.with_nonces(nonces),
            None => app,
        })
    }

    /// An app on a store and a device table built elsewhere, without a nonce ledger (see
    /// [`App::with_nonces`]).
    pub fn new(config: Config, store: Arc<dyn Store>, devices: Arc<dyn DeviceTable>) -> App {
        App {
            config,
            store,
            devices,
            nonces: None,
            budget: TIME_BUDGET,
        }
    }

    /// The same app, answering 503 to a request not done within `budget` (instead of
    /// [`TIME_BUDGET`]).
    pub fn with_time_budget(self, budget: Duration) -> App {
        App { budget, ..self }
    }

    /// The same app, refusing replayed requests with `nonces` as its ledger.
    pub fn with_nonces(self, nonces: Arc<dyn Nonces>) -> App {
        App {
            nonces: Some(nonces),
            ..self
        }
    }

    /// Whether a replayed request is refused (a nonce ledger is configured).
    pub fn refuses_replays(&self) -> bool {
        self.nonces.is_some()
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Answers one API Gateway v2 event (Lambda mode); `request_id` is Lambda's.
    pub async fn handle_event(
        &self,
        event: ApiGatewayV2httpRequest,
        request_id: &str,
    ) -> ApiGatewayV2httpResponse {
        response_to_event(self.handle(request_from_event(event), request_id).await)
    }

    /// Answers one request and logs one line about it (see [`logging`]).
    pub async fn handle(&self, request: Request, request_id: &str) -> Response {
        let started = Instant::now();
        let method = request.method().clone();
        let (route, device, response) = self.route(&request, request_id).await;
        logging::request_line(&logging::RequestLine {
            request_id,
            method: method.as_str(),
            route,
            device: device.as_deref(),
            status: response.status().as_u16(),
            duration_ms: started.elapsed().as_secs_f64() * 1000.0,
        });
        response
    }

    /// The route's name for the log, the device (once its UUID is valid) and the answer.
    async fn route(
        &self,
        request: &Request,
        request_id: &str,
    ) -> (&'static str, Option<String>, Response) {
        let Some(path_uuid) = backup_path_uuid(request.uri().path()) else {
            return ("unmatched", None, reply::message(404, "Not found"));
        };
        let route = match *request.method() {
            Method::POST => "POST /devices/{uuid}/backup",
            Method::GET => "GET /devices/{uuid}/backup",
            Method::DELETE => "DELETE /devices/{uuid}/backup",
            _ => {
                let mut response = reply::message(405, "Method not allowed");
                response
                    .headers_mut()
                    .insert(header::ALLOW, HeaderValue::from_static("GET, POST, DELETE"));
                return ("unmatched", None, response);
            }
        };
        // The path parameter as the Python functions take it: stripped.
        let path_uuid = path_uuid.trim();
        // Stricter than the Python functions: no AWS call for a path that is no UUID.
        // The key keeps the UUID's spelling: the Python functions stored under it.
        let sent = match ObjectKey::as_spelled(path_uuid, self.config.layout) {
            Ok(k) => k,
            Err(e) => {
                return (
                    route,
                    None,
                    reply::message(400, &format!("Invalid device UUID: {e}")),
                );
            }
        };
        let handled = self.authenticated(request, path_uuid, sent, request_id);
        let response = match tokio::time::timeout(self.budget, handled).await {
            Ok(response) => response,
            Err(_) => {
                // Whatever was in flight is abandoned: a POST's object may be stored
                // without its date, a DELETE may have removed only the date. Never a
                // date without an object (see `post` and `delete`).
                tracing::error!(
                    request_id,
                    budget_ms = self.budget.as_millis() as u64,
                    "request ran out of time; abandoned"
                );
                let mut response = reply::message(503, OUT_OF_TIME_MESSAGE);
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
                response
            }
        };
        (route, Some(path_uuid.to_string()), response)
    }

    async fn authenticated(
        &self,
        request: &Request,
        path_uuid: &str,
        sent: ObjectKey,
        request_id: &str,
    ) -> Response {
        let (public_key, generation) = match self.devices.lookup(path_uuid).await {
            Ok(Lookup::NotRegistered) => return reply::message(401, "Device not registered"),
            Ok(Lookup::Registered {
                public_key,
                generation,
            }) => (public_key, generation),
            Err(e) => {
                tracing::error!(request_id, error = %e, "device table lookup failed");
                return reply::message(500, "Internal server error");
            }
        };
        let public_key = match public_key.as_deref().map(auth::parse_public_key) {
            Some(Ok(key)) => key,
            Some(Err(e)) => {
                tracing::error!(request_id, error = %e, "device item unusable");
                return reply::message(500, "Internal server error");
            }
            None => {
                tracing::error!(request_id, "device item has no public_key string");
                return reply::message(500, "Internal server error");
            }
        };
        let signed = match auth::check(request, path_uuid, &public_key) {
            Ok(signed) => signed,
            Err(refusal) => return refusal.into_response(),
        };
        // After the signature (an unauthenticated caller cannot fill the ledger), before
        // anything is read or written: every route, whatever the method or the body.
        if let Some(refused) = self.first_use(&sent.device(), &signed, request_id).await {
            return refused;
        }
        // The lowercase key, which ffce writes, and the key as sent when it differs.
        let key = sent.canonical();
        let as_sent = (!sent.is_canonical()).then_some(sent);
        match *request.method() {
            Method::POST => {
                let target = Target {
                    key: &key,
                    path_uuid,
                    generation: generation.as_deref(),
                };
                self.post(request, target, request_id).await
            }
            Method::GET => self.get(&key, as_sent, request_id).await,
            _ => self.delete(&key, as_sent, path_uuid, request_id).await,
        }
    }

    /// Records the request's nonce in the ledger: `None` when it is the first use (or
    /// there is no ledger), else the answer: 401 for a replay, 503 when the ledger
    /// cannot say. Neither log line holds the nonce.
    async fn first_use(
        &self,
        device: &ffce_core::layout::DeviceId,
        signed: &auth::Signed,
        request_id: &str,
    ) -> Option<Response> {
        let ledger = self.nonces.as_ref()?;
        let expires_at = nonces::expires_at(signed.unix_secs);
        match ledger.record(device, &signed.nonce, expires_at).await {
            Ok(Recorded::Fresh) => None,
            Ok(Recorded::Replayed) => {
                tracing::warn!(
                    request_id,
                    "replayed request refused: its nonce was used before"
                );
                Some(reply::message(401, REPLAYED_MESSAGE))
            }
            Err(e) => {
                tracing::error!(request_id, error = %e, "nonce table unavailable; request refused");
                let mut response = reply::message(503, NONCES_UNAVAILABLE_MESSAGE);
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
                Some(response)
            }
        }
    }

    /// POST: validate fully, honour `If-None-Match` against the stored `etag`, store,
    /// then note `last_backup_date`, unless a DELETE removed it since the lookup (see
    /// [`DeviceTable::set_last_backup`]).
    async fn post(&self, request: &Request, target: Target<'_>, request_id: &str) -> Response {
        let Target {
            key,
            path_uuid,
            generation,
        } = target;
        if request.extensions().get::<UndecodableBody>().is_some() {
            return reply::message(400, "Request body is not valid base64");
        }
        let body: Bytes = request.body().clone();
        if let Err(e) = validate_upload_bytes(body.clone()) {
            return reply::message(e.http_status(), &e.to_string());
        }
        let etag = match header_digest(request, header::ETAG) {
            Ok(d) => d,
            Err(refusal) => return refusal.into_response(),
        };
        if let Some(etag) = etag {
            let if_none_match = request
                .headers()
                .get(header::IF_NONE_MATCH)
                .and_then(|v| v.to_str().ok())
                .map(|v| v.trim().trim_matches('"'))
                .filter(|v| !v.is_empty());
            if let Some(wanted) = if_none_match {
                if wanted.eq_ignore_ascii_case(&hex_lower(&etag)) {
                    // The documented meaning: the device's last upload is still the
                    // stored one. A backup deleted meanwhile is uploaded again.
                    // One HEAD: the stored object's `etag` metadata, no body.
                    let head = GetOptions::head().explain_missing(false);
                    match self.store.get_opts(key, &head).await {
                        Ok(o) if o.plaintext_digest == Some(PlaintextDigest::Sha256(etag)) => {
                            let mut response = http::Response::new(Bytes::new());
                            *response.status_mut() = StatusCode::NOT_MODIFIED;
                            response
                                .headers_mut()
                                .insert(header::ETAG, etag_value(&hex_lower(&etag)));
                            return response;
                        }
                        Ok(_) | Err(StoreError::NotFound { .. }) => {}
                        Err(e) => {
                            // Not knowing costs one upload, not a refusal.
                            tracing::warn!(request_id, error = %e, "reading the stored etag failed; storing");
                        }
                    }
                }
            }
        }
        let options = PutOptions {
            plaintext_sha256: etag,
            ..PutOptions::for_body(&body)
        };
        if let Err(e) = self.store.put(key, body, &options).await {
            tracing::error!(request_id, error = %e, "PutObject failed");
            return reply::message(500, "Failed to store the backup");
        }
        // `%Y-%m-%dT%H:%M:%SZ`, as the Python functions write it.
        let date =
            ffce_core::device_auth::format_timestamp(ffce_core::device_auth::now_unix_secs());
        match self
            .devices
            .set_last_backup(path_uuid, &date, generation)
            .await
        {
            Ok(Update::Applied) => {}
            Ok(Update::Stale) => tracing::warn!(
                request_id,
                "last_backup_date not set: the device item changed since the lookup \
                 (a DELETE ran meanwhile, or the device is gone)"
            ),
            Err(e) => {
                tracing::warn!(request_id, error = %e, "setting last_backup_date failed (ignored)");
            }
        }
        let mut response = reply::json(
            200,
            &serde_json::json!({ "message": "Backup stored", "last_backup_date": date }),
        );
        if let Some(etag) = etag {
            response
                .headers_mut()
                .insert(header::ETAG, etag_value(&hex_lower(&etag)));
        }
        response
    }

    /// GET: the blob, its length and its `etag` metadata; 404 only for a missing object.
    ///
    /// With no object at the lowercase key, a path UUID not in lowercase reads the key as
    /// sent (`as_sent`), where the Python functions stored that device's backups.
    async fn get(&self, key: &ObjectKey, as_sent: Option<ObjectKey>, request_id: &str) -> Response {
        // One GetObject per key: a missing key is not explained (that would take a
        // ListObjectVersions, which the route's role may not make).
        let whole = GetOptions::default().explain_missing(false);
        let mut read = self.store.get_opts(key, &whole).await;
        if let (Err(e), Some(as_sent)) = (&read, as_sent) {
            if is_missing(e) {
                read = self.store.get_opts(&as_sent, &whole).await;
            }
        }
        let object = match read {
            Ok(o) => o,
            Err(e) if is_missing(&e) => {
                return reply::message(404, "No backup found for this device");
            }
            Err(e) => {
                tracing::error!(request_id, error = %e, "GetObject failed");
                return reply::message(500, "Failed to read the backup");
            }
        };
        let etag = match object.plaintext_digest {
            Some(PlaintextDigest::Sha256(d)) => hex_lower(&d),
            Some(PlaintextDigest::NotASha256) | None => String::new(),
        };
        let len = object.body.len();
        let mut response = http::Response::new(object.body);
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
        headers.insert(header::CONTENT_LENGTH, HeaderValue::from(len));
        headers.insert(header::ETAG, etag_value(&etag));
        response
    }

    /// DELETE: `last_backup_date` removed, one DeleteObject (idempotent), and the date
    /// removed again. Each removal adds one to the item's generation, so that a POST
    /// that looked the device up before cannot set the date again.
    ///
    /// The first removal comes before the delete, so that a failure leaves a backup
    /// without a date, never a date without a backup: if it fails, nothing is deleted
    /// and the answer is 500. The second closes the race with a POST that looked the
    /// device up after the first removal and stored its backup before this delete; it
    /// is logged and ignored when it fails (the date then outlives the backup only if
    /// such a POST ran).
    ///
    /// A path UUID not in lowercase deletes the key as sent too, first, so that a GET
    /// cannot fall back to a backup the Python functions stored there. If that delete
    /// fails, the lowercase object is left as it was and the answer is 500.
    async fn delete(
        &self,
        key: &ObjectKey,
        as_sent: Option<ObjectKey>,
        path_uuid: &str,
        request_id: &str,
    ) -> Response {
        if let Err(e) = self.devices.clear_last_backup(path_uuid).await {
            tracing::error!(request_id, error = %e, "removing last_backup_date failed; nothing deleted");
            return reply::message(500, "Failed to delete the backup");
        }
        for key in as_sent.iter().chain([key]) {
            // One DeleteObject, nothing looked up first: the route's role may only delete.
            if let Err(e) = self.store.delete_opts(key, &DeleteOptions::blind()).await {
                tracing::error!(request_id, error = %e, "DeleteObject failed");
                return reply::message(500, "Failed to delete the backup");
            }
        }
        if let Err(e) = self.devices.clear_last_backup(path_uuid).await {
            tracing::warn!(request_id, error = %e, "removing last_backup_date failed (ignored)");
        }
        reply::message(200, "Backup deleted")
    }
}

/// Where a POST stores: the lowercase key, the device as its path names it, and the
/// generation its lookup read.
#[derive(Clone, Copy)]
struct Target<'a> {
    key: &'a ObjectKey,
    path_uuid: &'a str,
    generation: Option<&'a str>,
}

/// Whether a read failed because there is no backup to read. S3 answers a missing key
/// with 403 AccessDenied to a role without s3:ListBucket (docs/SPEC.md §7).
fn is_missing(e: &StoreError) -> bool {
    matches!(
        e,
        StoreError::NotFound { .. }
            | StoreError::Deleted { .. }
            | StoreError::PermissionDenied { .. }
    )
}

/// The `{uuid}` of `/devices/{uuid}/backup`, as it stands in the path.
fn backup_path_uuid(path: &str) -> Option<&str> {
    let uuid = path.strip_prefix("/devices/")?.strip_suffix("/backup")?;
    (!uuid.is_empty() && !uuid.contains('/')).then_some(uuid)
}

/// The optional `ETag` request header: the plaintext's SHA-256 in hex, quotes stripped.
fn header_digest(request: &Request, name: header::HeaderName) -> Result<Option<[u8; 32]>, Refusal> {
    let Some(value) = request.headers().get(&name) else {
        return Ok(None);
    };
    let text = value.to_str().unwrap_or("").trim().trim_matches('"');
    if text.is_empty() {
        return Ok(None);
    }
    let mut digest = [0u8; 32];
    match hex::decode_to_slice(text, &mut digest) {
        Ok(()) => Ok(Some(digest)),
        Err(_) => Err(Refusal::new(
            400,
            "ETag must be the SHA-256 of the backup's plaintext as 64 hex digits",
        )),
    }
}

fn hex_lower(bytes: &[u8]) -> String {
    hex::encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_backup_path_routes() {
        let id = "3f2504e0-4f89-41d3-9a0c-0305e82c3301";
        assert_eq!(backup_path_uuid(&format!("/devices/{id}/backup")), Some(id));
        for path in [
            "/",
            "/devices//backup",
            "/devices/a/b/backup",
            "/devices/x/backup/",
            "/device/x/backup",
        ] {
            assert_eq!(backup_path_uuid(path), None, "{path}");
        }
    }

    #[test]
    fn etag_headers_are_64_hex_digits() {
        let with = |v: &str| {
            let mut r = http::Request::new(Bytes::new());
            r.headers_mut()
                .insert(header::ETAG, HeaderValue::from_str(v).unwrap());
            header_digest(&r, header::ETAG).map_err(|refusal| refusal.status)
        };
        assert_eq!(
            with(&format!("\"{}\"", "Ab".repeat(32))),
            Ok(Some([0xab; 32]))
        );
        assert_eq!(with("\"\""), Ok(None));
        assert_eq!(with(&"ab".repeat(31)), Err(400));
        assert_eq!(with(&format!("+{}", "a".repeat(63))), Err(400));
    }
}
