//! The chunks this server holds, over several data folders.
//!
//! An index maps each chunk id to a slot holding its location and, while
//! someone reads or writes it, its open [`ChunkFile`]. All file work is
//! blocking and happens on tokio's blocking threads (see [`Store::run`]),
//! but for reads of open chunks whose blocks are all in the page cache,
//! which the client service does on its own thread (see `cached.rs`);
//! the slot's mutex serialises operations on one chunk, and the index lock
//! is only held to find or change slots, never across file I/O.

mod cached;
mod folder;
mod idle;
mod io;
mod ops;
mod reports;
mod scrub;

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard, TryLockError};

use mooseng_wire::cstoma::{ChunkVersion, DiskUsage};
use mooseng_wire::Status;
use tracing::{error, info, warn};

use crate::chunk_file::{ChunkFile, ChunkFileError, ChunkName, ChunkPath};
use crate::config::FolderSpec;
use crate::metrics::Metrics;
use idle::IdleFiles;

pub use folder::{Folder, Space};
pub use io::IoHandle;
pub use reports::{Pending, Reports};

/// The version bit that marks a chunk in a folder marked for removal, in
/// registration lists (`version | 0x80000000`), as mfschunkserver sends it.
pub const TODEL_FLAG: u32 = 0x8000_0000;

/// One chunk copy.
#[derive(Debug)]
struct Slot {
    state: Mutex<SlotState>,
}

#[derive(Debug)]
struct SlotState {
    path: ChunkPath,
    folder: usize,
    /// Open while `users > 0`, and after that while `idle`.
    file: Option<ChunkFile>,
    users: u32,
    /// The file stays open with no user, counted in [`IdleFiles`].
    idle: bool,
    /// Removed from the index; whoever still holds the slot must not use it.
    gone: bool,
}

impl Slot {
    fn new(path: ChunkPath, folder: usize) -> Arc<Self> {
        Arc::new(Slot {
            state: Mutex::new(SlotState {
                path,
                folder,
                file: None,
                users: 0,
                idle: false,
                gone: false,
            }),
        })
    }

    fn lock(&self) -> MutexGuard<'_, SlotState> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The state if nobody holds it: code on the runtime's threads must
    /// not wait for a blocking thread that holds it across file I/O.
    fn try_lock(&self) -> Option<MutexGuard<'_, SlotState>> {
        match self.state.try_lock() {
            Ok(state) => Some(state),
            Err(TryLockError::Poisoned(poisoned)) => Some(poisoned.into_inner()),
            Err(TryLockError::WouldBlock) => None,
        }
    }
}

impl SlotState {
    /// Closes the file, giving back its idle place if it held one.
    fn close(&mut self, idle: &IdleFiles) {
        self.file = None;
        if std::mem::take(&mut self.idle) {
            idle.release();
        }
    }

    /// The last session ended: keep the file open if a place is free.
    fn last_user_gone(&mut self, idle: &IdleFiles) {
        if self.file.is_some() && !self.gone && idle.admit() {
            self.idle = true;
        } else {
            self.file = None;
        }
    }

    /// A session starts on a file that may have been idle.
    fn new_user(&mut self, idle: &IdleFiles) {
        if std::mem::take(&mut self.idle) {
            idle.release();
        }
        self.users += 1;
    }

    /// The open file, opening it if nobody has.
    fn file(&mut self) -> Result<&mut ChunkFile, ChunkFileError> {
        let file = match self.file.take() {
            Some(file) => file,
            None => ChunkFile::open(self.path.clone())?,
        };
        Ok(self.file.insert(file))
    }

    fn version(&self) -> u32 {
        self.path.name().version
    }

    /// MooseFS's rule: version 0 in a request matches any version.
    fn check_version(&self, version: u32) -> Result<(), Status> {
        if version != 0 && version != self.version() {
            return Err(Status::WRONGVERSION);
        }
        Ok(())
    }
}

/// All chunks of this server.
#[derive(Debug)]
pub struct Store {
    folders: Vec<Folder>,
    index: Mutex<HashMap<u64, Arc<Slot>>>,
    reports: Reports,
    error_limit: u32,
    fsync_on_finish: bool,
    metrics: Metrics,
    idle: Arc<IdleFiles>,
}

