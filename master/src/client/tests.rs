//! Handler tests: request bytes in, answer bytes out, without sockets.
//! The golden requests are Debian's mfsmount 3.0.117 traffic captured
//! against a real MooseFS 3.0.117 master.

use std::net::Ipv4Addr;

use mooseng_wire::cltoma::{
    FuseGetattr, FuseLookup, FuseMkdir, FuseReaddir, FuseRmdir, GetattrCaller, RegisterRequest,
};
use mooseng_wire::direction::ClientToMaster;
use mooseng_wire::matocl::{DirEntries, FuseReaddirReply, FuseRegisterReply, RegisterReply};
use mooseng_wire::message::{decode_payload, Message};
use mooseng_wire::types::{node_type, Groups};
use mooseng_wire::{Ctx, Frame, Name, Status};

use super::*;
use crate::chunks::{ChunkConfig, ChunkService, ChunkTable};
use crate::exports::UserDb;

pub(super) fn hex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect()
}

/// mfsmount's REGISTER_NEWSESSION for `/` (info `/tmp/mfscap.F2vBpq/mnt`).
const REGISTER: &str = "446a493147415144554c49356432596a413236797063336f766b686a7668636954515678334353346e596774426f5563736c6a6956707345724a454e4861773002000300ea000000172f746d702f6d66736361702e4632764270712f6d6e7400000000022f00";

pub(super) async fn master(exports: &str) -> Master {
    Master {
        store: MetadataStore::empty().await,
        sessions: Sessions::default(),
        exports: Exports::parse(exports, &UserDb::default()).unwrap(),
        chunks: ChunkService::new(ChunkTable::default(), ChunkConfig::default()).0,
        metaid: 0x6b09_6435_50f4_a3ac,
        metrics: Default::default(),
        charts: Default::default(),
        topology: Default::default(),
    }
}

pub(super) async fn send(
    master: &Master,
    conn: &mut Connection,
    code: u32,
    payload: &[u8],
) -> Action {
    let ctx = Ctx {
        peer_version: conn.version,
    };
    let message = ClientToMaster::decode(code, payload, ctx).unwrap();
    let origin = Origin::of(&Frame::new(code, payload.to_vec()));
    dispatch(master, conn, message, origin).await
}

pub(super) async fn ask(master: &Master, conn: &mut Connection, request: impl Message) -> Frame {
    let frame = request.to_frame();
    match send(master, conn, frame.kind, &frame.payload).await {
        Action::Reply(frame) => frame,
        other => panic!("expected an answer, got {other:?}"),
    }
}

pub(super) async fn mounted(master: &Master) -> Connection {
    let mut conn = Connection::new(Ipv4Addr::LOCALHOST);
    let Action::Reply(_) = send(master, &mut conn, 400, &hex(REGISTER)).await else {
        panic!("register refused");
    };
    conn
}

/// The status byte of a `msgid:32 status:8` answer.
pub(super) fn status_of(frame: &Frame) -> Status {
    assert_eq!(frame.payload.len(), 5, "not a status answer: {frame:?}");
    Status(frame.payload[4])
}

pub(super) fn mkdir(parent: u32, name: &str, uid: u32) -> FuseMkdir {
    FuseMkdir {
        msgid: 7,
        parent,
        name: Name::new(name.as_bytes().to_vec()),
        mode: 0o755,
        umask: 0o022,
        uid,
        gids: Groups::List(vec![uid]),
        copy_sgid: 1,
    }
}

