//! The nonce ledger: every signed request is good once (docs/SPEC.md §8, where ffce is
//! stricter than the Python functions' §7).
//!
//! A device signs only `nonce || timestamp`, so whoever sees one request's four headers
//! could send them again within the ±10 s window, as any route, with any body. After the
//! signature verifies and before the request touches the bucket or the device table, the
//! router records the request's nonce here, once, atomically. A nonce recorded before
//! and not yet expired is a replay (401); a ledger that cannot answer is a 503, never a
//! silent accept.
//!
//! The ledger is keyed by [`ledger_key`], a SHA-256 of the device and the nonce, never
//! the nonce itself; log lines name neither. Entries expire at the request's timestamp
//! plus the window plus [`MARGIN_SECS`]: after that the window alone refuses the
//! headers, so the entry may go. DynamoDB's TTL deletes expired items lazily (within
//! days), so the conditional write treats an expired entry as absent.

use std::collections::HashMap;
use std::fmt;
use std::sync::Mutex;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata};
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValuesOnConditionCheckFailure};
use ffce_core::device_auth::{NONCE_LEN, WINDOW_SECS};
use ffce_core::layout::DeviceId;
use sha2::{Digest as _, Sha256};

use crate::auth::now_unix_secs;

/// The nonce table's partition key (a string): [`ledger_key`].
pub const KEY_ATTRIBUTE: &str = "id";
/// When the entry stops counting, in Unix seconds (a number); the table's TTL attribute.
pub const EXPIRES_ATTRIBUTE: &str = "expires_at";
/// Which call wrote the entry (a string unique to one [`DynamoNonces::record`]), so
/// that the SDK's retry of a write that went through but whose answer was lost (a
/// timeout) is known for the same request, not taken for a replay.
pub const ATTEMPT_ATTRIBUTE: &str = "attempt";
/// How long an entry outlives the window. The window check and the conditional write
/// read the same clock a few milliseconds apart, so any margin closes the window's
/// end; a minute also covers a clock step (an NTP correction) between the two.
pub const MARGIN_SECS: i64 = 60;

/// What the ledger says about a request's nonce.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Recorded {
    /// Not seen within its lifetime: recorded now, the request may act.
    Fresh,
    /// Recorded before and not expired: the same signed request again.
    Replayed,
}

/// The ledger could not say (a failing, throttled or unreachable table). The message
/// names the table and the error, never a nonce or a key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unavailable(pub String);

impl fmt::Display for Unavailable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Unavailable {}

/// A store of the nonces of accepted requests.
#[async_trait]
pub trait Nonces: Send + Sync + fmt::Debug {
    /// Records `nonce` of `device` until `expires_at` (Unix seconds), atomically: of
    /// two calls with the same device and nonce while the first entry lives, exactly
    /// one is [`Recorded::Fresh`]. An entry whose `expires_at` has passed counts as
    /// absent.
    async fn record(
        &self,
        device: &DeviceId,
        nonce: &[u8; NONCE_LEN],
        expires_at: i64,
    ) -> Result<Recorded, Unavailable>;
}

/// The entry's expiry for a request signed at `request_unix_secs`.
pub fn expires_at(request_unix_secs: i64) -> i64 {
    let window = i64::try_from(WINDOW_SECS).unwrap_or(i64::MAX);
    request_unix_secs
        .saturating_add(window)
        .saturating_add(MARGIN_SECS)
}

/// The ledger's key for `device`'s `nonce`: lowercase hex of SHA-256 over a label, the
/// device's canonical (lowercase) UUID and the nonce's bytes. Per device, so that two
/// devices' nonces never collide; lowercase, so that a path UUID spelled in another
/// case is the same device; hashed, so that the table and anything that prints a key
/// hold no nonce.
pub fn ledger_key(device: &DeviceId, nonce: &[u8; NONCE_LEN]) -> String {
    let mut hash = Sha256::new();
    hash.update(b"ffce-nonce-v1\0");
    hash.update(device.to_string().as_bytes());
    hash.update(nonce);
    hex::encode(hash.finalize())
}

/// The ledger as a DynamoDB table: string partition key [`KEY_ATTRIBUTE`], TTL on the
/// number attribute [`EXPIRES_ATTRIBUTE`]. One conditional `PutItem` per request, so
/// the role needs `dynamodb:PutItem` on the table and nothing else.
#[derive(Clone, Debug)]
pub struct DynamoNonces {
    client: Client,
    table: String,
}

impl DynamoNonces {
    /// The table `table` through `client`.
    pub fn new(client: Client, table: impl Into<String>) -> DynamoNonces {
        DynamoNonces {
            client,
            table: table.into(),
        }
    }

    /// The table's name.
    pub fn table(&self) -> &str {
        &self.table
    }
}