impl Store {
    /// Opens the data folders and indexes the chunk files in them. A folder
    /// that cannot be scanned is taken out of service at once.
    pub fn open(specs: &[FolderSpec], error_limit: u32, fsync_on_finish: bool) -> Self {
        let folders: Vec<Folder> = specs
            .iter()
            .map(|spec| Folder::new(spec.path.clone(), spec.marked_for_removal))
            .collect();
        let store = Store {
            folders,
            index: Mutex::new(HashMap::new()),
            reports: Reports::default(),
            error_limit: error_limit.max(1),
            fsync_on_finish,
            metrics: Metrics::default(),
            idle: Arc::default(),
        };
        for (n, folder) in store.folders.iter().enumerate() {
            match folder.scan() {
                Ok(paths) => {
                    let count = paths.len();
                    for path in paths {
                        store.index_scanned(path, n);
                    }
                    info!(folder = %folder.display_path(), chunks = count, "scanned data folder");
                }
                Err(err) => {
                    error!(folder = %folder.path.display(), %err, "cannot scan data folder; not using it");
                    folder.record_error(0, 0);
                }
            }
        }
        store
    }

    /// Adds a chunk found by the scan. Two files of one chunk (another
    /// version, or another folder) keep the higher version in the index.
    fn index_scanned(&self, path: ChunkPath, folder: usize) {
        let name = path.name();
        let mut index = self.index();
        if let Some(existing) = index.get(&name.id) {
            let old = existing.lock().path.clone();
            if old.name().version >= name.version {
                warn!(kept = %old.path().display(), ignored = %path.path().display(), "two files for one chunk");
                return;
            }
            warn!(kept = %path.path().display(), ignored = %old.path().display(), "two files for one chunk");
        }
        index.insert(name.id, Slot::new(path, folder));
    }

    fn index(&self) -> MutexGuard<'_, HashMap<u64, Arc<Slot>>> {
        self.index
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn slot(&self, chunkid: u64) -> Option<Arc<Slot>> {
        self.index().get(&chunkid).cloned()
    }

    pub fn reports(&self) -> &Reports {
        &self.reports
    }

    /// The counters the storage, the link and the services update.
    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    pub fn folders(&self) -> &[Folder] {
        &self.folders
    }

    /// Every chunk with its version, chunks of folders marked for removal
    /// flagged with [`TODEL_FLAG`]: the registration list.
    pub fn chunk_list(&self) -> Vec<ChunkVersion> {
        let slots: Vec<Arc<Slot>> = self.index().values().cloned().collect();
        slots
            .iter()
            .map(|slot| {
                let state = slot.lock();
                let todel = self.folders[state.folder].marked_for_removal;
                ChunkVersion {
                    chunkid: state.path.name().id,
                    version: state.version() | if todel { TODEL_FLAG } else { 0 },
                }
            })
            .collect()
    }

    /// Chunk count per folder.
    pub fn chunks_per_folder(&self) -> Vec<u32> {
        let mut counts = vec![0u32; self.folders.len()];
        let slots: Vec<Arc<Slot>> = self.index().values().cloned().collect();
        for slot in slots {
            let folder = slot.lock().folder;
            counts[folder] += 1;
        }
        counts
    }

    /// Space and chunk counts as the master wants them: folders marked for
    /// removal count separately, failed folders not at all.
    pub fn usage(&self) -> DiskUsage {
        let counts = self.chunks_per_folder();
        let mut usage = DiskUsage {
            used: 0,
            total: 0,
            chunks: 0,
            todel_used: 0,
            todel_total: 0,
            todel_chunks: 0,
        };
        for (folder, chunks) in self.folders.iter().zip(counts) {
            if folder.is_failed() {
                continue;
            }
            let space = folder.space();
            if folder.marked_for_removal {
                usage.todel_used += space.used;
                usage.todel_total += space.total;
                usage.todel_chunks += chunks;
            } else {
                usage.used += space.used;
                usage.total += space.total;
                usage.chunks += chunks;
            }
        }
        usage
    }

