//! Golden tests: payloads captured from Debian's MooseFS 3.0.117 (master,
//! three chunkservers, a metalogger and mfsmount on one bridge; see
//! `conformance/corpus/`), decoded into their fields and re-encoded to the
//! same bytes. Ports 9419 (metalogger), 9420 (chunkserver to master) and
//! 9422 (chunk reads, writes and replication).
//!
//! Versions appear as 3.0.234: a MooseFS release build doubles the minor
//! number on the wire (`VERSION2INT`), so 3.0.117 travels as `0x000300EA`.

use std::fmt::Debug;
use std::net::Ipv4Addr;

use bytes::BytesMut;
use mooseng_wire::message::decode_payload;
use mooseng_wire::types::{CrcData, Reply, Status};
use mooseng_wire::{antocs, antoma, cltocs, cstoan, cstocl, cstoma, matoan, matocs};
use mooseng_wire::{Ctx, Direction, Message, Version};

/// 3.0.117 as the Debian packages put it on the wire.
const WIRE_3_0_117: Version = Version(0x0003_00EA);

fn unhex(hex: &str) -> Vec<u8> {
    let digits: Vec<u8> = hex.bytes().filter(u8::is_ascii_hexdigit).collect();
    digits
        .chunks(2)
        .map(|pair| {
            let pair = std::str::from_utf8(pair).expect("hex digits are ASCII");
            u8::from_str_radix(pair, 16).expect("two hex digits")
        })
        .collect()
}

/// Decodes a captured payload as `M`, checks that the direction enum picks
/// the same type for it, and that re-encoding gives the captured bytes.
fn golden<M: Message + Debug>(direction: Direction, hex: &str) -> M {
    let payload = unhex(hex);
    let message: M = decode_payload(&payload, Ctx::default())
        .unwrap_or_else(|e| panic!("captured {} does not decode: {e}", M::NAME));
    let any = direction
        .decode(M::CODE, &payload, Ctx::default())
        .unwrap_or_else(|e| panic!("{direction} does not dispatch {}: {e}", M::NAME));
    assert_eq!(any.name(), M::NAME);
    let mut out = BytesMut::new();
    message.encode(&mut out);
    assert_eq!(&out[..], &payload[..], "{} re-encodes differently", M::NAME);
    message
}

const TO_MASTER: Direction = Direction::ChunkserverToMaster;
const FROM_MASTER: Direction = Direction::MasterToChunkserver;
const TO_CS: Direction = Direction::ToChunkserver;
const FROM_CS: Direction = Direction::FromChunkserver;
const TO_ML: Direction = Direction::MasterToMetalogger;
const FROM_ML: Direction = Direction::MetaloggerToMaster;

// ------------------------------------------------------------ port 9420

#[test]
fn chunkserver_registers_with_a_version_6_begin() {
    let register: cstoma::Register = golden(
        TO_MASTER,
        "3c \
         000300ea \
         0ae7000b 24ce \
         0000 0000 \
         0000000000000000 0000000000000000 00000000 \
         0000000000000000 0000000000000000 00000000",
    );
    let cstoma::RegisterForm::Begin6 { passcode, info } = register.form else {
        panic!("not a version-6 BEGIN: {:?}", register.form);
    };
    assert_eq!(passcode, None); // no AUTH_CODE configured: 55 bytes
    assert_eq!(info.version, WIRE_3_0_117);
    assert_eq!(info.ip, Ipv4Addr::new(10, 231, 0, 11)); // listen address
    assert_eq!(info.port, 9422);
    assert_eq!(info.timeout, 0); // let the master choose
    assert_eq!(info.csid, 0); // first registration: no id yet
    assert_eq!(info.usage.total, 0); // space follows in CSTOMA_SPACE
}

#[test]
fn chunkserver_with_an_id_registers_again() {
    let register: cstoma::Register = golden(
        TO_MASTER,
        "3c 000300ea 0ae7000d 24ce 0000 \
         0002 \
         0000000000000000 0000000000000000 00000000 \
         0000000000000000 0000000000000000 00000000",
    );
    let cstoma::RegisterForm::Begin6 { info, .. } = register.form else {
        panic!("not a version-6 BEGIN");
    };
    assert_eq!(info.csid, 2); // the id the master handed out before
}

#[test]
fn master_acknowledges_with_timeout_csid_and_metadata_id() {
    let ack: matocs::MasterAck = golden(FROM_MASTER, "00 000300ea 000a 0001 6b09636383b61ba8");
    let expected = matocs::MasterAck::registered(
        WIRE_3_0_117,
        10,                          // MATOCS_TIMEOUT
        1,                           // csid assigned
        Some(0x6b09_6363_83b6_1ba8), // metadata id of this cluster
    );
    assert_eq!(ack, expected);
}

