//! Which values of an export are secrets, and a view of a value with them replaced by
//! [`REDACTED`].
//!
//! A controller's export holds its WiFi and MQTT passwords and may hold TLS private
//! keys (docs/SPEC.md §4), so a tool that shows or compares exports hides them unless
//! asked. A value is a secret when
//! - the name of its field says so ([`is_secret_name`]: `password`, `secret`, `token`,
//!   `privateKey`, `psk`, ... in any case and spelling: `wifi_password`, `apiToken`);
//! - it is the `value` of a key/value row whose `setting`, `name` or `key` field says so
//!   (`{"setting": "mqtt_password", "value": "..."}`);
//! - it is text holding a PEM private key (`-----BEGIN ... PRIVATE KEY-----`), wherever
//!   it is.
//!
//! The rule errs towards hiding: a field called `tokenCount` is hidden too.

use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};

use super::value::{Object, Value};

/// What a hidden value is replaced by.
pub const REDACTED: &str = "[redacted]";

/// Words that make a field name a secret's, in a name reduced to lowercase letters and
/// digits (`WiFi_Password` → `wifipassword`).
const SECRET_WORDS: &[&str] = &[
    "password",
    "passwd",
    "passphrase",
    "secret",
    "token",
    "privatekey",
    "psk",
    "apikey",
    "credential",
];

/// Names that are a secret's only as a whole (`pin`, not `spinner`).
const SECRET_NAMES: &[&str] = &["pass", "pwd", "pin"];

/// The fields of a key/value row that name what its `value` is.
const NAMING_FIELDS: &[&str] = &["setting", "name", "key"];

/// True when a field called `name` holds a secret.
pub fn is_secret_name(name: &str) -> bool {
    let mut folded = [0u8; 64];
    let mut len = 0;
    for c in name.chars().filter(char::is_ascii_alphanumeric) {
        if len == folded.len() {
            break;
        }
        folded[len] = c.to_ascii_lowercase() as u8;
        len += 1;
    }
    // Only ASCII letters and digits were kept, so this is valid UTF-8.
    let folded = core::str::from_utf8(&folded[..len]).unwrap_or("");
    SECRET_WORDS.iter().any(|w| folded.contains(w)) || SECRET_NAMES.contains(&folded)
}

/// True when `text` holds a PEM private key (`-----BEGIN RSA PRIVATE KEY-----`,
/// `-----BEGIN ENCRYPTED PRIVATE KEY-----`, ...).
pub fn is_private_key_text(text: &str) -> bool {
    text.match_indices("-----BEGIN ").any(|(at, _)| {
        let label = &text[at + "-----BEGIN ".len()..];
        label
            .find("-----")
            .is_some_and(|end| label[..end].ends_with("PRIVATE KEY"))
    })
}

/// True when field `name` of `object` holds a secret: by its name, or as the `value`
/// of a key/value row whose naming field (`setting`, `name`, `key`) names a secret.
pub fn is_secret_field(object: &Object, name: &str) -> bool {
    is_secret_name(name)
        || (name == "value"
            && NAMING_FIELDS.iter().any(|n| {
                object
                    .get(n)
                    .and_then(Value::as_str)
                    .is_some_and(is_secret_name)
            }))
}

/// True when `value` holds PEM private-key text anywhere inside it.
pub fn contains_private_key(value: &Value) -> bool {
    match value {
        Value::String(t) => is_private_key_text(t.as_str()),
        Value::Array(items) => items.iter().any(contains_private_key),
        Value::Object(o) => o.iter().any(|(_, v)| contains_private_key(v)),
        _ => false,
    }
}

/// True when the field at `path` (field names, outermost first) inside `value` is a
/// secret or lies inside one.
pub fn is_secret_path<S: AsRef<str>>(value: &Value, path: &[S]) -> bool {
    let mut at = value;
    for name in path {
        let Some(object) = at.as_object() else {
            return false;
        };
        if is_secret_field(object, name.as_ref()) {
            return true;
        }
        match object.get(name.as_ref()) {
            Some(next) => at = next,
            None => return false,
        }
    }
    false
}

