//! File locks held on the master, so processes on every mount of the file
//! system see each other's locks. FUSE hands over POSIX (`fcntl`) locks
//! and, emulated by the kernel as whole-file POSIX locks owned by the open
//! file, `flock` locks: fuser 0.15 drops the FUSE_LK_FLOCK flag that would
//! tell the two apart, so both go to the master as POSIX_LOCK requests (the
//! way NFS carries `flock`).
//!
//! The kernel keeps no record of remote POSIX locks, so it never unlocks
//! them on close; it names the closing lock owner in FLUSH instead. The
//! owners that ever locked an inode are remembered here so only they cost
//! an unlock request then.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Mutex;

use mooseng_wire::cltoma::node::{posix_lock, FusePosixLock};
use mooseng_wire::matocl::node::FusePosixLockReply;

use super::core::Core;
use crate::data::lock;
use crate::error::{Errno, FsResult};

/// The kernel's "to the end of the file" (`OFFSET_MAX`), inclusive ends.
const KERNEL_EOF: u64 = i64::MAX as u64;

/// A lock as the kernel describes it: inclusive byte range, `F_*` type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KernelLock {
    pub start: u64,
    pub end: u64,
    pub typ: i32,
    pub pid: u32,
}

/// Lock owners per inode, and request ids for the master.
#[derive(Debug, Default)]
pub struct LockOwners {
    owners: Mutex<HashMap<u64, HashSet<u64>>>,
    reqid: AtomicU32,
}

impl LockOwners {
    fn remember(&self, inode: u64, owner: u64) {
        lock(&self.owners).entry(inode).or_default().insert(owner);
    }

    /// Whether `owner` may hold locks on `inode`; forgets it.
    fn forget(&self, inode: u64, owner: u64) -> bool {
        let mut owners = lock(&self.owners);
        let Some(set) = owners.get_mut(&inode) else {
            return false;
        };
        let held = set.remove(&owner);
        if set.is_empty() {
            owners.remove(&inode);
        }
        held
    }

    /// A fresh request id (never 0), so the master can match an interrupt.
    fn next_reqid(&self) -> u32 {
        loop {
            let id = self.reqid.fetch_add(1, Ordering::Relaxed).wrapping_add(1);
            if id != 0 {
                return id;
            }
        }
    }
}

/// `F_RDLCK`/`F_WRLCK`/`F_UNLCK` to `POSIX_LOCK_*`.
fn mfs_type(typ: i32) -> FsResult<u8> {
    match typ {
        libc::F_RDLCK => Ok(posix_lock::RDLCK),
        libc::F_WRLCK => Ok(posix_lock::WRLCK),
        libc::F_UNLCK => Ok(posix_lock::UNLCK),
        _ => Err(Errno(libc::EINVAL)),
    }
}

fn kernel_type(kind: u8) -> i32 {
    match kind {
        posix_lock::RDLCK => libc::F_RDLCK,
        posix_lock::WRLCK => libc::F_WRLCK,
        _ => libc::F_UNLCK,
    }
}

/// Inclusive kernel range to MooseFS's `[start, end)`, `u64::MAX` = no end.
fn mfs_range(start: u64, end: u64) -> (u64, u64) {
    if end >= KERNEL_EOF {
        (start, u64::MAX)
    } else {
        (start, end + 1)
    }
}

/// MooseFS's `[start, end)` back to the kernel's inclusive range.
fn kernel_range(start: u64, end: u64) -> (u64, u64) {
    if end.saturating_sub(start) > KERNEL_EOF || end == 0 {
        (start, KERNEL_EOF)
    } else {
        (start, end - 1)
    }
}

