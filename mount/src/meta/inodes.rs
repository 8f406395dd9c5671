//! The fixed nodes of the meta file system and the names of its entries,
//! numbered as mfsmount numbers them so both clients list the same tree:
//!
//! ```text
//! /                 root (1), r-x
//! /trash            0x7FFFFFF8, rwx for root; undel and 000..FFF in it
//! /trash/XXX        0x7FFF0000 + XXX: the files whose inode % 4096 is XXX
//! /trash/undel      0x7FFFFFF9, write only: moving a file here restores it
//! /sustained        0x7FFFFFFA: deleted files still open somewhere
//! /.masterinfo      0x7FFFFFFF, as in the ordinary mount
//! ```
//!
//! A deleted file is listed as `IIIIIIII|path`: its inode in eight
//! upper-case hex digits, a bar, and the master's name for it (the path it
//! had, each `/` written `|`), cut to 255 bytes.

use std::time::{Duration, SystemTime};

use fuser::{FileAttr, FileType, INodeNo};
use mooseng_wire::Version;

use crate::convert::BLKSIZE;

pub const ROOT: u64 = 1;
pub const TRASH: u64 = 0x7FFF_FFF8;
pub const UNDEL: u64 = 0x7FFF_FFF9;
pub const SUSTAINED: u64 = 0x7FFF_FFFA;
/// `.masterinfo`, the same inode as in the ordinary mount.
pub const MASTERINFO: u64 = 0x7FFF_FFFF;
/// The first trash bucket's directory; bucket `b` is `BUCKET_BASE + b`.
const BUCKET_BASE: u64 = 0x7FFF_0000;
/// How many buckets the master keeps the trash in (`TRASH_BUCKETS`).
pub const BUCKETS: u32 = 4096;
/// From here up every inode is one of ours, never a file's.
const FIRST_SPECIAL: u64 = BUCKET_BASE;

const TRASH_NAME: &str = "trash";
const UNDEL_NAME: &str = "undel";
const SUSTAINED_NAME: &str = "sustained";
pub const MASTERINFO_NAME: &str = ".masterinfo";
/// Longest name FUSE passes: longer entry names are cut here.
const NAME_MAX: usize = 255;
/// Masters from this version keep the trash in buckets and list one at a time.
pub const BUCKETED_SINCE: Version = Version::new(3, 0, 64);

/// How the trash directory is laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrashLayout {
    /// `trash/XXX/IIIIIIII|path`, one directory per bucket.
    Buckets,
    /// `trash/IIIIIIII|path`: masters before 3.0.64, or `mfsflattrash`.
    Flat,
}

impl TrashLayout {
    pub fn new(master: Version, flat_trash: bool) -> Self {
        if flat_trash || master.0 < BUCKETED_SINCE.0 {
            TrashLayout::Flat
        } else {
            TrashLayout::Buckets
        }
    }
}

/// The trash bucket whose directory is `inode`, if it is one.
pub fn bucket_of(inode: u64) -> Option<u32> {
    let bucket = inode.checked_sub(BUCKET_BASE)?;
    (bucket < u64::from(BUCKETS)).then_some(bucket as u32)
}

pub fn bucket_inode(bucket: u32) -> u64 {
    BUCKET_BASE + u64::from(bucket)
}

/// Whether deleted files are listed in `inode`: the flat trash or a bucket.
pub fn holds_trash(inode: u64) -> bool {
    inode == TRASH || bucket_of(inode).is_some()
}

/// Whether `inode` is one of the meta file system's own nodes.
pub fn is_special(inode: u64) -> bool {
    inode >= FIRST_SPECIAL || inode == ROOT
}

/// Whether `inode` is a directory that can be opened.
pub fn is_dir(inode: u64) -> bool {
    matches!(inode, ROOT | TRASH | UNDEL | SUSTAINED) || bucket_of(inode).is_some()
}

/// The leading hex digits of `name` as a number, as C's `strtoul(name,
/// &end, 16)` reads them (0 when there are none, saturated on overflow),
/// and what follows them.
fn leading_hex(name: &[u8]) -> (u64, &[u8]) {
    let digits = name.iter().take_while(|b| b.is_ascii_hexdigit()).count();
    let value = name[..digits].iter().fold(0u64, |acc, &b| {
        let digit = u64::from(char::from(b).to_digit(16).unwrap_or(0));
        acc.saturating_mul(16).saturating_add(digit)
    });
    (value, &name[digits..])
}

