//! Rewriting a captured request so the ids it names are the replay's.
//!
//! Every field of a client request that names a server-allocated object
//! (an inode, a chunk, a session, a metadata set) or one of the target's
//! chunkservers goes through the
//! [`IdMap`]; everything else is sent as captured. A message type missing
//! here carries no such id.

use mooseng_wire::cltoma::RegisterRequest;
use mooseng_wire::cltoma_info::CsservCommandArgs;
use mooseng_wire::direction::ClientToMaster as C;

use super::ids::{IdKind, IdMap};

/// Replaces the captured ids in `request` by the ones bound to them.
pub fn rewrite(request: &mut C, ids: &mut IdMap) {
    let mut inode = |field: &mut u32| ids.translate32(IdKind::Inode, field);
    match request {
        C::FuseAccess(m) => inode(&mut m.inode),
        C::FuseLookup(m) => inode(&mut m.parent),
        C::FuseGetattr(m) => inode(&mut m.inode),
        C::FuseSetattr(m) => inode(&mut m.inode),
        C::FuseReadlink(m) => inode(&mut m.inode),
        C::FuseSymlink(m) => inode(&mut m.parent),
        C::FuseMknod(m) => inode(&mut m.parent),
        C::FuseMkdir(m) => inode(&mut m.parent),
        C::FuseUnlink(m) => inode(&mut m.parent),
        C::FuseRmdir(m) => inode(&mut m.parent),
        C::FuseRename(m) => {
            inode(&mut m.parent_src);
            inode(&mut m.parent_dst);
        }
        C::FuseLink(m) => {
            inode(&mut m.inode);
            inode(&mut m.parent_dst);
        }
        C::FuseReaddir(m) => inode(&mut m.inode),
        C::FuseOpen(m) => inode(&mut m.inode),
        C::FuseReadChunk(m) => inode(&mut m.inode),
        C::FuseWriteChunk(m) => inode(&mut m.inode),
        C::FuseWriteChunkEnd(m) => {
            inode(&mut m.inode);
            ids.translate64(IdKind::Chunk, &mut m.chunkid);
        }
        C::FuseAppendSlice(m) => {
            inode(&mut m.inode);
            inode(&mut m.src_inode);
        }
        C::FuseCheck(m) => inode(&mut m.inode),
        C::FuseGettrashtime(m) => inode(&mut m.inode),
        C::FuseSettrashtime(m) => inode(&mut m.inode),
        C::FuseGetsclass(m) => inode(&mut m.inode),
        C::FuseSetsclass(m) => inode(&mut m.inode),
        C::FuseGetdetachedattr(m) => inode(&mut m.inode),
        C::FuseGettrashpath(m) => inode(&mut m.inode),
        C::FuseSettrashpath(m) => inode(&mut m.inode),
        C::FuseUndel(m) => inode(&mut m.inode),
        C::FusePurge(m) => inode(&mut m.inode),
        C::FuseGetdirstats(m) => inode(&mut m.inode),
        C::FuseTruncate(m) => inode(&mut m.inode),
        C::FuseRepair(m) => inode(&mut m.inode),
        C::FuseSnapshot(m) => {
            inode(&mut m.inode);
            inode(&mut m.parent_dst);
        }
        C::FuseGeteattr(m) => inode(&mut m.inode),
        C::FuseSeteattr(m) => inode(&mut m.inode),
        C::FuseQuotacontrol(m) => inode(&mut m.inode),
        C::FuseGetxattr(m) => inode(&mut m.inode),
        C::FuseSetxattr(m) => inode(&mut m.inode),
        C::FuseCreate(m) => inode(&mut m.parent),
        C::FuseParents(m) => inode(&mut m.inode),
        C::FusePaths(m) => inode(&mut m.inode),
        C::FuseGetfacl(m) => inode(&mut m.inode),
        C::FuseSetfacl(m) => inode(&mut m.inode),
        C::FuseFlock(m) => inode(&mut m.inode),
        C::FusePosixLock(m) => inode(&mut m.inode),
        C::FuseArchctl(m) => inode(&mut m.inode),
        C::FuseFsync(m) => inode(&mut m.inode),
        C::FuseSustainedInodesDeprecated(m) => m.inodes.0.iter_mut().for_each(inode),
        C::FuseSustainedInodes(m) => m.inodes.0.iter_mut().for_each(inode),
        C::FuseAmtimeInodes(m) => m.inodes.0.iter_mut().for_each(|t| inode(&mut t.inode)),
        C::MassResolvePaths(m) => m.inodes.0.iter_mut().for_each(inode),
        C::ListAcquiredLocks(m) => inode(&mut m.inode),
        C::NodeInfo(m) => inode(&mut m.inode),
        C::ListOpenFiles(m) => ids.translate32(IdKind::Session, &mut m.sessionid),
        C::SessionCommand(m) => ids.translate32(IdKind::Session, &mut m.sessionid),
        C::FuseRegister(m) => rewrite_register(&mut m.request, ids),
        C::CsservCommand(m) => match &mut m.command {
            CsservCommandArgs::LegacyRemove { ip, .. } | CsservCommandArgs::Command { ip, .. } => {
                ids.translate_address(IdKind::Chunkserver, ip)
            }
        },
        _ => {}
    }
}

