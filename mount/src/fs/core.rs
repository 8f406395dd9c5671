//! The file-system operations as async functions over the master session:
//! one MooseFS request each, the answer turned into what FUSE replies.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use fuser::{FileAttr, FileType};
use mooseng_wire::cltoma::node::{
    FuseAccess, FuseCreate, FuseGetattr, FuseGetfacl, FuseGetxattr, FuseLink, FuseLookup,
    FuseMkdir, FuseMknod, FuseOpen, FuseReaddir, FuseReadlink, FuseRename, FuseRmdir, FuseSetattr,
    FuseSetfacl, FuseSetxattr, FuseStatfs, FuseSymlink, FuseTruncate, FuseUnlink, GetattrCaller,
};
use mooseng_wire::matocl::node::{
    DirEntries, FuseAccessReply, FuseCreateReply, FuseGetattrReply, FuseGetfaclReply,
    FuseGetxattrReply, FuseLinkReply, FuseLookupReply, FuseMkdirReply, FuseMknodReply,
    FuseOpenReply, FuseReaddirReply, FuseReadlinkReply, FuseRenameReply, FuseRmdirReply,
    FuseSetattrReply, FuseSetfaclReply, FuseSetxattrReply, FuseStatfsReply, FuseSymlinkReply,
    FuseTruncateReply, FuseUnlinkReply, NodeAttr, StatfsReply, XattrValue,
};
use mooseng_wire::types::Groups;
use mooseng_wire::{Attr, Bytes32, Counted, Name, Reply};

use super::acl;
use super::locks::LockOwners;
use super::truncate::{self, Next};
use super::xattr_cache::XattrCache;
use crate::convert::{access_mask, file_attr, node_type_of_mode, SetattrFields};
use crate::data::DataPath;
use crate::error::{Errno, FsResult};
use crate::options::CacheMode;

/// mfsmount's default on Linux: clear set-id bits the way ext4 does.
const SUGID_CLEAR_MODE_EXT: u8 = 4;
/// `OPEN_*` bits of CLTOMA_FUSE_OPEN.
const OPEN_READ: u8 = 0x01;
const OPEN_WRITE: u8 = 0x02;
/// `MFS_XATTR_*` modes of GETXATTR and SETXATTR.
const XATTR_GET_DATA: u8 = 0;
const XATTR_LENGTH_ONLY: u8 = 1;
const XATTR_REMOVE: u8 = 3;
/// `MATTR_NOACACHE`: the master asks us not to cache these attributes.
const MATTR_NOACACHE: u8 = 0x01;
/// `MATTR_NOECACHE`: the master asks us not to cache this name.
const MATTR_NOECACHE: u8 = 0x02;

/// Who asks: the uid, gid and every group of the calling process.
#[derive(Debug, Clone)]
pub struct Caller {
    pub uid: u32,
    pub gid: u32,
    /// `gid` first, then the supplementary groups.
    pub groups: Arc<[u32]>,
}

impl Caller {
    fn groups<const N: usize>(&self) -> Groups<N> {
        Groups::from_gids(self.groups.to_vec())
    }

    fn gids(&self) -> Counted<u32, u32> {
        Counted::new(self.groups.to_vec())
    }
}

/// Cache lifetimes handed to the kernel.
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    pub attr: Duration,
    /// For names of files, symlinks and devices.
    pub entry: Duration,
    /// For names of directories: mfsmount keeps these longer (1 s against
    /// 0 s by default), which spares a lookup of every directory on a
    /// path each time the path is used.
    pub direntry: Duration,
}

/// A name and attributes, what lookup, create, mkdir, ... reply with.
#[derive(Debug, Clone, Copy)]
pub struct Entry {
    pub attr: FileAttr,
    pub attr_ttl: Duration,
    pub entry_ttl: Duration,
}

/// One line of a directory listing.
#[derive(Debug, Clone)]
pub struct DirItem {
    pub inode: u64,
    pub kind: FileType,
    pub name: Bytes,
}

/// Space figures for statfs, in bytes.
#[derive(Debug, Clone, Copy)]
pub struct Space {
    pub total: u64,
    pub avail: u64,
    pub free: u64,
    pub inodes: u32,
}

