//! The storage side of scrubbing (see [`crate::scrub`]): open a chunk,
//! check a slice of its blocks at a time. Blocking; run through
//! [`Store::run`].
//!
//! As mfschunkserver's chunk tester does, any failure to check a chunk
//! (CRC mismatch, unreadable or malformed file, I/O error) reports the
//! chunk damaged, so the master replaces this copy from a good one; I/O
//! errors also count against the folder as usual.

use mooseng_wire::Status;

use super::{IoHandle, Store};

impl Store {
    /// The ids of every chunk held now.
    pub fn chunk_ids(&self) -> Vec<u64> {
        self.index().keys().copied().collect()
    }

    /// Opens chunk `chunkid` (any version) for scrubbing. `NOCHUNK` means it
    /// is gone (deleted meanwhile); any other error has been reported.
    pub fn scrub_open(&self, chunkid: u64) -> Result<IoHandle, Status> {
        self.open_io(chunkid, 0)
            .map_err(|status| self.scrub_failure(chunkid, status))
    }

    /// Checks up to `count` blocks from `first` on against their CRCs;
    /// returns how many were checked, 0 at the end of the chunk. Errors as
    /// for [`Store::scrub_open`].
    pub fn scrub_blocks(&self, handle: &IoHandle, first: u16, count: u16) -> Result<u16, Status> {
        let chunkid = handle.chunkid;
        let mut state = handle.slot.lock();
        if state.gone {
            return Err(Status::NOCHUNK);
        }
        let folder = state.folder;
        state
            .file()
            .and_then(|file| file.verify_blocks(first, count))
            .map_err(|err| {
                let status = self.failed(chunkid, folder, &err);
                self.scrub_failure(chunkid, status)
            })
    }

    fn scrub_failure(&self, chunkid: u64, status: Status) -> Status {
        if status != Status::NOCHUNK {
            self.reports.damaged(chunkid);
        }
        status
    }
}
