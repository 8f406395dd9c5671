//! POSIX ACLs as MooseFS 3.0.117 keeps them.
//!
//! A node with an access ACL keeps the owning group's permission in the
//! group bits of its own mode, while the attribute record shows the ACL's
//! mask there; chmod then sets the owner, mask and other entries. Access
//! is decided by the ACL (owner, named user, then the union of every
//! matching group entry, masked, then other). A directory's default ACL is
//! copied into nodes created in it, replacing the umask.
//!
//! Entry permissions are 16 bits on the wire; 0xFFFF in the owner, group
//! or other entry of SETFACL means "take it from the mode", and all four
//! at 0xFFFF with no named entries removes the ACL.

use mooseng_wire::Status;
use serde::{Deserialize, Serialize};

use super::access::{Caller, EATTR_IMMUTABLE};
use super::mutation::Outcome;
use super::node::{Inode, Node};
use super::Namespace;

/// "Unset" in an ACL entry, and a mask that was never given.
const UNSET: u16 = 0xFFFF;
const SPECIAL_BITS: u16 = 0o7000;

/// `POSIX_ACL_ACCESS` or `POSIX_ACL_DEFAULT`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum AclKind {
    Access,
    Default,
}

/// A named user or group entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AclEntry {
    pub id: u32,
    pub perm: u16,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Acl {
    pub user: u16,
    pub group: u16,
    pub other: u16,
    pub mask: u16,
    pub named_users: Vec<AclEntry>,
    pub named_groups: Vec<AclEntry>,
}

/// The ACLs of one node, kept with its extended attributes behind the
/// node's one pointer for extras (`Extras`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeAcls {
    access: Option<Acl>,
    default: Option<Acl>,
}

impl NodeAcls {
    pub const fn new() -> NodeAcls {
        NodeAcls {
            access: None,
            default: None,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.access.is_none() && self.default.is_none()
    }

    pub fn get(&self, kind: AclKind) -> Option<&Acl> {
        match kind {
            AclKind::Access => self.access.as_ref(),
            AclKind::Default => self.default.as_ref(),
        }
    }

    fn slot(&mut self, kind: AclKind) -> &mut Option<Acl> {
        match kind {
            AclKind::Access => &mut self.access,
            AclKind::Default => &mut self.default,
        }
    }

    /// Sets or (with `None`) removes one of the two.
    pub(super) fn set(&mut self, kind: AclKind, acl: Option<Acl>) {
        *self.slot(kind) = acl;
    }
}

impl Acl {
    /// The rwx bits the ACL grants a caller who is not root.
    pub fn rights(&self, caller: &Caller, node: &Node) -> u8 {
        if caller.uid == node.uid {
            return (self.user & 7) as u8;
        }
        if let Some(entry) = self.named_users.iter().find(|e| e.id == caller.uid) {
            return (entry.perm & self.mask & 7) as u8;
        }
        let mut matched = false;
        let mut rights = 0;
        if caller.in_group(node.gid) {
            matched = true;
            rights |= self.group & self.mask & 7;
        }
        for entry in &self.named_groups {
            if caller.in_group(entry.id) {
                matched = true;
                rights |= entry.perm & self.mask & 7;
            }
        }
        if matched {
            rights as u8
        } else {
            (self.other & 7) as u8
        }
    }

    /// Owner, mask and other as permission bits (`posix_acl_getmode`).
    fn mode(&self) -> u16 {
        ((self.user & 7) << 6) | ((self.mask & 7) << 3) | (self.other & 7)
    }

    /// chmod on a node with an ACL (`posix_acl_setmode`).
    fn set_mode(&mut self, mode: u16) {
        self.user = (self.user & !7) | ((mode >> 6) & 7);
        self.mask = (self.mask & !7) | ((mode >> 3) & 7);
        self.other = (self.other & !7) | (mode & 7);
    }

    fn has_named(&self) -> bool {
        !self.named_users.is_empty() || !self.named_groups.is_empty()
    }

    /// Only owner, group and other, with no mask: plain mode bits say it all.
    fn is_minimal(&self) -> bool {
        !self.has_named()
            && self.user <= 7
            && self.group <= 7
            && self.other <= 7
            && self.mask == UNSET
    }
}

impl Node {
    /// The 12 mode bits the attribute record carries.
    pub fn shown_mode(&self) -> u16 {
        match self.extras.acls().get(AclKind::Access) {
            Some(acl) => (acl.mode() & 0o777) | (self.mode & SPECIAL_BITS),
            None => self.mode & 0o7777,
        }
    }