/// The operations, shared by every FUSE request.
#[derive(Debug)]
pub struct Core {
    pub data: Arc<DataPath>,
    pub timeouts: Timeouts,
    pub locks: LockOwners,
    pub xattrs: XattrCache,
    /// Whether the kernel keeps a file's pages between opens.
    pub cache: CacheMode,
}

fn name(bytes: &OsStr) -> FsResult<Name> {
    if bytes.len() > 255 {
        return Err(Errno(libc::ENAMETOOLONG));
    }
    Ok(Name::new(Bytes::copy_from_slice(bytes.as_bytes())))
}

fn ino(inode: u64) -> FsResult<u32> {
    u32::try_from(inode).map_err(|_| Errno::ENOENT)
}

fn status<T>(reply: Reply<T>) -> FsResult<T> {
    reply.ok().map_err(Errno::from)
}

impl Core {
    fn entry(&self, inode: u64, attr: &Attr) -> Entry {
        let (length, flags) = (self.data.length(inode, attr.length), attr.flags);
        let attr_ttl = if flags & MATTR_NOACACHE != 0 {
            Duration::ZERO
        } else {
            self.timeouts.attr
        };
        let attr = file_attr(inode, attr, length);
        let entry_ttl = if flags & MATTR_NOECACHE != 0 {
            Duration::ZERO
        } else if attr.kind == FileType::Directory {
            self.timeouts.direntry
        } else {
            self.timeouts.entry
        };
        Entry {
            attr,
            attr_ttl,
            entry_ttl,
        }
    }

    fn node(&self, node: NodeAttr) -> Entry {
        self.entry(u64::from(node.inode), &node.attr)
    }

    pub async fn lookup(&self, who: Caller, parent: u64, entry: &OsStr) -> FsResult<Entry> {
        let (parent, name) = (ino(parent)?, name(entry)?);
        let reply: FuseLookupReply = self
            .data
            .master
            .call(|msgid| FuseLookup {
                msgid,
                parent,
                name: name.clone(),
                uid: who.uid,
                gids: who.groups(),
            })
            .await?;
        let found = status(reply.reply)?;
        Ok(self.entry(u64::from(found.inode), &found.attr))
    }

    pub async fn getattr(&self, who: Caller, inode: u64) -> FsResult<Entry> {
        let node = ino(inode)?;
        let caller = GetattrCaller::Opened {
            opened: 0,
            uid: who.uid,
            gid: who.gid,
        };
        let reply: FuseGetattrReply = self
            .data
            .master
            .call(|msgid| FuseGetattr {
                msgid,
                inode: node,
                caller,
            })
            .await?;
        Ok(self.entry(inode, &status(reply.reply)?))
    }

    /// Changes attributes; a new size goes first, as TRUNCATE, after the
    /// write buffer is flushed so no older write lands beyond it.
    pub async fn setattr(
        &self,
        who: Caller,
        inode: u64,
        size: Option<u64>,
        opened: bool,
        fields: SetattrFields,
    ) -> FsResult<Entry> {
        let node = ino(inode)?;
        let mut attr = None;
        if let Some(length) = size {
            self.data.flush(inode).await?;
            attr = Some(self.truncate(&who, node, opened, length).await?);
            self.data.truncated(inode, length);
        }
        if fields.setmask != 0 || attr.is_none() {
            let reply: FuseSetattrReply = self
                .data
                .master
                .call(|msgid| FuseSetattr {
                    msgid,
                    inode: node,
                    opened: u8::from(opened),
                    uid: who.uid,
                    gids: who.gids(),
                    setmask: fields.setmask,
                    mode: fields.mode,
                    attr_uid: fields.uid,
                    attr_gid: fields.gid,
                    atime: fields.atime,
                    mtime: fields.mtime,
                    winattr: 0,
                    sugid_clear_mode: SUGID_CLEAR_MODE_EXT,
                })
                .await?;
            attr = Some(status(reply.reply)?);
        }
        let attr = attr.ok_or(Errno::EIO)?;
        Ok(self.entry(inode, &attr))
    }

