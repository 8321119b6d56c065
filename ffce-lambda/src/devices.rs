//! The device table (docs/SPEC.md §7): a device's registered public key, and the
//! `last_backup_date` the API keeps on its item. The item's key is `uuid`, the path's
//! UUID as the device sent it.
//!
//! [`DeviceTable`] is what the API needs of it; [`DynamoDevices`] is the table in
//! DynamoDB (the deployment), [`MemoryDevices`] one held in memory (tests, and a local
//! server without AWS). Both keep the same rules.
//!
//! `last_backup_date` never outlives the backup it dates (docs/SPEC.md §8, where ffce is
//! stricter): every removal of the date also adds one to [`GENERATION_ATTRIBUTE`], and
//! a POST sets the date only if the generation is still the one its lookup read. So a
//! POST that a DELETE overtook (the DELETE removed the date after the POST looked the
//! device up) cannot put the date back over the DELETE's delete marker.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::AttributeValue;

/// The key attribute of the table.
pub const KEY_ATTRIBUTE: &str = "uuid";
/// The device's public key: standard base64 of the 65-byte uncompressed P-256 point.
pub const PUBLIC_KEY_ATTRIBUTE: &str = "public_key";
/// When the device last stored a backup, `%Y-%m-%dT%H:%M:%SZ`.
pub const LAST_BACKUP_ATTRIBUTE: &str = "last_backup_date";
/// A number the API adds one to whenever it removes [`LAST_BACKUP_ATTRIBUTE`]; absent
/// until the first removal. The Python functions neither read nor write it.
pub const GENERATION_ATTRIBUTE: &str = "backup_generation";

/// What the API reads and writes in the device table. Every future is `Send`, so an
/// `Arc<dyn DeviceTable>` serves concurrent requests.
#[async_trait]
pub trait DeviceTable: Send + Sync {
    /// Looks the device up by its key (`uuid`, as the path has it), reading only the
    /// public key and the generation.
    async fn lookup(&self, uuid: &str) -> Result<Lookup, TableError>;

    /// Sets `last_backup_date` on the device's item, only if the item exists (a device
    /// deleted meanwhile is not recreated) and its generation is still `generation`, the
    /// one the request's lookup read (no DELETE removed the date since).
    async fn set_last_backup(
        &self,
        uuid: &str,
        date: &str,
        generation: Option<&str>,
    ) -> Result<Update, TableError>;

    /// Removes `last_backup_date` from the device's item and adds one to its
    /// generation, so that no POST that looked the device up before sets it again.
    async fn clear_last_backup(&self, uuid: &str) -> Result<Update, TableError>;
}

/// The device table in DynamoDB and a client for it, built once per process.
#[derive(Clone, Debug)]
pub struct DynamoDevices {
    client: Client,
    table: String,
}

/// What the table says about a device.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Lookup {
    /// No item: the device is not registered.
    NotRegistered,
    /// The item's `public_key`, if it is a string attribute.
    Registered {
        /// The attribute's text (`None` when absent or not a string).
        public_key: Option<String>,
        /// [`GENERATION_ATTRIBUTE`] as read (`None` when absent), for
        /// [`DeviceTable::set_last_backup`].
        generation: Option<String>,
    },
}

/// How a conditional update of the device item went.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Update {
    /// Written.
    Applied,
    /// Not written: the item is gone, or (for [`DeviceTable::set_last_backup`]) its
    /// generation changed since the lookup.
    Stale,
}

/// A failed table request, with the SDK's explanation (no item contents).
#[derive(Debug)]
pub struct TableError(pub String);

impl std::fmt::Display for TableError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for TableError {}

impl DynamoDevices {
    /// The table `table` through `client`.
    pub fn new(client: Client, table: impl Into<String>) -> DynamoDevices {
        DynamoDevices {
            client,
            table: table.into(),
        }
    }

