//! One master per data directory: two writers on one log would interleave
//! records and destroy it.

use std::fs::{self, File};
use std::path::Path;

use rustix::fs::{flock, FlockOperation};

use super::MetaError;

/// Holds the `flock` on `<dir>/lock` until dropped.
#[derive(Debug)]
pub struct DirLock {
    _file: File,
}

impl DirLock {
    /// Creates `dir` if needed and locks it, failing at once if another
    /// process holds the lock.
    pub fn acquire(dir: &Path) -> Result<DirLock, MetaError> {
        fs::create_dir_all(dir).map_err(MetaError::io(dir))?;
        let path = dir.join("lock");
        let file = File::create(&path).map_err(MetaError::io(&path))?;
        match flock(&file, FlockOperation::NonBlockingLockExclusive) {
            Ok(()) => Ok(DirLock { _file: file }),
            Err(rustix::io::Errno::WOULDBLOCK) => Err(MetaError::Locked { path }),
            Err(errno) => Err(MetaError::Io {
                path,
                source: errno.into(),
            }),
        }
    }
}
