//! TRUNCATE, as MooseFS's `matoclserv_fuse_truncate_common` serves it.
//!
//! A real truncation first has the chunkservers cut the chunk the new end
//! falls inside of (stepping its version), and only once they answered
//! records the new length and answers the client: MooseFS's "delayed"
//! answer. Without that cut, bytes past the new end would come back when
//! the file grows again. Two flags turn the request into part of a write
//! instead: `UPDATE` (the length the client's writes reached) and
//! `RESERVE` (where an append starts).

use mooseng_wire::cltoma::{truncate_flag, FuseTruncate};
use mooseng_wire::matocl::{FuseTruncateReply, Truncated};
use mooseng_wire::Status;

use super::node::{into_reply, OPEN_FLAGS_SINCE};
use super::reply::reply;
use super::{disable, Action, Request};
use crate::chunks::{ChunkEntry, ChunkId, FileRef};
use crate::namespace::{Caller, Cut, Inode, Mutation, NodeData, EATTR_IMMUTABLE, MAY_WRITE};
use crate::session::Identity;
use crate::store;
use crate::view::View;

impl Request<'_> {
    pub(super) async fn truncate(self, m: FuseTruncate) -> Action {
        let who = self.session.identity(m.uid, m.gids.gids());
        let result = if m.flags & (truncate_flag::UPDATE | truncate_flag::RESERVE) != 0 {
            self.length_of_write(&who, &m).await
        } else {
            self.truncate_to(&who, &m).await
        };
        reply(FuseTruncateReply {
            msgid: m.msgid,
            reply: into_reply(result),
        })
    }

    /// Checks, cuts the chunk the new end falls inside of, then sets the
    /// length. The export's `disable=truncate` refuses shrinking and
    /// `disable=setlength` growing.
    async fn truncate_to(&self, who: &Identity, m: &FuseTruncate) -> Result<Truncated, Status> {
        if self.disabled(disable::TRUNCATE) && self.disabled(disable::SETLENGTH) {
            return Err(Status::EPERM);
        }
        if self.read_only() {
            return Err(Status::EROFS);
        }
        let opened = m.flags & truncate_flag::OPENED != 0;
        let (inode, plan) = {
            let ns = self.master.store.read().await;
            let inode = View::new(&ns, self.session, self.version).resolve(m.inode)?;
            let plan = ns.plan_truncate(store::now(), &who.caller, inode, m.length, opened)?;
            (inode, plan)
        };
        if (m.length < plan.previous && self.disabled(disable::TRUNCATE))
            || (m.length > plan.previous && self.disabled(disable::SETLENGTH))
        {
            return Err(Status::EPERM);
        }
        let cut = match plan.cut {
            Some(cut) => Some((cut.index, self.cut(inode, cut).await?)),
            None => None,
        };
        let change = Mutation::Truncate {
            inode,
            length: m.length,
            opened,
            keep_times: m.flags & truncate_flag::TIMEFIX != 0,
        };
        let changed = self.change(&who.caller, change).await;
        if let Some((_, chunk)) = cut {
            // The cut chunk stayed locked until the length was recorded.
            if let Err(status) = self.master.chunks.write_end(chunk).await {
                tracing::debug!(chunk, ?status, "cut chunk already unlocked");
            }
        }
        changed?;
        self.others_caches_stale(inode);
        match cut {
            Some((index, chunk)) => self.chunk_changed(inode, index, chunk, m.length, true),
            None => self.length_changed(inode, m.length, false),
        }
        self.truncated(who, inode, plan.previous).await
    }

    /// Has the chunkservers cut the chunk the new end falls inside of and
    /// returns the (still locked) chunk holding the cut bytes. A chunk
    /// shared with a snapshot is cut into a private copy, which then takes
    /// its place in the file (`SetChunk`, releasing the shared one); if
    /// the file changed meanwhile, the copy is dropped again.
    async fn cut(&self, inode: Inode, cut: Cut) -> Result<ChunkId, Status> {
        let class = {
            let ns = self.master.store.read().await;
            ns.get(inode).ok_or(Status::ENOENT)?.sclass
        };
        let file = FileRef {
            inode,
            index: cut.index,
        };
        let service = &self.master.chunks;
        let cutting = service.truncate(file, cut.chunk, cut.offset, class).await?;
        if cutting.chunk == cut.chunk {
            return Ok(cutting.chunk);
        }
        let record = Mutation::SetChunk {
            inode,
            index: cut.index,
            expect: cut.chunk,
            chunk: cutting.chunk,
        };
        if let Err(status) = self.change(&Caller::root(), record).await {
            let unused = ChunkEntry::DropRef {
                chunk: cutting.chunk,
                class,
            };
            if let Err(status) = service.commit(unused) {
                tracing::warn!(
                    chunk = cutting.chunk,
                    ?status,
                    "cannot drop an unused chunk"
                );
            }
            if let Err(status) = service.write_end(cutting.chunk).await {
                tracing::debug!(chunk = cutting.chunk, ?status, "unused lease already gone");
            }
            return Err(status);
        }
        Ok(cutting.chunk)
    }

    /// `UPDATE` grows the length to what the client wrote (never
    /// shrinking it, times left alone); `RESERVE` answers the current end
    /// as where an append starts. MooseFS also remembers the reservation,
    /// so that two appenders get different places; MooseNG does not yet.
    async fn length_of_write(&self, who: &Identity, m: &FuseTruncate) -> Result<Truncated, Status> {
        if self.disabled(disable::WRITE) {
            return Err(Status::EPERM);
        }
        if self.read_only() {
            return Err(Status::EROFS);
        }
        let (inode, previous) = {
            let ns = self.master.store.read().await;
            let (inode, node) = View::new(&ns, self.session, self.version).node(m.inode)?;
            if node.eattr & EATTR_IMMUTABLE != 0 {
                return Err(Status::EPERM);
            }
            if m.flags & truncate_flag::OPENED == 0 && !who.caller.may(node, MAY_WRITE) {
                return Err(Status::EACCES);
            }
            match &node.data {
                NodeData::File(file) => (inode, file.length),
                _ => return Err(Status::EPERM),
            }
        };
        if m.flags & truncate_flag::RESERVE == 0 && m.length > previous {
            let grow = Mutation::GrowLength {
                inode,
                length: m.length,
            };
            self.master.store.change(&Caller::root(), grow).await?;
        }
        let reached = match m.flags & truncate_flag::RESERVE {
            0 => m.length,
            _ => m.length.saturating_add(previous),
        };
        self.length_changed(inode, reached, false);
        self.truncated(who, inode, previous).await
    }

    /// The answer: the length before (for clients that read it) and the
    /// attributes now.
    async fn truncated(
        &self,
        who: &Identity,
        inode: Inode,
        previous: u64,
    ) -> Result<Truncated, Status> {
        let ns = self.master.store.read().await;
        let attr = View::new(&ns, self.session, self.version).attr(who, inode, None)?;
        Ok(Truncated {
            previous_length: (self.version >= OPEN_FLAGS_SINCE).then_some(previous),
            attr,
        })
    }
}
