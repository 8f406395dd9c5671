//! The master's answers to the admin queries of [`crate::cltoma_info`].
//!
//! Rules for answers whose layout the bytes alone do not fix:
//! - chosen by size (MATOCL_INFO, FSTEST_INFO, CHUNKS_MATRIX, MISSING_CHUNKS,
//!   CSSERV_COMMAND, SESSION_COMMAND): decoded by size, as mfscli does;
//! - chosen by a request byte the answer does not repeat (SESSION_LIST,
//!   EXPORTS_INFO, LIST_OPEN_FILES, LIST_ACQUIRED_LOCKS): typed for the
//!   request mfscli 3.0.117 sends to a 3.0.117 master, kept raw when the
//!   bytes do not have that shape, and re-readable for any other request
//!   with the `parse_for` methods;
//! - NODE_INFO: its only 3.0.117 sender (mfstools) always sends a msgid, so
//!   the answer is read with one.

use bytes::BytesMut;

use crate::cltoma_info;
use crate::codec::{malformed, Ctx, Parsed, Rest, Wire};
use crate::info_lists::{
    with_msgid, InodeLock, InodePaths, Lock, Locks, MemoryUsage, Metalogger, OpenFile, OpenFiles,
    QuotaEntry, SclassEntry,
};
use crate::info_master::{ChunkMatrices, CservTable, FstestReport, MasterInfo, MissingChunkList};
use crate::info_sessions::{ExportsTable, SessionTable};
use crate::message::{DecodeError, Message};
use crate::messages;
use crate::records;
use crate::types::Status;
use crate::variants::OrRaw;

