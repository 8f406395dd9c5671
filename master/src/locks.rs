//! flock(2) and POSIX (fcntl) locks, as MooseFS 3.0.117's master keeps
//! them: per inode, held by (session, owner) pairs, with a queue of
//! waiting requests that are answered later, under their own msgid, when
//! the lock is granted, interrupted or cancelled.
//!
//! This is soft state: it lives in memory next to the sessions and is not
//! part of the replicated log (MooseFS logs it; a restart here forgets
//! every lock, as the mounts' sessions are gone too). A waiting request
//! remembers the connection it came on, and its late answer goes there.

mod flock;
mod posix;

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};

use mooseng_wire::info_lists::Lock;
use mooseng_wire::matocl::{FuseFlockReply, FusePosixLockReply};
use mooseng_wire::message::Message;
use mooseng_wire::{Frame, Reply, Status};
use tokio::sync::mpsc::UnboundedSender;

use crate::namespace::Inode;

pub use flock::FlockOp;
pub use posix::{PosixLock, PosixOp};

/// Where the late answers of one connection go.
pub type LateReplies = UnboundedSender<Frame>;

/// Who asks: the session, the lock owner the kernel named, and the
/// request's ids (`reqid` identifies it to a later interrupt).
#[derive(Debug, Clone)]
pub struct Requester {
    pub session: u32,
    pub owner: u64,
    pub msgid: u32,
    pub reqid: u32,
    pub reply_to: LateReplies,
}

/// What a lock request gets now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    Now(Status),
    /// The lock is held by someone else: the answer comes when it is
    /// granted (or the wait is interrupted or cancelled).
    Waiting,
}

/// A waiting request being answered.
#[derive(Debug)]
struct Wake {
    reply_to: LateReplies,
    frame: Frame,
}

impl Wake {
    fn send(self) {
        // A closed connection cannot be answered; its mount is gone.
        let _ = self.reply_to.send(self.frame);
    }
}

fn flock_wake(reply_to: &LateReplies, msgid: u32, status: Status) -> Wake {
    Wake {
        reply_to: reply_to.clone(),
        frame: FuseFlockReply { msgid, status }.to_frame(),
    }
}

fn posix_wake(reply_to: &LateReplies, msgid: u32, status: Status) -> Wake {
    Wake {
        reply_to: reply_to.clone(),
        frame: FusePosixLockReply {
            msgid,
            reply: Reply::Status(status),
        }
        .to_frame(),
    }
}

#[derive(Debug, Default)]
pub struct Locks {
    tables: Mutex<Tables>,
}

#[derive(Debug, Default)]
struct Tables {
    flock: HashMap<Inode, flock::InodeLocks>,
    posix: HashMap<Inode, posix::InodeLocks>,
}

impl Locks {
    /// FLOCK (`flock_locks_cmd`); the caller has checked the file is open.
    pub fn flock(&self, inode: Inode, who: Requester, op: FlockOp) -> Answer {
        let mut wakes = Vec::new();
        let answer = {
            let mut tables = self.tables();
            let locks = tables.flock.entry(inode).or_default();
            let answer = locks.command(who, op, &mut wakes);
            if locks.is_empty() {
                tables.flock.remove(&inode);
            }
            answer
        };
        wakes.into_iter().for_each(Wake::send);
        answer
    }

    /// POSIX_LOCK's SET, TRY and INT (`posix_lock_cmd`).
    pub fn posix(&self, inode: Inode, who: Requester, op: PosixOp, lock: PosixLock) -> Answer {
        let mut wakes = Vec::new();
        let answer = {
            let mut tables = self.tables();
            let locks = tables.posix.entry(inode).or_default();
            let answer = locks.command(who, op, lock, &mut wakes);
            if locks.is_empty() {
                tables.posix.remove(&inode);
            }
            answer
        };
        wakes.into_iter().for_each(Wake::send);
        answer
    }

    /// POSIX_LOCK's GET: the first lock of another owner that conflicts
    /// with `lock`, or an unlocked empty range.
    pub fn posix_test(
        &self,
        inode: Inode,
        session: u32,
        owner: u64,
        lock: &PosixLock,
    ) -> PosixLock {
        self.tables()
            .posix
            .get(&inode)
            .and_then(|locks| locks.conflict(session, owner, lock))
            .unwrap_or_default()
    }

    /// The locks held on `inode`, or on every inode when it is `None`,
    /// sorted by inode: POSIX locks first, then flocks, as mfsmaster
    /// lists them (`mfscli -SAL`).
    pub fn acquired(&self, inode: Option<Inode>) -> Vec<(Inode, Lock)> {
        let tables = self.tables();
        let mut inodes: Vec<Inode> = match inode {
            Some(inode) => vec![inode],
            None => tables
                .posix
                .keys()
                .chain(tables.flock.keys())
                .copied()
                .collect(),
        };
        inodes.sort_unstable();
        inodes.dedup();
        let mut held = Vec::new();
        for inode in inodes {
            let posix = tables.posix.get(&inode).into_iter().flat_map(|l| l.held());
            let flock = tables.flock.get(&inode).into_iter().flat_map(|l| l.held());
            held.extend(posix.chain(flock).map(|lock| (inode, lock)));
        }
        held
    }

    /// A session closed a file: its waiting requests go without an answer
    /// and its locks on the file are released.
    pub fn file_closed(&self, session: u32, inode: Inode) {
        let mut wakes = Vec::new();
        {
            let mut tables = self.tables();
            if let Some(locks) = tables.flock.get_mut(&inode) {
                locks.session_gone(session, &mut wakes);
                if locks.is_empty() {
                    tables.flock.remove(&inode);
                }
            }
            if let Some(locks) = tables.posix.get_mut(&inode) {
                locks.session_gone(session, &mut wakes);
                if locks.is_empty() {
                    tables.posix.remove(&inode);
                }
            }
        }
        wakes.into_iter().for_each(Wake::send);
    }

    /// A session ended: everything it held or waited for is released.
    pub fn session_closed(&self, session: u32) {
        let inodes: Vec<Inode> = {
            let tables = self.tables();
            tables
                .flock
                .keys()
                .chain(tables.posix.keys())
                .copied()
                .collect()
        };
        for inode in inodes {
            self.file_closed(session, inode);
        }
    }

    fn tables(&self) -> MutexGuard<'_, Tables> {
        self.tables.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests;
