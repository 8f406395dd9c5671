//! Telling the other mounts holding a file open that its data or length
//! changed, where `mfsmaster` does: when a write lease is granted or ends,
//! on a truncation and on an append. mfsmount then drops its cached chunk
//! location, the blocks it read ahead and the kernel's pages of the file,
//! so its reader sees the new bytes through the descriptor it had. Mounts
//! that closed the file learn it at their next open, from the data cache
//! manager ([`crate::session::DataCaches`]).

use mooseng_wire::matocl::{FuseChunkHasChanged, FuseFlengHasChanged};
use mooseng_wire::message::Message;

use super::Request;
use crate::chunks::ChunkId;
use crate::namespace::Inode;

impl Request<'_> {
    /// This session changed `inode`'s data: other sessions may no longer
    /// keep what they cached of it when they open it again.
    pub(super) fn others_caches_stale(&self, inode: Inode) {
        let caches = &self.master.sessions.data_caches;
        caches.changed(inode, self.session.id);
    }

    /// Slot `index` of `inode` now holds `chunk` at its current version;
    /// `truncated` when the chunk was cut, so that what lies past it is
    /// gone too.
    pub(super) fn chunk_changed(
        &self,
        inode: Inode,
        index: u32,
        chunk: ChunkId,
        file_length: u64,
        truncated: bool,
    ) {
        let Some(version) = self.master.chunks.version(chunk) else {
            return;
        };
        let notice = FuseChunkHasChanged {
            zero: 0,
            inode,
            index,
            chunkid: chunk,
            version,
            file_length,
            truncated: truncated.into(),
        };
        let except = Some(self.session.id);
        self.master
            .sessions
            .notify_holders(inode, except, &notice.to_frame());
    }

    /// `inode` is `file_length` bytes long now; `to_all` tells the asking
    /// session too (an append made by reference, whose new chunks its own
    /// mount has not seen either).
    pub(super) fn length_changed(&self, inode: Inode, file_length: u64, to_all: bool) {
        let notice = FuseFlengHasChanged {
            zero: 0,
            inode,
            file_length,
        };
        let except = (!to_all).then_some(self.session.id);
        self.master
            .sessions
            .notify_holders(inode, except, &notice.to_frame());
    }
}

#[cfg(test)]
mod tests {
    use mooseng_wire::cltoma::{FuseOpen, FuseTruncate};
    use mooseng_wire::types::Groups;
    use mooseng_wire::Frame;

    use super::super::tests::{ask, create_held, master, mounted};
    use super::*;

    #[tokio::test]
    async fn a_truncation_is_told_to_the_other_holders_only() {
        let master = master(crate::exports::MOOSEFS_DEFAULT).await;
        let mut holder = mounted(&master).await;
        let held = create_held(&master, &mut holder).await;
        let mut bystander = mounted(&master).await;
        let mut truncator = mounted(&master).await;
        let open = FuseOpen {
            msgid: 2,
            inode: held[0],
            uid: 0,
            gids: Groups::List(vec![0]),
            flags: 0,
        };
        ask(&master, &mut truncator, open).await;
        assert_eq!(truncator.session().unwrap().open_inodes(), held);
        let truncate = FuseTruncate {
            msgid: 3,
            inode: held[0],
            flags: 0,
            uid: 0,
            gids: Groups::List(vec![0]),
            length: 1000,
        };
        ask(&master, &mut truncator, truncate).await;

        let expected = FuseFlengHasChanged {
            zero: 0,
            inode: held[0],
            file_length: 1000,
        };
        let told: Option<Frame> = holder.late_rx.try_recv().ok();
        assert_eq!(told, Some(expected.to_frame()));
        assert!(bystander.late_rx.try_recv().is_err(), "it holds nothing");
        assert!(truncator.late_rx.try_recv().is_err(), "it knows");
    }
}
