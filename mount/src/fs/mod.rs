//! The fuser `Filesystem`: each callback starts its work on the FUSE thread
//! and, once that work waits, the tokio runtime finishes it and replies, so
//! many requests are in flight at once.

mod acl;
mod cache_mode;
pub mod core;
mod groups;
pub mod locks;
pub mod notices;
mod oplog;
pub mod special;
mod start_here;
mod stats_file;
mod truncate;
pub mod xattr_cache;

use std::collections::HashMap;
use std::ffi::OsStr;
use std::future::Future;
use std::os::unix::ffi::OsStrExt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use fuser::{
    FileHandle, Filesystem, FopenFlags, Generation, INodeNo, InitFlags, KernelConfig, LockOwner,
    OpenFlags, ReplyAttr, ReplyCreate, ReplyData, ReplyDirectory, ReplyEmpty, ReplyEntry,
    ReplyLock, ReplyOpen, ReplyStatfs, ReplyWrite, ReplyXattr, Request, TimeOrNow,
};
use mooseng_wire::matocl::node::XattrValue;
use tokio::runtime::Handle;

use self::cache_mode::fopen_flags;
use self::core::{Caller, Core, DirItem, Entry};
use self::groups::GroupsCache;
use self::locks::KernelLock;
use self::oplog::{is_oplog_inode, OpLog};
use self::special::{is_special_inode, MasterInfo, MASTERINFO_INODE};
use self::start_here::start_here;
use self::stats_file::{StatsFiles, STATS_INODE};
use crate::convert::{SetattrFields, BLKSIZE};
use crate::data::lock;
use crate::data::{AfterWrite, Leases};
use crate::error::{Errno, FsResult};
use crate::stats::FuseOp;

/// FUSE requests the kernel may have in flight in the background.
const MAX_BACKGROUND: u16 = 64;

/// The mounted file system.
#[derive(Debug)]
pub struct MooseFs {
    core: Arc<Core>,
    runtime: Handle,
    dirs: Arc<Mutex<HashMap<u64, Arc<Vec<DirItem>>>>>,
    next_fh: AtomicU64,
    groups: GroupsCache,
    masterinfo: MasterInfo,
    stats_files: StatsFiles,
    oplog: Arc<OpLog>,
}

fn reply_entry(reply: ReplyEntry, result: FsResult<Entry>) {
    match result {
        Ok(e) => reply.entry_with_ttls(&e.attr_ttl, &e.entry_ttl, &e.attr, Generation(0)),
        Err(e) => reply.error(e.into()),
    }
}

fn reply_empty(reply: ReplyEmpty, result: FsResult<()>) {
    match result {
        Ok(()) => reply.ok(),
        Err(e) => reply.error(e.into()),
    }
}

fn reply_xattr(reply: ReplyXattr, size: u32, result: FsResult<XattrValue>) {
    match result {
        Ok(XattrValue::Length(n)) => reply.size(n),
        Ok(XattrValue::Value(v)) if size == 0 => reply.size(v.bytes.len() as u32),
        Ok(XattrValue::Value(v)) if v.bytes.len() > size as usize => {
            reply.error(fuser::Errno::ERANGE)
        }
        Ok(XattrValue::Value(v)) => reply.data(&v.bytes),
        Err(e) => reply.error(e.into()),
    }
}

impl MooseFs {
    pub fn new(core: Core, runtime: Handle, masterinfo: MasterInfo) -> Self {
        MooseFs {
            core: Arc::new(core),
            runtime,
            dirs: Arc::default(),
            next_fh: AtomicU64::new(1),
            groups: GroupsCache::default(),
            masterinfo,
            stats_files: StatsFiles::default(),
            oplog: Arc::default(),
        }
    }

    /// Counts the operation for `.stats` and logs it to `.oplog`.
    fn count(&self, req: &Request, op: FuseOp, args: std::fmt::Arguments<'_>) {
        self.core.data.master.stats().op(op);
        let what = format_args!("{} {args}", op.name());
        self.oplog.log(req.uid(), req.gid(), req.pid(), what);
    }

    fn caller(&self, req: &Request) -> Caller {
        Caller {
            uid: req.uid(),
            gid: req.gid(),
            groups: self.groups.get(req.pid(), req.uid(), req.gid()),
        }
    }

