//! The log writer thread: the only place the log's files change.
//!
//! openraft hands appended entries over and goes on; the thread takes
//! every append queued meanwhile (up to [`MAX_BATCH`] bytes) into one
//! write and one `fdatasync` — group commit — and only then tells
//! openraft they are flushed, which is what lets them be committed,
//! applied and answered. Truncation, purging and the vote go through the
//! same queue, so they happen in order with the appends.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::thread::{self, JoinHandle};

use openraft::storage::LogFlushed;
use tokio::sync::{mpsc, oneshot};

use super::format::{self, FileKind};
use super::lock::DirLock;
use super::log_files::{LogFiles, MAX_BATCH};
use super::stats::LogStats;
use super::{segment, MetaError};
use crate::raft::TypeConfig;

pub type Done = oneshot::Sender<Result<(), MetaError>>;

pub enum Command {
    /// Framed records of the given lengths, to be made durable.
    Append {
        records: Vec<u8>,
        sizes: Vec<usize>,
        flushed: LogFlushed<TypeConfig>,
    },
    Truncate {
        from: u64,
        done: Done,
    },
    /// Writes the log state (which names `upto` as purged) and then
    /// removes what it allows.
    Purge {
        upto: u64,
        state: Vec<u8>,
        done: Done,
    },
    /// Writes the log state (the vote changed).
    SaveState {
        state: Vec<u8>,
        done: Done,
    },
}

impl std::fmt::Debug for Command {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Command::Append { sizes, .. } => write!(f, "Append({} entries)", sizes.len()),
            Command::Truncate { from, .. } => write!(f, "Truncate(from {from})"),
            Command::Purge { upto, .. } => write!(f, "Purge(up to {upto})"),
            Command::SaveState { .. } => write!(f, "SaveState"),
        }
    }
}

/// The files the thread writes, with the lock that makes it their only
/// writer; a volatile store has none.
#[derive(Debug)]
pub struct Disk {
    pub dir: PathBuf,
    pub files: LogFiles,
    /// Held, never read: the directory is ours while the thread runs.
    pub _lock: DirLock,
}

/// Starts the thread; it ends when every sender of the queue is gone,
/// and releases the directory then.
pub fn start(
    disk: Option<Disk>,
    stats: Arc<LogStats>,
) -> (mpsc::UnboundedSender<Command>, JoinHandle<()>) {
    let (queue, commands) = mpsc::unbounded_channel();
    let writer = Writer {
        commands,
        disk,
        stats,
        broken: false,
    };
    let thread = thread::spawn(move || writer.run());
    (queue, thread)
}

/// The log state file's path in `dir`.
pub fn state_path(dir: &Path) -> PathBuf {
    dir.join("logstate")
}

struct Writer {
    commands: mpsc::UnboundedReceiver<Command>,
    disk: Option<Disk>,
    stats: Arc<LogStats>,
    /// A log write failed: what is on disk is unknown, so nothing more is
    /// accepted (as PostgreSQL does after a failed fsync).
    broken: bool,
}

impl Writer {
    fn run(mut self) {
        let mut held = None;
        loop {
            let Some(command) = held.take().or_else(|| self.commands.blocking_recv()) else {
                return;
            };
            match command {
                Command::Append {
                    records,
                    sizes,
                    flushed,
                } => {
                    let mut bytes = records;
                    let mut all_sizes = sizes;
                    let mut callbacks = vec![flushed];
                    while bytes.len() < MAX_BATCH {
                        match self.commands.try_recv() {
                            Ok(Command::Append {
                                records,
                                sizes,
                                flushed,
                            }) => {
                                bytes.extend_from_slice(&records);
                                all_sizes.extend_from_slice(&sizes);
                                callbacks.push(flushed);
                            }
                            Ok(other) => {
                                held = Some(other);
                                break;
                            }
                            Err(_) => break,
                        }
                    }
                    self.append(&bytes, &all_sizes, callbacks);
                }
                Command::Truncate { from, done } => {
                    let result = self.with_files(|_, files| files.truncate(from));
                    let _ = done.send(result);
                }
                Command::Purge { upto, state, done } => {
                    let result = self.with_files(|dir, files| {
                        write_state(dir, &state)?;
                        files.purge(upto)
                    });
                    let _ = done.send(result);
                }
                Command::SaveState { state, done } => {
                    let result = self.with_files(|dir, _| write_state(dir, &state));
                    let _ = done.send(result);
                }
            }
        }
    }

    fn append(&mut self, bytes: &[u8], sizes: &[usize], callbacks: Vec<LogFlushed<TypeConfig>>) {
        let result = if self.broken {
            Err(std::io::Error::other("an earlier log write failed"))
        } else {
            match &mut self.disk {
                Some(disk) => disk.files.append(bytes, sizes).map_err(|error| {
                    tracing::error!(%error, "metadata log write failed; refusing every further change");
                    self.broken = true;
                    self.stats.broke();
                    std::io::Error::other(error.to_string())
                }),
                None => Ok(()),
            }
        };
        for flushed in callbacks {
            flushed.log_io_completed(match &result {
                Ok(()) => Ok(()),
                Err(error) => Err(std::io::Error::new(error.kind(), error.to_string())),
            });
        }
    }

    fn with_files(
        &mut self,
        change: impl FnOnce(&Path, &mut LogFiles) -> Result<(), MetaError>,
    ) -> Result<(), MetaError> {
        match &mut self.disk {
            Some(disk) => change(&disk.dir, &mut disk.files),
            None => Ok(()),
        }
    }
}

/// Replaces the log state file with `body`, durably.
fn write_state(dir: &Path, body: &[u8]) -> Result<(), MetaError> {
    let head = format::frame_head(FileKind::LogState, 0, &[body]);
    segment::write_atomically(dir, &state_path(dir), &[&head, body])
}
