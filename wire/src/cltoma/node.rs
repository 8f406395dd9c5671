//! Requests of `mfsmount` that work on nodes and directory entries
//! (`CLTOMA_FUSE_*` 402-430, 464, 478-498 except the chunk ones).
//!
//! Layouts are the ones 3.0.117 sends; where the master still accepts the
//! older single `gid:32` in place of the group list, the field is a
//! [`Groups`] whose parameter is the size of the fields after it.

use bytes::BytesMut;

use crate::codec::{malformed, Bytes32, Ctx, Gids, Name, Parsed, Wire};
use crate::messages;
use crate::types::Groups;

/// The caller part of GETATTR, whose length tells which fields are there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(test, derive(proptest_derive::Arbitrary))]
pub enum GetattrCaller {
    /// Nothing: the oldest form.
    Unknown,
    /// `uid:32 gid:32` (up to 1.6.27).
    Ids { uid: u32, gid: u32 },
    /// `opened:8 uid:32 gid:32`
    Opened { opened: u8, uid: u32, gid: u32 },
}

impl Wire for GetattrCaller {
    fn decode(input: &[u8], ctx: Ctx) -> Parsed<'_, Self> {
        match input.len() {
            0 => Ok((input, GetattrCaller::Unknown)),
            8 => {
                let (input, uid) = u32::decode(input, ctx)?;
                let (input, gid) = u32::decode(input, ctx)?;
                Ok((input, GetattrCaller::Ids { uid, gid }))
            }
            9 => {
                let (input, opened) = u8::decode(input, ctx)?;
                let (input, uid) = u32::decode(input, ctx)?;
                let (input, gid) = u32::decode(input, ctx)?;
                Ok((input, GetattrCaller::Opened { opened, uid, gid }))
            }
            _ => Err(malformed(input)),
        }
    }

    fn encode(&self, out: &mut BytesMut) {
        match self {
            GetattrCaller::Unknown => {}
            GetattrCaller::Ids { uid, gid } => {
                uid.encode(out);
                gid.encode(out);
            }
            GetattrCaller::Opened { opened, uid, gid } => {
                opened.encode(out);
                uid.encode(out);
                gid.encode(out);
            }
        }
    }
}

/// Bits of SETATTR's `setmask` (`SET_*_FLAG`).
pub mod set_flag {
    pub const WINATTR: u8 = 0x01;
    pub const MODE: u8 = 0x02;
    pub const UID: u8 = 0x04;
    pub const GID: u8 = 0x08;
    pub const MTIME_NOW: u8 = 0x10;
    pub const MTIME: u8 = 0x20;
    pub const ATIME: u8 = 0x40;
    pub const ATIME_NOW: u8 = 0x80;
}

/// Bits of READDIR's `flags` (`GETDIR_FLAG_*`).
pub mod getdir_flag {
    pub const WITHATTR: u8 = 0x01;
    pub const ADDTOCACHE: u8 = 0x02;
}

/// Bits of TRUNCATE's `flags` (`TRUNCATE_FLAG_*`).
pub mod truncate_flag {
    /// The caller has the file open: no write permission check.
    pub const OPENED: u8 = 0x01;
    /// Part of a write: the length the client's writes reached.
    pub const UPDATE: u8 = 0x02;
    /// An unchanged length leaves the times alone.
    pub const TIMEFIX: u8 = 0x04;
    /// Part of an append: reserve `length` bytes at the end.
    pub const RESERVE: u8 = 0x08;
}

/// FLOCK's `cmd` (`FLOCK_*`).
pub mod flock_cmd {
    pub const UNLOCK: u8 = 0;
    pub const TRY_SHARED: u8 = 1;
    pub const LOCK_SHARED: u8 = 2;
    pub const TRY_EXCLUSIVE: u8 = 3;
    pub const LOCK_EXCLUSIVE: u8 = 4;
    pub const INTERRUPT: u8 = 5;
    pub const RELEASE: u8 = 6;
}

