//! Temporary files that an interrupted process can clean up, and the atomic write built
//! on them ([`write_atomically`]): the local store writes each object that way, and a
//! program that writes its own output files can use the same function.
//!
//! Every [`Guarded`] file is in a process-wide registry from before it exists until it
//! is renamed into place or deleted. The library installs no signal handler (that is
//! the application's choice); an application that handles SIGINT/SIGTERM calls
//! [`remove_pending`] from its handler thread before it exits. The rename runs under
//! the registry's lock, so that thread sees either a temporary file it can delete or a
//! finished destination, never a half-done rename.

use std::fmt;
use std::fs;
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};

use tempfile::NamedTempFile;

static PENDING: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

fn pending() -> MutexGuard<'static, Vec<PathBuf>> {
    PENDING.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Deletes every registered temporary file, then calls `then` with how many there
/// were, still holding the registry's lock: meant for a signal-handling thread whose
/// `then` exits the process, so that no file is created or renamed in between.
///
/// ```
/// use ffce_store::temp::{Guarded, remove_pending};
///
/// let dir = tempfile::tempdir().unwrap();
/// let temp = Guarded::create(&tempfile::Builder::new(), dir.path()).unwrap();
/// let path = temp.path().to_path_buf();
/// std::mem::forget(temp); // as if the process were interrupted mid-write
/// // What a SIGINT handler does before the process exits.
/// remove_pending(|removed| assert!(removed >= 1));
/// assert!(!path.exists());
/// ```
pub fn remove_pending<R>(then: impl FnOnce(usize) -> R) -> R {
    let paths = pending();
    for path in paths.iter() {
        let _ = std::fs::remove_file(path);
    }
    then(paths.len())
}

/// A temporary file that [`remove_pending`] deletes if the process is interrupted
/// before [`persist`](Self::persist). Dropping it deletes the file first and then
/// forgets it, so there is no moment when it exists unregistered.
pub struct Guarded {
    file: Option<NamedTempFile>,
    path: PathBuf,
}

impl Guarded {
    /// Creates a temporary file in `dir` and registers it. The lock is held from before
    /// the file exists until it is registered, so a signal can never find it
    /// unregistered.
    pub fn create(builder: &tempfile::Builder<'_, '_>, dir: &Path) -> io::Result<Guarded> {
        let mut paths = pending();
        let file = builder.tempfile_in(dir)?;
        let path = file.path().to_path_buf();
        paths.push(path.clone());
        Ok(Guarded {
            file: Some(file),
            path,
        })
    }

    /// The temporary file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The open temporary file.
    pub fn file_mut(&mut self) -> &mut NamedTempFile {
        self.file.as_mut().unwrap_or_else(|| {
            unreachable!("only persist takes the file, and it consumes the guard")
        })
    }

    /// Renames the file to `dest` (replacing it only with `replace`), under the
    /// registry's lock. On failure the temporary file is deleted.
    pub fn persist(mut self, dest: &Path, replace: bool) -> io::Result<()> {
        let mut paths = pending();
        let Some(file) = self.file.take() else {
            unreachable!("only persist takes the file, and it consumes the guard");
        };
        let result = if replace {
            file.persist(dest).map(drop)
        } else {
            file.persist_noclobber(dest).map(drop)
        };
        // On error the returned file is dropped (and deleted) here, under the lock.
        let result = result.map_err(|e| e.error);
        paths.retain(|p| p != &self.path);
        result
    }
}

impl Drop for Guarded {
    fn drop(&mut self) {
        drop(self.file.take());
        pending().retain(|p| p != &self.path);
    }
}

/// How [`write_atomically`] writes.
#[derive(Clone, Copy, Default)]
pub struct AtomicWrite<'a> {
    /// Replace an existing destination (the rename replaces it; a symbolic link is
    /// replaced, its target left alone). Without it the rename is a no-clobber one: an
    /// existing destination is an `AlreadyExists` error and nothing is written, even if
    /// another writer creates it meanwhile.
    pub replace: bool,
    /// The new file's permission bits on Unix, applied when it is created (the umask
    /// still narrows them); `None` keeps `tempfile`'s default, `0600`.
    pub mode: Option<u32>,
    /// Called with the temporary file's path once it is written and synced, just before
    /// the rename (a hook for tests that interrupt a write at that moment).
    pub before_rename: Option<&'a (dyn Fn(&Path) + Sync)>,
}

