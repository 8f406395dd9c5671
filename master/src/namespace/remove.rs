//! unlink and rmdir.
//!
//! A node whose last link goes is freed at once, and the outcome lists the
//! chunks its data referred to so the chunk table can drop them. MooseFS
//! keeps unlinked files in the trash for their trash time and keeps open
//! ones as "sustained"; both arrive with the trash and session work.

use mooseng_wire::Status;

use super::access::{Caller, EATTR_APPENDONLY, EATTR_IMMUTABLE, EATTR_UNDELETABLE};
use super::mutation::{ChunkRef, Outcome};
use super::node::{Inode, NodeData, ROOT};
use super::{check_name, Namespace};

impl Namespace {
    pub(super) fn remove(
        &mut self,
        ts: u32,
        caller: &Caller,
        parent: Inode,
        name: &[u8],
        rmdir: bool,
    ) -> Result<Outcome, Status> {
        let dir = self.writable_dir(caller, parent)?;
        if dir.eattr & EATTR_APPENDONLY != 0 {
            return Err(Status::EPERM);
        }
        check_name(name)?;
        let child = *dir
            .dir()
            .and_then(|d| d.entries.get(name))
            .ok_or(Status::ENOENT)?;
        let child_node = self.get(child).ok_or(Status::ENOENT)?;
        if !caller.may_remove_from(dir, child_node) {
            return Err(Status::EPERM);
        }
        if child_node.eattr & (EATTR_UNDELETABLE | EATTR_IMMUTABLE | EATTR_APPENDONLY) != 0 {
            return Err(Status::EPERM);
        }
        match (rmdir, child_node.dir()) {
            (false, Some(_)) => return Err(Status::EPERM),
            (true, None) => return Err(Status::ENOTDIR),
            (true, Some(d)) if !d.entries.is_empty() => return Err(Status::ENOTEMPTY),
            _ => {}
        }
        self.detach(ts, parent, name);
        let released = self.free_if_unlinked(child);
        Ok(Outcome::Removed {
            inode: child,
            freed: released.is_some(),
            released: released.unwrap_or_default(),
        })
    }

    /// Drops a node that no directory refers to any more, returning the
    /// chunk references its data held; `None` while it is still linked.
    pub(super) fn free_if_unlinked(&mut self, inode: Inode) -> Option<Vec<ChunkRef>> {
        let unlinked = inode != ROOT && self.get(inode).is_some_and(|n| n.parents.is_empty());
        if !unlinked {
            return None;
        }
        let node = self.nodes.remove(&inode)?;
        Some(match node.data {
            NodeData::File(file) => chunk_refs(&file.chunks, node.sclass),
            _ => Vec::new(),
        })
    }
}

/// The references a file of `goal` holds on the non-hole chunks of `slots`.
pub(super) fn chunk_refs(slots: &[u64], goal: u8) -> Vec<ChunkRef> {
    slots
        .iter()
        .filter(|chunk| **chunk != 0)
        .map(|&chunk| ChunkRef { chunk, goal })
        .collect()
}
