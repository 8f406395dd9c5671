//! Real bytes of Debian's mfsmount 3.0.117 talking to mfsmaster 3.0.117 on
//! port 9421, cut from conformance/corpus/moosefs-3.0.117.pcapng (tcp
//! stream 4, the first mount): each decodes into the expected fields and
//! re-encodes to the same bytes.

use bytes::BytesMut;
use mooseng_wire::cltoma::{FuseLookup, FuseReaddir, FuseRegister, RegisterRequest};
use mooseng_wire::matocl::{
    DirEntries, FuseLookupReply, FuseReaddirReply, FuseRegisterReply, RegisterReply,
};
use mooseng_wire::message::decode_payload;
use mooseng_wire::types::{node_type, Groups};
use mooseng_wire::{Ctx, Message, Reply, Version, Wire};

fn hex(text: &str) -> Vec<u8> {
    let digits: String = text.split_whitespace().collect();
    (0..digits.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&digits[i..i + 2], 16).expect("hex digits"))
        .collect()
}

fn reencode<T: Wire>(value: &T) -> Vec<u8> {
    let mut out = BytesMut::new();
    value.encode(&mut out);
    out.to_vec()
}

#[test]
fn mfsmount_registers_a_new_session() {
    let mut bytes = b"DjI1GAQDULI5d2YjA26ypc3ovkhjvhciTQVx3CS4nYgtBoUcsljiVpsErJENHaw0".to_vec(); // blob: ACL-aware client
    bytes.extend(hex("02          \
         000300ea    \
         00000017 2f746d702f6d66736361702e5449546374542f6d6e7400 \
         00000002 2f00")); // rcode NEWSESSION, version 3.0.117, info = mount point, path = "/"
    let message: FuseRegister = decode_payload(&bytes, Ctx::default()).unwrap();
    let RegisterRequest::NewSession(session) = &message.request else {
        panic!("not a new session: {message:?}");
    };
    assert_eq!(session.version, Version::MOOSEFS_3_0_117);
    assert_eq!(session.info.as_bytes(), b"/tmp/mfscap.TITctT/mnt\0");
    assert_eq!(session.path.as_ref().unwrap().as_bytes(), b"/\0");
    assert_eq!((session.previous, session.passcode), (None, None));
    assert_eq!(reencode(&message), bytes);
}

#[test]
fn mfsmaster_grants_the_session() {
    let bytes = hex("000300ea          \
         00000001          \
         6b0966ee68956cb1  \
         08 0000           \
         00000000 00000000 \
         000003e7 000003e7 \
         01 09             \
         00000000 ffffffff \
         00000000"); // version, sessionid, metaid, sesflags admin, umask, root uid/gid, mapall 999:999, goals 1..9, trash 0..max, disables
    let message: FuseRegisterReply = decode_payload(&bytes, Ctx::default()).unwrap();
    let RegisterReply::Session(session) = message.reply else {
        panic!("not a session: {message:?}");
    };
    assert_eq!(session.version, Version::MOOSEFS_3_0_117);
    assert_eq!(
        (session.sessionid, session.metaid),
        (1, Some(0x6b09_66ee_6895_6cb1))
    );
    assert_eq!((session.sesflags, session.umask), (0x08, Some(0)));
    assert_eq!((session.mapalluid, session.mapallgid), (999, 999));
    assert_eq!((session.mingoal, session.maxgoal), (1, 9));
    assert_eq!(
        (session.maxtrashtime, session.disables),
        (u32::MAX, Some(0))
    );
    assert_eq!(reencode(&message), bytes);
}

#[test]
fn lookup_of_a_missing_name_and_its_enoent() {
    let request = hex("00000002 00000001 02 6431 00000000 00000001 00000000"); // msgid, parent 1, "d1", uid 0, one gid: 0
    let message: FuseLookup = decode_payload(&request, Ctx::default()).unwrap();
    assert_eq!((message.msgid, message.parent, message.uid), (2, 1, 0));
    assert_eq!(message.name.as_bytes(), b"d1");
    assert_eq!(message.gids, Groups::List(vec![0]));
    assert_eq!(reencode(&message), request);

    let answer = hex("00000002 03"); // msgid, MFS_ERROR_ENOENT
    let reply: FuseLookupReply = decode_payload(&answer, Ctx::default()).unwrap();
    assert_eq!(reply.reply.status().errno(), 2);
}

