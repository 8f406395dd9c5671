//! Answers to the `mfs*` tools and the meta mount (`MATOCL_FUSE_*`
//! 443-463, 471-477, 485-487, 497).

use bytes::BytesMut;

use crate::codec::{malformed, Bytes32, Ctx, Name, Parsed, Rest, Wire};
use crate::messages;
use crate::records;
use crate::types::quota::QuotaState;
use crate::types::{Attr, Reply, Status, Tally};

/// Marks a storage class given by name in GETSCLASS records.
const NAMED_CLASS: u8 = 0xFF;

records! {
    /// `trashtime:32 count:32`
    TrashtimeCount { trashtime: u32, count: u32 }

    /// `eattr:8 count:32`
    EattrCount { eattr: u8, count: u32 }

    /// `changed:32 notchanged:32 notpermitted:32`
    ChangeCounts { changed: u32, not_changed: u32, not_permitted: u32 }

    /// `changed:32 notchanged:32 notpermitted:32 [ quotaexceeded:32 ]`
    SclassChangeCounts { changed: u32, not_changed: u32, not_permitted: u32, quota_exceeded: Option<u32> }

    /// `name:NAME inode:32` — an entry of the trash or sustained list.
    DetachedEntry { name: Name, inode: u32 }

    /// `inodes:32 dirs:32 files:32 chunks:32 length:64 size:64 gsize:64`
    DirStats { inodes: u32, dirs: u32, files: u32, chunks: u32, length: u64, size: u64, real_size: u64 }

    /// `inodes:32 dirs:32 files:32 ugfiles:32 mfiles:32 chunks:32 ugchunks:32 mchunks:32 length:64 size:64 gsize:64`
    OldDirStats {
        inodes: u32, dirs: u32, files: u32, undergoal_files: u32, missing_files: u32,
        chunks: u32, undergoal_chunks: u32, missing_chunks: u32, length: u64, size: u64, real_size: u64,
    }

    /// `archchunks:64 notarchchunks:64 archinodes:32 partialinodes:32 notarchinodes:32`
    ArchState { arch_chunks: u64, not_arch_chunks: u64, arch_inodes: u32, partial_inodes: u32, not_arch_inodes: u32 }

    /// `chunkschanged:64 chunksnotchanged:64 inodesnotpermitted:32`
    ArchChange { chunks_changed: u64, chunks_not_changed: u64, inodes_not_permitted: u32 }
}

/// One GETSCLASS record: `goal:8 count:32` or `0xFF:8 storage_class:NAME count:32`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(test, derive(proptest_derive::Arbitrary))]
pub enum SclassCount {
    /// A simple goal class (never 0xFF).
    Goal {
        #[cfg_attr(test, proptest(strategy = "0u8..0xFF"))]
        goal: u8,
        count: u32,
    },
    Named {
        name: Name,
        count: u32,
    },
}

impl Wire for SclassCount {
    fn decode(input: &[u8], ctx: Ctx) -> Parsed<'_, Self> {
        let (input, goal) = u8::decode(input, ctx)?;
        if goal != NAMED_CLASS {
            let (input, count) = u32::decode(input, ctx)?;
            return Ok((input, SclassCount::Goal { goal, count }));
        }
        let (input, name) = Name::decode(input, ctx)?;
        let (input, count) = u32::decode(input, ctx)?;
        Ok((input, SclassCount::Named { name, count }))
    }
    fn encode(&self, out: &mut BytesMut) {
        match self {
            SclassCount::Goal { goal, count } => {
                goal.encode(out);
                count.encode(out);
            }
            SclassCount::Named { name, count } => {
                NAMED_CLASS.encode(out);
                name.encode(out);
                count.encode(out);
            }
        }
    }
}

/// GETDIRSTATS answer, 40 bytes now, 56 in the deprecated form.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(test, derive(proptest_derive::Arbitrary))]
pub enum DirStatsReply {
    Current(DirStats),
    Old(OldDirStats),
}

impl Wire for DirStatsReply {
    fn decode(input: &[u8], ctx: Ctx) -> Parsed<'_, Self> {
        match input.len() {
            40 => DirStats::decode(input, ctx).map(|(r, s)| (r, DirStatsReply::Current(s))),
            56 => OldDirStats::decode(input, ctx).map(|(r, s)| (r, DirStatsReply::Old(s))),
            _ => Err(malformed(input)),
        }
    }
    fn encode(&self, out: &mut BytesMut) {
        match self {
            DirStatsReply::Current(s) => s.encode(out),
            DirStatsReply::Old(s) => s.encode(out),
        }
    }
}