impl fmt::Debug for AtomicWrite<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AtomicWrite")
            .field("replace", &self.replace)
            .field("mode", &self.mode)
            .field("before_rename", &self.before_rename.is_some())
            .finish()
    }
}

/// Which step of [`write_atomically`] failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WriteStep {
    /// Creating the temporary file in the destination's folder (a missing folder is
    /// `NotFound`).
    Create,
    /// Writing, flushing or syncing it.
    Write,
    /// Renaming it into place (an existing destination without `replace` is
    /// `AlreadyExists`).
    Rename,
}

/// A failed [`write_atomically`]: the step and the I/O error. Nothing was left behind.
#[derive(Debug)]
pub struct AtomicWriteError {
    /// The step that failed.
    pub step: WriteStep,
    /// The error.
    pub source: io::Error,
}

impl fmt::Display for AtomicWriteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.source.fmt(f)
    }
}

impl std::error::Error for AtomicWriteError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.source)
    }
}

/// Writes `bytes` to `dest` so that `dest` holds either what it held before or all of
/// `bytes`, never a part: a [`Guarded`] temporary file `.{name}.XXXXXX.tmp` in `dest`'s
/// folder, written, flushed and synced, then renamed into place, and the folder synced
/// so that the rename is durable too (a failure of that last sync is ignored: the file
/// is complete). On failure the temporary file is removed.
///
/// ```
/// use ffce_store::temp::{AtomicWrite, WriteStep, write_atomically};
///
/// let dir = tempfile::tempdir().unwrap();
/// let out = dir.path().join("backup.ffce");
/// write_atomically(&out, b"FFCE", &AtomicWrite::default()).unwrap();
/// assert_eq!(std::fs::read(&out).unwrap(), b"FFCE");
///
/// // No replacing without `replace`: the old bytes stay.
/// let e = write_atomically(&out, b"new", &AtomicWrite::default()).unwrap_err();
/// assert_eq!((e.step, e.source.kind()), (WriteStep::Rename, std::io::ErrorKind::AlreadyExists));
/// write_atomically(&out, b"new", &AtomicWrite { replace: true, ..AtomicWrite::default() }).unwrap();
/// assert_eq!(std::fs::read(&out).unwrap(), b"new");
/// ```
pub fn write_atomically(
    dest: &Path,
    bytes: &[u8],
    opts: &AtomicWrite<'_>,
) -> Result<(), AtomicWriteError> {
    let dir = match dest.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let name = dest
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "output".into());
    let prefix = format!(".{name}.");
    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix).suffix(".tmp");
    set_mode(&mut builder, opts.mode);
    let failed = |step| move |source| AtomicWriteError { step, source };
    let mut temp = Guarded::create(&builder, dir).map_err(failed(WriteStep::Create))?;
    {
        let file = temp.file_mut();
        file.write_all(bytes)
            .and_then(|()| file.flush())
            .and_then(|()| file.as_file().sync_all())
            .map_err(failed(WriteStep::Write))?;
    }
    if let Some(hook) = opts.before_rename {
        hook(temp.path());
    }
    temp.persist(dest, opts.replace)
        .map_err(failed(WriteStep::Rename))?;
    if let Ok(d) = fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

#[cfg(unix)]
fn set_mode(builder: &mut tempfile::Builder<'_, '_>, mode: Option<u32>) {
    use std::os::unix::fs::PermissionsExt;
    if let Some(mode) = mode {
        builder.permissions(fs::Permissions::from_mode(mode));
    }
}

#[cfg(not(unix))]
fn set_mode(_builder: &mut tempfile::Builder<'_, '_>, _mode: Option<u32>) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registered_until_persisted_or_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let mut kept = Guarded::create(&tempfile::Builder::new(), dir.path()).unwrap();
        let dropped = Guarded::create(&tempfile::Builder::new(), dir.path()).unwrap();
        let dropped_path = dropped.path().to_path_buf();
        assert!(pending().contains(&dropped_path));
        drop(dropped);
        assert!(!dropped_path.exists());
        assert!(!pending().contains(&dropped_path));

        let temp_path = kept.path().to_path_buf();
        kept.file_mut().as_file().sync_all().unwrap();
        kept.persist(&dir.path().join("final"), false).unwrap();
        assert!(dir.path().join("final").exists());
        assert!(!pending().contains(&temp_path));
    }
}
