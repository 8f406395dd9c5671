//! POSIX (fcntl) byte-range locks of one inode. Ranges are `[start, end)`;
//! an owner's ranges never overlap, and touching ranges of one type merge.
//! Waiting requests are granted in arrival order whenever nothing
//! conflicts with them any more.

use std::collections::VecDeque;

use mooseng_wire::cltoma::posix_lock;
use mooseng_wire::Status;

use super::{posix_wake, Answer, LateReplies, Lock, Requester, Wake};

/// POSIX_LOCK's commands that change state (`POSIX_LOCK_CMD_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PosixOp {
    /// Wait until the lock can be taken.
    Set,
    /// Take it now or answer EAGAIN.
    Try,
    /// Stop waiting (the request `reqid` names).
    Interrupt,
}

/// A range lock as POSIX_LOCK carries it: `kind` is `POSIX_LOCK_*`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PosixLock {
    pub kind: u8,
    pub start: u64,
    pub end: u64,
    pub pid: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Range {
    start: u64,
    end: u64,
    kind: u8,
}

#[derive(Debug)]
struct Holder {
    session: u32,
    owner: u64,
    pid: u32,
    ranges: Vec<Range>,
}

#[derive(Debug)]
struct Waiter {
    session: u32,
    owner: u64,
    msgid: u32,
    reqid: u32,
    lock: PosixLock,
    reply_to: LateReplies,
}

#[derive(Debug, Default)]
pub(super) struct InodeLocks {
    active: Vec<Holder>,
    queue: VecDeque<Waiter>,
}

/// Two locks conflict when they overlap and one of them is a write lock.
fn clashes(a: u8, a_start: u64, a_end: u64, b: &Range) -> bool {
    (a == posix_lock::WRLCK || b.kind == posix_lock::WRLCK) && a_end > b.start && a_start < b.end
}

impl InodeLocks {
    pub(super) fn is_empty(&self) -> bool {
        self.active.is_empty() && self.queue.is_empty()
    }

    /// Every range held, as `MATOCL_LIST_ACQUIRED_LOCKS` lists it (the
    /// lock kinds are also the list's read/write codes).
    pub(super) fn held(&self) -> impl Iterator<Item = Lock> + '_ {
        self.active.iter().flat_map(|h| {
            h.ranges.iter().map(move |r| Lock {
                sessionid: h.session,
                owner: h.owner,
                pid: h.pid,
                start: r.start,
                end: r.end,
                ctype: r.kind,
            })
        })
    }

    /// The first range of another owner that conflicts with `lock`.
    pub(super) fn conflict(&self, session: u32, owner: u64, lock: &PosixLock) -> Option<PosixLock> {
        if lock.kind == posix_lock::UNLCK {
            return None;
        }
        self.active
            .iter()
            .filter(|h| h.owner != owner || h.session != session)
            .find_map(|h| {
                let range = h
                    .ranges
                    .iter()
                    .find(|r| clashes(lock.kind, lock.start, lock.end, r))?;
                Some(PosixLock {
                    kind: range.kind,
                    start: range.start,
                    end: range.end,
                    pid: if h.session == session { h.pid } else { 0 },
                })
            })
    }

    pub(super) fn command(
        &mut self,
        who: Requester,
        op: PosixOp,
        lock: PosixLock,
        wakes: &mut Vec<Wake>,
    ) -> Answer {
        let ok = Answer::Now(Status::OK);
        if op == PosixOp::Interrupt {
            if let Some(at) = self
                .queue
                .iter()
                .position(|w| w.session == who.session && w.reqid == who.reqid)
            {
                if let Some(w) = self.queue.remove(at) {
                    wakes.push(posix_wake(&w.reply_to, w.msgid, Status::EINTR));
                }
            }
            return ok;
        }
        if self.conflict(who.session, who.owner, &lock).is_some() {
            if op == PosixOp::Try {
                return Answer::Now(Status::EAGAIN);
            }
            self.queue.push_back(Waiter {
                session: who.session,
                owner: who.owner,
                msgid: who.msgid,
                reqid: who.reqid,
                lock,
                reply_to: who.reply_to,
            });
            return Answer::Waiting;
        }
        self.apply(who.session, who.owner, &lock);
        self.grant_waiting(wakes);
        ok
    }

    /// Drops a session's queued requests unanswered and unlocks all its
    /// ranges.
    pub(super) fn session_gone(&mut self, session: u32, wakes: &mut Vec<Wake>) {
        self.queue.retain(|w| w.session != session);
        let before = self.active.len();
        self.active.retain(|h| h.session != session);
        if self.active.len() != before {
            self.grant_waiting(wakes);
        }
    }

    fn grant_waiting(&mut self, wakes: &mut Vec<Wake>) {
        let mut at = 0;
        while at < self.queue.len() {
            let w = &self.queue[at];
            if self.conflict(w.session, w.owner, &w.lock).is_none() {
                if let Some(w) = self.queue.remove(at) {
                    self.apply(w.session, w.owner, &w.lock);
                    wakes.push(posix_wake(&w.reply_to, w.msgid, Status::OK));
                }
            } else {
                at += 1;
            }
        }
    }

    /// Sets (or with UNLCK clears) `[start, end)` for one owner.
    fn apply(&mut self, session: u32, owner: u64, lock: &PosixLock) {
        let at = match self
            .active
            .iter()
            .position(|h| h.session == session && h.owner == owner)
        {
            Some(at) => at,
            None if lock.kind == posix_lock::UNLCK => return,
            None => {
                self.active.push(Holder {
                    session,
                    owner,
                    pid: lock.pid,
                    ranges: Vec::new(),
                });
                self.active.len() - 1
            }
        };
        let ranges = &mut self.active[at].ranges;
        carve(ranges, lock.start, lock.end);
        if lock.kind != posix_lock::UNLCK {
            ranges.push(Range {
                start: lock.start,
                end: lock.end,
                kind: lock.kind,
            });
            merge(ranges);
        }
        if ranges.is_empty() {
            self.active.remove(at);
        }
    }
}

/// Removes `[start, end)` from the ranges, splitting those it cuts.
fn carve(ranges: &mut Vec<Range>, start: u64, end: u64) {
    let mut kept = Vec::with_capacity(ranges.len() + 1);
    for r in ranges.drain(..) {
        if r.end <= start || r.start >= end {
            kept.push(r);
            continue;
        }
        if r.start < start {
            kept.push(Range { end: start, ..r });
        }
        if r.end > end {
            kept.push(Range { start: end, ..r });
        }
    }
    *ranges = kept;
}

/// Sorts the ranges and joins touching or overlapping ones of one type.
fn merge(ranges: &mut Vec<Range>) {
    ranges.sort_by_key(|r| r.start);
    let mut merged: Vec<Range> = Vec::with_capacity(ranges.len());
    for r in ranges.drain(..) {
        match merged.last_mut() {
            Some(last) if last.kind == r.kind && last.end >= r.start => {
                last.end = last.end.max(r.end)
            }
            _ => merged.push(r),
        }
    }
    *ranges = merged;
}
