//! The namespace as one session sees it: its root is inode 1, nodes outside
//! its exported subtree do not exist, and attribute records carry the
//! cache hints and owner translation MooseFS puts in them.

use mooseng_wire::cltoma::GetattrCaller;
use mooseng_wire::matocl::lookup_flag;
use mooseng_wire::types::node_type;
use mooseng_wire::{Attr, Status, Version};

use crate::namespace::{Inode, Namespace, Node, EATTR_APPENDONLY, EATTR_IMMUTABLE, EATTR_NOOWNER};
use crate::session::{Identity, Session};

/// `MATTR_*` bits of the attribute record's flags byte.
mod mattr {
    pub const NOACACHE: u8 = 0x01;
    pub const NOECACHE: u8 = 0x02;
    pub const ALLOWDATACACHE: u8 = 0x04;
    pub const NOXATTR: u8 = 0x08;
    pub const DIRECTMODE: u8 = 0x10;
    pub const UNDELETABLE: u8 = 0x20;
}

/// `EATTR_*` bits that only change cache hints.
const EATTR_NOACACHE: u8 = 0x02;
const EATTR_NOECACHE: u8 = 0x04;
const EATTR_NODATACACHE: u8 = 0x08;
const EATTR_UNDELETABLE: u8 = 0x20;

/// `MODE_TO_ACCMODE`: rwx bits to the `LOOKUP_ACCESS_MODE_*` set they allow.
const ACCESS_MODES: [u16; 8] = [0x01, 0x03, 0x05, 0x0F, 0x11, 0x33, 0x55, 0xFF];
/// `LOOKUP_ACCESS_MODES_RO`: the access modes left when writing is refused.
const ACCESS_MODES_READ_ONLY: u16 = 0xFF33;

/// First client version whose attribute records end with `winattr`.
const WINATTR_SINCE: Version = Version::new(3, 0, 93);

#[derive(Debug, Clone, Copy)]
pub struct View<'a> {
    pub ns: &'a Namespace,
    pub session: &'a Session,
    /// The client's version, which fixes the attribute record's size.
    pub client: Version,
}

impl<'a> View<'a> {
    pub fn new(ns: &'a Namespace, session: &'a Session, client: Version) -> Self {
        View {
            ns,
            session,
            client,
        }
    }

    /// The internal inode behind a client inode, if this session may see it.
    pub fn resolve(&self, inode: Inode) -> Result<Inode, Status> {
        let internal = self.session.to_internal(inode);
        if self.ns.is_within(internal, self.session.grant.root) {
            Ok(internal)
        } else {
            Err(Status::ENOENT)
        }
    }

    /// The node behind a client inode.
    pub fn node(&self, inode: Inode) -> Result<(Inode, &'a Node), Status> {
        let internal = self.resolve(inode)?;
        let node = self.ns.get(internal).ok_or(Status::ENOENT)?;
        Ok((internal, node))
    }

    /// Resolves a name in an internal directory; `..` of the session's
    /// root is the root itself.
    pub fn lookup(&self, who: &Identity, dir: Inode, name: &[u8]) -> Result<Inode, Status> {
        if name == b".." && dir == self.session.grant.root {
            return self.ns.lookup(&who.caller, dir, b".");
        }
        self.ns.lookup(&who.caller, dir, name)
    }

    /// The attribute record of an internal inode, as MooseFS's
    /// `fsnodes_fill_attr` builds it for this caller.
    pub fn attr(
        &self,
        who: &Identity,
        inode: Inode,
        parent: Option<Inode>,
    ) -> Result<Attr, Status> {
        let node = self.ns.get(inode).ok_or(Status::ENOENT)?;
        Ok(self.node_attr(who, node, parent.and_then(|p| self.ns.get(p))))
    }

    /// [`Self::attr`] of a node already found, in a directory already
    /// found: READDIR builds one per entry and looks each node up once.
    pub fn node_attr(&self, who: &Identity, node: &Node, parent: Option<&Node>) -> Attr {
        let mut attr = node.attr();
        attr.flags = cache_flags(node, parent, self.session);
        let caller = &who.caller;
        if node.eattr & EATTR_NOOWNER != 0 && !caller.is_root() {
            let owner = attr.mode & 0o700;
            attr.mode = (attr.mode & 0o7000) | owner | (owner >> 3) | (owner >> 6);
            (attr.uid, attr.gid) = if self.session.grant.mapall() {
                (who.client_uid, who.client_gid)
            } else {
                (caller.uid, caller.primary_gid())
            };
        } else if self.session.grant.mapall() && who.client_uid != 0 {
            attr.uid = if node.uid == caller.uid {
                who.client_uid
            } else {
                0
            };
            attr.gid = if node.gid == caller.primary_gid() {
                who.client_gid
            } else {
                0
            };
        }
        if attr.kind == node_type::DIRECTORY {
            // MooseFS sends a directory's size in a packed decimal form of
            // its content's size and never 0; without size statistics yet,
            // every directory reports the packed form of "empty".
            attr.length = 1;
        }
        if self.client < WINATTR_SINCE {
            attr.winattr = None;
        }
        attr
    }

    /// GETATTR's attribute record, with the caller the request carried.
    pub fn getattr(&self, caller: GetattrCaller, inode: Inode) -> Result<Attr, Status> {
        let (uid, gid) = match caller {
            GetattrCaller::Unknown => (12345, 12345),
            GetattrCaller::Ids { uid, gid } | GetattrCaller::Opened { uid, gid, .. } => (uid, gid),
        };
        let who = self.session.identity(uid, &[gid]);
        self.attr(&who, inode, None)
    }

    /// LOOKUP's `lflags`: what the caller may do with the node.
    pub fn lookup_flags(&self, who: &Identity, inode: Inode) -> u16 {
        let Some(node) = self.ns.get(inode) else {
            return 0;
        };
        let mut flags = ACCESS_MODES[usize::from(who.caller.rights(node) & 7)];
        if node.eattr & EATTR_IMMUTABLE != 0 {
            flags = (flags & ACCESS_MODES_READ_ONLY) | lookup_flag::IMMUTABLE;
        }
        if node.eattr & EATTR_APPENDONLY != 0 {
            flags |= lookup_flag::APPENDONLY;
        }
        if node.eattr & EATTR_NODATACACHE != 0 {
            flags |= lookup_flag::DIRECTMODE;
        }
        flags &= lookup_flag::ACCESS_BITS;
        if self.session.grant.read_only() {
            flags |= lookup_flag::RO_FILESYSTEM;
        }
        flags
    }
}

pub(crate) fn cache_flags(node: &Node, parent: Option<&Node>, session: &Session) -> u8 {
    let mut flags = 0;
    if node.extras.is_empty() {
        flags |= mattr::NOXATTR;
    }
    if parent.is_some_and(|p| p.eattr & EATTR_NOECACHE != 0) {
        flags |= mattr::NOECACHE;
    }
    if node.eattr & (EATTR_NOOWNER | EATTR_NOACACHE) != 0 || session.grant.mapall() {
        flags |= mattr::NOACACHE;
    }
    flags |= if node.eattr & EATTR_NODATACACHE == 0 {
        mattr::ALLOWDATACACHE
    } else {
        mattr::DIRECTMODE
    };
    if node.eattr & (EATTR_UNDELETABLE | EATTR_IMMUTABLE | EATTR_APPENDONLY) != 0 {
        flags |= mattr::UNDELETABLE;
    }
    flags
}
