//! rename, with MooseFS's checks: both directories writable, sticky bits,
//! no directory moved below itself, a replaced directory must be empty.

use mooseng_wire::Status;

use super::access::{Caller, EATTR_APPENDONLY, EATTR_IMMUTABLE, EATTR_UNDELETABLE, MAY_WRITE};
use super::mutation::Outcome;
use super::node::{Inode, ROOT};
use super::{check_name, Namespace};

impl Namespace {
    pub(super) fn rename(
        &mut self,
        ts: u32,
        caller: &Caller,
        src_parent: Inode,
        src_name: &[u8],
        dst_parent: Inode,
        dst_name: &[u8],
    ) -> Result<Outcome, Status> {
        self.get(dst_parent).ok_or(Status::ENOENT)?;
        let src_dir = self.writable_dir(caller, src_parent)?;
        if src_dir.eattr & EATTR_APPENDONLY != 0 {
            return Err(Status::EPERM);
        }
        check_name(src_name)?;
        let node = *src_dir
            .dir()
            .and_then(|d| d.entries.get(src_name))
            .ok_or(Status::ENOENT)?;
        let moved = self.get(node).ok_or(Status::ENOENT)?;
        if !caller.may_remove_from(src_dir, moved) {
            return Err(Status::EPERM);
        }
        let dst_dir = self.writable_dir(caller, dst_parent)?;
        if moved.eattr & EATTR_IMMUTABLE != 0 {
            return Err(Status::EPERM);
        }
        if moved.is_dir() {
            if self.is_ancestor_or_self(node, dst_parent) {
                return Err(Status::EINVAL);
            }
            // Moving a directory rewrites its "..", which needs write access to it.
            if src_parent != dst_parent && !caller.may(moved, MAY_WRITE) {
                return Err(Status::EACCES);
            }
        }
        check_name(dst_name)?;
        if src_parent == dst_parent && src_name == dst_name {
            return Ok(Outcome::Node(node));
        }
        let replaced = dst_dir.dir().and_then(|d| d.entries.get(dst_name)).copied();
        let mut released = Vec::new();
        if let Some(old) = replaced {
            let old_node = self.get(old).ok_or(Status::ENOENT)?;
            if old_node.dir().is_some_and(|d| !d.entries.is_empty()) {
                return Err(Status::ENOTEMPTY);
            }
            if !caller.may_remove_from(dst_dir, old_node) {
                return Err(Status::EPERM);
            }
            if old_node.eattr & (EATTR_UNDELETABLE | EATTR_IMMUTABLE | EATTR_APPENDONLY) != 0 {
                return Err(Status::EPERM);
            }
            let path = self.path_of(dst_parent, dst_name);
            self.detach(ts, dst_parent, dst_name);
            released = self.free_if_unlinked(ts, old, path).unwrap_or_default();
        }
        self.detach(ts, src_parent, src_name);
        self.attach(ts, dst_parent, dst_name, node);
        Ok(Outcome::with_released(node, released))
    }

    /// True when `dir` is `inode` or lies below it.
    pub(super) fn is_ancestor_or_self(&self, inode: Inode, mut dir: Inode) -> bool {
        loop {
            if dir == inode {
                return true;
            }
            if dir == ROOT {
                return false;
            }
            match self.get(dir).and_then(|n| n.parents.first()) {
                Some(parent) => dir = *parent,
                None => return false,
            }
        }
    }
}