messages! {
    /// `N*[ flags:8 version:24 ip:32 port:16 csid:16 used:64 total:64 chunks:32 tdused:64 tdtotal:64 tdchunks:32 errorcount:32 load:32 gracetime:32 labelmask:32 mfrstatus:8 ]` (version >= 3.0.38; raw otherwise)
    CservList = 501 MATOCL_CSERV_LIST { servers: OrRaw<CservTable> }

    /// `stats:16 N*[ sessionid:32 ip:32 version:32 openfiles:32 nsocks:8 expire:32 ileng:32 info:ilengB pleng:32 path:plengB sesflags:8 umask:16 rootuid:32 rootgid:32 mapalluid:32 mapallgid:32 mingoal:8 maxgoal:8 mintrashtime:32 maxtrashtime:32 disables:32 stats * [ current_statdata:32 ] stats * [ last_statdata:32 ] ]` (vmode >= 4, what mfscli 3.0.117 sends; all sessions)
    /// `stats:16 N*[ sessionid:32 ip:32 version:32 openfiles:32 nsocks:8 expire:32 ileng:32 info:ilengB pleng:32 path:plengB sesflags:8 umask:16 rootuid:32 rootgid:32 mapalluid:32 mapallgid:32 mingoal:8 maxgoal:8 mintrashtime:32 maxtrashtime:32 stats * [ current_statdata:32 ] stats * [ last_statdata:32 ] ]` (vmode = 3; all sessions)
    /// `stats:16 N*[ sessionid:32 ip:32 version:32 openfiles:32 nsocks:8 expire:32 ileng:32 info:ilengB pleng:32 path:plengB sesflags:8 rootuid:32 rootgid:32 mapalluid:32 mapallgid:32 mingoal:8 maxgoal:8 mintrashtime:32 maxtrashtime:32 stats * [ current_statdata:32 ] stats * [ last_statdata:32 ] ]` (vmode = 2; all sessions)
    /// `stats:16 N*[ sessionid:32 ip:32 version:32 ileng:32 info:ilengB pleng:32 path:plengB sesflags:8 rootuid:32 rootgid:32 mapalluid:32 mapallgid:32 mingoal:8 maxgoal:8 mintrashtime:32 maxtrashtime:32 stats * [ current_statdata:32 ] stats * [ last_statdata:32 ] ]` (vmode = 1; connected sessions only)
    /// `stats:16 N*[ sessionid:32 ip:32 version:32 ileng:32 info:ilengB pleng:32 path:plengB sesflags:8 rootuid:32 rootgid:32 mapalluid:32 mapallgid:32 stats * [ current_statdata:32 ] stats * [ last_statdata:32 ] ]` (vmode = 0 or absent; connected sessions only)
    SessionList = 509 MATOCL_SESSION_LIST { sessions: OrRaw<SessionTable> }

    /// `version:32 memusage:64 syscpu:64 usercpu:64 totalspace:64 availspace:64 freespace:64 trashspace:64 trashnodes:32 sustainedspace:64 sustainednodes:32 allnodes:32 dirnodes:32 filenodes:32 chunks:32 chunkcopies:32 tdcopies:32 laststore_ts:32 laststore_duration:32 laststore_status:8 state:8 nstate:8 stable:8 sync:8 leaderip:32 state_chg_time:32 meta_version:64 exports_checksum:64 usec_local_time:64 last_changelog_time:32` (size 149, what 3.0.117 sends)
    /// `version:32 memusage:64 syscpu:64 usercpu:64 totalspace:64 availspace:64 freespace:64 trashspace:64 trashnodes:32 sustainedspace:64 sustainednodes:32 allnodes:32 dirnodes:32 filenodes:32 chunks:32 chunkcopies:32 tdcopies:32 laststore_ts:32 laststore_duration:32 laststore_status:8 state:8 nstate:8 stable:8 sync:8 leaderip:32 state_chg_time:32 meta_version:64 exports_checksum:64` (size 137)
    /// `version:32 memusage:64 syscpu:64 usercpu:64 totalspace:64 availspace:64 trashspace:64 trashnodes:32 sustainedspace:64 sustainednodes:32 allnodes:32 dirnodes:32 filenodes:32 chunks:32 chunkcopies:32 tdcopies:32 laststore_ts:32 laststore_duration:32 laststore_status:8 state:8 nstate:8 stable:8 sync:8 leaderip:32 state_chg_time:32 meta_version:64 exports_checksum:64` (size 129)
    /// `version:32 memusage:64 syscpu:64 usercpu:64 totalspace:64 availspace:64 trashspace:64 trashnodes:32 sustainedspace:64 sustainednodes:32 allnodes:32 dirnodes:32 filenodes:32 chunks:32 chunkcopies:32 tdcopies:32 laststore_ts:32 laststore_duration:32 laststore_status:8 state:8 nstate:8 stable:8 sync:8 leaderip:32 state_chg_time:32 meta_version:64` (size 121)
    /// (the 52 to 101-byte forms of masters < 2.0 are kept raw)
    Info = 511 MATOCL_INFO { info: OrRaw<MasterInfo> }

    /// `loopstart:32 loopend:32 files:32 ugfiles:32 mfiles:32 mtfiles:32 msfiles:32 chunks:32 ugchunks:32 mchunks:32 msgleng:32 msgleng*[ char:8 ]` (request with its byte)
    /// `loopstart:32 loopend:32 files:32 ugfiles:32 mfiles:32 chunks:32 ugchunks:32 mchunks:32 msgleng:32 msgleng*[ char:8 ]` (empty request)
    FstestInfo = 513 MATOCL_FSTEST_INFO { report: FstestReport }

    /// `loopstart:32 loopend:32 del_invalid:32 nodel_invalid:32 del_unused:32 nodel_unused:32 del_diskclean:32 nodel_diskclean:32 del_overgoal:32 nodel_overgoal:32 copy_undergoal:32 nocopy_undergoal:32 copy_wronglabels:32 nocopy_wronglabels:32 copy_rebalance:32 labels_dont_match:32 locked_unused:32 locked_used:32` (version >= 2.1.4; the 52- and 60-byte forms of older masters are kept raw)
    ChunkstestInfo = 515 MATOCL_CHUNKSTEST_INFO { operations: OrRaw<ChunkOperations> }

    /// `progress:8 11*[11* count:32] 11*[11* count:32]` (969 bytes, empty request)
    /// `11*[11* count:32]` (484 bytes, request with matrix_id)
    ChunksMatrix = 517 MATOCL_CHUNKS_MATRIX { matrices: ChunkMatrices }

    /// `N*[ inode:32 pleng:32 path:plengB graceperiod:32 exceeded:8 qflags:8 timetoblock:32 sinodes:32 slength:64 ssize:64 srealsize:64 hinodes:32 hlength:64 hsize:64 hrealsize:64 currinodes:32 currlength:64 currsize:64 currrealsize:64 ]` (3.0.117)
    QuotaInfo = 519 MATOCL_QUOTA_INFO { quotas: Rest<QuotaEntry> }

    /// `N*[ fromip:32 toip:32 pleng:32 path:plengB version:32 extraflags:8 sesflags:8 umask:16 rootuid:32 rootgid:32 mapalluid:32 mapallgid:32 mingoal:8 maxgoal:8 mintrashtime:32 maxtrashtime:32 disables:32 ]` (vmode >= 3, what mfscli 3.0.117 sends)
    /// `N*[ fromip:32 toip:32 pleng:32 path:plengB version:32 extraflags:8 sesflags:8 umask:16 rootuid:32 rootgid:32 mapalluid:32 mapallgid:32 mingoal:8 maxgoal:8 mintrashtime:32 maxtrashtime:32 ]` (vmode = 2)
    /// `N*[ fromip:32 toip:32 pleng:32 path:plengB version:32 extraflags:8 sesflags:8 rootuid:32 rootgid:32 mapalluid:32 mapallgid:32 mingoal:8 maxgoal:8 mintrashtime:32 maxtrashtime:32 ]` (vmode = 1)
    /// `N*[ fromip:32 toip:32 pleng:32 path:plengB version:32 extraflags:8 sesflags:8 rootuid:32 rootgid:32 mapalluid:32 mapallgid:32 ]` (vmode = 0 or absent)
    ExportsInfo = 521 MATOCL_EXPORTS_INFO { exports: OrRaw<ExportsTable> }

    /// `N*[ version:32 ip:32 ]`
    MlogList = 523 MATOCL_MLOG_LIST { metaloggers: Rest<Metalogger> }

    /// `[ status:8 ]` — empty for the 6-byte (legacy remove) request.
    CsservCommand = 525 MATOCL_CSSERV_COMMAND { status: Option<Status> }

    /// `status:8` (current)
    /// `-` (deprecated)
    SessionCommand = 527 MATOCL_SESSION_COMMAND { status: Option<Status> }

    /// `N*[ allocated:64 used:64 ]` — 11 pools in 3.0.117 (176 bytes).
    MemoryInfo = 529 MATOCL_MEMORY_INFO { pools: Rest<MemoryUsage> }

    /// `N*[ sessionid:32 inode:32 ]` (request without msgid, sessionid 0: what mfscli sends)
    /// `[ msgid:32 ] N*[ sessionid:32 inode:32 ]` (if input sessionid==0)
    /// `[ msgid:32 ] N*[ inode:32 ]` (if input sessionid>0)
    ListOpenFiles = 533 MATOCL_LIST_OPEN_FILES { files: OrRaw<Rest<OpenFile>> }

    /// `N*[ inode:32 sessionid:32 owner:64 pid:32 start:64 end:64 ctype:8 ]` (request without msgid, inode 0: what mfscli sends)
    /// `[ msgid:32 ] N*[ inode:32 sessionid:32 owner:64 pid:32 start:64 end:64 ctype:8 ]` (if input inode==0)
    /// `[ msgid:32 ] N*[ sessionid:32 owner:64 pid:32 start:64 end:64 ctype:8 ]` (if input inode>0)
    ListAcquiredLocks = 535 MATOCL_LIST_ACQUIRED_LOCKS { locks: OrRaw<Rest<InodeLock>> }

    /// `N*[ inode:32 pathssize:32 M*[ pathleng:32 path:pathlengB ] ]`
    MassResolvePaths = 537 MATOCL_MASS_RESOLVE_PATHS { inodes: Rest<InodePaths> }

    /// `allservers:16 N*[ sclassid:8 sclassname:NAME files:32 dirs:32 3 * [ stdchunks:64 archchunks:64 ] admin_only:8 mode:8 arch_delay:16 3 * [ canbefulfilled:8 labelscnt:8 ] 3 * [ labelscnt * [ MASKORGROUP * [ labelmask:32 ] matchingservers:16 ] ] ]`
    SclassInfo = 543 MATOCL_SCLASS_INFO { allservers: u16, classes: Rest<SclassEntry> }

    /// `N*[ chunkid:64 inode:32 indx:32 type:8 ]` (request mode 1; read when the length divides by 17)
    /// `N*[ chunkid:64 inode:32 indx:32 ]` (empty request or mode 0)
    MissingChunks = 545 MATOCL_MISSING_CHUNKS { chunks: MissingChunkList }

    /// `msgid:32 status:8`
    /// `msgid:32 anstype:16` (anstype == 0: neither directory nor file)
    /// `msgid:32 anstype:16 continueid:64 N * [ inode:32 ]` (anstype == 1: directory)
    /// `msgid:32 anstype:16 continueid:64 length:64 N * [ chunkid:64 chunksize:32 copies:8 ]` (anstype == 2: file)
    /// (without msgid when the request had none; no 3.0.117 tool sends that form)
    NodeInfo = 547 MATOCL_NODE_INFO { msgid: u32, node: NodeInfoBody }
}