#[tokio::test]
async fn new_session_answer_matches_moosefs_layout() {
    let master = master(crate::exports::MOOSEFS_DEFAULT).await;
    let mut conn = Connection::new(Ipv4Addr::LOCALHOST);
    let Action::Reply(frame) = send(&master, &mut conn, 400, &hex(REGISTER)).await else {
        panic!("register refused");
    };
    // The real master's answer, with our session id (1) and metaid.
    let expected = hex(concat!(
        "000300ea",         // version 3.0.117
        "00000001",         // sessionid
        "6b09643550f4a3ac", // metaid
        "08",               // sesflags: admin
        "0000",             // umask
        "00000000",         // rootuid
        "00000000",         // rootgid
        "000003e7",         // mapalluid 999
        "000003e7",         // mapallgid 999
        "01",               // mingoal
        "09",               // maxgoal
        "00000000",         // mintrashtime
        "ffffffff",         // maxtrashtime
        "00000000",         // disables
    ));
    assert_eq!(frame.kind, 401);
    assert_eq!(&frame.payload[..], &expected[..]);
    assert!(conn.wants_keepalive());
}

#[tokio::test]
async fn golden_mkdir_answers_like_moosefs() {
    let master = master(crate::exports::MOOSEFS_DEFAULT).await;
    let mut conn = mounted(&master).await;
    // mkdir("d1", 0777) with umask 022 by root, copysgid set.
    let request = hex("000000020000000102643101ff001200000000000000010000000001");
    let Action::Reply(frame) = send(&master, &mut conn, 418, &request).await else {
        panic!("no answer");
    };
    let got = frame.payload.to_vec();
    assert_eq!(got.len(), 44);
    // msgid 2, inode 2, flags 0c, directory 0755, uid 0, gid 0.
    assert_eq!(
        &got[..19],
        &hex("00000002000000020c21ed0000000000000000")[..]
    );
    // nlink 2, length 1 (an empty directory), winattr 0.
    assert_eq!(&got[31..], &hex("00000002000000000000000100")[..]);
}

#[tokio::test]
async fn getattr_of_the_root_is_a_directory_with_two_links() {
    let master = master(crate::exports::MOOSEFS_DEFAULT).await;
    let mut conn = mounted(&master).await;
    let request = hex("0000000100000001000000000000000000");
    let Action::Reply(frame) = send(&master, &mut conn, 408, &request).await else {
        panic!("no answer");
    };
    assert_eq!(frame.kind, 409);
    assert_eq!(&frame.payload[..7], &hex("000000010c21ff")[..]);
    assert_eq!(frame.payload.len(), 40);
    assert_eq!(&frame.payload[27..], &hex("00000002000000000000000100")[..]);
}

#[tokio::test]
async fn lookup_readdir_and_rmdir_of_a_non_empty_directory() {
    let master = master(crate::exports::MOOSEFS_DEFAULT).await;
    let mut conn = mounted(&master).await;
    ask(&master, &mut conn, mkdir(1, "a", 0)).await;
    ask(&master, &mut conn, mkdir(2, "b", 0)).await;

    let lookup = FuseLookup {
        msgid: 3,
        parent: 1,
        name: Name::new(&b"a"[..]),
        uid: 1000,
        gids: Groups::List(vec![1000]),
    };
    let frame = ask(&master, &mut conn, lookup).await;
    let reply: mooseng_wire::matocl::FuseLookupReply =
        decode_payload(&frame.payload, Ctx::default()).unwrap();
    let found = reply.reply.ok().unwrap();
    assert_eq!(found.inode, 2);
    assert_eq!(found.attr.mode, 0o755);
    // Others get r-x on a 0755 directory: LOOKUP_ACCESS_MODE for r-x.
    assert_eq!(found.extra.unwrap().lflags, 0x33);

    let readdir = FuseReaddir {
        msgid: 4,
        inode: 2,
        uid: 0,
        gids: Groups::List(vec![0]),
        flags: 0,
        max_entries: u32::MAX,
        next_edge: 0,
    };
    let frame = ask(&master, &mut conn, readdir).await;
    let reply: FuseReaddirReply = decode_payload(&frame.payload, Ctx::default()).unwrap();
    let listing = reply
        .parse(false, true, Ctx::default())
        .unwrap()
        .ok()
        .unwrap();
    assert_eq!(listing.next_edge, Some(readdir::END));
    let DirEntries::Plain(entries) = listing.entries else {
        panic!("attributes were not asked for");
    };
    let names: Vec<_> = entries.iter().map(|e| e.name.as_bytes().to_vec()).collect();
    assert_eq!(names, [b".".to_vec(), b"..".to_vec(), b"b".to_vec()]);
    assert_eq!(entries[1].inode, 1);
    assert_eq!(entries[2].kind, node_type::DIRECTORY);

    let rmdir = FuseRmdir {
        msgid: 5,
        parent: 1,
        name: Name::new(&b"a"[..]),
        uid: 0,
        gids: Groups::List(vec![0]),
    };
    let frame = ask(&master, &mut conn, rmdir).await;
    assert_eq!(status_of(&frame), Status::ENOTEMPTY);
}

