//! What `mfsmount -o mfsmeta` asks: the trash (in `TRASH_BUCKETS`
//! sub-directories since 3.0.64) and sustained listings, attributes and
//! paths of detached files, undelete and purge.
//!
//! MooseFS serves these to sessions without a root inode (meta sessions)
//! and answers EPERM to mounts of the file system; a meta session's STATFS
//! sees no root and answers zeros.

use mooseng_wire::cltoma::{
    dtype, FuseGetdetachedattr, FuseGettrash, FuseGettrashpath, FusePurge, FuseSettrashpath,
    FuseStatfs, FuseUndel,
};
use mooseng_wire::direction::ClientToMaster;
use mooseng_wire::matocl::{
    DetachedEntry, FuseGetdetachedattrReply, FuseGetsustainedReply, FuseGettrashReply,
    FuseGettrashpathReply, FusePurgeReply, FuseSettrashpathReply, FuseStatfsReply, FuseUndelReply,
    OldStatfs, Statfs, StatfsReply,
};
use mooseng_wire::{Bytes32, Name, Reply, Rest, Status, Version};

use super::node::into_reply;
use super::reply::{self, reply};
use super::{Action, Request};
use crate::namespace::{Caller, DetachedKind, Inode, Mutation};
use crate::view;

/// First client version given `freespace` in STATFS answers.
const STATFS_FREESPACE_SINCE: Version = Version::new(3, 0, 102);
/// First client version whose attribute records end with `winattr`.
const WINATTR_SINCE: Version = Version::new(3, 0, 93);

impl Request<'_> {
    /// Requests of a meta session.
    pub(super) async fn meta(self, message: ClientToMaster) -> Action {
        use ClientToMaster as M;
        match message {
            M::FuseStatfs(m) => self.meta_statfs(m),
            M::FuseGettrash(m) => self.get_trash(m).await,
            M::FuseGetsustained(m) => self.get_sustained(m.msgid).await,
            M::FuseGetdetachedattr(m) => self.detached_attr(m).await,
            M::FuseGettrashpath(m) => self.trash_path(m).await,
            M::FuseSettrashpath(m) => self.set_trash_path(m).await,
            M::FuseUndel(m) => self.undel(m).await,
            M::FusePurge(m) => self.purge(m).await,
            M::FuseTimeSync(m) => reply::time_sync(m.msgid),
            M::FuseSustainedInodes(_) | M::FuseSustainedInodesDeprecated(_) => Action::Nothing,
            other => reply::meta_unsupported(&other),
        }
    }

    /// The meta requests a mount of the file system sends: EPERM, as
    /// MooseFS answers sessions that have a root.
    pub(super) fn meta_only(message: &ClientToMaster) -> Action {
        reply::refuse(message, Status::EPERM)
    }

    fn meta_statfs(self, m: FuseStatfs) -> Action {
        let body = if self.version >= STATFS_FREESPACE_SINCE {
            StatfsReply::Current(Statfs {
                total: 0,
                avail: 0,
                free: 0,
                trash: 0,
                sustained: 0,
                inodes: 0,
            })
        } else {
            StatfsReply::Old(OldStatfs {
                total: 0,
                avail: 0,
                trash: 0,
                sustained: 0,
                inodes: 0,
            })
        };
        reply(FuseStatfsReply {
            msgid: m.msgid,
            reply: Reply::Ok(body),
        })
    }

    async fn get_trash(self, m: FuseGettrash) -> Action {
        let ns = self.master.store.read().await;
        let entries = ns.trash_list(m.trash_id);
        reply(FuseGettrashReply {
            msgid: m.msgid,
            reply: Reply::Ok(Rest(detached_entries(entries))),
        })
    }

    async fn get_sustained(self, msgid: u32) -> Action {
        let ns = self.master.store.read().await;
        let entries = ns.sustained_list();
        reply(FuseGetsustainedReply {
            msgid,
            reply: Reply::Ok(Rest(detached_entries(entries))),
        })
    }

    /// GETDETACHEDATTR: a trash or sustained file's attributes, the type
    /// shown as a regular file; `dtype` limits which kind may answer.
    async fn detached_attr(self, m: FuseGetdetachedattr) -> Action {
        let wanted = m.dtype.unwrap_or(dtype::UNKNOWN);
        let result = async {
            if wanted > dtype::SUSTAINED {
                return Err(Status::EINVAL);
            }
            let ns = self.master.store.read().await;
            let entry = ns.detached(m.inode).ok_or(Status::ENOENT)?;
            let refused = match entry.kind {
                DetachedKind::Trash => wanted == dtype::SUSTAINED,
                DetachedKind::Sustained => wanted == dtype::TRASH,
            };
            if refused {
                return Err(Status::ENOENT);
            }
            let node = ns.get(m.inode).ok_or(Status::ENOENT)?;
            let mut attr = ns.attr(m.inode).ok_or(Status::ENOENT)?;
            attr.flags = view::cache_flags(node, None, self.session);
            if self.version < WINATTR_SINCE {
                attr.winattr = None;
            }
            Ok(attr)
        }
        .await;
        reply(FuseGetdetachedattrReply {
            msgid: m.msgid,
            reply: into_reply(result),
        })
    }

    async fn trash_path(self, m: FuseGettrashpath) -> Action {
        let ns = self.master.store.read().await;
        let result = ns
            .detached(m.inode)
            .filter(|entry| entry.kind == DetachedKind::Trash)
            .map(|entry| Bytes32::new(entry.path.to_vec()))
            .ok_or(Status::ENOENT);
        reply(FuseGettrashpathReply {
            msgid: m.msgid,
            reply: into_reply(result),
        })
    }

    async fn set_trash_path(self, m: FuseSettrashpath) -> Action {
        let mutation = Mutation::SetTrashPath {
            inode: m.inode,
            path: m.path.as_bytes().into(),
        };
        let status = self.meta_change(mutation).await;
        reply(FuseSettrashpathReply {
            msgid: m.msgid,
            status,
        })
    }

    async fn undel(self, m: FuseUndel) -> Action {
        let status = self.meta_change(Mutation::Undel { inode: m.inode }).await;
        reply(FuseUndelReply {
            msgid: m.msgid,
            status,
        })
    }

    async fn purge(self, m: FusePurge) -> Action {
        let status = self.meta_change(Mutation::Purge { inode: m.inode }).await;
        reply(FusePurgeReply {
            msgid: m.msgid,
            status,
        })
    }

    /// Meta changes refuse read-only sessions, then apply as root (the
    /// exports file decided who may mount the meta file system).
    async fn meta_change(&self, mutation: Mutation) -> Status {
        if self.read_only() {
            return Status::EROFS;
        }
        match self.change(&Caller::root(), mutation).await {
            Ok(_) => Status::OK,
            Err(status) => status,
        }
    }
}

fn detached_entries(entries: Vec<(Vec<u8>, Inode)>) -> Vec<DetachedEntry> {
    entries
        .into_iter()
        .map(|(name, inode)| DetachedEntry {
            name: Name::new(name),
            inode,
        })
        .collect()
}