records! {
    /// The 18 counters of the chunk-maintenance loop (72 bytes).
    ChunkOperations {
        loopstart: u32,
        loopend: u32,
        del_invalid: u32,
        nodel_invalid: u32,
        del_unused: u32,
        nodel_unused: u32,
        del_diskclean: u32,
        nodel_diskclean: u32,
        del_overgoal: u32,
        nodel_overgoal: u32,
        copy_undergoal: u32,
        nocopy_undergoal: u32,
        copy_wronglabels: u32,
        nocopy_wronglabels: u32,
        copy_rebalance: u32,
        labels_dont_match: u32,
        locked_unused: u32,
        locked_used: u32,
    }

    /// `chunkid:64 chunksize:32 copies:8`
    NodeChunk { chunkid: u64, chunksize: u32, copies: u8 }
}

/// What `MATOCL_NODE_INFO` says about a node (after the msgid).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(test, derive(proptest_derive::Arbitrary))]
pub enum NodeInfoBody {
    /// `status:8` — exactly one byte.
    Status(Status),
    /// `anstype:16` = 0
    Other,
    /// `anstype:16` = 1, `continueid:64 N*[ inode:32 ]`; continueid 0 ends the listing.
    Directory {
        continueid: u64,
        children: Rest<u32>,
    },
    /// `anstype:16` = 2, `continueid:64 length:64 N*[ chunkid:64 chunksize:32 copies:8 ]`
    File {
        continueid: u64,
        length: u64,
        chunks: Rest<NodeChunk>,
    },
}