    /// Runs `work` with the shared core, starting on this thread (see
    /// [`start_here`]) so that its request leaves without a hand-off.
    fn spawn<F, Fut>(&self, work: F)
    where
        F: FnOnce(Arc<Core>) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        start_here(&self.runtime, work(self.core.clone()));
    }
}

impl Filesystem for MooseFs {
    fn init(&mut self, _req: &Request, config: &mut KernelConfig) -> std::io::Result<()> {
        // Locks go to the master; a kernel without remote locking keeps
        // them local, as before.
        if let Err(missing) =
            config.add_capabilities(InitFlags::FUSE_POSIX_LOCKS | InitFlags::FUSE_FLOCK_LOCKS)
        {
            tracing::warn!(
                "kernel lacks remote locking (capabilities {missing:#x}); locks stay local"
            );
        }
        // Asynchronous direct I/O (libaio, io_uring) reaches us as parallel
        // requests instead of one at a time, as with mfsmount, whose
        // libfuse3 asks for it by default.
        if let Err(missing) = config.add_capabilities(InitFlags::FUSE_ASYNC_DIO) {
            tracing::warn!("kernel lacks asynchronous direct I/O (capabilities {missing:#x})");
        }
        // Asynchronous requests (read-ahead, AIO) the kernel keeps in flight:
        // its default of 12 leaves the chunkservers idle.
        let queue = config
            .set_max_background(MAX_BACKGROUND)
            .and_then(|_| config.set_congestion_threshold(MAX_BACKGROUND * 3 / 4));
        if let Err(limit) = queue {
            tracing::warn!("kernel refused a background queue of {MAX_BACKGROUND} (limit {limit})");
        }
        Ok(())
    }

    fn lookup(&self, req: &Request, INodeNo(parent): INodeNo, name: &OsStr, reply: ReplyEntry) {
        self.count(
            req,
            FuseOp::Lookup,
            format_args!("({parent},{})", name.to_string_lossy()),
        );
        if special::found_without_master(parent, name) {
            return reply_entry(reply, Ok(special::masterinfo_entry()));
        }
        if stats_file::found_without_master(parent, name) {
            return reply_entry(reply, Ok(stats_file::entry()));
        }
        if let Some(inode) = oplog::found_without_master(parent, name) {
            return reply_entry(reply, Ok(oplog::entry(inode)));
        }
        let (who, name) = (self.caller(req), name.to_owned());
        self.spawn(move |c| async move {
            let found = match c.lookup(who, parent, &name).await {
                Err(Errno::ENOENT) if special::is_masterinfo(&name) => {
                    Ok(special::masterinfo_entry())
                }
                found => found,
            };
            reply_entry(reply, found)
        });
    }

    fn getattr(
        &self,
        req: &Request,
        INodeNo(ino): INodeNo,
        _fh: Option<FileHandle>,
        reply: ReplyAttr,
    ) {
        self.count(req, FuseOp::Getattr, format_args!("({ino})"));
        if ino == MASTERINFO_INODE {
            let e = special::masterinfo_entry();
            return reply.attr(&e.attr_ttl, &e.attr);
        }
        if ino == STATS_INODE {
            let e = stats_file::entry();
            return reply.attr(&e.attr_ttl, &e.attr);
        }
        if is_oplog_inode(ino) {
            let e = oplog::entry(ino);
            return reply.attr(&e.attr_ttl, &e.attr);
        }
        let who = self.caller(req);
        self.spawn(move |c| async move {
            match c.getattr(who, ino).await {
                Ok(e) => reply.attr(&e.attr_ttl, &e.attr),
                Err(e) => reply.error(e.into()),
            }
        });
    }

