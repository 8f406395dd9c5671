//! Answers to node and directory-entry requests (`MATOCL_FUSE_*` 403-431,
//! 465, 479-499 except the chunk ones).
//!
//! Where several layouts exist, `mfsmount` 3.0.117 chooses by the payload
//! length (after the msgid, with the attribute record size it negotiated
//! at register), and the types below do the same with `ctx.peer_version`.

use bytes::BytesMut;

use crate::codec::{malformed, Bytes32, Ctx, Name, Parsed, Rest, Tail, Wire};
use crate::message::{decode_named, DecodeError};
use crate::messages;
use crate::records;
use crate::types::chunk::LabeledServer;
use crate::types::{Acl, Attr, Reply, Status};

/// `lflags` bits of LOOKUP (`LOOKUP_*`).
pub mod lookup_flag {
    pub const ACCESS_BITS: u16 = 0x38FF;
    pub const CHUNK_ZERO_DATA: u16 = 0x0100;
    pub const RO_FILESYSTEM: u16 = 0x0200;
    pub const KEEPCACHE: u16 = 0x0400;
    pub const IMMUTABLE: u16 = 0x0800;
    pub const DIRECTMODE: u16 = 0x1000;
    pub const APPENDONLY: u16 = 0x2000;
}

records! {
    /// `totalspace:64 availspace:64 trashspace:64 sustainedspace:64 inodes:32`
    OldStatfs { total: u64, avail: u64, trash: u64, sustained: u64, inodes: u32 }

    /// `totalspace:64 availspace:64 freespace:64 trashspace:64 sustainedspace:64 inodes:32`
    Statfs { total: u64, avail: u64, free: u64, trash: u64, sustained: u64, inodes: u32 }

    /// `inode:32 attr:ATTR`
    NodeAttr { inode: u32, attr: Attr }

    /// `protocolid:8 chunkid:64 version:32 N * [ ip:32 port:16 cs_ver:32 labelmask:32 ]`
    /// — chunk 0 of a small file, so the mount can read it without asking again.
    ZeroChunk { protocol_id: u8, chunkid: u64, version: u32, servers: Rest<LabeledServer> }

    /// `lflags:16 [ protocolid:8 chunkid:64 version:32 N * [ ... ] ]` (both sides >= 3.0.40)
    LookupExtra { lflags: u16, chunk: Option<ZeroChunk> }

    /// `inode:32 attr:ATTR [ lflags:16 [ chunk 0 ] ]`
    Lookup { inode: u32, attr: Attr, extra: Option<LookupExtra> }

    /// `pid:32 type:8 start:64 end:64` — the lock that blocks the one asked about.
    PosixLockInfo { pid: u32, kind: u8, start: u64, end: u64 }
}

/// STATFS answer; 36 bytes before 3.0.102, 44 (with `freespace`) since.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(test, derive(proptest_derive::Arbitrary))]
pub enum StatfsReply {
    Old(OldStatfs),
    Current(Statfs),
}

impl Wire for StatfsReply {
    fn decode(input: &[u8], ctx: Ctx) -> Parsed<'_, Self> {
        match input.len() {
            36 => OldStatfs::decode(input, ctx).map(|(r, s)| (r, StatfsReply::Old(s))),
            44 => Statfs::decode(input, ctx).map(|(r, s)| (r, StatfsReply::Current(s))),
            _ => Err(malformed(input)),
        }
    }
    fn encode(&self, out: &mut BytesMut) {
        match self {
            StatfsReply::Old(s) => s.encode(out),
            StatfsReply::Current(s) => s.encode(out),
        }
    }
}

/// Size of the attribute record the peer uses; a field in front of it that
/// only newer clients get is present iff the bytes left make room for it.
fn attr_size(ctx: Ctx) -> usize {
    Attr::record_size(ctx.peer_version)
}

/// OPEN answer: `[ flags:8 ] attr:ATTR` (flags since 3.0.113).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(test, derive(proptest_derive::Arbitrary))]
pub struct Opened {
    pub flags: Option<u8>,
    pub attr: Attr,
}

impl Wire for Opened {
    fn decode(input: &[u8], ctx: Ctx) -> Parsed<'_, Self> {
        let (input, flags) = if input.len() == attr_size(ctx) + 1 {
            u8::decode(input, ctx).map(|(r, f)| (r, Some(f)))?
        } else {
            (input, None)
        };
        let (input, attr) = Attr::decode(input, ctx)?;
        Ok((input, Opened { flags, attr }))
    }
    fn encode(&self, out: &mut BytesMut) {
        self.flags.encode(out);
        self.attr.encode(out);
    }
}

