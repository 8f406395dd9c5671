//! FLOCK and POSIX_LOCK. A request that has to wait gets no answer now;
//! the lock table sends it later over this connection's late-reply
//! channel, under the request's msgid, as MooseFS does.

use mooseng_wire::cltoma::{posix_lock, FuseFlock, FusePosixLock};
use mooseng_wire::matocl::{FuseFlockReply, FusePosixLockReply, PosixLockInfo};
use mooseng_wire::{Reply, Status};

use super::reply::reply;
use super::{Action, Request};
use crate::locks::{Answer, FlockOp, PosixLock, PosixOp, Requester};
use crate::namespace::Inode;

impl Request<'_> {
    pub(super) fn flock(self, m: FuseFlock) -> Action {
        let inode = self.session.to_internal(m.inode);
        let status = match FlockOp::from_cmd(m.cmd) {
            None => Status::EINVAL,
            Some(op) if op.needs_open_file() && !self.is_open(inode) => Status::NOTOPENED,
            Some(op) => {
                let who = self.requester(m.owner, m.msgid, m.reqid);
                match self.master.sessions.locks.flock(inode, who, op) {
                    Answer::Now(status) => status,
                    Answer::Waiting => return Action::Nothing,
                }
            }
        };
        reply(FuseFlockReply {
            msgid: m.msgid,
            status,
        })
    }

    pub(super) fn posix_lock(self, m: FusePosixLock) -> Action {
        let inode = self.session.to_internal(m.inode);
        let lock = PosixLock {
            kind: m.kind,
            start: m.start,
            end: m.end,
            pid: m.pid,
        };
        let locks = &self.master.sessions.locks;
        let op = match m.cmd {
            posix_lock::CMD_GET => {
                let found = locks.posix_test(inode, self.session.id, m.owner, &lock);
                return reply(FusePosixLockReply {
                    msgid: m.msgid,
                    reply: Reply::Ok(PosixLockInfo {
                        pid: found.pid,
                        kind: found.kind,
                        start: found.start,
                        end: found.end,
                    }),
                });
            }
            posix_lock::CMD_SET => PosixOp::Set,
            posix_lock::CMD_TRY => PosixOp::Try,
            posix_lock::CMD_INT => PosixOp::Interrupt,
            _ => return posix_status(m.msgid, Status::EINVAL),
        };
        if op != PosixOp::Interrupt && m.kind != posix_lock::UNLCK && !self.is_open(inode) {
            return posix_status(m.msgid, Status::NOTOPENED);
        }
        let who = self.requester(m.owner, m.msgid, m.reqid);
        match locks.posix(inode, who, op, lock) {
            Answer::Now(status) => posix_status(m.msgid, status),
            Answer::Waiting => Action::Nothing,
        }
    }

    fn is_open(&self, inode: Inode) -> bool {
        self.session.open_inodes().contains(&inode)
    }

    fn requester(&self, owner: u64, msgid: u32, reqid: u32) -> Requester {
        Requester {
            session: self.session.id,
            owner,
            msgid,
            reqid,
            reply_to: self.late.clone(),
        }
    }
}

fn posix_status(msgid: u32, status: Status) -> Action {
    reply(FusePosixLockReply {
        msgid,
        reply: Reply::Status(status),
    })
}
