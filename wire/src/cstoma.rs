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

#[cfg(test)]
mod tests {
    use std::net::Ipv4Addr;

    use super::*;
    use crate::codec::Ctx;
    use crate::message::decode_payload;
    use crate::testing::decode_exact;
    use crate::version::Version;

    /// 3.0.117 as its release build sends it: MooseFS doubles the minor
    /// number of releases on the wire (`VERSION2INT`), so 117 travels as 234.
    const WIRE_3_0_117: Version = Version(0x0003_00EA);

    /// `usedspace totalspace chunks tdusedspace tdtotalspace tdchunks` with
    /// small distinct values.
    const USAGE: [u8; 40] = [
        0, 0, 0, 0, 0, 0, 0, 1, // used 1
        0, 0, 0, 0, 0, 0, 0, 2, // total 2
        0, 0, 0, 3, // chunks 3
        0, 0, 0, 0, 0, 0, 0, 4, // todel used 4
        0, 0, 0, 0, 0, 0, 0, 5, // todel total 5
        0, 0, 0, 6, // todel chunks 6
    ];

    fn usage() -> DiskUsage {
        DiskUsage {
            used: 1,
            total: 2,
            chunks: 3,
            todel_used: 4,
            todel_total: 5,
            todel_chunks: 6,
        }
    }

    /// `myip:32 myport:16` = 10.0.0.2:9422
    const ADDR: [u8; 6] = [10, 0, 0, 2, 0x24, 0xce];
    /// One `chunkid:64 version:32` record: chunk 0x11 in version 7.
    const CHUNK: [u8; 12] = [0, 0, 0, 0, 0, 0, 0, 0x11, 0, 0, 0, 7];

    fn register(bytes: &[u8]) -> RegisterForm {
        decode_exact::<Register>(bytes).form
    }

    #[test]
    fn register_without_rver_is_recognised_by_even_length() {
        let mut bytes = ADDR.to_vec();
        bytes.extend_from_slice(&USAGE[..16]);
        bytes.extend_from_slice(&CHUNK);
        assert_eq!(bytes.len(), 34);
        let RegisterForm::V0(form) = register(&bytes) else {
            panic!("not the version-0 form");
        };
        assert_eq!(form.ip, Ipv4Addr::new(10, 0, 0, 2));
        assert_eq!(form.port, 9422);
        assert_eq!((form.used, form.total), (1, 2));
        let chunk = ChunkVersion {
            chunkid: 0x11,
            version: 7,
        };
        assert_eq!(form.chunks.0, vec![chunk]);
    }

    #[test]
    fn register_v1_has_no_todel_chunk_count() {
        let mut bytes = vec![1];
        bytes.extend_from_slice(&ADDR);
        bytes.extend_from_slice(&USAGE[..16]);
        bytes.extend_from_slice(&USAGE[20..36]);
        assert_eq!(bytes.len(), 39);
        let RegisterForm::V1(form) = register(&bytes) else {
            panic!("not rver 1");
        };
        assert_eq!((form.todel_used, form.todel_total), (4, 5));
        assert!(form.chunks.0.is_empty());
    }

    #[test]
    fn register_v2_to_v4_add_counts_timeout_and_version() {
        let mut v2 = vec![2];
        v2.extend_from_slice(&ADDR);
        v2.extend_from_slice(&USAGE);
        v2.extend_from_slice(&CHUNK);
        let RegisterForm::V2(form) = register(&v2) else {
            panic!("not rver 2");
        };
        assert_eq!(form.usage, usage());
        assert_eq!(form.chunks.0.len(), 1);

        let mut v3 = vec![3];
        v3.extend_from_slice(&ADDR);
        v3.extend_from_slice(&[0, 30]);
        v3.extend_from_slice(&USAGE);
        let RegisterForm::V3(form) = register(&v3) else {
            panic!("not rver 3");
        };
        assert_eq!(form.timeout, 30);

        let mut v4 = vec![4, 0, 3, 0, 0xEA];
        v4.extend_from_slice(&v3[1..]);
        let RegisterForm::V4(form) = register(&v4) else {
            panic!("not rver 4");
        };
        assert_eq!(form.version, WIRE_3_0_117);
        assert_eq!((form.port, form.timeout), (9422, 30));
    }

