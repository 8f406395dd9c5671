//! `.masterinfo`, the file mfsmount shows beside the master's tree.
//! MooseFS's tools look for it in the directory of the path they are given
//! and in each directory above, and read from it where to send their
//! requests. As in mfsmount it is inode 0x7FFFFFFF, read-only, owned by
//! root, 14 bytes long; lookup finds it in the root before the master is
//! asked and in any other directory where the master has no such name;
//! readdir does not list it; the root's `.masterinfo` cannot be created,
//! removed or renamed (EACCES); attributes, xattrs and locks of it are
//! refused (EPERM).

use std::ffi::OsStr;
use std::net::SocketAddrV4;
use std::os::unix::ffi::OsStrExt;
use std::time::Duration;

use mooseng_wire::types::node_type;
use mooseng_wire::Attr;

use super::core::Entry;
use crate::convert::file_attr;
use crate::master::{Master, ToolsProxy};

/// mfsmount's inode for `.masterinfo`; MooseFS masters hand out the
/// lowest free inode, so real files never come near it.
pub const MASTERINFO_INODE: u64 = 0x7FFF_FFFF;
const MASTERINFO_NAME: &[u8] = b".masterinfo";
/// `ip:32 port:16 sessionid:32 version:32`: the form with the version,
/// which the tools recognise by this length.
const MASTERINFO_LEN: u32 = 14;
/// How long the kernel may keep the root's special files (mfsmount's
/// choice: they never change).
const TTL: Duration = Duration::from_secs(3600);
/// The FUSE and MooseFS root inode, the only directory with special files.
pub(super) const ROOT: u64 = 1;

pub fn is_masterinfo(name: &OsStr) -> bool {
    name.as_bytes() == MASTERINFO_NAME
}

/// Whether lookup of `name` in `parent` is `.masterinfo` without asking
/// the master.
pub fn found_without_master(parent: u64, name: &OsStr) -> bool {
    parent == ROOT && is_masterinfo(name)
}

/// The errno for creating, removing or renaming `name` in `parent` when
/// that is one of the root's special files (`.masterinfo`, `.stats`,
/// `.oplog`, `.ophistory`).
pub fn name_refused(parent: u64, name: &OsStr) -> Option<i32> {
    let special = found_without_master(parent, name)
        || super::stats_file::found_without_master(parent, name)
        || super::oplog::found_without_master(parent, name).is_some();
    special.then_some(libc::EACCES)
}

/// Whether `ino` is one of the mount's own files rather than the master's.
pub fn is_special_inode(ino: u64) -> bool {
    ino == MASTERINFO_INODE
        || ino == super::stats_file::STATS_INODE
        || super::oplog::is_oplog_inode(ino)
}

/// Attributes and cache lifetimes of `.masterinfo`.
pub fn masterinfo_entry() -> Entry {
    root_file_entry(MASTERINFO_INODE, 0o444, u64::from(MASTERINFO_LEN))
}

/// A special file as mfsmount shows them: a root-owned regular file with
/// one link and zero times, kept by the kernel for [`TTL`].
pub(super) fn root_file_entry(inode: u64, mode: u16, length: u64) -> Entry {
    let record = Attr {
        flags: 0,
        kind: node_type::FILE,
        mode,
        uid: 0,
        gid: 0,
        atime: 0,
        mtime: 0,
        ctime: 0,
        nlink: 1,
        length,
        winattr: None,
    };
    Entry {
        attr: file_attr(inode, &record, record.length),
        attr_ttl: TTL,
        entry_ttl: TTL,
    }
}

/// The errno mfsmount gives for `access(2)` on `.masterinfo`: it may be
/// read, not written or run.
pub fn access(mask: i32) -> Result<(), i32> {
    if mask & (libc::W_OK | libc::X_OK) != 0 {
        Err(libc::EACCES)
    } else {
        Ok(())
    }
}

/// Only read-only opens are allowed.
pub fn open(flags: i32) -> Result<(), i32> {
    if flags & libc::O_ACCMODE == libc::O_RDONLY {
        Ok(())
    } else {
        Err(libc::EACCES)
    }
}

/// What `.masterinfo` reads: our tools proxy, the session the tools'
/// requests travel in, and the master's version, looked up at each read so
/// a reconnect to another session or master shows at once.
#[derive(Debug, Clone)]
pub struct MasterInfo {
    proxy: SocketAddrV4,
    master: Master,
}

