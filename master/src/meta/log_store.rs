//! openraft's log storage on the metadata log: entries are kept in
//! memory from the last purge on (for reads, which applying, replication
//! and startup make), encoded ([`LogCache`]), and on disk in segments,
//! written by [`LogDisk`] in the Raft core's task. The vote and the last
//! purged log id live in the `logstate` file.

use std::fmt::Debug;
use std::fs;
use std::io;
use std::ops::RangeBounds;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};

use openraft::storage::{LogFlushed, RaftLogStorage};
use openraft::{LogState, OptionalSend, RaftLogReader, StorageIOError};
use serde::{Deserialize, Serialize};

use super::format::{self, FileKind};
use super::log_cache::LogCache;
use super::log_disk::{self, Disk, LogDisk, Released};
use super::{record, LogFiles, LogStats, MetaError};
use crate::raft::{Entry, LogId, StorageError, TypeConfig, Vote};

/// What the `logstate` file holds.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
struct State {
    vote: Option<Vote>,
    purged: Option<LogId>,
}

#[derive(Debug, Default)]
struct Cache {
    state: State,
    entries: LogCache,
}

/// The log storage handed to openraft.
#[derive(Debug)]
pub struct LogStore {
    cache: Arc<Mutex<Cache>>,
    disk: LogDisk,
}

/// Reads the entries a [`LogStore`] holds.
#[derive(Debug, Clone)]
pub struct LogReader {
    cache: Arc<Mutex<Cache>>,
}

impl LogStore {
    /// Opens the log in `dir`, whose `lock` the caller holds; the store
    /// keeps the lock until it is dropped, which [`Released`] tells.
    pub fn open(
        dir: &Path,
        lock: super::DirLock,
        stats: Arc<LogStats>,
    ) -> Result<(LogStore, Released), MetaError> {
        let state = read_state(dir)?;
        let (files, entries) = LogFiles::open(dir, state.purged.map(|id| id.index))?;
        let entries = LogCache::new(entries).map_err(|e| MetaError::Format {
            path: dir.to_owned(),
            reason: format!("cannot encode a log entry read back: {e}"),
        })?;
        let disk = Disk {
            dir: dir.to_owned(),
            files,
            _lock: lock,
        };
        Ok(LogStore::new(state, entries, Some(disk), stats))
    }

    /// A log that keeps nothing on disk.
    pub fn volatile(stats: Arc<LogStats>) -> (LogStore, Released) {
        LogStore::new(State::default(), LogCache::default(), None, stats)
    }

    fn new(
        state: State,
        entries: LogCache,
        disk: Option<Disk>,
        stats: Arc<LogStats>,
    ) -> (LogStore, Released) {
        let cache = Cache { state, entries };
        let (disk, released) = LogDisk::new(disk, stats);
        let store = LogStore {
            cache: Arc::new(Mutex::new(cache)),
            disk,
        };
        (store, released)
    }

    fn cache(&self) -> MutexGuard<'_, Cache> {
        lock(&self.cache)
    }
}

/// A failed change of the log's files, as openraft's storage errors carry it.
fn io_error(error: MetaError) -> io::Error {
    io::Error::other(error.to_string())
}

fn lock(cache: &Mutex<Cache>) -> MutexGuard<'_, Cache> {
    cache
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn encode_state(state: &State) -> Result<Vec<u8>, postcard::Error> {
    format::encode(state)
}

/// The `logstate` file, or the state of a log that never voted nor
/// purged when there is none.
fn read_state(dir: &Path) -> Result<State, MetaError> {
    let path = log_disk::state_path(dir);
    let bytes = match fs::read(&path) {
        Ok(bytes) => bytes,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(State::default()),
        Err(error) => return Err(MetaError::io(&path)(error)),
    };
    let format_error = |reason: String| MetaError::Format {
        path: path.clone(),
        reason,
    };
    let (_, _, body) = format::unframe(FileKind::LogState, &bytes).map_err(format_error)?;
    format::decode(body).map_err(format_error)
}