/// ARCHCTL answer: 28 bytes for GET, 20 for SET and CLR.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(test, derive(proptest_derive::Arbitrary))]
pub enum ArchctlReply {
    Get(ArchState),
    Changed(ArchChange),
}

impl Wire for ArchctlReply {
    fn decode(input: &[u8], ctx: Ctx) -> Parsed<'_, Self> {
        match input.len() {
            28 => ArchState::decode(input, ctx).map(|(r, s)| (r, ArchctlReply::Get(s))),
            20 => ArchChange::decode(input, ctx).map(|(r, s)| (r, ArchctlReply::Changed(s))),
            _ => Err(malformed(input)),
        }
    }
    fn encode(&self, out: &mut BytesMut) {
        match self {
            ArchctlReply::Get(s) => s.encode(out),
            ArchctlReply::Changed(s) => s.encode(out),
        }
    }
}

messages! {
    /// `msgid:32 status:8`
    /// `msgid:32 tfiles:32 tdirs:32 tfiles*[ trashtime:32 files:32 ] tdirs*[ trashtime:32 dirs:32 ]` (files first, as the master writes it)
    FuseGettrashtimeReply = 443 MATOCL_FUSE_GETTRASHTIME { msgid: u32, reply: Reply<Tally<u32, TrashtimeCount>> }

    /// `msgid:32 status:8`
    /// `msgid:32 changed:32 notchanged:32 notpermitted:32`
    FuseSettrashtimeReply = 445 MATOCL_FUSE_SETTRASHTIME { msgid: u32, reply: Reply<ChangeCounts> }

    /// `msgid:32 status:8`
    /// `msgid:32 gfiles:8 gdirs:8 gfiles*[ goal:8 files:32 | 0xFF:8 storage_class:NAME files:32 ] gdirs*[ goal:8 dirs:32 | 0xFF:8 storage_class:NAME dirs:32 ]` (version >= 3.0.75, files first)
    FuseGetsclassReply = 447 MATOCL_FUSE_GETSCLASS { msgid: u32, reply: Reply<Tally<u8, SclassCount>> }

    /// `msgid:32 status:8`
    /// `msgid:32 changed:32 notchanged:32 notpermitted:32 [ quotaexceeded:32 ]`
    FuseSetsclassReply = 449 MATOCL_FUSE_SETSCLASS { msgid: u32, reply: Reply<SclassChangeCounts> }

    /// `msgid:32 status:8`
    /// `msgid:32 N*[ name:NAME inode:32 ]`
    FuseGettrashReply = 451 MATOCL_FUSE_GETTRASH { msgid: u32, reply: Reply<Rest<DetachedEntry>> }

    /// `msgid:32 status:8`
    /// `msgid:32 attr:ATTR`
    FuseGetdetachedattrReply = 453 MATOCL_FUSE_GETDETACHEDATTR { msgid: u32, reply: Reply<Attr> }

    /// `msgid:32 status:8`
    /// `msgid:32 length:32 path:lengthB`
    FuseGettrashpathReply = 455 MATOCL_FUSE_GETTRASHPATH { msgid: u32, reply: Reply<Bytes32> }

    /// `msgid:32 status:8`
    FuseSettrashpathReply = 457 MATOCL_FUSE_SETTRASHPATH { msgid: u32, status: Status }

    /// `msgid:32 status:8`
    FuseUndelReply = 459 MATOCL_FUSE_UNDEL { msgid: u32, status: Status }

    /// `msgid:32 status:8`
    FusePurgeReply = 461 MATOCL_FUSE_PURGE { msgid: u32, status: Status }

    /// `msgid:32 status:8`
    /// `msgid:32 inodes:32 dirs:32 files:32 chunks:32 length:64 size:64 gsize:64`
    /// `msgid:32 inodes:32 dirs:32 files:32 ugfiles:32 mfiles:32 chunks:32 ugchunks:32 mchunks:32 length:64 size:64 gsize:64` (deprecated)
    FuseGetdirstatsReply = 463 MATOCL_FUSE_GETDIRSTATS { msgid: u32, reply: Reply<DirStatsReply> }

    /// `msgid:32 status:8`
    /// `msgid:32 N*[ name:NAME inode:32 ]`
    FuseGetsustainedReply = 471 MATOCL_FUSE_GETSUSTAINED { msgid: u32, reply: Reply<Rest<DetachedEntry>> }

    /// `msgid:32 status:8`
    /// `msgid:32 eattrfiles:8 eattrdirs:8 eattrfiles*[ eattr:8 files:32 ] eattrdirs*[ eattr:8 dirs:32 ]` (files first)
    FuseGeteattrReply = 473 MATOCL_FUSE_GETEATTR { msgid: u32, reply: Reply<Tally<u8, EattrCount>> }

    /// `msgid:32 status:8`
    /// `msgid:32 changed:32 notchanged:32 notpermitted:32`
    FuseSeteattrReply = 475 MATOCL_FUSE_SETEATTR { msgid: u32, reply: Reply<ChangeCounts> }

    /// `msgid:32 status:8`
    /// `msgid:32 qflags:8 sinodes:32 slength:64 ssize:64 srealsize:64 hinodes:32 hlength:64 hsize:64 hrealsize:64 curinodes:32 curlength:64 cursize:64 currealsize:64`
    /// `msgid:32 qflags:8 graceperiod:32 sinodes:32 ... currealsize:64` — when the request carried a grace period
    FuseQuotacontrolReply = 477 MATOCL_FUSE_QUOTACONTROL { msgid: u32, reply: Reply<QuotaState> }

    /// `msgid:32 status:8`
    /// `msgid:32 N*[ inode:32 ]`
    FuseParentsReply = 485 MATOCL_FUSE_PARENTS { msgid: u32, reply: Reply<Rest<u32>> }

    /// `msgid:32 status:8`
    /// `msgid:32 N*[ length:32 path:lengthB ]`
    FusePathsReply = 487 MATOCL_FUSE_PATHS { msgid: u32, reply: Reply<Rest<Bytes32>> }

    /// `msgid:32 status:8`
    /// `msgid:32 archchunks:64 notarchchunks:64 archinodes:32 partialinodes:32 notarchinodes:32` (cmd==ARCHCTL_GET)
    /// `msgid:32 chunkschanged:64 chunksnotchanged:64 inodesnotpermitted:32` (cmd==ARCHCTL_SET or cmd==ARCHCTL_CLR)
    FuseArchctlReply = 497 MATOCL_FUSE_ARCHCTL { msgid: u32, reply: Reply<ArchctlReply> }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::{decode_payload, Message};

    #[test]
    fn getsclass_mixes_goals_and_named_classes_files_first() {
        let bytes = [
            0, 0, 0, 7, // msgid
            1, 1, // one file record, one directory record
            2, 0, 0, 0, 5, // files: goal 2, 5 files
            0xFF, 3, b's', b's', b'd', 0, 0, 0, 1, // dirs: class "ssd", 1 dir
        ];
        let reply: FuseGetsclassReply = decode_payload(&bytes, Ctx::default()).unwrap();
        let tally = reply.reply.clone().ok().unwrap();
        assert_eq!(tally.files, vec![SclassCount::Goal { goal: 2, count: 5 }]);
        assert_eq!(
            tally.dirs,
            vec![SclassCount::Named {
                name: Name::new(&b"ssd"[..]),
                count: 1
            }]
        );
        assert_eq!(&reply.to_frame().payload[..], &bytes[..]);
    }

    #[test]
    fn archctl_answer_form_follows_the_length() {
        let mut bytes = vec![0, 0, 0, 1];
        bytes.extend_from_slice(&[0; 20]);
        let set: FuseArchctlReply = decode_payload(&bytes, Ctx::default()).unwrap();
        assert!(matches!(set.reply, Reply::Ok(ArchctlReply::Changed(_))));
        bytes.extend_from_slice(&[0; 8]);
        let get: FuseArchctlReply = decode_payload(&bytes, Ctx::default()).unwrap();
        assert!(matches!(get.reply, Reply::Ok(ArchctlReply::Get(_))));
    }

    #[test]
    fn setsclass_quota_count_is_optional() {
        let bytes = [0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3];
        let reply: FuseSetsclassReply = decode_payload(&bytes, Ctx::default()).unwrap();
        assert_eq!(reply.reply.ok().unwrap().quota_exceeded, None);
    }
}
