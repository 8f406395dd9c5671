//! openraft's log storage on the metadata log: entries are kept in
//! memory from the last purge on (for reads, which applying, replication
//! and startup make), encoded ([`LogCache`]), and on disk in segments,
//! written by the writer thread.
//! The vote and the last purged log id live in the `logstate` file.

use std::fmt::Debug;
use std::fs;
use std::io;
use std::ops::RangeBounds;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;

use openraft::storage::{LogFlushed, RaftLogStorage};
use openraft::{LogState, OptionalSend, RaftLogReader, StorageIOError};
use serde::{Deserialize, Serialize};
use tokio::sync::{mpsc, oneshot};

use super::format::{self, FileKind};
use super::log_cache::LogCache;
use super::log_writer::{self, Command, Disk};
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
    writer: mpsc::UnboundedSender<Command>,
}

/// Reads the entries a [`LogStore`] holds.
#[derive(Debug, Clone)]
pub struct LogReader {
    cache: Arc<Mutex<Cache>>,
}

impl LogStore {
    /// Opens the log in `dir`, whose `lock` the caller holds; the writer
    /// thread keeps the lock until the store and its queue are gone.
    pub fn open(
        dir: &Path,
        lock: super::DirLock,
        stats: Arc<LogStats>,
    ) -> Result<(LogStore, JoinHandle<()>), MetaError> {
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
        Ok(LogStore::start(state, entries, Some(disk), stats))
    }

    /// A log that keeps nothing on disk.
    pub fn volatile(stats: Arc<LogStats>) -> (LogStore, JoinHandle<()>) {
        LogStore::start(State::default(), LogCache::default(), None, stats)
    }

    fn start(
        state: State,
        entries: LogCache,
        disk: Option<Disk>,
        stats: Arc<LogStats>,
    ) -> (LogStore, JoinHandle<()>) {
        let cache = Cache { state, entries };
        let (writer, thread) = log_writer::start(disk, stats);
        let store = LogStore {
            cache: Arc::new(Mutex::new(cache)),
            writer,
        };
        (store, thread)
    }

    fn cache(&self) -> MutexGuard<'_, Cache> {
        lock(&self.cache)
    }

    async fn run(&self, command: impl FnOnce(log_writer::Done) -> Command) -> io::Result<()> {
        let (done, finished) = oneshot::channel();
        self.writer
            .send(command(done))
            .map_err(|_| io::Error::other("the log writer has stopped"))?;
        match finished.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(error)) => Err(io::Error::other(error.to_string())),
            Err(_) => Err(io::Error::other("the log writer has stopped")),
        }
    }
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
    let path = log_writer::state_path(dir);
    let bytes = match fs::read(&path) {
        Ok(bytes) => bytes,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(State::default()),
        Err(error) => return Err(MetaError::io(&path)(error)),
    };
    let format_error = |reason: String| MetaError::Format {
        path: path.clone(),
        reason,
    };
    let (_, body) = format::unframe(FileKind::LogState, &bytes).map_err(format_error)?;
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
        self.run(|done| Command::SaveState { state, done })
            .await
            .map_err(|e| StorageIOError::write_vote(&e).into())
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
        self.writer
            .send(Command::Append {
                records,
                sizes,
                flushed: callback,
            })
            .map_err(|_| {
                StorageIOError::write_logs(&io::Error::other("the log writer has stopped"))
            })?;
        Ok(())
    }

    async fn truncate(&mut self, log_id: LogId) -> Result<(), StorageError> {
        self.cache()
            .entries
            .truncate(log_id.index)
            .map_err(|e| StorageIOError::read_logs(&io::Error::other(e)))?;
        self.run(|done| Command::Truncate {
            from: log_id.index,
            done,
        })
        .await
        .map_err(|e| StorageIOError::write_logs(&e).into())
    }

    async fn purge(&mut self, log_id: LogId) -> Result<(), StorageError> {
        let state = {
            let mut cache = self.cache();
            cache.state.purged = Some(log_id);
            cache.entries.purge(log_id.index);
            encode_state(&cache.state).map_err(|e| StorageIOError::write_vote(&e))?
        };
        self.run(|done| Command::Purge {
            upto: log_id.index,
            state,
            done,
        })
        .await
        .map_err(|e| StorageIOError::write_logs(&e).into())
    }
}
