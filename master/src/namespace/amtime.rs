//! Times a mount changed locally (`CLTOMA_FUSE_AMTIME_INODES`). Since
//! 3.0.74 `mfsmount` keeps a file's atime and mtime itself while it reads
//! and writes, and reports them; the master takes them as MooseFS's
//! `fs_amtime_update` does. Without them a write would leave the mtime
//! other mounts see unchanged.

use mooseng_wire::Status;

use super::mutation::Outcome;
use super::node::{Inode, Node};
use super::Namespace;

/// An atime more than this many seconds old is always brought forward.
const DAY: u32 = 86_400;

impl Namespace {
    /// Whether reported times would change `inode`, so that reports
    /// changing nothing need no log entry.
    pub fn amtime_changes(&self, inode: Inode, atime: u32, mtime: u32) -> bool {
        self.get(inode)
            .is_some_and(|node| later_atime(node, atime).is_some() || mtime > node.mtime)
    }

    /// A later mtime sets mtime and ctime to it; a later atime is taken as
    /// MooseFS's default `ATIME_MODE` (relatime) takes it.
    pub(super) fn set_amtime(
        &mut self,
        inode: Inode,
        atime: u32,
        mtime: u32,
    ) -> Result<Outcome, Status> {
        let node = self.get(inode).ok_or(Status::ENOENT)?;
        let atime = later_atime(node, atime);
        let node = self.node_mut(inode);
        if let Some(atime) = atime {
            node.atime = atime;
        }
        if mtime > node.mtime {
            node.mtime = mtime;
            node.ctime = mtime;
        }
        Ok(Outcome::Node(inode))
    }
}

/// `atime` if it is later and the old atime is not after the ctime or
/// mtime it reaches, or is more than a day older (relatime).
fn later_atime(node: &Node, atime: u32) -> Option<u32> {
    let relative = (node.atime <= node.ctime && atime >= node.ctime)
        || (node.atime <= node.mtime && atime >= node.mtime)
        || node.atime.saturating_add(DAY) < atime;
    (node.atime < atime && relative).then_some(atime)
}