impl Wire for NodeInfoBody {
    fn decode(input: &[u8], ctx: Ctx) -> Parsed<'_, Self> {
        if input.len() == 1 {
            let (rest, status) = Status::decode(input, ctx)?;
            return Ok((rest, NodeInfoBody::Status(status)));
        }
        let (input, anstype) = u16::decode(input, ctx)?;
        match anstype {
            0 => Ok((input, NodeInfoBody::Other)),
            1 => {
                let (input, continueid) = u64::decode(input, ctx)?;
                let (input, children) = Rest::decode(input, ctx)?;
                let body = NodeInfoBody::Directory {
                    continueid,
                    children,
                };
                Ok((input, body))
            }
            2 => {
                let (input, continueid) = u64::decode(input, ctx)?;
                let (input, length) = u64::decode(input, ctx)?;
                let (input, chunks) = Rest::decode(input, ctx)?;
                let body = NodeInfoBody::File {
                    continueid,
                    length,
                    chunks,
                };
                Ok((input, body))
            }
            _ => Err(malformed(input)),
        }
    }

    fn encode(&self, out: &mut BytesMut) {
        match self {
            NodeInfoBody::Status(status) => status.encode(out),
            NodeInfoBody::Other => 0u16.encode(out),
            NodeInfoBody::Directory {
                continueid,
                children,
            } => {
                1u16.encode(out);
                continueid.encode(out);
                children.encode(out);
            }
            NodeInfoBody::File {
                continueid,
                length,
                chunks,
            } => {
                2u16.encode(out);
                continueid.encode(out);
                length.encode(out);
                chunks.encode(out);
            }
        }
    }
}

