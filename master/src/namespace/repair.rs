//! `mfsfilerepair`'s namespace side (3.0.117's `fs_repair`): which chunks
//! a file has, and emptying the slots of chunks nothing is left of. The
//! chunk service decides per chunk ([`crate::chunks::Repair`]).
//!
//! Only a regular file (trash and sustained ones too) is repaired, never
//! an immutable one, and only by a caller who may write it.

use mooseng_wire::Status;

use super::access::{Caller, EATTR_IMMUTABLE, MAY_WRITE};
use super::mutation::{ChunkRef, Outcome};
use super::node::{Inode, NodeData};
use super::Namespace;
use crate::chunks::ChunkId;

impl Namespace {
    /// The chunk in each slot of `inode` (0 for a hole), if `caller` may
    /// repair it.
    pub fn repair_slots(&self, caller: &Caller, inode: Inode) -> Result<Vec<ChunkId>, Status> {
        let node = self.get(inode).ok_or(Status::ENOENT)?;
        let NodeData::File(file) = &node.data else {
            return Err(Status::EPERM);
        };
        if node.eattr & EATTR_IMMUTABLE != 0 {
            return Err(Status::EPERM);
        }
        if !caller.may(node, MAY_WRITE) {
            return Err(Status::EACCES);
        }
        Ok(file.chunks.iter().copied().collect())
    }

    /// Empties each slot of `erase` that still holds its chunk and, when
    /// the repair `changed` anything, stamps mtime and ctime.
    pub(super) fn repair(
        &mut self,
        ts: u32,
        caller: &Caller,
        inode: Inode,
        erase: &[(u32, ChunkId)],
        changed: bool,
    ) -> Result<Outcome, Status> {
        self.repair_slots(caller, inode)?;
        let node = self.node_mut(inode);
        let class = node.sclass;
        let mut released = Vec::new();
        if let NodeData::File(file) = &mut node.data {
            for &(index, chunk) in erase {
                let slot = file.chunks.get_mut(index as usize);
                if let Some(slot) = slot.filter(|held| **held == chunk) {
                    *slot = 0;
                    released.push(ChunkRef { chunk, class });
                }
            }
        }
        if changed {
            node.mtime = ts;
            node.ctime = ts;
        }
        self.note_quota_usage(ts, inode);
        Ok(Outcome::with_released(inode, released))
    }
}