    fn setattr(
        &self,
        req: &Request,
        INodeNo(ino): INodeNo,
        mode: Option<u32>,
        uid: Option<u32>,
        gid: Option<u32>,
        size: Option<u64>,
        atime: Option<TimeOrNow>,
        mtime: Option<TimeOrNow>,
        _ctime: Option<SystemTime>,
        fh: Option<FileHandle>,
        _crtime: Option<SystemTime>,
        _chgtime: Option<SystemTime>,
        _bkuptime: Option<SystemTime>,
        _flags: Option<fuser::BsdFileFlags>,
        reply: ReplyAttr,
    ) {
        self.count(req, FuseOp::Setattr, format_args!("({ino})"));
        if ino == MASTERINFO_INODE {
            return reply.error(fuser::Errno::EPERM);
        }
        if ino == STATS_INODE || is_oplog_inode(ino) {
            // As in mfsmount: accepted, nothing changes.
            let e = match ino {
                STATS_INODE => stats_file::entry(),
                inode => oplog::entry(inode),
            };
            return reply.attr(&e.attr_ttl, &e.attr);
        }
        let who = self.caller(req);
        let fields = SetattrFields::new(mode, uid, gid, atime, mtime);
        self.spawn(move |c| async move {
            match c.setattr(who, ino, size, fh.is_some(), fields).await {
                Ok(e) => reply.attr(&e.attr_ttl, &e.attr),
                Err(e) => reply.error(e.into()),
            }
        });
    }

    fn readlink(&self, req: &Request, INodeNo(ino): INodeNo, reply: ReplyData) {
        self.count(req, FuseOp::Readlink, format_args!("({ino})"));
        self.spawn(move |c| async move {
            match c.readlink(ino).await {
                Ok(path) => reply.data(&path),
                Err(e) => reply.error(e.into()),
            }
        });
    }

    fn mknod(
        &self,
        req: &Request,
        INodeNo(parent): INodeNo,
        name: &OsStr,
        mode: u32,
        umask: u32,
        rdev: u32,
        reply: ReplyEntry,
    ) {
        self.count(
            req,
            FuseOp::Mknod,
            format_args!("({parent},{})", name.to_string_lossy()),
        );
        if let Some(e) = special::name_refused(parent, name) {
            return reply.error(fuser::Errno::from_i32(e));
        }
        let (who, name) = (self.caller(req), name.to_owned());
        self.spawn(move |c| async move {
            reply_entry(reply, c.mknod(who, parent, &name, mode, umask, rdev).await)
        });
    }

    fn mkdir(
        &self,
        req: &Request,
        INodeNo(parent): INodeNo,
        name: &OsStr,
        mode: u32,
        umask: u32,
        reply: ReplyEntry,
    ) {
        self.count(
            req,
            FuseOp::Mkdir,
            format_args!("({parent},{})", name.to_string_lossy()),
        );
        if let Some(e) = special::name_refused(parent, name) {
            return reply.error(fuser::Errno::from_i32(e));
        }
        let (who, name) = (self.caller(req), name.to_owned());
        self.spawn(move |c| async move {
            reply_entry(reply, c.mkdir(who, parent, &name, mode, umask).await)
        });
    }

    fn unlink(&self, req: &Request, INodeNo(parent): INodeNo, name: &OsStr, reply: ReplyEmpty) {
        self.count(
            req,
            FuseOp::Unlink,
            format_args!("({parent},{})", name.to_string_lossy()),
        );
        if let Some(e) = special::name_refused(parent, name) {
            return reply.error(fuser::Errno::from_i32(e));
        }
        let (who, name) = (self.caller(req), name.to_owned());
        self.spawn(move |c| async move { reply_empty(reply, c.unlink(who, parent, &name).await) });
    }

    fn rmdir(&self, req: &Request, INodeNo(parent): INodeNo, name: &OsStr, reply: ReplyEmpty) {
        self.count(
            req,
            FuseOp::Rmdir,
            format_args!("({parent},{})", name.to_string_lossy()),
        );
        if let Some(e) = special::name_refused(parent, name) {
            return reply.error(fuser::Errno::from_i32(e));
        }
        let (who, name) = (self.caller(req), name.to_owned());
        self.spawn(move |c| async move { reply_empty(reply, c.rmdir(who, parent, &name).await) });
    }

    fn symlink(
        &self,
        req: &Request,
        INodeNo(parent): INodeNo,
        link_name: &OsStr,
        target: &std::path::Path,
        reply: ReplyEntry,
    ) {
        self.count(
            req,
            FuseOp::Symlink,
            format_args!("({parent},{})", link_name.to_string_lossy()),
        );
        if let Some(e) = special::name_refused(parent, link_name) {
            return reply.error(fuser::Errno::from_i32(e));
        }
        let (who, name, target) = (
            self.caller(req),
            link_name.to_owned(),
            target.as_os_str().to_owned(),
        );
        self.spawn(move |c| async move {
            reply_entry(reply, c.symlink(who, parent, &name, &target).await)
        });
    }

