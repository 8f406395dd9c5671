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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::Ctx;
    use crate::message::{decode_payload, Message};
    use crate::testing::decode_exact;

    /// 3.0.117 as its release build sends it: MooseFS doubles the minor
    /// number of releases on the wire (`VERSION2INT`), so 117 travels as 234.
    const WIRE_3_0_117: Version = Version(0x0003_00EA);

    fn payload(ack: &MasterAck) -> Vec<u8> {
        ack.to_frame().payload.to_vec()
    }

    #[test]
    fn accepted_forms_are_atype_0_at_1_5_9_and_17_bytes() {
        assert_eq!(payload(&MasterAck::next_chunks()), [0]);
        let version = MasterAck::version(WIRE_3_0_117);
        assert_eq!(payload(&version), [0, 0, 3, 0, 0xEA]);

        let old = MasterAck::registered(WIRE_3_0_117, 60, 3, None);
        assert_eq!(payload(&old), [0, 0, 3, 0, 0xEA, 0, 60, 0, 3]);
        let new = MasterAck::registered(WIRE_3_0_117, 60, 3, Some(0x0102));
        let bytes = payload(&new);
        assert_eq!(bytes.len(), 17);
        assert_eq!(&bytes[9..], [0, 0, 0, 0, 0, 0, 1, 2]);
        for ack in [MasterAck::next_chunks(), version, old, new] {
            assert_eq!(decode_exact::<MasterAck>(&payload(&ack)), ack);
        }
    }

    #[test]
    fn redirect_names_the_leader_and_zero_means_unknown() {
        let redirect = MasterAck::redirect(Ipv4Addr::new(192, 168, 1, 10));
        assert_eq!(payload(&redirect), [1, 192, 168, 1, 10]);
        assert_eq!(decode_exact::<MasterAck>(&payload(&redirect)), redirect);

        assert_eq!(payload(&MasterAck::leader_unknown()), [1, 0, 0, 0, 0]);
        assert_eq!(
            MasterAck::redirect(Ipv4Addr::UNSPECIFIED),
            MasterAck::leader_unknown()
        );
        let decoded = decode_exact::<MasterAck>(&[1, 0, 0, 0, 0]);
        assert_eq!(decoded.ack, AckKind::LeaderUnknown);
    }

    #[test]
    fn wait_is_atype_2_at_7_or_15_bytes() {
        let short = MasterAck::wait(WIRE_3_0_117, 10, None);
        let mut expected = vec![2];
        expected.extend_from_slice(&[0, 3, 0, 0xEA]);
        expected.extend_from_slice(&[0, 10]);
        assert_eq!(payload(&short), expected);
        let long = MasterAck::wait(WIRE_3_0_117, 10, Some(9));
        assert_eq!(payload(&long).len(), 15);
        assert_eq!(decode_exact::<MasterAck>(&payload(&long)), long);
    }

    #[test]
    fn auth_challenge_is_atype_3_with_32_random_bytes() {
        let challenge = MasterAck::auth_challenge([7; 32]);
        let bytes = payload(&challenge);
        assert_eq!((bytes.len(), bytes[0], bytes[32]), (33, 3, 7));
        assert_eq!(decode_exact::<MasterAck>(&bytes), challenge);
    }

    #[test]
    fn combinations_the_chunkserver_refuses_are_malformed() {
        let cases: [&[u8]; 6] = [
            &[],
            &[1],
            &[0, 0, 3, 0, 0xEA, 0, 10],
            &[2, 0, 3, 0, 0xEA],
            &[3, 0, 0, 0, 0],
            &[4, 0, 3, 0, 0xEA],
        ];
        for bytes in cases {
            let result = decode_payload::<MasterAck>(bytes, Ctx::default());
            assert!(result.is_err(), "{bytes:?} decoded as {result:?}");
        }
    }

    #[test]
    fn replicate_from_one_server_is_18_bytes() {
        let bytes = [
            0, 0, 0, 0, 0, 0, 0, 0x42, // chunkid
            0, 0, 0, 3, // version
            10, 0, 0, 7, // source ip
            0x24, 0xce, // source port 9422
        ];
        let replicate = decode_exact::<Replicate>(&bytes);
        assert_eq!((replicate.chunkid, replicate.version), (0x42, 3));
        let source = SimpleSource {
            ip: Ipv4Addr::new(10, 0, 0, 7),
            port: 9422,
        };
        assert_eq!(replicate.source, ReplicateSource::Simple(source));
    }

    #[test]
    fn replicate_from_xor_parts_lists_masks_then_sources() {
        let mut bytes = vec![0, 0, 0, 0, 0, 0, 0, 0x42, 0, 0, 0, 3];
        bytes.extend_from_slice(&[0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4]);
        for part in 1..=2u8 {
            bytes.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 0x40 + part, 0, 0, 0, 1]);
            bytes.extend_from_slice(&[10, 0, 0, part, 0x24, 0xce]);
        }
        assert_eq!(bytes.len(), 28 + 2 * 18);
        let ReplicateSource::Xor(xor) = decode_exact::<Replicate>(&bytes).source else {
            panic!("not the xor form");
        };
        assert_eq!(xor.masks, XorMasks([1, 2, 3, 4]));
        assert_eq!(xor.sources.0.len(), 2);
        assert_eq!(xor.sources.0[1].chunkid, 0x42);
        assert_eq!(xor.sources.0[1].ip, Ipv4Addr::new(10, 0, 0, 2));
    }

    #[test]
    fn set_version_and_truncate_put_the_new_version_first() {
        let set = decode_exact::<SetVersion>(&[0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 9, 0, 0, 0, 8]);
        assert_eq!((set.version, set.oldversion), (9, 8));
        let truncate = decode_exact::<Truncate>(&[
            0, 0, 0, 0, 0, 0, 0, 1, // chunkid
            0, 1, 0, 0, // length 65536
            0, 0, 0, 9, // new version
            0, 0, 0, 8, // old version
        ]);
        assert_eq!(
            (truncate.length, truncate.version, truncate.oldversion),
            (65536, 9, 8)
        );
    }
}