/// The inode an entry name `IIIIIIII|path` stands for: the hex number
/// before the bar, when a bar and something after it follow.
pub fn inode_of_entry(name: &[u8]) -> Option<u32> {
    let (value, rest) = leading_hex(name);
    match rest {
        [b'|', _, ..] => u32::try_from(value).ok().filter(|&inode| inode != 0),
        _ => None,
    }
}

/// The bucket a name in `trash/` opens, as mfsmount reads it: any name
/// whose leading hex number is below 4096 (so also `0`, `00F|x` or a name
/// with no digits at all, which is bucket 0).
pub fn bucket_named(name: &[u8]) -> Option<u32> {
    let (value, _) = leading_hex(name);
    (value < u64::from(BUCKETS)).then_some(value as u32)
}

/// The name a deleted file is listed under.
pub fn entry_name(inode: u32, master_name: &[u8]) -> Vec<u8> {
    let mut name = format!("{inode:08X}|").into_bytes();
    let room = NAME_MAX - name.len();
    name.extend_from_slice(&master_name[..master_name.len().min(room)]);
    name
}

/// The fixed node `name` in the fixed directory `parent`, without asking
/// the master: `.`, `..` and the names of the tree above.
pub fn fixed_child(parent: u64, name: &[u8], layout: TrashLayout) -> Option<u64> {
    let own = |n: &str| name == n.as_bytes();
    match parent {
        ROOT if own(".") || own("..") => Some(ROOT),
        ROOT if own(TRASH_NAME) => Some(TRASH),
        ROOT if own(SUSTAINED_NAME) => Some(SUSTAINED),
        TRASH if own(".") => Some(TRASH),
        TRASH | SUSTAINED if own("..") => Some(ROOT),
        TRASH if own(UNDEL_NAME) => Some(UNDEL),
        TRASH if layout == TrashLayout::Buckets => bucket_named(name).map(bucket_inode),
        UNDEL if own(".") => Some(UNDEL),
        UNDEL if own("..") => Some(TRASH),
        SUSTAINED if own(".") => Some(SUSTAINED),
        _ if bucket_of(parent).is_some() => {
            if own(".") {
                Some(parent)
            } else if own("..") {
                Some(TRASH)
            } else if own(UNDEL_NAME) {
                Some(UNDEL)
            } else {
                None
            }
        }
        _ => None,
    }
}

/// One line of a directory listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    pub inode: u64,
    pub kind: FileType,
    pub name: Vec<u8>,
}

fn dir(inode: u64, name: &str) -> Listed {
    Listed {
        inode,
        kind: FileType::Directory,
        name: name.as_bytes().to_vec(),
    }
}

/// The fixed entries a directory lists before any deleted file, with the
/// inodes mfsmount gives them (a bucket's `.` is the trash's, its `..` the
/// root's).
pub fn fixed_entries(inode: u64, layout: TrashLayout) -> Vec<Listed> {
    match inode {
        ROOT => vec![
            dir(ROOT, "."),
            dir(ROOT, ".."),
            dir(TRASH, TRASH_NAME),
            dir(SUSTAINED, SUSTAINED_NAME),
        ],
        TRASH => {
            let mut list = vec![dir(TRASH, "."), dir(ROOT, ".."), dir(UNDEL, UNDEL_NAME)];
            if layout == TrashLayout::Buckets {
                list.extend((0..BUCKETS).map(|b| dir(bucket_inode(b), &format!("{b:03X}"))));
            }
            list
        }
        UNDEL => vec![dir(UNDEL, "."), dir(TRASH, "..")],
        SUSTAINED => vec![dir(SUSTAINED, "."), dir(ROOT, "..")],
        _ if bucket_of(inode).is_some() => {
            vec![dir(TRASH, "."), dir(ROOT, ".."), dir(UNDEL, UNDEL_NAME)]
        }
        _ => Vec::new(),
    }
}

