//! Golden tests: admin answers captured from Debian's MooseFS 3.0.117
//! (master, three chunkservers, a metalogger, `mfscli -SIN -SCS -SMU ...`)
//! in conformance/corpus/moosefs-3.0.117.pcapng, decoded field by field and
//! re-encoded byte for byte.
//!
//! 3.0.117 announces itself as `0x000300EA`: the community edition sends
//! twice the minor version (pro builds add one), as mfscli's
//! `version_convert` undoes.

use std::net::Ipv4Addr;

use crate::codec::Ctx;
use crate::direction::{FromChunkserver, MasterToClient};
use crate::version::Version;

/// Hex digits of `text`, ignoring whitespace and `#` comments to line end.
fn hex(text: &str) -> Vec<u8> {
    let digits: Vec<u8> = text
        .lines()
        .flat_map(|line| line.split('#').next().unwrap_or("").bytes())
        .filter(u8::is_ascii_hexdigit)
        .collect();
    digits
        .chunks(2)
        .map(|pair| u8::from_str_radix(std::str::from_utf8(pair).unwrap(), 16).unwrap())
        .collect()
}

fn reencoded(message: &MasterToClient) -> Vec<u8> {
    message.to_frame().payload.to_vec()
}

#[test]
fn matocl_info_from_mfscli_sin() {
    let bytes = hex("
        000300ea  # version 3.0.234 (3.0.117 CE)
        000000000c605000  # memusage
        0000000000000000  # syscpu
        0000000000000000  # usercpu
        00000044275e0000  # totalspace
        000000380288f000 000000380288f000  # availspace freespace
        0000000000000000  # trashspace
        00000001  # trashnodes
        0000000004080000  # sustainedspace
        00000001  # sustainednodes
        00000140 00000006 00000136  # allnodes dirnodes filenodes
        00000006 0000000f 0000000f  # chunks chunkcopies tdcopies
        00000000 00000000 00  # laststore ts, duration, status
        ffffffff  # state nstate stable sync
        00000000 00000000  # leaderip state_chg_time
        00000000000002ea  # meta_version
        00d8fe7cc3afc86b  # exports_checksum
        000661400e596484  # usec_local_time
        00000000  # last_changelog_time
    ");
    let message = MasterToClient::decode(511, &bytes, Ctx::default()).unwrap();
    let MasterToClient::Info(answer) = &message else {
        panic!("511 is MATOCL_INFO: {message:?}");
    };
    let info = answer
        .info
        .typed()
        .expect("149 bytes are a typed MATOCL_INFO");
    assert_eq!(info.version, Version::MOOSEFS_3_0_117);
    assert_eq!(info.totalspace, 0x44_275e_0000);
    assert_eq!(info.freespace, Some(info.availspace));
    assert_eq!(
        (info.allnodes, info.dirnodes, info.filenodes),
        (320, 6, 310)
    );
    assert_eq!((info.chunks, info.chunkcopies, info.tdcopies), (6, 15, 15));
    assert_eq!(info.state, [0xff; 4]);
    assert_eq!(info.meta_version, 0x2ea);
    assert_eq!(info.exports_checksum, Some(0x00d8_fe7c_c3af_c86b));
    assert_eq!(info.clock.as_ref().unwrap().last_changelog_time, 0);
    assert_eq!(reencoded(&message), bytes);
}

#[test]
fn matocl_cserv_list_from_mfscli_scs() {
    let record = |ip: u8, csid: u8, used: &str, chunks: u8| {
        format!(
            "00 0300ea 0ae700{ip:02x} 24ce 00{csid:02x} {used} 00000016b7ca0000 000000{chunks:02x}
             0000000000000000 0000000000000000 00000000 00000000 00000000 00000000 00000000 00"
        )
    };
    let bytes = hex(&[
        record(13, 1, "000000040b3c2000", 4),
        record(12, 3, "000000040b3e2000", 5),
        record(11, 2, "000000040b391000", 6),
    ]
    .concat());
    assert_eq!(bytes.len(), 207);
    let message = MasterToClient::decode(501, &bytes, Ctx::default()).unwrap();
    let MasterToClient::CservList(answer) = &message else {
        panic!("501 is MATOCL_CSERV_LIST: {message:?}");
    };
    let servers = &answer.servers.typed().expect("3 * 69 bytes").0 .0;
    let first = &servers[0];
    assert_eq!(
        (first.flags, first.major, first.mid, first.minor),
        (0, 3, 0, 234)
    );
    assert_eq!(
        (first.ip, first.port, first.csid),
        (Ipv4Addr::new(10, 231, 0, 13), 9422, 1)
    );
    assert_eq!(
        (first.used, first.total, first.chunks),
        (0x4_0b3c_2000, 0x16_b7ca_0000, 4)
    );
    assert_eq!(servers[2].csid, 2);
    assert_eq!(reencoded(&message), bytes);
}

#[test]
fn matocl_exports_info_vmode_3() {
    let bytes = hex("
        0ae70000 0ae700ff 00000001 2f  # 10.231.0.0-10.231.0.255 path /
        00000000 01 08 0000  # minversion, alldirs, sesflags, umask
        00000000 00000000 000003e7 000003e7  # rootuid rootgid mapalluid mapallgid
        01 09 00000000 ffffffff 00000000  # goals 1-9, trash 0-inf, disables
        0ae70000 0ae700ff 00000001 2e  # meta export: path .
        00000000 00 00 0000
        00000000 00000000 000003e7 000003e7
        01 09 00000000 ffffffff 00000000
    ");
    let message = MasterToClient::decode(521, &bytes, Ctx::default()).unwrap();
    let MasterToClient::ExportsInfo(answer) = &message else {
        panic!("521 is MATOCL_EXPORTS_INFO: {message:?}");
    };
    let exports = &answer
        .exports
        .typed()
        .expect("the vmode-3 table mfscli asks for")
        .0;
    assert_eq!(exports.len(), 2);
    assert_eq!(exports[0].path.as_bytes(), b"/");
    assert_eq!((exports[0].extraflags, exports[0].sesflags), (1, 8));
    assert_eq!((exports[0].umask, exports[0].disables), (Some(0), Some(0)));
    assert_eq!(exports[0].mapalluid, 999);
    assert_eq!(exports[1].path.as_bytes(), b".");
    assert_eq!(reencoded(&message), bytes);
}

#[test]
fn matocl_mlog_list() {
    let bytes = hex("000300ea 0ae70015"); // version, ip 10.231.0.21
    let message = MasterToClient::decode(523, &bytes, Ctx::default()).unwrap();
    let MasterToClient::MlogList(answer) = &message else {
        panic!("523 is MATOCL_MLOG_LIST: {message:?}");
    };
    let logger = &answer.metaloggers.0[0];
    assert_eq!(
        (logger.version, logger.ip),
        (Version::MOOSEFS_3_0_117, Ipv4Addr::new(10, 231, 0, 21))
    );
    assert_eq!(reencoded(&message), bytes);
}

#[test]
fn matocl_session_list_vmode_4() {
    let bytes = hex("
        0010  # stats = 16
        00000001 0ae700fe 000300ea  # sessionid 1, ip, version
        00000136 01 ffffffff  # openfiles 310, nsocks 1, expire never
        00000016 2f746d702f6d66736361702e4632764270712f6d6e74  # info
        00000001 2f  # path /
        08 0000  # sesflags, umask
        00000000 00000000 000003e7 000003e7
        01 09 00000000 ffffffff 00000000  # goals, trash times, disables
        0000001f 00000014 00000010 00000230 00000006 00000001 00000001 00000001
        0000013a 00000004 00000004 00000001 00000009 00000146 00000000 00000008
        00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000
        00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000
        00000002 0ae700fe 000300ea  # sessionid 2
        00000000 01 ffffffff
        00000017 2f746d702f6d66736361702e4632764270712f6d657461  # info
        00000001 2e  # meta session
        00 0000
        00000000 00000000 00000000 00000000
        01 09 00000000 ffffffff 00000000
    ");
    let mut bytes = bytes;
    bytes.extend_from_slice(&[0; 128]); // both stats blocks of session 2
    let message = MasterToClient::decode(509, &bytes, Ctx::default()).unwrap();
    let MasterToClient::SessionList(answer) = &message else {
        panic!("509 is MATOCL_SESSION_LIST: {message:?}");
    };
    let table = answer
        .sessions
        .typed()
        .expect("the vmode-4 table mfscli asks for");
    assert_eq!((table.stats, table.sessions.len()), (16, 2));
    let mount = &table.sessions[0];
    assert_eq!(mount.info.as_bytes(), b"/tmp/mfscap.F2vBpq/mnt");
    assert_eq!(mount.connection.as_ref().unwrap().openfiles, 310);
    assert_eq!(mount.current_stats[3], 0x230);
    assert_eq!(table.sessions[1].path.as_bytes(), b".");
    assert_eq!(reencoded(&message), bytes);
}

#[test]
fn cstocl_hdd_list() {
    let mut bytes = hex("
        00fe  # entrysize 254
        1c 2f746d702f6d66736361702e4632764270712f6373332f646174612f  # path
        00 0000000000000000 00000000  # flags, last error chunk and time
        000000040b3c2000 00000016b7ca0000  # used, total
        00000004  # chunkscount
    ");
    bytes.extend_from_slice(&[0; 192]); // idle minute, hour and day statistics
    let message = FromChunkserver::decode(601, &bytes, Ctx::default()).unwrap();
    let FromChunkserver::HddList(answer) = &message else {
        panic!("601 is CSTOCL_HDD_LIST: {message:?}");
    };
    let disk = &answer.disks.0[0].0;
    assert_eq!(disk.state.path.as_bytes(), b"/tmp/mfscap.F2vBpq/cs3/data/");
    assert_eq!(
        (disk.state.used, disk.state.chunkscount),
        (0x4_0b3c_2000, 4)
    );
    assert_eq!(disk.day.readops, 0);
    assert_eq!(message.to_frame().payload.to_vec(), bytes);
}