/// POSIX_LOCK's `cmd` and `type` (`POSIX_LOCK_CMD_*`, `POSIX_LOCK_*`).
pub mod posix_lock {
    pub const CMD_GET: u8 = 0;
    pub const CMD_SET: u8 = 1;
    pub const CMD_TRY: u8 = 2;
    pub const CMD_INT: u8 = 3;
    pub const UNLCK: u8 = 0;
    pub const RDLCK: u8 = 1;
    pub const WRLCK: u8 = 2;
}

crate::records! {
    /// `opened:8 uid:32 gcnt:32 gcnt * [ gid:32 ]` — caller part of GETFACL before 3.0.92.
    FaclCaller { opened: u8, uid: u32, gids: Gids }
}

messages! {
    /// `msgid:32`
    FuseStatfs = 402 CLTOMA_FUSE_STATFS { msgid: u32 }

    /// `msgid:32 inode:32 uid:32 gcnt:32 gcnt * [ gid:32 ] perm:16`
    FuseAccess = 404 CLTOMA_FUSE_ACCESS { msgid: u32, inode: u32, uid: u32, gids: Gids, perm: u16 }

    /// `msgid:32 inode:32 name:NAME uid:32 gcnt:32 gcnt * [ gid:32 ]`
    /// `msgid:32 inode:32 name:NAME uid:32 gid:32` (single gid, also sent when the mount has no groups)
    FuseLookup = 406 CLTOMA_FUSE_LOOKUP { msgid: u32, parent: u32, name: Name, uid: u32, gids: Groups<0> }

    /// `msgid:32 inode:32`
    /// `msgid:32 inode:32 uid:32 gid:32` (version <= 1.6.27)
    /// `msgid:32 inode:32 opened:8 uid:32 gid:32`
    FuseGetattr = 408 CLTOMA_FUSE_GETATTR { msgid: u32, inode: u32, caller: GetattrCaller }

    /// `msgid:32 inode:32 opened:8 uid:32 gcnt:32 gcnt * [ gid:32 ] setmask:8 attrmode:16 attruid:32 attrgid:32 attratime:32 attrmtime:32 winattr:8 sugidclearmode:8` (version >= 3.0.93)
    FuseSetattr = 410 CLTOMA_FUSE_SETATTR {
        msgid: u32, inode: u32, opened: u8, uid: u32, gids: Gids, setmask: u8, mode: u16,
        attr_uid: u32, attr_gid: u32, atime: u32, mtime: u32, winattr: u8, sugid_clear_mode: u8,
    }

    /// `msgid:32 inode:32`
    FuseReadlink = 412 CLTOMA_FUSE_READLINK { msgid: u32, inode: u32 }

    /// `msgid:32 inode:32 name:NAME length:32 path:lengthB uid:32 gcnt:32 gcnt * [ gid:32 ]`
    /// `msgid:32 inode:32 name:NAME length:32 path:lengthB uid:32 gid:32` (single gid)
    FuseSymlink = 414 CLTOMA_FUSE_SYMLINK { msgid: u32, parent: u32, name: Name, target: Bytes32, uid: u32, gids: Groups<0> }

    /// `msgid:32 inode:32 name:NAME type:8 mode:16 umask:16 uid:32 gcnt:32 gcnt * [ gid:32 ] rdev:32`
    /// `msgid:32 inode:32 name:NAME type:8 mode:16 umask:16 uid:32 gid:32 rdev:32` (single gid)
    FuseMknod = 416 CLTOMA_FUSE_MKNOD {
        msgid: u32, parent: u32, name: Name, kind: u8, mode: u16, umask: u16, uid: u32, gids: Groups<4>, rdev: u32,
    }

    /// `msgid:32 inode:32 name:NAME mode:16 umask:16 uid:32 gcnt:32 gcnt * [ gid:32 ] copysgid:8`
    /// `msgid:32 inode:32 name:NAME mode:16 umask:16 uid:32 gid:32 copysgid:8` (single gid)
    FuseMkdir = 418 CLTOMA_FUSE_MKDIR {
        msgid: u32, parent: u32, name: Name, mode: u16, umask: u16, uid: u32, gids: Groups<1>, copy_sgid: u8,
    }

    /// `msgid:32 inode:32 name:NAME uid:32 gcnt:32 gcnt * [ gid:32 ]`
    /// `msgid:32 inode:32 name:NAME uid:32 gid:32` (single gid)
    FuseUnlink = 420 CLTOMA_FUSE_UNLINK { msgid: u32, parent: u32, name: Name, uid: u32, gids: Groups<0> }

    /// `msgid:32 inode:32 name:NAME uid:32 gcnt:32 gcnt * [ gid:32 ]`
    /// `msgid:32 inode:32 name:NAME uid:32 gid:32` (single gid)
    FuseRmdir = 422 CLTOMA_FUSE_RMDIR { msgid: u32, parent: u32, name: Name, uid: u32, gids: Groups<0> }

    /// `msgid:32 inode_src:32 name_src:NAME inode_dst:32 name_dst:NAME uid:32 gcnt:32 gcnt * [ gid:32 ]`
    /// `msgid:32 inode_src:32 name_src:NAME inode_dst:32 name_dst:NAME uid:32 gid:32` (single gid)
    FuseRename = 424 CLTOMA_FUSE_RENAME {
        msgid: u32, parent_src: u32, name_src: Name, parent_dst: u32, name_dst: Name, uid: u32, gids: Groups<0>,
    }

    /// `msgid:32 inode:32 inode_dst:32 name_dst:NAME uid:32 gcnt:32 gcnt * [ gid:32 ]`
    /// `msgid:32 inode:32 inode_dst:32 name_dst:NAME uid:32 gid:32` (single gid)
    FuseLink = 426 CLTOMA_FUSE_LINK { msgid: u32, inode: u32, parent_dst: u32, name_dst: Name, uid: u32, gids: Groups<0> }

    /// `msgid:32 inode:32 uid:32 gcnt:32 gcnt * [ gid:32 ] flags:8 maxentries:32 nedgeid:64`
    /// `msgid:32 inode:32 uid:32 gid:32 flags:8 maxentries:32 nedgeid:64` (single gid)
    FuseReaddir = 428 CLTOMA_FUSE_READDIR {
        msgid: u32, inode: u32, uid: u32, gids: Groups<13>, flags: u8, max_entries: u32, next_edge: u64,
    }

    /// `msgid:32 inode:32 uid:32 gcnt:32 gcnt * [ gid:32 ] flags:8`
    /// `msgid:32 inode:32 uid:32 gid:32 flags:8` (single gid)
    FuseOpen = 430 CLTOMA_FUSE_OPEN { msgid: u32, inode: u32, uid: u32, gids: Groups<1>, flags: u8 }

    /// `msgid:32 inode:32 flags:8 uid:32 gcnt:32 gcnt * [ gid:32 ] length:64` (version >= 3.0.25)
    /// `msgid:32 inode:32 flags:8 uid:32 gid:32 length:64` (single gid)
    FuseTruncate = 464 CLTOMA_FUSE_TRUNCATE { msgid: u32, inode: u32, flags: u8, uid: u32, gids: Groups<8>, length: u64 }

    /// `msgid:32 inode:32 nleng:8 name:nlengB mode:8 opened:8 uid:32 gcnt:32 gcnt * [ gid:32 ]` — empty name lists names; mode 1 asks for the length only
    /// `msgid:32 inode:32 nleng:8 name:nlengB mode:8 opened:8 uid:32 gid:32` (single gid)
    FuseGetxattr = 478 CLTOMA_FUSE_GETXATTR { msgid: u32, inode: u32, name: Name, mode: u8, opened: u8, uid: u32, gids: Groups<0> }

    /// `msgid:32 inode:32 nleng:8 name:8[NLENG] vleng:32 value:8[VLENG] mode:8 opened:8 uid:32 gcnt:32 gcnt * [ gid:32 ]` — mode 0 set, 1 create, 2 replace, 3 remove
    /// `msgid:32 inode:32 nleng:8 name:8[NLENG] vleng:32 value:8[VLENG] mode:8 opened:8 uid:32 gid:32` (single gid)
    FuseSetxattr = 480 CLTOMA_FUSE_SETXATTR {
        msgid: u32, inode: u32, name: Name, value: Bytes32, mode: u8, opened: u8, uid: u32, gids: Groups<0>,
    }

    /// `msgid:32 inode:32 name:NAME mode:16 umask:16 uid:32 gcnt:32 gcnt * [ gid:32 ]`
    /// `msgid:32 inode:32 name:NAME mode:16 umask:16 uid:32 gid:32` (single gid)
    FuseCreate = 482 CLTOMA_FUSE_CREATE { msgid: u32, parent: u32, name: Name, mode: u16, umask: u16, uid: u32, gids: Groups<0> }

    /// `msgid:32 inode:32 acltype:8` (version >= 3.0.92)
    /// `msgid:32 inode:32 acltype:8 opened:8 uid:32 gcnt:32 gcnt * [ gid:32 ]` (version < 3.0.92)
    FuseGetfacl = 488 CLTOMA_FUSE_GETFACL { msgid: u32, inode: u32, acl_type: u8, caller: Option<FaclCaller> }

    /// `msgid:32 inode:32 uid:32 acltype:8 userperm:16 groupperm:16 otherperm:16 mask:16 namedusers:16 namedgroups:16 namedusers * [ id:32 perm:16 ] namedgroups * [ id:32 perm:16 ]`
    FuseSetfacl = 490 CLTOMA_FUSE_SETFACL { msgid: u32, inode: u32, uid: u32, acl_type: u8, acl: crate::types::Acl }

    /// `msgid:32 inode:32 reqid:32 owner:64 cmd:8`
    FuseFlock = 492 CLTOMA_FUSE_FLOCK { msgid: u32, inode: u32, reqid: u32, owner: u64, cmd: u8 }

    /// `msgid:32 inode:32 reqid:32 owner:64 pid:32 cmd:8 type:8 start:64 end:64`
    FusePosixLock = 494 CLTOMA_FUSE_POSIX_LOCK {
        msgid: u32, inode: u32, reqid: u32, owner: u64, pid: u32, cmd: u8, kind: u8, start: u64, end: u64,
    }

    /// `msgid:32 inode:32`
    FuseFsync = 498 CLTOMA_FUSE_FSYNC { msgid: u32, inode: u32 }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::{decode_payload, Message};
    use crate::types::groups::NO_GROUP;

    #[test]
    fn getattr_caller_follows_the_length() {
        let short: FuseGetattr = decode_payload(&[0, 0, 0, 1, 0, 0, 0, 2], Ctx::default()).unwrap();
        assert_eq!(short.caller, GetattrCaller::Unknown);
        let bytes = [0, 0, 0, 1, 0, 0, 0, 2, 1, 0, 0, 0, 5, 0, 0, 0, 6];
        let full: FuseGetattr = decode_payload(&bytes, Ctx::default()).unwrap();
        let expected = GetattrCaller::Opened {
            opened: 1,
            uid: 5,
            gid: 6,
        };
        assert_eq!(full.caller, expected);
        assert!(decode_payload::<FuseGetattr>(&bytes[..12], Ctx::default()).is_err());
    }

    #[test]
    fn readdir_without_groups_carries_a_single_gid() {
        let mut bytes = vec![0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0];
        bytes.extend_from_slice(&NO_GROUP.to_be_bytes());
        bytes.push(getdir_flag::WITHATTR);
        bytes.extend_from_slice(&[0xff; 4]);
        bytes.extend_from_slice(&[0; 8]);
        let message: FuseReaddir = decode_payload(&bytes, Ctx::default()).unwrap();
        assert_eq!(message.gids, Groups::Single(NO_GROUP));
        assert_eq!(message.max_entries, u32::MAX);
        assert_eq!(&message.to_frame().payload[..], &bytes[..]);
    }
}