    #[test]
    fn register_v5_is_begin_chunks_end() {
        let mut begin = vec![50, 0, 3, 0, 0xEA];
        begin.extend_from_slice(&ADDR);
        begin.extend_from_slice(&[0, 10]);
        assert_eq!(begin.len(), 13);
        let RegisterForm::Begin5(form) = register(&begin) else {
            panic!("not v5 BEGIN");
        };
        assert_eq!((form.version, form.timeout), (WIRE_3_0_117, 10));

        let mut chunks = vec![51];
        chunks.extend_from_slice(&CHUNK);
        chunks.extend_from_slice(&CHUNK);
        assert!(matches!(register(&chunks), RegisterForm::Chunks5(c) if c.0.len() == 2));

        let mut end = vec![52];
        end.extend_from_slice(&USAGE);
        assert_eq!(register(&end), RegisterForm::End5(usage()));
    }

    #[test]
    fn register_v6_begin_carries_a_passcode_only_at_71_bytes() {
        let mut begin = vec![60, 0, 3, 0, 0xEA];
        begin.extend_from_slice(&ADDR);
        begin.extend_from_slice(&[0, 0, 0, 5]); // timeout 0, csid 5
        begin.extend_from_slice(&USAGE);
        assert_eq!(begin.len(), 55);
        let RegisterForm::Begin6 { passcode, info } = register(&begin) else {
            panic!("not v6 BEGIN");
        };
        assert_eq!(passcode, None);
        assert_eq!((info.timeout, info.csid, info.usage), (0, 5, usage()));

        let mut with_code = vec![60];
        with_code.extend_from_slice(&[0xAB; 16]);
        with_code.extend_from_slice(&begin[1..]);
        assert_eq!(with_code.len(), 71);
        let RegisterForm::Begin6 { passcode, .. } = register(&with_code) else {
            panic!("not v6 BEGIN");
        };
        assert_eq!(passcode, Some([0xAB; 16]));

        let mut odd = begin.clone();
        odd.extend_from_slice(&[0, 0]);
        assert!(decode_payload::<Register>(&odd, Ctx::default()).is_err());
    }

    #[test]
    fn register_v6_chunks_end_and_disconnect() {
        let mut chunks = vec![61];
        chunks.extend_from_slice(&CHUNK);
        assert!(matches!(register(&chunks), RegisterForm::Chunks6(c) if c.0.len() == 1));
        assert_eq!(register(&[62]), RegisterForm::End6);
        assert_eq!(register(&[63]), RegisterForm::Disconnect);
        assert_eq!(RegisterForm::Disconnect.rver(), Some(63));
    }

    #[test]
    fn register_rejects_unknown_rver_and_partial_chunk_records() {
        for bytes in [&[5u8][..], &[64], &[61, 0, 0, 0]] {
            assert!(decode_payload::<Register>(bytes, Ctx::default()).is_err());
        }
    }

    #[test]
    fn space_form_follows_the_length() {
        let plain = decode_exact::<Space>(&USAGE[..16]).report;
        assert_eq!(plain, SpaceReport::Plain(PlainSpace { used: 1, total: 2 }));

        let mut todel = USAGE[..16].to_vec();
        todel.extend_from_slice(&USAGE[20..36]);
        let SpaceReport::WithTodel(space) = decode_exact::<Space>(&todel).report else {
            panic!("not the 32-byte form");
        };
        assert_eq!((space.todel_used, space.todel_total), (4, 5));

        assert_eq!(
            decode_exact::<Space>(&USAGE).report,
            SpaceReport::Full(usage())
        );
        assert!(decode_payload::<Space>(&USAGE[..24], Ctx::default()).is_err());
    }

    #[test]
    fn current_load_hlstatus_appeared_in_3_0_7() {
        let old = decode_exact::<CurrentLoad>(&[0, 0, 1, 0]);
        assert_eq!((old.load, old.hlstatus), (256, None));
        let new = decode_exact::<CurrentLoad>(&[0, 0, 1, 0, 2]);
        assert_eq!(new.hlstatus, Some(2));
    }

    #[test]
    fn chunk_lists_must_hold_whole_records() {
        let lost = decode_exact::<ChunkLost>(&CHUNK[..8]);
        assert_eq!(lost.chunkids.0, vec![0x11]);
        assert!(decode_payload::<ChunkLost>(&CHUNK[..10], Ctx::default()).is_err());
        assert!(decode_payload::<ChunkNew>(&CHUNK[..8], Ctx::default()).is_err());
    }
}
