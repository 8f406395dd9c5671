//! The boundary between request handlers and the replicated state.
//!
//! Every change is a log [`Entry`] handed to [`MetadataStore::submit`];
//! handlers never touch the [`Namespace`] mutably. Submit goes through
//! Raft: it returns once the entry is committed (durable in the metadata
//! log of a majority of the masters, which for a single master is its own
//! log) and applied, so an answer a client got survives a crash. Changes
//! submitted together share one Raft entry (see [`group_commit`]).

mod group_commit;
#[cfg(test)]
mod tests;

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures_util::future::join_all;
use mooseng_wire::Status;
use openraft::error::{InitializeError, RaftError};
use tokio::sync::{mpsc, oneshot, watch, Notify, RwLock, RwLockReadGuard};

use crate::chunks::{ChunkEntry, ChunkTable};
use crate::meta::{
    DirLock, Image, LogEntry, LogStats, LogStore, MetaError, Released, Shared, SnapshotPolicy,
    StateMachine,
};
use crate::namespace::{Caller, Entry, Mutation, Namespace, Outcome};
use crate::raft::{self, Applied, Group, GrpcNetwork, Raft};
use group_commit::Pending;

/// How long a starting master waits to lead its group and apply its log.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(120);
/// How long a stopping master waits for proposed changes to be applied.
const SHUTDOWN_DRAIN: Duration = Duration::from_secs(10);
/// How long a snapshot asked for may take before the next may be asked.
const SNAPSHOT_WAIT: Duration = Duration::from_secs(60);
/// Most changes [`MetadataStore::change_all`] keeps in flight at once.
/// A mount's SUSTAINED_INODES report releases every file it closed in the
/// last minute, tens of thousands while files are being created: all in
/// flight together, their futures and queued entries took some 50 MiB at
/// once, which the allocator then kept. 4,096 releases (about 20 bytes
/// each encoded) still fit in one group commit of
/// [`group_commit::MAX_BATCH`].
pub const MAX_CHANGES_IN_FLIGHT: usize = 4096;

pub struct MetadataStore {
    raft: Raft,
    namespace: Arc<RwLock<Namespace>>,
    /// The replicated chunk table, as the applied log left it.
    chunks: Arc<Mutex<ChunkTable>>,
    stats: Arc<LogStats>,
    snapshot_gate: crate::meta::SnapshotGate,
    /// Changes on their way into the log, in the order submitted or
    /// journaled; taken away at shutdown.
    queue: Mutex<Option<mpsc::UnboundedSender<Pending>>>,
    /// The task proposing them, a group commit at a time.
    proposer: Mutex<Option<tokio::task::JoinHandle<()>>>,
    /// The task asking openraft for the snapshots the state machine wants.
    snapshotter: Mutex<Option<tokio::task::JoinHandle<()>>>,
    /// Tells when the log, which openraft owns, is closed and the data
    /// directory released: once Raft has stopped.
    released: Mutex<Option<Released>>,
    /// Stops the gRPC service of a group with peers.
    stop_service: Mutex<Option<tokio::sync::oneshot::Sender<()>>>,
}

