//! The local directory store: the bucket's key layout as folders and files under one
//! root: a store without a server, for development and a command's default store.
//!
//! - Paths are built only from an [`ObjectKey`] (a validated UUID and a layout), so no
//!   user string becomes a path. A key component that is a symlink leading out of the
//!   root (or nowhere) is refused; a symlink that stays inside the root is followed.
//!   (The check and the use are separate system calls: someone who can write into the
//!   root while ffce runs can still race it. The store protects against mistakes, not
//!   against a hostile co-owner of the folder.)
//! - Writes are atomic: a temporary file in the key's folder, synced, then renamed into
//!   place; an interrupted write leaves either the old file or the new one (and
//!   an application that handles SIGINT/SIGTERM removes the temporary file through
//!   [`crate::temp::remove_pending`]).
//! - [`Condition::IfAbsent`] is exact: the final step is a no-clobber rename (`renameat2` with
//!   `RENAME_NOREPLACE`, or link+unlink), so of two concurrent writers one fails
//!   (unless both wrote the same bytes: then the second finds them already stored).
//! - Every write and delete of a device holds an exclusive advisory lock on that
//!   device's lock file (`.ffce-locks/{uuid}.lock` under the root, `flock` on Unix,
//!   `LockFileEx` on Windows) from before the comparison until after the rename. So
//!   [`Condition::IfMatch`] is a real compare-and-swap: of concurrent writers that read
//!   the same ETag, exactly one wins, whether they are tasks of one process or separate
//!   processes. Advisory locks bind only programs that take them (every ffce does), and
//!   on a network file system (NFS, SMB) they may not be shared between machines: there
//!   the guarantee holds only among writers on one machine. The lock files stay (a few
//!   empty files; removing one while another writer holds it would break the lock) and
//!   are not listed.
//! - The ETag of a local object is the hex SHA-256 of the file.
//! - No versions: [`Store::versioned`] is `None` and a `get` of a version refuses.
//! - File I/O runs on tokio's blocking pool (`spawn_blocking`), never on the caller's
//!   async worker.
//! - In the flat layout `{uuid}` is a file; in the nested layout `{uuid}` is a folder.
//!   A bucket can hold both for one device, a folder cannot.

use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use bytes::Bytes;
use sha2::{Digest, Sha256};

use async_trait::async_trait;
use ffce_core::layout::ObjectKey;

use crate::checksum::ChecksumCheck;
use crate::error::{StoreError, StoreResult};
use crate::store::{
    Condition, DeleteOptions, DeleteOutcome, GetOptions, ListEntry, Object, PutOptions, PutOutcome,
    PutStatus, Store, unquote_etag,
};
use crate::temp::{AtomicWrite, WriteStep, write_atomically};

/// The folder under the root that holds the per-device lock files; not a key of the
/// bucket's layout, so never listed.
const LOCKS: &str = ".ffce-locks";

/// A folder laid out like the bucket.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use bytes::Bytes;
/// use ffce_core::layout::{DeviceId, Layout, ObjectKey};
/// use ffce_store::{LocalStore, PutOptions, Store};
///
/// let dir = tempfile::tempdir()?;
/// let store = LocalStore::new(dir.path().to_path_buf());
/// let key = ObjectKey::new(DeviceId::parse("3f2504e0-4f89-41d3-9a0c-0305e82c3301")?, Layout::Nested);
/// let blob = Bytes::from_static(b"FFCE\x01 (a real caller seals a blob with ffce-core)");
/// store.put(&key, blob.clone(), &PutOptions::for_body(&blob)).await?;
/// // The bucket's layout as folders and files.
/// assert!(dir.path().join("3f2504e0-4f89-41d3-9a0c-0305e82c3301/backup.ffce").is_file());
/// assert!(store.versioned().is_none(), "no versions");
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct LocalStore {
    root: PathBuf,
}

/// The folder's path.
impl std::fmt::Display for LocalStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.root.display())
    }
}

impl LocalStore {
    /// A store rooted at `root` (created on the first put).
    pub fn new(root: PathBuf) -> LocalStore {
        LocalStore { root }
    }

