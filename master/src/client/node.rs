//! Requests that read or check one node: STATFS, ACCESS, LOOKUP, GETATTR,
//! READLINK, OPEN and GETDIRSTATS.

use mooseng_wire::cltoma::{
    FuseAccess, FuseGetattr, FuseGetdirstats, FuseLookup, FuseOpen, FuseReadlink, FuseStatfs,
};
use mooseng_wire::matocl::{
    lookup_flag, DirStats, DirStatsReply, FuseAccessReply, FuseGetattrReply, FuseGetdirstatsReply,
    FuseLookupReply, FuseOpenReply, FuseReadlinkReply, FuseStatfsReply, Lookup, LookupExtra,
    OldStatfs, Opened, Statfs, StatfsReply,
};
use mooseng_wire::{Bytes32, Reply, Status, Version};

use super::admin::Space;
use super::create::MATTR_ALLOWDATACACHE;
use super::reply::reply;
use super::{disable, Action, Request};
use crate::namespace::{
    Inode, Mutation, NodeData, EATTR_APPENDONLY, EATTR_IMMUTABLE, MAY_READ, MAY_WRITE,
};
use crate::session::Identity;
use crate::view::View;

/// `OPEN_*` request flags.
mod open_flag {
    pub const READ: u8 = 0x01;
    pub const WRITE: u8 = 0x02;
    pub const AFTER_CREATE: u8 = 0x04;
    pub const TRUNCATE: u8 = 0x08;
    /// The mount dropped what it cached of the file.
    pub const CACHE_CLEARED: u8 = 0x10;
}

/// `OPEN_*` answer flags.
const OPEN_KEEPCACHE: u8 = 0x01;
const OPEN_DIRECTMODE: u8 = 0x02;
const OPEN_APPENDONLY: u8 = 0x04;
const EATTR_NODATACACHE: u8 = 0x08;

/// First client version given `freespace` in STATFS answers.
const STATFS_FREESPACE_SINCE: Version = Version::new(3, 0, 102);
/// `LOOKUP_ACCESS_MODES_IO`: the access modes that read or write data.
const LOOKUP_ACCESS_MODES_IO: u16 = 0x00FC;
/// First client version whose LOOKUP answer carries `lflags`.
const LOOKUP_FLAGS_SINCE: Version = Version::new(3, 0, 40);
/// First client version whose OPEN, CREATE and TRUNCATE answers carry
/// flags or the previous length in front of the attributes.
pub(super) const OPEN_FLAGS_SINCE: Version = Version::new(3, 0, 113);

