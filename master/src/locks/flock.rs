//! flock(2) locks of one inode, with MooseFS's default "correct"
//! readers/writers policy: a shared request also waits while anything is
//! queued, so writers do not starve.

use std::collections::VecDeque;

use mooseng_wire::info_lists::Lock as Held;
use mooseng_wire::Status;

use super::{flock_wake, Answer, LateReplies, Requester, Wake};

/// FLOCK's `cmd` (`FLOCK_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlockOp {
    Unlock,
    TryShared,
    LockShared,
    TryExclusive,
    LockExclusive,
    Interrupt,
    Release,
}

impl FlockOp {
    pub fn from_cmd(cmd: u8) -> Option<FlockOp> {
        use FlockOp::*;
        [
            Unlock,
            TryShared,
            LockShared,
            TryExclusive,
            LockExclusive,
            Interrupt,
            Release,
        ]
        .get(usize::from(cmd))
        .copied()
    }

    /// Interrupt and release are accepted for files no longer open.
    pub fn needs_open_file(self) -> bool {
        !matches!(self, FlockOp::Interrupt | FlockOp::Release)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Shared,
    Exclusive,
}

/// A request waiting on a lock: its msgid, and its reqid for interrupts.
#[derive(Debug)]
struct Instance {
    msgid: u32,
    reqid: u32,
    reply_to: LateReplies,
}

#[derive(Debug)]
struct Lock {
    session: u32,
    owner: u64,
    kind: Kind,
    waiting: Vec<Instance>,
}

impl Lock {
    fn is(&self, session: u32, owner: u64) -> bool {
        self.session == session && self.owner == owner
    }

    fn wake_all(&mut self, status: Status, wakes: &mut Vec<Wake>) {
        for i in self.waiting.drain(..) {
            wakes.push(flock_wake(&i.reply_to, i.msgid, status));
        }
    }

    /// A repeated request (same reqid) only takes the new msgid.
    fn add_request(&mut self, who: &Requester) {
        match self.waiting.iter_mut().find(|i| i.reqid == who.reqid) {
            Some(instance) => instance.msgid = who.msgid,
            None => self.waiting.push(Instance {
                msgid: who.msgid,
                reqid: who.reqid,
                reply_to: who.reply_to.clone(),
            }),
        }
    }
}

#[derive(Debug, Default)]
pub(super) struct InodeLocks {
    active: Vec<Lock>,
    queue: VecDeque<Lock>,
}

impl InodeLocks {
    pub(super) fn is_empty(&self) -> bool {
        self.active.is_empty() && self.queue.is_empty()
    }

    /// Every lock held, as `MATOCL_LIST_ACQUIRED_LOCKS` lists a flock:
    /// no pid and no range, read (1) or write (2).
    pub(super) fn held(&self) -> impl Iterator<Item = Held> + '_ {
        self.active.iter().map(|l| Held {
            sessionid: l.session,
            owner: l.owner,
            pid: 0,
            start: 0,
            end: 0,
            ctype: match l.kind {
                Kind::Shared => 1,
                Kind::Exclusive => 2,
            },
        })
    }