#[test]
fn chunkserver_ends_registration_without_chunks() {
    let end: cstoma::Register = golden(TO_MASTER, "3e"); // rver 62
    assert_eq!(end.form, cstoma::RegisterForm::End6);
}

#[test]
fn chunkserver_reports_labels_space_and_load() {
    let labels: cstoma::Labels = golden(TO_MASTER, "00000000");
    assert_eq!(labels.labelmask, 0); // no LABELS configured

    let space: cstoma::Space = golden(
        TO_MASTER,
        "0000000384ec2000 00000016b7ca0000 00000000 \
         0000000000000000 0000000000000000 00000000",
    );
    let cstoma::SpaceReport::Full(usage) = space.report else {
        panic!("not the 40-byte form");
    };
    assert_eq!(usage.used, 0x3_84ec_2000); // used bytes
    assert_eq!(usage.total, 0x16_b7ca_0000); // total bytes
    assert_eq!(usage.chunks, 0); // no chunks yet
    assert_eq!(
        (usage.todel_used, usage.todel_total, usage.todel_chunks),
        (0, 0, 0)
    );

    let load: cstoma::CurrentLoad = golden(TO_MASTER, "00000000 01");
    assert_eq!(load.load, 0); // idle
    assert_eq!(load.hlstatus, Some(1)); // HLSTATUS_OK
}

#[test]
fn chunkserver_announces_new_chunks() {
    let new: cstoma::ChunkNew = golden(
        TO_MASTER,
        "0000000000000007 00000001 0000000000000004 00000001 \
         0000000000000003 00000001 0000000000000001 00000001 \
         0000000000000006 00000001",
    );
    let ids: Vec<(u64, u32)> = new
        .chunks
        .0
        .iter()
        .map(|c| (c.chunkid, c.version))
        .collect();
    assert_eq!(ids, [(7, 1), (4, 1), (3, 1), (1, 1), (6, 1)]);
}

#[test]
fn master_creates_and_deletes_chunks() {
    let create: matocs::Create = golden(FROM_MASTER, "0000000000000001 00000001");
    assert_eq!((create.chunkid, create.version), (1, 1));
    let created: cstoma::Create = golden(TO_MASTER, "0000000000000001 00");
    assert_eq!((created.chunkid, created.status), (1, Status::OK));

    let delete: matocs::Delete = golden(FROM_MASTER, "0000000000000002 00000000");
    assert_eq!((delete.chunkid, delete.version), (2, 0)); // version 0: any version
    let deleted: cstoma::Delete = golden(TO_MASTER, "0000000000000002 00");
    assert_eq!(deleted.status, Status::OK);
}

#[test]
fn master_orders_a_replication_from_another_chunkserver() {
    let replicate: matocs::Replicate =
        golden(FROM_MASTER, "0000000000000007 00000001 0ae7000d 24ce");
    assert_eq!((replicate.chunkid, replicate.version), (7, 1));
    let source = matocs::SimpleSource {
        ip: Ipv4Addr::new(10, 231, 0, 13), // chunkserver 3
        port: 9422,
    };
    assert_eq!(replicate.source, matocs::ReplicateSource::Simple(source));

    let done: cstoma::Replicate = golden(TO_MASTER, "0000000000000007 00000001 00");
    assert_eq!(
        (done.chunkid, done.version, done.status),
        (7, 1, Status::OK)
    );
}

#[test]
fn master_truncates_a_chunk_and_bumps_its_version() {
    let truncate: matocs::Truncate =
        golden(FROM_MASTER, "0000000000000002 0004b000 00000002 00000001");
    assert_eq!(truncate.chunkid, 2);
    assert_eq!(truncate.length, 0x4_b000); // new chunk length
    assert_eq!((truncate.version, truncate.oldversion), (2, 1));
    let done: cstoma::Truncate = golden(TO_MASTER, "0000000000000002 00");
    assert_eq!(done.status, Status::OK);
}

// ------------------------------------------------------------ port 9422

#[test]
fn client_reads_with_protocol_1() {
    let read: cltocs::Read = golden(TO_CS, "01 0000000000000001 00000001 00000000 0000000e");
    assert_eq!(read.protocolid, cltocs::ProtocolId::CURRENT); // mfsmount
    assert_eq!((read.chunkid, read.version), (1, 1));
    assert_eq!((read.offset, read.size), (0, 14));
}