#[tokio::test]
async fn readdir_pages_by_max_entries() {
    let master = master(crate::exports::MOOSEFS_DEFAULT).await;
    let mut conn = mounted(&master).await;
    for name in ["x", "y", "z"] {
        ask(&master, &mut conn, mkdir(1, name, 0)).await;
    }
    let mut cursor = 0;
    let mut names = Vec::new();
    while cursor != readdir::END {
        let request = FuseReaddir {
            msgid: 1,
            inode: 1,
            uid: 0,
            gids: Groups::List(vec![0]),
            flags: mooseng_wire::cltoma::getdir_flag::WITHATTR,
            max_entries: 2,
            next_edge: cursor,
        };
        let frame = ask(&master, &mut conn, request).await;
        let reply: FuseReaddirReply = decode_payload(&frame.payload, Ctx::default()).unwrap();
        let page = reply
            .parse(true, true, Ctx::default())
            .unwrap()
            .ok()
            .unwrap();
        let DirEntries::WithAttr(entries) = page.entries else {
            panic!("attributes were asked for");
        };
        assert!(entries.len() <= 2);
        names.extend(entries.into_iter().map(|e| e.name.as_bytes().to_vec()));
        cursor = page.next_edge.unwrap();
    }
    assert_eq!(names, [&b"."[..], b"..", b"x", b"y", b"z"]);
}

#[tokio::test]
async fn non_root_users_are_refused_by_the_mode_bits() {
    let master = master(crate::exports::MOOSEFS_DEFAULT).await;
    let mut conn = mounted(&master).await;
    ask(&master, &mut conn, mkdir(1, "private", 0)).await;
    let frame = ask(&master, &mut conn, mkdir(2, "mine", 1000)).await;
    assert_eq!(status_of(&frame), Status::EACCES);
}

#[tokio::test]
async fn read_only_sessions_answer_erofs() {
    let master = master("* / ro\n").await;
    let mut conn = mounted(&master).await;
    let frame = ask(&master, &mut conn, mkdir(1, "a", 0)).await;
    assert_eq!(status_of(&frame), Status::EROFS);
}

#[tokio::test]
async fn mapall_and_maproot_change_the_owner_of_new_nodes() {
    let master = master("* / rw,mapall=2000:3000,maproot=1000:1000\n").await;
    let mut conn = mounted(&master).await;
    ask(&master, &mut conn, mkdir(1, "by-root", 0)).await;
    ask(&master, &mut conn, mkdir(1, "by-user", 5)).await;
    let ns = master.store.read().await;
    let owner = |name: &[u8]| {
        let inode = ns
            .lookup(&crate::namespace::Caller::root(), 1, name)
            .unwrap();
        let node = ns.get(inode).unwrap();
        (node.uid, node.gid)
    };
    assert_eq!(owner(b"by-root"), (1000, 1000));
    assert_eq!(owner(b"by-user"), (2000, 3000));
}