    pub(super) fn command(&mut self, who: Requester, op: FlockOp, wakes: &mut Vec<Wake>) -> Answer {
        use FlockOp::*;
        let ok = Answer::Now(Status::OK);
        if op == Interrupt {
            self.interrupt(&who, wakes);
            return ok;
        }
        if let Some(at) = self
            .active
            .iter()
            .position(|l| l.is(who.session, who.owner))
        {
            let kind = self.active[at].kind;
            return match (op, kind) {
                (Unlock | Release, _) => {
                    self.unlock(at, wakes);
                    ok
                }
                (TryShared | LockShared, Kind::Shared)
                | (TryExclusive | LockExclusive, Kind::Exclusive) => ok,
                (TryShared, Kind::Exclusive) => {
                    self.active[at].kind = Kind::Shared;
                    self.grant_waiting(wakes);
                    ok
                }
                (LockShared, Kind::Exclusive) => {
                    self.unlock(at, wakes);
                    self.lock(who, Kind::Shared)
                }
                (TryExclusive, Kind::Shared) if self.active.len() == 1 => {
                    self.active[at].kind = Kind::Exclusive;
                    ok
                }
                (TryExclusive, Kind::Shared) => Answer::Now(Status::EAGAIN),
                (LockExclusive, Kind::Shared) => {
                    self.unlock(at, wakes);
                    self.lock(who, Kind::Exclusive)
                }
                (Interrupt, _) => ok,
            };
        }
        if let Some(at) = self.queue.iter().position(|l| l.is(who.session, who.owner)) {
            let wanted = match op {
                Unlock | Release => {
                    if let Some(mut lock) = self.queue.remove(at) {
                        lock.wake_all(Status::ECANCELED, wakes);
                    }
                    return ok;
                }
                TryShared | TryExclusive => return Answer::Now(Status::EAGAIN),
                LockShared => Kind::Shared,
                _ => Kind::Exclusive,
            };
            let lock = &mut self.queue[at];
            if lock.kind != wanted {
                lock.wake_all(Status::ECANCELED, wakes);
                lock.kind = wanted;
            }
            lock.add_request(&who);
            return Answer::Waiting;
        }
        match op {
            Unlock | Release | Interrupt => ok,
            TryShared | TryExclusive => {
                let kind = if op == TryShared {
                    Kind::Shared
                } else {
                    Kind::Exclusive
                };
                if self.conflicts(kind) {
                    Answer::Now(Status::EAGAIN)
                } else {
                    self.lock(who, kind)
                }
            }
            LockShared => self.lock(who, Kind::Shared),
            LockExclusive => self.lock(who, Kind::Exclusive),
        }
    }

    /// Drops a session's queued requests unanswered and releases its locks.
    pub(super) fn session_gone(&mut self, session: u32, wakes: &mut Vec<Wake>) {
        self.queue.retain(|l| l.session != session);
        while let Some(at) = self.active.iter().position(|l| l.session == session) {
            self.unlock(at, wakes);
        }
    }

    fn interrupt(&mut self, who: &Requester, wakes: &mut Vec<Wake>) {
        for lock in self
            .queue
            .iter_mut()
            .filter(|l| l.is(who.session, who.owner))
        {
            lock.waiting.retain(|i| {
                let hit = i.reqid == who.reqid;
                if hit {
                    wakes.push(flock_wake(&i.reply_to, i.msgid, Status::EINTR));
                }
                !hit
            });
        }
        self.queue.retain(|l| !l.waiting.is_empty());
    }

    fn conflicts(&self, kind: Kind) -> bool {
        match kind {
            Kind::Shared => {
                self.active.iter().any(|l| l.kind == Kind::Exclusive) || !self.queue.is_empty()
            }
            Kind::Exclusive => !self.active.is_empty(),
        }
    }

    fn lock(&mut self, who: Requester, kind: Kind) -> Answer {
        let mut lock = Lock {
            session: who.session,
            owner: who.owner,
            kind,
            waiting: Vec::new(),
        };
        if self.conflicts(kind) {
            lock.add_request(&who);
            self.queue.push_back(lock);
            Answer::Waiting
        } else {
            self.active.push(lock);
            Answer::Now(Status::OK)
        }
    }

    fn unlock(&mut self, at: usize, wakes: &mut Vec<Wake>) {
        self.active.remove(at);
        if self.active.is_empty() {
            self.grant_waiting(wakes);
        }
    }

    /// Grants the head of the queue: one exclusive lock when nothing is
    /// held, or every shared lock at the head while only readers hold.
    fn grant_waiting(&mut self, wakes: &mut Vec<Wake>) {
        if self.active.is_empty()
            && self
                .queue
                .front()
                .is_some_and(|l| l.kind == Kind::Exclusive)
        {
            self.activate_head(wakes);
            return;
        }
        if self.active.iter().all(|l| l.kind == Kind::Shared) {
            while self.queue.front().is_some_and(|l| l.kind == Kind::Shared) {
                self.activate_head(wakes);
            }
        }
    }

    fn activate_head(&mut self, wakes: &mut Vec<Wake>) {
        if let Some(mut lock) = self.queue.pop_front() {
            lock.wake_all(Status::OK, wakes);
            self.active.push(lock);
        }
    }
}
