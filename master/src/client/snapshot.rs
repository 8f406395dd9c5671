//! SNAPSHOT (`mfsmakesnapshot`, and `mfsrmsnapshot` with the DELETE
//! mode), as `matoclserv_fuse_snapshot` serves it: the export's refusals,
//! then one namespace entry that copies (or removes) the tree and the
//! chunk references it adds (or ends).

use mooseng_wire::cltoma::FuseSnapshot;
use mooseng_wire::matocl::FuseSnapshotReply;
use mooseng_wire::Status;

use super::reply::reply;
use super::{disable, Action, Request};
use crate::namespace::{snapshot_mode, Mutation};
use crate::session::Identity;
use crate::view::View;

impl Request<'_> {
    pub(super) async fn snapshot(self, m: FuseSnapshot) -> Action {
        let who = self.session.identity(m.uid, m.gids.gids());
        let status = match self.make_snapshot(&who, &m).await {
            Ok(()) => Status::OK,
            Err(status) => status,
        };
        reply(FuseSnapshotReply {
            msgid: m.msgid,
            status,
        })
    }

    async fn make_snapshot(&self, who: &Identity, m: &FuseSnapshot) -> Result<(), Status> {
        let refused = if m.smode & snapshot_mode::DELETE != 0 {
            self.disabled(disable::UNLINK) || self.disabled(disable::RMDIR)
        } else {
            self.disabled(disable::SNAPSHOT)
        };
        if refused {
            return Err(Status::EPERM);
        }
        if self.read_only() {
            return Err(Status::EROFS);
        }
        let removing = m.smode & snapshot_mode::DELETE != 0;
        if removing && m.inode != 0 {
            return Err(Status::EINVAL);
        }
        let (src, dst_parent) = {
            let ns = self.master.store.read().await;
            let view = View::new(&ns, self.session, self.version);
            // A removal names no original: inode 0 is not resolved.
            let src = if removing { 0 } else { view.resolve(m.inode)? };
            (src, view.resolve(m.parent_dst)?)
        };
        let mutation = Mutation::Snapshot {
            src,
            dst_parent,
            name: m.name_dst.as_bytes().into(),
            smode: m.smode,
            umask: m.umask | self.session.grant.umask,
        };
        self.change_remembered(&who.caller, mutation)
            .await
            .map(|_| ())
    }
}
