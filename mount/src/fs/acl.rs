//! POSIX ACLs: the kernel reads and writes them as the
//! `system.posix_acl_access` / `system.posix_acl_default` xattrs in its
//! binary format, the master keeps them as GETFACL/SETFACL records. This
//! converts between the two the way mfsmount does.

use mooseng_wire::types::{Acl, AclEntry};

use crate::error::{Errno, FsResult};

/// `POSIX_ACL_ACCESS` / `POSIX_ACL_DEFAULT`, the `acltype` of the requests.
pub const ACCESS: u8 = 1;
pub const DEFAULT: u8 = 2;
/// What the master stores for an entry that is not set.
pub const UNSET: u16 = 0xFFFF;

/// The version word that starts every ACL xattr.
const XATTR_VERSION: u32 = 2;
/// Entry tags of the xattr format.
const USER_OBJ: u16 = 0x01;
const USER: u16 = 0x02;
const GROUP_OBJ: u16 = 0x04;
const GROUP: u16 = 0x08;
const MASK: u16 = 0x10;
const OTHER: u16 = 0x20;
/// The id of entries that name no one.
const NO_ID: u32 = u32::MAX;

/// Which ACL an xattr name stands for, if it is one.
pub fn acl_type(name: &[u8]) -> Option<u8> {
    match name {
        b"system.posix_acl_access" => Some(ACCESS),
        b"system.posix_acl_default" => Some(DEFAULT),
        _ => None,
    }
}

/// The xattr value for an ACL: owner, named users, owning group, named
/// groups, mask (when set), other — the order the kernel expects.
pub fn to_xattr(acl: &Acl) -> Vec<u8> {
    let mut out = XATTR_VERSION.to_le_bytes().to_vec();
    let mut entry = |tag: u16, perm: u16, id: u32| {
        out.extend_from_slice(&tag.to_le_bytes());
        out.extend_from_slice(&perm.to_le_bytes());
        out.extend_from_slice(&id.to_le_bytes());
    };
    entry(USER_OBJ, acl.user, NO_ID);
    acl.named_users
        .iter()
        .for_each(|e| entry(USER, e.perm, e.id));
    entry(GROUP_OBJ, acl.group, NO_ID);
    acl.named_groups
        .iter()
        .for_each(|e| entry(GROUP, e.perm, e.id));
    if acl.mask != UNSET {
        entry(MASK, acl.mask, NO_ID);
    }
    entry(OTHER, acl.other, NO_ID);
    out
}

/// Reads an ACL xattr value; entries absent stay [`UNSET`]. Refuses a
/// wrong version, a repeated owner/group/mask/other entry, and named
/// entries without a mask, as the master would.
pub fn from_xattr(value: &[u8]) -> FsResult<Acl> {
    let invalid = Errno(libc::EINVAL);
    if value.len() < 4 || value.len() % 8 != 4 {
        return Err(invalid);
    }
    if u32::from_le_bytes([value[0], value[1], value[2], value[3]]) != XATTR_VERSION {
        return Err(invalid);
    }
    let mut acl = Acl {
        user: UNSET,
        group: UNSET,
        other: UNSET,
        mask: UNSET,
        named_users: Vec::new(),
        named_groups: Vec::new(),
    };
    for raw in value[4..].chunks_exact(8) {
        let tag = u16::from_le_bytes([raw[0], raw[1]]);
        let perm = u16::from_le_bytes([raw[2], raw[3]]);
        let id = u32::from_le_bytes([raw[4], raw[5], raw[6], raw[7]]);
        let single = match tag {
            USER_OBJ => &mut acl.user,
            GROUP_OBJ => &mut acl.group,
            MASK => &mut acl.mask,
            OTHER => &mut acl.other,
            USER => {
                acl.named_users.push(AclEntry { id, perm });
                continue;
            }
            GROUP => {
                acl.named_groups.push(AclEntry { id, perm });
                continue;
            }
            _ => continue,
        };
        if *single != UNSET {
            return Err(invalid);
        }
        *single = perm;
    }
    let named = !acl.named_users.is_empty() || !acl.named_groups.is_empty();
    if named && acl.mask == UNSET {
        return Err(invalid);
    }
    Ok(acl)
}

/// What SETFACL gets to remove an ACL: every entry unset.
pub fn removed() -> Acl {
    Acl {
        user: UNSET,
        group: UNSET,
        other: UNSET,
        mask: UNSET,
        named_users: Vec::new(),
        named_groups: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// `setfacl -m u:1000:rw,g:50:r f` on a 0644 file, as the kernel hands it over.
    const SETFACL_BLOB: [u8; 52] = [
        2, 0, 0, 0, // version 2
        1, 0, 6, 0, 0xff, 0xff, 0xff, 0xff, // user::rw-
        2, 0, 6, 0, 0xe8, 3, 0, 0, // user:1000:rw-
        4, 0, 4, 0, 0xff, 0xff, 0xff, 0xff, // group::r--
        8, 0, 4, 0, 50, 0, 0, 0, // group:50:r--
        0x10, 0, 6, 0, 0xff, 0xff, 0xff, 0xff, // mask::rw-
        0x20, 0, 4, 0, 0xff, 0xff, 0xff, 0xff, // other::r--
    ];

    #[test]
    fn a_setfacl_blob_becomes_the_masters_record_and_back() {
        let acl = from_xattr(&SETFACL_BLOB).unwrap();
        assert_eq!((acl.user, acl.group, acl.mask, acl.other), (6, 4, 6, 4));
        assert_eq!(acl.named_users, vec![AclEntry { id: 1000, perm: 6 }]);
        assert_eq!(acl.named_groups, vec![AclEntry { id: 50, perm: 4 }]);
        assert_eq!(to_xattr(&acl), SETFACL_BLOB);
    }

    #[test]
    fn malformed_blobs_are_refused() {
        assert!(from_xattr(&SETFACL_BLOB[..51]).is_err());
        let mut version = SETFACL_BLOB;
        version[0] = 1;
        assert!(from_xattr(&version).is_err());
        let mut twice = SETFACL_BLOB;
        twice[12] = 1; // the named user becomes a second owner entry
        assert!(from_xattr(&twice).is_err());
        let mut no_mask = SETFACL_BLOB.to_vec();
        no_mask.drain(36..44);
        assert!(from_xattr(&no_mask).is_err());
    }

    #[test]
    fn names_select_the_acl() {
        assert_eq!(acl_type(b"system.posix_acl_access"), Some(ACCESS));
        assert_eq!(acl_type(b"system.posix_acl_default"), Some(DEFAULT));
        assert_eq!(acl_type(b"user.posix_acl_access"), None);
    }

    proptest! {
        #[test]
        fn every_full_acl_survives_the_round_trip(
            perms in proptest::array::uniform4(0u16..8),
            users in proptest::collection::vec((any::<u32>(), 0u16..8), 0..4),
            groups in proptest::collection::vec((any::<u32>(), 0u16..8), 0..4),
        ) {
            let acl = Acl {
                user: perms[0],
                group: perms[1],
                other: perms[2],
                mask: perms[3],
                named_users: users.iter().map(|&(id, perm)| AclEntry { id, perm }).collect(),
                named_groups: groups.iter().map(|&(id, perm)| AclEntry { id, perm }).collect(),
            };
            prop_assert_eq!(from_xattr(&to_xattr(&acl)).unwrap(), acl);
        }
    }
}