    fn rename(
        &self,
        req: &Request,
        INodeNo(parent): INodeNo,
        name: &OsStr,
        INodeNo(newparent): INodeNo,
        newname: &OsStr,
        flags: fuser::RenameFlags,
        reply: ReplyEmpty,
    ) {
        self.count(
            req,
            FuseOp::Rename,
            format_args!(
                "({parent},{},{newparent},{})",
                name.to_string_lossy(),
                newname.to_string_lossy()
            ),
        );
        if !flags.is_empty() {
            // RENAME_NOREPLACE / RENAME_EXCHANGE have no MooseFS request.
            reply.error(fuser::Errno::EINVAL);
            return;
        }
        let refused = special::name_refused(parent, name)
            .or_else(|| special::name_refused(newparent, newname));
        if let Some(e) = refused {
            return reply.error(fuser::Errno::from_i32(e));
        }
        let (who, name, newname) = (self.caller(req), name.to_owned(), newname.to_owned());
        self.spawn(move |c| async move {
            reply_empty(
                reply,
                c.rename(who, parent, &name, newparent, &newname).await,
            )
        });
    }

    fn link(
        &self,
        req: &Request,
        INodeNo(ino): INodeNo,
        INodeNo(newparent): INodeNo,
        newname: &OsStr,
        reply: ReplyEntry,
    ) {
        self.count(
            req,
            FuseOp::Link,
            format_args!("({ino},{newparent},{})", newname.to_string_lossy()),
        );
        if is_special_inode(ino) {
            return reply.error(fuser::Errno::EACCES);
        }
        if let Some(e) = special::name_refused(newparent, newname) {
            return reply.error(fuser::Errno::from_i32(e));
        }
        let (who, newname) = (self.caller(req), newname.to_owned());
        self.spawn(move |c| async move {
            reply_entry(reply, c.link(who, ino, newparent, &newname).await)
        });
    }

    fn open(
        &self,
        req: &Request,
        INodeNo(ino): INodeNo,
        OpenFlags(flags): OpenFlags,
        reply: ReplyOpen,
    ) {
        self.count(req, FuseOp::Open, format_args!("({ino})"));
        if ino == MASTERINFO_INODE {
            return match special::open(flags) {
                Ok(()) => reply.opened(FileHandle(0), FopenFlags::empty()),
                Err(e) => reply.error(fuser::Errno::from_i32(e)),
            };
        }
        if ino == STATS_INODE {
            let fh = self.next_fh.fetch_add(1, Ordering::Relaxed);
            let text = self.core.data.master.stats().render();
            self.stats_files.open(fh, text);
            return reply.opened(FileHandle(fh), FopenFlags::FOPEN_DIRECT_IO);
        }
        if is_oplog_inode(ino) {
            if let Err(e) = special::open(flags) {
                return reply.error(fuser::Errno::from_i32(e));
            }
            let fh = self.next_fh.fetch_add(1, Ordering::Relaxed);
            self.oplog.open(fh, ino);
            return reply.opened(FileHandle(fh), FopenFlags::FOPEN_DIRECT_IO);
        }
        let who = self.caller(req);
        self.spawn(move |c| async move {
            match c.open(who, ino, flags).await {
                Ok(answer) => {
                    c.data.forget_cached(ino);
                    c.data.open(ino);
                    reply.opened(FileHandle(0), fopen_flags(c.cache, answer));
                }
                Err(e) => reply.error(e.into()),
            }
        });
    }

    fn create(
        &self,
        req: &Request,
        INodeNo(parent): INodeNo,
        name: &OsStr,
        mode: u32,
        umask: u32,
        _flags: i32,
        reply: ReplyCreate,
    ) {
        self.count(
            req,
            FuseOp::Create,
            format_args!("({parent},{})", name.to_string_lossy()),
        );
        if let Some(e) = special::name_refused(parent, name) {
            return reply.error(fuser::Errno::from_i32(e));
        }
        let (who, name) = (self.caller(req), name.to_owned());
        self.spawn(move |c| async move {
            match c.create(who, parent, &name, mode, umask).await {
                Ok((e, answer)) => {
                    c.data.open(e.attr.ino.0);
                    reply.created(
                        &e.entry_ttl,
                        &e.attr,
                        Generation(0),
                        FileHandle(0),
                        fopen_flags(c.cache, answer),
                    );
                }
                Err(e) => reply.error(e.into()),
            }
        });
    }