#[test]
fn replicator_reads_without_a_protocol_id() {
    let read: cltocs::Read = golden(TO_CS, "0000000000000003 00000001 00000000 04000000");
    assert_eq!(read.protocolid, cltocs::ProtocolId(None)); // chunkserver's replicator
    assert_eq!(read.chunkid, 3);
    assert_eq!(read.size, 64 << 20); // the whole chunk
}

#[test]
fn chunkserver_sends_read_data_then_status() {
    let data: cstocl::ReadData = golden(FROM_CS, "0000000000000002 0000 ffdc 00000001 a7684c11 c2");
    assert_eq!(data.chunkid, 2);
    assert_eq!((data.blocknum, data.offset), (0, 0xffdc)); // last bytes of block 0
    assert_eq!(data.block, CrcData::new(0xa768_4c11, vec![0xc2])); // one byte, CRC as sent

    let status: cstocl::ReadStatus = golden(FROM_CS, "0000000000000001 00");
    assert_eq!((status.chunkid, status.status), (1, Status::OK));
}

#[test]
fn client_opens_a_write_chain() {
    let write: cltocs::Write = golden(TO_CS, "01 0000000000000001 00000001 0ae7000d 24ce");
    assert_eq!(write.protocolid, cltocs::ProtocolId::CURRENT);
    assert_eq!((write.chunkid, write.version), (1, 1));
    let next = cltocs::ChainLink {
        ip: Ipv4Addr::new(10, 231, 0, 13), // forward to chunkserver 3
        port: 9422,
    };
    assert_eq!(write.chain.0, [next]);

    let last: cltocs::Write = golden(TO_CS, "01 0000000000000001 00000001");
    assert!(last.chain.0.is_empty()); // last link of the chain
}

#[test]
fn client_writes_data_and_finishes() {
    let data: cltocs::WriteData = golden(
        TO_CS,
        "0000000000000001 00000001 0000 000e 00000009 880eb915 617070656e6465640a",
    );
    assert_eq!((data.chunkid, data.writeid), (1, 1));
    assert_eq!((data.blocknum, data.offset), (0, 14)); // appended after 14 bytes
    assert_eq!(data.block.crc, 0x880e_b915); // CRC-32 of the data
    assert_eq!(&data.block.data[..], b"appended\n");

    let status: cstocl::WriteStatus = golden(FROM_CS, "0000000000000001 00000000 00");
    assert_eq!((status.writeid, status.status), (0, Status::OK)); // chain connected

    let finish: cltocs::WriteFinish = golden(TO_CS, "0000000000000001 00000001");
    assert_eq!((finish.chunkid, finish.version), (1, 1));
}

#[test]
fn replicator_asks_how_many_blocks_a_chunk_has() {
    let ask: antocs::GetChunkBlocks = golden(TO_CS, "0000000000000003 00000001");
    assert_eq!((ask.chunkid, ask.version), (3, 1));
    let answer: cstoan::ChunkBlocks = golden(FROM_CS, "0000000000000003 00000001 0400 00");
    assert_eq!(answer.blocks, 1024); // a full 64 MiB chunk
    assert_eq!(answer.status, Status::OK);
}

// ------------------------------------------------------------ port 9419

#[test]
fn metalogger_registers_and_downloads_metadata() {
    let register: antoma::Register = golden(FROM_ML, "01 000300ea 000a");
    let expected = antoma::RegisterV1 {
        version: WIRE_3_0_117,
        timeout: 10,
    };
    assert_eq!(register.form, antoma::RegisterForm::V1(expected));

    let start: antoma::DownloadStart = golden(FROM_ML, "01");
    assert_eq!(start.filenum, Some(1)); // metadata.mfs.back
    let info: matoan::DownloadInfo = golden(TO_ML, "0000000000000008");
    assert_eq!(info.length, Reply::Ok(8)); // an empty file system's metadata

    let request: antoma::DownloadRequest = golden(FROM_ML, "0000000000000000 00000008");
    assert_eq!((request.offset, request.leng), (0, 8));
    let data: matoan::DownloadData =
        golden(TO_ML, "0000000000000000 00000008 782fde54 4d46534d204e4557");
    assert_eq!(data.offset, 0);
    assert_eq!(data.chunk, CrcData::new(0x782f_de54, &b"MFSM NEW"[..]));

    let _: antoma::DownloadEnd = golden(FROM_ML, "");
}

#[test]
fn master_streams_changelog_lines() {
    let log: matoan::MetachangesLog = golden(
        TO_ML,
        "ff 0000000000000012 313739353737373338397c554e4c4f434b28312900",
    );
    let expected = matoan::MetaChange::log(0x12, &b"1795777389|UNLOCK(1)\0"[..]);
    assert_eq!(log.change, expected);
}
