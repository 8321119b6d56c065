//! Temporary files that an interrupted process can clean up: the local store writes
//! each object into one and renames it into place, and a program that writes its own
//! output files (the `ffce` command) uses the same kind.
//!
//! Every [`Guarded`] file is in a process-wide registry from before it exists until it
//! is renamed into place or deleted. The library installs no signal handler (that is
//! the application's choice); an application that handles SIGINT/SIGTERM calls
//! [`remove_pending`] from its handler thread before it exits. The rename runs under
//! the registry's lock, so that thread sees either a temporary file it can delete or a
//! finished destination, never a half-done rename.

use std::io;
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
