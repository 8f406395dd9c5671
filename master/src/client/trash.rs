//! Trash time (GETTRASHTIME, SETTRASHTIME), the open files each session
//! holds (what keeps an unlinked file "sustained"), and the task that
//! empties the trash.

use std::collections::BTreeSet;
use std::time::Duration;

use mooseng_wire::cltoma::{gmode, FuseGettrashtime, FuseSettrashtime};
use mooseng_wire::matocl::{
    ChangeCounts, FuseGettrashtimeReply, FuseSettrashtimeReply, TrashtimeCount,
};
use mooseng_wire::types::Tally;
use mooseng_wire::Status;

use super::chunk::commit_chunk_changes;
use super::node::into_reply;
use super::reply::reply;
use super::{disable, Action, Master, Request};
use crate::namespace::{Caller, Inode, Mutation, SetKind, SetMode};
use crate::store::now;
use crate::view::View;

/// How often the trash is checked for expired files (MooseFS: every second).
const EMPTY_TRASH_EVERY: Duration = Duration::from_secs(1);

impl Request<'_> {
    pub(super) async fn get_trashtime(self, m: FuseGettrashtime) -> Action {
        let result = async {
            if m.gmode > gmode::RECURSIVE {
                return Err(Status::EINVAL);
            }
            let ns = self.master.store.read().await;
            let inode = View::new(&ns, self.session, self.version).resolve(m.inode)?;
            let tally = ns.trashtime_tally(inode, m.gmode == gmode::RECURSIVE)?;
            let records = |counts: std::collections::BTreeMap<u32, u32>| {
                counts
                    .into_iter()
                    .map(|(trashtime, count)| TrashtimeCount { trashtime, count })
                    .collect()
            };
            Ok(Tally::new(records(tally.files), records(tally.dirs)))
        }
        .await;
        reply(FuseGettrashtimeReply {
            msgid: m.msgid,
            reply: into_reply(result),
        })
    }

    pub(super) async fn set_trashtime(self, m: FuseSettrashtime) -> Action {
        let result = self.change_trashtime(&m).await.map(|c| ChangeCounts {
            changed: c.changed,
            not_changed: c.not_changed,
            not_permitted: c.not_permitted,
        });
        reply(FuseSettrashtimeReply {
            msgid: m.msgid,
            reply: into_reply(result),
        })
    }

    async fn change_trashtime(
        &self,
        m: &FuseSettrashtime,
    ) -> Result<crate::namespace::Counts, Status> {
        if self.disabled(disable::SETTRASH) {
            return Err(Status::EPERM);
        }
        // The export's limits are checked by the type bits alone, before
        // the mode as a whole is validated (`sessions_check_trashtime`).
        let grant = &self.session.grant;
        let allowed = match SetMode::from_wire(m.smode & 0x03).map(|mode| mode.kind) {
            Some(SetKind::Increase) => m.trashtime <= grant.max_trashtime,
            Some(SetKind::Decrease) => m.trashtime >= grant.min_trashtime,
            _ => (grant.min_trashtime..=grant.max_trashtime).contains(&m.trashtime),
        };
        if !allowed {
            return Err(Status::EPERM);
        }
        let mode = SetMode::from_wire(m.smode).ok_or(Status::EINVAL)?;
        let seconds = m.trashtime;
        self.set_policy(m.inode, m.uid, mode, |target| Mutation::SetTrashtime {
            target,
            seconds,
        })
        .await
    }

    /// Remembers that this session opened `inode`; the first open of a
    /// file by a session is a log entry, since it decides whether an
    /// unlink keeps the file.
    pub(super) async fn acquire(&self, inode: Inode) {
        if self.session.open(inode) {
            let mutation = Mutation::Acquire {
                inode,
                session: self.session.id,
            };
            if let Err(status) = self.change(&Caller::root(), mutation).await {
                tracing::debug!(inode, ?status, "open file vanished before acquire");
            }
        }
    }

    /// SUSTAINED_INODES: the files the mount still holds open. Files it
    /// no longer lists are released, which frees sustained ones.
    pub(super) async fn sync_open(self, inodes: Vec<u32>) -> Action {
        let listed: BTreeSet<Inode> = inodes
            .into_iter()
            .map(|i| self.session.to_internal(i))
            .collect();
        let (added, dropped) = self.session.replace_open(listed);
        let session = self.session.id;
        // A file the mount no longer holds loses its locks, as MooseFS's
        // of_sync closing it does.
        for &inode in &dropped {
            self.master.sessions.locks.file_closed(session, inode);
        }
        let changes = added
            .into_iter()
            .map(|inode| Mutation::Acquire { inode, session })
            .chain(
                dropped
                    .into_iter()
                    .map(|inode| Mutation::Release { inode, session }),
            )
            .collect();
        // Submitted together (a round at a time), they share a group
        // commit: one at a time, the mount's next requests would wait for
        // a commit per file it closed.
        let results = self.master.store.change_all(&Caller::root(), changes).await;
        for result in results {
            match result {
                Ok(outcome) => commit_chunk_changes(self.master, &outcome),
                Err(status) => tracing::debug!(?status, "open file list change refused"),
            }
        }
        Action::Nothing
    }
}

/// Releases every file a closing session held open.
/// They are submitted together, so they share a group commit.
pub async fn release_session(master: &Master, session: u32, inodes: Vec<Inode>) {
    let releases = inodes
        .iter()
        .map(|&inode| Mutation::Release { inode, session })
        .collect();
    let results = master.store.change_all(&Caller::root(), releases).await;
    for (inode, result) in inodes.iter().zip(results) {
        match result {
            Ok(outcome) => commit_chunk_changes(master, &outcome),
            Err(status) => tracing::debug!(inode, ?status, "release of a closed session"),
        }
    }
}

/// Empties the trash as time passes: when some entry has expired, an
/// `EmptyTrash` entry stamped with this (the leader's) time frees them,
/// so every replica applying the log frees the same files.
pub async fn empty_trash_forever(master: &Master) {
    let mut tick = tokio::time::interval(EMPTY_TRASH_EVERY);
    loop {
        tick.tick().await;
        let ts = now();
        if !master.store.read().await.trash_due(ts) {
            continue;
        }
        let entry = crate::namespace::Entry {
            ts,
            caller: Caller::root(),
            mutation: Mutation::EmptyTrash,
        };
        match master.store.submit(entry).await {
            Ok(outcome) => commit_chunk_changes(master, &outcome),
            Err(status) => tracing::warn!(?status, "emptying the trash failed"),
        }
    }
}