    fn read(
        &self,
        req: &Request,
        INodeNo(ino): INodeNo,
        FileHandle(fh): FileHandle,
        offset: u64,
        size: u32,
        _flags: OpenFlags,
        _lock: Option<LockOwner>,
        reply: ReplyData,
    ) {
        if is_oplog_inode(ino) {
            // Counted, not logged: reading the log would fill it.
            self.core.data.master.stats().op(FuseOp::Read);
            let oplog = Arc::clone(&self.oplog);
            return self.spawn(move |_| async move { reply.data(&oplog.read(fh, size).await) });
        }
        self.count(req, FuseOp::Read, format_args!("({ino},{size},{offset})"));
        if ino == MASTERINFO_INODE {
            return reply.data(&self.masterinfo.read(offset, size));
        }
        if ino == STATS_INODE {
            return reply.data(&self.stats_files.read(fh, offset, size));
        }

        self.spawn(move |c| async move {
            let file = c.data.open(ino);
            let result = match c.data.flush_file(ino, &file, Leases::Return).await {
                Ok(()) => c.data.read(ino, &file, offset, size).await,
                Err(e) => Err(e),
            };
            c.data.close(ino);
            match result {
                Ok(bytes) => {
                    c.data.master.stats().read_bytes.inc_by(bytes.len() as u64);
                    reply.data(&bytes)
                }
                Err(e) => reply.error(e.into()),
            }
        });
    }

    fn write(
        &self,
        req: &Request,
        INodeNo(ino): INodeNo,
        FileHandle(fh): FileHandle,
        offset: u64,
        data: &[u8],
        _write_flags: fuser::WriteFlags,
        _flags: OpenFlags,
        _lock_owner: Option<LockOwner>,
        reply: ReplyWrite,
    ) {
        self.count(
            req,
            FuseOp::Write,
            format_args!("({ino},{},{offset})", data.len()),
        );
        if ino == STATS_INODE {
            self.stats_files.written(fh);
            return reply.written(data.len() as u32);
        }
        self.core
            .data
            .master
            .stats()
            .written_bytes
            .inc_by(data.len() as u64);
        let file = self.core.data.open(ino);
        let after = self.core.data.buffer_write(&file, offset, data);
        let written = data.len() as u32;
        // Only a full buffer makes the writer wait; otherwise the answer
        // goes out from this thread, sparing a hand-off to the runtime.
        match after {
            AfterWrite::Nothing => {
                reply.written(written);
                self.core.data.close(ino);
            }
            AfterWrite::FlushInBackground => {
                reply.written(written);
                // Straight to the runtime: with the chunk's chain already
                // open the flush would not wait before checksumming and
                // framing megabytes, which would hold up the next write.
                let c = self.core.clone();
                self.runtime.spawn(async move {
                    c.data.flush_in_background(ino, &file).await;
                    c.data.close(ino);
                });
            }
            AfterWrite::WaitForFlush => self.spawn(move |c| async move {
                match c.data.wait_for_room(&file).await {
                    Ok(()) => reply.written(written),
                    Err(e) => reply.error(e.into()),
                }
                c.data.flush_in_background(ino, &file).await;
                c.data.close(ino);
            }),
        }
    }

    fn flush(
        &self,
        req: &Request,
        INodeNo(ino): INodeNo,
        _fh: FileHandle,
        LockOwner(lock_owner): LockOwner,
        reply: ReplyEmpty,
    ) {
        self.count(req, FuseOp::Flush, format_args!("({ino})"));
        if is_special_inode(ino) {
            return reply.ok();
        }
        self.spawn(move |c| async move {
            let flushed = c.data.flush(ino).await;
            let unlocked = c.unlock_owner(ino, lock_owner).await;
            reply_empty(reply, flushed.and(unlocked))
        });
    }