    /// TRUNCATE, asked again while the master refuses it for a passing
    /// reason (see [`truncate::after_refusal`]).
    async fn truncate(&self, who: &Caller, node: u32, opened: bool, length: u64) -> FsResult<Attr> {
        let mut tries = 0;
        loop {
            let reply: FuseTruncateReply = self
                .data
                .master
                .call(|msgid| FuseTruncate {
                    msgid,
                    inode: node,
                    flags: u8::from(opened),
                    uid: who.uid,
                    gids: who.groups(),
                    length,
                })
                .await?;
            let refusal = match reply.reply.ok() {
                Ok(done) => return Ok(done.attr),
                Err(refusal) => refusal,
            };
            tries += 1;
            match truncate::after_refusal(refusal, tries) {
                Next::GiveUp => return Err(refusal.into()),
                Next::Retry(pause) => tokio::time::sleep(pause).await,
            }
        }
    }

    pub async fn readlink(&self, inode: u64) -> FsResult<Bytes> {
        let node = ino(inode)?;
        let reply: FuseReadlinkReply = self
            .data
            .master
            .call(|msgid| FuseReadlink { msgid, inode: node })
            .await?;
        let path = status(reply.reply)?.bytes;
        // The path comes NUL-terminated.
        let len = path.iter().position(|&b| b == 0).unwrap_or(path.len());
        Ok(path.slice(..len))
    }

    pub async fn symlink(
        &self,
        who: Caller,
        parent: u64,
        entry: &OsStr,
        target: &OsStr,
    ) -> FsResult<Entry> {
        let (parent, name) = (ino(parent)?, name(entry)?);
        let mut path = target.as_bytes().to_vec();
        path.push(0);
        let target = Bytes32::new(path);
        let reply: FuseSymlinkReply = self
            .data
            .master
            .call(|msgid| FuseSymlink {
                msgid,
                parent,
                name: name.clone(),
                target: target.clone(),
                uid: who.uid,
                gids: who.groups(),
            })
            .await?;
        Ok(self.node(status(reply.reply)?))
    }

    pub async fn mknod(
        &self,
        who: Caller,
        parent: u64,
        entry: &OsStr,
        mode: u32,
        umask: u32,
        rdev: u32,
    ) -> FsResult<Entry> {
        let (parent, name) = (ino(parent)?, name(entry)?);
        let kind = node_type_of_mode(mode).ok_or(Errno(libc::EPERM))?;
        let reply: FuseMknodReply = self
            .data
            .master
            .call(|msgid| FuseMknod {
                msgid,
                parent,
                name: name.clone(),
                kind,
                mode: (mode & 0o7777) as u16,
                umask: (umask & 0o777) as u16,
                uid: who.uid,
                gids: who.groups(),
                rdev,
            })
            .await?;
        Ok(self.node(status(reply.reply)?))
    }

    pub async fn mkdir(
        &self,
        who: Caller,
        parent: u64,
        entry: &OsStr,
        mode: u32,
        umask: u32,
    ) -> FsResult<Entry> {
        let (parent, name) = (ino(parent)?, name(entry)?);
        let reply: FuseMkdirReply = self
            .data
            .master
            .call(|msgid| FuseMkdir {
                msgid,
                parent,
                name: name.clone(),
                mode: (mode & 0o7777) as u16,
                umask: (umask & 0o777) as u16,
                uid: who.uid,
                gids: who.groups(),
                copy_sgid: 1,
            })
            .await?;
        Ok(self.node(status(reply.reply)?))
    }

    pub async fn unlink(&self, who: Caller, parent: u64, entry: &OsStr) -> FsResult<()> {
        let (parent, name) = (ino(parent)?, name(entry)?);
        let reply: FuseUnlinkReply = self
            .data
            .master
            .call(|msgid| FuseUnlink {
                msgid,
                parent,
                name: name.clone(),
                uid: who.uid,
                gids: who.groups(),
            })
            .await?;
        status(reply.reply).map(drop)
    }