impl Core {
    /// F_GETLK: the first lock that would conflict, or `F_UNLCK`.
    pub async fn getlk(&self, inode: u64, owner: u64, asked: KernelLock) -> FsResult<KernelLock> {
        let (start, end) = mfs_range(asked.start, asked.end);
        let kind = mfs_type(asked.typ)?;
        let node = inode_u32(inode)?;
        let reply: FusePosixLockReply = self
            .data
            .master
            .call(|msgid| FusePosixLock {
                msgid,
                inode: node,
                reqid: 0,
                owner,
                pid: asked.pid,
                cmd: posix_lock::CMD_GET,
                kind,
                start,
                end,
            })
            .await?;
        let found = reply.reply.ok().map_err(Errno::from)?;
        let (start, end) = kernel_range(found.start, found.end);
        Ok(KernelLock {
            start,
            end,
            typ: kernel_type(found.kind),
            pid: found.pid,
        })
    }

    /// F_SETLK / F_SETLKW: takes, changes or drops a lock; with `wait` the
    /// answer comes once the master grants it.
    pub async fn setlk(
        &self,
        inode: u64,
        owner: u64,
        asked: KernelLock,
        wait: bool,
    ) -> FsResult<()> {
        let kind = mfs_type(asked.typ)?;
        if kind != posix_lock::UNLCK {
            self.locks.remember(inode, owner);
        }
        let cmd = if wait || kind == posix_lock::UNLCK {
            posix_lock::CMD_SET
        } else {
            posix_lock::CMD_TRY
        };
        self.posix_lock(inode, owner, cmd, kind, asked).await
    }

    /// Drops every lock `owner` holds on `inode` (its file was closed).
    pub async fn unlock_owner(&self, inode: u64, owner: u64) -> FsResult<()> {
        if !self.locks.forget(inode, owner) {
            return Ok(());
        }
        let everything = KernelLock {
            start: 0,
            end: KERNEL_EOF,
            typ: libc::F_UNLCK,
            pid: 0,
        };
        self.posix_lock(
            inode,
            owner,
            posix_lock::CMD_SET,
            posix_lock::UNLCK,
            everything,
        )
        .await
    }

    async fn posix_lock(
        &self,
        inode: u64,
        owner: u64,
        cmd: u8,
        kind: u8,
        asked: KernelLock,
    ) -> FsResult<()> {
        let (start, end) = mfs_range(asked.start, asked.end);
        let node = inode_u32(inode)?;
        let reqid = self.locks.next_reqid();
        let build = |msgid| FusePosixLock {
            msgid,
            inode: node,
            reqid,
            owner,
            pid: asked.pid,
            cmd,
            kind,
            start,
            end,
        };
        let reply: FusePosixLockReply = if cmd == posix_lock::CMD_SET && kind != posix_lock::UNLCK {
            self.data.master.call_waiting(build).await?
        } else {
            self.data.master.call(build).await?
        };
        // A granted lock is a bare OK status, which `Reply::ok` reads as
        // "no payload", so look at the status itself.
        match reply.reply.status() {
            status if status.is_ok() => Ok(()),
            status => Err(status.into()),
        }
    }
}

fn inode_u32(inode: u64) -> FsResult<u32> {
    u32::try_from(inode).map_err(|_| Errno::ENOENT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_file_ranges_map_to_the_masters_infinity_and_back() {
        assert_eq!(mfs_range(0, KERNEL_EOF), (0, u64::MAX));
        assert_eq!(kernel_range(0, u64::MAX), (0, KERNEL_EOF));
    }

    #[test]
    fn bounded_ranges_switch_between_inclusive_and_exclusive_ends() {
        assert_eq!(mfs_range(10, 19), (10, 20));
        assert_eq!(kernel_range(10, 20), (10, 19));
    }

    #[test]
    fn lock_types_map_both_ways() {
        for typ in [libc::F_RDLCK, libc::F_WRLCK, libc::F_UNLCK] {
            assert_eq!(kernel_type(mfs_type(typ).unwrap()), typ);
        }
        assert!(mfs_type(99).is_err());
    }

    #[test]
    fn only_owners_that_locked_need_an_unlock() {
        let owners = LockOwners::default();
        owners.remember(5, 1);
        assert!(!owners.forget(5, 2));
        assert!(owners.forget(5, 1));
        assert!(!owners.forget(5, 1));
        assert_ne!(owners.next_reqid(), 0);
    }
}
