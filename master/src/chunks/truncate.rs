//! Cutting the chunk a file's new length ends in, as MooseFS's
//! `chunk_multi_truncate` does for a chunk only one file refers to: the
//! version steps in the table, every valid copy gets `MATOCS_TRUNCATE`
//! with the new length and both versions, and the chunk stays locked until
//! the namespace has recorded the new length.

use mooseng_wire::Status;

use super::{ChunkId, ChunkState, Order};

impl ChunkState {
    /// Starts cutting `chunk` to `length` bytes and leases it until
    /// `now + lease_secs`: the lease keeps writers out until the file's
    /// new length is recorded, and [`ChunkState::end_write`] ends it.
    /// Returns the chunk's new version; the operation's outcome arrives in
    /// `finished` once every copy answered.
    pub fn begin_truncate(
        &mut self,
        chunk: ChunkId,
        length: u32,
        now: u64,
        lease_secs: u64,
    ) -> Result<u32, Status> {
        if self.is_shared(chunk)? {
            // Cutting a chunk snapshots share needs a private copy first
            // (MooseFS's DUPTRUNC), which the client side cannot record yet.
            return Err(Status::ENOTSUP);
        }
        let (old, holders) = self.free_holders(chunk, now)?;
        let until = Some(now + lease_secs);
        self.step_version(chunk, old, holders, until, |version, old| Order::Truncate {
            chunk,
            length,
            version,
            old,
        })
    }
}
