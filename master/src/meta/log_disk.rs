//! The log's files, written where openraft asks for it: in the Raft
//! core's task.
//!
//! openraft 0.9 waits for each append to be flushed before it hands over
//! the next one (truncation, purging and the vote are awaited the same
//! way), so a writer thread of the log's own never had a second append
//! to put into the same write: it only added two thread wakeups, there
//! and back, to every change. The writes and their `fdatasync` therefore
//! run in the caller's task, after telling a multi-threaded runtime that
//! the thread blocks (`block_in_place`), so that its other tasks (client
//! connections queueing the next batch) go on elsewhere. Group commit
//! happens one level up: one Raft entry carries every change that waited
//! for it (see `store::group_commit`).

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use tokio::runtime::{Handle, RuntimeFlavor};
use tokio::sync::oneshot;

use super::format::{self, FileKind};
use super::lock::DirLock;
use super::log_files::LogFiles;
use super::stats::LogStats;
use super::{segment, MetaError};

/// Completes (with an error, as its sender is dropped) once the log's
/// files are closed and its data directory unlocked.
pub type Released = oneshot::Receiver<()>;

/// The files of a durable log, with the lock that makes it their only
/// writer.
#[derive(Debug)]
pub struct Disk {
    pub dir: PathBuf,
    pub files: LogFiles,
    /// Held, never read: the directory is ours while the log is open.
    pub _lock: DirLock,
}

/// Where the log's changes go: its files, or nowhere for a volatile log.
#[derive(Debug)]
pub struct LogDisk {
    disk: Option<Disk>,
    stats: Arc<LogStats>,
    /// A log write failed: what is on disk is unknown, so nothing more is
    /// accepted (as PostgreSQL does after a failed fsync).
    broken: bool,
    /// Declared after `disk`, so dropped after the lock is released.
    _released: oneshot::Sender<()>,
}

impl LogDisk {
    pub fn new(disk: Option<Disk>, stats: Arc<LogStats>) -> (LogDisk, Released) {
        let (released, on_release) = oneshot::channel();
        let log = LogDisk {
            disk,
            stats,
            broken: false,
            _released: released,
        };
        (log, on_release)
    }

    /// Appends framed records of the given lengths and makes them
    /// durable. After a failure every later append fails too.
    pub fn append(&mut self, records: &[u8], sizes: &[usize]) -> io::Result<()> {
        if self.broken {
            return Err(io::Error::other("an earlier log write failed"));
        }
        let Some(disk) = &mut self.disk else {
            return Ok(());
        };
        blocking(|| disk.files.append(records, sizes)).map_err(|error| {
            tracing::error!(%error, "metadata log write failed; refusing every further change");
            self.broken = true;
            self.stats.broke();
            io::Error::other(error.to_string())
        })
    }

    /// Removes entry `from` and every entry after it.
    pub fn truncate(&mut self, from: u64) -> Result<(), MetaError> {
        self.with_files(|_, files| files.truncate(from))
    }

    /// Writes the log state (which names `upto` as purged), then removes
    /// what it allows.
    pub fn purge(&mut self, upto: u64, state: &[u8]) -> Result<(), MetaError> {
        self.with_files(|dir, files| {
            write_state(dir, state)?;
            files.purge(upto)
        })
    }

    /// Writes the log state (the vote changed).
    pub fn save_state(&mut self, state: &[u8]) -> Result<(), MetaError> {
        self.with_files(|dir, _| write_state(dir, state))
    }

    fn with_files(
        &mut self,
        change: impl FnOnce(&Path, &mut LogFiles) -> Result<(), MetaError>,
    ) -> Result<(), MetaError> {
        match &mut self.disk {
            Some(disk) => blocking(|| change(&disk.dir, &mut disk.files)),
            None => Ok(()),
        }
    }
}

/// Runs `work`, which waits for the disk, on this thread; a
/// multi-threaded runtime first hands this thread's other tasks to
/// another one. A single-threaded runtime (tests) just waits.
fn blocking<T>(work: impl FnOnce() -> T) -> T {
    match Handle::try_current() {
        Ok(runtime) if runtime.runtime_flavor() == RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(work)
        }
        _ => work(),
    }
}

/// The log state file's path in `dir`.
pub fn state_path(dir: &Path) -> PathBuf {
    dir.join("logstate")
}

/// Replaces the log state file with `body`, durably.
fn write_state(dir: &Path, body: &[u8]) -> Result<(), MetaError> {
    let head = format::frame_head(FileKind::LogState, 0, &[body]);
    segment::write_atomically(dir, &state_path(dir), &[&head, body])
}