    pub async fn rmdir(&self, who: Caller, parent: u64, entry: &OsStr) -> FsResult<()> {
        let (parent, name) = (ino(parent)?, name(entry)?);
        let reply: FuseRmdirReply = self
            .data
            .master
            .call(|msgid| FuseRmdir {
                msgid,
                parent,
                name: name.clone(),
                uid: who.uid,
                gids: who.groups(),
            })
            .await?;
        status(reply.reply).map(drop)
    }

    pub async fn rename(
        &self,
        who: Caller,
        parent: u64,
        entry: &OsStr,
        new_parent: u64,
        new_name: &OsStr,
    ) -> FsResult<()> {
        let (parent_src, name_src) = (ino(parent)?, name(entry)?);
        let (parent_dst, name_dst) = (ino(new_parent)?, name(new_name)?);
        let reply: FuseRenameReply = self
            .data
            .master
            .call(|msgid| FuseRename {
                msgid,
                parent_src,
                name_src: name_src.clone(),
                parent_dst,
                name_dst: name_dst.clone(),
                uid: who.uid,
                gids: who.groups(),
            })
            .await?;
        status(reply.reply).map(drop)
    }

    pub async fn link(
        &self,
        who: Caller,
        inode: u64,
        new_parent: u64,
        new_name: &OsStr,
    ) -> FsResult<Entry> {
        let (node, parent_dst, name_dst) = (ino(inode)?, ino(new_parent)?, name(new_name)?);
        let reply: FuseLinkReply = self
            .data
            .master
            .call(|msgid| FuseLink {
                msgid,
                inode: node,
                parent_dst,
                name_dst: name_dst.clone(),
                uid: who.uid,
                gids: who.groups(),
            })
            .await?;
        Ok(self.node(status(reply.reply)?))
    }

    /// Asks the master whether the caller may open `inode` with `flags`.
    /// Opens a file with the master; returns the answer's `OPEN_*` flags
    /// (none from masters before 3.0.113).
    pub async fn open(&self, who: Caller, inode: u64, flags: i32) -> FsResult<u8> {
        let node = ino(inode)?;
        let wanted = match flags & libc::O_ACCMODE {
            libc::O_WRONLY => OPEN_WRITE,
            libc::O_RDWR => OPEN_READ | OPEN_WRITE,
            _ => OPEN_READ,
        };
        let reply: FuseOpenReply = self
            .data
            .master
            .call(|msgid| FuseOpen {
                msgid,
                inode: node,
                uid: who.uid,
                gids: who.groups(),
                flags: wanted,
            })
            .await?;
        status(reply.reply).map(|opened| opened.flags.unwrap_or(0))
    }

    pub async fn create(
        &self,
        who: Caller,
        parent: u64,
        entry: &OsStr,
        mode: u32,
        umask: u32,
    ) -> FsResult<(Entry, u8)> {
        let (parent, name) = (ino(parent)?, name(entry)?);
        let reply: FuseCreateReply = self
            .data
            .master
            .call(|msgid| FuseCreate {
                msgid,
                parent,
                name: name.clone(),
                mode: (mode & 0o7777) as u16,
                umask: (umask & 0o777) as u16,
                uid: who.uid,
                gids: who.groups(),
            })
            .await?;
        // The master opens the new file for the session itself, so unlike
        // a plain open no OPEN follows (mfsmount sends none either).
        let created = status(reply.reply)?;
        // Linux asks for these before every write; a new file has neither
        // (mfsmount assumes the same).
        for attr in [&b"security.capability"[..], b"security.ima"] {
            let attr = Bytes::from_static(attr);
            let none = Err(Errno::ENODATA);
            self.xattrs.put(created.inode, who.uid, who.gid, attr, none);
        }
        let inode = u64::from(created.inode);
        let flags = created.flags.unwrap_or(0);
        Ok((self.entry(inode, &created.attr), flags))
    }

