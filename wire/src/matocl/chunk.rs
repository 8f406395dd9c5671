//! Answers about chunks, and what the master pushes to mounts on its own
//! (`MATOCL_FUSE_*` 433-441, 467-469, 702-706).

use std::net::Ipv4Addr;

use bytes::BytesMut;

use crate::codec::{malformed, Ctx, Parsed, Rest, Wire};
use crate::messages;
use crate::records;
use crate::types::{ChunkLocation, Reply, Status};

/// `check.type` of the per-chunk CHECK answer (`CHECK_*`).
pub mod check_type {
    pub const VALID: u8 = 0;
    pub const MARKED_FOR_REMOVAL: u8 = 1;
    pub const WRONG_VERSION: u8 = 2;
    pub const WV_AND_MFR: u8 = 3;
    pub const INVALID: u8 = 4;
}

records! {
    /// `ip:32 port:16 type:8` — one copy of a chunk, as CHECK lists it.
    ChunkCopy { ip: Ipv4Addr, port: u16, kind: u8 }

    /// `chunkid:64 version:32 N*[ ip:32 port:16 type:8 ]`
    ChunkCopies { chunkid: u64, version: u32, copies: Rest<ChunkCopy> }

    /// `notchanged:32 erased:32 repaired:32`
    RepairCounts { not_changed: u32, erased: u32, repaired: u32 }
}

/// What CHECK found, in the forms `mfsfileinfo` 3.0.117 reads.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(test, derive(proptest_derive::Arbitrary))]
pub enum CheckResult {
    /// `11*[ chunks:32 ]`: chunks with 0, 1, ... 10+ copies (1.6.23 - 3.0.29).
    Counts11([u32; 11]),
    /// `12*[ chunks:32 ]`: as above plus chunks with "empty" copies (since 3.0.30).
    Counts12([u32; 12]),
    /// The copies of the one chunk the request named by index.
    Chunk(ChunkCopies),
}

impl Wire for CheckResult {
    /// 44 and 48 bytes are the count tables; anything of 12 + 7N bytes is
    /// a chunk (neither 44 nor 48 has that form). The tools also accept a
    /// `N*[ copies:8 chunks:16 ]` form that only masters older than
    /// 1.6.23 sent; its 12- and 33-byte lengths collide with the chunk
    /// form, so it is not decoded.
    fn decode(input: &[u8], ctx: Ctx) -> Parsed<'_, Self> {
        match input.len() {
            44 => <[u32; 11]>::decode(input, ctx).map(|(r, c)| (r, CheckResult::Counts11(c))),
            48 => <[u32; 12]>::decode(input, ctx).map(|(r, c)| (r, CheckResult::Counts12(c))),
            n if n >= 12 && (n - 12) % 7 == 0 => {
                ChunkCopies::decode(input, ctx).map(|(r, c)| (r, CheckResult::Chunk(c)))
            }
            _ => Err(malformed(input)),
        }
    }

    fn encode(&self, out: &mut BytesMut) {
        match self {
            CheckResult::Counts11(counts) => counts.encode(out),
            CheckResult::Counts12(counts) => counts.encode(out),
            CheckResult::Chunk(copies) => copies.encode(out),
        }
    }
}

messages! {
    /// `msgid:32 status:8`
    /// `msgid:32 length:64 chunkid:64 version:32 N*[ ip:32 port:16 ]`
    /// `msgid:32 protocolid:8 length:64 chunkid:64 version:32 N * [ ip:32 port:16 cs_ver:32 ]` (protocolid==1)
    /// `msgid:32 protocolid:8 length:64 chunkid:64 version:32 N * [ ip:32 port:16 cs_ver:32 labelmask:32 ]` (protocolid==2, both sides >= 3.0.10)
    FuseReadChunkReply = 433 MATOCL_FUSE_READ_CHUNK { msgid: u32, reply: Reply<ChunkLocation> }

    /// `msgid:32 status:8`
    /// `msgid:32 length:64 chunkid:64 version:32 N*[ ip:32 port:16 ]`
    /// `msgid:32 protocolid:8 length:64 chunkid:64 version:32 N * [ ip:32 port:16 cs_ver:32 ]` (protocolid==1)
    /// `msgid:32 protocolid:8 length:64 chunkid:64 version:32 N * [ ip:32 port:16 cs_ver:32 labelmask:32 ]` (protocolid==2, both sides >= 3.0.10)
    FuseWriteChunkReply = 435 MATOCL_FUSE_WRITE_CHUNK { msgid: u32, reply: Reply<ChunkLocation> }

    /// `msgid:32 status:8`
    FuseWriteChunkEndReply = 437 MATOCL_FUSE_WRITE_CHUNK_END { msgid: u32, status: Status }

    /// `msgid:32 status:8`
    FuseAppendSliceReply = 439 MATOCL_FUSE_APPEND_SLICE { msgid: u32, status: Status }

    /// `msgid:32 status:8`
    /// `msgid:32 11*[ chunks:32 ]` (1.6.23 <= version < 3.0.30, no chunkindx)
    /// `msgid:32 12*[ chunks:32 ]` (version >= 3.0.30, no chunkindx)
    /// `msgid:32 chunkid:64 version:32 N*[ ip:32 port:16 type:8 ]` (chunkindx in the request)
    FuseCheckReply = 441 MATOCL_FUSE_CHECK { msgid: u32, reply: Reply<CheckResult> }

    /// `msgid:32 status:8`
    /// `msgid:32 notchanged:32 erased:32 repaired:32`
    FuseRepairReply = 467 MATOCL_FUSE_REPAIR { msgid: u32, reply: Reply<RepairCounts> }

    /// `msgid:32 status:8`
    FuseSnapshotReply = 469 MATOCL_FUSE_SNAPSHOT { msgid: u32, status: Status }

    /// `zero:32 inode:32 index:32 chunkid:64 version:32 fleng:64 truncateflag:8` — another mount wrote a chunk
    FuseChunkHasChanged = 702 MATOCL_FUSE_CHUNK_HAS_CHANGED {
        zero: u32, inode: u32, index: u32, chunkid: u64, version: u32, file_length: u64, truncated: u8,
    }

    /// `zero:32 inode:32 fleng:64` — another mount changed a file's length
    FuseFlengHasChanged = 703 MATOCL_FUSE_FLENG_HAS_CHANGED { zero: u32, inode: u32, file_length: u64 }

    /// `[ msgid:32 ] timestamp_useconds:64` — msgid present iff the request had one
    FuseTimeSyncReply = 705 MATOCL_FUSE_TIME_SYNC { stamp: TimeStamp }

    /// `zero:32` — drop every cached chunk location
    FuseInvalidateChunkCache = 706 MATOCL_FUSE_INVALIDATE_CHUNK_CACHE { zero: u32 }
}