#[tokio::test]
async fn subfolder_mounts_see_their_directory_as_inode_one() {
    let master = master(crate::exports::MOOSEFS_DEFAULT).await;
    let mut root = mounted(&master).await;
    ask(&master, &mut root, mkdir(1, "sub", 0)).await;
    ask(&master, &mut root, mkdir(1, "other", 0)).await;

    let mut conn = Connection::new(Ipv4Addr::LOCALHOST);
    let register = mooseng_wire::cltoma::FuseRegister {
        request: RegisterRequest::NewSession(mooseng_wire::cltoma::NewSession {
            version: mooseng_wire::Version::MOOSEFS_3_0_117,
            info: mooseng_wire::Bytes32::new(&b"/mnt\0"[..]),
            path: Some(mooseng_wire::Bytes32::new(&b"/sub\0"[..])),
            previous: None,
            passcode: None,
        }),
    };
    ask(&master, &mut conn, register).await;
    assert_eq!(conn.session().unwrap().grant.root, 2);

    let frame = ask(&master, &mut conn, mkdir(1, "inside", 0)).await;
    assert_eq!(&frame.payload[4..8], &4u32.to_be_bytes());
    let getattr = FuseGetattr {
        msgid: 1,
        inode: 3,
        caller: GetattrCaller::Opened {
            opened: 0,
            uid: 0,
            gid: 0,
        },
    };
    let frame = ask(&master, &mut conn, getattr).await;
    assert_eq!(status_of(&frame), Status::ENOENT);
}

#[tokio::test]
async fn password_protected_exports_need_the_challenge_answer() {
    let master = master("* / rw,password=secret\n").await;
    let mut conn = Connection::new(Ipv4Addr::LOCALHOST);
    let get_random = mooseng_wire::cltoma::FuseRegister {
        request: RegisterRequest::GetRandom,
    };
    let frame = ask(&master, &mut conn, get_random).await;
    let reply: FuseRegisterReply = decode_payload(&frame.payload, Ctx::default()).unwrap();
    let RegisterReply::Random(random) = reply.reply else {
        panic!("no challenge: {reply:?}");
    };
    let register = |passcode| mooseng_wire::cltoma::FuseRegister {
        request: RegisterRequest::NewSession(mooseng_wire::cltoma::NewSession {
            version: mooseng_wire::Version::MOOSEFS_3_0_117,
            info: mooseng_wire::Bytes32::new(&b"/mnt\0"[..]),
            path: Some(mooseng_wire::Bytes32::new(&b"/\0"[..])),
            previous: None,
            passcode: Some(passcode),
        }),
    };
    let frame = ask(&master, &mut conn, register([0; 16])).await;
    assert_eq!(frame.payload[..], [Status::BADPASSWORD.0]);

    use md5::{Digest, Md5};
    let digest = Md5::digest(b"secret");
    let mut material = random[..16].to_vec();
    material.extend_from_slice(&digest);
    material.extend_from_slice(&random[16..]);
    let answer: [u8; 16] = Md5::digest(&material).into();
    let frame = ask(&master, &mut conn, register(answer)).await;
    assert_eq!(frame.payload.len(), 49);
}

#[tokio::test]
async fn requests_before_register_close_the_connection() {
    let master = master(crate::exports::MOOSEFS_DEFAULT).await;
    let mut conn = Connection::new(Ipv4Addr::LOCALHOST);
    let request = hex("0000000100000001000000000000000000");
    assert!(matches!(
        send(&master, &mut conn, 408, &request).await,
        Action::Close(_)
    ));
}

/// mfsmount's RECONNECT to session `id` of `master`.
pub(super) fn reconnect_to(master: &Master, id: u32) -> mooseng_wire::cltoma::FuseRegister {
    mooseng_wire::cltoma::FuseRegister {
        request: RegisterRequest::Reconnect {
            sessionid: id,
            version: mooseng_wire::Version::MOOSEFS_3_0_117,
            metaid: Some(master.metaid),
        },
    }
}

#[tokio::test]
async fn reconnect_and_close_session() {
    let master = master(crate::exports::MOOSEFS_DEFAULT).await;
    let first = mounted(&master).await;
    let id = first.session().unwrap().id;
    let mut again = Connection::new(Ipv4Addr::LOCALHOST);
    let reconnect = reconnect_to(&master, id);
    let frame = ask(&master, &mut again, reconnect.clone()).await;
    assert_eq!(&frame.payload[..], &hex("000300ea00")[..]);

    let mut stranger = Connection::new(Ipv4Addr::new(10, 0, 0, 9));
    let frame = ask(&master, &mut stranger, reconnect).await;
    assert_eq!(frame.payload[4], Status::EPERM.0);

    let close = mooseng_wire::cltoma::FuseRegister {
        request: RegisterRequest::CloseSession {
            sessionid: id,
            metaid: None,
        },
    };
    let frame = close.to_frame();
    let action = send(&master, &mut again, frame.kind, &frame.payload).await;
    assert!(matches!(action, Action::ReplyAndClose(_)));
    assert!(master.sessions.find(id).is_none());
}

