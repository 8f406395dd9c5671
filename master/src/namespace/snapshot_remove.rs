//! `mfsrmsnapshot`: a SNAPSHOT request with `SNAPSHOT_MODE_DELETE`, which
//! removes a tree at once instead of copying one, as MooseFS 3.0.117
//! does it.
//!
//! Only what a snapshot made and nothing changed since may go: every node
//! a snapshot creates or refreshes carries `EATTR_SNAPSHOT`, and adding or
//! removing an entry, writing or truncating takes it away again (see
//! [`Namespace::attach`], `set_chunk`, `set_length`). Without `-f` one such
//! node anywhere in the tree refuses the whole removal; with `-f` the
//! removable part goes and the rest stays. Removed files skip the trash.

use mooseng_wire::Status;

use super::access::{Caller, EATTR_APPENDONLY, EATTR_IMMUTABLE, EATTR_SNAPSHOT};
use super::access::{EATTR_UNDELETABLE, MAY_EXEC, MAY_WRITE};
use super::mutation::{ChunkRef, Outcome};
use super::node::Inode;
use super::snapshot::snapshot_mode;
use super::{check_name, Namespace};

/// Attributes that keep a node whatever else says it may go.
const PROTECTED: u8 = EATTR_UNDELETABLE | EATTR_IMMUTABLE | EATTR_APPENDONLY;
/// A directory with one of these keeps its entries.
const FROZEN: u8 = EATTR_APPENDONLY | EATTR_IMMUTABLE;

impl Namespace {
    /// Removes `dst_parent/name` and what a snapshot made below it; `src`
    /// must be 0 (the request names no original).
    pub(super) fn remove_snapshot(
        &mut self,
        ts: u32,
        caller: &Caller,
        src: Inode,
        dst_parent: Inode,
        name: &[u8],
        smode: u8,
    ) -> Result<Outcome, Status> {
        if src != 0 {
            return Err(Status::EINVAL);
        }
        let dir = self.get(dst_parent).ok_or(Status::ENOENT)?;
        if !dir.is_dir() {
            return Err(Status::EPERM);
        }
        if !caller.may(dir, MAY_WRITE | MAY_EXEC) {
            return Err(Status::EACCES);
        }
        check_name(name)?;
        let top = self.entry(dst_parent, name).ok_or(Status::ENOENT)?;
        let top_node = self.get(top).ok_or(Status::ENOENT)?;
        if !caller.may_remove_from(dir, top_node) {
            return Err(Status::EPERM);
        }
        let unfrozen = dir.eattr & FROZEN == 0;
        if smode & snapshot_mode::FORCE_REMOVAL == 0 {
            if !unfrozen {
                return Err(Status::EPERM);
            }
            self.check_snapshot_removable(caller, top)?;
        }
        let mut released = Vec::new();
        self.remove_snapshot_entry(ts, caller, dst_parent, name, unfrozen, &mut released);
        self.note_quota_usage(ts, dst_parent);
        Ok(Outcome::Released {
            inode: top,
            released,
        })
    }

    /// MooseFS's `fsnodes_remove_snapshot_test`: every node of the tree
    /// is a snapshot's and unprotected, and every directory one the caller
    /// may empty.
    fn check_snapshot_removable(&self, caller: &Caller, inode: Inode) -> Result<(), Status> {
        let node = self.get(inode).ok_or(Status::ENOENT)?;
        if let Some(dir) = node.dir() {
            if node.eattr & EATTR_APPENDONLY != 0 {
                return Err(Status::EPERM);
            }
            if !caller.may(node, MAY_WRITE | MAY_EXEC) {
                return Err(Status::EACCES);
            }
            for child in dir.entries.values() {
                self.check_snapshot_removable(caller, *child)?;
            }
        }
        if node.eattr & EATTR_SNAPSHOT == 0 || node.eattr & PROTECTED != 0 {
            return Err(Status::EPERM);
        }
        Ok(())
    }

    /// Removes what may go of `parent/name`, children first; a directory
    /// goes only once it is empty. `allowed` is false in a directory that
    /// is append-only or immutable.
    fn remove_snapshot_entry(
        &mut self,
        ts: u32,
        caller: &Caller,
        parent: Inode,
        name: &[u8],
        allowed: bool,
        released: &mut Vec<ChunkRef>,
    ) {
        let Some(inode) = self.entry(parent, name) else {
            return;
        };
        let Some(node) = self.get(inode) else { return };
        if let Some(dir) = node.dir() {
            let eattr = node.eattr;
            if caller.may(node, MAY_WRITE | MAY_EXEC) {
                let names: Vec<_> = dir.entries.keys().cloned().collect();
                let children_allowed = eattr & FROZEN == 0;
                for child in names {
                    self.remove_snapshot_entry(
                        ts,
                        caller,
                        inode,
                        &child,
                        children_allowed,
                        released,
                    );
                }
            }
            if self
                .get(inode)
                .and_then(|n| n.dir())
                .is_some_and(|d| !d.entries.is_empty())
            {
                return;
            }
            // Removing the entries took the mark away; the directory was
            // a snapshot's before, and that decides whether it goes.
            self.node_mut(inode).eattr = eattr;
        }
        let eattr = self.get(inode).map_or(0, |n| n.eattr);
        if allowed && eattr & EATTR_SNAPSHOT != 0 && eattr & PROTECTED == 0 {
            self.node_mut(inode).trashtime = 0;
            let path = self.path_of(parent, name);
            self.detach(ts, parent, name);
            released.extend(self.free_if_unlinked(ts, inode, path).unwrap_or_default());
        }
    }
}
