//! Cutting the chunk a file's new length ends in, as MooseFS's
//! `chunk_multi_truncate` does: a chunk only one file refers to has its
//! version stepped in the table and every valid copy gets
//! `MATOCS_TRUNCATE` with the new length and both versions; a chunk shared
//! with a snapshot is copied for the file and cut in one step by
//! `MATOCS_DUPTRUNC` (see `duplicate.rs`). Either way the chunk holding
//! the cut bytes stays locked until the namespace has recorded the new
//! length.

use mooseng_wire::Status;

use super::{ChunkId, ChunkState, FileRef, Order};

/// The chunk a truncation cut: `chunk` itself, or the file's new private
/// copy of it when it was shared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cutting {
    pub chunk: ChunkId,
    pub version: u32,
}

impl ChunkState {
    /// Starts cutting `chunk`, slot `file` of a file of class `class`, to
    /// `length` bytes and leases the chunk holding the cut bytes until
    /// `now + lease_secs`: the lease keeps writers out until the file's
    /// new length is recorded, and [`ChunkState::end_write`] ends it. The
    /// operation's outcome arrives in `finished` once every copy answered.
    pub fn begin_truncate(
        &mut self,
        file: FileRef,
        chunk: ChunkId,
        length: u32,
        class: u8,
        now: u64,
        lease_secs: u64,
    ) -> Result<Cutting, Status> {
        let until = Some(now + lease_secs);
        if self.is_shared(chunk)? {
            let copy = self.begin_duplicate(file, chunk, class, Some(length), now, until)?;
            return Ok(Cutting {
                chunk: copy,
                version: 1,
            });
        }
        let (old, holders) = self.free_holders(chunk, now)?;
        let version =
            self.step_version(chunk, old, holders, until, |version, old| Order::Truncate {
                chunk,
                length,
                version,
                old,
            })?;
        Ok(Cutting { chunk, version })
    }
}
