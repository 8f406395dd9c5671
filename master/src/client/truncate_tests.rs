//! Handler tests for TRUNCATE's flags and the export's `disable=` rules
//! (the chunk cut itself needs chunkservers: `tests/cluster.rs`), and for
//! AMTIME_INODES, which brings a write's mtime after UPDATE no longer does.

use mooseng_wire::cltoma::{truncate_flag, AmTime, FuseAmtimeInodes, FuseTruncate};
use mooseng_wire::matocl::FuseTruncateReply;
use mooseng_wire::message::{decode_payload, Message};
use mooseng_wire::types::Groups;
use mooseng_wire::{Ctx, Rest, Status};

use super::tests::{master, mounted, send};
use super::*;
use crate::namespace::{Caller, Mutation, NewNode, ROOT};

/// A file `f` of mode 0644 owned by root; its inode.
async fn file(master: &Master) -> u32 {
    let create = Mutation::Create {
        parent: ROOT,
        name: b"f"[..].into(),
        node: NewNode::File,
        mode: 0o644,
        umask: 0,
        copy_sgid: false,
    };
    master
        .store
        .change(&Caller::root(), create)
        .await
        .unwrap()
        .inode()
}

/// Sends TRUNCATE and answers `(previous length, length now)` or the status.
async fn truncate(
    master: &Master,
    conn: &mut Connection,
    inode: u32,
    flags: u8,
    uid: u32,
    length: u64,
) -> Result<(u64, u64), Status> {
    let request = FuseTruncate {
        msgid: 9,
        inode,
        flags,
        uid,
        gids: Groups::List(vec![uid]),
        length,
    }
    .to_frame();
    let Action::Reply(frame) = send(master, conn, request.kind, &request.payload).await else {
        panic!("no answer");
    };
    let reply: FuseTruncateReply = decode_payload(&frame.payload, Ctx::default()).unwrap();
    reply
        .reply
        .ok()
        .map(|t| (t.previous_length.unwrap(), t.attr.length))
}

#[tokio::test]
async fn update_only_grows_and_reserve_answers_the_end() {
    let master = master(crate::exports::MOOSEFS_DEFAULT).await;
    let mut conn = mounted(&master).await;
    let f = file(&master).await;
    let update = truncate_flag::OPENED | truncate_flag::UPDATE;
    assert_eq!(
        truncate(&master, &mut conn, f, update, 0, 500).await,
        Ok((0, 500))
    );
    assert_eq!(
        truncate(&master, &mut conn, f, update, 0, 100).await,
        Ok((500, 500))
    );
    let reserve = update | truncate_flag::RESERVE;
    assert_eq!(
        truncate(&master, &mut conn, f, reserve, 0, 70).await,
        Ok((500, 500))
    );
    assert_eq!(
        truncate(&master, &mut conn, f, 0, 0, 100).await,
        Ok((500, 100))
    );
}

#[tokio::test]
async fn opened_waives_the_write_permission_check() {
    let master = master(crate::exports::MOOSEFS_DEFAULT).await;
    let mut conn = mounted(&master).await;
    let f = file(&master).await;
    let opened = truncate_flag::OPENED;
    assert_eq!(
        truncate(&master, &mut conn, f, 0, 1000, 10).await,
        Err(Status::EACCES)
    );
    assert_eq!(
        truncate(&master, &mut conn, f, opened, 1000, 10).await,
        Ok((0, 10))
    );
}

#[tokio::test]
async fn disable_truncate_refuses_shrinking_and_setlength_growing() {
    let no_shrink = master("* / rw,alldirs,maproot=0:0,disable=truncate\n").await;
    let mut conn = mounted(&no_shrink).await;
    let f = file(&no_shrink).await;
    assert_eq!(
        truncate(&no_shrink, &mut conn, f, 0, 0, 50).await,
        Ok((0, 50))
    );
    assert_eq!(
        truncate(&no_shrink, &mut conn, f, 0, 0, 10).await,
        Err(Status::EPERM)
    );

    let no_grow = master("* / rw,alldirs,maproot=0:0,disable=setlength\n").await;
    let mut conn = mounted(&no_grow).await;
    let f = file(&no_grow).await;
    assert_eq!(
        truncate(&no_grow, &mut conn, f, 0, 0, 50).await,
        Err(Status::EPERM)
    );

    let neither = master("* / rw,alldirs,maproot=0:0,disable=truncate:setlength\n").await;
    let mut conn = mounted(&neither).await;
    let f = file(&neither).await;
    assert_eq!(
        truncate(&neither, &mut conn, f, 0, 0, 0).await,
        Err(Status::EPERM)
    );
    let update = truncate_flag::OPENED | truncate_flag::UPDATE;
    assert_eq!(
        truncate(&neither, &mut conn, f, update, 0, 9).await,
        Ok((0, 9))
    );
}

#[tokio::test]
async fn reported_times_reach_the_master_without_an_answer() {
    let master = master(crate::exports::MOOSEFS_DEFAULT).await;
    let mut conn = mounted(&master).await;
    let f = file(&master).await;
    let mtime = master.store.read().await.attr(f).unwrap().mtime + 30;
    let report = FuseAmtimeInodes {
        inodes: Rest(vec![
            AmTime {
                inode: f,
                atime: 0,
                mtime,
            },
            AmTime {
                inode: 999,
                atime: 1,
                mtime: 1,
            },
        ]),
    }
    .to_frame();
    let action = send(&master, &mut conn, report.kind, &report.payload).await;
    assert_eq!(action, Action::Nothing);
    let attr = master.store.read().await.attr(f).unwrap();
    assert_eq!((attr.mtime, attr.ctime), (mtime, mtime));
}