/// Creates `held` in the root through `conn`, which holds it open; returns
/// the files the connection's session holds.
pub(super) async fn create_held(
    master: &Master,
    conn: &mut Connection,
) -> Vec<crate::namespace::Inode> {
    let create = mooseng_wire::cltoma::FuseCreate {
        msgid: 1,
        parent: 1,
        name: Name::new(b"held".to_vec()),
        mode: 0o644,
        umask: 0,
        uid: 0,
        gids: Groups::List(vec![0]),
    };
    ask(master, conn, create).await;
    conn.session().unwrap().open_inodes()
}

/// A session this master has not served (registered with another master
/// of the group, or before a restart; here: forgotten by this master's
/// registry) is found in the metadata, with the files it holds open.
#[tokio::test]
async fn reconnect_to_a_session_only_the_metadata_knows() {
    let master = master(crate::exports::MOOSEFS_DEFAULT).await;
    let mut first = mounted(&master).await;
    let id = first.session().unwrap().id;
    let held = create_held(&master, &mut first).await;
    assert_eq!(held.len(), 1);
    drop(first);
    master.sessions.close(id);

    let mut again = Connection::new(Ipv4Addr::LOCALHOST);
    let reconnect = reconnect_to(&master, id);
    let frame = ask(&master, &mut again, reconnect).await;
    assert_eq!(frame.payload[4], Status::OK.0);
    let session = again.session().unwrap();
    assert_eq!(session.id, id);
    assert_eq!(session.open_inodes(), held);
}

/// A mount that went away without closing its session: after the sustain
/// time without a connection its session ends and the file it held open
/// is released. A connected session never ends.
#[tokio::test]
async fn an_idle_session_ends_after_the_sustain_time() {
    use super::session_expiry::{expire_idle_sessions, Idle};
    use std::time::{Duration, Instant};

    let master = master(crate::exports::MOOSEFS_DEFAULT).await;
    let mut gone = mounted(&master).await;
    let stays = mounted(&master).await;
    let (gone_id, stays_id) = (gone.session().unwrap().id, stays.session().unwrap().id);
    let held = create_held(&master, &mut gone).await;
    assert_eq!(master.store.read().await.held_by(gone_id), held);
    drop(gone);

    let sustain = Duration::from_secs(60);
    let start = Instant::now();
    let idle = &mut Idle::default();
    for (at, ended) in [
        (Duration::ZERO, vec![]),
        (sustain - Duration::from_millis(1), vec![]),
        (sustain, vec![gone_id]),
        (10 * sustain, vec![]),
    ] {
        let expired = expire_idle_sessions(&master, idle, start + at, sustain).await;
        assert_eq!(expired, ended, "at {at:?} ({stays_id} stays connected)");
    }

    let ns = master.store.read().await;
    assert!(ns.session(gone_id).is_none());
    assert!(ns.session(stays_id).is_some());
    assert!(ns.held_by(gone_id).is_empty(), "its file is released");
    assert!(master.sessions.find(gone_id).is_none());
    drop(stays);
}

