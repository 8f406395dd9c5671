//! Requests that drop or move an entry: UNLINK, RMDIR and RENAME.

use mooseng_wire::cltoma::{FuseRename, FuseRmdir, FuseUnlink};
use mooseng_wire::matocl::{FuseRenameReply, FuseRmdirReply, FuseUnlinkReply, NodeAttr};
use mooseng_wire::{Reply, Status, Version};

use super::node::into_reply;
use super::reply::reply;
use super::{disable, Action, Request};
use crate::namespace::{Inode, Mutation};
use crate::session::Identity;
use crate::view::View;

/// First client version told which inode an UNLINK or RMDIR removed.
const REMOVED_INODE_SINCE: Version = Version::new(3, 0, 107);

impl Request<'_> {
    pub(super) async fn unlink(self, m: FuseUnlink) -> Action {
        let who = self.session.identity(m.uid, m.gids.gids());
        let result = self
            .remove(&who, disable::UNLINK, m.parent, m.name.as_bytes(), false)
            .await;
        reply(FuseUnlinkReply {
            msgid: m.msgid,
            reply: self.removed(result),
        })
    }

    pub(super) async fn rmdir(self, m: FuseRmdir) -> Action {
        let who = self.session.identity(m.uid, m.gids.gids());
        let result = self
            .remove(&who, disable::RMDIR, m.parent, m.name.as_bytes(), true)
            .await;
        reply(FuseRmdirReply {
            msgid: m.msgid,
            reply: self.removed(result),
        })
    }

    /// Older clients get a bare OK status instead of the removed inode.
    fn removed(&self, result: Result<Inode, Status>) -> Reply<u32> {
        match result {
            Ok(inode) if self.version >= REMOVED_INODE_SINCE => {
                Reply::Ok(self.session.to_client(inode))
            }
            Ok(_) => Reply::Status(Status::OK),
            Err(status) => Reply::Status(status),
        }
    }

    async fn remove(
        &self,
        who: &Identity,
        disable_bit: u32,
        parent: Inode,
        name: &[u8],
        rmdir: bool,
    ) -> Result<Inode, Status> {
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
        let name = name.into();
        let mutation = if rmdir {
            Mutation::Rmdir { parent, name }
        } else {
            Mutation::Unlink { parent, name }
        };
        Ok(self.change_remembered(&who.caller, mutation).await?.inode())
    }

    pub(super) async fn rename(self, m: FuseRename) -> Action {
        let who = self.session.identity(m.uid, m.gids.gids());
        let same_name = m.name_src.as_bytes() == m.name_dst.as_bytes();
        let same_dir = m.parent_src == m.parent_dst;
        let refused = (self.disabled(disable::RENAME) && self.disabled(disable::MOVE))
            || (self.disabled(disable::RENAME) && !same_name)
            || (self.disabled(disable::MOVE) && !same_dir);
        let result = if self.read_only() {
            Err(Status::EROFS)
        } else if refused {
            Err(Status::EPERM)
        } else {
            self.move_entry(&who, &m).await
        };
        reply(FuseRenameReply {
            msgid: m.msgid,
            reply: into_reply(result.map(|(inode, attr)| NodeAttr { inode, attr })),
        })
    }

    async fn move_entry(
        &self,
        who: &Identity,
        m: &FuseRename,
    ) -> Result<(Inode, mooseng_wire::Attr), Status> {
        let (src_parent, dst_parent) = {
            let ns = self.master.store.read().await;
            let view = View::new(&ns, self.session, self.version);
            (view.resolve(m.parent_src)?, view.resolve(m.parent_dst)?)
        };
        let mutation = Mutation::Rename {
            src_parent,
            src_name: m.name_src.as_bytes().into(),
            dst_parent,
            dst_name: m.name_dst.as_bytes().into(),
        };
        let inode = self.change_remembered(&who.caller, mutation).await?.inode();
        self.answer_node(who, inode, dst_parent).await
    }
}
