//! openraft's state machine: the namespace and the chunk table, changed
//! only by applying committed log entries in order, and snapshots of both.
//!
//! A snapshot is encoded where the state is, between two applies (so it
//! holds exactly the entries up to its index, without a copy of the
//! tree); writing and fsyncing it happen in openraft's builder task.
//!
//! Once written, a snapshot's image is not kept in memory: it is about a
//! third of the tree's size and is read only when a follower needs it or
//! at startup, so it is read back from its file then.

use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use openraft::storage::RaftStateMachine;
use openraft::{EntryPayload, OptionalSend, RaftSnapshotBuilder, StorageIOError};
use tokio::sync::{Notify, RwLock};

use super::{format, segment, snapshot, Image, ImageRef, LogStats, MetaError};
use crate::chunks::ChunkTable;
use crate::namespace::Namespace;
use crate::raft::{
    Applied, Entry, LogId, Snapshot, SnapshotMeta, StorageError, StoredMembership, TypeConfig,
};

/// The newest snapshot openraft knows of.
type Current = Arc<Mutex<Option<Newest>>>;

/// The description of the newest snapshot, and its image when there is
/// no file to read it back from (a store without a directory).
#[derive(Debug, Clone)]
struct Newest {
    meta: SnapshotMeta,
    image: Option<Vec<u8>>,
}

/// Held while a snapshot file is written; `true` once the store has shut
/// down, after which nothing more is written. openraft builds snapshots
/// in tasks of its own that may outlive it, and the directory's next
/// master must not see a late write.
pub type SnapshotGate = Arc<tokio::sync::Mutex<bool>>;

#[derive(Debug)]
pub struct StateMachine {
    namespace: Arc<RwLock<Namespace>>,
    chunks: Arc<Mutex<ChunkTable>>,
    meta_id: u64,
    applied: Option<LogId>,
    membership: StoredMembership,
    /// Where snapshots are written; a volatile store has nowhere.
    dir: Option<PathBuf>,
    current: Current,
    gate: SnapshotGate,
    stats: Arc<LogStats>,
    /// When to ask for the next snapshot; never when `None`.
    due: Option<SnapshotDue>,
}

/// Counts the changes applied since the last snapshot and asks for the
/// next one once there are `every` of them.
#[derive(Debug)]
struct SnapshotDue {
    every: u64,
    since: u64,
    wanted: Arc<Notify>,
}

/// The shared parts of a state machine that the store reads.
#[derive(Debug, Clone)]
pub struct Shared {
    pub namespace: Arc<RwLock<Namespace>>,
    pub chunks: Arc<Mutex<ChunkTable>>,
    pub meta_id: u64,
    pub gate: SnapshotGate,
}

impl StateMachine {
    /// The state of the newest valid snapshot in `dir`; a directory
    /// without any (and without log segments) starts from `fresh`.
    pub fn open(
        dir: &Path,
        fresh: Image,
        stats: Arc<LogStats>,
    ) -> Result<(StateMachine, Shared), MetaError> {
        let listing = segment::list(dir)?;
        let (meta, image) = if listing.snapshots.is_empty() {
            if !listing.segments.is_empty() {
                return Err(MetaError::NoSnapshot { dir: dir.into() });
            }
            tracing::info!(dir = %dir.display(), "new metadata directory");
            let meta = SnapshotMeta {
                last_log_id: None,
                last_membership: StoredMembership::default(),
                snapshot_id: "0".into(),
            };
            let bytes = snapshot::encode(fresh.borrow()).map_err(|e| MetaError::Format {
                path: dir.into(),
                reason: format!("cannot encode the first snapshot: {e}"),
            })?;
            snapshot::write(dir, &meta, &bytes)?;
            (meta, bytes)
        } else {
            newest_snapshot(dir, &listing.snapshots)?
        };
        let image: Image = format::decode(&image).map_err(|reason| MetaError::Format {
            path: segment::snapshot_path(dir, snapshot::file_index(&meta)),
            reason,
        })?;
        let mut machine = StateMachine::new(image, Some(dir.to_owned()), stats);
        machine.applied = meta.last_log_id;
        machine.membership = meta.last_membership.clone();
        // The first snapshot of a directory only keeps its metadata id and
        // root; it includes no entry, so openraft is not told about it.
        if meta.last_log_id.is_some() {
            *lock(&machine.current) = Some(Newest { meta, image: None });
        }
        let shared = machine.shared();
        Ok((machine, shared))
    }

    /// A state machine that writes no snapshots.
    pub fn volatile(image: Image, stats: Arc<LogStats>) -> (StateMachine, Shared) {
        let machine = StateMachine::new(image, None, stats);
        let shared = machine.shared();
        (machine, shared)
    }

    fn new(image: Image, dir: Option<PathBuf>, stats: Arc<LogStats>) -> StateMachine {
        StateMachine {
            namespace: Arc::new(RwLock::new(image.namespace)),
            chunks: Arc::new(Mutex::new(image.chunks)),
            meta_id: image.meta_id,
            applied: None,
            membership: StoredMembership::default(),
            dir,
            current: Current::default(),
            gate: SnapshotGate::default(),
            stats,
            due: None,
        }
    }