    /// A failed request in one line: DynamoDB's error code and message when it
    /// answered, the SDK's explanation (no response dump) otherwise.
    fn error<E, R>(&self, action: &str, e: &SdkError<E, R>) -> TableError
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
        R: std::fmt::Debug,
    {
        let detail = match e.code() {
            Some(code) => format!("{code}: {}", e.message().unwrap_or("(no message)")),
            None => DisplayErrorContext(e).to_string(),
        };
        TableError(format!("{action} on {}: {detail}", self.table))
    }

    /// An UpdateItem's answer; a failed condition is [`Update::Stale`], not an error.
    fn conditional<T, R: std::fmt::Debug>(
        &self,
        answer: Result<T, SdkError<UpdateItemError, R>>,
    ) -> Result<Update, TableError> {
        match answer {
            Ok(_) => Ok(Update::Applied),
            Err(e) => match e.as_service_error() {
                Some(UpdateItemError::ConditionalCheckFailedException(_)) => Ok(Update::Stale),
                _ => Err(self.error("UpdateItem", &e)),
            },
        }
    }
}

#[async_trait]
impl DeviceTable for DynamoDevices {
    /// One GetItem with a projection of `public_key` and the generation.
    async fn lookup(&self, uuid: &str) -> Result<Lookup, TableError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key(KEY_ATTRIBUTE, AttributeValue::S(uuid.to_string()))
            .projection_expression("#k, #g")
            .expression_attribute_names("#k", PUBLIC_KEY_ATTRIBUTE)
            .expression_attribute_names("#g", GENERATION_ATTRIBUTE)
            // Eventually consistent, as the Python functions read: a generation read from
            // before a DELETE fails the POST's condition (the date is not set), it
            // cannot let a date through.
            .send()
            .await
            .map_err(|e| self.error("GetItem", &e))?;
        // A projection of an item without the attribute is an empty map, not no item.
        Ok(match out.item {
            None => Lookup::NotRegistered,
            Some(item) => Lookup::Registered {
                public_key: item
                    .get(PUBLIC_KEY_ATTRIBUTE)
                    .and_then(|v| v.as_s().ok())
                    .cloned(),
                generation: item
                    .get(GENERATION_ATTRIBUTE)
                    .and_then(|v| v.as_n().ok())
                    .cloned(),
            },
        })
    }

    /// One UpdateItem, conditional on the item and its generation.
    async fn set_last_backup(
        &self,
        uuid: &str,
        date: &str,
        generation: Option<&str>,
    ) -> Result<Update, TableError> {
        let request = self
            .client
            .update_item()
            .table_name(&self.table)
            .key(KEY_ATTRIBUTE, AttributeValue::S(uuid.to_string()))
            .update_expression("SET #d = :d")
            .expression_attribute_names("#d", LAST_BACKUP_ATTRIBUTE)
            .expression_attribute_names("#k", KEY_ATTRIBUTE)
            .expression_attribute_names("#g", GENERATION_ATTRIBUTE)
            .expression_attribute_values(":d", AttributeValue::S(date.to_string()));
        let request = match generation {
            Some(g) => request
                .condition_expression("attribute_exists(#k) AND #g = :g")
                .expression_attribute_values(":g", AttributeValue::N(g.to_string())),
            None => {
                request.condition_expression("attribute_exists(#k) AND attribute_not_exists(#g)")
            }
        };
        self.conditional(request.send().await)
    }

    /// One UpdateItem (`REMOVE` the date, `ADD` one to the generation), conditional on
    /// the item.
    async fn clear_last_backup(&self, uuid: &str) -> Result<Update, TableError> {
        let answer = self
            .client
            .update_item()
            .table_name(&self.table)
            .key(KEY_ATTRIBUTE, AttributeValue::S(uuid.to_string()))
            .update_expression("REMOVE #d ADD #g :one")
            .condition_expression("attribute_exists(#k)")
            .expression_attribute_names("#d", LAST_BACKUP_ATTRIBUTE)
            .expression_attribute_names("#g", GENERATION_ATTRIBUTE)
            .expression_attribute_names("#k", KEY_ATTRIBUTE)
            .expression_attribute_values(":one", AttributeValue::N("1".into()))
            .send()
            .await;
        self.conditional(answer)
    }
}

