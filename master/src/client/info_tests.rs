//! `mfscli -SIN`'s chunk loop, check loop and missing chunks, and the path
//! lookups its lists need: answer bytes as `matoclserv.c` writes them,
//! without registering (mfscli never does).

use std::net::Ipv4Addr;

use mooseng_wire::cltoma_info::{ChunkstestInfo, FstestInfo, MassResolvePaths, MissingChunks};
use mooseng_wire::codec::Rest;
use mooseng_wire::message::Message;

use super::tests::{hex, master, send};
use super::*;
use crate::chunks::{ChunkEntry, FileRef};
use crate::namespace::{Caller, Inode, Mutation, NewNode, ROOT};

/// The payload answering `request`, under its code plus one.
async fn answer(master: &Master, request: impl Message) -> Vec<u8> {
    let mut conn = Connection::new(Ipv4Addr::LOCALHOST);
    let frame = request.to_frame();
    match send(master, &mut conn, frame.kind, &frame.payload).await {
        Action::Reply(answer) => {
            assert_eq!(answer.kind, frame.kind + 1);
            answer.payload.to_vec()
        }
        other => panic!("no answer: {other:?}"),
    }
}

async fn change(master: &Master, mutation: Mutation) -> Inode {
    let outcome = master.store.change(&Caller::root(), mutation).await;
    outcome.unwrap().inode()
}

async fn make(master: &Master, parent: Inode, name: &str, node: NewNode) -> Inode {
    let create = Mutation::plain_create(parent, name, node);
    change(master, create).await
}

/// A file in `parent` whose first slot holds `chunk`.
async fn file(master: &Master, parent: Inode, name: &str, chunk: u64) -> Inode {
    let inode = make(master, parent, name, NewNode::File).await;
    let set = Mutation::SetChunk {
        inode,
        index: 0,
        expect: 0,
        chunk,
    };
    change(master, set).await;
    inode
}

#[tokio::test]
async fn paths_are_resolved_byte_for_byte_as_by_mfsmaster() {
    // The tree a Debian mfsmaster 3.0.117 answered for: d1, d2, d1/a
    // (then unlinked into the trash), d2/b, empty, d1/c linked as
    // d2/c-link. Inodes are handed out in the same order: 2 to 7.
    let master = master(crate::exports::MOOSEFS_DEFAULT).await;
    let d1 = make(&master, ROOT, "d1", NewNode::Directory).await;
    let d2 = make(&master, ROOT, "d2", NewNode::Directory).await;
    make(&master, d1, "a", NewNode::File).await;
    make(&master, d2, "b", NewNode::File).await;
    make(&master, ROOT, "empty", NewNode::File).await;
    let c = make(&master, d1, "c", NewNode::File).await;
    let link = Mutation::Link {
        inode: c,
        parent: d2,
        name: b"c-link"[..].into(),
    };
    change(&master, link).await;
    let unlink = Mutation::Unlink {
        parent: d1,
        name: b"a"[..].into(),
    };
    master.store.change(&Caller::root(), unlink).await.unwrap();

    let request = MassResolvePaths {
        inodes: Rest(vec![1, 4, 7, 5, 99, 0, 3]),
    };
    let got = answer(&master, request).await;
    let expected = hex(concat!(
        "00000001",
        "00000005",
        "00000001",
        "2f", // 1: "/"
        "00000004",
        "00000012",
        "0000000e",
        "2e2f5452415348202864312f6129", // ./TRASH (d1/a)
        "00000007",
        "00000015", // 7: two links, the newest first
        "00000009",
        "64322f632d6c696e6b", // d2/c-link
        "00000004",
        "64312f63", // d1/c
        "00000005",
        "00000008",
        "00000004",
        "64322f62", // d2/b
        "00000063",
        "0000000d",
        "00000009",
        "2864656c6574656429", // (deleted)
        "00000003",
        "00000006",
        "00000002",
        "6432", // d2; inode 0 is skipped
    ));
    assert_eq!(got, expected);
}

#[tokio::test]
async fn the_chunk_loop_has_no_data_before_two_passes() {
    let master = master(crate::exports::MOOSEFS_DEFAULT).await;
    let got = answer(&master, ChunkstestInfo {}).await;
    assert_eq!(got, vec![0; 72], "mfscli prints \"no data\" for start 0");
    master.chunks.maintain();
    master.chunks.maintain();
    let got = answer(&master, ChunkstestInfo {}).await;
    assert_eq!(got.len(), 72);
    let start = u32::from_be_bytes(got[..4].try_into().unwrap());
    let end = u32::from_be_bytes(got[4..8].try_into().unwrap());
    assert!(start > 0 && start <= end, "loop from {start} to {end}");
    assert_eq!(&got[8..], &[0; 64][..], "nothing to do without chunks");
}

#[tokio::test]
async fn the_check_loop_and_missing_chunks_describe_the_present() {
    let master = master(crate::exports::MOOSEFS_DEFAULT).await;
    let chunk = master
        .chunks
        .commit(ChunkEntry::Create {
            file: FileRef { inode: 2, index: 0 },
            class: 1,
        })
        .unwrap();
    let missing = file(&master, ROOT, "missing", chunk).await;
    assert_eq!(missing, 2);
    let lost = file(&master, ROOT, "lost", 0x51).await;

    let long = answer(&master, FstestInfo { version: Some(0) }).await;
    let message = format!(
        "structure error - chunk 0000000000000051 not found (inode: {lost} ; index: 0)\n\
         unknown chunks: 1\n"
    );
    assert_eq!(long.len(), 44 + message.len());
    let words: Vec<u32> = long[..44]
        .chunks(4)
        .map(|w| u32::from_be_bytes(w.try_into().unwrap()))
        .collect();
    assert!(words[0] > 0 && words[0] == words[1], "checked just now");
    // files, under-goal files, missing files, missing trash, missing
    // sustained, chunks, under-goal chunks, missing chunks, message length.
    assert_eq!(words[2..], [2, 0, 2, 0, 0, 2, 0, 2, message.len() as u32]);
    assert_eq!(&long[44..], message.as_bytes());
    let short = answer(&master, FstestInfo { version: None }).await;
    assert_eq!(short.len(), 36 + message.len(), "without the trash pair");

    // The known chunk without copies; the unknown one is only a message.
    let typed = answer(&master, MissingChunks { mode: Some(1) }).await;
    assert_eq!(typed, hex("0000000000000001000000020000000000"));
    let plain = answer(&master, MissingChunks { mode: None }).await;
    assert_eq!(plain, hex("00000000000000010000000200000000"));
}
