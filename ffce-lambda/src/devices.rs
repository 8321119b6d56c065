//! The DynamoDB device table (FFCE-SPEC §7): a device's registered public key, and the
//! `last_backup_date` the API keeps on its item. The item's key is `uuid`, the path's
//! UUID as the device sent it.

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::types::AttributeValue;

/// The key attribute of the table.
pub const KEY_ATTRIBUTE: &str = "uuid";
/// The device's public key: standard base64 of the 65-byte uncompressed P-256 point.
pub const PUBLIC_KEY_ATTRIBUTE: &str = "public_key";
/// When the device last stored a backup, `%Y-%m-%dT%H:%M:%SZ`.
pub const LAST_BACKUP_ATTRIBUTE: &str = "last_backup_date";

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
    },
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

    /// Looks the device up by its key, reading only the public key.
    pub async fn lookup(&self, uuid: &str) -> Result<Lookup, TableError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key(KEY_ATTRIBUTE, AttributeValue::S(uuid.to_string()))
            .projection_expression("#k")
            .expression_attribute_names("#k", PUBLIC_KEY_ATTRIBUTE)
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
            },
        })
    }

    /// Sets `last_backup_date` on the device's item (only on an existing item: a
    /// device deleted meanwhile is not recreated).
    pub async fn set_last_backup(&self, uuid: &str, date: &str) -> Result<(), TableError> {
        self.client
            .update_item()
            .table_name(&self.table)
            .key(KEY_ATTRIBUTE, AttributeValue::S(uuid.to_string()))
            .update_expression("SET #d = :d")
            .condition_expression("attribute_exists(#k)")
            .expression_attribute_names("#d", LAST_BACKUP_ATTRIBUTE)
            .expression_attribute_names("#k", KEY_ATTRIBUTE)
            .expression_attribute_values(":d", AttributeValue::S(date.to_string()))
            .send()
            .await
            .map_err(|e| self.error("UpdateItem", &e))?;
        Ok(())
    }

    /// Removes `last_backup_date` from the device's item.
    pub async fn clear_last_backup(&self, uuid: &str) -> Result<(), TableError> {
        self.client
            .update_item()
            .table_name(&self.table)
            .key(KEY_ATTRIBUTE, AttributeValue::S(uuid.to_string()))
            .update_expression("REMOVE #d")
            .condition_expression("attribute_exists(#k)")
            .expression_attribute_names("#d", LAST_BACKUP_ATTRIBUTE)
            .expression_attribute_names("#k", KEY_ATTRIBUTE)
            .send()
            .await
            .map_err(|e| self.error("UpdateItem", &e))?;
        Ok(())
    }
}