/// CREATE answer: `[ flags:8 ] inode:32 attr:ATTR` (flags since 3.0.113).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(test, derive(proptest_derive::Arbitrary))]
pub struct Created {
    pub flags: Option<u8>,
    pub inode: u32,
    pub attr: Attr,
}

impl Wire for Created {
    fn decode(input: &[u8], ctx: Ctx) -> Parsed<'_, Self> {
        let (input, flags) = if input.len() == attr_size(ctx) + 5 {
            u8::decode(input, ctx).map(|(r, f)| (r, Some(f)))?
        } else {
            (input, None)
        };
        let (input, inode) = u32::decode(input, ctx)?;
        let (input, attr) = Attr::decode(input, ctx)?;
        Ok((input, Created { flags, inode, attr }))
    }
    fn encode(&self, out: &mut BytesMut) {
        self.flags.encode(out);
        self.inode.encode(out);
        self.attr.encode(out);
    }
}

/// TRUNCATE answer: `[ prevsize:64 ] attr:ATTR` (prevsize since 3.0.113).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(test, derive(proptest_derive::Arbitrary))]
pub struct Truncated {
    pub previous_length: Option<u64>,
    pub attr: Attr,
}

impl Wire for Truncated {
    fn decode(input: &[u8], ctx: Ctx) -> Parsed<'_, Self> {
        let (input, previous_length) = if input.len() == attr_size(ctx) + 8 {
            u64::decode(input, ctx).map(|(r, p)| (r, Some(p)))?
        } else {
            (input, None)
        };
        let (input, attr) = Attr::decode(input, ctx)?;
        Ok((
            input,
            Truncated {
                previous_length,
                attr,
            },
        ))
    }
    fn encode(&self, out: &mut BytesMut) {
        self.previous_length.encode(out);
        self.attr.encode(out);
    }
}

/// GETXATTR answer: the value's length alone (request mode 1) or the value.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(test, derive(proptest_derive::Arbitrary))]
pub enum XattrValue {
    /// `vleng:32`; an empty value reads back as `Length(0)`, the same bytes.
    Length(u32),
    /// `vleng:32 value:vlengB`, never empty.
    #[cfg_attr(test, proptest(strategy = "non_empty_value()"))]
    Value(Bytes32),
}

#[cfg(test)]
fn non_empty_value() -> impl proptest::strategy::Strategy<Value = XattrValue> {
    use proptest::prelude::*;
    proptest::collection::vec(any::<u8>(), 1..40)
        .prop_map(|bytes| XattrValue::Value(Bytes32::new(bytes)))
}

impl Wire for XattrValue {
    fn decode(input: &[u8], ctx: Ctx) -> Parsed<'_, Self> {
        if input.len() == 4 {
            return u32::decode(input, ctx).map(|(r, n)| (r, XattrValue::Length(n)));
        }
        Bytes32::decode(input, ctx).map(|(r, v)| (r, XattrValue::Value(v)))
    }
    fn encode(&self, out: &mut BytesMut) {
        match self {
            XattrValue::Length(n) => n.encode(out),
            XattrValue::Value(v) => v.encode(out),
        }
    }
}

records! {
    /// `name:NAME inode:32 type:8` — a READDIR entry without attributes.
    DirEntry { name: Name, inode: u32, kind: u8 }

    /// `name:NAME inode:32 attr:ATTR` — a READDIR entry with attributes.
    DirEntryAttr { name: Name, inode: u32, attr: Attr }
}

/// READDIR entries, in the shape the request's flags chose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DirEntries {
    Plain(Vec<DirEntry>),
    WithAttr(Vec<DirEntryAttr>),
}

/// A decoded READDIR answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Directory {
    /// Where to continue; present iff the request carried `maxentries`.
    pub next_edge: Option<u64>,
    pub entries: DirEntries,
}

