//! `.stats`, the file of counters mfsmount shows in the root. As in
//! mfsmount 3.0.117 it is inode 0x7FFFFFF0, mode 0644, owned by root,
//! zero bytes long by its attributes; each open takes a copy of the
//! counters' text and reads are served from that copy (direct I/O, so the
//! zero length does not cut them short); writing anything to an open
//! `.stats` starts the counts again from zero when it is closed.

use std::collections::HashMap;
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::sync::Mutex;

use super::core::Entry;
use super::special::{root_file_entry, ROOT};
use crate::data::lock;

/// mfsmount's inode for `.stats`.
pub const STATS_INODE: u64 = 0x7FFF_FFF0;
const STATS_NAME: &[u8] = b".stats";

pub fn is_stats(name: &OsStr) -> bool {
    name.as_bytes() == STATS_NAME
}

/// Whether lookup of `name` in `parent` is `.stats` (only the root has
/// it, and there the master is not asked).
pub fn found_without_master(parent: u64, name: &OsStr) -> bool {
    parent == ROOT && is_stats(name)
}

/// Attributes and cache lifetimes of `.stats`.
pub fn entry() -> Entry {
    root_file_entry(STATS_INODE, 0o644, 0)
}

/// `.stats` may be read and written, not run.
pub fn access(mask: i32) -> Result<(), i32> {
    if mask & libc::X_OK != 0 {
        Err(libc::EACCES)
    } else {
        Ok(())
    }
}

/// One open `.stats`: the text as it was at open, and whether it was
/// written to.
#[derive(Debug)]
struct Snapshot {
    text: Vec<u8>,
    reset: bool,
}

/// The open `.stats` handles, by file handle.
#[derive(Debug, Default)]
pub struct StatsFiles {
    open: Mutex<HashMap<u64, Snapshot>>,
}

impl StatsFiles {
    pub fn open(&self, fh: u64, text: String) {
        let snapshot = Snapshot {
            text: text.into_bytes(),
            reset: false,
        };
        lock(&self.open).insert(fh, snapshot);
    }

    /// The bytes a read of `size` at `offset` through `fh` gets.
    pub fn read(&self, fh: u64, offset: u64, size: u32) -> Vec<u8> {
        let open = lock(&self.open);
        let Some(snapshot) = open.get(&fh) else {
            return Vec::new();
        };
        let len = snapshot.text.len() as u64;
        let start = offset.min(len) as usize;
        let end = offset.saturating_add(u64::from(size)).min(len) as usize;
        snapshot.text[start..end].to_vec()
    }

    /// Something was written through `fh`: the counts restart at its close.
    pub fn written(&self, fh: u64) {
        if let Some(snapshot) = lock(&self.open).get_mut(&fh) {
            snapshot.reset = true;
        }
    }

    /// Forgets `fh`; true if the counts are to restart.
    pub fn release(&self, fh: u64) -> bool {
        lock(&self.open).remove(&fh).is_some_and(|s| s.reset)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use fuser::FileType;

    #[test]
    fn attributes_are_mfsmounts() {
        // As `stat .stats` shows on Debian's mfsmount 3.0.117: inode
        // 2147483632, 0644, root, one link, empty.
        let attr = entry().attr;
        assert_eq!(
            (attr.ino.0, attr.perm, attr.nlink),
            (2_147_483_632, 0o644, 1)
        );
        assert_eq!((attr.uid, attr.gid, attr.size), (0, 0, 0));
        assert_eq!(attr.kind, FileType::RegularFile);
        assert!(found_without_master(1, OsStr::new(".stats")));
        assert!(!found_without_master(7, OsStr::new(".stats")));
        assert_eq!(access(libc::R_OK | libc::W_OK), Ok(()));
        assert_eq!(access(libc::X_OK), Err(libc::EACCES));
    }

    #[test]
    fn each_handle_reads_its_own_copy_and_a_write_asks_for_a_reset() {
        let files = StatsFiles::default();
        files.open(3, "a: 1\n".into());
        files.open(4, "a: 22\n".into());
        assert_eq!(files.read(3, 0, 4096), b"a: 1\n");
        assert_eq!(files.read(4, 3, 2), b"22");
        assert!(files.read(4, 100, 10).is_empty());
        assert!(!files.release(4));
        files.written(3);
        assert!(files.release(3));
        assert!(files.read(3, 0, 10).is_empty());
    }
}
