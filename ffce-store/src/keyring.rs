//! Where an audit gets the key for each device: none (structure only), one key for
//! the whole fleet (a test bench), or one master secret per device from a folder.
//!
//! Every controller has its own master secret (docs/SPEC.md §2), so one key
//! authenticates one device and calls every other backup unauthentic. A key escrow
//! or a support team holding the secrets keeps them as `DIR/{uuid}.key`, one file per
//! device, named by the lowercase UUID, holding any encoding
//! [`ffce_core::key_material::parse_key_material`] reads (64 hex digits, base64 of 32
//! bytes, 32 raw bytes).
//!
//! A key is read only when that device's backup is audited, and wiped when it drops:
//! the file's bytes are held in a `Zeroizing` buffer, the master secret and the
//! derived key wipe themselves. A fleet of a million devices never has more keys in
//! memory than reads in flight.

use std::fmt;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use ffce_core::key_material::{self, KeyMaterialError};
use ffce_core::{Key, MasterSecret, Purpose, layout::DeviceId};
use zeroize::Zeroizing;

use crate::bounded::{Bounded, MAX_KEY_FILE_LEN, read_at_most};
use crate::error::{StoreError, StoreResult};

/// The keys of an audit: where each device's key comes from.
///
/// ```
/// use std::sync::Arc;
/// use ffce_core::{MasterSecret, Purpose};
/// use ffce_store::keyring::AuditKeys;
///
/// // One key for the whole fleet, shared with the tasks that authenticate.
/// let keys = AuditKeys::One(Arc::new(MasterSecret::from_bytes([0x11; 32]).derive(Purpose::Backup)));
/// assert!(matches!(keys, AuditKeys::One(_)));
/// ```
#[derive(Debug)]
pub enum AuditKeys {
    /// No key: each backup is judged by its structure only.
    None,
    /// One key for every device (shared with the tasks that authenticate).
    One(Arc<Key>),
    /// A master secret per device, read from a folder when the device is audited.
    PerDevice(KeyDir),
}

/// A device's master secret as its key file holds it, wiped on drop.
pub type Secret = Zeroizing<[u8; 32]>;

/// A folder of per-device master secrets, `DIR/{uuid}.key`.
///
/// ```
/// use ffce_core::Purpose;
/// use ffce_core::layout::DeviceId;
/// use ffce_store::keyring::KeyDir;
///
/// let dir = tempfile::tempdir().unwrap();
/// let device = DeviceId::parse("3f2504e0-4f89-41d3-9a0c-0305e82c3301").unwrap();
/// let keys = KeyDir::open(dir.path(), Purpose::Backup).unwrap();
/// assert!(keys.load(device).unwrap().is_none(), "no key file for the device");
/// std::fs::write(keys.path_for(device), "11".repeat(32)).unwrap();
/// assert!(keys.load(device).unwrap().is_some());
/// ```
#[derive(Clone, Debug)]
pub struct KeyDir {
    dir: PathBuf,
    purpose: Purpose,
}

/// Why a device's key file could not be used. Describes the file, never its bytes.
#[derive(Debug)]
pub enum KeyFileError {
    /// The file exists but could not be read.
    Unreadable {
        /// The file.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// The file is not a regular file, or is far too long to be a key.
    NotAKeyFile {
        /// The file.
        path: PathBuf,
        /// What was found.
        found: String,
    },
    /// The file's contents are not key material.
    NotAKey {
        /// The file.
        path: PathBuf,
        /// What was found (a length, an apparent encoding; never the bytes).
        problem: KeyMaterialError,
    },
}

impl fmt::Display for KeyFileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyFileError::Unreadable { path, source } => {
                write!(f, "cannot read key file {}: {source}", path.display())
            }
            KeyFileError::NotAKeyFile { path, found } => {
                write!(f, "key file {}: {found}", path.display())
            }
            KeyFileError::NotAKey { path, problem } => {
                write!(
                    f,
                    "key file {} does not hold a key: {problem}",
                    path.display()
                )
            }
        }
    }
}

impl std::error::Error for KeyFileError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            KeyFileError::Unreadable { source, .. } => Some(source),
            KeyFileError::NotAKey { problem, .. } => Some(problem),
            KeyFileError::NotAKeyFile { .. } => None,
        }
    }
}

