//! Master to chunkserver, port 9420 (`MATOCS_*`): the answer to
//! registration and the chunk operations the master orders.

mod master_ack;
mod replicate;

pub use master_ack::{AckKind, AckRegistered, AckWait};
pub use replicate::{ReplicateSource, SimpleSource, XorMasks, XorReplication, XorSource};

use std::net::Ipv4Addr;

use crate::messages;
use crate::version::Version;

messages! {
    /// `0:8` (next CHUNKS packet, please)
    /// `0:8 master_version:32` (answer to a version-5 BEGIN)
    /// `0:8 master_version:32 tcptimeout:16 csid:16` (answer to a version-6 BEGIN)
    /// `0:8 master_version:32 tcptimeout:16 csid:16 metadataid:64` (both versions >= 2.0.33)
    /// `1:8 leaderip:32` (not the leader; leaderip 0 = leader unknown, reconnect elsewhere)
    /// `2:8 master_version:32 tcptimeout:16 [ metadataid:64 ]` (wait for acceptance)
    /// `3:8 rnd:32B` (authentication challenge)
    MasterAck = 104 MATOCS_MASTER_ACK { ack: AckKind }

    /// `chunkid:64 version:32`
    Create = 110 MATOCS_CREATE { chunkid: u64, version: u32 }

    /// `chunkid:64 version:32`
    Delete = 120 MATOCS_DELETE { chunkid: u64, version: u32 }

    /// `chunkid:64 version:32 oldchunkid:64 oldversion:32` — make chunk
    /// `chunkid` in `version` as a copy of `oldchunkid`.
    Duplicate = 130 MATOCS_DUPLICATE {
        chunkid: u64,
        version: u32,
        oldchunkid: u64,
        oldversion: u32,
    }

    /// `chunkid:64 version:32 oldversion:32` — version is the new one.
    SetVersion = 140 MATOCS_SET_VERSION { chunkid: u64, version: u32, oldversion: u32 }

    /// `chunkid:64 version:32 ip:32 port:16`
    /// `chunkid:64 version:32 xormask:4*32 N*[ srcchunkid:64 srcversion:32 ip:32 port:16 ]` (rebuild from N parts, N = 1..8)
    Replicate = 150 MATOCS_REPLICATE { chunkid: u64, version: u32, source: ReplicateSource }

    /// `chunkid:64 version:32 newversion:32 copychunkid:64 copyversion:32 length:32`
    /// newversion>0, length=0xFFFFFFFF, copychunkid=0: change version;
    /// newversion>0, length=0xFFFFFFFF, copychunkid>0: duplicate;
    /// newversion>0, length<=64MiB, copychunkid=0: truncate;
    /// newversion>0, length<=64MiB, copychunkid>0: duplicate and truncate;
    /// newversion=0, length 0/1/2: delete/create/test
    Chunkop = 152 MATOCS_CHUNKOP {
        chunkid: u64,
        version: u32,
        newversion: u32,
        copychunkid: u64,
        copyversion: u32,
        length: u32,
    }

    /// `chunkid:64 length:32 version:32 oldversion:32` — version is the new one.
    Truncate = 160 MATOCS_TRUNCATE { chunkid: u64, length: u32, version: u32, oldversion: u32 }

    /// `chunkid:64 version:32 oldchunkid:64 oldversion:32 length:32` — copy
    /// `oldchunkid` into `chunkid` and truncate the copy to `length`.
    Duptrunc = 170 MATOCS_DUPTRUNC {
        chunkid: u64,
        version: u32,
        oldchunkid: u64,
        oldversion: u32,
        length: u32,
    }
}

/// The answers a master gives a registering chunkserver, named by what the
/// chunkserver will do with them.
impl MasterAck {
    /// Carry on: send the next CHUNKS packet (or END when none are left).
    pub fn next_chunks() -> Self {
        MasterAck {
            ack: AckKind::Continue,
        }
    }

    /// Accept a version-5 BEGIN, telling the chunkserver our version.
    pub fn version(master_version: Version) -> Self {
        MasterAck {
            ack: AckKind::Version(master_version),
        }
    }

    /// Accept a version-6 BEGIN. `metaid` must be given to chunkservers of
    /// 2.0.33 or later and omitted for older ones.
    pub fn registered(
        master_version: Version,
        timeout: u16,
        csid: u16,
        metaid: Option<u64>,
    ) -> Self {
        let info = AckRegistered {
            master_version,
            timeout,
            csid,
        };
        MasterAck {
            ack: AckKind::Registered { info, metaid },
        }
    }

    /// "I am a follower; the leader is at `leader`": the chunkserver
    /// disconnects and registers with `leader` on the same port. The
    /// unspecified address means the same as [`MasterAck::leader_unknown`].
    pub fn redirect(leader: Ipv4Addr) -> Self {
        if leader.is_unspecified() {
            return MasterAck::leader_unknown();
        }
        MasterAck {
            ack: AckKind::Redirect(leader),
        }
    }

    /// "I am a follower and do not know the leader": the chunkserver
    /// disconnects, re-resolves the master's name and tries again.
    pub fn leader_unknown() -> Self {
        MasterAck {
            ack: AckKind::LeaderUnknown,
        }
    }

    /// "Known, but not now": the chunkserver stops registering and waits
    /// for another ack on this connection.
    pub fn wait(master_version: Version, timeout: u16, metaid: Option<u64>) -> Self {
        let info = AckWait {
            master_version,
            timeout,
        };
        MasterAck {
            ack: AckKind::Wait { info, metaid },
        }
    }

    /// Ask for the password: the chunkserver answers with a version-6 BEGIN
    /// carrying `md5(random[..16] ++ AUTH_CODE ++ random[16..])`.
    pub fn auth_challenge(random: [u8; 32]) -> Self {
        MasterAck {
            ack: AckKind::AuthChallenge(random),
        }
    }
}
