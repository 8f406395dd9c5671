//! unlink and rmdir.
//!
//! A node whose last link goes is freed at once. MooseFS keeps unlinked
//! files in the trash for their trash time and keeps open ones as
//! "sustained"; both arrive with the trash and session work.

use mooseng_wire::Status;

use super::access::{Caller, EATTR_APPENDONLY, EATTR_IMMUTABLE, EATTR_UNDELETABLE};
use super::mutation::Outcome;
use super::node::{Inode, ROOT};
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
        Ok(Outcome::Removed {
            inode: child,
            freed: self.free_if_unlinked(child),
        })
    }

    /// Drops a node that no directory refers to any more.
    pub(super) fn free_if_unlinked(&mut self, inode: Inode) -> bool {
        let unlinked = inode != ROOT && self.get(inode).is_some_and(|n| n.parents.is_empty());
        if unlinked {
            self.nodes.remove(&inode);
        }
        unlinked
    }
}
