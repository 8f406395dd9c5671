//! GETXATTR, SETXATTR, GETFACL and SETFACL.
//!
//! `mfsmount` turns `system.posix_acl_access` / `_default` into the ACL
//! requests itself, so the two families never meet here.

use mooseng_wire::cltoma::{FuseGetfacl, FuseGetxattr, FuseSetfacl, FuseSetxattr};
use mooseng_wire::matocl::{
    FuseGetfaclReply, FuseGetxattrReply, FuseSetfaclReply, FuseSetxattrReply, XattrValue,
};
use mooseng_wire::types::acl::{acl_type, Acl as WireAcl, AclEntry as WireAclEntry};
use mooseng_wire::{Bytes32, Status};

use super::node::into_reply;
use super::reply::reply;
use super::{disable, Action, Request};
use crate::namespace::{Acl, AclEntry, AclKind, Caller, Inode, Mutation, Outcome};
use crate::view::View;

/// GETXATTR's `mode`: 0 the value, 1 only its length (`MFS_XATTR_*`).
const GETA_DATA: u8 = 0;
const LENGTH_ONLY: u8 = 1;

impl Request<'_> {
    pub(super) async fn getxattr(self, m: FuseGetxattr) -> Action {
        let who = self.session.identity(m.uid, m.gids.gids());
        let opened = m.opened != 0;
        let name = m.name.as_bytes();
        let result = if m.mode != GETA_DATA && m.mode != LENGTH_ONLY {
            Err(Status::EINVAL)
        } else {
            let ns = self.master.store.read().await;
            View::new(&ns, self.session, self.version)
                .resolve(m.inode)
                .and_then(|inode| {
                    let data = if name.is_empty() {
                        ns.list_xattrs(&who.caller, inode, opened)?.list()
                    } else {
                        ns.get_xattr(&who.caller, inode, name, opened)?.to_vec()
                    };
                    Ok(value_reply(data, m.mode == LENGTH_ONLY))
                })
        };
        reply(FuseGetxattrReply {
            msgid: m.msgid,
            reply: into_reply(result),
        })
    }

    pub(super) async fn setxattr(self, m: FuseSetxattr) -> Action {
        let who = self.session.identity(m.uid, m.gids.gids());
        let status = if self.disabled(disable::SETXATTR) {
            Err(Status::EPERM)
        } else {
            let mutation = |inode| Mutation::SetXattr {
                inode,
                name: m.name.as_bytes().into(),
                value: m.value.as_bytes().into(),
                mode: m.mode,
                opened: m.opened != 0,
            };
            self.change_node(&who.caller, m.inode, mutation).await
        };
        reply(FuseSetxattrReply {
            msgid: m.msgid,
            status: status.err().unwrap_or(Status::OK),
        })
    }

    pub(super) async fn getfacl(self, m: FuseGetfacl) -> Action {
        let result = match acl_kind(m.acl_type) {
            Err(status) => Err(status),
            Ok(kind) => {
                let ns = self.master.store.read().await;
                View::new(&ns, self.session, self.version)
                    .resolve(m.inode)
                    .and_then(|inode| ns.get_acl(inode, kind).map(to_wire))
            }
        };
        reply(FuseGetfaclReply {
            msgid: m.msgid,
            reply: into_reply(result),
        })
    }

    pub(super) async fn setfacl(self, m: FuseSetfacl) -> Action {
        let who = self.session.identity(m.uid, &[]);
        let status = if self.disabled(disable::SETFACL) {
            Err(Status::EPERM)
        } else {
            match acl_kind(m.acl_type) {
                Err(status) => Err(status),
                Ok(kind) => {
                    let acl = from_wire(&m.acl);
                    let mutation = |inode| Mutation::SetAcl { inode, kind, acl };
                    self.change_node(&who.caller, m.inode, mutation).await
                }
            }
        };
        reply(FuseSetfaclReply {
            msgid: m.msgid,
            status: status.err().unwrap_or(Status::OK),
        })
    }

    /// Resolves a client inode and submits the change built for it;
    /// read-only sessions answer EROFS first, as MooseFS does.
    pub(super) async fn change_node(
        &self,
        caller: &Caller,
        inode: Inode,
        mutation: impl FnOnce(Inode) -> Mutation,
    ) -> Result<Outcome, Status> {
        if self.read_only() {
            return Err(Status::EROFS);
        }
        let inode = {
            let ns = self.master.store.read().await;
            View::new(&ns, self.session, self.version).resolve(inode)?
        };
        self.master.store.change(caller, mutation(inode)).await
    }
}

/// `vleng:32` alone, or `vleng:32 value`; an empty value is the same
/// four bytes either way.
fn value_reply(data: Vec<u8>, length_only: bool) -> XattrValue {
    if length_only || data.is_empty() {
        XattrValue::Length(data.len() as u32)
    } else {
        XattrValue::Value(Bytes32::new(data))
    }
}

fn acl_kind(value: u8) -> Result<AclKind, Status> {
    match value {
        acl_type::ACCESS => Ok(AclKind::Access),
        acl_type::DEFAULT => Ok(AclKind::Default),
        _ => Err(Status::EINVAL),
    }
}

fn to_wire(acl: &Acl) -> WireAcl {
    let entries = |list: &[AclEntry]| {
        list.iter()
            .map(|e| WireAclEntry {
                id: e.id,
                perm: e.perm,
            })
            .collect()
    };
    WireAcl {
        user: acl.user,
        group: acl.group,
        other: acl.other,
        mask: acl.mask,
        named_users: entries(&acl.named_users),
        named_groups: entries(&acl.named_groups),
    }
}

fn from_wire(acl: &WireAcl) -> Acl {
    let entries = |list: &[WireAclEntry]| {
        list.iter()
            .map(|e| AclEntry {
                id: e.id,
                perm: e.perm,
            })
            .collect()
    };
    Acl {
        user: acl.user,
        group: acl.group,
        other: acl.other,
        mask: acl.mask,
        named_users: entries(&acl.named_users),
        named_groups: entries(&acl.named_groups),
    }
}
