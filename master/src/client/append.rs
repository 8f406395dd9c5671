//! APPEND_SLICE (`mfsappendchunks`): the export's refusals, then one
//! namespace entry that appends the chunks by reference and the chunk
//! references it adds and ends.

use mooseng_wire::cltoma::FuseAppendSlice;
use mooseng_wire::matocl::FuseAppendSliceReply;
use mooseng_wire::Status;

use super::reply::reply;
use super::{disable, Action, Request};
use crate::namespace::{Mutation, Slice};
use crate::view::View;

impl Request<'_> {
    pub(super) async fn append_slice(self, m: FuseAppendSlice) -> Action {
        let status = match self.append(&m).await {
            Ok(()) => Status::OK,
            Err(status) => status,
        };
        reply(FuseAppendSliceReply {
            msgid: m.msgid,
            status,
        })
    }

    async fn append(&self, m: &FuseAppendSlice) -> Result<(), Status> {
        if self.disabled(disable::APPENDCHUNKS) {
            return Err(Status::EPERM);
        }
        if self.read_only() {
            return Err(Status::EROFS);
        }
        let who = self.session.identity(m.uid, &m.gids.items);
        let (inode, source) = {
            let ns = self.master.store.read().await;
            let view = View::new(&ns, self.session, self.version);
            (view.resolve(m.inode)?, view.resolve(m.src_inode)?)
        };
        let slice = Slice {
            flags: m.flags,
            from: m.slice_from,
            to: m.slice_to,
        };
        let mutation = Mutation::AppendSlice {
            inode,
            source,
            slice,
        };
        self.change_remembered(&who.caller, mutation).await?;
        let length = self.master.store.read().await.file(inode)?.length;
        self.length_changed(inode, length, true);
        Ok(())
    }
}
