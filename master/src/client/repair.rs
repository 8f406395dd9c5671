//! REPAIR (`mfsfilerepair`): each chunk of a file without a usable copy
//! takes the newest version a copy holds, or leaves the file (which then
//! reads zeros there), as 3.0.117's `fs_repair` does. Permissions are
//! checked before any chunk changes.

use mooseng_wire::cltoma::FuseRepair;
use mooseng_wire::matocl::{FuseRepairReply, RepairCounts};
use mooseng_wire::Status;

use super::chunk::commit_chunk_changes;
use super::node::into_reply;
use super::reply::reply;
use super::{Action, Request};
use crate::chunks::Repair;
use crate::namespace::Mutation;
use crate::view::View;

impl Request<'_> {
    pub(super) async fn repair(self, m: FuseRepair) -> Action {
        let result = self.repair_file(&m).await;
        reply(FuseRepairReply {
            msgid: m.msgid,
            reply: into_reply(result),
        })
    }

    async fn repair_file(&self, m: &FuseRepair) -> Result<RepairCounts, Status> {
        if self.read_only() {
            return Err(Status::EROFS);
        }
        let who = self.session.identity(m.uid, m.gids.gids());
        let (inode, slots) = {
            let ns = self.master.store.read().await;
            let inode = View::new(&ns, self.session, self.version).resolve(m.inode)?;
            (inode, ns.repair_slots(&who.caller, inode)?)
        };
        let mut counts = RepairCounts {
            not_changed: 0,
            erased: 0,
            repaired: 0,
        };
        let mut erase = Vec::new();
        for (index, chunk) in slots.into_iter().enumerate() {
            if chunk == 0 {
                counts.not_changed += 1;
                continue;
            }
            match self.master.chunks.repair(chunk) {
                Repair::Unchanged => counts.not_changed += 1,
                Repair::Repaired(_) => counts.repaired += 1,
                Repair::Erase => {
                    counts.erased += 1;
                    erase.push((index as u32, chunk));
                }
            }
        }
        let mutation = Mutation::Repair {
            inode,
            changed: counts.erased + counts.repaired > 0,
            erase,
        };
        let outcome = self.master.store.change(&who.caller, mutation).await?;
        commit_chunk_changes(self.master, &outcome);
        Ok(counts)
    }
}