/// `value` as JSON with every secret replaced by [`REDACTED`] (see the module docs);
/// everything else, field order included, as it is.
///
/// ```
/// use ffce_core::content::{Redacted, Value};
///
/// let row = Value::parse(br#"{"setting":"wifi","value":{"ssid":"Home","password":"hunter2"}}"#)?;
/// assert_eq!(
///     serde_json::to_string(&Redacted(&row))?,
///     r#"{"setting":"wifi","value":{"ssid":"Home","password":"[redacted]"}}"#
/// );
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Redacted<'a>(pub &'a Value);

impl Serialize for Redacted<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Value::String(t) if is_private_key_text(t.as_str()) => s.serialize_str(REDACTED),
            Value::Array(items) => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(&Redacted(item))?;
                }
                seq.end()
            }
            Value::Object(o) => {
                let mut map = s.serialize_map(Some(o.len()))?;
                for (name, value) in o.iter() {
                    if is_secret_field(o, name) {
                        map.serialize_entry(name, REDACTED)?;
                    } else {
                        map.serialize_entry(name, &Redacted(value))?;
                    }
                }
                map.end()
            }
            other => other.serialize(s),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::String;

    #[test]
    fn secret_names() {
        for name in [
            "password",
            "Password",
            "wifi_password",
            "mqttPassword",
            "PASSWD",
            "passphrase",
            "client_secret",
            "token",
            "apiToken",
            "private_key",
            "privateKey",
            "psk",
            "WPA-PSK",
            "api-key",
            "credentials",
            "pass",
            "PIN",
        ] {
            assert!(is_secret_name(name), "{name} should be a secret's name");
        }
        for name in [
            "ssid", "host", "port", "username", "name", "spinner", "compass",
        ] {
            assert!(
                !is_secret_name(name),
                "{name} should not be a secret's name"
            );
        }
    }

    #[test]
    fn pem_private_keys() {
        for text in [
            "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----",
            "-----BEGIN RSA PRIVATE KEY-----\nabc",
            "cert\n-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----\n-----BEGIN EC PRIVATE KEY-----\ny",
            "-----BEGIN ENCRYPTED PRIVATE KEY-----",
        ] {
            assert!(is_private_key_text(text), "{text}");
        }
        for text in [
            "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----",
            "-----BEGIN PUBLIC KEY-----",
            "PRIVATE KEY",
            "-----BEGIN ",
        ] {
            assert!(!is_private_key_text(text), "{text}");
        }
    }

    fn redacted(json: &str) -> String {
        serde_json::to_string(&Redacted(&Value::parse(json.as_bytes()).unwrap())).unwrap()
    }

    #[test]
    fn redacts_by_name_by_naming_field_and_by_pem() {
        assert_eq!(
            redacted(r#"{"setting":"mqtt","value":{"host":"h","port":1883,"password":"p"}}"#),
            r#"{"setting":"mqtt","value":{"host":"h","port":1883,"password":"[redacted]"}}"#
        );
        assert_eq!(
            redacted(r#"{"setting":"mqtt_password","value":"p"}"#),
            r#"{"setting":"mqtt_password","value":"[redacted]"}"#
        );
        assert_eq!(
            redacted(
                r#"{"id":1,"certificate":"-----BEGIN PRIVATE KEY-----\nx","list":["-----BEGIN RSA PRIVATE KEY-----"]}"#
            ),
            r#"{"id":1,"certificate":"[redacted]","list":["[redacted]"]}"#
        );
        // A secret object is hidden whole.
        assert_eq!(
            redacted(r#"{"credentials":{"user":"u","pass":"p"},"n":null}"#),
            r#"{"credentials":"[redacted]","n":null}"#
        );
        assert_eq!(redacted(r#"[1,"a",true]"#), r#"[1,"a",true]"#);
    }

    #[test]
    fn secret_paths() {
        let row = Value::parse(
            br#"{"setting":"wifi","value":{"ssid":"s","password":"p"},"other":{"setting":"api_token","value":3}}"#,
        )
        .unwrap();
        assert!(is_secret_path(&row, &["value", "password"]));
        assert!(!is_secret_path(&row, &["value", "ssid"]));
        assert!(!is_secret_path(&row, &["value"]));
        assert!(is_secret_path(&row, &["other", "value"]));
        assert!(!is_secret_path(&row, &["missing", "password"]));
        assert!(contains_private_key(
            &Value::parse(br#"{"a":["-----BEGIN PRIVATE KEY-----"]}"#).unwrap()
        ));
    }
}
