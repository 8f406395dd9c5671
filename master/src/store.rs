//! The boundary between request handlers and the replicated state.
//!
//! Every change is a log [`Entry`] handed to [`MetadataStore::submit`];
//! handlers never touch the [`Namespace`] mutably. Submit returns once the
//! entry is durable in the metadata log and applied (see [`crate::meta`]),
//! so an answer a client got survives a crash. Raft will sit behind the
//! same signature.

use std::path::Path;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use mooseng_wire::Status;
use tokio::sync::{mpsc, RwLock, RwLockReadGuard};

use crate::chunks::{ChunkEntry, ChunkTable};
use crate::meta::{recover, Committer, DirLock, Disk, LogStats, MetaError, SnapshotPolicy};
use crate::namespace::{Caller, Entry, Mutation, Namespace, Outcome};

#[derive(Debug)]
pub struct MetadataStore {
    namespace: Arc<RwLock<Namespace>>,
    committer: Committer,
}

/// A store recovered from its data directory, with what else the
/// directory kept: the chunk table the chunk service starts from and the
/// metadata id.
#[derive(Debug)]
pub struct Opened {
    pub store: MetadataStore,
    pub chunks: ChunkTable,
    pub meta_id: u64,
}

impl MetadataStore {
    /// Locks `dir`, recovers the metadata it holds and starts logging to
    /// it. An empty directory is initialised with `fresh_meta_id`.
    pub fn open(
        dir: &Path,
        policy: SnapshotPolicy,
        fresh_meta_id: u64,
    ) -> Result<Opened, MetaError> {
        let lock = DirLock::acquire(dir)?;
        let recovered = recover(dir, fresh_meta_id, now())?;
        let meta_id = recovered.image.meta_id;
        let chunks = recovered.image.chunks;
        let namespace = Arc::new(RwLock::new(recovered.image.namespace));
        let disk = Disk {
            dir: dir.to_owned(),
            meta_id,
            writer: recovered.writer,
            lock,
            policy,
        };
        let committer = Committer::start(namespace.clone(), chunks.clone(), Some(disk));
        Ok(Opened {
            store: MetadataStore {
                namespace,
                committer,
            },
            chunks,
            meta_id,
        })
    }

    /// A store that persists nothing, for tests: changes take the same
    /// path as in a durable one.
    pub fn volatile(namespace: Namespace) -> Self {
        let namespace = Arc::new(RwLock::new(namespace));
        let committer = Committer::start(namespace.clone(), ChunkTable::default(), None);
        MetadataStore {
            namespace,
            committer,
        }
    }

    /// A volatile store holding only a root directory created now.
    pub fn empty() -> Self {
        MetadataStore::volatile(Namespace::new(now()))
    }

    /// Applies one change, in log order with every other change, once it
    /// is durable.
    pub async fn submit(&self, entry: Entry) -> Result<Outcome, Status> {
        self.committer.submit(entry).await
    }

    /// Stamps a mutation with the current time and the caller, then submits it.
    pub async fn change(&self, caller: &Caller, mutation: Mutation) -> Result<Outcome, Status> {
        self.submit(Entry {
            ts: now(),
            caller: caller.clone(),
            mutation,
        })
        .await
    }

    /// Logs a change the chunk service made to its table, after every
    /// entry submitted before.
    pub fn journal_chunk(&self, entry: ChunkEntry) -> Result<(), Status> {
        self.committer.journal(entry)
    }

    /// Logs every entry the chunk service hands out, until it stops.
    pub async fn journal_chunks(&self, mut entries: mpsc::UnboundedReceiver<ChunkEntry>) {
        while let Some(entry) = entries.recv().await {
            if self.journal_chunk(entry).is_err() {
                tracing::error!("the metadata log is gone; chunk changes are no longer logged");
                return;
            }
        }
    }

    /// The metadata log's figures, for `/metrics` and `/health`.
    pub fn log_stats(&self) -> Arc<LogStats> {
        Arc::clone(self.committer.stats())
    }

    /// A consistent view for reads; changes wait while it is held.
    pub async fn read(&self) -> RwLockReadGuard<'_, Namespace> {
        self.namespace.read().await
    }

    /// [`Self::read`] for a thread outside the async runtime (it panics
    /// on a runtime thread).
    pub fn read_blocking(&self) -> RwLockReadGuard<'_, Namespace> {
        self.namespace.blocking_read()
    }
}

/// Seconds since the epoch, as MooseFS timestamps are.
pub fn now() -> u32 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u32::try_from(d.as_secs()).unwrap_or(u32::MAX))
}
