//! The commit thread: the only place the log is written and the only
//! place the state changes.
//!
//! Requests queue up while the previous write is being fsynced; the next
//! round takes all of them (up to [`MAX_BATCH`] bytes) into one write and
//! one fsync — group commit. Only then are they applied, in log order, and
//! answered, so no client ever sees a change that a crash could take back.

use std::path::PathBuf;
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::Instant;

use mooseng_wire::Status;
use tokio::sync::{mpsc, oneshot, RwLock};

use super::lock::DirLock;
use super::segment::LogWriter;
use super::stats::LogStats;
use super::{format, record, snapshot, ImageRef, LogEntry};
use crate::chunks::{ChunkEntry, ChunkTable};
use crate::namespace::{Entry, Namespace, Outcome};

/// Bytes of records gathered into one write before it is flushed.
pub const MAX_BATCH: usize = 1 << 20;

/// When the commit thread starts a background snapshot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SnapshotPolicy {
    /// Entries appended since the last snapshot that trigger the next one.
    pub every_entries: u64,
}

/// Where a durable store keeps its log.
#[derive(Debug)]
pub struct Disk {
    pub dir: PathBuf,
    /// Written into every snapshot.
    pub meta_id: u64,
    pub writer: LogWriter,
    pub lock: DirLock,
    pub policy: SnapshotPolicy,
}

type Reply = oneshot::Sender<Result<Outcome, Status>>;

#[derive(Debug)]
struct Request {
    entry: LogEntry,
    reply: Option<Reply>,
}

/// The handle to the commit thread; dropping it lets the thread finish
/// what is queued, waits for it and releases the data directory.
#[derive(Debug)]
pub struct Committer {
    queue: Option<mpsc::UnboundedSender<Request>>,
    thread: Option<JoinHandle<()>>,
    stats: Arc<LogStats>,
}

impl Committer {
    /// Starts the thread that owns `chunks` (the log's copy of the chunk
    /// table) and is the only writer of `namespace`. Without a `disk`
    /// nothing is persisted, but changes take the same path.
    pub fn start(
        namespace: Arc<RwLock<Namespace>>,
        chunks: ChunkTable,
        disk: Option<Disk>,
    ) -> Committer {
        let (queue, requests) = mpsc::unbounded_channel();
        let stats = Arc::new(LogStats::default());
        let worker = Worker {
            requests,
            stats: Arc::clone(&stats),
            namespace,
            chunks,
            disk: disk.map(|disk| DiskState {
                disk,
                since_snapshot: 0,
                snapshotting: None,
            }),
            broken: false,
        };
        let thread = thread::spawn(move || worker.run());
        Committer {
            queue: Some(queue),
            thread: Some(thread),
            stats,
        }
    }

    pub fn stats(&self) -> &Arc<LogStats> {
        &self.stats
    }

    /// Appends `entry`, waits until it is durable, applies it and returns
    /// the namespace's answer.
    pub async fn submit(&self, entry: Entry) -> Result<Outcome, Status> {
        let (reply, answer) = oneshot::channel();
        self.send(LogEntry::Namespace(entry), Some(reply))?;
        answer.await.unwrap_or(Err(Status::IO))
    }

    /// Appends a chunk entry the chunk service already applied; it is
    /// ordered after everything submitted before.
    pub fn journal(&self, entry: ChunkEntry) -> Result<(), Status> {
        self.send(LogEntry::Chunk(entry), None)
    }

    fn send(&self, entry: LogEntry, reply: Option<Reply>) -> Result<(), Status> {
        let queue = self.queue.as_ref().ok_or(Status::IO)?;
        queue
            .send(Request { entry, reply })
            .map_err(|_| Status::IO)?;
        self.stats.submitted();
        Ok(())
    }
}

impl Drop for Committer {
    fn drop(&mut self) {
        self.queue.take();
        if let Some(thread) = self.thread.take() {
            if thread.join().is_err() {
                tracing::error!("the metadata commit thread panicked");
            }
        }
    }
}

#[derive(Debug)]
struct DiskState {
    disk: Disk,
    since_snapshot: u64,
    snapshotting: Option<JoinHandle<()>>,
}

struct Worker {
    requests: mpsc::UnboundedReceiver<Request>,
    stats: Arc<LogStats>,
    namespace: Arc<RwLock<Namespace>>,
    chunks: ChunkTable,
    disk: Option<DiskState>,
    /// A log write failed: what is on disk is unknown, so nothing more is
    /// accepted (as PostgreSQL does after a failed fsync).
    broken: bool,
}

