//! Per-file data state shared by every handle of one inode.

use std::collections::HashMap;
use std::sync::atomic::AtomicUsize;
use std::sync::{Arc, Mutex, MutexGuard};

use bytes::Bytes;
use futures_util::future::{BoxFuture, FutureExt, Shared};

use super::cs::Pool;
use super::extents::Extents;
use super::read::Locations;
use super::write::Leases;
use super::writers::Writers;
use crate::error::{Errno, FsResult};
use crate::master::Master;

/// Buffered bytes past which a write starts sending them in the background.
pub const FLUSH_THRESHOLD: usize = 8 << 20;
/// Buffered plus unacknowledged bytes past which a write waits until
/// another flush's worth fits (so a file holds about this much, a little
/// more when writes come in parallel). Two chunks' worth, so that a
/// sequential writer keeps the next chunk's chain, which mostly starts at
/// another chunkserver, busy while the last one drains: with one chunk's
/// worth, 64 MiB, one chain at a time carried the whole write and the
/// mount reached 0.75x mfsmount's speed on three chunkservers. mfsmount
/// holds up to 256 MiB (`mfswritecachesize`) for all files together.
pub const BUFFER_LIMIT: usize = 128 << 20;

/// Bytes written by this mount that the master does not know yet.
#[derive(Debug, Default)]
pub struct Pending {
    pub extents: Extents,
    /// End of the data written since the last complete flush, so sizes
    /// reported meanwhile include it.
    pub written_end: Option<u64>,
    /// An error of a background flush, reported by the next flush or fsync.
    pub error: Option<Errno>,
}

/// The last range fetched from a chunkserver, to serve sequential reads.
#[derive(Debug, Default)]
pub struct Window {
    pub offset: u64,
    pub data: Bytes,
    /// How much the next miss fetches; doubles while reads stay sequential,
    /// 0 after a random read.
    pub ahead: u64,
    /// The range after this one, already being fetched.
    pub next: Option<Prefetch>,
}

/// A read-ahead under way, shared by every read that wants its range;
/// dropping the last copy stops the fetch.
#[derive(Debug, Clone)]
pub struct Prefetch {
    pub offset: u64,
    pub len: u64,
    data: Shared<BoxFuture<'static, FsResult<Bytes>>>,
    _task: Arc<AbortOnDrop>,
}

/// Stops a spawned task nobody needs any more.
#[derive(Debug)]
pub(super) struct AbortOnDrop(pub(super) tokio::task::AbortHandle);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl Prefetch {
    pub fn start(
        offset: u64,
        len: u64,
        fetch: impl std::future::Future<Output = FsResult<Bytes>> + Send + 'static,
    ) -> Self {
        let task = tokio::spawn(fetch);
        let abort = AbortOnDrop(task.abort_handle());
        let data = async move { task.await.map_err(|_| Errno::EIO)? };
        Prefetch {
            offset,
            len,
            data: data.boxed().shared(),
            _task: Arc::new(abort),
        }
    }

    pub fn covers(&self, at: u64) -> bool {
        at >= self.offset && at < self.offset + self.len
    }

    pub async fn wait(&self) -> FsResult<Bytes> {
        self.data.clone().await
    }
}

/// Data state of one open inode.
#[derive(Debug, Default)]
pub struct FileState {
    pub pending: Mutex<Pending>,
    /// Held while a flush takes the buffer and queues its pieces with the
    /// chunks' writers, so per chunk, flushes leave in write order.
    pub flushing: tokio::sync::Mutex<()>,
    /// Each chunk's writer (lease and chain) while it is written.
    pub writers: Writers,
    /// Bytes taken from the buffer and not yet acknowledged by the chain.
    pub in_flight: AtomicUsize,
    /// Woken whenever a chunk's part of a flush is acknowledged.
    pub progress: tokio::sync::Notify,
    pub window: Mutex<Window>,
    /// Open handles, so the state is dropped with the last one.
    handles: Mutex<u32>,
}

pub fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Everything the data path needs: the master session, chunkserver
/// connections, and the state of every open file.
#[derive(Debug)]
pub struct DataPath {
    pub master: Master,
    pub pool: Pool,
    pub retries: u32,
    pub locations: Locations,
    files: Mutex<HashMap<u64, Arc<FileState>>>,
}

impl DataPath {
    pub fn new(master: Master, retries: u32) -> Self {
        DataPath {
            master,
            pool: Pool::default(),
            retries: retries.max(1),
            locations: Locations::default(),
            files: Mutex::default(),
        }
    }

    /// The state of `inode` for a new handle.
    pub fn open(&self, inode: u64) -> Arc<FileState> {
        let file = lock(&self.files).entry(inode).or_default().clone();
        *lock(&file.handles) += 1;
        file
    }

    /// What we remember of a file's chunks may be older than what another
    /// client wrote (it is being opened, or the master said so), so forget
    /// it.
    pub fn forget_cached(&self, inode: u64) {
        self.locations.forget(inode);
        if let Some(file) = self.file(inode) {
            *lock(&file.window) = Window::default();
        }
    }

    /// Drops a handle; the state goes with the last one.
    pub fn close(&self, inode: u64) {
        let mut files = lock(&self.files);
        if let Some(file) = files.get(&inode) {
            let mut handles = lock(&file.handles);
            *handles = handles.saturating_sub(1);
            if *handles == 0 && lock(&file.pending).extents.is_empty() {
                drop(handles);
                files.remove(&inode);
            }
        }
    }

    /// The inodes this mount holds open or still has data of to send.
    pub fn held_inodes(&self) -> Vec<u64> {
        lock(&self.files).keys().copied().collect()
    }

    /// The state of `inode` if some handle has it open.
    pub fn file(&self, inode: u64) -> Option<Arc<FileState>> {
        lock(&self.files).get(&inode).cloned()
    }

    /// The length to report for `inode`: what the master says, or more if
    /// this mount has written further and not flushed yet.
    pub fn length(&self, inode: u64, master_length: u64) -> u64 {
        self.file(inode)
            .and_then(|file| lock(&file.pending).written_end)
            .map_or(master_length, |end| end.max(master_length))
    }

    /// Sends everything buffered for `inode` and gives its chunks' leases
    /// back, so the chunkservers have the data and the master the length.
    pub async fn flush(self: &Arc<Self>, inode: u64) -> FsResult<()> {
        match self.file(inode) {
            Some(file) => self.flush_file(inode, &file, Leases::Return).await,
            None => Ok(()),
        }
    }

    /// Forgets buffered data and cached reads beyond a new length.
    pub fn truncated(&self, inode: u64, length: u64) {
        if let Some(file) = self.file(inode) {
            let mut pending = lock(&file.pending);
            pending.extents.truncate(length);
            pending.written_end = pending.extents.end();
            *lock(&file.window) = Window::default();
        }
        self.locations.forget(inode);
    }
}