    /// Makes the state machine ask for a snapshot after every `changes`
    /// applied changes; the returned `Notify` is woken each time, and
    /// whoever holds it triggers openraft's snapshot. Changes, not Raft
    /// entries, are counted because one entry holds a whole group commit.
    pub fn snapshots_every(&mut self, changes: u64) -> Arc<Notify> {
        let wanted = Arc::new(Notify::new());
        self.due = Some(SnapshotDue {
            every: changes.max(1),
            since: 0,
            wanted: Arc::clone(&wanted),
        });
        wanted
    }

    fn count_changes(&mut self, changes: u64) {
        if let Some(due) = &mut self.due {
            due.since += changes;
            if due.since >= due.every {
                due.wanted.notify_one();
            }
        }
    }

    fn snapshot_taken(&mut self) {
        if let Some(due) = &mut self.due {
            due.since = 0;
        }
    }

    fn shared(&self) -> Shared {
        Shared {
            namespace: Arc::clone(&self.namespace),
            chunks: Arc::clone(&self.chunks),
            meta_id: self.meta_id,
            gate: Arc::clone(&self.gate),
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The newest snapshot that reads back intact; a damaged one is skipped
/// with a log line, as long as an older one remains.
fn newest_snapshot(dir: &Path, indexes: &[u64]) -> Result<(SnapshotMeta, Vec<u8>), MetaError> {
    let mut first_error = None;
    for &index in indexes.iter().rev() {
        match snapshot::read(dir, index) {
            Ok(found) => return Ok(found),
            Err(error) => {
                tracing::error!(%error, "snapshot unusable; trying an older one");
                first_error.get_or_insert(error);
            }
        }
    }
    Err(first_error.unwrap_or(MetaError::NoSnapshot { dir: dir.into() }))
}

/// Makes `image` the newest snapshot: writes its file off the async
/// threads (unless the store has shut down), then records it as current
/// and only then removes older files, so that the current snapshot's
/// file always exists. A store without a directory keeps a copy of the
/// image. Gives the image back.
async fn keep(
    gate: &SnapshotGate,
    dir: Option<PathBuf>,
    current: &Current,
    meta: &SnapshotMeta,
    image: Vec<u8>,
) -> Result<Vec<u8>, StorageError> {
    let Some(dir) = dir else {
        *lock(current) = Some(Newest {
            meta: meta.clone(),
            image: Some(image.clone()),
        });
        return Ok(image);
    };
    let signature = Some(meta.signature());
    let closed = gate.lock().await;
    if *closed {
        let error = std::io::Error::other("the store has shut down");
        return Err(StorageIOError::write_snapshot(signature, &error).into());
    }
    let written = meta.clone();
    let dir_copy = dir.clone();
    let image = tokio::task::spawn_blocking(move || {
        snapshot::write(&dir_copy, &written, &image).map(|()| image)
    })
    .await
    .map_err(|e| StorageIOError::write_snapshot(signature.clone(), &e))?
    .map_err(|e| StorageIOError::write_snapshot(signature.clone(), &e))?;
    *lock(current) = Some(Newest {
        meta: meta.clone(),
        image: None,
    });
    let index = snapshot::file_index(meta);
    tokio::task::spawn_blocking(move || snapshot::prune(&dir, index))
        .await
        .map_err(|e| StorageIOError::write_snapshot(signature.clone(), &e))?
        .map_err(|e| StorageIOError::write_snapshot(signature, &e))?;
    drop(closed);
    Ok(image)
}

/// The image of `newest`: its own copy, or its file read back. A newer
/// snapshot may replace the file while it is being opened; the caller
/// then asks again for the newer one.
async fn read_image(dir: Option<PathBuf>, newest: Newest) -> Result<Vec<u8>, StorageError> {
    if let Some(image) = newest.image {
        return Ok(image);
    }
    let signature = Some(newest.meta.signature());
    let missing = || std::io::Error::other("a snapshot without its image");
    let dir = dir.ok_or_else(|| StorageIOError::read_snapshot(signature.clone(), &missing()))?;
    let index = snapshot::file_index(&newest.meta);
    let (_, image) = tokio::task::spawn_blocking(move || snapshot::read(&dir, index))
        .await
        .map_err(|e| StorageIOError::read_snapshot(signature.clone(), &e))?
        .map_err(|e| StorageIOError::read_snapshot(signature, &e))?;
    Ok(image)
}

/// Writes a snapshot encoded by the state machine.
#[derive(Debug)]
pub struct Builder {
    meta: SnapshotMeta,
    image: Result<Vec<u8>, String>,
    dir: Option<PathBuf>,
    current: Current,
    gate: SnapshotGate,
}

impl RaftSnapshotBuilder<TypeConfig> for Builder {
    /// openraft builds once per builder, so the image is moved out, not
    /// copied; openraft drops what it gets back but the description.
    async fn build_snapshot(&mut self) -> Result<Snapshot, StorageError> {
        let signature = Some(self.meta.signature());
        let taken = std::mem::replace(&mut self.image, Err("built already".into()));
        let image = taken.map_err(|e| {
            StorageIOError::write_snapshot(signature.clone(), &std::io::Error::other(e))
        })?;
        let image = keep(
            &self.gate,
            self.dir.clone(),
            &self.current,
            &self.meta,
            image,
        )
        .await?;
        Ok(Snapshot {
            meta: self.meta.clone(),
            snapshot: Box::new(Cursor::new(image)),
        })
    }
}

impl RaftStateMachine<TypeConfig> for StateMachine {
    type SnapshotBuilder = Builder;

    async fn applied_state(&mut self) -> Result<(Option<LogId>, StoredMembership), StorageError> {
        Ok((self.applied, self.membership.clone()))
    }

    async fn apply<I>(&mut self, entries: I) -> Result<Vec<Vec<Applied>>, StorageError>
    where
        I: IntoIterator<Item = Entry> + OptionalSend,
        I::IntoIter: OptionalSend,
    {
        let mut namespace = self.namespace.write().await;
        let mut chunks = lock(&self.chunks);
        let mut changes = 0;
        let mut answers = Vec::new();
        for entry in entries {
            self.applied = Some(entry.log_id);
            answers.push(match entry.payload {
                EntryPayload::Blank => Vec::new(),
                EntryPayload::Normal(batch) => {
                    changes += batch.len() as u64;
                    batch
                        .iter()
                        .map(|change| {
                            Applied(
                                change
                                    .apply(&mut namespace, &mut chunks)
                                    .map(|outcome| outcome.map_err(|status| status.0)),
                            )
                        })
                        .collect()
                }
                EntryPayload::Membership(membership) => {
                    self.membership = StoredMembership::new(Some(entry.log_id), membership);
                    Vec::new()
                }
            });
        }
        drop((namespace, chunks));
        let in_snapshot = lock(&self.current)
            .as_ref()
            .map_or(0, |newest| snapshot::file_index(&newest.meta));
        let applied = self.applied.map_or(0, |id| id.index + 1);
        self.stats.committed(
            changes,
            self.applied.map_or(0, |id| id.index),
            applied.saturating_sub(in_snapshot),
        );
        self.count_changes(changes);
        Ok(answers)
    }

    async fn get_snapshot_builder(&mut self) -> Builder {
        self.snapshot_taken();
        let started = Instant::now();
        let image = snapshot::encode(ImageRef {
            meta_id: self.meta_id,
            namespace: &*self.namespace.read().await,
            chunks: &lock(&self.chunks),
        })
        .map_err(|e| e.to_string());
        let index = self.applied.map_or(0, |id| id.index + 1);
        tracing::info!(
            index,
            encode_us = started.elapsed().as_micros() as u64,
            "snapshot encoded"
        );
        Builder {
            meta: SnapshotMeta {
                last_log_id: self.applied,
                last_membership: self.membership.clone(),
                snapshot_id: format!("{index}"),
            },
            image,
            dir: self.dir.clone(),
            current: Arc::clone(&self.current),
            gate: Arc::clone(&self.gate),
        }
    }

    async fn begin_receiving_snapshot(&mut self) -> Result<Box<Cursor<Vec<u8>>>, StorageError> {
        Ok(Box::new(Cursor::new(Vec::new())))
    }

    async fn install_snapshot(
        &mut self,
        meta: &SnapshotMeta,
        snapshot: Box<Cursor<Vec<u8>>>,
    ) -> Result<(), StorageError> {
        let bytes = snapshot.into_inner();
        let signature = Some(meta.signature());
        let image: Image = format::decode(&bytes).map_err(|e| {
            StorageIOError::read_snapshot(signature.clone(), &std::io::Error::other(e))
        })?;
        keep(&self.gate, self.dir.clone(), &self.current, meta, bytes).await?;
        *self.namespace.write().await = image.namespace;
        *lock(&self.chunks) = image.chunks;
        self.meta_id = image.meta_id;
        self.applied = meta.last_log_id;
        self.membership = meta.last_membership.clone();
        self.snapshot_taken();
        Ok(())
    }

    async fn get_current_snapshot(&mut self) -> Result<Option<Snapshot>, StorageError> {
        loop {
            let Some(newest) = lock(&self.current).clone() else {
                return Ok(None);
            };
            let meta = newest.meta.clone();
            match read_image(self.dir.clone(), newest).await {
                Ok(image) => {
                    return Ok(Some(Snapshot {
                        meta,
                        snapshot: Box::new(Cursor::new(image)),
                    }))
                }
                Err(_) if replaced(&self.current, &meta) => continue,
                Err(error) => return Err(error),
            }
        }
    }
}

/// Whether a newer snapshot than `meta` became current meanwhile.
fn replaced(current: &Current, meta: &SnapshotMeta) -> bool {
    lock(current)
        .as_ref()
        .is_some_and(|newest| newest.meta != *meta)
}
