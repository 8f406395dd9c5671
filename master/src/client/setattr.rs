//! SETATTR: chmod, chown, utimes and the Windows attribute byte; and
//! AMTIME_INODES, the times a mount changed locally.

use mooseng_wire::cltoma::{set_flag, AmTime, FuseSetattr};
use mooseng_wire::matocl::FuseSetattrReply;
use mooseng_wire::Status;

use super::node::into_reply;
use super::reply::reply;
use super::{disable, Action, Request};
use crate::namespace::{AttrChange, Caller, Mutation, SugidClear, TimeChange};
use crate::view::View;

impl Request<'_> {
    pub(super) async fn setattr(self, m: FuseSetattr) -> Action {
        let who = self.session.identity(m.uid, &m.gids.items);
        let chown = m.setmask & (set_flag::UID | set_flag::GID) != 0;
        let chmod = m.setmask & set_flag::MODE != 0;
        let result = if self.read_only() {
            Err(Status::EROFS)
        } else if (chown && self.disabled(disable::CHOWN))
            || (chmod && self.disabled(disable::CHMOD))
        {
            Err(Status::EPERM)
        } else {
            let ns = self.master.store.read().await;
            View::new(&ns, self.session, self.version).resolve(m.inode)
        };
        let result = match result {
            Ok(inode) => {
                let change = attr_change(&m);
                match self
                    .master
                    .store
                    .change(&who.caller, Mutation::SetAttr { inode, change })
                    .await
                {
                    Ok(_) => {
                        let ns = self.master.store.read().await;
                        View::new(&ns, self.session, self.version).attr(&who, inode, None)
                    }
                    Err(status) => Err(status),
                }
            }
            Err(status) => Err(status),
        };
        reply(FuseSetattrReply {
            msgid: m.msgid,
            reply: into_reply(result),
        })
    }
}

impl Request<'_> {
    /// AMTIME_INODES: no answer, no permission check (as in MooseFS);
    /// reports that change nothing are not logged.
    pub(super) async fn amtime(self, times: Vec<AmTime>) -> Action {
        let changes: Vec<Mutation> = {
            let ns = self.master.store.read().await;
            let view = View::new(&ns, self.session, self.version);
            times
                .into_iter()
                .filter(|t| t.atime != 0 || t.mtime != 0)
                .filter_map(|t| Some((view.resolve(t.inode).ok()?, t)))
                .filter(|(inode, t)| ns.amtime_changes(*inode, t.atime, t.mtime))
                .map(|(inode, t)| Mutation::AmTime {
                    inode,
                    atime: t.atime,
                    mtime: t.mtime,
                })
                .collect()
        };
        // Submitted together (a round at a time), they share a group
        // commit rather than make the mount's next requests wait for one
        // commit per file.
        let results = self.master.store.change_all(&Caller::root(), changes).await;
        for result in results {
            if let Err(status) = result {
                tracing::debug!(?status, "reported times not applied");
            }
        }
        Action::Nothing
    }
}

/// The fields `setmask` selects; a `*_NOW` flag wins over an explicit time.
fn attr_change(m: &FuseSetattr) -> AttrChange {
    let has = |flag: u8| m.setmask & flag != 0;
    let time = |now: u8, at: u8, value: u32| {
        if has(now) {
            Some(TimeChange::Now)
        } else if has(at) {
            Some(TimeChange::At(value))
        } else {
            None
        }
    };
    AttrChange {
        mode: has(set_flag::MODE).then_some(m.mode & 0o7777),
        uid: has(set_flag::UID).then_some(m.attr_uid),
        gid: has(set_flag::GID).then_some(m.attr_gid),
        atime: time(set_flag::ATIME_NOW, set_flag::ATIME, m.atime),
        mtime: time(set_flag::MTIME_NOW, set_flag::MTIME, m.mtime),
        winattr: has(set_flag::WINATTR).then_some(m.winattr),
        sugid_clear: sugid_clear(m.sugid_clear_mode),
    }
}

/// `SUGID_CLEAR_MODE_*`; unknown values take the safest choice, ALWAYS.
fn sugid_clear(mode: u8) -> SugidClear {
    match mode {
        0 => SugidClear::Never,
        2 => SugidClear::Osx,
        3 => SugidClear::Bsd,
        4 => SugidClear::Ext,
        5 => SugidClear::Xfs,
        _ => SugidClear::Always,
    }
}
