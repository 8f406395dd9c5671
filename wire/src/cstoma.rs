//! Chunkserver to master, port 9420 (`CSTOMA_*`): registration, space and
//! load reports, chunk inventory changes, and the answers to the master's
//! chunk operations.
//!
//! The answers carry the chunk id the master asked about and the status of
//! the job; for `DUPLICATE` and `DUPTRUNC` that is the id of the new copy.

mod register;
mod space;

pub use register::{
    ChunkVersion, RegisterBegin5, RegisterBegin6, RegisterForm, RegisterV0, RegisterV1, RegisterV2,
    RegisterV3, RegisterV4,
};
pub use space::{DiskUsage, PlainSpace, SpaceReport, SpaceWithTodel};

use crate::codec::Rest;
use crate::messages;
use crate::types::Status;

messages! {
    /// version 0 (even length): `myip:32 myport:16 usedspace:64 totalspace:64 N*[ chunkid:64 version:32 ]`
    /// rver 1: `rver:8 myip:32 myport:16 usedspace:64 totalspace:64 tdusedspace:64 tdtotalspace:64 N*[ chunkid:64 version:32 ]`
    /// rver 2: `rver:8 myip:32 myport:16 usedspace:64 totalspace:64 chunks:32 tdusedspace:64 tdtotalspace:64 tdchunks:32 N*[ chunkid:64 version:32 ]`
    /// rver 3: `rver:8 myip:32 myport:16 tcptimeout:16 usedspace:64 totalspace:64 chunks:32 tdusedspace:64 tdtotalspace:64 tdchunks:32 N*[ chunkid:64 version:32 ]`
    /// rver 4: `rver:8 version:32 myip:32 myport:16 tcptimeout:16 usedspace:64 totalspace:64 chunks:32 tdusedspace:64 tdtotalspace:64 tdchunks:32 N*[ chunkid:64 version:32 ]`
    /// rver 50 (v5 BEGIN): `rver:8 version:32 myip:32 myport:16 tcptimeout:16`
    /// rver 51 (v5 CHUNKS): `rver:8 N*[ chunkid:64 version:32 ]`
    /// rver 52 (v5 END): `rver:8 usedspace:64 totalspace:64 chunks:32 tdusedspace:64 tdtotalspace:64 tdchunks:32`
    /// rver 60 (v6 BEGIN): `rver:8 [ passcode:16B ] version:32 myip:32 myport:16 tcptimeout:16 csid:16 usedspace:64 totalspace:64 chunks:32 tdusedspace:64 tdtotalspace:64 tdchunks:32`
    /// rver 61 (v6 CHUNKS): `rver:8 N*[ chunkid:64 version:32 ]`
    /// rver 62 (v6 END): `rver:8`
    /// rver 63 (v6 DISCONNECT): `rver:8`
    Register = 100 CSTOMA_REGISTER { form: RegisterForm }

    /// `usedspace:64 totalspace:64`
    /// `usedspace:64 totalspace:64 tdusedspace:64 tdtotalspace:64`
    /// `usedspace:64 totalspace:64 chunks:32 tdusedspace:64 tdtotalspace:64 tdchunks:32`
    Space = 101 CSTOMA_SPACE { report: SpaceReport }

    /// `N*[ chunkid:64 ]`
    ChunkDamaged = 102 CSTOMA_CHUNK_DAMAGED { chunkids: Rest<u64> }

    /// `load:32` (chunkserver < 3.0.7)
    /// `load:32 hlstatus:8` (chunkserver >= 3.0.7; `HLSTATUS_*`)
    CurrentLoad = 103 CSTOMA_CURRENT_LOAD { load: u32, hlstatus: Option<u8> }

    /// `N*[ chunkid:64 ]`
    ChunkLost = 105 CSTOMA_CHUNK_LOST { chunkids: Rest<u64> }

    /// `-` — one disk I/O error; the master counts them.
    ErrorOccurred = 106 CSTOMA_ERROR_OCCURRED {}

    /// `N*[ chunkid:64 version:32 ]`
    ChunkNew = 107 CSTOMA_CHUNK_NEW { chunks: Rest<ChunkVersion> }

    /// `labelmask:32` — bit n set for label `'A'+n`.
    Labels = 109 CSTOMA_LABELS { labelmask: u32 }

    /// `chunkid:64 status:8`
    Create = 111 CSTOMA_CREATE { chunkid: u64, status: Status }

    /// `chunkid:64 status:8`
    Delete = 121 CSTOMA_DELETE { chunkid: u64, status: Status }

    /// `chunkid:64 status:8` — chunkid is the new copy.
    Duplicate = 131 CSTOMA_DUPLICATE { chunkid: u64, status: Status }

    /// `chunkid:64 status:8`
    SetVersion = 141 CSTOMA_SET_VERSION { chunkid: u64, status: Status }

    /// `chunkid:64 version:32 status:8`
    Replicate = 151 CSTOMA_REPLICATE { chunkid: u64, version: u32, status: Status }

    /// `chunkid:64 version:32 newversion:32 copychunkid:64 copyversion:32 length:32 status:8`
    Chunkop = 153 CSTOMA_CHUNKOP {
        chunkid: u64,
        version: u32,
        newversion: u32,
        copychunkid: u64,
        copyversion: u32,
        length: u32,
        status: Status,
    }

    /// `chunkid:64 status:8`
    Truncate = 161 CSTOMA_TRUNCATE { chunkid: u64, status: Status }

    /// `chunkid:64 status:8` — chunkid is the new copy.
    Duptrunc = 171 CSTOMA_DUPTRUNC { chunkid: u64, status: Status }
}
