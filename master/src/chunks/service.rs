//! [`ChunkService`]: the chunk state behind a lock, connected to the
//! chunkserver links, the client channel and the metadata log.
//!
//! Methods lock, change the state, then send whatever the state queued:
//! log entries to the journal channel, orders to the chunkservers'
//! connections, outcomes to the clients awaiting an operation. No lock is
//! held across an await.

use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddrV4};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use mooseng_wire::cstoma::ChunkVersion;
use mooseng_wire::{Frame, Status, Version};
use tokio::sync::{mpsc, oneshot, watch};

use super::op_counts::OpCounts;
use super::tally::ChunkLoop;
use super::write::WriteStart;
use super::{plan, ChunkCopy, ChunkEntry, ChunkId, ChunkState, ChunkTable, Cutting, FileRef};
use super::{ChunkHealth, HealthMatrix};
use super::{Limits, Refusal, Repair, Server, ServerId, Usage};

use super::OpAnswer;
use crate::namespace::Classes;

mod archive;
mod leadership;

pub use archive::ArchiveCounts;

#[derive(Debug, Clone, PartialEq)]
pub struct ChunkConfig {
    /// How long a write lease lasts unless renewed or ended (MooseFS's
    /// `LOCKTIMEOUT`, 120 s).
    pub lease: Duration,
    pub limits: Limits,
    /// Time between two planner passes.
    pub maintenance_interval: Duration,
    /// The metadata id chunkservers of 2.0.33 and later remember, to notice
    /// when they are moved to another cluster.
    pub meta_id: u64,
    /// The connection timeout given to chunkservers that ask for the
    /// default (MooseFS's `MATOCS_TIMEOUT`, 60 s).
    pub default_timeout: u16,
}

impl Default for ChunkConfig {
    fn default() -> Self {
        ChunkConfig {
            lease: Duration::from_secs(120),
            limits: Limits::default(),
            maintenance_interval: Duration::from_secs(1),
            meta_id: 0,
            default_timeout: 60,
        }
    }
}

/// Where to read a chunk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChunkLocation {
    pub chunk: ChunkId,
    pub version: u32,
    pub servers: Vec<Holder>,
}

/// One chunkserver holding a chunk, with what the client channel's
/// location records carry (`ip:32 port:16 [cs_ver:32 [labelmask:32]]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Holder {
    pub addr: SocketAddrV4,
    pub version: Version,
    pub labels: u32,
}

/// A granted write: the client writes `version` of `chunk` through the
/// chain of `servers` and ends with [`ChunkService::write_end`].
pub type WriteLease = ChunkLocation;

/// One chunk's table record and copies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChunkInfo {
    pub version: u32,
    pub goal: u8,
    pub copies: Vec<ChunkCopy>,
}

/// What a chunkserver's BEGIN packet says about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Registration {
    pub addr: SocketAddrV4,
    pub version: Version,
    /// The id it had last time, or 0.
    pub csid: u16,
    pub usage: Usage,
}

#[derive(Debug, Default)]
struct Inner {
    state: ChunkState,
    links: HashMap<ServerId, mpsc::UnboundedSender<Frame>>,
    waiters: HashMap<ChunkId, Vec<oneshot::Sender<Result<(), Status>>>>,
    /// What the last planner pass did.
    chunk_loop: ChunkLoop,
    /// `Some(leader)` while this master follows (0.0.0.0: leader not
    /// known): the service holds no chunkservers and plans nothing.
    following: Option<Ipv4Addr>,
}

#[derive(Debug)]
pub struct ChunkService {
    inner: Mutex<Inner>,
    journal: mpsc::UnboundedSender<ChunkEntry>,
    config: ChunkConfig,
    started: Instant,
    /// Counts the times the service stopped acting; a chunkserver
    /// connection registered under an older count is stale and ends.
    terms: watch::Sender<u64>,
    /// Orders sent and answered, for the charts.
    pub op_counts: OpCounts,
}

impl ChunkService {
    /// A service over `table`; every entry it applies to the table comes
    /// out of the returned receiver, in order, for the metadata log.
    pub fn new(
        table: ChunkTable,
        config: ChunkConfig,
    ) -> (Arc<Self>, mpsc::UnboundedReceiver<ChunkEntry>) {
        let (journal, entries) = mpsc::unbounded_channel();
        let inner = Inner {
            state: ChunkState::new(table),
            ..Inner::default()
        };
        let service = ChunkService {
            inner: Mutex::new(inner),
            journal,
            config,
            started: Instant::now(),
            terms: watch::Sender::new(0),
            op_counts: OpCounts::default(),
        };
        (Arc::new(service), entries)
    }

    pub fn config(&self) -> &ChunkConfig {
        &self.config
    }

