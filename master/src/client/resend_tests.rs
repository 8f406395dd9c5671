//! A change resent after a reconnect gets its first answer and is not
//! made again; the same bytes sent as a new request are made again.

use std::net::Ipv4Addr;

use mooseng_wire::cltoma::{FuseRmdir, FuseUnlink};
use mooseng_wire::types::Groups;
use mooseng_wire::{Frame, Name, Status};

use super::tests::{ask, master, mkdir, mounted, reconnect_to, status_of};
use super::*;

/// A connection that resumed session `id` with RECONNECT.
async fn resumed(master: &Master, id: u32) -> Connection {
    let mut conn = Connection::new(Ipv4Addr::LOCALHOST);
    let frame = ask(master, &mut conn, reconnect_to(master, id)).await;
    assert_eq!(frame.payload[4], Status::OK.0, "reconnect refused");
    conn
}

fn ok_answer(frame: &Frame) -> &Frame {
    assert!(frame.payload.len() > 5, "not an OK answer: {frame:?}");
    frame
}

#[tokio::test]
async fn a_resent_mkdir_gets_its_first_answer_once() {
    let master = master(crate::exports::MOOSEFS_DEFAULT).await;
    let mut first = mounted(&master).await;
    let id = first.session().unwrap().id;
    let made = ask(&master, &mut first, mkdir(1, "d", 0)).await;
    drop(first);

    let mut again = resumed(&master, id).await;
    let resent = ask(&master, &mut again, mkdir(1, "d", 0)).await;
    assert_eq!(
        ok_answer(&resent),
        &made,
        "the resend answers as the first time"
    );
    let repeated = ask(&master, &mut again, mkdir(1, "d", 0)).await;
    assert_eq!(status_of(&repeated), Status::EEXIST, "a second one is new");

    let mut fresh = mounted(&master).await;
    let other = ask(&master, &mut fresh, mkdir(1, "d", 0)).await;
    assert_eq!(status_of(&other), Status::EEXIST, "not a resumed session");
}

#[tokio::test]
async fn only_the_last_change_under_a_message_id_is_answered_again() {
    let master = master(crate::exports::MOOSEFS_DEFAULT).await;
    let mut first = mounted(&master).await;
    let id = first.session().unwrap().id;
    ok_answer(&ask(&master, &mut first, mkdir(1, "d", 0)).await);
    ok_answer(&ask(&master, &mut first, mkdir(1, "e", 0)).await);

    let mut again = resumed(&master, id).await;
    let old = ask(&master, &mut again, mkdir(1, "d", 0)).await;
    assert_eq!(status_of(&old), Status::EEXIST);
}

#[tokio::test]
async fn a_resent_removal_succeeds_as_the_first_did() {
    let master = master(crate::exports::MOOSEFS_DEFAULT).await;
    let mut first = mounted(&master).await;
    let id = first.session().unwrap().id;
    ok_answer(&ask(&master, &mut first, mkdir(1, "d", 0)).await);
    let rmdir = FuseRmdir {
        msgid: 9,
        parent: 1,
        name: Name::new(b"d".to_vec()),
        uid: 0,
        gids: Groups::List(vec![0]),
    };
    let removed = ask(&master, &mut first, rmdir.clone()).await;
    assert_eq!(removed.payload.len(), 8, "msgid and the removed inode");

    let mut again = resumed(&master, id).await;
    assert_eq!(ask(&master, &mut again, rmdir).await, removed);
    let unlink = FuseUnlink {
        msgid: 9,
        parent: 1,
        name: Name::new(b"d".to_vec()),
        uid: 0,
        gids: Groups::List(vec![0]),
    };
    let gone = ask(&master, &mut again, unlink).await;
    assert_eq!(status_of(&gone), Status::ENOENT, "other bytes are new");
}
