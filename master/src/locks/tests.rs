use mooseng_wire::cltoma::posix_lock::{RDLCK, UNLCK, WRLCK};
use mooseng_wire::Frame;
use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver};

use super::*;

const FILE: Inode = 7;

fn requester(session: u32, owner: u64, msgid: u32) -> (Requester, UnboundedReceiver<Frame>) {
    let (reply_to, rx) = unbounded_channel();
    let who = Requester {
        session,
        owner,
        msgid,
        reqid: msgid,
        reply_to,
    };
    (who, rx)
}

/// The late answer a waiting request got: `msgid:32 status:8`.
fn late_status(rx: &mut UnboundedReceiver<Frame>) -> Option<(u32, u8)> {
    let frame = rx.try_recv().ok()?;
    let p = &frame.payload;
    Some((u32::from_be_bytes([p[0], p[1], p[2], p[3]]), p[4]))
}

#[test]
fn second_exclusive_flock_waits_until_the_first_is_released() {
    let locks = Locks::default();
    let (a, _a_rx) = requester(1, 10, 1);
    let (b, mut b_rx) = requester(2, 20, 2);
    assert_eq!(
        locks.flock(FILE, a.clone(), FlockOp::LockExclusive),
        Answer::Now(Status::OK)
    );
    assert_eq!(
        locks.flock(FILE, b.clone(), FlockOp::TryExclusive),
        Answer::Now(Status::EAGAIN)
    );
    assert_eq!(
        locks.flock(FILE, b, FlockOp::LockExclusive),
        Answer::Waiting
    );
    assert_eq!(late_status(&mut b_rx), None);
    assert_eq!(
        locks.flock(FILE, a, FlockOp::Unlock),
        Answer::Now(Status::OK)
    );
    assert_eq!(late_status(&mut b_rx), Some((2, Status::OK.0)));
}

#[test]
fn shared_flocks_coexist_and_a_queued_writer_holds_back_new_readers() {
    let locks = Locks::default();
    let (r1, _) = requester(1, 1, 1);
    let (r2, _) = requester(1, 2, 2);
    let (w, mut w_rx) = requester(2, 3, 3);
    let (r3, mut r3_rx) = requester(3, 4, 4);
    assert_eq!(
        locks.flock(FILE, r1.clone(), FlockOp::LockShared),
        Answer::Now(Status::OK)
    );
    assert_eq!(
        locks.flock(FILE, r2.clone(), FlockOp::LockShared),
        Answer::Now(Status::OK)
    );
    assert_eq!(
        locks.flock(FILE, w, FlockOp::LockExclusive),
        Answer::Waiting
    );
    assert_eq!(locks.flock(FILE, r3, FlockOp::LockShared), Answer::Waiting);
    locks.flock(FILE, r1, FlockOp::Unlock);
    assert_eq!(late_status(&mut w_rx), None);
    locks.flock(FILE, r2, FlockOp::Release);
    assert_eq!(late_status(&mut w_rx), Some((3, Status::OK.0)));
    assert_eq!(late_status(&mut r3_rx), None);
}

#[test]
fn interrupt_answers_the_waiting_flock_with_eintr() {
    let locks = Locks::default();
    let (a, _) = requester(1, 1, 1);
    let (b, mut b_rx) = requester(2, 2, 9);
    locks.flock(FILE, a, FlockOp::LockExclusive);
    assert_eq!(
        locks.flock(FILE, b.clone(), FlockOp::LockExclusive),
        Answer::Waiting
    );
    assert_eq!(
        locks.flock(FILE, b, FlockOp::Interrupt),
        Answer::Now(Status::OK)
    );
    assert_eq!(late_status(&mut b_rx), Some((9, Status::EINTR.0)));
}

