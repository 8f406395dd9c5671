//! Copy-on-write of chunks shared by snapshots, as MooseFS's
//! `chunk_multi_modify` and `chunk_multi_truncate` do for a chunk more
//! than one file refers to: the changing file gets a new chunk, made on
//! every server holding a valid copy of the shared one by
//! `MATOCS_DUPLICATE` (or `MATOCS_DUPTRUNC`, which also cuts the copy),
//! and the other files keep the old bytes.

use mooseng_wire::Status;

use super::{ChunkCopy, ChunkEntry, ChunkId, ChunkState, CopyState, FileRef, Order};

/// The version a duplicate starts in, as in MooseFS.
const FIRST_VERSION: u32 = 1;

impl ChunkState {
    /// Starts the private copy of `shared` for slot `file` and leases it
    /// until `until`. Returns the new chunk's id; the operation's outcome
    /// arrives in `finished` once every copy answered. The table counts the
    /// new chunk as referred to by the file (a `Create` entry); the file's
    /// reference to `shared` ends when the namespace records the new chunk
    /// in its place.
    pub(super) fn begin_duplicate(
        &mut self,
        file: FileRef,
        shared: ChunkId,
        class: u8,
        cut_to: Option<u32>,
        now: u64,
        until: Option<u64>,
    ) -> Result<ChunkId, Status> {
        let (from_version, holders) = self.free_holders(shared, now)?;
        let chunk = self.commit(ChunkEntry::Create { file, class })?;
        let soft = self.soft.entry(chunk).or_default();
        soft.lease_until = until;
        for server in &holders {
            soft.copies.push(ChunkCopy {
                server: *server,
                version: FIRST_VERSION,
                state: CopyState::Busy,
                todel: false,
            });
            let order = match cut_to {
                None => Order::Duplicate {
                    chunk,
                    version: FIRST_VERSION,
                    from: shared,
                    from_version,
                },
                Some(length) => Order::Duptrunc {
                    chunk,
                    version: FIRST_VERSION,
                    from: shared,
                    from_version,
                    length,
                },
            };
            self.orders.push((*server, order));
        }
        self.start_operation(chunk, holders);
        Ok(chunk)
    }
}