    fn release(
        &self,
        req: &Request,
        INodeNo(ino): INodeNo,
        FileHandle(fh): FileHandle,
        _flags: OpenFlags,
        lock_owner: Option<LockOwner>,
        _flush: bool,
        reply: ReplyEmpty,
    ) {
        self.count(req, FuseOp::Release, format_args!("({ino})"));
        if ino == MASTERINFO_INODE {
            return reply.ok();
        }
        if ino == STATS_INODE {
            if self.stats_files.release(fh) {
                self.core.data.master.stats().reset_shown();
            }
            return reply.ok();
        }
        if is_oplog_inode(ino) {
            self.oplog.release(fh);
            return reply.ok();
        }
        self.spawn(move |c| async move {
            let mut result = c.data.flush(ino).await;
            c.data.close(ino);
            // Set when the file carried flock locks: they end with it.
            if let Some(LockOwner(owner)) = lock_owner {
                result = result.and(c.unlock_owner(ino, owner).await);
            }
            reply_empty(reply, result);
        });
    }

    fn getlk(
        &self,
        req: &Request,
        INodeNo(ino): INodeNo,
        _fh: FileHandle,
        LockOwner(lock_owner): LockOwner,
        start: u64,
        end: u64,
        typ: i32,
        pid: u32,
        reply: ReplyLock,
    ) {
        self.count(req, FuseOp::Getlk, format_args!("({ino})"));
        if is_special_inode(ino) {
            return reply.error(fuser::Errno::EPERM);
        }
        let asked = KernelLock {
            start,
            end,
            typ,
            pid,
        };
        self.spawn(move |c| async move {
            match c.getlk(ino, lock_owner, asked).await {
                Ok(l) => reply.locked(l.start, l.end, l.typ, l.pid),
                Err(e) => reply.error(e.into()),
            }
        });
    }

    fn setlk(
        &self,
        req: &Request,
        INodeNo(ino): INodeNo,
        _fh: FileHandle,
        LockOwner(lock_owner): LockOwner,
        start: u64,
        end: u64,
        typ: i32,
        pid: u32,
        sleep: bool,
        reply: ReplyEmpty,
    ) {
        self.count(req, FuseOp::Setlk, format_args!("({ino})"));
        if is_special_inode(ino) {
            return reply.error(fuser::Errno::EPERM);
        }
        let asked = KernelLock {
            start,
            end,
            typ,
            pid,
        };
        self.spawn(move |c| async move {
            reply_empty(reply, c.setlk(ino, lock_owner, asked, sleep).await)
        });
    }

    fn fsync(
        &self,
        req: &Request,
        INodeNo(ino): INodeNo,
        _fh: FileHandle,
        _datasync: bool,
        reply: ReplyEmpty,
    ) {
        self.count(req, FuseOp::Fsync, format_args!("({ino})"));
        if is_special_inode(ino) {
            return reply.ok();
        }
        self.spawn(move |c| async move { reply_empty(reply, c.data.flush(ino).await) });
    }

    fn opendir(&self, req: &Request, INodeNo(ino): INodeNo, _flags: OpenFlags, reply: ReplyOpen) {
        self.count(req, FuseOp::Opendir, format_args!("({ino})"));
        if is_special_inode(ino) {
            return reply.error(fuser::Errno::ENOTDIR);
        }
        let who = self.caller(req);
        let fh = self.next_fh.fetch_add(1, Ordering::Relaxed);
        let dirs = self.dirs.clone();
        self.spawn(move |c| async move {
            match c.readdir(who, ino).await {
                Ok(items) => {
                    lock(&dirs).insert(fh, Arc::new(items));
                    reply.opened(FileHandle(fh), FopenFlags::empty());
                }
                Err(e) => reply.error(e.into()),
            }
        });
    }

    fn readdir(
        &self,
        req: &Request,
        INodeNo(ino): INodeNo,
        FileHandle(fh): FileHandle,
        offset: u64,
        mut reply: ReplyDirectory,
    ) {
        self.count(req, FuseOp::Readdir, format_args!("({ino})"));
        let Some(items) = lock(&self.dirs).get(&fh).cloned() else {
            reply.error(fuser::Errno::EBADF);
            return;
        };
        let skip = usize::try_from(offset).unwrap_or(0);
        for (i, item) in items.iter().enumerate().skip(skip) {
            let name = std::ffi::OsStr::from_bytes(&item.name);
            if reply.add(INodeNo(item.inode), (i + 1) as u64, item.kind, name) {
                break;
            }
        }
        reply.ok();
    }