/// TIME_SYNC's answer: 8 bytes, or 12 with the msgid first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(test, derive(proptest_derive::Arbitrary))]
pub struct TimeStamp {
    pub msgid: Option<u32>,
    /// Master's clock in microseconds since the epoch.
    pub micros: u64,
}

impl Wire for TimeStamp {
    fn decode(input: &[u8], ctx: Ctx) -> Parsed<'_, Self> {
        let (input, msgid) = if input.len() == 12 {
            let (input, msgid) = u32::decode(input, ctx)?;
            (input, Some(msgid))
        } else {
            (input, None)
        };
        let (input, micros) = u64::decode(input, ctx)?;
        Ok((input, TimeStamp { msgid, micros }))
    }
    fn encode(&self, out: &mut BytesMut) {
        self.msgid.encode(out);
        self.micros.encode(out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::{decode_payload, Message};
    use crate::types::chunk::Servers;

    #[test]
    fn check_forms_follow_the_length() {
        let mut bytes = vec![0, 0, 0, 1];
        bytes.extend_from_slice(&[0; 48]);
        let reply: FuseCheckReply = decode_payload(&bytes, Ctx::default()).unwrap();
        assert_eq!(reply.reply, Reply::Ok(CheckResult::Counts12([0; 12])));
        let reply: FuseCheckReply = decode_payload(&bytes[..48], Ctx::default()).unwrap();
        assert_eq!(reply.reply, Reply::Ok(CheckResult::Counts11([0; 11])));
        let reply: FuseCheckReply = decode_payload(&bytes[..4 + 19], Ctx::default()).unwrap();
        let Reply::Ok(CheckResult::Chunk(chunk)) = reply.reply else {
            panic!("not a chunk: {reply:?}");
        };
        assert_eq!(chunk.copies.0.len(), 1);
        assert!(decode_payload::<FuseCheckReply>(&bytes[..4 + 20], Ctx::default()).is_err());
    }

    #[test]
    fn read_chunk_status_and_protocol_forms() {
        let status: FuseReadChunkReply = decode_payload(&[0, 0, 0, 9, 8], Ctx::default()).unwrap();
        assert_eq!(status.reply, Reply::Status(Status::CHUNKLOST));
        let mut bytes = vec![0, 0, 0, 9, 1];
        bytes.extend_from_slice(&[0; 20]);
        bytes.extend_from_slice(&[10, 0, 0, 1, 0x24, 0xce, 0, 3, 0, 0xEA]);
        let reply: FuseReadChunkReply = decode_payload(&bytes, Ctx::default()).unwrap();
        let location = reply.reply.clone().ok().unwrap();
        assert!(matches!(location.servers, Servers::V1(ref list) if list[0].port == 9422));
        assert_eq!(
            location.servers.addresses(),
            vec![(Ipv4Addr::new(10, 0, 0, 1), 9422)]
        );
        assert_eq!(&reply.to_frame().payload[..], &bytes[..]);
    }

    #[test]
    fn time_sync_msgid_follows_the_length() {
        let with: FuseTimeSyncReply =
            decode_payload(&[0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 2], Ctx::default()).unwrap();
        assert_eq!(
            with.stamp,
            TimeStamp {
                msgid: Some(1),
                micros: 2
            }
        );
        let without: FuseTimeSyncReply =
            decode_payload(&[0, 0, 0, 0, 0, 0, 0, 2], Ctx::default()).unwrap();
        assert_eq!(without.stamp.msgid, None);
    }
}