/// The payload bytes of a message, to read them again another way.
fn payload<M: Message>(message: &M) -> BytesMut {
    let mut out = BytesMut::new();
    message.encode(&mut out);
    out
}

/// Reads `bytes` wholly with `parse`, reporting failures as `name`'s.
fn reparse<'a, T>(
    name: &'static str,
    bytes: &'a [u8],
    parse: impl FnOnce(&'a [u8]) -> Parsed<'a, T>,
) -> Result<T, DecodeError> {
    let error = |offset: usize| DecodeError::Malformed {
        message: name,
        offset,
        len: bytes.len(),
    };
    match parse(bytes) {
        Ok(([], value)) => Ok(value),
        Ok((rest, _)) => Err(DecodeError::Trailing {
            message: name,
            extra: rest.len(),
            len: bytes.len(),
        }),
        Err(nom::Err::Error(e) | nom::Err::Failure(e)) => Err(error(bytes.len() - e.input.len())),
        Err(nom::Err::Incomplete(_)) => Err(error(bytes.len())),
    }
}

impl SessionList {
    /// The table as the answer to `request` lays it out.
    pub fn parse_for(
        &self,
        request: &cltoma_info::SessionList,
        ctx: Ctx,
    ) -> Result<SessionTable, DecodeError> {
        let bytes = payload(self);
        let vmode = request.vmode.unwrap_or(0);
        reparse(Self::NAME, &bytes, |b| SessionTable::parse(b, vmode, ctx))
    }
}

impl ExportsInfo {
    /// The table as the answer to `request` lays it out.
    pub fn parse_for(
        &self,
        request: &cltoma_info::ExportsInfo,
        ctx: Ctx,
    ) -> Result<ExportsTable, DecodeError> {
        let bytes = payload(self);
        let vmode = request.vmode.unwrap_or(0);
        reparse(Self::NAME, &bytes, |b| ExportsTable::parse(b, vmode, ctx))
    }
}

impl ListOpenFiles {
    /// The msgid and files as the answer to `request` lays them out.
    pub fn parse_for(
        &self,
        request: &cltoma_info::ListOpenFiles,
        ctx: Ctx,
    ) -> Result<(Option<u32>, OpenFiles), DecodeError> {
        let bytes = payload(self);
        let msgid = request.msgid.0.is_some();
        if request.sessionid == 0 {
            let (id, files) = reparse(Self::NAME, &bytes, |b| with_msgid(b, msgid, ctx))?;
            Ok((id, OpenFiles::AllSessions(files)))
        } else {
            let (id, files) = reparse(Self::NAME, &bytes, |b| with_msgid(b, msgid, ctx))?;
            Ok((id, OpenFiles::OneSession(files)))
        }
    }
}