    /// The whole directory, read once at opendir.
    pub async fn readdir(&self, who: Caller, inode: u64) -> FsResult<Vec<DirItem>> {
        let node = ino(inode)?;
        let reply: FuseReaddirReply = self
            .data
            .master
            .call(|msgid| FuseReaddir {
                msgid,
                inode: node,
                uid: who.uid,
                gids: who.groups(),
                flags: 0,
                max_entries: u32::MAX,
                next_edge: 0,
            })
            .await?;
        let directory = reply
            .parse(false, true, mooseng_wire::Ctx::default())
            .map_err(|_| Errno::EIO)?;
        let directory = status(directory)?;
        let DirEntries::Plain(entries) = directory.entries else {
            return Err(Errno::EIO);
        };
        Ok(entries
            .into_iter()
            .map(|e| DirItem {
                inode: u64::from(e.inode),
                kind: crate::convert::file_type(e.kind),
                name: e.name.bytes,
            })
            .collect())
    }

    pub async fn statfs(&self) -> FsResult<Space> {
        let reply: FuseStatfsReply = self.data.master.call(|msgid| FuseStatfs { msgid }).await?;
        Ok(match status(reply.reply)? {
            StatfsReply::Current(s) => Space {
                total: s.total,
                avail: s.avail,
                free: s.free,
                inodes: s.inodes,
            },
            StatfsReply::Old(s) => Space {
                total: s.total,
                avail: s.avail,
                free: s.avail,
                inodes: s.inodes,
            },
        })
    }

    pub async fn access(&self, who: Caller, inode: u64, mask: i32) -> FsResult<()> {
        let node = ino(inode)?;
        let perm = access_mask(mask);
        let reply: FuseAccessReply = self
            .data
            .master
            .call(|msgid| FuseAccess {
                msgid,
                inode: node,
                uid: who.uid,
                gids: who.gids(),
                perm,
            })
            .await?;
        if reply.status.is_ok() {
            Ok(())
        } else {
            Err(reply.status.into())
        }
    }

    /// The value of an attribute, or only its length when `size` is 0
    /// (FUSE's way to ask how big a buffer to bring).
    pub async fn getxattr(
        &self,
        who: Caller,
        inode: u64,
        attr: &OsStr,
        size: u32,
    ) -> FsResult<XattrValue> {
        let node = ino(inode)?;
        if let Some(kind) = acl::acl_type(attr.as_bytes()) {
            return self.getfacl(node, kind).await;
        }
        let name = name(attr)?;
        self.xattr_get(who, node, name, size).await
    }

    /// An ACL as the xattr value the kernel and `getfacl` expect.
    async fn getfacl(&self, node: u32, kind: u8) -> FsResult<XattrValue> {
        let reply: FuseGetfaclReply = self
            .data
            .master
            .call(|msgid| FuseGetfacl {
                msgid,
                inode: node,
                acl_type: kind,
                caller: None,
            })
            .await?;
        let acl = status(reply.reply)?;
        Ok(XattrValue::Value(Bytes32::new(Bytes::from(acl::to_xattr(
            &acl,
        )))))
    }

    /// Sets an ACL from its xattr value, or removes it with `None`.
    async fn setfacl(
        &self,
        who: &Caller,
        node: u32,
        kind: u8,
        value: Option<&[u8]>,
    ) -> FsResult<()> {
        let acl = match value {
            Some(value) => acl::from_xattr(value)?,
            None => acl::removed(),
        };
        let reply: FuseSetfaclReply = self
            .data
            .master
            .call(|msgid| FuseSetfacl {
                msgid,
                inode: node,
                uid: who.uid,
                acl_type: kind,
                acl: acl.clone(),
            })
            .await?;
        if reply.status.is_ok() {
            Ok(())
        } else {
            Err(reply.status.into())
        }
    }

    /// The NUL-separated list of attribute names (GETXATTR with no name).
    pub async fn listxattr(&self, who: Caller, inode: u64, size: u32) -> FsResult<XattrValue> {
        self.xattr_ask(&who, ino(inode)?, Name::new(Bytes::new()), size)
            .await
    }

