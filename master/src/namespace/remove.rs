//! unlink and rmdir.
//!
//! A node whose last link goes is moved to the trash, kept as sustained,
//! or freed (see [`super::trash`]); when freed, the outcome lists the
//! chunks its data referred to so the chunk table can drop them.

use mooseng_wire::Status;

use super::access::{Caller, EATTR_APPENDONLY, EATTR_IMMUTABLE, EATTR_UNDELETABLE};
use super::mutation::{ChunkRef, Outcome};
use super::node::Inode;
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
        let path = self.path_of(parent, name);
        self.detach(ts, parent, name);
        let released = self.free_if_unlinked(ts, child, path);
        Ok(Outcome::Removed {
            inode: child,
            freed: released.is_some(),
            released: released.unwrap_or_default(),
        })
    }
}

/// The references a file of storage class `class` holds on the non-hole
/// chunks of `slots`.
pub(super) fn chunk_refs(slots: &[u64], class: u8) -> Vec<ChunkRef> {
    slots
        .iter()
        .filter(|chunk| **chunk != 0)
        .map(|&chunk| ChunkRef { chunk, class })
        .collect()
}
