//! Translations between FUSE's view of a file and MooseFS's records.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use fuser::{FileAttr, FileType, INodeNo, TimeOrNow};
use mooseng_wire::cltoma::node::set_flag;
use mooseng_wire::types::node_type;
use mooseng_wire::Attr;

/// Block size reported to `stat`: a MooseFS block.
pub const BLKSIZE: u32 = 0x1_0000;

/// MooseFS node type (numeric or the letter of a plain directory listing)
/// to FUSE's file type.
pub fn file_type(kind: u8) -> FileType {
    match kind {
        node_type::DIRECTORY | b'd' => FileType::Directory,
        node_type::SYMLINK | b'l' => FileType::Symlink,
        node_type::FIFO | b'q' => FileType::NamedPipe,
        node_type::BLOCKDEV | b'b' => FileType::BlockDevice,
        node_type::CHARDEV | b'c' => FileType::CharDevice,
        node_type::SOCKET | b's' => FileType::Socket,
        _ => FileType::RegularFile,
    }
}

/// The MooseFS node type `mknod` creates for a `S_IF*` mode.
pub fn node_type_of_mode(mode: u32) -> Option<u8> {
    match mode & libc::S_IFMT {
        libc::S_IFREG | 0 => Some(node_type::FILE),
        libc::S_IFIFO => Some(node_type::FIFO),
        libc::S_IFBLK => Some(node_type::BLOCKDEV),
        libc::S_IFCHR => Some(node_type::CHARDEV),
        libc::S_IFSOCK => Some(node_type::SOCKET),
        _ => None,
    }
}

fn time(seconds: u32) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(u64::from(seconds))
}

/// A MooseFS attribute record as `stat` shows it; `length` may exceed the
/// master's when this mount holds unflushed writes.
pub fn file_attr(inode: u64, attr: &Attr, length: u64) -> FileAttr {
    // MooseFS keeps a device's `dev_t` as mfsmount got it, in the upper
    // half of the length field.
    let (size, rdev) = if attr.is_device() {
        (0, (attr.length >> 32) as u32)
    } else {
        (length, 0)
    };
    FileAttr {
        ino: INodeNo(inode),
        size,
        blocks: size.div_ceil(512),
        atime: time(attr.atime),
        mtime: time(attr.mtime),
        ctime: time(attr.ctime),
        crtime: time(attr.ctime),
        kind: file_type(attr.kind),
        perm: attr.mode & 0o7777,
        nlink: attr.nlink,
        uid: attr.uid,
        gid: attr.gid,
        rdev,
        blksize: BLKSIZE,
        flags: 0,
    }
}

/// The SETATTR fields for what `setattr` asked to change.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SetattrFields {
    pub setmask: u8,
    pub mode: u16,
    pub uid: u32,
    pub gid: u32,
    pub atime: u32,
    pub mtime: u32,
}

fn seconds(when: SystemTime) -> u32 {
    when.duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as u32)
}

impl SetattrFields {
    pub fn new(
        mode: Option<u32>,
        uid: Option<u32>,
        gid: Option<u32>,
        atime: Option<TimeOrNow>,
        mtime: Option<TimeOrNow>,
    ) -> Self {
        let mut fields = SetattrFields::default();
        if let Some(mode) = mode {
            fields.setmask |= set_flag::MODE;
            fields.mode = (mode & 0o7777) as u16;
        }
        if let Some(uid) = uid {
            fields.setmask |= set_flag::UID;
            fields.uid = uid;
        }
        if let Some(gid) = gid {
            fields.setmask |= set_flag::GID;
            fields.gid = gid;
        }
        match atime {
            Some(TimeOrNow::Now) => fields.setmask |= set_flag::ATIME_NOW,
            Some(TimeOrNow::SpecificTime(when)) => {
                fields.setmask |= set_flag::ATIME;
                fields.atime = seconds(when);
            }
            None => {}
        }
        match mtime {
            Some(TimeOrNow::Now) => fields.setmask |= set_flag::MTIME_NOW,
            Some(TimeOrNow::SpecificTime(when)) => {
                fields.setmask |= set_flag::MTIME;
                fields.mtime = seconds(when);
            }
            None => {}
        }
        fields
    }
}

/// `access(2)` mask bits to MooseFS's `MODE_MASK_*` (r=4, w=2, x=1): the
/// same values, kept explicit so a change on either side shows.
pub fn access_mask(mask: i32) -> u16 {
    let mut perm = 0;
    if mask & libc::R_OK != 0 {
        perm |= 4;
    }
    if mask & libc::W_OK != 0 {
        perm |= 2;
    }
    if mask & libc::X_OK != 0 {
        perm |= 1;
    }
    perm
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_attr_keeps_mode_owner_and_the_larger_length() {
        let attr = Attr {
            kind: node_type::FILE,
            mode: 0o4755,
            uid: 10,
            gid: 20,
            mtime: 1000,
            nlink: 2,
            length: 5,
            ..Attr::default()
        };
        let fa = file_attr(7, &attr, 70000);
        assert_eq!(
            (fa.ino.0, fa.kind, fa.perm),
            (7, FileType::RegularFile, 0o4755)
        );
        assert_eq!((fa.uid, fa.gid, fa.nlink), (10, 20, 2));
        assert_eq!((fa.size, fa.blocks), (70000, 137));
        assert_eq!(fa.mtime, UNIX_EPOCH + Duration::from_secs(1000));
    }

    #[test]
    fn devices_report_rdev_not_size() {
        let attr = Attr {
            kind: node_type::CHARDEV,
            length: 0x0000_0103 << 32,
            ..Attr::default()
        };
        let fa = file_attr(9, &attr, attr.length);
        assert_eq!(
            (fa.kind, fa.size, fa.rdev),
            (FileType::CharDevice, 0, 0x103)
        );
    }

    #[test]
    fn plain_listing_letters_and_numbers_give_the_same_types() {
        assert_eq!(file_type(b'd'), file_type(node_type::DIRECTORY));
        assert_eq!(file_type(b'l'), FileType::Symlink);
        assert_eq!(file_type(b'f'), FileType::RegularFile);
        assert_eq!(
            node_type_of_mode(libc::S_IFIFO | 0o644),
            Some(node_type::FIFO)
        );
        assert_eq!(node_type_of_mode(libc::S_IFDIR), None);
    }

    #[test]
    fn setattr_sets_one_flag_per_changed_field() {
        let when = UNIX_EPOCH + Duration::from_secs(42);
        let fields = SetattrFields::new(
            Some(libc::S_IFREG | 0o640),
            None,
            Some(5),
            Some(TimeOrNow::Now),
            Some(TimeOrNow::SpecificTime(when)),
        );
        assert_eq!(
            fields.setmask,
            set_flag::MODE | set_flag::GID | set_flag::ATIME_NOW | set_flag::MTIME
        );
        assert_eq!((fields.mode, fields.gid, fields.mtime), (0o640, 5, 42));
        assert_eq!(SetattrFields::new(None, None, None, None, None).setmask, 0);
    }

    #[test]
    fn access_bits_map_to_mode_mask() {
        assert_eq!(access_mask(libc::R_OK | libc::X_OK), 5);
        assert_eq!(access_mask(libc::F_OK), 0);
    }
}
