//! Device ids and the object keys built from them (docs/SPEC.md §5): the bucket layout
//! every writer of the bucket shares, so it lives beside the format.
//!
//! A key is never typed by the user: [`ObjectKey`] is made only from a validated
//! [`DeviceId`] (or a validated spelling of one) and a [`Layout`], so no raw string
//! reaches an S3 request or a local path (a UUID is hex digits and hyphens, which cannot
//! climb out of a directory or smuggle a query string). The reverse direction,
//! [`ListedKey::classify`], turns a key found in a listing back into a device, or
//! explains why it is a stray key.

use alloc::string::{String, ToString};
use alloc::vec::Vec;
use alloc::{format, vec};
use core::fmt;
use core::str::FromStr;

use uuid::Uuid;

/// The file name of a backup in the nested layout: `{uuid}/backup.ffce`.
pub const BACKUP_FILE_NAME: &str = "backup.ffce";

/// The user metadata key under which every writer stores the plaintext's hex SHA-256
/// (S3 returns it as `x-amz-meta-etag`; docs/SPEC.md §5). Not the object's ETag.
pub const PLAINTEXT_DIGEST_METADATA: &str = "etag";

/// The `Content-Type` of every backup object (docs/SPEC.md §5).
pub const CONTENT_TYPE: &str = "application/octet-stream";

/// Length of the hyphenated 8-4-4-4-12 form.
const HYPHENATED_LEN: usize = 36;
/// Where the hyphens of the 8-4-4-4-12 form are.
const HYPHENS_AT: [usize; 4] = [8, 13, 18, 23];

/// A device UUID in the 8-4-4-4-12 hex form; displayed in canonical lowercase.
///
/// ```
/// use ffce_core::layout::DeviceId;
///
/// let id = DeviceId::parse("3F2504E0-4F89-41D3-9A0C-0305E82C3301").unwrap();
/// assert_eq!(id.to_string(), "3f2504e0-4f89-41d3-9a0c-0305e82c3301"); // lowercase
/// assert!(DeviceId::parse("{3f2504e0-4f89-41d3-9a0c-0305e82c3301}").is_err());
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DeviceId(Uuid);

/// Why a string is not a device id. The message quotes at most a short, sanitised
/// prefix of the input (it could be anything, e.g. a key pasted by mistake).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvalidDeviceId {
    reason: &'static str,
}

impl fmt::Display for InvalidDeviceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "not a device UUID ({}); expected the 8-4-4-4-12 hex form, \
             e.g. 3f2504e0-4f89-41d3-9a0c-0305e82c3301",
            self.reason
        )
    }
}

impl core::error::Error for InvalidDeviceId {}

impl DeviceId {
    /// Parses the hyphenated 8-4-4-4-12 form, hex digits of either case.
    ///
    /// The other spellings the `uuid` crate accepts (32 bare digits, braces, `urn:uuid:`)
    /// are refused: the cloud knows only this one, and a key built from anything else
    /// would name a different object.
    pub fn parse(s: &str) -> Result<DeviceId, InvalidDeviceId> {
        if s.len() != HYPHENATED_LEN {
            return Err(InvalidDeviceId {
                reason: "wrong length",
            });
        }
        let bytes = s.as_bytes();
        for (i, &b) in bytes.iter().enumerate() {
            let ok = if HYPHENS_AT.contains(&i) {
                b == b'-'
            } else {
                b.is_ascii_hexdigit()
            };
            if !ok {
                return Err(InvalidDeviceId {
                    reason: "only hex digits and four hyphens in the 8-4-4-4-12 places",
                });
            }
        }
        Uuid::try_parse(s)
            .map(DeviceId)
            .map_err(|_| InvalidDeviceId {
                reason: "not a UUID",
            })
    }
}

impl FromStr for DeviceId {
    type Err = InvalidDeviceId;
    fn from_str(s: &str) -> Result<DeviceId, InvalidDeviceId> {
        DeviceId::parse(s)
    }
}

impl fmt::Display for DeviceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0.hyphenated(), f)
    }
}

impl fmt::Debug for DeviceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DeviceId({self})")
    }
}

/// How a device's backup is keyed in the bucket (docs/SPEC.md §5).
///
/// ```
/// use ffce_core::layout::{DeviceId, Layout, ObjectKey};
///
/// let id = DeviceId::parse("3f2504e0-4f89-41d3-9a0c-0305e82c3301").unwrap();
/// assert_eq!(ObjectKey::new(id, Layout::Nested).as_string(), format!("{id}/backup.ffce"));
/// assert_eq!(ObjectKey::new(id, Layout::Flat).as_string(), id.to_string());
/// assert_eq!(Layout::Flat.name(), "flat");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Layout {
    /// `{uuid}/backup.ffce`, the original deployments.
    Nested,
    /// `{uuid}`, newer deployments.
    Flat,
}

