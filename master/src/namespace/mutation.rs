//! The log entries of the namespace state machine.
//!
//! An entry carries everything that is not a function of the state: the
//! time and the caller. New inode numbers are not in the entry because the
//! state allocates them itself, deterministically, in log order (as
//! MooseFS's own changelog replay does).

use serde::{Deserialize, Serialize};

use super::access::Caller;
use super::node::{Inode, NameBytes};

/// One replicated change, as the leader decided it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// Seconds since the epoch on the leader when it accepted the request.
    pub ts: u32,
    pub caller: Caller,
    pub mutation: Mutation,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Mutation {
    /// mknod, mkdir, create and symlink.
    Create {
        parent: Inode,
        name: NameBytes,
        node: NewNode,
        mode: u16,
        umask: u16,
        /// mkdir in a setgid directory makes a setgid directory.
        copy_sgid: bool,
    },
    Link {
        inode: Inode,
        parent: Inode,
        name: NameBytes,
    },
    Unlink {
        parent: Inode,
        name: NameBytes,
    },
    Rmdir {
        parent: Inode,
        name: NameBytes,
    },
    Rename {
        src_parent: Inode,
        src_name: NameBytes,
        dst_parent: Inode,
        dst_name: NameBytes,
    },
    SetAttr {
        inode: Inode,
        change: AttrChange,
    },
    SetLength {
        inode: Inode,
        length: u64,
    },
}

/// What kind of node a `Create` makes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum NewNode {
    File,
    Directory,
    Symlink(Box<[u8]>),
    Fifo,
    Socket,
    BlockDev(u32),
    CharDev(u32),
}

/// The fields of a setattr request; `None` leaves a field alone.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttrChange {
    pub mode: Option<u16>,
    pub uid: Option<u32>,
    pub gid: Option<u32>,
    pub atime: Option<TimeChange>,
    pub mtime: Option<TimeChange>,
    pub winattr: Option<u8>,
    /// How a chown clears setuid/setgid, chosen by the client's platform.
    pub sugid_clear: SugidClear,
}

/// The `SUGID_CLEAR_MODE_*` policies of MooseFS.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum SugidClear {
    Never,
    Always,
    /// Any change by a non-root user clears both bits.
    Osx,
    /// A non-root user changing the group clears both bits.
    Bsd,
    /// Files only: both bits if group-executable, else only setuid.
    #[default]
    Ext,
    /// As `Ext`, and non-root users also clear them on directories.
    Xfs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TimeChange {
    /// The entry's own timestamp (`touch` without a time).
    Now,
    At(u32),
}

/// What a successfully applied entry produced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The node created, linked, renamed or changed.
    Node(Inode),
    /// The node whose link was removed; `freed` when it is gone for good.
    Removed { inode: Inode, freed: bool },
}