#[test]
fn closing_the_file_or_the_session_releases_its_locks() {
    let locks = Locks::default();
    let (a, _) = requester(1, 1, 1);
    let (b, mut b_rx) = requester(2, 2, 2);
    let (c, mut c_rx) = requester(3, 3, 3);
    locks.flock(FILE, a.clone(), FlockOp::LockExclusive);
    locks.flock(FILE, b.clone(), FlockOp::LockExclusive);
    locks.file_closed(1, FILE);
    assert_eq!(late_status(&mut b_rx), Some((2, Status::OK.0)));
    let range = PosixLock {
        kind: WRLCK,
        start: 0,
        end: 100,
        pid: 5,
    };
    assert_eq!(
        locks.posix(FILE, b, PosixOp::Set, range),
        Answer::Now(Status::OK)
    );
    assert_eq!(locks.posix(FILE, c, PosixOp::Set, range), Answer::Waiting);
    locks.session_closed(2);
    assert_eq!(late_status(&mut c_rx), Some((3, Status::OK.0)));
}

#[test]
fn posix_ranges_conflict_only_where_they_overlap_with_a_writer() {
    let locks = Locks::default();
    let (a, _) = requester(1, 1, 1);
    let (b, mut b_rx) = requester(1, 2, 2);
    let lock = |kind, start, end| PosixLock {
        kind,
        start,
        end,
        pid: 42,
    };
    assert_eq!(
        locks.posix(FILE, a.clone(), PosixOp::Set, lock(WRLCK, 0, 10)),
        Answer::Now(Status::OK)
    );
    assert_eq!(
        locks.posix(FILE, b.clone(), PosixOp::Try, lock(RDLCK, 10, 20)),
        Answer::Now(Status::OK)
    );
    assert_eq!(
        locks.posix(FILE, b.clone(), PosixOp::Try, lock(RDLCK, 5, 6)),
        Answer::Now(Status::EAGAIN)
    );
    // Same session: the holder's pid is reported.
    let found = locks.posix_test(FILE, 1, 2, &lock(WRLCK, 0, 100));
    assert_eq!(found, lock(WRLCK, 0, 10));
    // Another session sees pid 0.
    assert_eq!(locks.posix_test(FILE, 9, 2, &lock(RDLCK, 3, 4)).pid, 0);
    assert_eq!(
        locks.posix(FILE, b, PosixOp::Set, lock(WRLCK, 5, 6)),
        Answer::Waiting
    );
    // Unlocking 4..7 of a's range leaves 0..4 and 7..10, and b gets 5..6.
    locks.posix(FILE, a.clone(), PosixOp::Set, lock(UNLCK, 4, 7));
    assert_eq!(late_status(&mut b_rx), Some((2, Status::OK.0)));
    let after = locks.posix_test(FILE, 9, 3, &lock(RDLCK, 7, 8));
    assert_eq!((after.kind, after.start, after.end), (WRLCK, 7, 10));
}

#[test]
fn acquired_lists_posix_ranges_then_flocks_but_not_waiters() {
    let locks = Locks::default();
    let (a, _) = requester(1, 10, 1);
    let (b, _) = requester(2, 20, 2);
    locks.flock(FILE, a.clone(), FlockOp::LockShared);
    locks.flock(3, b.clone(), FlockOp::LockExclusive);
    let range = |kind, start, end| PosixLock {
        kind,
        start,
        end,
        pid: 99,
    };
    locks.posix(FILE, b.clone(), PosixOp::Set, range(WRLCK, 100, 110));
    // Waits for b's range: not acquired, so not listed.
    locks.posix(FILE, a, PosixOp::Set, range(RDLCK, 105, 106));
    let lock = |sessionid, owner, pid, start, end, ctype| Lock {
        sessionid,
        owner,
        pid,
        start,
        end,
        ctype,
    };
    assert_eq!(
        locks.acquired(None),
        vec![
            (3, lock(2, 20, 0, 0, 0, 2)),
            (FILE, lock(2, 20, 99, 100, 110, WRLCK)),
            (FILE, lock(1, 10, 0, 0, 0, 1)),
        ]
    );
    assert_eq!(locks.acquired(Some(3)), vec![(3, lock(2, 20, 0, 0, 0, 2))]);
    assert_eq!(locks.acquired(Some(8)), vec![]);
}