impl Layout {
    /// The layout's name (`nested`, `flat`), as configuration spells it.
    pub fn name(self) -> &'static str {
        match self {
            Layout::Nested => "nested",
            Layout::Flat => "flat",
        }
    }

    /// The layout named `name` ([`Layout::name`]), as configuration spells it.
    ///
    /// ```
    /// use ffce_core::layout::Layout;
    /// assert_eq!(Layout::from_name("flat"), Some(Layout::Flat));
    /// assert_eq!(Layout::from_name("Flat"), None);
    /// ```
    pub fn from_name(name: &str) -> Option<Layout> {
        [Layout::Nested, Layout::Flat]
            .into_iter()
            .find(|l| l.name() == name)
    }
}

/// The key of one device's backup object, built only from a [`DeviceId`] and a
/// [`Layout`], and written with the UUID in lowercase unless made by
/// [`ObjectKey::as_spelled`].
///
/// ```
/// use ffce_core::layout::{Layout, ObjectKey};
///
/// let key = ObjectKey::parse("3F2504E0-4F89-41D3-9A0C-0305E82C3301/backup.ffce").unwrap();
/// assert_eq!(key.layout(), Layout::Nested);
/// assert!(!key.is_canonical()); // spelled as stored
/// assert_eq!(key.canonical().as_string(), "3f2504e0-4f89-41d3-9a0c-0305e82c3301/backup.ffce");
/// assert!(ObjectKey::parse("notes.txt").is_none());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ObjectKey {
    device: DeviceId,
    layout: Layout,
    /// Which of the UUID's 32 hex digits are written in uppercase (bit `i` for digit
    /// `i`); 0, the canonical lowercase key, unless made by [`ObjectKey::as_spelled`].
    /// A mask rather than the text keeps the key `Copy` and unable to hold anything
    /// but a spelling of its own UUID.
    uppercase_digits: u32,
}

impl ObjectKey {
    /// The key of `device`'s backup in `layout`, with the UUID in lowercase: the key
    /// every ffce writer reads and writes.
    pub fn new(device: DeviceId, layout: Layout) -> ObjectKey {
        ObjectKey {
            device,
            layout,
            uppercase_digits: 0,
        }
    }

    /// The key of a device's backup in `layout` with the UUID spelled exactly as
    /// `uuid` spells it (hex digits of either case, as [`DeviceId::parse`] accepts).
    ///
    /// A writer that used the UUID as a device sent it (the Python device API) may
    /// have stored a backup under an uppercase or mixed-case key; S3 keys are
    /// case-sensitive, so only this spelling names that object. Writers still write
    /// [`ObjectKey::new`]'s lowercase key.
    ///
    /// ```
    /// use ffce_core::{layout::{Layout, ObjectKey}};
    ///
    /// let key = ObjectKey::as_spelled("3F2504E0-4f89-41d3-9a0c-0305e82c3301", Layout::Nested)?;
    /// assert_eq!(key.as_string(), "3F2504E0-4f89-41d3-9a0c-0305e82c3301/backup.ffce");
    /// assert!(!key.is_canonical());
    /// assert_eq!(key.canonical().as_string(), "3f2504e0-4f89-41d3-9a0c-0305e82c3301/backup.ffce");
    /// # Ok::<(), ffce_core::layout::InvalidDeviceId>(())
    /// ```
    pub fn as_spelled(uuid: &str, layout: Layout) -> Result<ObjectKey, InvalidDeviceId> {
        let device = DeviceId::parse(uuid)?;
        let uppercase_digits = uuid
            .bytes()
            .filter(|b| *b != b'-')
            .enumerate()
            .filter(|(_, b)| b.is_ascii_uppercase())
            .fold(0u32, |mask, (i, _)| mask | 1 << i);
        Ok(ObjectKey {
            device,
            layout,
            uppercase_digits,
        })
    }

    /// The backup key `key` is, in either layout and with the UUID in any case (as
    /// [`ObjectKey::as_spelled`] names it); `None` for any other key. Seen from one
    /// layout, [`ListedKey::classify`] says what such a key is.
    ///
    /// ```
    /// use ffce_core::{layout::{Layout, ObjectKey}};
    ///
    /// let key = ObjectKey::parse("3F2504E0-4F89-41D3-9A0C-0305E82C3301").unwrap();
    /// assert_eq!(key.layout(), Layout::Flat);
    /// assert!(!key.is_canonical());
    /// assert!(ObjectKey::parse("3f2504e0-4f89-41d3-9a0c-0305e82c3301/other.ffce").is_none());
    /// ```
    pub fn parse(key: &str) -> Option<ObjectKey> {
        let (uuid, layout) = match key.split_once('/') {
            Some((head, BACKUP_FILE_NAME)) => (head, Layout::Nested),
            Some(_) => return None,
            None => (key, Layout::Flat),
        };
        ObjectKey::as_spelled(uuid, layout).ok()
    }

