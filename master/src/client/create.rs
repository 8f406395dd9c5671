//! Requests that add an entry: SYMLINK, MKNOD, MKDIR, CREATE and LINK.

use mooseng_wire::cltoma::{FuseCreate, FuseLink, FuseMkdir, FuseMknod, FuseSymlink};
use mooseng_wire::matocl::{
    Created, FuseCreateReply, FuseLinkReply, FuseMkdirReply, FuseMknodReply, FuseSymlinkReply,
    NodeAttr,
};
use mooseng_wire::types::node_type;
use mooseng_wire::{Attr, Status};

use super::node::{into_reply, OPEN_FLAGS_SINCE};
use super::reply::reply;
use super::{disable, Action, Request};
use crate::namespace::{Inode, Mutation, NewNode};
use crate::session::Identity;
use crate::view::View;

/// `MATTR_ALLOWDATACACHE`, which MooseFS clears in CREATE's answer and
/// in OPEN's when the mount's cache of the file is not to be kept.
pub(super) const MATTR_ALLOWDATACACHE: u8 = 0x04;

/// What to make, with the request's mode and umask.
struct Spec {
    node: NewNode,
    mode: u16,
    umask: u16,
    copy_sgid: bool,
    /// The session holds the new regular file open at once (CREATE).
    open: bool,
}

impl Request<'_> {
    pub(super) async fn symlink(self, m: FuseSymlink) -> Action {
        let who = self.session.identity(m.uid, m.gids.gids());
        let target = m.target.as_bytes();
        let target = &target[..target.len() - target.iter().rev().take_while(|b| **b == 0).count()];
        let spec = Spec {
            node: NewNode::Symlink(target.into()),
            mode: 0o777,
            umask: 0,
            copy_sgid: false,
            open: false,
        };
        let result = self
            .make(&who, disable::SYMLINK, m.parent, m.name.as_bytes(), spec)
            .await
            .map(|(inode, attr)| NodeAttr { inode, attr });
        reply(FuseSymlinkReply {
            msgid: m.msgid,
            reply: into_reply(result),
        })
    }

    pub(super) async fn mknod(self, m: FuseMknod) -> Action {
        let who = self.session.identity(m.uid, m.gids.gids());
        let kinds = match m.kind {
            node_type::FILE => Some((NewNode::File, disable::CREATE)),
            node_type::FIFO => Some((NewNode::Fifo, disable::MKFIFO)),
            node_type::SOCKET => Some((NewNode::Socket, disable::MKSOCK)),
            node_type::BLOCKDEV => Some((NewNode::BlockDev(m.rdev), disable::MKDEV)),
            node_type::CHARDEV => Some((NewNode::CharDev(m.rdev), disable::MKDEV)),
            _ => None,
        };
        let result = match kinds {
            Some((node, bit)) => {
                let spec = Spec {
                    node,
                    mode: m.mode,
                    umask: m.umask,
                    copy_sgid: false,
                    open: false,
                };
                self.make(&who, bit, m.parent, m.name.as_bytes(), spec)
                    .await
                    .map(|(inode, attr)| NodeAttr { inode, attr })
            }
            None => Err(Status::EINVAL),
        };
        reply(FuseMknodReply {
            msgid: m.msgid,
            reply: into_reply(result),
        })
    }

    pub(super) async fn mkdir(self, m: FuseMkdir) -> Action {
        let who = self.session.identity(m.uid, m.gids.gids());
        let spec = Spec {
            node: NewNode::Directory,
            mode: m.mode,
            umask: m.umask,
            copy_sgid: m.copy_sgid != 0,
            open: false,
        };
        let result = self
            .make(&who, disable::MKDIR, m.parent, m.name.as_bytes(), spec)
            .await
            .map(|(inode, attr)| NodeAttr { inode, attr });
        reply(FuseMkdirReply {
            msgid: m.msgid,
            reply: into_reply(result),
        })
    }

    /// mknod of a regular file that is opened at once.
    pub(super) async fn create(self, m: FuseCreate) -> Action {
        let who = self.session.identity(m.uid, m.gids.gids());
        let spec = Spec {
            node: NewNode::File,
            mode: m.mode,
            umask: m.umask,
            copy_sgid: false,
            open: true,
        };
        let result = self
            .make(&who, disable::CREATE, m.parent, m.name.as_bytes(), spec)
            .await;
        let result = result.map(|(inode, mut attr)| {
            attr.flags &= !MATTR_ALLOWDATACACHE;
            Created {
                flags: (self.version >= OPEN_FLAGS_SINCE).then_some(0),
                inode,
                attr,
            }
        });
        reply(FuseCreateReply {
            msgid: m.msgid,
            reply: into_reply(result),
        })
    }

    pub(super) async fn link(self, m: FuseLink) -> Action {
        let who = self.session.identity(m.uid, m.gids.gids());
        let result = if self.read_only() {
            Err(Status::EROFS)
        } else if self.disabled(disable::LINK) {
            Err(Status::EPERM)
        } else {
            self.link_to(&who, m.inode, m.parent_dst, m.name_dst.as_bytes())
                .await
        };
        reply(FuseLinkReply {
            msgid: m.msgid,
            reply: into_reply(result.map(|(inode, attr)| NodeAttr { inode, attr })),
        })
    }

    async fn link_to(
        &self,
        who: &Identity,
        inode: Inode,
        parent: Inode,
        name: &[u8],
    ) -> Result<(Inode, Attr), Status> {
        let (inode, parent) = {
            let ns = self.master.store.read().await;
            let view = View::new(&ns, self.session, self.version);
            (view.resolve(inode)?, view.resolve(parent)?)
        };
        let mutation = Mutation::Link {
            inode,
            parent,
            name: name.into(),
        };
        self.change_remembered(&who.caller, mutation).await?;
        self.answer_node(who, inode, parent).await
    }

    /// Creates a node after the checks MooseFS makes before the namespace's.
    async fn make(
        &self,
        who: &Identity,
        disable_bit: u32,
        parent: Inode,
        name: &[u8],
        spec: Spec,
    ) -> Result<(Inode, Attr), Status> {
        if self.read_only() {
            return Err(Status::EROFS);
        }
        if self.disabled(disable_bit) {
            return Err(Status::EPERM);
        }
        let parent = {
            let ns = self.master.store.read().await;
            View::new(&ns, self.session, self.version).resolve(parent)?
        };
        let umask = spec.umask | self.session.grant.umask;
        let mutation = if spec.open {
            Mutation::CreateOpen {
                parent,
                name: name.into(),
                mode: spec.mode,
                umask,
                session: self.session.id,
            }
        } else {
            Mutation::Create {
                parent,
                name: name.into(),
                node: spec.node,
                mode: spec.mode,
                umask,
                copy_sgid: spec.copy_sgid,
            }
        };
        let outcome = self.change_remembered(&who.caller, mutation).await?;
        if spec.open {
            self.session.open(outcome.inode());
        }
        self.answer_node(who, outcome.inode(), parent).await
    }

    /// The client's inode number and attributes of a node just changed.
    pub(super) async fn answer_node(
        &self,
        who: &Identity,
        inode: Inode,
        parent: Inode,
    ) -> Result<(Inode, Attr), Status> {
        let ns = self.master.store.read().await;
        let attr = View::new(&ns, self.session, self.version).attr(who, inode, Some(parent))?;
        Ok((self.session.to_client(inode), attr))
    }
}
