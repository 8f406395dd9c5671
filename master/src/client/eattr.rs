//! GETEATTR and SETEATTR (`mfsgeteattr`, `mfsseteattr`).

use mooseng_wire::cltoma::{FuseGeteattr, FuseSeteattr};
use mooseng_wire::matocl::{ChangeCounts, EattrCount, FuseGeteattrReply, FuseSeteattrReply};
use mooseng_wire::types::Tally;
use mooseng_wire::{Status, Version};

use super::node::into_reply;
use super::reply::reply;
use super::{disable, Action, Request};
use crate::exports::sesflag;
use crate::namespace::{
    smode, Mutation, Outcome, EATTR_APPENDONLY, EATTR_IMMUTABLE, EATTR_UNDELETABLE,
};
use crate::view::View;

/// Clients before 3.0.30 know four extra attribute bits, before 3.0.113
/// five; MooseFS folds the higher bits away for them.
const FOUR_BITS_BEFORE: Version = Version::new(3, 0, 30);
const FIVE_BITS_BEFORE: Version = Version::new(3, 0, 113);
/// An answer lists at most 255 values per kind (the counts are 8 bits).
const MAX_RECORDS: usize = 255;

impl Request<'_> {
    pub(super) async fn geteattr(self, m: FuseGeteattr) -> Action {
        let result = {
            let ns = self.master.store.read().await;
            View::new(&ns, self.session, self.version)
                .resolve(m.inode)
                .and_then(|inode| ns.eattr_tally(inode, m.gmode))
        };
        let fold = if self.version < FOUR_BITS_BEFORE {
            0x0F
        } else if self.version < FIVE_BITS_BEFORE {
            0x1F
        } else {
            0xFF
        };
        let records = |counts: std::collections::BTreeMap<u8, u32>| {
            let mut folded = std::collections::BTreeMap::<u8, u32>::new();
            for (eattr, count) in counts {
                *folded.entry(eattr & fold).or_default() += count;
            }
            folded
                .into_iter()
                .take(MAX_RECORDS)
                .map(|(eattr, count)| EattrCount { eattr, count })
                .collect()
        };
        let result = result.map(|tally| Tally::new(records(tally.files), records(tally.dirs)));
        reply(FuseGeteattrReply {
            msgid: m.msgid,
            reply: into_reply(result),
        })
    }

    pub(super) async fn seteattr(self, m: FuseSeteattr) -> Action {
        let who = self.session.identity(m.uid, &[]);
        let admin_only = EATTR_UNDELETABLE | EATTR_APPENDONLY | EATTR_IMMUTABLE;
        let result = if self.disabled(disable::SETEATTR) {
            Err(Status::EPERM)
        } else if m.smode > smode::TYPE_MASK | smode::RECURSIVE {
            Err(Status::EINVAL)
        } else if self.read_only() {
            Err(Status::EROFS)
        } else if self.session.grant.sesflags & sesflag::ADMIN == 0 && m.eattr & admin_only != 0 {
            Err(Status::EPERM)
        } else {
            let mutation = |inode| Mutation::SetEattr {
                inode,
                eattr: m.eattr,
                smode: m.smode,
            };
            match self.change_node(&who.caller, m.inode, mutation).await {
                Ok(Outcome::Changed { counts, .. }) => Ok(ChangeCounts {
                    changed: counts.changed,
                    not_changed: counts.not_changed,
                    not_permitted: counts.not_permitted,
                }),
                Ok(_) => Err(Status::EINVAL),
                Err(status) => Err(status),
            }
        };
        reply(FuseSeteattrReply {
            msgid: m.msgid,
            reply: into_reply(result),
        })
    }
}