/// A device table in memory, with [`DynamoDevices`]' rules: updates only of an existing
/// item, the generation checked by a POST's update and added to by every removal.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use ffce_lambda::devices::{DeviceTable, Lookup, MemoryDevices, Update};
///
/// let table = MemoryDevices::new();
/// let uuid = "3f2504e0-4f89-41d3-9a0c-0305e82c3301";
/// table.register(uuid, "BASE64-OF-THE-POINT");
/// let Lookup::Registered { generation, .. } = table.lookup(uuid).await.unwrap() else {
///     unreachable!()
/// };
/// // A DELETE removes the date meanwhile: the POST that looked up before may not set it.
/// assert_eq!(table.clear_last_backup(uuid).await.unwrap(), Update::Applied);
/// let set = table.set_last_backup(uuid, "2025-05-09T12:00:00Z", generation.as_deref());
/// assert_eq!(set.await.unwrap(), Update::Stale);
/// assert_eq!(table.item(uuid).unwrap().last_backup_date, None);
/// # }
/// ```
#[derive(Debug, Default)]
pub struct MemoryDevices {
    items: Mutex<HashMap<String, DeviceItem>>,
}

/// One item of a [`MemoryDevices`] table.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DeviceItem {
    /// [`PUBLIC_KEY_ATTRIBUTE`]: any text, as the table may hold anything.
    pub public_key: Option<String>,
    /// [`LAST_BACKUP_ATTRIBUTE`].
    pub last_backup_date: Option<String>,
    /// [`GENERATION_ATTRIBUTE`]: absent until the first removal of the date.
    pub generation: Option<u64>,
}

impl MemoryDevices {
    /// An empty table.
    pub fn new() -> MemoryDevices {
        MemoryDevices::default()
    }

    /// Puts the item of device `uuid` with this `public_key` (replacing any item).
    pub fn register(&self, uuid: &str, public_key: &str) {
        self.items().insert(
            uuid.to_string(),
            DeviceItem {
                public_key: Some(public_key.to_string()),
                ..DeviceItem::default()
            },
        );
    }

    /// The item of device `uuid`, if there is one.
    pub fn item(&self, uuid: &str) -> Option<DeviceItem> {
        self.items().get(uuid).cloned()
    }

    fn items(&self) -> MutexGuard<'_, HashMap<String, DeviceItem>> {
        // Every change is one insert or field write: a panic elsewhere cannot leave an
        // item half-changed.
        self.items
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[async_trait]
impl DeviceTable for MemoryDevices {
    async fn lookup(&self, uuid: &str) -> Result<Lookup, TableError> {
        Ok(match self.items().get(uuid) {
            None => Lookup::NotRegistered,
            Some(item) => Lookup::Registered {
                public_key: item.public_key.clone(),
                generation: item.generation.map(|g| g.to_string()),
            },
        })
    }

    async fn set_last_backup(
        &self,
        uuid: &str,
        date: &str,
        generation: Option<&str>,
    ) -> Result<Update, TableError> {
        let mut items = self.items();
        let Some(item) = items.get_mut(uuid) else {
            return Ok(Update::Stale);
        };
        if item.generation.map(|g| g.to_string()).as_deref() != generation {
            return Ok(Update::Stale);
        }
        item.last_backup_date = Some(date.to_string());
        Ok(Update::Applied)
    }

    async fn clear_last_backup(&self, uuid: &str) -> Result<Update, TableError> {
        let mut items = self.items();
        let Some(item) = items.get_mut(uuid) else {
            return Ok(Update::Stale);
        };
        item.last_backup_date = None;
        item.generation = Some(item.generation.unwrap_or(0) + 1);
        Ok(Update::Applied)
    }
}
