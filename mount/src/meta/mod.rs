//! The meta file system (`-o mfsmeta`), as mfsmount 3.0.117 shows it:
//! deleted files in `trash/` (in 4096 buckets), restored by moving them
//! into `undel` and purged by removing them; files deleted while open in
//! `sustained/`. Reading a deleted file gives the path it will be restored
//! to, and writing it changes that path. Nothing else can be created or
//! changed; attribute changes are ignored.
//!
//! It runs over a meta session (REGISTER_NEWMETASESSION) on the same
//! master link as the ordinary mount, and shows `.masterinfo` in its root
//! so MooseFS's tools work here too.

mod detached;
pub mod inodes;
mod path_file;

use std::collections::HashMap;
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use fuser::{
    FileHandle, FileType, Filesystem, FopenFlags, Generation, INodeNo, LockOwner, OpenFlags,
    ReplyAttr, ReplyData, ReplyDirectory, ReplyEmpty, ReplyEntry, ReplyOpen, ReplyStatfs,
    ReplyWrite, Request, TimeOrNow,
};
use tokio::runtime::Handle;

use self::detached::Detached;
use self::inodes::{Listed, TrashLayout, MASTERINFO, MASTERINFO_NAME, MASTERINFO_TTL};
use self::path_file::PathFile;
use crate::convert::BLKSIZE;
use crate::data::lock;
use crate::error::{Errno, FsResult};
use crate::fs::core::Timeouts;
use crate::fs::special::{masterinfo_entry, MasterInfo};
use crate::master::Master;

/// What `statfs` reports as the inode counts: mfsmount's marker of a meta
/// mount, 10^9 plus its version as `MMMmmmppp`, where the last part is
/// the minor number as the build encodes it (117 doubled in the free
/// edition, as in the protocol's version field): 1003000234 from Debian's.
const STATFS_FILES: u64 = 1_003_000_234;
const NAME_MAX: u32 = 255;

/// The mounted meta file system.
#[derive(Debug)]
pub struct MetaFs {
    detached: Detached,
    runtime: Handle,
    timeouts: Timeouts,
    flat_trash: bool,
    masterinfo: MasterInfo,
    /// Listings of open directories, made at their first read.
    dirs: Arc<Mutex<HashMap<u64, Vec<Listed>>>>,
    /// Open deleted files.
    files: Arc<Mutex<HashMap<u64, PathFile>>>,
    next_fh: AtomicU64,
}

impl MetaFs {
    pub fn new(
        master: Master,
        runtime: Handle,
        timeouts: Timeouts,
        flat_trash: bool,
        masterinfo: MasterInfo,
    ) -> Self {
        MetaFs {
            detached: Detached { master },
            runtime,
            timeouts,
            flat_trash,
            masterinfo,
            dirs: Arc::default(),
            files: Arc::default(),
            next_fh: AtomicU64::new(1),
        }
    }

    fn layout(&self) -> TrashLayout {
        let version = self.detached.master.session().master_version;
        TrashLayout::new(version, self.flat_trash)
    }

    fn new_fh(&self) -> u64 {
        self.next_fh.fetch_add(1, Ordering::Relaxed)
    }

    /// Runs `work` on the runtime with the master's detached-file requests.
    fn spawn<F, Fut>(&self, work: F)
    where
        F: FnOnce(Detached) -> Fut + Send + 'static,
        Fut: std::future::Future<Output = ()> + Send + 'static,
    {
        let detached = self.detached.clone();
        self.runtime.spawn(async move { work(detached).await });
    }
}

/// Whether deleted files named `IIIIIIII|path` are looked up in `parent`.
fn lists_detached(parent: u64, layout: TrashLayout) -> bool {
    parent == inodes::SUSTAINED
        || inodes::bucket_of(parent).is_some()
        || (parent == inodes::TRASH && layout == TrashLayout::Flat)
}

/// The listing of directory `inode`: its fixed entries, then the deleted
/// files the master names for it. A failed request lists nothing at all,
/// as in mfsmount.
async fn listing(detached: &Detached, inode: u64, layout: TrashLayout) -> Vec<Listed> {
    let asked = if inode == inodes::SUSTAINED {
        Some(detached.sustained().await)
    } else if let Some(bucket) = inodes::bucket_of(inode) {
        Some(detached.trash(Some(bucket)).await)
    } else if inode == inodes::TRASH && layout == TrashLayout::Flat {
        Some(detached.trash(None).await)
    } else {
        None
    };
    let mut list = inodes::fixed_entries(inode, layout);
    match asked {
        None => {}
        Some(Ok(entries)) => list.extend(entries.into_iter().map(|e| Listed {
            inode: u64::from(e.inode),
            kind: FileType::RegularFile,
            name: inodes::entry_name(e.inode, e.name.as_bytes()),
        })),
        Some(Err(e)) => {
            tracing::warn!("cannot list meta directory {inode:#x}: errno {}", e.0);
            list.clear();
        }
    }
    list
}