    /// The folder for a new chunk: the one with the most free space among
    /// those that take new chunks.
    fn place(&self) -> Option<usize> {
        self.folders
            .iter()
            .enumerate()
            .filter(|(_, folder)| folder.accepts_new_chunks())
            .map(|(n, folder)| (folder.available(), n))
            .filter(|(available, _)| *available > 0)
            .max()
            .map(|(_, n)| n)
    }

    /// Turns a chunk file error into the status MooseFS would answer, and
    /// reports it: CRC and format errors make the chunk damaged, I/O
    /// errors count against the folder.
    fn failed(&self, chunkid: u64, folder: usize, err: &ChunkFileError) -> Status {
        warn!(chunk = format_args!("{chunkid:016X}"), %err, "chunk operation failed");
        match err {
            ChunkFileError::Crc { .. } => {
                self.metrics.crc_errors.inc();
                self.reports.damaged(chunkid);
                Status::CRC
            }
            ChunkFileError::OutOfRange { .. } => Status::WRONGOFFSET,
            ChunkFileError::Io { .. } => {
                self.metrics.io_errors.inc();
                self.reports.error();
                if self.folders[folder].record_error(chunkid, self.error_limit) {
                    self.take_out_of_service(folder);
                }
                Status::IO
            }
            ChunkFileError::NotRegularFile { .. }
            | ChunkFileError::BadSize { .. }
            | ChunkFileError::BadHeader { .. }
            | ChunkFileError::WrongIdentity { .. } => {
                self.reports.damaged(chunkid);
                Status::IO
            }
        }
    }

    /// Drops every chunk of a failing folder from the index and reports
    /// them lost, so the master makes new copies elsewhere.
    fn take_out_of_service(&self, folder: usize) {
        let mut index = self.index();
        let mut lost = Vec::new();
        index.retain(|&chunkid, slot| {
            let mut state = slot.lock();
            if state.folder != folder {
                return true;
            }
            state.gone = true;
            if state.users == 0 {
                state.close(&self.idle);
            }
            lost.push(chunkid);
            false
        });
        drop(index);
        error!(folder = %self.folders[folder].path.display(), chunks = lost.len(),
            "too many I/O errors; data folder taken out of service");
        self.reports.lost(lost);
    }

    /// Runs blocking storage work on tokio's blocking threads. A task that
    /// could not finish (it panicked) answers [`Status::IO`].
    pub async fn run<T, F>(self: &Arc<Self>, work: F) -> Result<T, Status>
    where
        T: Send + 'static,
        F: FnOnce(&Store) -> Result<T, Status> + Send + 'static,
    {
        self.spawn(work).await
    }

    /// [`Store::run`], except that `work` starts at once, before the
    /// returned future is awaited, so the caller can do something else
    /// (send what the previous step read) while the disk works.
    pub fn spawn<T, F>(self: &Arc<Self>, work: F) -> impl Future<Output = Result<T, Status>>
    where
        T: Send + 'static,
        F: FnOnce(&Store) -> Result<T, Status> + Send + 'static,
    {
        let store = Arc::clone(self);
        let task = tokio::task::spawn_blocking(move || work(&store));
        async move {
            match task.await {
                Ok(result) => result,
                Err(err) => {
                    error!(%err, "storage task failed");
                    Err(Status::IO)
                }
            }
        }
    }

    /// Inserts a new slot for a file just created at `path`.
    fn insert_new(&self, path: ChunkPath, folder: usize) -> Result<(), Status> {
        let name = path.name();
        let mut index = self.index();
        if index.contains_key(&name.id) {
            return Err(Status::CHUNKEXIST);
        }
        index.insert(name.id, Slot::new(path, folder));
        Ok(())
    }

    /// Looks a chunk up for an operation, checking its version.
    fn existing(&self, chunkid: u64) -> Result<Arc<Slot>, Status> {
        self.slot(chunkid).ok_or(Status::NOCHUNK)
    }

    /// The path a new chunk `name` gets in `folder`.
    fn new_path(&self, folder: usize, name: ChunkName) -> ChunkPath {
        ChunkPath::placed(self.folders[folder].path.clone(), name)
    }
}

#[cfg(test)]
mod tests;