messages! {
    /// `msgid:32 status:8`
    /// `msgid:32 totalspace:64 availspace:64 trashspace:64 sustainedspace:64 inodes:32` (version < 3.0.102)
    /// `msgid:32 totalspace:64 availspace:64 freespace:64 trashspace:64 sustainedspace:64 inodes:32`
    FuseStatfsReply = 403 MATOCL_FUSE_STATFS { msgid: u32, reply: Reply<StatfsReply> }

    /// `msgid:32 status:8`
    FuseAccessReply = 405 MATOCL_FUSE_ACCESS { msgid: u32, status: Status }

    /// `msgid:32 status:8`
    /// `msgid:32 inode:32 attr:ATTR` (master or client < 3.0.40)
    /// `msgid:32 inode:32 attr:ATTR lflags:16 [ protocolid:8 chunkid:64 version:32 N * [ ip:32 port:16 cs_ver:32 labelmask:32 ] ]` (both >= 3.0.40; chunk 0 data iff LOOKUP_CHUNK_ZERO_DATA)
    FuseLookupReply = 407 MATOCL_FUSE_LOOKUP { msgid: u32, reply: Reply<Lookup> }

    /// `msgid:32 status:8`
    /// `msgid:32 attr:ATTR`
    FuseGetattrReply = 409 MATOCL_FUSE_GETATTR { msgid: u32, reply: Reply<Attr> }

    /// `msgid:32 status:8`
    /// `msgid:32 attr:ATTR`
    FuseSetattrReply = 411 MATOCL_FUSE_SETATTR { msgid: u32, reply: Reply<Attr> }

    /// `msgid:32 status:8`
    /// `msgid:32 length:32 path:lengthB`
    FuseReadlinkReply = 413 MATOCL_FUSE_READLINK { msgid: u32, reply: Reply<Bytes32> }

    /// `msgid:32 status:8`
    /// `msgid:32 inode:32 attr:ATTR`
    FuseSymlinkReply = 415 MATOCL_FUSE_SYMLINK { msgid: u32, reply: Reply<NodeAttr> }

    /// `msgid:32 status:8`
    /// `msgid:32 inode:32 attr:ATTR`
    FuseMknodReply = 417 MATOCL_FUSE_MKNOD { msgid: u32, reply: Reply<NodeAttr> }

    /// `msgid:32 status:8`
    /// `msgid:32 inode:32 attr:ATTR`
    FuseMkdirReply = 419 MATOCL_FUSE_MKDIR { msgid: u32, reply: Reply<NodeAttr> }

    /// `msgid:32 status:8`
    /// `msgid:32 inode:32` (since 3.0.107, after a successful remove)
    FuseUnlinkReply = 421 MATOCL_FUSE_UNLINK { msgid: u32, reply: Reply<u32> }

    /// `msgid:32 status:8`
    /// `msgid:32 inode:32` (since 3.0.107, after a successful remove)
    FuseRmdirReply = 423 MATOCL_FUSE_RMDIR { msgid: u32, reply: Reply<u32> }

    /// `msgid:32 status:8`
    /// `msgid:32 inode:32 attr:ATTR` (since 1.6.21, after a successful rename)
    FuseRenameReply = 425 MATOCL_FUSE_RENAME { msgid: u32, reply: Reply<NodeAttr> }

    /// `msgid:32 status:8`
    /// `msgid:32 inode:32 attr:ATTR`
    FuseLinkReply = 427 MATOCL_FUSE_LINK { msgid: u32, reply: Reply<NodeAttr> }

    /// `msgid:32 status:8`
    /// `msgid:32 [ nedgeid:64 ] N*[ name:NAME inode:32 type:8 ]` (GETDIR_FLAG_WITHATTR not set)
    /// `msgid:32 [ nedgeid:64 ] N*[ name:NAME inode:32 attr:ATTR ]` (GETDIR_FLAG_WITHATTR set; nedgeid iff the request had maxentries)
    FuseReaddirReply = 429 MATOCL_FUSE_READDIR { msgid: u32, reply: Reply<Tail> }

    /// `msgid:32 status:8`
    /// `msgid:32 attr:ATTR` (version < 3.0.113)
    /// `msgid:32 flags:8 attr:ATTR` (version >= 3.0.113)
    FuseOpenReply = 431 MATOCL_FUSE_OPEN { msgid: u32, reply: Reply<Opened> }

    /// `msgid:32 status:8`
    /// `msgid:32 attr:ATTR` (version < 3.0.113)
    /// `msgid:32 prevsize:64 attr:ATTR` (version >= 3.0.113)
    FuseTruncateReply = 465 MATOCL_FUSE_TRUNCATE { msgid: u32, reply: Reply<Truncated> }

    /// `msgid:32 status:8`
    /// `msgid:32 vleng:32` (request mode 1: length only)
    /// `msgid:32 vleng:32 value:vlengB`
    FuseGetxattrReply = 479 MATOCL_FUSE_GETXATTR { msgid: u32, reply: Reply<XattrValue> }

    /// `msgid:32 status:8`
    FuseSetxattrReply = 481 MATOCL_FUSE_SETXATTR { msgid: u32, status: Status }

    /// `msgid:32 status:8`
    /// `msgid:32 inode:32 attr:ATTR` (version < 3.0.113)
    /// `msgid:32 flags:8 inode:32 attr:ATTR` (version >= 3.0.113)
    FuseCreateReply = 483 MATOCL_FUSE_CREATE { msgid: u32, reply: Reply<Created> }

    /// `msgid:32 status:8`
    /// `msgid:32 userperm:16 groupperm:16 otherperm:16 mask:16 namedusers:16 namedgroups:16 namedusers * [ id:32 perm:16 ] namedgroups * [ id:32 perm:16 ]`
    FuseGetfaclReply = 489 MATOCL_FUSE_GETFACL { msgid: u32, reply: Reply<Acl> }

    /// `msgid:32 status:8`
    FuseSetfaclReply = 491 MATOCL_FUSE_SETFACL { msgid: u32, status: Status }

    /// `msgid:32 status:8`
    FuseFlockReply = 493 MATOCL_FUSE_FLOCK { msgid: u32, status: Status }

    /// `msgid:32 status:8` (cmd != POSIX_LOCK_CMD_GET || status != STATUS_OK)
    /// `msgid:32 pid:32 type:8 start:64 end:64` (cmd == POSIX_LOCK_CMD_GET && status == STATUS_OK)
    FusePosixLockReply = 495 MATOCL_FUSE_POSIX_LOCK { msgid: u32, reply: Reply<PosixLockInfo> }

    /// `msgid:32 status:8`
    FuseFsyncReply = 499 MATOCL_FUSE_FSYNC { msgid: u32, status: Status }
}

