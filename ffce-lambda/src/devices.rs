//! The DynamoDB device table (FFCE-SPEC §7): a device's registered public key, and the
//! `last_backup_date` the API keeps on its item. The item's key is `uuid`, the path's
//! UUID as the device sent it.
//!
//! `last_backup_date` never outlives the backup it dates (docs/SPEC.md §8, where ffce is
//! stricter): every removal of the date also adds one to [`GENERATION_ATTRIBUTE`], and
//! a POST sets the date only if the generation is still the one its lookup read. So a
//! POST that a DELETE overtook (the DELETE removed the date after the POST looked the
//! device up) cannot put the date back over the DELETE's delete marker.

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

/// The device table and a client for it, built once per process.
#[derive(Clone, Debug)]
pub struct Devices {
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
        /// [`Devices::set_last_backup`].
        generation: Option<String>,
    },
}

/// How a conditional update of the device item went.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Update {
    /// Written.
    Applied,
    /// Not written: the item is gone, or (for [`Devices::set_last_backup`]) its
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

impl Devices {
    /// The table `table` through `client`.
    pub fn new(client: Client, table: impl Into<String>) -> Devices {
        Devices {
            client,
            table: table.into(),
        }
    }

    /// The table's name.
    pub fn table(&self) -> &str {
        &self.table
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

    /// Looks the device up by its key, reading only the public key and the generation.
    pub async fn lookup(&self, uuid: &str) -> Result<Lookup, TableError> {
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

    /// Sets `last_backup_date` on the device's item, only if the item exists (a device
    /// deleted meanwhile is not recreated) and its generation is still `generation`, the
    /// one the request's lookup read (no DELETE removed the date since).
    pub async fn set_last_backup(
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

    /// Removes `last_backup_date` from the device's item and adds one to its
    /// generation, so that no POST that looked the device up before sets it again.
    pub async fn clear_last_backup(&self, uuid: &str) -> Result<Update, TableError> {
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