    /// The device.
    pub fn device(&self) -> DeviceId {
        self.device
    }

    /// The layout.
    pub fn layout(&self) -> Layout {
        self.layout
    }

    /// Whether the UUID is written in lowercase, as writers write it.
    pub fn is_canonical(&self) -> bool {
        self.uppercase_digits == 0
    }

    /// The same device's key with the UUID in lowercase.
    pub fn canonical(&self) -> ObjectKey {
        ObjectKey::new(self.device, self.layout)
    }

    /// The UUID as this key spells it.
    fn uuid_text(&self) -> String {
        let lower = self.device.to_string();
        if self.is_canonical() {
            return lower;
        }
        let mut digit = 0;
        lower
            .chars()
            .map(|c| {
                if c == '-' {
                    return c;
                }
                let upper = self.uppercase_digits & (1 << digit) != 0;
                digit += 1;
                if upper { c.to_ascii_uppercase() } else { c }
            })
            .collect()
    }

    /// The key as a string: `{uuid}/backup.ffce` or `{uuid}`, lowercase unless made
    /// by [`ObjectKey::as_spelled`].
    pub fn as_string(&self) -> String {
        match self.layout {
            Layout::Nested => format!("{}/{BACKUP_FILE_NAME}", self.uuid_text()),
            Layout::Flat => self.uuid_text(),
        }
    }

    /// The key's path segments, for the local store: `[uuid, "backup.ffce"]` or `[uuid]`.
    pub fn segments(&self) -> Vec<String> {
        match self.layout {
            Layout::Nested => vec![self.uuid_text(), BACKUP_FILE_NAME.to_string()],
            Layout::Flat => vec![self.uuid_text()],
        }
    }
}

impl fmt::Display for ObjectKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.as_string())
    }
}

/// What a key found in a listing is, seen from one layout.
///
/// ```
/// use ffce_core::layout::{Layout, ListedKey, StrayReason};
///
/// let flat = "3f2504e0-4f89-41d3-9a0c-0305e82c3301";
/// assert!(matches!(ListedKey::classify(flat, Layout::Flat), ListedKey::Backup(_)));
/// assert_eq!(
///     ListedKey::classify(flat, Layout::Nested),
///     ListedKey::Stray(StrayReason::OtherLayout(Layout::Flat))
/// );
/// assert_eq!(
///     ListedKey::classify("readme.txt", Layout::Nested),
///     ListedKey::Stray(StrayReason::Unrecognised)
/// );
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ListedKey {
    /// A device's backup in the layout asked for.
    Backup(ObjectKey),
    /// Anything else, with the reason it does not fit.
    Stray(StrayReason),
}

/// Why a listed key is not a backup in the chosen layout.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StrayReason {
    /// A backup key of the other layout (a listing in that layout finds it).
    OtherLayout(Layout),
    /// A backup key whose UUID is not lowercase; writers never write it (the lowercase
    /// key names a different object), and only [`ObjectKey::as_spelled`] names it.
    NotCanonical,
    /// Not a backup key of either layout.
    Unrecognised,
}

impl StrayReason {
    /// A short machine-readable code.
    pub fn code(self) -> &'static str {
        match self {
            StrayReason::OtherLayout(Layout::Nested) => "nested_layout",
            StrayReason::OtherLayout(Layout::Flat) => "flat_layout",
            StrayReason::NotCanonical => "uppercase_uuid",
            StrayReason::Unrecognised => "unrecognised",
        }
    }
}

