//! Reads that never wait: for the client service's own thread.
//!
//! Handing a read to a blocking thread and back costs two thread wakeups,
//! more than reading a block that is already in the page cache. These
//! variants of [`Store::open_io`] and [`Store::read_blocks`] do only what
//! needs neither the disk nor a lock another thread may hold across file
//! I/O, and otherwise answer `None`/`false` without any effect, so the
//! caller does the same work the blocking way: errors, reports and
//! metrics of failures all come from that second attempt.

use std::sync::Arc;
use std::time::Instant;

use super::io::IoHandle;
use super::Store;

impl Store {
    /// [`Store::open_io`] for a chunk whose file is already open (a
    /// session holds it, or it is idle); `None` when opening it would touch
    /// the disk, its slot is busy, or the request would fail.
    pub fn open_io_cached(&self, chunkid: u64, version: u32) -> Option<IoHandle> {
        let slot = self.slot(chunkid)?;
        let mut state = slot.try_lock()?;
        if state.gone || state.file.is_none() || state.check_version(version).is_err() {
            return None;
        }
        state.new_user(&self.idle);
        drop(state);
        Some(IoHandle::new(slot, chunkid, Arc::clone(&self.idle)))
    }

    /// [`Store::read_blocks`] when every stored block is in the page cache
    /// and passes its check; `false` otherwise (the slot is busy, a block
    /// would have to come from the disk, or anything failed), with `crcs`
    /// as it was.
    pub fn read_cached_blocks(
        &self,
        handle: &IoHandle,
        first: u16,
        out: &mut [u8],
        crcs: &mut Vec<u32>,
    ) -> bool {
        let Ok(size) = u32::try_from(out.len()) else {
            return false;
        };
        let Some(state) = handle.slot.try_lock() else {
            return false;
        };
        let Some(file) = state.file.as_ref().filter(|_| !state.gone) else {
            return false;
        };
        let started = Instant::now();
        if !file.read_cached_blocks(first, out, crcs) {
            return false;
        }
        self.metrics.read_done(size, started.elapsed());
        true
    }
}