    /// The file of `key`, after checking that no component of it is a symlink that
    /// leaves the root.
    fn path_of(&self, key: &ObjectKey) -> StoreResult<PathBuf> {
        let mut path = self.root.clone();
        for segment in key.segments() {
            path.push(segment);
            self.check_inside(&path)?;
        }
        Ok(path)
    }

    fn check_inside(&self, path: &Path) -> StoreResult<()> {
        let Ok(meta) = fs::symlink_metadata(path) else {
            return Ok(()); // does not exist (yet): nothing to follow
        };
        if !meta.file_type().is_symlink() {
            return Ok(());
        }
        let root = fs::canonicalize(&self.root).map_err(|e| self.io_error(&self.root, e))?;
        match fs::canonicalize(path) {
            Ok(target) if target.starts_with(&root) && target != root => Ok(()),
            _ => Err(StoreError::UnsafePath {
                path: path.to_path_buf(),
            }),
        }
    }

    /// Takes `key`'s device lock, waiting for another writer to release it. The lock
    /// is held until the returned file is dropped (closing it releases the lock, also
    /// when the process dies).
    fn lock_device(&self, key: &ObjectKey) -> StoreResult<fs::File> {
        let dir = self.root.join(LOCKS);
        fs::create_dir_all(&dir).map_err(|e| self.io_error(&dir, e))?;
        self.check_inside(&dir)?;
        let path = dir.join(format!("{}.lock", key.device()));
        let file = fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| self.io_error(&path, e))?;
        // Named in full: on Rust 1.89+ `file.lock()` would be std's own method.
        fs4::FileExt::lock(&file).map_err(|e| self.io_error(&path, e))?;
        Ok(file)
    }

    fn io_error(&self, path: &Path, e: io::Error) -> StoreError {
        match e.kind() {
            io::ErrorKind::PermissionDenied => StoreError::FileAccessDenied {
                path: path.to_path_buf(),
                source: e,
            },
            _ => StoreError::other(format!("{}: {e}", path.display()), e),
        }
    }

    /// The first `n` bytes of `key`'s file and the file's length (no ETag: that would
    /// take reading the whole file).
    fn read_prefix(&self, key: &ObjectKey, n: usize) -> StoreResult<Object> {
        let path = self.path_of(key)?;
        let missing = |e: io::Error| {
            if matches!(
                e.kind(),
                io::ErrorKind::NotFound | io::ErrorKind::NotADirectory
            ) {
                StoreError::NotFound {
                    what: path.display().to_string(),
                }
            } else {
                self.io_error(&path, e)
            }
        };
        let file = fs::File::open(&path).map_err(missing)?;
        let meta = file.metadata().map_err(|e| self.io_error(&path, e))?;
        if meta.is_dir() {
            return Err(StoreError::message(format!(
                "{} is a folder, not a backup file",
                path.display()
            )));
        }
        let mut head = Vec::with_capacity(n);
        file.take(n as u64)
            .read_to_end(&mut head)
            .map_err(|e| self.io_error(&path, e))?;
        Ok(Object {
            body: Bytes::from(head),
            size: meta.len(),
            etag: None,
            version_id: None,
            plaintext_digest: None,
            checksum: ChecksumCheck::LocalFile,
            last_modified: meta.modified().ok(),
        })
    }

    fn read_current(&self, path: &Path) -> StoreResult<Option<Vec<u8>>> {
        match fs::metadata(path) {
            Ok(m) if m.is_dir() => Err(StoreError::message(format!(
                "{} is a folder, not a backup file (a device of the nested layout?)",
                path.display()
            ))),
            Ok(_) => fs::read(path).map(Some).map_err(|e| self.io_error(path, e)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) if e.kind() == io::ErrorKind::NotADirectory => Ok(None),
            Err(e) => Err(self.io_error(path, e)),
        }
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// The store's operations as plain blocking calls; the [`Store`] impl runs each on
/// tokio's blocking pool.
impl LocalStore {
    fn location(&self, key: &ObjectKey) -> String {
        let mut path = self.root.clone();
        for segment in key.segments() {
            path.push(segment);
        }
        path.display().to_string()
    }

    fn put_blocking(
        &self,
        key: &ObjectKey,
        body: &[u8],
        opts: &PutOptions,
    ) -> StoreResult<PutOutcome> {
        let path = self.path_of(key)?;
        let what = path.display().to_string();
        let dir = path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| self.root.clone());
        let ours = hex::encode(opts.content_sha256);
        // Held across the comparison and the rename: a compare-and-swap.
        let _lock = self.lock_device(key)?;
        let already_stored = || PutOutcome {
            etag: Some(ours.clone()),
            version_id: None,
            location: what.clone(),
            status: PutStatus::AlreadyStored,
        };
        match &opts.condition {
            Condition::None => {}
            Condition::IfMatch(want) => {
                let want = unquote_etag(want).to_ascii_lowercase();
                match self
                    .read_current(&path)?
                    .map(|current| sha256_hex(&current))
                {
                    None => {
                        return Err(StoreError::PreconditionFailed {
                            what,
                            missing: true,
                        });
                    }
                    Some(current) if current != want && current == ours => {
                        return Ok(already_stored());
                    }
                    Some(current) if current != want => {
                        return Err(StoreError::PreconditionFailed {
                            what,
                            missing: false,
                        });
                    }
                    Some(_) => {}
                }
            }
            Condition::IfAbsent => match self.read_current(&path)? {
                Some(current) if sha256_hex(&current) == ours => return Ok(already_stored()),
                Some(_) => return Err(StoreError::AlreadyExists { what }),
                None => {}
            },
        }

        fs::create_dir_all(&dir).map_err(|e| self.io_error(&dir, e))?;
        // The folder may have been created just now through a path that was checked
        // before it existed; check again.
        self.path_of(key)?;

        let written = write_atomically(
            &path,
            body,
            &AtomicWrite {
                replace: opts.condition != Condition::IfAbsent,
                ..AtomicWrite::default()
            },
        );
        match written {
            Ok(()) => {}
            // Another writer got there first (after the check above): the same answer
            // as if it had been first all along.
            Err(e)
                if e.step == WriteStep::Rename
                    && e.source.kind() == io::ErrorKind::AlreadyExists =>
            {
                return match self.read_current(&path)? {
                    Some(current) if sha256_hex(&current) == ours => Ok(already_stored()),
                    _ => Err(StoreError::AlreadyExists { what }),
                };
            }
            Err(e) if e.step == WriteStep::Create => return Err(self.io_error(&dir, e.source)),
            Err(e) => return Err(self.io_error(&path, e.source)),
        }
        Ok(PutOutcome {
            etag: Some(ours),
            version_id: None,
            location: what,
            status: PutStatus::Written,
        })
    }

    fn get_blocking(&self, key: &ObjectKey) -> StoreResult<Object> {
        let path = self.path_of(key)?;
        let body = self
            .read_current(&path)?
            .ok_or_else(|| StoreError::NotFound {
                what: path.display().to_string(),
            })?;
        let last_modified = fs::metadata(&path).and_then(|m| m.modified()).ok();
        Ok(Object {
            etag: Some(sha256_hex(&body)),
            size: body.len() as u64,
            body: Bytes::from(body),
            version_id: None,
            plaintext_digest: None,
            checksum: ChecksumCheck::LocalFile,
            last_modified,
        })
    }

    fn delete_blocking(&self, key: &ObjectKey, dry_run: bool) -> StoreResult<DeleteOutcome> {
        let path = self.path_of(key)?;
        // Serialised with the device's writes (a put creating the device's folder
        // while this delete removes it would otherwise fail its rename).
        // (A missing root has nothing to delete: no lock, and no folder made for it.)
        let _lock = if dry_run || !self.root.is_dir() {
            None
        } else {
            Some(self.lock_device(key)?)
        };
        let existed = match fs::symlink_metadata(&path) {
            Ok(m) if m.is_dir() => {
                return Err(StoreError::message(format!(
                    "{} is a folder, not a backup file; not deleting it",
                    path.display()
                )));
            }
            Ok(_) if dry_run => true,
            Ok(_) => match fs::remove_file(&path) {
                Ok(()) => true,
                Err(e) if e.kind() == io::ErrorKind::NotFound => false,
                Err(e) => return Err(self.io_error(&path, e)),
            },
            Err(_) => false,
        };
        // Nested layout: drop the device's folder once it is empty (never anything else).
        if key.segments().len() > 1 && !dry_run {
            if let Some(dir) = path.parent() {
                let _ = fs::remove_dir(dir);
            }
        }
        Ok(DeleteOutcome {
            existed: Some(existed),
            delete_marker_added: false,
            version_id: None,
            previous_version_id: None,
        })
    }

    fn list_blocking(&self) -> StoreResult<Vec<ListEntry>> {
        let mut out = Vec::new();
        let top = match fs::read_dir(&self.root) {
            Ok(rd) => rd,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Err(StoreError::NoFolder {
                    path: self.root.clone(),
                });
            }
            Err(e) => return Err(self.io_error(&self.root, e)),
        };
        for entry in top {
            let entry = entry.map_err(|e| self.io_error(&self.root, e))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if name == LOCKS {
                continue;
            }
            let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
            if !is_dir {
                out.push(file_entry(name, &entry.path()));
                continue;
            }
            let inner = fs::read_dir(entry.path()).map_err(|e| self.io_error(&entry.path(), e))?;
            for sub in inner {
                let sub = sub.map_err(|e| self.io_error(&entry.path(), e))?;
                let sub_name = sub.file_name().to_string_lossy().into_owned();
                let mut key = format!("{name}/{sub_name}");
                if sub.file_type().is_ok_and(|t| t.is_dir()) {
                    // Deeper folders are never backups; report the folder, not its tree.
                    key.push('/');
                }
                out.push(file_entry(key, &sub.path()));
            }
        }
        out.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(out)
    }
}