impl ListedKey {
    /// Classifies a key from a listing, seen from `layout`.
    pub fn classify(key: &str, layout: Layout) -> ListedKey {
        match ObjectKey::parse(key) {
            None => ListedKey::Stray(StrayReason::Unrecognised),
            Some(found) if !found.is_canonical() => ListedKey::Stray(StrayReason::NotCanonical),
            Some(found) if found.layout() != layout => {
                ListedKey::Stray(StrayReason::OtherLayout(found.layout()))
            }
            Some(found) => ListedKey::Backup(found),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "3f2504e0-4f89-41d3-9a0c-0305e82c3301";

    #[test]
    fn parses_either_case_and_writes_lowercase() {
        let upper = DeviceId::parse(&ID.to_uppercase()).unwrap();
        assert_eq!(upper.to_string(), ID);
        assert_eq!(upper, DeviceId::parse(ID).unwrap());
    }

    #[test]
    fn refuses_other_spellings() {
        for bad in [
            "",
            "3f2504e04f8941d39a0c0305e82c3301",
            "{3f2504e0-4f89-41d3-9a0c-0305e82c3301}",
            "urn:uuid:3f2504e0-4f89-41d3-9a0c-0305e82c3301",
            "3f2504e0-4f89-41d3-9a0c-0305e82c330g",
            "3f2504e0-4f89-41d3-9a0c0-305e82c3301",
            "../../../../etc/passwd/aaaaaaaaaaaaaaaaa",
            "3f2504e0-4f89-41d3-9a0c-0305e82c3301/",
            " 3f2504e0-4f89-41d3-9a0c-0305e82c3301",
        ] {
            assert!(DeviceId::parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn keys_per_layout() {
        let id = DeviceId::parse(ID).unwrap();
        assert_eq!(
            ObjectKey::new(id, Layout::Nested).as_string(),
            format!("{ID}/backup.ffce")
        );
        assert_eq!(ObjectKey::new(id, Layout::Flat).as_string(), ID);
    }

    #[test]
    fn keys_as_spelled_keep_each_digits_case() {
        let mixed = "3F2504e0-4f89-41D3-9a0C-0305E82c3301";
        for layout in [Layout::Nested, Layout::Flat] {
            let key = ObjectKey::as_spelled(mixed, layout).unwrap();
            let canonical = ObjectKey::new(DeviceId::parse(ID).unwrap(), layout);
            assert!(!key.is_canonical());
            assert_ne!(key, canonical);
            assert_eq!(key.canonical(), canonical);
            assert_eq!(key.device(), canonical.device());
            let text = key.as_string();
            assert_eq!(text, canonical.as_string().replacen(ID, mixed, 1));
            assert_eq!(key.segments().join("/"), text);
            let all_upper = ObjectKey::as_spelled(&ID.to_uppercase(), layout).unwrap();
            assert_eq!(
                all_upper.as_string(),
                canonical.as_string().replacen(ID, &ID.to_uppercase(), 1)
            );
            let lower = ObjectKey::as_spelled(ID, layout).unwrap();
            assert!(lower.is_canonical());
            assert_eq!(lower, canonical);
        }
        assert!(ObjectKey::as_spelled("3F2504E0", Layout::Nested).is_err());
    }

    #[test]
    fn parse_is_the_inverse_of_as_string() {
        let mixed = "3F2504e0-4f89-41D3-9a0C-0305E82c3301";
        for layout in [Layout::Nested, Layout::Flat] {
            for spelled in [ID, mixed] {
                let key = ObjectKey::as_spelled(spelled, layout).unwrap();
                assert_eq!(ObjectKey::parse(&key.as_string()), Some(key));
            }
        }
        for other in [
            "",
            "readme.txt",
            "3f2504e0-4f89-41d3-9a0c-0305e82c3301/",
            "3f2504e0-4f89-41d3-9a0c-0305e82c3301/backup.ffce/x",
            "x/3f2504e0-4f89-41d3-9a0c-0305e82c3301/backup.ffce",
        ] {
            assert_eq!(ObjectKey::parse(other), None, "{other:?}");
        }
    }

    #[test]
    fn classify_listed_keys() {
        let id = DeviceId::parse(ID).unwrap();
        let nested = format!("{ID}/backup.ffce");
        assert_eq!(
            ListedKey::classify(&nested, Layout::Nested),
            ListedKey::Backup(ObjectKey::new(id, Layout::Nested))
        );
        assert_eq!(
            ListedKey::classify(&nested, Layout::Flat),
            ListedKey::Stray(StrayReason::OtherLayout(Layout::Nested))
        );
        assert_eq!(
            ListedKey::classify(ID, Layout::Flat),
            ListedKey::Backup(ObjectKey::new(id, Layout::Flat))
        );
        assert_eq!(
            ListedKey::classify(&ID.to_uppercase(), Layout::Flat),
            ListedKey::Stray(StrayReason::NotCanonical)
        );
        for stray in [
            "readme.txt",
            &format!("{ID}/other.ffce"),
            &format!("{ID}/backup.ffce/x"),
            "",
        ] {
            assert_eq!(
                ListedKey::classify(stray, Layout::Nested),
                ListedKey::Stray(StrayReason::Unrecognised),
                "{stray:?}"
            );
        }
    }
}