/// mfsmount 3.0.117 fails the requests it waits to send again with EIO
/// after BADSESSIONID (`sessionlost` 1) but keeps them after EPERM
/// (`sessionlost` 2), registering a new session that names the old one.
#[tokio::test]
async fn reconnect_to_an_unknown_session_lets_the_mount_register_again() {
    let master = master(crate::exports::MOOSEFS_DEFAULT).await;
    let reconnect = |metaid: u64| mooseng_wire::cltoma::FuseRegister {
        request: RegisterRequest::Reconnect {
            sessionid: 77,
            version: mooseng_wire::Version::MOOSEFS_3_0_117,
            metaid: Some(metaid),
        },
    };
    let mut mount = Connection::new(Ipv4Addr::LOCALHOST);
    let frame = ask(&master, &mut mount, reconnect(master.metaid)).await;
    assert_eq!(frame.payload[4], Status::EPERM.0);

    let mut elsewhere = Connection::new(Ipv4Addr::LOCALHOST);
    let frame = ask(&master, &mut elsewhere, reconnect(master.metaid ^ 1)).await;
    assert_eq!(frame.payload[4], Status::BADSESSIONID.0);

    let tools = mooseng_wire::cltoma::FuseRegister {
        request: RegisterRequest::Tools {
            sessionid: 77,
            version: mooseng_wire::Version::MOOSEFS_3_0_117,
            metaid: Some(master.metaid),
        },
    };
    let mut tool = Connection::new(Ipv4Addr::LOCALHOST);
    let frame = ask(&master, &mut tool, tools).await;
    assert_eq!(&frame.payload[..], [Status::BADSESSIONID.0]);
}

#[tokio::test]
async fn time_sync_echoes_the_msgid() {
    let master = master(crate::exports::MOOSEFS_DEFAULT).await;
    let mut conn = mounted(&master).await;
    let Action::Reply(frame) = send(&master, &mut conn, 704, &hex("00000000")).await else {
        panic!("no answer");
    };
    assert_eq!(frame.kind, 705);
    assert_eq!(frame.payload.len(), 12);
    assert_eq!(&frame.payload[..4], &[0, 0, 0, 0]);
}

#[tokio::test]
async fn holes_read_as_chunk_zero_and_writes_need_chunkservers() {
    let master = master(crate::exports::MOOSEFS_DEFAULT).await;
    let mut conn = mounted(&master).await;
    let created = master
        .store
        .change(
            &crate::namespace::Caller::root(),
            crate::namespace::Mutation::Create {
                parent: crate::namespace::ROOT,
                name: b"f"[..].into(),
                node: crate::namespace::NewNode::File,
                mode: 0o644,
                umask: 0,
                copy_sgid: false,
            },
        )
        .await
        .unwrap();
    let inode = created.inode();
    let read = mooseng_wire::cltoma::FuseReadChunk {
        msgid: 3,
        inode,
        index: 0,
        flags: Some(0),
    };
    let frame = ask(&master, &mut conn, read).await;
    assert_eq!(frame.kind, 433);
    let expected = hex(concat!(
        "00000003",         // msgid
        "02",               // protocolid 2: records with version and labels
        "0000000000000000", // file length
        "0000000000000000", // chunk id 0: a hole
        "00000000",         // version 0, and no servers
    ));
    assert_eq!(&frame.payload[..], &expected[..]);
    let write = mooseng_wire::cltoma::FuseWriteChunk {
        msgid: 4,
        inode,
        index: 0,
        flags: Some(0),
    };
    let frame = ask(&master, &mut conn, write).await;
    assert_eq!(status_of(&frame), Status::NOCHUNKSERVERS);
}

#[tokio::test]
async fn mfscli_queries_are_answered_without_registering() {
    let master = master(crate::exports::MOOSEFS_DEFAULT).await;
    let mut conn = Connection::new(Ipv4Addr::LOCALHOST);
    let list = ask(&master, &mut conn, mooseng_wire::cltoma_info::CservList {}).await;
    assert_eq!((list.kind, list.payload.len()), (501, 0));
    let info = ask(&master, &mut conn, mooseng_wire::cltoma_info::Info {}).await;
    assert_eq!((info.kind, info.payload.len()), (511, 149));
    let matrix = mooseng_wire::cltoma_info::ChunksMatrix { matrix_id: None };
    let matrix = ask(&master, &mut conn, matrix).await;
    assert_eq!((matrix.kind, matrix.payload.len()), (517, 969));
}
