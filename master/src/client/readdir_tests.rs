//! READDIR answers, written straight from the directory index, read back
//! with the wire crate's decoder: the same bytes its encoder makes from
//! the decoded listing, and the attributes GETATTR shows.

use mooseng_wire::cltoma::{getdir_flag, FuseGetattr, FuseReaddir, GetattrCaller};
use mooseng_wire::matocl::{DirEntries, Directory, FuseGetattrReply, FuseReaddirReply};
use mooseng_wire::message::{decode_payload, Message};
use mooseng_wire::types::{node_type, Groups};
use mooseng_wire::{Attr, Ctx};

use super::readdir::END;
use super::tests::{ask, master, mkdir, mounted};
use super::{Connection, Master};

const NAMES: [&str; 3] = ["a", "a name longer than fourteen bytes", "b"];

fn readdir(flags: u8, max_entries: u32, next_edge: u64) -> FuseReaddir {
    FuseReaddir {
        msgid: 9,
        inode: 1,
        uid: 0,
        gids: Groups::List(vec![0]),
        flags,
        max_entries,
        next_edge,
    }
}

/// The answer to `request`, decoded, after checking that the wire
/// crate's encoder makes the same bytes from it.
async fn listing(master: &Master, conn: &mut Connection, request: FuseReaddir) -> Directory {
    let with_attr = request.flags & getdir_flag::WITHATTR != 0;
    let frame = ask(master, conn, request).await;
    let reply: FuseReaddirReply = decode_payload(&frame.payload, Ctx::default()).unwrap();
    let listing = reply
        .parse(with_attr, true, Ctx::default())
        .unwrap()
        .ok()
        .unwrap();
    let again = FuseReaddirReply::new(9, &listing);
    assert_eq!(again.to_frame().payload, frame.payload);
    listing
}

async fn getattr(master: &Master, conn: &mut Connection, inode: u32) -> Attr {
    let request = FuseGetattr {
        msgid: 1,
        inode,
        caller: GetattrCaller::Ids { uid: 0, gid: 0 },
    };
    let frame = ask(master, conn, request).await;
    let reply: FuseGetattrReply = decode_payload(&frame.payload, Ctx::default()).unwrap();
    reply.reply.ok().unwrap()
}

#[tokio::test]
async fn a_listing_with_attributes_shows_what_getattr_shows() {
    let master = master(crate::exports::MOOSEFS_DEFAULT).await;
    let mut conn = mounted(&master).await;
    for name in NAMES {
        ask(&master, &mut conn, mkdir(1, name, 0)).await;
    }
    let request = readdir(getdir_flag::WITHATTR, u32::MAX, 0);
    let listed = listing(&master, &mut conn, request).await;
    assert_eq!(listed.next_edge, Some(END));
    let DirEntries::WithAttr(entries) = listed.entries else {
        panic!("attributes were asked for");
    };
    let names: Vec<_> = entries.iter().map(|e| e.name.as_bytes().to_vec()).collect();
    let wanted: Vec<_> = [".", ".."]
        .into_iter()
        .chain(NAMES)
        .map(|n| n.as_bytes().to_vec())
        .collect();
    assert_eq!(names, wanted);
    assert_eq!((entries[0].inode, entries[1].inode), (1, 1));
    for entry in &entries {
        assert_eq!(entry.attr, getattr(&master, &mut conn, entry.inode).await);
    }
    assert_eq!(entries[2].attr.kind, node_type::DIRECTORY);
}

#[tokio::test]
async fn a_plain_page_continues_where_the_last_ended() {
    let master = master(crate::exports::MOOSEFS_DEFAULT).await;
    let mut conn = mounted(&master).await;
    for name in NAMES {
        ask(&master, &mut conn, mkdir(1, name, 0)).await;
    }
    let first = listing(&master, &mut conn, readdir(0, 3, 0)).await;
    assert_eq!(first.next_edge, Some(3));
    let rest = listing(&master, &mut conn, readdir(0, 10, 3)).await;
    assert_eq!(rest.next_edge, Some(END));
    let DirEntries::Plain(rest) = rest.entries else {
        panic!("attributes were not asked for");
    };
    let names: Vec<_> = rest.iter().map(|e| e.name.as_bytes().to_vec()).collect();
    assert_eq!(names, [NAMES[1].as_bytes(), NAMES[2].as_bytes()]);
    assert!(rest.iter().all(|e| e.kind == node_type::DIRECTORY));
    let past_the_end = listing(&master, &mut conn, readdir(0, 10, 9)).await;
    assert_eq!(past_the_end.next_edge, Some(END));
    assert_eq!(past_the_end.entries, DirEntries::Plain(Vec::new()));
}