    /// chmod: with an access ACL the group bits of the mode go to the mask
    /// and the mode keeps the owning group's permission.
    pub(super) fn apply_mode(&mut self, mode: u16) {
        let has_access = self.extras.change_acls(|acls| {
            let access = acls.slot(AclKind::Access).as_mut();
            access.map(|acl| acl.set_mode(mode)).is_some()
        });
        self.mode = if has_access {
            (self.mode & 0o070) | (mode & 0o7707)
        } else {
            mode
        };
    }
}

/// The mode and ACLs of a node created with `mode` in a directory that
/// has a default ACL (`posix_acl_copydefaults`); the umask is not applied.
pub(super) fn inherit(default: &Acl, mode: u16, is_dir: bool) -> (u16, NodeAcls) {
    let keep = mode & 0xFE00;
    let mut acls = NodeAcls::default();
    let mode = if default.is_minimal() {
        mode & (keep | (default.user << 6) | (default.group << 3) | default.other)
    } else {
        let access = Acl {
            user: ((mode >> 6) & 7) & default.user,
            group: default.group,
            other: (mode & 7) & default.other,
            mask: ((mode >> 3) & 7) & default.mask,
            named_users: default.named_users.clone(),
            named_groups: default.named_groups.clone(),
        };
        let mode = keep | ((access.user & 7) << 6) | ((access.group & 7) << 3) | (access.other & 7);
        acls.set(AclKind::Access, Some(access));
        mode
    };
    if is_dir {
        acls.set(AclKind::Default, Some(default.clone()));
    }
    (mode, acls)
}

impl Namespace {
    /// GETFACL: MooseFS answers without checking the caller.
    pub fn get_acl(&self, inode: Inode, kind: AclKind) -> Result<&Acl, Status> {
        let node = self.get(inode).ok_or(Status::ENOENT)?;
        node.extras.acls().get(kind).ok_or(Status::ENOATTR)
    }

    /// SETFACL (`fs_setfacl`): owner or root only, not on immutable nodes.
    pub(super) fn set_acl(
        &mut self,
        ts: u32,
        caller: &Caller,
        inode: Inode,
        kind: AclKind,
        acl: &Acl,
    ) -> Result<Outcome, Status> {
        let node = self.get(inode).ok_or(Status::ENOENT)?;
        if !caller.owns(node) && !caller.is_root() {
            return Err(Status::EPERM);
        }
        if node.eattr & EATTR_IMMUTABLE != 0 {
            return Err(Status::EPERM);
        }
        let node = self.node_mut(inode);
        let removal = acl.user & acl.group & acl.other & acl.mask == UNSET && !acl.has_named();
        if removal {
            node.extras.change_acls(|acls| acls.set(kind, None));
            return Ok(Outcome::Node(inode));
        }
        let mut acl = acl.clone();
        let from_mode = |value: u16, shift: u16| {
            if value == UNSET {
                (node.mode >> shift) & 7
            } else {
                value
            }
        };
        acl.user = from_mode(acl.user, 6);
        acl.group = from_mode(acl.group, 3);
        acl.other = from_mode(acl.other, 0);
        let before = node.mode;
        if kind == AclKind::Access {
            node.mode = (node.mode & SPECIAL_BITS)
                | ((acl.user & 7) << 6)
                | ((acl.group & 7) << 3)
                | (acl.other & 7);
        }
        let kept = if kind == AclKind::Access && acl.is_minimal() {
            None
        } else {
            Some(acl)
        };
        node.extras.change_acls(|acls| acls.set(kind, kept));
        if node.mode != before {
            node.ctime = ts;
        }
        Ok(Outcome::Node(inode))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `NodeAcls` as it was: two optional boxes.
    #[derive(Serialize)]
    struct TwoBoxes {
        access: Option<Box<Acl>>,
        default: Option<Box<Acl>>,
    }

    fn acl(user: u16) -> Acl {
        Acl {
            user,
            group: 5,
            other: 4,
            mask: 7,
            named_users: vec![AclEntry { id: 1000, perm: 6 }],
            named_groups: Vec::new(),
        }
    }

    #[test]
    fn encodes_as_the_two_boxes_it_replaced() {
        let cases = [
            (None, None),
            (Some(acl(7)), None),
            (None, Some(acl(6))),
            (Some(acl(7)), Some(acl(6))),
        ];
        for (access, default) in cases {
            let mut acls = NodeAcls::default();
            acls.set(AclKind::Access, access.clone());
            acls.set(AclKind::Default, default.clone());
            let old = TwoBoxes {
                access: access.map(Box::new),
                default: default.map(Box::new),
            };
            let bytes = postcard::to_stdvec(&acls).unwrap();
            assert_eq!(bytes, postcard::to_stdvec(&old).unwrap());
            assert_eq!(postcard::from_bytes::<NodeAcls>(&bytes).unwrap(), acls);
        }
    }
}