#[async_trait]
impl Nonces for DynamoNonces {
    async fn record(
        &self,
        device: &DeviceId,
        nonce: &[u8; NONCE_LEN],
        expires_at: i64,
    ) -> Result<Recorded, Unavailable> {
        let attempt = attempt_id();
        let answer = self
            .client
            .put_item()
            .table_name(&self.table)
            .item(KEY_ATTRIBUTE, AttributeValue::S(ledger_key(device, nonce)))
            .item(EXPIRES_ATTRIBUTE, AttributeValue::N(expires_at.to_string()))
            .item(ATTEMPT_ATTRIBUTE, AttributeValue::S(attempt.clone()))
            .condition_expression("attribute_not_exists(#k) OR #e < :now")
            .expression_attribute_names("#k", KEY_ATTRIBUTE)
            .expression_attribute_names("#e", EXPIRES_ATTRIBUTE)
            .expression_attribute_values(":now", AttributeValue::N(now_unix_secs().to_string()))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match answer {
            Ok(_) => Ok(Recorded::Fresh),
            Err(e) => match e.as_service_error() {
                Some(PutItemError::ConditionalCheckFailedException(failed)) => {
                    let ours = failed
                        .item()
                        .and_then(|item| item.get(ATTEMPT_ATTRIBUTE))
                        .and_then(|v| v.as_s().ok())
                        .is_some_and(|a| *a == attempt);
                    // Our own earlier attempt of this very call went through.
                    Ok(if ours {
                        Recorded::Fresh
                    } else {
                        Recorded::Replayed
                    })
                }
                // The SDK has retried what it retries (throttling, 5xx, timeouts).
                _ => {
                    let detail = match e.code() {
                        Some(code) => format!("{code}: {}", e.message().unwrap_or("(no message)")),
                        None => DisplayErrorContext(&e).to_string(),
                    };
                    Err(Unavailable(format!("PutItem on {}: {detail}", self.table)))
                }
            },
        }
    }
}

/// A string no other [`DynamoNonces::record`] call uses: this process's start (in
/// nanoseconds) and id, and a counter. Not secret: it only tells this call's own write
/// from another's.
fn attempt_id() -> String {
    static PROCESS: OnceLock<String> = OnceLock::new();
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let process = PROCESS.get_or_init(|| {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        format!("{nanos:x}.{:x}", std::process::id())
    });
    format!("{process}.{:x}", COUNTER.fetch_add(1, Ordering::Relaxed))
}

/// The ledger in this process's memory, for tests and programs that drive [`App`]
/// directly. Entries live until they expire (pruned as the map grows).
///
/// [`App`]: crate::App
#[derive(Debug, Default)]
pub struct MemoryNonces {
    entries: Mutex<HashMap<String, i64>>,
}

impl MemoryNonces {
    /// An empty ledger.
    pub fn new() -> MemoryNonces {
        MemoryNonces::default()
    }
}

#[async_trait]
impl Nonces for MemoryNonces {
    async fn record(
        &self,
        device: &DeviceId,
        nonce: &[u8; NONCE_LEN],
        expires_at: i64,
    ) -> Result<Recorded, Unavailable> {
        let now = now_unix_secs();
        let mut entries = self
            .entries
            .lock()
            .map_err(|_| Unavailable("the in-memory nonce ledger is poisoned".into()))?;
        let key = ledger_key(device, nonce);
        if entries.get(&key).is_some_and(|&expiry| expiry >= now) {
            return Ok(Recorded::Replayed);
        }
        if entries.len() >= 4096 {
            entries.retain(|_, expiry| *expiry >= now);
        }
        entries.insert(key, expires_at);
        Ok(Recorded::Fresh)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEVICE: &str = "3f2504e0-4f89-41d3-9a0c-0305e82c3301";

    #[test]
    fn the_key_is_per_device_case_blind_and_holds_no_nonce() {
        let lower = DeviceId::parse(DEVICE).unwrap();
        let upper = DeviceId::parse(&DEVICE.to_uppercase()).unwrap();
        let other = DeviceId::parse("9b2c1d4e-5f60-4a7b-8c9d-0e1f2a3b4c5d").unwrap();
        let nonce = [0xab; NONCE_LEN];
        let key = ledger_key(&lower, &nonce);
        assert_eq!(key.len(), 64);
        assert_eq!(key, ledger_key(&upper, &nonce));
        assert_ne!(key, ledger_key(&other, &nonce));
        assert_ne!(key, ledger_key(&lower, &[0xac; NONCE_LEN]));
        assert!(!key.contains(&hex::encode(nonce)[..16]));
    }

    #[test]
    fn entries_outlive_the_window_by_the_margin() {
        assert_eq!(expires_at(1_000), 1_000 + 10 + MARGIN_SECS);
        assert_eq!(expires_at(i64::MAX), i64::MAX);
    }

    #[tokio::test]
    async fn memory_ledger_fresh_then_replayed_then_fresh_after_expiry() {
        let ledger = MemoryNonces::new();
        let device = DeviceId::parse(DEVICE).unwrap();
        let now = now_unix_secs();
        let nonce = [1; NONCE_LEN];
        assert_eq!(
            ledger.record(&device, &nonce, now + 70).await,
            Ok(Recorded::Fresh)
        );
        assert_eq!(
            ledger.record(&device, &nonce, now + 70).await,
            Ok(Recorded::Replayed)
        );
        // Another nonce of the same device, the same nonce of another device: fresh.
        assert_eq!(
            ledger.record(&device, &[2; NONCE_LEN], now + 70).await,
            Ok(Recorded::Fresh)
        );
        let other = DeviceId::parse("9b2c1d4e-5f60-4a7b-8c9d-0e1f2a3b4c5d").unwrap();
        assert_eq!(
            ledger.record(&other, &nonce, now + 70).await,
            Ok(Recorded::Fresh)
        );
        // An entry whose expiry has passed counts as absent.
        let old = [3; NONCE_LEN];
        assert_eq!(
            ledger.record(&device, &old, now - 1).await,
            Ok(Recorded::Fresh)
        );
        assert_eq!(
            ledger.record(&device, &old, now + 70).await,
            Ok(Recorded::Fresh)
        );
        assert_eq!(
            ledger.record(&device, &old, now + 70).await,
            Ok(Recorded::Replayed)
        );
    }
}
