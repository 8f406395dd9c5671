//! One task per chunk being written, owning the chunk's write lease and
//! chain as mfsmount's write worker does. Flushes hand it their pieces in
//! file order and it sends each at once, behind the ones the chain has not
//! acknowledged yet, so the chain streams across flushes instead of
//! draining between them. It keeps every write until the chain
//! acknowledges it: after a chunkserver fails, all of them go again, in
//! their order, under a new lease, so a later write to the same bytes
//! cannot be overtaken by an earlier one.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Weak};

use bytes::Bytes;
use tokio::sync::{mpsc, oneshot};

use super::cs::CsError;
use super::files::{lock, DataPath, FileState};
use super::session::{Session, SESSION_IDLE};
use super::write::backoff;
use crate::error::{Errno, FsResult};
use crate::geometry::CHUNK_SIZE;
use crate::stats::Retry;

/// What a flush asks of a chunk's writer; the answer comes on `done`.
#[derive(Debug)]
enum Request {
    /// Send these pieces (offset in the chunk, bytes); answered once the
    /// chain acknowledged all of them.
    Write {
        pieces: Vec<(u32, Bytes)>,
        done: oneshot::Sender<FsResult<()>>,
    },
    /// Give the lease back once everything queued before is acknowledged.
    End { done: oneshot::Sender<FsResult<()>> },
}

/// What the flushes can see of a writer without asking it.
#[derive(Debug, Default)]
struct Shared {
    leased: AtomicBool,
    /// Requests queued and not answered yet.
    queued: AtomicUsize,
}

/// The handle of a chunk's writer; the task gives its lease back and ends
/// once every handle is dropped.
#[derive(Debug, Clone)]
pub struct ChunkWriter {
    requests: mpsc::UnboundedSender<Request>,
    shared: Arc<Shared>,
}

impl ChunkWriter {
    /// Starts the writer of chunk `index` of `inode`. It holds the file
    /// weakly: the file's state owns the handle.
    pub fn start(path: Arc<DataPath>, file: Weak<FileState>, inode: u32, index: u32) -> Self {
        let (requests, received) = mpsc::unbounded_channel();
        let shared = Arc::new(Shared::default());
        let task = Task {
            path,
            file,
            inode,
            index,
            shared: shared.clone(),
            session: None,
            unacked: VecDeque::new(),
        };
        tokio::spawn(task.run(received));
        ChunkWriter { requests, shared }
    }

    /// Queues `pieces` behind everything queued before; the answer says
    /// whether the chain took them.
    pub fn write(&self, pieces: Vec<(u32, Bytes)>) -> oneshot::Receiver<FsResult<()>> {
        self.ask(|done| Request::Write { pieces, done })
    }

    /// Queues the end of the lease behind everything queued before.
    pub fn end(&self) -> oneshot::Receiver<FsResult<()>> {
        self.ask(|done| Request::End { done })
    }

    /// Whether the writer holds no lease and has nothing queued.
    pub fn is_idle(&self) -> bool {
        !self.shared.leased.load(Ordering::SeqCst) && self.shared.queued.load(Ordering::SeqCst) == 0
    }

    /// A writer without a task, idle until the flags say otherwise.
    #[cfg(test)]
    pub fn detached(leased: bool, queued: usize) -> Self {
        let shared = Shared {
            leased: AtomicBool::new(leased),
            queued: AtomicUsize::new(queued),
        };
        ChunkWriter {
            requests: mpsc::unbounded_channel().0,
            shared: Arc::new(shared),
        }
    }

    fn ask(
        &self,
        request: impl FnOnce(oneshot::Sender<FsResult<()>>) -> Request,
    ) -> oneshot::Receiver<FsResult<()>> {
        let (done, answer) = oneshot::channel();
        self.shared.queued.fetch_add(1, Ordering::SeqCst);
        if self.requests.send(request(done)).is_err() {
            // The task is gone; the dropped sender answers with an error.
            self.shared.queued.fetch_sub(1, Ordering::SeqCst);
        }
        answer
    }
}

/// A write the chain has not acknowledged yet.
#[derive(Debug)]
struct Unacked {
    pieces: Vec<(u32, Bytes)>,
    /// The write id of its last block on the current chain; 0 while it is
    /// not sent on it.
    last_writeid: u32,
    done: oneshot::Sender<FsResult<()>>,
}

struct Task {
    path: Arc<DataPath>,
    file: Weak<FileState>,
    inode: u32,
    index: u32,
    shared: Arc<Shared>,
    session: Option<Session>,
    /// Oldest first. Not empty only while a session is open.
    unacked: VecDeque<Unacked>,
}

impl Task {
    async fn run(mut self, mut requests: mpsc::UnboundedReceiver<Request>) {
        loop {
            let waiting = !self.unacked.is_empty();
            let idle = self.session.is_some() && !waiting;
            tokio::select! {
                request = requests.recv() => match request {
                    Some(Request::Write { pieces, done }) => self.write(pieces, done).await,
                    Some(Request::End { done }) => {
                        let ended = self.end().await;
                        self.answer(done, ended);
                    }
                    None => {
                        if let Err(e) = self.end().await {
                            tracing::warn!("ending the write of inode {} chunk {}: {e:?}", self.inode, self.index);
                        }
                        return;
                    }
                },
                ack = next_ack(&mut self.session), if waiting => self.acknowledged(ack).await,
                () = tokio::time::sleep(SESSION_IDLE), if idle => {
                    if let Err(e) = self.end_session().await {
                        if let Some(file) = self.file.upgrade() {
                            lock(&file.pending).error.get_or_insert(e);
                        }
                    }
                }
            }
        }
    }