    /// An attribute comes from the cache when it holds it; otherwise its
    /// whole value is asked for (whatever `size` says) and kept.
    async fn xattr_get(
        &self,
        who: Caller,
        node: u32,
        name: Name,
        size: u32,
    ) -> FsResult<XattrValue> {
        let key = name.bytes.clone();
        let answer = match self.xattrs.get(node, who.uid, who.gid, &key) {
            Some(kept) => kept,
            None => {
                let asked = match self.xattr_ask(&who, node, name, 1).await {
                    Ok(XattrValue::Value(value)) => Ok(value.bytes),
                    // The wire's form of an empty value.
                    Ok(XattrValue::Length(_)) => Ok(Bytes::new()),
                    Err(e) => Err(e),
                };
                self.xattrs.put(node, who.uid, who.gid, key, asked.clone());
                asked
            }
        };
        let value = answer?;
        Ok(if size == 0 || value.is_empty() {
            XattrValue::Length(value.len() as u32)
        } else {
            XattrValue::Value(Bytes32::new(value))
        })
    }

    /// GETXATTR to the master, never cached: the value (with no name, the
    /// list of names), or only its length when `size` is 0.
    async fn xattr_ask(
        &self,
        who: &Caller,
        node: u32,
        name: Name,
        size: u32,
    ) -> FsResult<XattrValue> {
        let mode = if size == 0 {
            XATTR_LENGTH_ONLY
        } else {
            XATTR_GET_DATA
        };
        let reply: FuseGetxattrReply = self
            .data
            .master
            .call(|msgid| FuseGetxattr {
                msgid,
                inode: node,
                name: name.clone(),
                mode,
                opened: 0,
                uid: who.uid,
                gids: who.groups(),
            })
            .await?;
        status(reply.reply)
    }

    /// Sets (mode from XATTR_CREATE/XATTR_REPLACE) or, with `None`, removes.
    pub async fn setxattr(
        &self,
        who: Caller,
        inode: u64,
        attr: &OsStr,
        value: Option<&[u8]>,
        flags: i32,
    ) -> FsResult<()> {
        let node = ino(inode)?;
        if let Some(kind) = acl::acl_type(attr.as_bytes()) {
            return self.setfacl(&who, node, kind, value).await;
        }
        let name = name(attr)?;
        let mode = match value {
            None => XATTR_REMOVE,
            Some(_) => xattr_set_mode(flags),
        };
        let value = Bytes32::new(value.map(Bytes::copy_from_slice).unwrap_or_default());
        // Forgotten before and after: no answer read while the change is
        // under way outlives it.
        self.xattrs.forget(node, &name.bytes);
        let reply: FuseSetxattrReply = self
            .data
            .master
            .call(|msgid| FuseSetxattr {
                msgid,
                inode: node,
                name: name.clone(),
                value: value.clone(),
                mode,
                opened: 0,
                uid: who.uid,
                gids: who.groups(),
            })
            .await?;
        self.xattrs.forget(node, &name.bytes);
        if reply.status.is_ok() {
            Ok(())
        } else {
            Err(reply.status.into())
        }
    }
}

/// `setxattr(2)` flags to `MFS_XATTR_CREATE_OR_REPLACE` (0),
/// `CREATE_ONLY` (1) or `REPLACE_ONLY` (2).
pub fn xattr_set_mode(flags: i32) -> u8 {
    if flags & libc::XATTR_CREATE != 0 {
        1
    } else if flags & libc::XATTR_REPLACE != 0 {
        2
    } else {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn setxattr_flags_pick_the_mfs_mode() {
        assert_eq!(xattr_set_mode(0), 0);
        assert_eq!(xattr_set_mode(libc::XATTR_CREATE), 1);
        assert_eq!(xattr_set_mode(libc::XATTR_REPLACE), 2);
    }

    #[test]
    fn names_longer_than_255_bytes_are_refused() {
        let long = OsStr::from_bytes(&[b'a'; 256]);
        assert_eq!(name(long).unwrap_err(), Errno(libc::ENAMETOOLONG));
        assert_eq!(name(OsStr::new("ok")).unwrap().bytes.as_ref(), b"ok");
    }

    #[test]
    fn inodes_beyond_32_bits_do_not_exist() {
        assert_eq!(ino(1 << 32), Err(Errno::ENOENT));
        assert_eq!(ino(7), Ok(7));
    }
}