impl MasterInfo {
    pub fn new(proxy: ToolsProxy, master: Master) -> Self {
        MasterInfo {
            proxy: proxy.addr(),
            master,
        }
    }

    pub fn contents(&self) -> [u8; MASTERINFO_LEN as usize] {
        let session = self.master.session();
        layout(self.proxy, session.sessionid, session.master_version.0)
    }

    /// The bytes a read of `size` at `offset` gets.
    pub fn read(&self, offset: u64, size: u32) -> Vec<u8> {
        window(&self.contents(), offset, size).to_vec()
    }
}

/// The part of `contents` a read of `size` bytes at `offset` gets.
fn window(contents: &[u8], offset: u64, size: u32) -> &[u8] {
    let len = contents.len() as u64;
    let start = offset.min(len) as usize;
    let end = offset.saturating_add(u64::from(size)).min(len) as usize;
    &contents[start..end]
}

fn layout(proxy: SocketAddrV4, sessionid: u32, version: u32) -> [u8; MASTERINFO_LEN as usize] {
    let mut out = [0u8; MASTERINFO_LEN as usize];
    out[..4].copy_from_slice(&proxy.ip().octets());
    out[4..6].copy_from_slice(&proxy.port().to_be_bytes());
    out[6..10].copy_from_slice(&sessionid.to_be_bytes());
    out[10..].copy_from_slice(&version.to_be_bytes());
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use fuser::FileType;
    use mooseng_wire::Version;

    #[test]
    fn contents_are_laid_out_as_mfsmount_writes_them() {
        // Bytes read from Debian's mfsmount: proxy 127.0.0.1:52411,
        // session 1, master 3.0.117.
        let proxy = SocketAddrV4::new([127, 0, 0, 1].into(), 52411);
        let expected = [
            0x7f, 0x00, 0x00, 0x01, 0xcc, 0xbb, 0x00, 0x00, 0x00, 0x01, 0x00, 0x03, 0x00, 0xea,
        ];
        assert_eq!(layout(proxy, 1, Version::MOOSEFS_3_0_117.0), expected);
    }

    #[test]
    fn reads_stop_at_the_end() {
        let contents: Vec<u8> = (0..14).collect();
        assert_eq!(window(&contents, 0, 4096), &contents[..]);
        assert_eq!(window(&contents, 10, 2), &[10, 11]);
        assert_eq!(window(&contents, 12, 10), &[12, 13]);
        assert!(window(&contents, 14, 10).is_empty());
        assert!(window(&contents, u64::MAX, u32::MAX).is_empty());
    }

    #[test]
    fn attributes_pass_the_tools_check() {
        // The tools accept the file only with this inode, one link, root
        // ownership and a length of 10 or 14.
        let attr = masterinfo_entry().attr;
        assert_eq!(
            (attr.ino.0, attr.nlink, attr.uid, attr.gid),
            (0x7FFF_FFFF, 1, 0, 0)
        );
        assert_eq!((attr.size, attr.blocks, attr.perm), (14, 1, 0o444));
        assert_eq!(attr.kind, FileType::RegularFile);
    }

    #[test]
    fn only_the_root_name_is_found_without_the_master() {
        let name = OsStr::new(".masterinfo");
        assert!(found_without_master(1, name));
        assert!(!found_without_master(2, name));
        assert!(!found_without_master(1, OsStr::new(".masterinfo2")));
        assert_eq!(name_refused(1, name), Some(libc::EACCES));
        assert_eq!(name_refused(5, name), None);
        assert_eq!(name_refused(1, OsStr::new(".stats")), Some(libc::EACCES));
    }

    #[test]
    fn opens_and_access_are_read_only() {
        assert_eq!(open(libc::O_RDONLY), Ok(()));
        assert_eq!(open(libc::O_RDWR), Err(libc::EACCES));
        assert_eq!(open(libc::O_WRONLY | libc::O_CREAT), Err(libc::EACCES));
        assert_eq!(access(libc::R_OK), Ok(()));
        assert_eq!(access(libc::F_OK), Ok(()));
        assert_eq!(access(libc::R_OK | libc::X_OK), Err(libc::EACCES));
    }
}