/// Runs a blocking file operation on tokio's blocking pool.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> StoreResult<T> + Send + 'static,
) -> StoreResult<T> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| StoreError::other("a local store task failed", e))?
}

#[async_trait]
impl Store for LocalStore {
    fn describe(&self, key: &ObjectKey) -> String {
        self.location(key)
    }

    async fn put(
        &self,
        key: &ObjectKey,
        body: Bytes,
        opts: &PutOptions,
    ) -> StoreResult<PutOutcome> {
        let (this, key, opts) = (self.clone(), *key, opts.clone());
        blocking(move || this.put_blocking(&key, &body, &opts)).await
    }

    /// A range read opens the file and reads only its first bytes; a head reads the
    /// whole file, for its ETag (the file's SHA-256), and drops the body.
    async fn get_opts(&self, key: &ObjectKey, opts: &GetOptions) -> StoreResult<Object> {
        if opts.version.is_some() {
            return Err(StoreError::NoVersions {
                what: "reading an older version",
            });
        }
        let (this, key, opts) = (self.clone(), *key, opts.clone());
        blocking(move || {
            if opts.head {
                let object = this.get_blocking(&key)?;
                return Ok(Object {
                    body: Bytes::new(),
                    ..object
                });
            }
            match opts.range {
                Some(range) => this.read_prefix(&key, range.end),
                None => this.get_blocking(&key),
            }
        })
        .await
    }

