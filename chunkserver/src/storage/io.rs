//! Reading and writing chunk data for clients, write chains and
//! replication, and the per-chunk questions of `ANTOCS_*`. Blocking; run
//! through [`Store::run`].

use std::sync::Arc;
use std::time::Instant;

use mooseng_wire::Status;

use super::idle::IdleFiles;
use super::{Slot, Store};
use crate::chunk_file::{BLOCKS_PER_CHUNK, BLOCK_SIZE};

/// A chunk held open by a read or write session. Dropping it ends the
/// session; the file stays open for the next one while an idle place is
/// free (see `idle.rs`). [`Store::close`] does the same after syncing.
#[derive(Debug)]
pub struct IoHandle {
    pub(super) slot: Arc<Slot>,
    pub(super) chunkid: u64,
    idle: Arc<IdleFiles>,
}

impl IoHandle {
    /// A session on `slot`, whose user count the caller already raised.
    pub(super) fn new(slot: Arc<Slot>, chunkid: u64, idle: Arc<IdleFiles>) -> Self {
        IoHandle {
            slot,
            chunkid,
            idle,
        }
    }

    pub fn chunkid(&self) -> u64 {
        self.chunkid
    }
}

impl Drop for IoHandle {
    fn drop(&mut self) {
        let mut state = self.slot.lock();
        state.users = state.users.saturating_sub(1);
        if state.users == 0 {
            state.last_user_gone(&self.idle);
        }
    }
}

/// Checks that `size` bytes at `offset` of block `block` lie inside it.
fn check_range(block: u16, offset: u32, size: u32) -> Result<(), Status> {
    if block >= BLOCKS_PER_CHUNK {
        return Err(Status::BNUMTOOBIG);
    }
    if offset >= BLOCK_SIZE || size > BLOCK_SIZE {
        return Err(Status::WRONGOFFSET);
    }
    if offset + size > BLOCK_SIZE {
        return Err(Status::WRONGSIZE);
    }
    Ok(())
}

impl Store {
    /// Opens chunk `chunkid` in `version` (0: any) for a session.
    pub fn open_io(&self, chunkid: u64, version: u32) -> Result<IoHandle, Status> {
        let slot = self.locked(chunkid, version)?;
        let mut state = slot.lock();
        if let Err(err) = state.file() {
            let folder = state.folder;
            return Err(self.failed(chunkid, folder, &err));
        }
        state.new_user(&self.idle);
        drop(state);
        Ok(IoHandle::new(slot, chunkid, Arc::clone(&self.idle)))
    }

    /// Fills `out` with whole blocks from `first` on and checks them; see
    /// [`ChunkFile::read_blocks`](crate::chunk_file::ChunkFile::read_blocks).
    /// `crcs` gets the CRC of each block that passed; a damaged block is
    /// reported to the master and ends the read with `MFS_ERROR_CRC`.
    pub fn read_blocks(
        &self,
        handle: &IoHandle,
        first: u16,
        out: &mut [u8],
        crcs: &mut Vec<u32>,
    ) -> Result<(), Status> {
        let size = u32::try_from(out.len()).map_err(|_| Status::WRONGSIZE)?;
        let mut state = handle.slot.lock();
        if state.gone {
            return Err(Status::NOCHUNK);
        }
        let folder = state.folder;
        let file = state
            .file()
            .map_err(|err| self.failed(handle.chunkid, folder, &err))?;
        let started = Instant::now();
        file.read_blocks(first, out, crcs)
            .map_err(|err| self.failed(handle.chunkid, folder, &err))?;
        self.metrics.read_done(size, started.elapsed());
        Ok(())
    }

    /// Starts the disk reads of blocks `first..first + count` ahead of a
    /// long read; see [`ChunkFile::will_read`](crate::chunk_file::ChunkFile::will_read).
    pub fn will_read(&self, handle: &IoHandle, first: u16, count: u16) {
        let mut state = handle.slot.lock();
        // A file that cannot be opened fails the read that follows, which
        // reports it; advice has nothing to add.
        if let Ok(file) = state.file() {
            file.will_read(first, count);
        }
    }

    /// Writes `data` at `offset` inside block `block` after checking it
    /// against the CRC its sender computed.
    pub fn write_piece(
        &self,
        handle: &IoHandle,
        block: u16,
        offset: u32,
        crc: u32,
        data: &[u8],
    ) -> Result<(), Status> {
        let size = u32::try_from(data.len()).map_err(|_| Status::WRONGSIZE)?;
        check_range(block, offset, size)?;
        if crc32fast::hash(data) != crc {
            return Err(Status::CRC);
        }
        let mut state = handle.slot.lock();
        if state.gone {
            return Err(Status::NOCHUNK);
        }
        let folder = state.folder;
        let file = state
            .file()
            .map_err(|err| self.failed(handle.chunkid, folder, &err))?;
        let started = Instant::now();
        file.write(u32::from(block) * BLOCK_SIZE + offset, data)
            .map_err(|err| self.failed(handle.chunkid, folder, &err))?;
        self.metrics.write_done(data.len(), started.elapsed());
        Ok(())
    }

    /// Ends a session, syncing the file first when [`Store::close_syncs`].
    pub fn close(&self, handle: IoHandle, sync: bool) -> Result<(), Status> {
        if self.close_syncs(sync) {
            return self.close_synced(handle);
        }
        drop(handle);
        Ok(())
    }

    /// Whether [`Store::close`] syncs the file (and so must run on a
    /// blocking thread): when `sync` is asked and the configuration wants
    /// it (`fsync_on_finish`).
    pub fn close_syncs(&self, sync: bool) -> bool {
        sync && self.fsync_on_finish
    }

    /// Ends a session after syncing the file, whatever the configuration
    /// says: a replica is made durable before it takes its version.
    pub fn close_synced(&self, handle: IoHandle) -> Result<(), Status> {
        let mut result = Ok(());
        let mut state = handle.slot.lock();
        let folder = state.folder;
        if let Some(file) = state.file.as_mut() {
            if let Err(err) = file.sync() {
                result = Err(self.failed(handle.chunkid, folder, &err));
            }
        }
        drop(state);
        drop(handle);
        result
    }

    /// Blocks stored in the chunk (`ANTOCS_GET_CHUNK_BLOCKS`).
    pub fn blocks(&self, chunkid: u64, version: u32) -> Result<u16, Status> {
        let slot = self.locked(chunkid, version)?;
        let mut state = slot.lock();
        self.with_file(&mut state, |file| Ok(file.blocks()))
    }

    /// The stored CRC table (`ANTOCS_GET_CHUNK_CHECKSUM_TAB`).
    pub fn checksum_table(&self, chunkid: u64, version: u32) -> Result<Vec<u32>, Status> {
        let slot = self.locked(chunkid, version)?;
        let mut state = slot.lock();
        self.with_file(&mut state, |file| Ok(file.stored_crcs()))
    }

    /// One number summarising the CRC table (`ANTOCS_GET_CHUNK_CHECKSUM`),
    /// computed as mfschunkserver does so the two can be compared.
    pub fn checksum(&self, chunkid: u64, version: u32) -> Result<u32, Status> {
        let table = self.checksum_table(chunkid, version)?;
        Ok(table_checksum(&table))
    }
}

/// MooseFS's fold of a CRC table: start at 1, then per entry multiply by
/// 426265243 and xor the entry in.
pub fn table_checksum(table: &[u32]) -> u32 {
    table
        .iter()
        .fold(1u32, |sum, &crc| sum.wrapping_mul(426_265_243) ^ crc)
}