fn entries_in<RB: RangeBounds<u64>>(cache: &Mutex<Cache>, range: RB) -> Result<Vec<Entry>, String> {
    lock(cache).entries.entries(range)
}

fn read_error(reason: String) -> StorageError {
    StorageIOError::read_logs(&io::Error::other(reason)).into()
}

impl RaftLogReader<TypeConfig> for LogReader {
    async fn try_get_log_entries<RB: RangeBounds<u64> + Clone + Debug + OptionalSend>(
        &mut self,
        range: RB,
    ) -> Result<Vec<Entry>, StorageError> {
        entries_in(&self.cache, range).map_err(read_error)
    }
}

impl RaftLogReader<TypeConfig> for LogStore {
    async fn try_get_log_entries<RB: RangeBounds<u64> + Clone + Debug + OptionalSend>(
        &mut self,
        range: RB,
    ) -> Result<Vec<Entry>, StorageError> {
        entries_in(&self.cache, range).map_err(read_error)
    }
}

impl RaftLogStorage<TypeConfig> for LogStore {
    type LogReader = LogReader;

    async fn get_log_state(&mut self) -> Result<LogState<TypeConfig>, StorageError> {
        let cache = self.cache();
        let last_purged_log_id = cache.state.purged;
        let last_log_id = cache.entries.last_log_id().or(last_purged_log_id);
        Ok(LogState {
            last_purged_log_id,
            last_log_id,
        })
    }

    async fn get_log_reader(&mut self) -> LogReader {
        LogReader {
            cache: Arc::clone(&self.cache),
        }
    }

    async fn save_vote(&mut self, vote: &Vote) -> Result<(), StorageError> {
        let state = {
            let mut cache = self.cache();
            cache.state.vote = Some(*vote);
            encode_state(&cache.state).map_err(|e| StorageIOError::write_vote(&e))?
        };
        self.disk
            .save_state(&state)
            .map_err(|e| StorageIOError::write_vote(&io_error(e)).into())
    }

    async fn read_vote(&mut self) -> Result<Option<Vote>, StorageError> {
        Ok(self.cache().state.vote)
    }

    async fn append<I>(
        &mut self,
        entries: I,
        callback: LogFlushed<TypeConfig>,
    ) -> Result<(), StorageError>
    where
        I: IntoIterator<Item = Entry> + OptionalSend,
        I::IntoIter: OptionalSend,
    {
        let mut records = Vec::new();
        let mut sizes = Vec::new();
        {
            let mut cache = self.cache();
            for entry in entries {
                let payload = format::encode(&entry)
                    .map_err(|e| StorageIOError::write_log_entry(entry.log_id, &e))?;
                record::push(&mut records, &payload)
                    .map_err(|e| StorageIOError::write_log_entry(entry.log_id, &e))?;
                sizes.push(record::RECORD_HEADER + payload.len());
                cache.entries.insert(&entry, payload);
            }
        }
        // Durable before openraft hears of it: an error stops openraft.
        callback.log_io_completed(self.disk.append(&records, &sizes));
        Ok(())
    }

    async fn truncate(&mut self, log_id: LogId) -> Result<(), StorageError> {
        self.cache()
            .entries
            .truncate(log_id.index)
            .map_err(|e| StorageIOError::read_logs(&io::Error::other(e)))?;
        self.disk
            .truncate(log_id.index)
            .map_err(|e| StorageIOError::write_logs(&io_error(e)).into())
    }

    async fn purge(&mut self, log_id: LogId) -> Result<(), StorageError> {
        let state = {
            let mut cache = self.cache();
            cache.state.purged = Some(log_id);
            cache.entries.purge(log_id.index);
            encode_state(&cache.state).map_err(|e| StorageIOError::write_vote(&e))?
        };
        self.disk
            .purge(log_id.index, &state)
            .map_err(|e| StorageIOError::write_logs(&io_error(e)).into())
    }
}
