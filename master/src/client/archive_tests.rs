//! ARCHCTL over the client protocol and the archive delay's loop.

use mooseng_wire::cltoma::{archctl, FuseArchctl};
use mooseng_wire::matocl::{ArchChange, ArchState, ArchctlReply, FuseArchctlReply};
use mooseng_wire::message::decode_payload;
use mooseng_wire::{Ctx, Reply};

use super::tests::{ask, master, mounted};
use super::*;
use crate::chunks::{ChunkEntry, FileRef};
use crate::namespace::{
    smode, Caller, ClassDef, Inode, Mutation, NewNode, PolicyTarget, SetMode, ROOT,
};

const DAY: u32 = 86_400;

/// A file of a class archiving after one day, with one chunk; returns
/// the file and the chunk.
async fn cold_file(master: &Master) -> (Inode, u64) {
    let root = Caller::root();
    let def = ClassDef {
        arch_delay: 1,
        create: vec![[0; 4]],
        keep: vec![[0; 4]; 2],
        arch: vec![[0; 4]],
        ..ClassDef::default()
    };
    let name: Box<[u8]> = b"cold".as_slice().into();
    let create = Mutation::SclassCreate {
        name: name.clone(),
        def,
    };
    master.store.change(&root, create).await.unwrap();
    let class = master.store.read().await.classes().find(&name).unwrap();
    let file = Mutation::plain_create(ROOT, "f", NewNode::File);
    let inode = master.store.change(&root, file).await.unwrap().inode();
    let set = Mutation::SetSclass {
        target: PolicyTarget {
            inode,
            uid: 0,
            mode: SetMode::from_wire(smode::SET).unwrap(),
        },
        class,
        exchanged: class,
        admin: true,
    };
    master.store.change(&root, set).await.unwrap();
    let file = FileRef { inode, index: 0 };
    let chunk = master
        .chunks
        .commit(ChunkEntry::Create { file, class })
        .unwrap();
    let slot = Mutation::SetChunk {
        inode,
        index: 0,
        expect: 0,
        chunk,
    };
    master.store.change(&root, slot).await.unwrap();
    (inode, chunk)
}

#[tokio::test]
async fn set_and_get_answer_the_counts_mfsmaster_answers() {
    let master = master(crate::exports::MOOSEFS_DEFAULT).await;
    let (inode, chunk) = cold_file(&master).await;
    let mut conn = mounted(&master).await;
    let request = |cmd, uid| FuseArchctl {
        msgid: 7,
        inode,
        cmd,
        uid,
    };
    let decode = |frame: mooseng_wire::Frame| {
        decode_payload::<FuseArchctlReply>(&frame.payload, Ctx::default()).unwrap()
    };
    let set = decode(ask(&master, &mut conn, request(archctl::SET, Some(0))).await);
    let changed = ArchChange {
        chunks_changed: 1,
        chunks_not_changed: 0,
        inodes_not_permitted: 0,
    };
    assert_eq!(set.reply, Reply::Ok(ArchctlReply::Changed(changed)));
    assert_eq!(master.chunks.archived(&[chunk]), [Some(true)]);
    let get = decode(ask(&master, &mut conn, request(archctl::GET, None)).await);
    let state = ArchState {
        arch_chunks: 1,
        not_arch_chunks: 0,
        arch_inodes: 1,
        partial_inodes: 0,
        not_arch_inodes: 0,
    };
    assert_eq!(get.reply, Reply::Ok(ArchctlReply::Get(state)));
    let again = decode(ask(&master, &mut conn, request(archctl::SET, Some(0))).await);
    let Reply::Ok(ArchctlReply::Changed(again)) = again.reply else {
        panic!("{again:?}");
    };
    assert_eq!((again.chunks_changed, again.chunks_not_changed), (0, 1));
}

#[tokio::test]
async fn the_loop_archives_files_past_their_class_delay_once() {
    let master = master(crate::exports::MOOSEFS_DEFAULT).await;
    let (inode, chunk) = cold_file(&master).await;
    let ctime = master.store.read().await.get(inode).unwrap().ctime;
    assert_eq!(archive_due(&master, ctime + DAY).await, 0);
    assert_eq!(archive_due(&master, ctime + DAY + 1).await, 1);
    assert_eq!(master.chunks.archived(&[chunk]), [Some(true)]);
    assert_eq!(archive_due(&master, ctime + DAY + 2).await, 0);
}