impl Filesystem for MetaFs {
    fn lookup(&self, _req: &Request, INodeNo(parent): INodeNo, name: &OsStr, reply: ReplyEntry) {
        let name = name.as_bytes();
        if parent == inodes::ROOT && name == MASTERINFO_NAME.as_bytes() {
            let e = masterinfo_entry();
            return reply.entry(&MASTERINFO_TTL, &e.attr, Generation(0));
        }
        let layout = self.layout();
        if let Some(inode) = inodes::fixed_child(parent, name, layout) {
            return match inodes::fixed_attr(inode) {
                Some(attr) => reply.entry(&self.timeouts.entry, &attr, Generation(0)),
                None => reply.error(fuser::Errno::ENOENT),
            };
        }
        let inode = lists_detached(parent, layout)
            .then(|| inodes::inode_of_entry(name))
            .flatten();
        let Some(inode) = inode else {
            return reply.error(fuser::Errno::ENOENT);
        };
        let ttl = self.timeouts.entry;
        self.spawn(move |d| async move {
            match d.attr(u64::from(inode)).await {
                Ok(attr) => reply.entry(&ttl, &attr, Generation(0)),
                Err(e) => reply.error(e.into()),
            }
        });
    }

    fn getattr(
        &self,
        _req: &Request,
        INodeNo(ino): INodeNo,
        _fh: Option<FileHandle>,
        reply: ReplyAttr,
    ) {
        if ino == MASTERINFO {
            return reply.attr(&MASTERINFO_TTL, &masterinfo_entry().attr);
        }
        let ttl = self.timeouts.attr;
        if inodes::is_special(ino) {
            return match inodes::fixed_attr(ino) {
                Some(attr) => reply.attr(&ttl, &attr),
                None => reply.error(fuser::Errno::ENOENT),
            };
        }
        self.spawn(move |d| async move {
            match d.attr(ino).await {
                Ok(attr) => reply.attr(&ttl, &attr),
                Err(e) => reply.error(e.into()),
            }
        });
    }

    /// Changes nothing and answers as getattr does, as mfsmount does.
    fn setattr(
        &self,
        req: &Request,
        INodeNo(ino): INodeNo,
        _mode: Option<u32>,
        _uid: Option<u32>,
        _gid: Option<u32>,
        _size: Option<u64>,
        _atime: Option<TimeOrNow>,
        _mtime: Option<TimeOrNow>,
        _ctime: Option<SystemTime>,
        fh: Option<FileHandle>,
        _crtime: Option<SystemTime>,
        _chgtime: Option<SystemTime>,
        _bkuptime: Option<SystemTime>,
        _flags: Option<fuser::BsdFileFlags>,
        reply: ReplyAttr,
    ) {
        self.getattr(req, INodeNo(ino), fh, reply);
    }

    /// Removing a deleted file from the trash purges it.
    fn unlink(&self, _req: &Request, INodeNo(parent): INodeNo, name: &OsStr, reply: ReplyEmpty) {
        if !inodes::holds_trash(parent) {
            return reply.error(fuser::Errno::EACCES);
        }
        let Some(inode) = inodes::inode_of_entry(name.as_bytes()) else {
            return reply.error(fuser::Errno::ENOENT);
        };
        self.spawn(move |d| async move { reply_empty(reply, d.purge(inode).await) });
    }

    /// Moving a deleted file (into `undel`) restores it; the new name and,
    /// if the source is in the trash, the target directory do not matter.
    fn rename(
        &self,
        _req: &Request,
        INodeNo(parent): INodeNo,
        name: &OsStr,
        INodeNo(newparent): INodeNo,
        _newname: &OsStr,
        _flags: fuser::RenameFlags,
        reply: ReplyEmpty,
    ) {
        if !inodes::holds_trash(parent) && newparent != inodes::UNDEL {
            return reply.error(fuser::Errno::EACCES);
        }
        let Some(inode) = inodes::inode_of_entry(name.as_bytes()) else {
            return reply.error(fuser::Errno::ENOENT);
        };
        self.spawn(move |d| async move { reply_empty(reply, d.undelete(inode).await) });
    }

    fn opendir(&self, _req: &Request, INodeNo(ino): INodeNo, _flags: OpenFlags, reply: ReplyOpen) {
        if !inodes::is_dir(ino) {
            return reply.error(fuser::Errno::ENOTDIR);
        }
        reply.opened(FileHandle(self.new_fh()), FopenFlags::empty());
    }