impl std::fmt::Debug for MetadataStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MetadataStore")
            .field("last_index", &self.stats.last_index())
            .finish_non_exhaustive()
    }
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
    /// Locks `dir`, recovers the metadata it holds as a one-voter Raft
    /// group and waits until every entry of its log is applied. An empty
    /// directory is initialised with `fresh_meta_id`.
    pub async fn open(
        dir: &Path,
        policy: SnapshotPolicy,
        fresh_meta_id: u64,
    ) -> Result<Opened, MetaError> {
        MetadataStore::open_in(dir, policy, fresh_meta_id, &Group::alone()).await
    }

    /// [`Self::open`] as a member of `group`: waits until the group has a
    /// leader and this master has applied its log.
    pub async fn open_in(
        dir: &Path,
        policy: SnapshotPolicy,
        fresh_meta_id: u64,
        group: &Group,
    ) -> Result<Opened, MetaError> {
        let lock = DirLock::acquire(dir)?;
        crate::meta::remove_temporary(dir)?;
        let stats = Arc::new(LogStats::default());
        let fresh = Image::new(fresh_meta_id, now());
        let (machine, shared) = StateMachine::open(dir, fresh, Arc::clone(&stats))?;
        let (log, released) = LogStore::open(dir, lock, Arc::clone(&stats))?;
        let store = MetadataStore::start(
            group,
            Some(policy.every_entries),
            log,
            released,
            machine,
            &shared,
            stats,
        )
        .await?;
        let problems = store.namespace.read().await.check();
        if !problems.is_empty() {
            store.shutdown().await;
            return Err(MetaError::Inconsistent(problems));
        }
        let chunks = lock_chunks(&shared).clone();
        Ok(Opened {
            store,
            chunks,
            meta_id: shared.meta_id,
        })
    }

    /// A store that persists nothing, for tests: changes take the same
    /// path (Raft) as in a durable one.
    pub async fn volatile(namespace: Namespace) -> Self {
        let stats = Arc::new(LogStats::default());
        let image = Image {
            meta_id: 0,
            namespace,
            chunks: ChunkTable::default(),
        };
        let (machine, shared) = StateMachine::volatile(image, Arc::clone(&stats));
        let (log, released) = LogStore::volatile(Arc::clone(&stats));
        match MetadataStore::start(
            &Group::alone(),
            None,
            log,
            released,
            machine,
            &shared,
            stats,
        )
        .await
        {
            Ok(store) => store,
            Err(error) => panic!("a volatile Raft group cannot fail to start: {error}"),
        }
    }

    /// A volatile store holding only a root directory created now.
    pub async fn empty() -> Self {
        MetadataStore::volatile(Namespace::new(now())).await
    }

    async fn start(
        group: &Group,
        snapshot_every: Option<u64>,
        log: LogStore,
        released: Released,
        mut machine: StateMachine,
        shared: &Shared,
        stats: Arc<LogStats>,
    ) -> Result<MetadataStore, MetaError> {
        let config = raft::config().map_err(MetaError::Raft)?;
        let snapshot_wanted = snapshot_every.map(|every| machine.snapshots_every(every));
        let raft = Raft::new(group.id, Arc::new(config), GrpcNetwork, log, machine)
            .await
            .map_err(|e| MetaError::Raft(e.to_string()))?;
        let stop_service = group.listen.map(|addr| {
            let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
            let raft = raft.clone();
            tokio::spawn(async move {
                let stopped = async {
                    let _ = stopped.await;
                };
                if let Err(error) = raft::serve(raft, addr, stopped).await {
                    tracing::error!(%error, %addr, "the Raft service stopped");
                }
            });
            stop
        });
        let (queue, queued) = mpsc::unbounded_channel();
        let proposer = tokio::spawn(group_commit::run(raft.clone(), queued, Arc::clone(&stats)));
        let snapshotter =
            snapshot_wanted.map(|wanted| tokio::spawn(snapshot_when(raft.clone(), wanted)));
        let store = MetadataStore {
            raft,
            namespace: Arc::clone(&shared.namespace),
            chunks: Arc::clone(&shared.chunks),
            stats,
            snapshot_gate: Arc::clone(&shared.gate),
            queue: Mutex::new(Some(queue)),
            proposer: Mutex::new(Some(proposer)),
            snapshotter: Mutex::new(snapshotter),
            released: Mutex::new(Some(released)),
            stop_service: Mutex::new(stop_service),
        };
        if let Err(error) = store.join(group).await {
            store.shutdown().await;
            return Err(MetaError::Raft(error));
        }
        Ok(store)
    }

    /// Initialises a new group (every master does, with the same voters:
    /// their first entries are identical), then waits until it has a
    /// leader and this master has applied its whole log, so that the
    /// first read sees every acknowledged change.
    async fn join(&self, group: &Group) -> Result<(), String> {
        let initialized = self.raft.is_initialized().await;
        if !initialized.map_err(|e| e.to_string())? {
            match self.raft.initialize(group.voters.clone()).await {
                // Another master's first messages got here first: the
                // group exists already.
                Ok(()) | Err(RaftError::APIError(InitializeError::NotAllowed(_))) => {}
                Err(error) => return Err(error.to_string()),
            }
        }
        self.raft
            .wait(Some(STARTUP_TIMEOUT))
            .metrics(
                |m| {
                    m.current_leader.is_some()
                        && m.last_applied.map(|id| id.index) >= m.last_log_index
                },
                "a leader and the log applied",
            )
            .await
            .map(|_| ())
            .map_err(|e| e.to_string())
    }

    /// Logs what was submitted and journaled, stops Raft and waits until
    /// the log has released the data directory.
    pub async fn shutdown(&self) {
        drop(take(&self.queue));
        if let Some(proposer) = take(&self.proposer) {
            let _ = proposer.await;
        }
        if let Some(snapshotter) = take(&self.snapshotter) {
            snapshotter.abort();
        }
        let drained = self
            .raft
            .wait(Some(SHUTDOWN_DRAIN))
            .metrics(
                |m| m.last_applied.map(|id| id.index) >= m.last_log_index,
                "apply what was proposed",
            )
            .await;
        if let Err(error) = drained {
            tracing::warn!(%error, "stopping with proposed changes not applied");
        }
        if let Err(error) = self.raft.shutdown().await {
            tracing::error!(%error, "Raft did not stop cleanly");
        }
        if let Some(stop) = take(&self.stop_service) {
            let _ = stop.send(());
        }
        *self.snapshot_gate.lock().await = true;
        if let Some(released) = take(&self.released) {
            // An error is the release: the log dropped its end.
            let _ = released.await;
        }
    }

    /// The leader this master knows of, `None` during an election.
    pub fn leader(&self) -> Option<raft::NodeId> {
        self.raft.metrics().borrow().current_leader
    }

    /// Where MooseFS clients and chunkservers find the leader, for a
    /// follower's redirect: the IPv4 address of its Raft address, since
    /// masters share their port numbers and differ by address. `None`
    /// while this master leads; 0.0.0.0 during an election (or for a
    /// leader whose address is not an IPv4 literal).
    pub fn redirect(&self) -> Option<std::net::Ipv4Addr> {
        let metrics = self.raft.metrics();
        let metrics = metrics.borrow();
        match metrics.current_leader {
            Some(leader) if leader == metrics.id => None,
            Some(leader) => Some(
                metrics
                    .membership_config
                    .membership()
                    .get_node(&leader)
                    .and_then(|node| node.addr.parse::<std::net::SocketAddr>().ok())
                    .and_then(|addr| match addr.ip() {
                        std::net::IpAddr::V4(ip) => Some(ip),
                        std::net::IpAddr::V6(_) => None,
                    })
                    .unwrap_or(std::net::Ipv4Addr::UNSPECIFIED),
            ),
            None => Some(std::net::Ipv4Addr::UNSPECIFIED),
        }
    }

    /// Raft's view of the group's leadership and membership; unlike
    /// openraft's full metrics, which are sent again at every turn of its
    /// loop, it changes only with a vote, an election or a membership
    /// change, so a task following elections is not woken per change.
    pub fn group_view(&self) -> watch::Receiver<raft::ServerMetrics> {
        self.raft.server_metrics()
    }

    /// Waits until this master, as leader, has applied every entry
    /// committed before its term; fails when it does not lead.
    pub async fn caught_up(&self) -> Result<(), String> {
        self.raft
            .ensure_linearizable()
            .await
            .map(|_| ())
            .map_err(|e| e.to_string())
    }

    /// A copy of the replicated chunk table, for a new leader's chunk
    /// service.
    pub fn chunk_table(&self) -> ChunkTable {
        self.chunks
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    /// Whether this master leads its group (and may serve clients).
    pub fn is_leader(&self) -> bool {
        let metrics = self.raft.metrics();
        let metrics = metrics.borrow();
        metrics.current_leader == Some(metrics.id)
    }

    /// Applies one change, in log order with every other change, once it
    /// is committed.
    pub async fn submit(&self, entry: Entry) -> Result<Outcome, Status> {
        let (answer, answered) = oneshot::channel();
        self.enqueue(LogEntry::Namespace(entry), Some(answer))?;
        match answered.await {
            Ok(Applied(Some(outcome))) => outcome.map_err(Status),
            // Not committed (logged by the proposer), or not a namespace
            // answer.
            Ok(Applied(None)) | Err(_) => Err(Status::IO),
        }
    }

    /// Queues a change for the next group commit.
    fn enqueue(&self, entry: LogEntry, answer: Option<group_commit::Answer>) -> Result<(), Status> {
        let queue = self
            .queue
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let queue = queue.as_ref().ok_or(Status::IO)?;
        queue
            .send(Pending { entry, answer })
            .map_err(|_| Status::IO)?;
        self.stats.submitted();
        Ok(())
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

    /// Submits `mutations`, at most [`MAX_CHANGES_IN_FLIGHT`] at a time
    /// (those in flight together share a group commit), and gives their
    /// results in the same order.
    pub async fn change_all(
        &self,
        caller: &Caller,
        mutations: Vec<Mutation>,
    ) -> Vec<Result<Outcome, Status>> {
        let mut results = Vec::with_capacity(mutations.len());
        let mut mutations = mutations.into_iter();
        loop {
            let round: Vec<Mutation> = mutations.by_ref().take(MAX_CHANGES_IN_FLIGHT).collect();
            if round.is_empty() {
                return results;
            }
            let submitted = round
                .into_iter()
                .map(|mutation| self.change(caller, mutation));
            results.extend(join_all(submitted).await);
        }
    }

    /// Logs a change the chunk service made to its table, after every
    /// chunk entry journaled before.
    pub fn journal_chunk(&self, entry: ChunkEntry) -> Result<(), Status> {
        self.enqueue(LogEntry::Chunk(entry), None)
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
        Arc::clone(&self.stats)
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

/// Asks openraft for a snapshot each time the state machine wants one,
/// until Raft stops. openraft ignores a request while it builds a
/// snapshot, so the next request waits until the last one's snapshot is
/// there; a change applied meanwhile leaves the `Notify` woken.
async fn snapshot_when(raft: Raft, wanted: Arc<Notify>) {
    loop {
        wanted.notified().await;
        let applied = raft.metrics().borrow().last_applied.map(|id| id.index);
        if let Err(error) = raft.trigger().snapshot().await {
            tracing::info!(%error, "Raft stopped; no more snapshots");
            return;
        }
        let built = raft
            .wait(Some(SNAPSHOT_WAIT))
            .metrics(
                |m| m.snapshot.map(|id| id.index) >= applied,
                "the snapshot asked for",
            )
            .await;
        if let Err(error) = built {
            tracing::warn!(%error, "a snapshot asked for did not come");
        }
    }
}

fn take<T>(slot: &Mutex<Option<T>>) -> Option<T> {
    slot.lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .take()
}

fn lock_chunks(shared: &Shared) -> std::sync::MutexGuard<'_, ChunkTable> {
    shared
        .chunks
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Seconds since the epoch, as MooseFS timestamps are.
pub fn now() -> u32 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u32::try_from(d.as_secs()).unwrap_or(u32::MAX))
}