    /// Looking first or not is the same here: removing a file says whether it was
    /// there.
    async fn delete_opts(
        &self,
        key: &ObjectKey,
        opts: &DeleteOptions,
    ) -> StoreResult<DeleteOutcome> {
        let (this, key, dry_run) = (self.clone(), *key, opts.dry_run);
        blocking(move || this.delete_blocking(&key, dry_run)).await
    }

    async fn list(&self) -> StoreResult<Vec<ListEntry>> {
        let this = self.clone();
        blocking(move || this.list_blocking()).await
    }
}

fn file_entry(key: String, path: &Path) -> ListEntry {
    let meta = fs::metadata(path).ok();
    ListEntry {
        key,
        size: meta
            .as_ref()
            .map_or(0, |m| if m.is_dir() { 0 } else { m.len() }),
        last_modified: meta.and_then(|m| m.modified().ok()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ffce_core::layout::{DeviceId, Layout};

    fn key(layout: Layout) -> ObjectKey {
        ObjectKey::new(
            DeviceId::parse("3f2504e0-4f89-41d3-9a0c-0305e82c3301").unwrap(),
            layout,
        )
    }

    fn opts(condition: Condition, body: &[u8]) -> PutOptions {
        PutOptions {
            content_sha256: Sha256::digest(body).into(),
            plaintext_sha256: None,
            sse_kms_key_id: None,
            condition,
        }
    }

    #[tokio::test]
    async fn put_get_list_delete_both_layouts() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalStore::new(dir.path().join("store"));
        for layout in [Layout::Nested, Layout::Flat] {
            let k = key(layout);
            let body = Bytes::from_static(b"FFCE body");
            store
                .put(&k, body.clone(), &opts(Condition::None, &body))
                .await
                .unwrap();
            assert_eq!(store.get(&k, None).await.unwrap().body, body);
            let listed: Vec<String> = store
                .list()
                .await
                .unwrap()
                .into_iter()
                .map(|e| e.key)
                .collect();
            assert_eq!(listed, vec![k.as_string()]);
            assert_eq!(store.delete(&k).await.unwrap().existed, Some(true));
            assert_eq!(store.delete(&k).await.unwrap().existed, Some(false));
            assert!(matches!(
                store.get(&k, None).await,
                Err(StoreError::NotFound { .. })
            ));
            assert!(store.list().await.unwrap().is_empty());
        }
    }

    #[tokio::test]
    async fn listing_a_missing_folder_says_so() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalStore::new(dir.path().join("missing"));
        match store.list().await {
            Err(StoreError::NoFolder { path }) => assert_eq!(path, dir.path().join("missing")),
            other => panic!("{other:?}"),
        }
    }

    #[tokio::test]
    async fn conditional_writes() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalStore::new(dir.path().to_path_buf());
        let k = key(Layout::Nested);
        let a = Bytes::from_static(b"a");
        let b = Bytes::from_static(b"b");
        assert!(matches!(
            store
                .put(&k, a.clone(), &opts(Condition::IfMatch("x".into()), &a))
                .await,
            Err(StoreError::PreconditionFailed { missing: true, .. })
        ));
        let put = store
            .put(&k, a.clone(), &opts(Condition::IfAbsent, &a))
            .await
            .unwrap();
        assert!(matches!(
            store
                .put(&k, b.clone(), &opts(Condition::IfAbsent, &b))
                .await,
            Err(StoreError::AlreadyExists { .. })
        ));
        assert!(matches!(
            store
                .put(&k, b.clone(), &opts(Condition::IfMatch("00".into()), &b))
                .await,
            Err(StoreError::PreconditionFailed { missing: false, .. })
        ));
        let etag = format!("\"{}\"", put.etag.unwrap());
        store
            .put(&k, b.clone(), &opts(Condition::IfMatch(etag), &b))
            .await
            .unwrap();
        assert_eq!(store.get(&k, None).await.unwrap().body, b);
        // No temporary files left behind.
        assert_eq!(store.list().await.unwrap().len(), 1);
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn symlinks_out_of_the_root_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let outside = dir.path().join("outside");
        fs::create_dir(&outside).unwrap();
        let root = dir.path().join("root");
        fs::create_dir(&root).unwrap();
        let k = key(Layout::Nested);
        std::os::unix::fs::symlink(&outside, root.join(k.device().to_string())).unwrap();
        let store = LocalStore::new(root);
        let body = Bytes::from_static(b"x");
        assert!(matches!(
            store
                .put(&k, body.clone(), &opts(Condition::None, &body))
                .await,
            Err(StoreError::UnsafePath { .. })
        ));
        assert!(matches!(
            store.get(&k, None).await,
            Err(StoreError::UnsafePath { .. })
        ));
        assert!(fs::read_dir(&outside).unwrap().next().is_none());
    }
}