#[test]
fn lookup_of_a_small_file_carries_its_first_chunk() {
    let bytes = hex("00000003 00000006 \
         08 11a4 00000000 00000000 6b0966f7 6b0966f7 6b0966f7 00000001 000000000000000e 00 \
         01ff \
         02 0000000000000001 00000001 \
         0ae7000d 24ce 000300ea 00000000 \
         0ae7000b 24ce 000300ea 00000000"); // msgid, inode; attr: flags, file 0644, uid, gid, times, nlink 1, length 14, winattr;
                                            // lflags; protocolid 2, chunk 1 version 1; two servers: ip, port 9422, version, labels
    let message: FuseLookupReply = decode_payload(&bytes, Ctx::default()).unwrap();
    let Reply::Ok(found) = &message.reply else {
        panic!("status instead of an entry");
    };
    assert_eq!(found.inode, 6);
    assert_eq!((found.attr.kind, found.attr.mode), (node_type::FILE, 0o644));
    assert_eq!((found.attr.nlink, found.attr.length), (1, 14));
    let extra = found.extra.as_ref().unwrap();
    assert_eq!(extra.lflags, 0x01ff);
    let chunk = extra.chunk.as_ref().unwrap();
    assert_eq!((chunk.protocol_id, chunk.chunkid, chunk.version), (2, 1, 1));
    let ips: Vec<String> = chunk.servers.0.iter().map(|s| s.ip.to_string()).collect();
    assert_eq!(ips, ["10.231.0.13", "10.231.0.11"]);
    assert!(chunk.servers.0.iter().all(|s| s.port == 9422));
    assert_eq!(reencode(&message), bytes);
}

#[test]
fn readdir_with_attributes_from_the_root() {
    let request = hex("00000002 00000001 00000000 00000001 00000000 01 ffffffff 0000000000000000");
    // msgid, inode 1, uid 0, one gid: 0, GETDIR_FLAG_WITHATTR, maxentries unlimited, start edge 0
    let message: FuseReaddir = decode_payload(&request, Ctx::default()).unwrap();
    assert_eq!(
        (message.inode, message.flags, message.max_entries),
        (1, 1, u32::MAX)
    );
    assert_eq!(reencode(&message), request);

    let answer = hex(
        "00000002 0000000000000000 \
         01 2e   00000001 0c 21ff 00000000 00000000 6b0966fa 6b0966f7 6b0966f7 00000004 00000000001e9d81 00 \
         02 2e2e 00000001 0c 21ff 00000000 00000000 6b0966fa 6b0966f7 6b0966f7 00000004 00000000001e9d81 00 \
         02 6432 00000003 0c 21ed 00000000 00000000 6b0966f7 6b0966f9 6b0966f9 00000003 00000000000003e8 00 \
         02 6431 00000002 0c 21ed 00000000 00000000 6b0966f7 6b0966f9 6b0966f9 00000002 00000000001e9d81 00",
    ); // msgid, next edge 0; ".", "..", "d2", "d1", each with flags, type:4 mode:12, uid, gid, a/m/ctime, nlink, length, winattr
    assert_eq!(answer.len(), 183, "the whole captured payload");
    let reply: FuseReaddirReply = decode_payload(&answer[..], Ctx::default()).unwrap();
    let Reply::Ok(directory) = reply.parse(true, true, Ctx::default()).unwrap() else {
        panic!("status instead of entries");
    };
    assert_eq!(directory.next_edge, Some(0));
    let DirEntries::WithAttr(entries) = directory.entries else {
        panic!("entries without attributes");
    };
    let names: Vec<&[u8]> = entries.iter().map(|e| e.name.as_bytes()).collect();
    assert_eq!(names, [&b"."[..], b"..", b"d2", b"d1"]);
    assert_eq!(
        (entries[2].inode, entries[2].attr.kind, entries[2].attr.mode),
        (3, node_type::DIRECTORY, 0o755)
    );
    assert_eq!(entries[2].attr.nlink, 3);
    assert_eq!(reencode(&reply), answer);
    assert_eq!(FuseReaddirReply::NAME, "MATOCL_FUSE_READDIR");
}