    async fn write(&mut self, pieces: Vec<(u32, Bytes)>, done: oneshot::Sender<FsResult<()>>) {
        self.unacked.push_back(Unacked {
            pieces,
            last_writeid: 0,
            done,
        });
        let (Some(session), Some(newest)) = (self.session.as_mut(), self.unacked.back_mut()) else {
            return self.recover(0).await;
        };
        match session.chain.send(&newest.pieces).await {
            Ok(last) => newest.last_writeid = last,
            Err(e) => self.chain_failed(e).await,
        }
    }

    /// Answers every write the chain acknowledged up to `ack`.
    async fn acknowledged(&mut self, ack: Result<u32, CsError>) {
        let writeid = match ack {
            Ok(writeid) => writeid,
            Err(e) => return self.chain_failed(e).await,
        };
        while let Some(oldest) = self.unacked.front() {
            if oldest.last_writeid == 0 || oldest.last_writeid > writeid {
                break;
            }
            let Some(written) = self.unacked.pop_front() else {
                break;
            };
            self.record(&written.pieces);
            self.answer(written.done, Ok(()));
        }
    }

    /// Counts acknowledged pieces and moves the length the lease goes back
    /// with.
    fn record(&mut self, pieces: &[(u32, Bytes)]) {
        let sent: usize = pieces.iter().map(|(_, data)| data.len()).sum();
        self.path
            .master
            .stats()
            .cs_written_bytes
            .inc_by(sent as u64);
        let end = pieces
            .iter()
            .map(|(offset, data)| u64::from(*offset) + data.len() as u64)
            .max()
            .map_or(0, |end| u64::from(self.index) * CHUNK_SIZE + end);
        if let Some(session) = self.session.as_mut() {
            session.acked_end = session.acked_end.max(end);
        }
    }

    async fn chain_failed(&mut self, e: CsError) {
        self.drop_broken_session(e).await;
        self.recover(1).await;
    }

    /// Ends a session whose chain failed with `e`. What the chain
    /// acknowledged before stays written; the lease goes back with its
    /// length.
    async fn drop_broken_session(&mut self, e: CsError) {
        tracing::warn!(
            "write of inode {} chunk {} failed with {} writes unacknowledged: {e}",
            self.inode,
            self.index,
            self.unacked.len()
        );
        if let Err(e) = self.end_session().await {
            tracing::warn!(
                "ending the write of inode {} chunk {}: {e:?}",
                self.inode,
                self.index
            );
        }
    }

    /// Opens a session if there is none and sends every unacknowledged
    /// write through it, oldest first, from try `attempt` on (try 0 does
    /// not wait). A failed try ends the session; after `retries` tries, or
    /// a refusal that retrying cannot change, every waiting write fails.
    async fn recover(&mut self, mut attempt: u32) {
        let mut error = Errno::EIO;
        while attempt < self.path.retries {
            if attempt > 0 {
                self.path.master.stats().retry(Retry::ChunkWrite);
                tokio::time::sleep(backoff(attempt)).await;
            }
            attempt += 1;
            if self.session.is_none() {
                match self.path.open_session(self.inode, self.index).await {
                    Ok(Ok(session)) => self.set_session(Some(session)),
                    Ok(Err(again)) => {
                        error = again;
                        continue;
                    }
                    Err(refused) => {
                        error = refused;
                        break;
                    }
                }
            }
            match self.send_unacked().await {
                Ok(()) => return,
                Err(e) => {
                    self.drop_broken_session(e).await;
                    error = Errno::EIO;
                }
            }
        }
        for write in std::mem::take(&mut self.unacked) {
            self.answer(write.done, Err(error));
        }
    }

    async fn send_unacked(&mut self) -> Result<(), CsError> {
        let Some(session) = self.session.as_mut() else {
            return Err(CsError::Timeout);
        };
        for write in &mut self.unacked {
            write.last_writeid = session.chain.send(&write.pieces).await?;
        }
        Ok(())
    }

    /// Waits until the chain acknowledged everything queued, then gives
    /// the lease back.
    async fn end(&mut self) -> FsResult<()> {
        while !self.unacked.is_empty() {
            let ack = next_ack(&mut self.session).await;
            self.acknowledged(ack).await;
        }
        self.end_session().await
    }

    async fn end_session(&mut self) -> FsResult<()> {
        let session = self.session.take();
        self.set_session(None);
        self.path.end_session(self.inode, self.index, session).await
    }

    fn set_session(&mut self, session: Option<Session>) {
        self.shared
            .leased
            .store(session.is_some(), Ordering::SeqCst);
        self.session = session;
    }

    fn answer(&self, done: oneshot::Sender<FsResult<()>>, result: FsResult<()>) {
        // Counted first, so a flush woken by the answer finds us idle.
        self.shared.queued.fetch_sub(1, Ordering::SeqCst);
        let _ = done.send(result);
    }
}

/// The next acknowledgement of the session's chain; never, without one.
async fn next_ack(session: &mut Option<Session>) -> Result<u32, CsError> {
    match session {
        Some(session) => session.chain.next_ack().await,
        None => std::future::pending().await,
    }
}