impl FuseReaddirReply {
    /// Builds a successful answer in the shape `directory` describes.
    pub fn new(msgid: u32, directory: &Directory) -> Self {
        let mut out = BytesMut::new();
        directory.next_edge.encode(&mut out);
        match &directory.entries {
            DirEntries::Plain(list) => list.iter().for_each(|e| e.encode(&mut out)),
            DirEntries::WithAttr(list) => list.iter().for_each(|e| e.encode(&mut out)),
        }
        FuseReaddirReply {
            msgid,
            reply: Reply::Ok(Tail(out.freeze())),
        }
    }

    /// Reads the entries given what the request asked for: `with_attr` is
    /// `GETDIR_FLAG_WITHATTR`, `with_edge` whether it carried `maxentries`.
    pub fn parse(
        &self,
        with_attr: bool,
        with_edge: bool,
        ctx: Ctx,
    ) -> Result<Reply<Directory>, DecodeError> {
        let body = match &self.reply {
            Reply::Status(status) => return Ok(Reply::Status(*status)),
            Reply::Ok(body) => &body.0[..],
        };
        let name = "MATOCL_FUSE_READDIR";
        let (body, next_edge) = if with_edge {
            let (rest, edge) = u64::decode(body, ctx).map_err(|_| DecodeError::Malformed {
                message: name,
                offset: 4,
                len: body.len() + 4,
            })?;
            (rest, Some(edge))
        } else {
            (body, None)
        };
        let entries = if with_attr {
            DirEntries::WithAttr(decode_named::<Rest<DirEntryAttr>>(name, body, ctx)?.0)
        } else {
            DirEntries::Plain(decode_named::<Rest<DirEntry>>(name, body, ctx)?.0)
        };
        Ok(Reply::Ok(Directory { next_edge, entries }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::{decode_payload, Message};
    use crate::types::node_type;
    use crate::version::Version;

    fn attr() -> Attr {
        Attr {
            kind: node_type::FILE,
            mode: 0o644,
            nlink: 1,
            winattr: Some(0),
            ..Attr::default()
        }
    }

    #[test]
    fn readdir_is_parsed_as_the_request_asked() {
        let directory = Directory {
            next_edge: Some(0),
            entries: DirEntries::WithAttr(vec![DirEntryAttr {
                name: Name::new(&b"a"[..]),
                inode: 2,
                attr: attr(),
            }]),
        };
        let reply = FuseReaddirReply::new(1, &directory);
        let back: FuseReaddirReply =
            decode_payload(&reply.to_frame().payload, Ctx::default()).unwrap();
        let wanted = Ok(Reply::Ok(directory));
        assert_eq!(back.parse(true, true, Ctx::default()), wanted);
        assert_ne!(back.parse(false, true, Ctx::default()), wanted);

        let plain = Directory {
            next_edge: None,
            entries: DirEntries::Plain(vec![DirEntry {
                name: Name::new(&b"b"[..]),
                inode: 3,
                kind: b'f',
            }]),
        };
        let reply = FuseReaddirReply::new(1, &plain);
        assert_eq!(
            reply.parse(false, false, Ctx::default()),
            Ok(Reply::Ok(plain))
        );
    }

    #[test]
    fn posix_lock_get_answer_is_told_from_a_status_by_length() {
        let status: FusePosixLockReply = decode_payload(&[0, 0, 0, 1, 0], Ctx::default()).unwrap();
        assert_eq!(status.reply, Reply::Status(Status::OK));
        let mut bytes = vec![0, 0, 0, 1, 0, 0, 0, 42, 2];
        bytes.extend_from_slice(&[0; 8]);
        bytes.extend_from_slice(&[0xff; 8]);
        let get: FusePosixLockReply = decode_payload(&bytes, Ctx::default()).unwrap();
        let info = get.reply.ok().unwrap();
        assert_eq!((info.pid, info.kind, info.end), (42, 2, u64::MAX));
    }

    #[test]
    fn open_flags_and_truncate_prevsize_follow_the_length() {
        let mut out = BytesMut::new();
        attr().encode(&mut out);
        let old = Opened::decode(&out, Ctx::default()).unwrap().1;
        assert_eq!(old.flags, None);
        let mut with_flags = vec![3];
        with_flags.extend_from_slice(&out);
        assert_eq!(
            Opened::decode(&with_flags, Ctx::default()).unwrap().1.flags,
            Some(3)
        );

        let mut truncated = vec![0, 0, 0, 0, 0, 0, 0, 9];
        truncated.extend_from_slice(&out);
        let t = Truncated::decode(&truncated, Ctx::default()).unwrap().1;
        assert_eq!(t.previous_length, Some(9));

        let old_peer = Ctx {
            peer_version: Version::new(3, 0, 90),
        };
        let old_attr = Attr {
            winattr: None,
            ..attr()
        };
        let mut out = BytesMut::new();
        3u8.encode(&mut out);
        old_attr.encode(&mut out);
        let opened = Opened::decode(&out, old_peer).unwrap().1;
        assert_eq!((opened.flags, opened.attr), (Some(3), old_attr));
    }

    #[test]
    fn lookup_extras_nest() {
        let mut bytes = vec![0, 0, 0, 1, 0, 0, 0, 5];
        let mut out = BytesMut::new();
        attr().encode(&mut out);
        bytes.extend_from_slice(&out);
        let plain: FuseLookupReply = decode_payload(&bytes, Ctx::default()).unwrap();
        assert_eq!(plain.reply.clone().ok().unwrap().extra, None);
        bytes.extend_from_slice(&lookup_flag::CHUNK_ZERO_DATA.to_be_bytes());
        bytes.push(2);
        bytes.extend_from_slice(&[0; 12]);
        bytes.extend_from_slice(&[10, 0, 0, 1, 0x24, 0xce, 0, 3, 0, 0xEA, 0, 0, 0, 1]);
        let full: FuseLookupReply = decode_payload(&bytes, Ctx::default()).unwrap();
        let extra = full.reply.clone().ok().unwrap().extra.unwrap();
        assert_eq!(extra.lflags, lookup_flag::CHUNK_ZERO_DATA);
        assert_eq!(extra.chunk.unwrap().servers.0.len(), 1);
        assert_eq!(&full.to_frame().payload[..], &bytes[..]);
    }

    #[test]
    fn xattr_length_only_and_value() {
        let len: FuseGetxattrReply =
            decode_payload(&[0, 0, 0, 1, 0, 0, 0, 9], Ctx::default()).unwrap();
        assert_eq!(len.reply, Reply::Ok(XattrValue::Length(9)));
        let value: FuseGetxattrReply =
            decode_payload(&[0, 0, 0, 1, 0, 0, 0, 1, b'x'], Ctx::default()).unwrap();
        assert_eq!(
            value.reply,
            Reply::Ok(XattrValue::Value(Bytes32::new(&b"x"[..])))
        );
    }
}
