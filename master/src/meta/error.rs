//! Why the metadata could not be read or written.

use std::io;
use std::path::PathBuf;

use crate::namespace::Inconsistency;

#[derive(Debug, thiserror::Error)]
pub enum MetaError {
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: io::Error },
    #[error("{path} is locked by another running master")]
    Locked { path: PathBuf },
    /// A file that is not ours, or of a format version this build does not
    /// read, or whose checksummed content does not decode.
    #[error("{path}: {reason}")]
    Format { path: PathBuf, reason: String },
    /// Damage before the end of the log: acknowledged changes would be lost
    /// by carrying on, so the master stops and asks for a human.
    #[error(
        "{path}: corrupt record at byte {offset}, followed by data that was acknowledged; \
         refusing to drop it (restore the file or truncate it by hand)"
    )]
    Corrupt { path: PathBuf, offset: usize },
    #[error("the log does not continue the snapshot: entry {expected} is missing ({detail})")]
    Gap { expected: u64, detail: String },
    #[error("{dir}: log segments but no snapshot to start them from")]
    NoSnapshot { dir: PathBuf },
    /// openraft refused to start or to lead the group.
    #[error("Raft: {0}")]
    Raft(String),
    #[error("the recovered namespace is inconsistent; refusing to serve it: {0:?}")]
    Inconsistent(Vec<Inconsistency>),
}

impl MetaError {
    pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(io::Error) -> MetaError {
        let path = path.into();
        move |source| MetaError::Io { path, source }
    }
}
