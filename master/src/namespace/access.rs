//! Who is asking, and what the mode bits let them do.
//!
//! The rules follow MooseFS 3.0.117's master: root may do anything, the
//! owner gets the owner bits, a member of the file's group (any of the
//! caller's groups) the group bits, everyone else the other bits; the
//! `noowner` extra attribute makes everybody the owner. A node with an
//! access ACL is decided by the ACL instead (see `acl.rs`).

use serde::{Deserialize, Serialize};

use super::acl::AclKind;
use super::node::Node;

/// `EATTR_NOOWNER`: every user is treated as the owner.
pub const EATTR_NOOWNER: u8 = 0x01;
/// `EATTR_NOECACHE`: mounts keep no directory entry cache (directories
/// only).
pub const EATTR_NOECACHE: u8 = 0x04;
/// `EATTR_SNAPSHOT`: made or refreshed by a snapshot and unchanged since,
/// which is what `mfsrmsnapshot` may remove.
pub const EATTR_SNAPSHOT: u8 = 0x10;
/// `EATTR_UNDELETABLE`: the node cannot be unlinked.
pub const EATTR_UNDELETABLE: u8 = 0x20;
/// `EATTR_APPENDONLY`: only appending and adding entries are allowed.
pub const EATTR_APPENDONLY: u8 = 0x40;
/// `EATTR_IMMUTABLE`: no change at all.
pub const EATTR_IMMUTABLE: u8 = 0x80;

pub const MAY_READ: u8 = 4;
pub const MAY_WRITE: u8 = 2;
pub const MAY_EXEC: u8 = 1;

const STICKY: u16 = 0o1000;

/// The identity a request runs with, after the export's uid/gid mapping.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Caller {
    pub uid: u32,
    /// The primary group first, then supplementary groups.
    pub gids: Vec<u32>,
}

impl Caller {
    pub fn root() -> Self {
        Caller {
            uid: 0,
            gids: vec![0],
        }
    }

    pub fn is_root(&self) -> bool {
        self.uid == 0
    }

    pub fn primary_gid(&self) -> u32 {
        self.gids.first().copied().unwrap_or(u32::MAX)
    }

    pub fn in_group(&self, gid: u32) -> bool {
        self.gids.contains(&gid)
    }

    pub fn owns(&self, node: &Node) -> bool {
        self.uid == node.uid || node.eattr & EATTR_NOOWNER != 0
    }

    /// The `rwx` bits the caller has on `node`.
    pub fn rights(&self, node: &Node) -> u8 {
        if self.is_root() {
            return MAY_READ | MAY_WRITE | MAY_EXEC;
        }
        if let Some(acl) = node.extras.acls().get(AclKind::Access) {
            return acl.rights(self, node);
        }
        let shift = if self.owns(node) {
            6
        } else if self.in_group(node.gid) {
            3
        } else {
            0
        };
        ((node.mode >> shift) & 7) as u8
    }

    /// True when every bit of `wanted` is granted.
    pub fn may(&self, node: &Node, wanted: u8) -> bool {
        self.rights(node) & wanted == wanted
    }

    /// In a sticky directory only root and the owners of the directory or
    /// of the entry may remove or rename the entry.
    pub fn may_remove_from(&self, dir: &Node, entry: &Node) -> bool {
        self.is_root() || dir.mode & STICKY == 0 || self.owns(dir) || self.owns(entry)
    }
}