    /// Lists the directory afresh when read from its start.
    fn readdir(
        &self,
        _req: &Request,
        INodeNo(ino): INodeNo,
        FileHandle(fh): FileHandle,
        offset: u64,
        mut reply: ReplyDirectory,
    ) {
        let Ok(start) = usize::try_from(offset) else {
            return reply.error(fuser::Errno::EINVAL);
        };
        let (dirs, layout) = (self.dirs.clone(), self.layout());
        self.spawn(move |d| async move {
            let cached = lock(&dirs).get(&fh).cloned();
            let list = match cached {
                Some(list) if start > 0 => list,
                _ => {
                    let list = listing(&d, ino, layout).await;
                    lock(&dirs).insert(fh, list.clone());
                    list
                }
            };
            for (i, item) in list.iter().enumerate().skip(start) {
                let name = OsStr::from_bytes(&item.name);
                if reply.add(INodeNo(item.inode), i as u64 + 1, item.kind, name) {
                    break;
                }
            }
            reply.ok();
        });
    }

    fn releasedir(
        &self,
        _req: &Request,
        _ino: INodeNo,
        FileHandle(fh): FileHandle,
        _flags: OpenFlags,
        reply: ReplyEmpty,
    ) {
        lock(&self.dirs).remove(&fh);
        reply.ok();
    }

    fn open(&self, _req: &Request, INodeNo(ino): INodeNo, _flags: OpenFlags, reply: ReplyOpen) {
        if ino == MASTERINFO {
            return reply.opened(FileHandle(0), FopenFlags::FOPEN_KEEP_CACHE);
        }
        if inodes::is_special(ino) {
            return reply.error(fuser::Errno::EACCES);
        }
        let (files, fh) = (self.files.clone(), self.new_fh());
        self.spawn(move |d| async move {
            match d.path(ino).await {
                Ok(path) => {
                    lock(&files).insert(fh, PathFile::new(&path));
                    reply.opened(FileHandle(fh), FopenFlags::FOPEN_DIRECT_IO);
                }
                Err(e) => reply.error(e.into()),
            }
        });
    }

    fn read(
        &self,
        _req: &Request,
        INodeNo(ino): INodeNo,
        FileHandle(fh): FileHandle,
        offset: u64,
        size: u32,
        _flags: OpenFlags,
        _lock_owner: Option<LockOwner>,
        reply: ReplyData,
    ) {
        if ino == MASTERINFO {
            return reply.data(&self.masterinfo.read(offset, size));
        }
        match lock(&self.files).get(&fh) {
            Some(file) => reply.data(file.read(offset, size)),
            None => reply.error(fuser::Errno::EBADF),
        }
    }

    fn write(
        &self,
        _req: &Request,
        INodeNo(ino): INodeNo,
        FileHandle(fh): FileHandle,
        offset: u64,
        data: &[u8],
        _write_flags: fuser::WriteFlags,
        _flags: OpenFlags,
        _lock_owner: Option<LockOwner>,
        reply: ReplyWrite,
    ) {
        if ino == MASTERINFO {
            return reply.error(fuser::Errno::EACCES);
        }
        let written = match lock(&self.files).get_mut(&fh) {
            Some(file) => file.write(offset, data),
            None => Err(Errno::EBADF),
        };
        match written {
            Ok(n) => reply.written(n),
            Err(e) => reply.error(e.into()),
        }
    }

    /// Sends a written path to the master before answering; a refusal is
    /// only logged, as mfsmount does not report it to the closer either.
    fn release(
        &self,
        _req: &Request,
        INodeNo(ino): INodeNo,
        FileHandle(fh): FileHandle,
        _flags: OpenFlags,
        _lock_owner: Option<LockOwner>,
        _flush: bool,
        reply: ReplyEmpty,
    ) {
        let Some(file) = lock(&self.files).remove(&fh) else {
            return reply.ok();
        };
        let Some(path) = file.new_path().map(<[u8]>::to_vec) else {
            return reply.ok();
        };
        self.spawn(move |d| async move {
            if let Err(e) = d.set_path(ino, &path).await {
                tracing::warn!(
                    "cannot change the path of deleted file {ino}: errno {}",
                    e.0
                );
            }
            reply.ok();
        });
    }

    /// Trash and sustained space as mfsmount shows them: all of it in
    /// `blocks`, the sustained part also as free.
    fn statfs(&self, _req: &Request, _ino: INodeNo, reply: ReplyStatfs) {
        self.spawn(move |d| async move {
            match d.space().await {
                Ok(s) => {
                    let bsize = u64::from(BLKSIZE);
                    let (trash, sustained) = (s.trash / bsize, s.sustained / bsize);
                    reply.statfs(
                        trash + sustained,
                        sustained,
                        sustained,
                        STATFS_FILES,
                        STATFS_FILES,
                        BLKSIZE,
                        NAME_MAX,
                        BLKSIZE,
                    )
                }
                Err(e) => reply.error(e.into()),
            }
        });
    }
}

fn reply_empty(reply: ReplyEmpty, result: FsResult<()>) {
    match result {
        Ok(()) => reply.ok(),
        Err(e) => reply.error(e.into()),
    }
}