impl Worker {
    fn run(mut self) {
        let mut batch = Vec::new();
        let mut bytes = Vec::new();
        while let Some(first) = self.requests.blocking_recv() {
            let mut next = Some(first);
            while let Some(request) = next.take() {
                match format::encode(&request.entry)
                    .map_err(|e| e.to_string())
                    .and_then(|payload| {
                        record::push(&mut bytes, &payload).map_err(|e| e.to_string())
                    }) {
                    Ok(()) => batch.push(request),
                    Err(error) => {
                        tracing::error!(%error, entry = ?request.entry, "entry not logged");
                        answer(request.reply, Err(Status::IO));
                        self.stats.dropped(1);
                    }
                }
                if bytes.len() < MAX_BATCH {
                    next = self.requests.try_recv().ok();
                }
            }
            self.commit(&mut batch, &bytes);
            bytes.clear();
        }
        if let Some(thread) = self.disk.and_then(|state| state.snapshotting) {
            if thread.join().is_err() {
                tracing::error!("the snapshot thread panicked");
            }
        }
    }

    /// Makes `records` (the encoding of `batch`) durable, then applies and
    /// answers the batch.
    fn commit(&mut self, batch: &mut Vec<Request>, records: &[u8]) {
        let count = batch.len() as u64;
        if !self.write(records, count) {
            for request in batch.drain(..) {
                answer(request.reply, Err(Status::IO));
            }
            self.stats.dropped(count);
            return;
        }
        let answers: Vec<_> = {
            let mut namespace = self.namespace.blocking_write();
            batch
                .drain(..)
                .map(|request| {
                    let outcome = request.entry.apply(&mut namespace, &mut self.chunks);
                    (request.reply, outcome)
                })
                .collect()
        };
        for (reply, outcome) in answers {
            if let Some(outcome) = outcome {
                answer(reply, outcome);
            }
        }
        self.maybe_snapshot(count);
        let (last_index, since_snapshot) = self.disk.as_ref().map_or((0, 0), |state| {
            (state.disk.writer.next_index() - 1, state.since_snapshot)
        });
        self.stats.committed(count, last_index, since_snapshot);
    }

    fn write(&mut self, records: &[u8], count: u64) -> bool {
        if self.broken {
            return false;
        }
        let Some(state) = &mut self.disk else {
            return true;
        };
        match state.disk.writer.append(records, count) {
            Ok(()) => true,
            Err(error) => {
                tracing::error!(%error, "metadata log write failed; refusing every further change");
                self.broken = true;
                self.stats.broke();
                false
            }
        }
    }

    /// Starts a snapshot once enough entries piled up and the previous
    /// snapshot is done. The state is encoded here, straight from the live
    /// tree (faster than cloning it: 39 ms against 66 ms for 100k files);
    /// writing and fsyncing happen on another thread.
    fn maybe_snapshot(&mut self, appended: u64) {
        let Some(state) = &mut self.disk else {
            return;
        };
        state.since_snapshot += appended;
        if state.since_snapshot < state.disk.policy.every_entries
            || state
                .snapshotting
                .as_ref()
                .is_some_and(|thread| !thread.is_finished())
        {
            return;
        }
        let index = state.disk.writer.next_index() - 1;
        let started = Instant::now();
        let body = snapshot::encode(ImageRef {
            meta_id: state.disk.meta_id,
            namespace: &self.namespace.blocking_read(),
            chunks: &self.chunks,
        });
        let encode_us = started.elapsed().as_micros() as u64;
        let body = match body {
            Ok(body) => body,
            Err(error) => {
                tracing::error!(%error, "cannot encode a snapshot");
                return;
            }
        };
        if let Err(error) = state.disk.writer.roll() {
            // The snapshot is still good; only pruning keeps the old
            // segment, which now also holds later entries.
            tracing::error!(%error, "cannot start a new log segment");
        }
        state.since_snapshot = 0;
        tracing::info!(index, encode_us, "snapshot encoded");
        let dir = state.disk.dir.clone();
        let spawned = thread::Builder::new()
            .name("metadata-snapshot".into())
            .spawn(move || {
                if let Err(error) = snapshot::write(&dir, index, &body) {
                    tracing::error!(%error, "snapshot failed; the log is kept");
                }
            });
        match spawned {
            Ok(thread) => state.snapshotting = Some(thread),
            Err(error) => tracing::error!(%error, "cannot start the snapshot thread"),
        }
    }
}

fn answer(reply: Option<Reply>, outcome: Result<Outcome, Status>) {
    if let Some(reply) = reply {
        // The client may have gone away; the change stands regardless.
        let _ = reply.send(outcome);
    }
}