/// `stat` of a fixed directory: owned by root, empty, dated now. `None`
/// for a special inode that is no node of ours.
pub fn fixed_attr(inode: u64) -> Option<FileAttr> {
    let (perm, nlink) = match inode {
        ROOT => (0o555, 4),
        TRASH => (0o700, 3 + BUCKETS),
        UNDEL => (0o200, 2 + BUCKETS),
        SUSTAINED => (0o500, 2),
        _ if bucket_of(inode).is_some() => (0o700, 3),
        _ => return None,
    };
    let now = SystemTime::now();
    Some(FileAttr {
        ino: INodeNo(inode),
        size: 0,
        blocks: 0,
        atime: now,
        mtime: now,
        ctime: now,
        crtime: now,
        kind: FileType::Directory,
        perm,
        nlink,
        uid: 0,
        gid: 0,
        rdev: 0,
        blksize: BLKSIZE,
        flags: 0,
    })
}

/// How long the kernel keeps `.masterinfo`'s node, as in mfsmount.
pub const MASTERINFO_TTL: Duration = Duration::from_secs(3600);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_names_are_hex_inode_bar_path() {
        assert_eq!(entry_name(0x2A, b"dir|file"), b"0000002A|dir|file");
        let long = vec![b'x'; 300];
        let name = entry_name(0xABCDEF12, &long);
        assert_eq!(name.len(), 255);
        assert!(name.starts_with(b"ABCDEF12|xxx"));
    }

    #[test]
    fn entry_names_read_back_as_their_inode() {
        assert_eq!(inode_of_entry(b"0000002A|dir|file"), Some(0x2A));
        assert_eq!(inode_of_entry(b"2a|f"), Some(0x2A));
        assert_eq!(inode_of_entry(b"0000002A|"), None);
        assert_eq!(inode_of_entry(b"0000002A"), None);
        assert_eq!(inode_of_entry(b"00000000|f"), None);
        assert_eq!(inode_of_entry(b"|f"), None);
        assert_eq!(inode_of_entry(b"1FFFFFFFF|f"), None);
    }

    #[test]
    fn trash_names_open_buckets_as_mfsmount_reads_them() {
        let layout = TrashLayout::Buckets;
        assert_eq!(fixed_child(TRASH, b"02A", layout), Some(bucket_inode(0x2A)));
        assert_eq!(fixed_child(TRASH, b"FFF", layout), Some(0x7FFF_0FFF));
        assert_eq!(fixed_child(TRASH, b"1000", layout), None);
        assert_eq!(fixed_child(TRASH, b"undel", layout), Some(UNDEL));
        assert_eq!(fixed_child(TRASH, b"02A", TrashLayout::Flat), None);
        assert_eq!(fixed_child(bucket_inode(7), b"undel", layout), Some(UNDEL));
        assert_eq!(fixed_child(bucket_inode(7), b"..", layout), Some(TRASH));
        assert_eq!(fixed_child(ROOT, b"undel", layout), None);
    }

    #[test]
    fn the_trash_lists_undel_and_every_bucket() {
        let list = fixed_entries(TRASH, TrashLayout::Buckets);
        assert_eq!(list.len(), 3 + BUCKETS as usize);
        assert_eq!(list[2].name, b"undel");
        assert_eq!(list[3].name, b"000");
        assert_eq!(list.last().map(|l| l.inode), Some(0x7FFF_0FFF));
        assert_eq!(fixed_entries(TRASH, TrashLayout::Flat).len(), 3);
    }

    #[test]
    fn fixed_directories_have_mfsmounts_modes() {
        let perm = |inode| fixed_attr(inode).map(|a| (a.perm, a.nlink));
        assert_eq!(perm(ROOT), Some((0o555, 4)));
        assert_eq!(perm(TRASH), Some((0o700, 4099)));
        assert_eq!(perm(UNDEL), Some((0o200, 4098)));
        assert_eq!(perm(SUSTAINED), Some((0o500, 2)));
        assert_eq!(perm(bucket_inode(0xFFF)), Some((0o700, 3)));
        assert_eq!(perm(0x7FFF_FFFB), None);
        assert!(is_special(0x7FFF_0000) && is_special(ROOT) && !is_special(0x7FFE_FFFF));
    }

    #[test]
    fn buckets_come_with_masters_from_3_0_64() {
        assert_eq!(
            TrashLayout::new(Version::new(3, 0, 117), false),
            TrashLayout::Buckets
        );
        assert_eq!(
            TrashLayout::new(Version::new(3, 0, 63), false),
            TrashLayout::Flat
        );
        assert_eq!(
            TrashLayout::new(Version::new(3, 0, 117), true),
            TrashLayout::Flat
        );
    }
}
