//! The typed values of the command line, checked by clap as it parses: a device (its
//! UUID or its backup's `s3://` URL), a version id, a layout, seconds within their
//! range, an ETag, a KMS key id. A malformed value is a usage error (exit 2) before
//! anything runs, and its message names the flag and what was expected.
//!
//! These parsers never echo a long value: a key pasted into the wrong place (64 hex
//! digits or 44 base64 characters) must not be repeated on the screen or in a log.

use std::ffi::OsStr;
use std::time::Duration;

use clap::builder::{PossibleValue, TypedValueParser};
use clap::error::ErrorKind;
use ffce_core::layout::{DeviceId, Layout};
use ffce_store::{DeviceUrl, VersionId};

/// A device as the command line names it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DeviceArg {
    /// Its UUID, in any case.
    Id(DeviceId),
    /// Its backup's URL, `s3://BUCKET/UUID/backup.ffce` or `s3://BUCKET/UUID`, which
    /// also names the bucket and the exact key; and the URL as typed, for messages.
    Url(DeviceUrl, String),
}

/// A value parser from a function of the text and the flag's name, whose error is the
/// message as written (clap's own would repeat the value).
#[derive(Clone, Copy)]
pub struct Checked<T>(fn(&str, &str) -> Result<T, String>);

impl<T: Clone + Send + Sync + 'static> TypedValueParser for Checked<T> {
    type Value = T;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &OsStr,
    ) -> Result<T, clap::Error> {
        let flag = arg.map_or_else(String::new, |a| match a.get_long() {
            Some(long) => format!("--{long}"),
            None => a.get_id().to_string().to_uppercase(),
        });
        let fail = |message: String| {
            let mut cmd = cmd.clone();
            cmd.error(ErrorKind::ValueValidation, message)
        };
        let text = value
            .to_str()
            .ok_or_else(|| fail(format!("{flag}: the value is not UTF-8")))?;
        (self.0)(text, &flag).map_err(fail)
    }
}

/// `text` when it is short printable ASCII, else what it stands for.
fn shown(text: &str, max: usize, what: &str) -> String {
    if text.len() <= max && text.bytes().all(|b| b.is_ascii_graphic()) {
        format!("{text:?}")
    } else {
        what.to_string()
    }
}

/// A device UUID (8-4-4-4-12 hex) or its backup's `s3://` URL.
pub fn device() -> Checked<DeviceArg> {
    Checked(|text, _| {
        if DeviceUrl::is_url(text) {
            let shown = if text.len() <= 300 && text.bytes().all(|b| b.is_ascii_graphic()) {
                text.to_string()
            } else {
                "the s3:// URL".to_string()
            };
            return DeviceUrl::parse(text)
                .map(|url| DeviceArg::Url(url, shown.clone()))
                .map_err(|e| format!("{shown}: {e}"));
        }
        DeviceId::parse(text)
            .map(DeviceArg::Id)
            .map_err(|e| format!("{}: {e}", shown(text, 40, "the UUID argument")))
    })
}

/// A device UUID only (the device API has no URLs).
pub fn device_id() -> Checked<DeviceId> {
    Checked(|text, _| {
        DeviceId::parse(text).map_err(|e| format!("{}: {e}", shown(text, 40, "the UUID argument")))
    })
}

/// A version id as `ffce versions` lists it.
pub fn version_id() -> Checked<VersionId> {
    Checked(|text, flag| {
        VersionId::parse(text).map_err(|_| {
            format!(
                "{flag}: expected a version id as `ffce versions UUID` lists it (1 to 1,024 \
                 printable characters, no spaces)"
            )
        })
    })
}

/// Seconds above 0 and at most `max`, as a duration.
fn seconds_up_to(text: &str, flag: &str, max: f64) -> Result<Duration, String> {
    match text.trim().parse::<f64>() {
        Ok(t) if t.is_finite() && t > 0.0 && t <= max => Ok(Duration::from_secs_f64(t)),
        _ => Err(format!(
            "{flag} must be a number of seconds above 0 and at most {max}"
        )),
    }
}

/// Seconds above 0 and at most a day (S3's limits), as a duration.
pub fn seconds() -> Checked<Duration> {
    Checked(|text, flag| seconds_up_to(text, flag, 86_400.0))
}

/// Seconds above 0 and at most an hour (one API request), as a duration.
pub fn request_seconds() -> Checked<Duration> {
    Checked(|text, flag| seconds_up_to(text, flag, 3_600.0))
}

/// Attempts per request: at least 1.
pub fn attempts() -> Checked<u32> {
    Checked(|text, flag| match text.trim().parse::<u32>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err(format!("{flag} must be at least 1 (the first try counts)")),
    })
}

/// An endpoint URL: `http://` or `https://`.
pub fn endpoint_url() -> Checked<String> {
    Checked(|text, flag| {
        if text.starts_with("http://") || text.starts_with("https://") {
            Ok(text.to_string())
        } else {
            Err(format!("{flag} must start with http:// or https://"))
        }
    })
}

/// An S3 ETag as `ffce put` or `ffce versions` printed it (quotes allowed).
pub fn object_etag() -> Checked<String> {
    Checked(|text, flag| {
        let etag = ffce_store::unquote_etag(text);
        if etag.is_empty() || !etag.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(format!(
                "{flag}: expected an ETag as `ffce put` or `ffce versions` printed it"
            ));
        }
        Ok(etag)
    })
}

/// A KMS key id, alias or ARN.
pub fn kms_key_id() -> Checked<String> {
    Checked(|text, flag| {
        if text.is_empty() || !text.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(format!("{flag}: expected a KMS key id, alias or ARN"));
        }
        Ok(text.to_string())
    })
}

/// The lowercase hex SHA-256 of a backup's plaintext, as the device API keeps it as
/// the backup's etag (quotes allowed).
pub fn plaintext_digest() -> Checked<String> {
    Checked(|text, flag| {
        let etag = ffce_store::unquote_etag(text).to_ascii_lowercase();
        if etag.len() != 64 || !etag.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(format!(
                "{flag}: expected the hex SHA-256 of the backup's plaintext (64 hex digits), \
                 as `ffce api get` prints it"
            ));
        }
        Ok(etag)
    })
}

/// An object key layout, by the name [`Layout::name`] gives it.
#[derive(Clone, Copy, Debug)]
pub struct LayoutParser;

impl TypedValueParser for LayoutParser {
    type Value = Layout;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        _arg: Option<&clap::Arg>,
        value: &OsStr,
    ) -> Result<Layout, clap::Error> {
        value.to_str().and_then(Layout::from_name).ok_or_else(|| {
            let mut cmd = cmd.clone();
            cmd.error(
                ErrorKind::InvalidValue,
                "--layout: expected `nested` ({uuid}/backup.ffce) or `flat` ({uuid})",
            )
        })
    }

    fn possible_values(&self) -> Option<Box<dyn Iterator<Item = PossibleValue> + '_>> {
        Some(Box::new(
            [
                PossibleValue::new(Layout::Nested.name()).help("`{uuid}/backup.ffce`"),
                PossibleValue::new(Layout::Flat.name()).help("`{uuid}`"),
            ]
            .into_iter(),
        ))
    }
}
