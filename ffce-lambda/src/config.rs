//! The function's configuration, read once per process from the environment: the
//! bucket and the device table as the Python functions name them (docs/SPEC.md §7), the
//! object key layout, and the nonce table that makes each signed request good once. AWS settings (region, credentials, `AWS_ENDPOINT_URL`) are
//! the SDK's business and read by `aws-config`.

use std::fmt;

use ffce_core::layout::Layout;

/// The bucket that holds the backups.
pub const BUCKET_VAR: &str = "S3_BACKUP_BUCKET_NAME";
/// The DynamoDB device table (`firefly-devices` in production).
pub const TABLE_VAR: &str = "DYNAMODB_DEVICES_TABLE_NAME";
/// `nested` (the default: `{uuid}/backup.ffce`) or `flat` (`{uuid}`).
pub const LAYOUT_VAR: &str = "BACKUP_KEY_LAYOUT";
/// The DynamoDB nonce table ([`crate::nonces`]); unset: replay protection is off.
pub const NONCES_TABLE_VAR: &str = "DYNAMODB_NONCES_TABLE_NAME";

/// What the function serves.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// The bucket ([`BUCKET_VAR`]).
    pub bucket: String,
    /// The device table ([`TABLE_VAR`]).
    pub table: String,
    /// Where a device's backup lives in the bucket ([`LAYOUT_VAR`]).
    pub layout: Layout,
    /// The nonce table ([`NONCES_TABLE_VAR`]); `None` (unset or empty): requests are
    /// not checked for replays.
    pub nonces_table: Option<String>,
}

/// A configuration the function cannot start with; `Display` names the variable.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConfigError {
    /// A required variable is unset or empty.
    Missing(&'static str),
    /// [`LAYOUT_VAR`] is neither `nested` nor `flat`.
    BadLayout(String),
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::Missing(var) => write!(f, "{var} is not set (it is required)"),
            ConfigError::BadLayout(value) => write!(
                f,
                "{LAYOUT_VAR}={value:?} is not a layout: use nested ({{uuid}}/backup.ffce, \
                 the default) or flat ({{uuid}})"
            ),
        }
    }
}

impl std::error::Error for ConfigError {}

impl Config {
    /// From the process environment.
    pub fn from_env() -> Result<Config, ConfigError> {
        Config::from_lookup(|name| std::env::var(name).ok())
    }

    /// From any lookup of variables (the environment, or a test's map).
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let required = |name: &'static str| {
            get(name)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
                .ok_or(ConfigError::Missing(name))
        };
        let bucket = required(BUCKET_VAR)?;
        let table = required(TABLE_VAR)?;
        let layout = match get(LAYOUT_VAR).as_deref().map(str::trim) {
            None | Some("") => Layout::Nested,
            Some(name) => {
                Layout::from_name(name).ok_or_else(|| ConfigError::BadLayout(name.to_string()))?
            }
        };
        let nonces_table = get(NONCES_TABLE_VAR)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty());
        Ok(Config {
            bucket,
            table,
            layout,
            nonces_table,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lookup(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
    }

    #[test]
    fn defaults_to_the_nested_layout() {
        let c = Config::from_lookup(lookup(&[(BUCKET_VAR, "b"), (TABLE_VAR, "t")])).unwrap();
        assert_eq!(
            c,
            Config {
                bucket: "b".into(),
                table: "t".into(),
                layout: Layout::Nested,
                nonces_table: None,
            }
        );
        let flat = lookup(&[(BUCKET_VAR, "b"), (TABLE_VAR, "t"), (LAYOUT_VAR, "flat")]);
        assert_eq!(Config::from_lookup(flat).unwrap().layout, Layout::Flat);
    }

    #[test]
    fn the_nonce_table_is_optional() {
        let with = lookup(&[
            (BUCKET_VAR, "b"),
            (TABLE_VAR, "t"),
            (NONCES_TABLE_VAR, " n "),
        ]);
        assert_eq!(
            Config::from_lookup(with).unwrap().nonces_table.as_deref(),
            Some("n")
        );
        let empty = lookup(&[(BUCKET_VAR, "b"), (TABLE_VAR, "t"), (NONCES_TABLE_VAR, "")]);
        assert_eq!(Config::from_lookup(empty).unwrap().nonces_table, None);
    }

    #[test]
    fn errors_name_the_variable() {
        let e = Config::from_lookup(lookup(&[(TABLE_VAR, "t")])).unwrap_err();
        assert_eq!(
            e.to_string(),
            "S3_BACKUP_BUCKET_NAME is not set (it is required)"
        );
        let e = Config::from_lookup(lookup(&[(BUCKET_VAR, "b"), (TABLE_VAR, " ")])).unwrap_err();
        assert_eq!(e, ConfigError::Missing(TABLE_VAR));
        let bad = lookup(&[(BUCKET_VAR, "b"), (TABLE_VAR, "t"), (LAYOUT_VAR, "Nested")]);
        let e = Config::from_lookup(bad).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("BACKUP_KEY_LAYOUT=\"Nested\" is not a layout")
        );
    }
}