impl ListAcquiredLocks {
    /// The msgid and locks as the answer to `request` lays them out.
    pub fn parse_for(
        &self,
        request: &cltoma_info::ListAcquiredLocks,
        ctx: Ctx,
    ) -> Result<(Option<u32>, Locks), DecodeError> {
        let bytes = payload(self);
        let msgid = request.msgid.0.is_some();
        if request.inode == 0 {
            let (id, locks) = reparse(Self::NAME, &bytes, |b| with_msgid(b, msgid, ctx))?;
            Ok((id, Locks::AllInodes(locks)))
        } else {
            let (id, locks) = reparse(Self::NAME, &bytes, |b| with_msgid::<Lock>(b, msgid, ctx))?;
            Ok((id, Locks::OneInode(locks)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::decode_payload;
    use crate::variants::LeadingMsgid;

    #[test]
    fn open_files_read_by_the_request() {
        let bytes = [0, 0, 0, 9, 0, 0, 0, 5, 0, 0, 0, 6];
        let answer: ListOpenFiles = decode_payload(&bytes, Ctx::default()).unwrap();
        // 12 bytes are not whole (sessionid, inode) pairs: kept raw.
        assert!(answer.files.typed().is_none());
        let one_session = cltoma_info::ListOpenFiles {
            msgid: LeadingMsgid(Some(9)),
            sessionid: 3,
        };
        let (msgid, files) = answer.parse_for(&one_session, Ctx::default()).unwrap();
        assert_eq!((msgid, files), (Some(9), OpenFiles::OneSession(vec![5, 6])));
        let all = cltoma_info::ListOpenFiles {
            msgid: LeadingMsgid(None),
            sessionid: 0,
        };
        assert!(answer.parse_for(&all, Ctx::default()).is_err());
    }

    #[test]
    fn locks_of_one_inode_lack_the_inode() {
        let mut bytes = vec![0, 0, 0, 4]; // sessionid
        bytes.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 1]); // owner
        bytes.extend_from_slice(&[0; 20]); // pid start end: a flock
        bytes.push(1); // ctype
        let answer: ListAcquiredLocks = decode_payload(&bytes, Ctx::default()).unwrap();
        let request = cltoma_info::ListAcquiredLocks {
            msgid: LeadingMsgid(None),
            inode: 17,
        };
        let (_, locks) = answer.parse_for(&request, Ctx::default()).unwrap();
        let Locks::OneInode(locks) = locks else {
            panic!("inode 17 was asked for");
        };
        assert_eq!(
            (locks[0].sessionid, locks[0].owner, locks[0].ctype),
            (4, 1, 1)
        );
    }

    #[test]
    fn node_info_status_is_one_byte_after_the_msgid() {
        let answer: NodeInfo = decode_payload(&[0, 0, 0, 0, 3], Ctx::default()).unwrap();
        assert_eq!(answer.node, NodeInfoBody::Status(Status::ENOENT));
        let mut dir = vec![0, 0, 0, 0, 0, 1]; // msgid, anstype 1
        dir.extend_from_slice(&[0; 8]); // continueid
        dir.extend_from_slice(&[0, 0, 0, 2]); // one child
        let answer: NodeInfo = decode_payload(&dir, Ctx::default()).unwrap();
        assert_eq!(
            answer.node,
            NodeInfoBody::Directory {
                continueid: 0,
                children: Rest(vec![2])
            }
        );
        assert!(decode_payload::<NodeInfo>(&[0, 0, 0, 0, 0, 3], Ctx::default()).is_err());
    }

    #[test]
    fn session_list_of_another_vmode_is_kept_raw_and_readable() {
        let mut bytes = vec![0, 0]; // stats = 0
        bytes.extend_from_slice(&[0, 0, 0, 1, 127, 0, 0, 1, 0, 3, 0, 117]); // id ip version
        bytes.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 1, b'.']); // info "" path "."
        bytes.push(0); // sesflags
        bytes.extend_from_slice(&[0; 16]); // root and mapall ids
        let answer: SessionList = decode_payload(&bytes, Ctx::default()).unwrap();
        assert!(answer.sessions.typed().is_none());
        let request = cltoma_info::SessionList { vmode: None };
        let table = answer.parse_for(&request, Ctx::default()).unwrap();
        assert_eq!(table.sessions[0].path.as_bytes(), b".");
    }
}
