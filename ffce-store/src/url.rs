//! `s3://bucket/uuid/backup.ffce` and `s3://bucket/uuid`: a device's backup as the S3
//! console, `aws s3 ls` and the cloud's logs show it, accepted wherever a device UUID
//! is, so a user can paste what they see.

use std::fmt;

use ffce_core::layout::{DeviceId, Layout, ObjectKey};

use crate::s3::check_bucket_name;

/// A device named by an `s3://` URL: the bucket, the device, and the layout when the
/// URL names one.
///
/// ```
/// use ffce_core::layout::Layout;
/// use ffce_store::DeviceUrl;
///
/// let url = DeviceUrl::parse("s3://backups/3f2504e0-4f89-41d3-9a0c-0305e82c3301").unwrap();
/// // No layout in the URL: the caller's.
/// assert_eq!(url.key(Layout::Flat).as_string(), "3f2504e0-4f89-41d3-9a0c-0305e82c3301");
/// assert!(DeviceUrl::is_url("S3://backups/x"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceUrl {
    /// The bucket.
    pub bucket: String,
    /// The device.
    pub device: DeviceId,
    /// `Some(Nested)` for `s3://b/uuid/backup.ffce` (and `s3://b/uuid/`, a folder);
    /// `None` for `s3://b/uuid`, which names the device in either layout (the caller's
    /// layout setting decides).
    pub layout: Option<Layout>,
    /// The UUID as the URL spells it: a URL names one exact key, which may be a key
    /// that another writer stored with the UUID in uppercase.
    uuid: String,
}

/// Why a string is not a device URL.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InvalidDeviceUrl {
    reason: &'static str,
}

impl fmt::Display for InvalidDeviceUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}; expected s3://BUCKET/UUID/backup.ffce or s3://BUCKET/UUID",
            self.reason
        )
    }
}

impl std::error::Error for InvalidDeviceUrl {}

impl DeviceUrl {
    /// True when `s` is meant as a URL (starts with `s3://`, any case), so that a
    /// caller can report a bad URL as one rather than as a bad UUID.
    pub fn is_url(s: &str) -> bool {
        s.get(..5).is_some_and(|p| p.eq_ignore_ascii_case("s3://"))
    }

    /// Parses `s3://bucket/uuid/backup.ffce`, `s3://bucket/uuid/` or `s3://bucket/uuid`.
    ///
    /// ```
    /// use ffce_core::layout::Layout;
    /// use ffce_store::DeviceUrl;
    /// let url = DeviceUrl::parse("s3://backups/3f2504e0-4f89-41d3-9a0c-0305e82c3301/backup.ffce").unwrap();
    /// assert_eq!(url.bucket, "backups");
    /// assert_eq!(url.layout, Some(Layout::Nested));
    /// ```
    pub fn parse(s: &str) -> Result<DeviceUrl, InvalidDeviceUrl> {
        let bad = |reason| Err(InvalidDeviceUrl { reason });
        if !DeviceUrl::is_url(s) {
            return bad("not an s3:// URL");
        }
        let rest = &s[5..];
        let Some((bucket, path)) = rest.split_once('/') else {
            return bad("no device after the bucket");
        };
        if !check_bucket_name(bucket) {
            return bad("not a bucket name after s3://");
        }
        let (uuid, layout) = match path.split_once('/') {
            None => (path, None),
            Some((uuid, "" | ffce_core::layout::BACKUP_FILE_NAME)) => (uuid, Some(Layout::Nested)),
            Some(_) => return bad("the key is not a backup key (UUID/backup.ffce or UUID)"),
        };
        let Ok(device) = DeviceId::parse(uuid) else {
            return bad("no device UUID after the bucket");
        };
        Ok(DeviceUrl {
            bucket: bucket.to_string(),
            device,
            layout,
            uuid: uuid.to_string(),
        })
    }

    /// The exact key the URL names, in `layout` when the URL does not name one: with
    /// the UUID spelled as in the URL, so that a key stored with the UUID in uppercase
    /// (by the Python device API, which used the UUID as the device sent it) can be
    /// read, listed and deleted. [`ObjectKey::is_canonical`] tells whether it is the
    /// lowercase key that writers write.
    ///
    /// ```
    /// use ffce_core::layout::Layout;
    /// use ffce_store::DeviceUrl;
    /// let url = DeviceUrl::parse("s3://backups/3F2504E0-4F89-41D3-9A0C-0305E82C3301").unwrap();
    /// let key = url.key(Layout::Flat);
    /// assert_eq!(key.as_string(), "3F2504E0-4F89-41D3-9A0C-0305E82C3301");
    /// assert!(!key.is_canonical());
    /// ```
    pub fn key(&self, layout: Layout) -> ObjectKey {
        let layout = self.layout.unwrap_or(layout);
        // Parsed by DeviceId::parse above, so as_spelled cannot refuse it.
        ObjectKey::as_spelled(&self.uuid, layout)
            .unwrap_or_else(|_| ObjectKey::new(self.device, layout))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "3f2504e0-4f89-41d3-9a0c-0305e82c3301";

    #[test]
    fn parses_both_forms() {
        let nested = DeviceUrl::parse(&format!("s3://b-1.x/{ID}/backup.ffce")).unwrap();
        assert_eq!(nested.bucket, "b-1.x");
        assert_eq!(nested.device.to_string(), ID);
        assert_eq!(nested.layout, Some(Layout::Nested));
        let folder = DeviceUrl::parse(&format!("s3://bkt/{ID}/")).unwrap();
        assert_eq!(folder.layout, Some(Layout::Nested));
        let device = DeviceUrl::parse(&format!("S3://bkt/{ID}")).unwrap();
        assert_eq!(device.layout, None);
        assert_eq!(device.bucket, "bkt");
    }

    #[test]
    fn refuses_anything_else() {
        for bad in [
            "".to_string(),
            ID.to_string(),
            "s3://".into(),
            "s3://bkt".into(),
            "s3://bkt/".into(),
            format!("s3:///{ID}"),
            format!("s3://b/{ID}"),
            format!("s3://b?x/{ID}"),
            "s3://bkt/not-a-uuid".into(),
            format!("s3://bkt/{ID}/other.bin"),
            format!("s3://bkt/{ID}/backup.ffce/x"),
            format!("https://bkt/{ID}"),
        ] {
            assert!(DeviceUrl::parse(&bad).is_err(), "{bad:?}");
        }
        assert!(DeviceUrl::is_url("s3://x"));
        assert!(!DeviceUrl::is_url(ID));
    }
}