    fn releasedir(
        &self,
        req: &Request,
        INodeNo(ino): INodeNo,
        FileHandle(fh): FileHandle,
        _flags: OpenFlags,
        reply: ReplyEmpty,
    ) {
        self.count(req, FuseOp::Releasedir, format_args!("({ino})"));
        lock(&self.dirs).remove(&fh);
        reply.ok();
    }

    fn statfs(&self, req: &Request, INodeNo(ino): INodeNo, reply: ReplyStatfs) {
        self.count(req, FuseOp::Statfs, format_args!("({ino})"));
        self.spawn(move |c| async move {
            match c.statfs().await {
                Ok(s) => {
                    let bsize = u64::from(BLKSIZE);
                    let files = u64::from(s.inodes);
                    reply.statfs(
                        s.total / bsize,
                        s.free / bsize,
                        s.avail / bsize,
                        files,
                        u64::from(u32::MAX) - files,
                        BLKSIZE,
                        255,
                        BLKSIZE,
                    )
                }
                Err(e) => reply.error(e.into()),
            }
        });
    }

    fn access(
        &self,
        req: &Request,
        INodeNo(ino): INodeNo,
        mask: fuser::AccessFlags,
        reply: ReplyEmpty,
    ) {
        self.count(req, FuseOp::Access, format_args!("({ino})"));
        let special = match ino {
            MASTERINFO_INODE => Some(special::access(mask.bits())),
            STATS_INODE => Some(stats_file::access(mask.bits())),
            ino if is_oplog_inode(ino) => Some(special::access(mask.bits())),
            _ => None,
        };
        if let Some(allowed) = special {
            return match allowed {
                Ok(()) => reply.ok(),
                Err(e) => reply.error(fuser::Errno::from_i32(e)),
            };
        }
        let who = self.caller(req);
        self.spawn(
            move |c| async move { reply_empty(reply, c.access(who, ino, mask.bits()).await) },
        );
    }

    fn getxattr(
        &self,
        req: &Request,
        INodeNo(ino): INodeNo,
        name: &OsStr,
        size: u32,
        reply: ReplyXattr,
    ) {
        self.count(
            req,
            FuseOp::Getxattr,
            format_args!("({ino},{})", name.to_string_lossy()),
        );
        if is_special_inode(ino) {
            return reply.error(fuser::Errno::EPERM);
        }
        let (who, name) = (self.caller(req), name.to_owned());
        self.spawn(move |c| async move {
            reply_xattr(reply, size, c.getxattr(who, ino, &name, size).await)
        });
    }

    fn listxattr(&self, req: &Request, INodeNo(ino): INodeNo, size: u32, reply: ReplyXattr) {
        self.count(req, FuseOp::Listxattr, format_args!("({ino})"));
        if is_special_inode(ino) {
            return reply.error(fuser::Errno::EPERM);
        }
        let who = self.caller(req);
        self.spawn(
            move |c| async move { reply_xattr(reply, size, c.listxattr(who, ino, size).await) },
        );
    }

    fn setxattr(
        &self,
        req: &Request,
        INodeNo(ino): INodeNo,
        name: &OsStr,
        value: &[u8],
        flags: i32,
        _position: u32,
        reply: ReplyEmpty,
    ) {
        self.count(
            req,
            FuseOp::Setxattr,
            format_args!("({ino},{})", name.to_string_lossy()),
        );
        if is_special_inode(ino) {
            return reply.error(fuser::Errno::EPERM);
        }
        let (who, name, value) = (self.caller(req), name.to_owned(), value.to_vec());
        self.spawn(move |c| async move {
            reply_empty(
                reply,
                c.setxattr(who, ino, &name, Some(&value), flags).await,
            )
        });
    }

    fn removexattr(&self, req: &Request, INodeNo(ino): INodeNo, name: &OsStr, reply: ReplyEmpty) {
        self.count(
            req,
            FuseOp::Removexattr,
            format_args!("({ino},{})", name.to_string_lossy()),
        );
        if is_special_inode(ino) {
            return reply.error(fuser::Errno::EPERM);
        }
        let (who, name) = (self.caller(req), name.to_owned());
        self.spawn(move |c| async move {
            reply_empty(reply, c.setxattr(who, ino, &name, None, 0).await)
        });
    }
}