fn rewrite_register(request: &mut RegisterRequest, ids: &mut IdMap) {
    let (sessionid, metaid) = match request {
        RegisterRequest::NewSession(new) => match &mut new.previous {
            Some(previous) => (&mut previous.sessionid, &mut previous.metaid),
            None => return,
        },
        RegisterRequest::Reconnect {
            sessionid, metaid, ..
        }
        | RegisterRequest::Tools {
            sessionid, metaid, ..
        }
        | RegisterRequest::CloseSession { sessionid, metaid } => (sessionid, metaid),
        _ => return,
    };
    ids.translate32(IdKind::Session, sessionid);
    if let Some(metaid) = metaid {
        ids.translate64(IdKind::Metaid, metaid);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mooseng_wire::cltoma::{FuseRename, FuseWriteChunkEnd};
    use mooseng_wire::cltoma_info::CsservCommand;
    use std::net::Ipv4Addr;

    #[test]
    fn every_id_field_of_a_request_is_translated() {
        let mut ids = IdMap::new();
        ids.bind(IdKind::Inode, 7, 70).unwrap();
        ids.bind(IdKind::Inode, 8, 80).unwrap();
        ids.bind(IdKind::Chunk, 5, 50).unwrap();
        let mut rename = C::FuseRename(FuseRename {
            msgid: 7,
            parent_src: 7,
            name_src: mooseng_wire::Name::new(&b"a"[..]),
            parent_dst: 8,
            name_dst: mooseng_wire::Name::new(&b"b"[..]),
            uid: 7,
            gids: mooseng_wire::types::groups::Groups::Single(0),
        });
        rewrite(&mut rename, &mut ids);
        let C::FuseRename(r) = &rename else {
            unreachable!()
        };
        // The msgid and uid are the client's, not ids the server allocates.
        assert_eq!((r.msgid, r.parent_src, r.parent_dst, r.uid), (7, 70, 80, 7));

        let mut end = C::FuseWriteChunkEnd(FuseWriteChunkEnd {
            msgid: 1,
            chunkid: 5,
            inode: 8,
            index: 0,
            length: 5,
            flags: 0,
        });
        rewrite(&mut end, &mut ids);
        let C::FuseWriteChunkEnd(e) = &end else {
            unreachable!()
        };
        assert_eq!((e.chunkid, e.inode, e.length), (50, 80, 5));
    }

    #[test]
    fn a_chunkserver_command_names_the_target_s_chunkserver() {
        let (captured, target) = (Ipv4Addr::new(10, 231, 0, 12), Ipv4Addr::new(10, 233, 0, 13));
        let mut ids = IdMap::new();
        ids.bind(
            IdKind::Chunkserver,
            u32::from(captured).into(),
            u32::from(target).into(),
        )
        .unwrap();
        let mut command = C::CsservCommand(CsservCommand {
            command: CsservCommandArgs::Command {
                command: 2,
                ip: captured,
                port: 9422,
            },
        });
        rewrite(&mut command, &mut ids);
        let C::CsservCommand(c) = &command else {
            unreachable!()
        };
        assert_eq!(
            c.command,
            CsservCommandArgs::Command {
                command: 2,
                ip: target,
                port: 9422
            }
        );
    }
}