impl KeyDir {
    /// A folder of master secrets from which the key for `purpose` is derived. The
    /// folder must exist ([`StoreError::NotFound`] otherwise); its files are read
    /// only by [`load`](Self::load).
    pub fn open(dir: impl Into<PathBuf>, purpose: Purpose) -> StoreResult<KeyDir> {
        let dir = dir.into();
        match fs::metadata(&dir) {
            Ok(meta) if meta.is_dir() => Ok(KeyDir { dir, purpose }),
            Ok(_) => Err(StoreError::Config {
                setting: "key folder",
                problem: format!("{} is not a folder", dir.display()),
            }),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Err(StoreError::NotFound {
                what: format!("key folder {}", dir.display()),
            }),
            Err(e) => Err(StoreError::Config {
                setting: "key folder",
                problem: format!("cannot read {}: {e}", dir.display()),
            }),
        }
    }

    /// The folder.
    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// Where `device`'s master secret is expected: `DIR/{uuid}.key`, lowercase.
    pub fn path_for(&self, device: DeviceId) -> PathBuf {
        self.dir.join(format!("{device}.key"))
    }

    /// The key for `device`, derived from its master secret; `None` when the folder
    /// has no file for it. Blocking file I/O: call it off the I/O task.
    pub fn load(&self, device: DeviceId) -> Result<Option<Key>, KeyFileError> {
        Ok(self
            .load_secret(device)?
            .map(|secret| MasterSecret::from_bytes(*secret).derive(self.purpose)))
    }

    /// The devices with a key file here (`{uuid}.key`, the lowercase UUID: the name
    /// [`path_for`](Self::path_for) gives), in UUID order. Other names are not keys of
    /// this folder and are left out.
    pub fn devices(&self) -> io::Result<Vec<DeviceId>> {
        let mut devices = Vec::new();
        for entry in fs::read_dir(&self.dir)? {
            let name = entry?.file_name();
            let Some(stem) = name.to_str().and_then(|n| n.strip_suffix(".key")) else {
                continue;
            };
            match DeviceId::parse(stem) {
                Ok(device) if device.to_string() == stem => devices.push(device),
                _ => {}
            }
        }
        devices.sort_by_key(|d| d.to_string());
        Ok(devices)
    }

    /// The device whose key opens `blob`, with that device's master secret, trying each
    /// key file of [`devices`](Self::devices) in turn (each tried key costs one AEAD
    /// open of the blob). `None` when no key here opens it. A key file that cannot be
    /// used stops the search with its error: a broken file might have held the key.
    pub fn find_opener(&self, blob: &[u8]) -> Result<Option<(DeviceId, Secret)>, KeyFileError> {
        let devices = self.devices().map_err(|source| KeyFileError::Unreadable {
            path: self.dir.clone(),
            source,
        })?;
        for device in devices {
            let Some(secret) = self.load_secret(device)? else {
                continue; // removed since the folder was read
            };
            if MasterSecret::from_bytes(*secret)
                .derive(self.purpose)
                .open(blob)
                .is_ok()
            {
                return Ok(Some((device, secret)));
            }
        }
        Ok(None)
    }

