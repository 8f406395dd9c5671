//! ARCHCTL: `mfschkarchive`, `mfssetarchive` and `mfsclrarchive`.
//!
//! The namespace names the files and checks who may change them; the
//! chunk service holds the flags and counts what changed, as 3.0.117's
//! `fs_archget` and `fs_archchg` answer.

use mooseng_wire::cltoma::{archctl, FuseArchctl};
use mooseng_wire::matocl::{ArchChange, ArchState, ArchctlReply, FuseArchctlReply};
use mooseng_wire::Status;

use super::node::into_reply;
use super::reply::reply;
use super::{disable, Action, Request};
use crate::namespace::{Mutation, Outcome};
use crate::view::View;

impl Request<'_> {
    pub(super) async fn archctl(self, m: FuseArchctl) -> Action {
        let result = match (m.cmd, m.uid) {
            (archctl::GET, None) => self.archive_state(m.inode).await.map(ArchctlReply::Get),
            (archctl::SET | archctl::CLR, Some(uid)) => self
                .archive_change(m.inode, uid, m.cmd == archctl::SET)
                .await
                .map(ArchctlReply::Changed),
            _ => Err(Status::EINVAL),
        };
        reply(FuseArchctlReply {
            msgid: m.msgid,
            reply: into_reply(result),
        })
    }

    /// Files at or below `inode` by whether all, some or none of their
    /// chunks are archived; files without chunks count in none.
    async fn archive_state(&self, inode: u32) -> Result<ArchState, Status> {
        let files = {
            let ns = self.master.store.read().await;
            let inode = View::new(&ns, self.session, self.version).resolve(inode)?;
            ns.archive_files(inode)?
        };
        let mut state = ArchState {
            arch_chunks: 0,
            not_arch_chunks: 0,
            arch_inodes: 0,
            partial_inodes: 0,
            not_arch_inodes: 0,
        };
        // One look at the chunk table for the whole tree, not one a file.
        let all: Vec<u64> = files.iter().flatten().copied().collect();
        let mut flags = self.master.chunks.archived(&all).into_iter();
        for chunks in &files {
            let flags: Vec<Option<bool>> = flags.by_ref().take(chunks.len()).collect();
            let archived = flags.iter().filter(|f| **f == Some(true)).count() as u64;
            let not_archived = flags.iter().filter(|f| **f == Some(false)).count() as u64;
            match (archived, not_archived) {
                (0, 0) => {}
                (_, 0) => state.arch_inodes += 1,
                (0, _) => state.not_arch_inodes += 1,
                _ => state.partial_inodes += 1,
            }
            state.arch_chunks += archived;
            state.not_arch_chunks += not_archived;
        }
        Ok(state)
    }

    async fn archive_change(
        &self,
        inode: u32,
        uid: u32,
        archived: bool,
    ) -> Result<ArchChange, Status> {
        if self.disabled(disable::SETEATTR) {
            return Err(Status::EPERM);
        }
        let who = self.session.identity(uid, &[]);
        let mutation = |inode| Mutation::ArchiveControl { inode, archived };
        let Outcome::Archive {
            chunks,
            not_permitted,
            ..
        } = self.change_node(&who.caller, inode, mutation).await?
        else {
            return Err(Status::EINVAL);
        };
        let counts = self.master.chunks.set_archived(&chunks, archived);
        Ok(ArchChange {
            chunks_changed: counts.changed,
            chunks_not_changed: counts.not_changed,
            inodes_not_permitted: not_permitted,
        })
    }
}