    /// Seconds on the service's monotonic clock.
    fn now(&self) -> u64 {
        self.started.elapsed().as_secs()
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock cannot leave the state half
        // changed in a way later calls would trip over any worse than
        // stopping would, so a poisoned lock is used as it is.
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Runs `f` on the state, then sends what it queued.
    fn with_state<T>(&self, f: impl FnOnce(&mut ChunkState) -> T) -> T {
        let mut inner = self.lock();
        let result = f(&mut inner.state);
        self.flush(&mut inner);
        result
    }

    fn flush(&self, inner: &mut Inner) {
        for entry in inner.state.journal.drain(..) {
            // The receiver is gone only when the master is shutting down.
            let _ = self.journal.send(entry);
        }
        for (server, order) in std::mem::take(&mut inner.state.orders) {
            if let Some(link) = inner.links.get(&server) {
                self.op_counts.ordered(&order);
                let _ = link.send(order.to_frame());
            }
        }
        for (chunk, outcome) in std::mem::take(&mut inner.state.finished) {
            for waiter in inner.waiters.remove(&chunk).unwrap_or_default() {
                let _ = waiter.send(outcome);
            }
        }
    }

    /// Where to read `chunk` (MooseFS's `chunk_get_version_and_csdata`).
    pub async fn locate_for_read(&self, chunk: ChunkId) -> Result<ChunkLocation, Status> {
        let inner = self.lock();
        let (version, holders) = inner.state.locate(chunk)?;
        let servers = holders
            .into_iter()
            .map(|s| Holder {
                addr: s.addr,
                version: s.version,
                labels: s.labels,
            })
            .collect();
        Ok(ChunkLocation {
            chunk,
            version,
            servers,
        })
    }

    /// Leases the chunk at `file` for writing. `current` is the id the
    /// file's chunk table holds there (0 for a hole, which makes a new
    /// chunk of storage class `class`). Returns once the chunkservers have created the
    /// chunk or stepped its version. When they fail, the lease ends and a
    /// chunk created for the call is dropped again.
    pub async fn lease_for_write(
        &self,
        file: FileRef,
        current: ChunkId,
        class: u8,
    ) -> Result<WriteLease, Status> {
        let (start, done) = {
            let mut inner = self.lock();
            let lease = self.config.lease.as_secs();
            let start = inner
                .state
                .begin_write(file, current, class, self.now(), lease);
            let done = match start {
                Ok(WriteStart { chunk, wait: true }) => Some(Self::waiter(&mut inner, chunk)),
                _ => None,
            };
            self.flush(&mut inner);
            (start?, done)
        };
        if let Some(done) = done {
            if let Err(status) = Self::outcome(done).await {
                self.abandon_write(start.chunk, current, class);
                return Err(status);
            }
        }
        self.locate_for_read(start.chunk).await
    }

    /// Cuts `chunk`, slot `file` of a file of class `class`, to `length` bytes
    /// (MooseFS's `chunk_multi_truncate`): every valid copy is cut with a
    /// version step, or, when snapshots share the chunk, copied for the
    /// file and cut (a new chunk the caller must record in the file's
    /// slot). Returns once the chunkservers answered. The chunk holding the
    /// cut bytes stays leased so that no write slips in before the file's
    /// new length is recorded: end the lease with
    /// [`ChunkService::write_end`]. When every copy fails, the answer is
    /// `NOTDONE`, the lease is already gone and a new chunk is dropped.
    pub async fn truncate(
        &self,
        file: FileRef,
        chunk: ChunkId,
        length: u32,
        class: u8,
    ) -> Result<Cutting, Status> {
        let (cutting, done) = {
            let mut inner = self.lock();
            let lease = self.config.lease.as_secs();
            let started = inner
                .state
                .begin_truncate(file, chunk, length, class, self.now(), lease);
            let started = started.map(|c| (c, Self::waiter(&mut inner, c.chunk)));
            self.flush(&mut inner);
            started?
        };
        if let Err(status) = Self::outcome(done).await {
            self.abandon_write(cutting.chunk, chunk, class);
            return Err(status);
        }
        Ok(cutting)
    }

    /// A receiver for the outcome of the operation just started on `chunk`.
    fn waiter(inner: &mut Inner, chunk: ChunkId) -> oneshot::Receiver<Result<(), Status>> {
        let (tx, rx) = oneshot::channel();
        inner.waiters.entry(chunk).or_default().push(tx);
        rx
    }

    /// The outcome `waiter` receives; a service that went away meanwhile
    /// counts as the operation not done.
    async fn outcome(done: oneshot::Receiver<Result<(), Status>>) -> Result<(), Status> {
        done.await.unwrap_or(Err(Status::NOTDONE))
    }

    /// A failed [`ChunkService::lease_for_write`] (or truncation) that
    /// created a chunk
    /// leaves it referred to by no file: the reference goes again, so the
    /// planner deletes whatever copies exist. (The state already ended the
    /// lease.)
    fn abandon_write(&self, chunk: ChunkId, current: ChunkId, class: u8) {
        if chunk == current {
            return;
        }
        if let Err(status) = self.commit(ChunkEntry::DropRef { chunk, class }) {
            tracing::warn!(chunk, ?status, "cannot drop a failed new chunk");
        }
    }

    /// The client is done writing `chunk`; the lease ends.
    pub async fn write_end(&self, chunk: ChunkId) -> Result<(), Status> {
        self.with_state(|state| state.end_write(chunk))
    }

    /// Applies an entry decided elsewhere (a file gaining or losing a
    /// chunk, a class change) and hands it to the log.
    pub fn commit(&self, entry: ChunkEntry) -> Result<ChunkId, Status> {
        self.with_state(|state| state.commit(entry))
    }

    /// `mfsfilerepair` on `chunk`.
    pub fn repair(&self, chunk: ChunkId) -> Repair {
        let now = self.now();
        self.with_state(|state| state.repair(chunk, now))
    }

    /// Replaces the storage classes placement follows (the namespace's,
    /// after a class mutation or on taking the lead).
    pub fn set_classes(&self, classes: Classes) {
        self.lock().state.set_classes(classes);
    }

    /// One planner pass: plans the jobs, sends their orders and keeps the
    /// pass's tally, stamped with the wall-clock time it ended.
    pub fn maintain(&self) {
        let now = self.now();
        let mut inner = self.lock();
        if inner.following.is_some() {
            return;
        }
        let pass = plan(&inner.state, &self.config.limits, now);
        for job in pass.jobs {
            if let Err(status) = inner.state.start(job) {
                tracing::warn!(?job, ?status, "planned chunk job could not start");
            }
        }
        inner.chunk_loop.finish(crate::store::now(), pass.tally);
        self.flush(&mut inner);
    }

    /// The last planner pass, for `MATOCL_CHUNKSTEST_INFO`.
    pub fn chunk_loop(&self) -> ChunkLoop {
        self.lock().chunk_loop
    }

    /// Runs [`ChunkService::maintain`] every `maintenance_interval`, for as
    /// long as the service lives.
    pub async fn run_maintenance(self: Arc<Self>) {
        let mut ticks = tokio::time::interval(self.config.maintenance_interval);
        loop {
            ticks.tick().await;
            self.maintain();
        }
    }

    /// The health of every chunk, for the file check.
    pub fn health(&self) -> HashMap<ChunkId, ChunkHealth> {
        self.lock().state.health()
    }

    pub fn matrix(&self) -> HealthMatrix {
        HealthMatrix::of(&self.lock().state)
    }

    /// Valid copies counting towards the goal, of every chunk.
    pub fn regular_copies(&self) -> HashMap<ChunkId, usize> {
        let inner = self.lock();
        let state = &inner.state;
        state
            .table()
            .iter()
            .map(|(chunk, _)| {
                let regular = state.copies(chunk).iter().filter(|c| c.is_regular());
                (chunk, regular.count())
            })
            .collect()
    }

    pub fn servers(&self) -> Vec<(ServerId, Server)> {
        let inner = self.lock();
        inner
            .state
            .servers()
            .map(|(id, s)| (id, s.clone()))
            .collect()
    }

    /// The version of `chunk` now.
    pub fn version(&self, chunk: ChunkId) -> Option<u32> {
        self.lock()
            .state
            .table()
            .get(chunk)
            .map(|record| record.version)
    }

    /// What the master knows about `chunk`, for status queries.
    pub fn chunk(&self, chunk: ChunkId) -> Option<ChunkInfo> {
        let inner = self.lock();
        let record = inner.state.table().get(chunk)?;
        Some(ChunkInfo {
            version: record.version,
            goal: inner.state.placement(record).goal() as u8,
            copies: inner.state.copies(chunk).to_vec(),
        })
    }

    /// A chunkserver sent its BEGIN packet; orders for it go to `link`.
    pub fn register(
        &self,
        reg: Registration,
        link: mpsc::UnboundedSender<Frame>,
    ) -> Result<ServerId, Refusal> {
        let mut inner = self.lock();
        let id = inner
            .state
            .register(reg.addr, reg.version, reg.csid, reg.usage)?;
        inner.links.insert(id, link);
        Ok(id)
    }

    pub fn has_chunks(&self, id: ServerId, chunks: &[ChunkVersion]) {
        self.with_state(|state| {
            for c in chunks {
                state.has_chunk(id, c.chunkid, c.version);
            }
        });
    }

    pub fn register_end(&self, id: ServerId) {
        self.with_state(|state| state.register_end(id));
    }

    /// Updates what the master knows of a server (space, load, labels).
    pub fn update_server(&self, id: ServerId, f: impl FnOnce(&mut Server)) {
        if let Some(server) = self.lock().state.server_mut(id) {
            f(server);
        }
    }

    /// The server lost these chunks or found them damaged.
    pub fn copies_gone(&self, id: ServerId, chunks: &[ChunkId]) {
        self.with_state(|state| {
            for chunk in chunks {
                state.copy_gone(id, *chunk);
            }
        });
    }

    pub fn answer(&self, id: ServerId, answer: OpAnswer) {
        self.op_counts.answered(&answer);
        self.with_state(|state| state.answer(id, answer));
    }

    /// The connection to `id` ended.
    /// The connection of server `id`, registered while the service's
    /// term was `term`, ended. A stale one's server is gone already.
    pub fn disconnected(&self, id: ServerId, term: u64) {
        let mut inner = self.lock();
        if *self.terms.borrow() != term {
            return;
        }
        inner.links.remove(&id);
        inner.state.disconnected(id);
        self.flush(&mut inner);
    }
}