    /// `device`'s master secret as stored, wiped on drop; `None` without a file.
    pub fn load_secret(
        &self,
        device: DeviceId,
    ) -> Result<Option<Zeroizing<[u8; 32]>>, KeyFileError> {
        let path = self.path_for(device);
        let meta = match fs::metadata(&path) {
            Ok(meta) => meta,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(source) => return Err(KeyFileError::Unreadable { path, source }),
        };
        if !meta.is_file() {
            return Err(KeyFileError::NotAKeyFile {
                path,
                found: "not a regular file".to_string(),
            });
        }
        if meta.len() > MAX_KEY_FILE_LEN {
            return Err(KeyFileError::NotAKeyFile {
                found: format!(
                    "{}, far too long to be a key",
                    ffce_core::numbers::Count(meta.len(), "byte")
                ),
                path,
            });
        }
        let read = fs::File::open(&path).and_then(|f| read_at_most(f, MAX_KEY_FILE_LEN, 64));
        let bytes = match read {
            Ok(Bounded::Within(bytes)) => bytes,
            // The file grew past the limit after its size was read.
            Ok(Bounded::TooLong) => {
                return Err(KeyFileError::NotAKeyFile {
                    found: format!(
                        "more than {}, far too long to be a key",
                        ffce_core::numbers::Count(MAX_KEY_FILE_LEN, "byte")
                    ),
                    path,
                });
            }
            Err(source) => return Err(KeyFileError::Unreadable { path, source }),
        };
        // Each `MasterSecret::from_bytes` of it takes a copy that it wipes on drop;
        // this one is wiped by its `Zeroizing` owner.
        key_material::parse_key_material(&bytes)
            .map(Some)
            .map_err(|problem| KeyFileError::NotAKey { path, problem })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn device(n: u8) -> DeviceId {
        DeviceId::parse(&format!("3f2504e0-4f89-41d3-9a0c-0305e82c33{n:02x}")).unwrap()
    }

    #[test]
    fn keys_per_device_in_every_encoding() {
        let dir = tempfile::tempdir().unwrap();
        let keys = KeyDir::open(dir.path(), Purpose::Backup).unwrap();
        let expected = MasterSecret::from_bytes([0x11; 32]).derive(Purpose::Backup);
        let blob = expected.seal(b"{}").unwrap();
        fs::write(keys.path_for(device(1)), format!("{}\n", "11".repeat(32))).unwrap();
        fs::write(keys.path_for(device(2)), [0x11; 32]).unwrap();
        fs::write(
            keys.path_for(device(3)),
            "ERERERERERERERERERERERERERERERERERERERERERE=\n",
        )
        .unwrap();
        for n in 1..=3 {
            let key = keys.load(device(n)).unwrap().expect("a key");
            assert!(key.open(&blob).is_ok(), "device {n}");
        }
        assert!(keys.load(device(4)).unwrap().is_none(), "no file, no key");
        assert!(
            keys.path_for(device(1))
                .ends_with("3f2504e0-4f89-41d3-9a0c-0305e82c3301.key")
        );
    }

    #[test]
    fn the_key_that_opens_a_loose_blob_is_found() {
        let dir = tempfile::tempdir().unwrap();
        let keys = KeyDir::open(dir.path(), Purpose::Backup).unwrap();
        for n in 1..=3 {
            fs::write(keys.path_for(device(n)), [n; 32]).unwrap();
        }
        // Not keys of this folder: another name, an uppercase UUID.
        fs::write(dir.path().join("notes.txt"), "x").unwrap();
        fs::write(
            dir.path().join("3F2504E0-4F89-41D3-9A0C-0305E82C33FF.key"),
            [0xff; 32],
        )
        .unwrap();
        assert_eq!(
            keys.devices().unwrap(),
            vec![device(1), device(2), device(3)]
        );
        let blob = MasterSecret::from_bytes([2; 32])
            .derive(Purpose::Backup)
            .seal(b"{}")
            .unwrap();
        let (found, secret) = keys.find_opener(&blob).unwrap().expect("device 2's key");
        assert_eq!((found, *secret), (device(2), [2; 32]));
        let foreign = MasterSecret::from_bytes([9; 32])
            .derive(Purpose::Backup)
            .seal(b"{}")
            .unwrap();
        assert!(keys.find_opener(&foreign).unwrap().is_none());
    }

    #[test]
    fn a_bad_key_file_is_named_and_not_shown() {
        let dir = tempfile::tempdir().unwrap();
        let keys = KeyDir::open(dir.path(), Purpose::Backup).unwrap();
        let near_miss = "ab".repeat(29);
        fs::write(keys.path_for(device(1)), &near_miss).unwrap();
        let err = keys.load(device(1)).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("58 hex digits"), "{text}");
        assert!(text.contains(".key"), "{text}");
        assert!(!text.contains(&near_miss), "{text}");
        fs::write(keys.path_for(device(2)), vec![b'a'; 5000]).unwrap();
        assert!(matches!(
            keys.load(device(2)),
            Err(KeyFileError::NotAKeyFile { .. })
        ));
        fs::create_dir(keys.path_for(device(3))).unwrap();
        assert!(matches!(
            keys.load(device(3)),
            Err(KeyFileError::NotAKeyFile { .. })
        ));
    }

    #[test]
    fn a_missing_folder_is_not_found() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nope");
        assert!(matches!(
            KeyDir::open(&missing, Purpose::Backup),
            Err(StoreError::NotFound { .. })
        ));
        let file = dir.path().join("file");
        fs::write(&file, b"x").unwrap();
        assert!(matches!(
            KeyDir::open(&file, Purpose::Backup),
            Err(StoreError::Config { .. })
        ));
    }
}