impl Request<'_> {
    /// Space is what the registered chunkservers report; inodes are those
    /// below the session's root.
    pub(super) async fn statfs(self, m: FuseStatfs) -> Action {
        let space = Space::of(self.master);
        let ns = self.master.store.read().await;
        let root = self.session.grant.root;
        let inodes = ns.tree_stats(root).inodes;
        // Only a mount of the whole tree is told the trash's size.
        let (trash, sustained) = if root == crate::namespace::ROOT {
            let census = ns.census();
            (census.trash_length, census.sustained_length)
        } else {
            (0, 0)
        };
        let body = if self.version >= STATFS_FREESPACE_SINCE {
            StatfsReply::Current(Statfs {
                total: space.total,
                avail: space.free,
                free: space.free,
                trash,
                sustained,
                inodes,
            })
        } else {
            StatfsReply::Old(OldStatfs {
                total: space.total,
                avail: space.free,
                trash,
                sustained,
                inodes,
            })
        };
        reply(FuseStatfsReply {
            msgid: m.msgid,
            reply: Reply::Ok(body),
        })
    }

    pub(super) async fn access(self, m: FuseAccess) -> Action {
        let mask = (m.perm & 7) as u8;
        let status = if self.read_only() && mask & MAY_WRITE != 0 {
            Status::EROFS
        } else {
            let ns = self.master.store.read().await;
            let who = self.session.identity(m.uid, &m.gids.items);
            View::new(&ns, self.session, self.version)
                .resolve(m.inode)
                .and_then(|inode| ns.access(&who.caller, inode, mask))
                .err()
                .unwrap_or(Status::OK)
        };
        reply(FuseAccessReply {
            msgid: m.msgid,
            status,
        })
    }

    pub(super) async fn lookup(self, m: FuseLookup) -> Action {
        let ns = self.master.store.read().await;
        let view = View::new(&ns, self.session, self.version);
        let who = self.session.identity(m.uid, m.gids.gids());
        let result = view.resolve(m.parent).and_then(|dir| {
            let inode = view.lookup(&who, dir, m.name.as_bytes())?;
            let mut attr = view.attr(&who, inode, Some(dir))?;
            let extra = (self.version >= LOOKUP_FLAGS_SINCE).then(|| {
                let mut lflags = view.lookup_flags(&who, inode);
                let is_file = ns.file(inode).is_ok();
                let cacheable = lflags & lookup_flag::DIRECTMODE == 0;
                if is_file && cacheable && lflags & LOOKUP_ACCESS_MODES_IO != 0 {
                    let caches = &self.master.sessions.data_caches;
                    if !caches.open(inode, self.session.id) {
                        attr.flags &= !MATTR_ALLOWDATACACHE;
                    } else if self.version >= OPEN_FLAGS_SINCE {
                        lflags |= lookup_flag::KEEPCACHE;
                    }
                }
                LookupExtra {
                    lflags,
                    chunk: None,
                }
            });
            Ok(Lookup {
                inode: self.session.to_client(inode),
                attr,
                extra,
            })
        });
        reply(FuseLookupReply {
            msgid: m.msgid,
            reply: into_reply(result),
        })
    }

    pub(super) async fn getattr(self, m: FuseGetattr) -> Action {
        let ns = self.master.store.read().await;
        let view = View::new(&ns, self.session, self.version);
        let result = view
            .resolve(m.inode)
            .and_then(|inode| view.getattr(m.caller, inode));
        reply(FuseGetattrReply {
            msgid: m.msgid,
            reply: into_reply(result),
        })
    }

    /// The target with the NUL MooseFS appends to it.
    pub(super) async fn readlink(self, m: FuseReadlink) -> Action {
        let ns = self.master.store.read().await;
        let view = View::new(&ns, self.session, self.version);
        let result = view.node(m.inode).and_then(|(_, node)| match &node.data {
            NodeData::Symlink(target) => {
                let mut bytes = target.to_vec();
                bytes.push(0);
                Ok(Bytes32::new(bytes))
            }
            _ => Err(Status::EINVAL),
        });
        reply(FuseReadlinkReply {
            msgid: m.msgid,
            reply: into_reply(result),
        })
    }

    /// Checks the open mode against the node and remembers the file as
    /// open in this session; `OPEN_TRUNCATE` empties it first.
    pub(super) async fn open(self, m: FuseOpen) -> Action {
        let who = self.session.identity(m.uid, m.gids.gids());
        let writes = m.flags & (open_flag::WRITE | open_flag::TRUNCATE) != 0;
        let result = if self.read_only() && writes {
            Err(Status::EROFS)
        } else if m.flags & open_flag::TRUNCATE != 0 && self.disabled(disable::TRUNCATE) {
            Err(Status::EPERM)
        } else {
            self.check_open(&who, m.inode, m.flags).await
        };
        let result = match result {
            Ok(inode) if m.flags & open_flag::TRUNCATE != 0 => self
                .change(&who.caller, Mutation::SetLength { inode, length: 0 })
                .await
                .map(|_| inode),
            other => other,
        };
        let result = match result {
            Ok(inode) => {
                self.acquire(inode).await;
                let caches = &self.master.sessions.data_caches;
                if m.flags & open_flag::TRUNCATE != 0 {
                    caches.changed(inode, self.session.id);
                }
                if m.flags & open_flag::CACHE_CLEARED != 0 {
                    caches.read(inode, self.session.id);
                }
                let ns = self.master.store.read().await;
                let view = View::new(&ns, self.session, self.version);
                view.attr(&who, inode, None).map(|mut attr| {
                    let node = ns.get(inode);
                    let mut flags = 0;
                    if node.is_some_and(|n| n.eattr & EATTR_NODATACACHE != 0) {
                        flags |= OPEN_DIRECTMODE;
                    } else if caches.open(inode, self.session.id) {
                        flags |= OPEN_KEEPCACHE;
                    } else {
                        attr.flags &= !MATTR_ALLOWDATACACHE;
                    }
                    if node.is_some_and(|n| n.eattr & EATTR_APPENDONLY != 0) {
                        flags |= OPEN_APPENDONLY;
                    }
                    Opened {
                        flags: (self.version >= OPEN_FLAGS_SINCE).then_some(flags),
                        attr,
                    }
                })
            }
            Err(status) => Err(status),
        };
        reply(FuseOpenReply {
            msgid: m.msgid,
            reply: into_reply(result),
        })
    }

    async fn check_open(&self, who: &Identity, inode: u32, flags: u8) -> Result<Inode, Status> {
        let ns = self.master.store.read().await;
        let view = View::new(&ns, self.session, self.version);
        let (inode, node) = view.node(inode)?;
        if !matches!(node.data, NodeData::File(_)) {
            return Err(Status::EPERM);
        }
        if node.eattr & EATTR_IMMUTABLE != 0
            && flags & (open_flag::WRITE | open_flag::TRUNCATE) != 0
        {
            return Err(Status::EPERM);
        }
        if flags & open_flag::AFTER_CREATE == 0 {
            let mut mask = 0;
            if flags & open_flag::READ != 0 {
                mask |= MAY_READ;
            }
            if flags & (open_flag::WRITE | open_flag::TRUNCATE) != 0 {
                mask |= MAY_WRITE;
            }
            if !who.caller.may(node, mask) {
                return Err(Status::EACCES);
            }
        }
        Ok(inode)
    }

    /// Totals of a directory and everything below it, or of one file
    /// (`mfsdirinfo`); other kinds are refused with EPERM.
    pub(super) async fn dirstats(self, m: FuseGetdirstats) -> Action {
        let ns = self.master.store.read().await;
        let view = View::new(&ns, self.session, self.version);
        let result = view.resolve(m.inode).and_then(|inode| {
            let stats = ns.dir_stats(inode).ok_or(Status::EPERM)?;
            Ok(DirStatsReply::Current(DirStats {
                inodes: stats.inodes,
                dirs: stats.dirs,
                files: stats.files,
                chunks: stats.chunks,
                length: stats.length,
                size: stats.size,
                real_size: stats.real_size,
            }))
        });
        reply(FuseGetdirstatsReply {
            msgid: m.msgid,
            reply: into_reply(result),
        })
    }
}

pub(super) fn into_reply<T>(result: Result<T, Status>) -> Reply<T> {
    match result {
        Ok(value) => Reply::Ok(value),
        Err(status) => Reply::Status(status),
    }
}
