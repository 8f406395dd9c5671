//! Read-only questions the client handlers ask of the tree: access checks,
//! subtree membership for subfolder mounts, path resolution and totals.

use std::collections::HashSet;

use mooseng_wire::Status;

use super::access::{Caller, EATTR_IMMUTABLE, MAY_WRITE};
use super::node::{Inode, NodeData, ROOT};
use super::quota::node_usage;
use super::trash::DetachedKind;
use super::Namespace;

/// Totals of a subtree, as `mfsdirinfo` and `df` show them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TreeStats {
    pub inodes: u32,
    pub dirs: u32,
    pub files: u32,
    /// Sum of file lengths.
    pub length: u64,
}

/// What `mfsdirinfo` shows for a node (MooseFS's `fsnodes_get_stats`): a
/// file's own figures, or a directory with everything below it, a node
/// with several links there counted once per link.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DirStats {
    pub inodes: u32,
    pub dirs: u32,
    pub files: u32,
    /// Chunk references (holes are none).
    pub chunks: u32,
    /// File lengths plus symlink target lengths.
    pub length: u64,
    /// Disk use of one copy of each chunk: whole blocks plus a header.
    pub size: u64,
    /// `size` times each file's goal.
    pub real_size: u64,
}

/// Counts of the whole file system as MooseFS's status answer gives them:
/// trash and sustained files are still nodes and files.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Census {
    pub nodes: u32,
    pub dirs: u32,
    pub files: u32,
    pub trash_files: u32,
    /// Sum of the lengths of the files in the trash.
    pub trash_length: u64,
    pub sustained_files: u32,
    pub sustained_length: u64,
}

impl Namespace {
    pub fn census(&self) -> Census {
        let mut census = Census {
            nodes: self.nodes.len() as u32,
            ..Census::default()
        };
        for node in self.nodes.values() {
            match node.data {
                NodeData::Directory(_) => census.dirs += 1,
                NodeData::File(_) => census.files += 1,
                _ => {}
            }
        }
        for (inode, entry) in &self.detached {
            let length = match self.get(*inode).map(|n| &n.data) {
                Some(NodeData::File(file)) => file.length,
                _ => 0,
            };
            match entry.kind {
                DetachedKind::Trash => {
                    census.trash_files += 1;
                    census.trash_length += length;
                }
                DetachedKind::Sustained => {
                    census.sustained_files += 1;
                    census.sustained_length += length;
                }
            }
        }
        census
    }

    /// MooseFS's ACCESS rule: immutable nodes refuse write (EPERM), then the
    /// mode bits decide (EACCES).
    pub fn access(&self, caller: &Caller, inode: Inode, mask: u8) -> Result<(), Status> {
        let node = self.get(inode).ok_or(Status::ENOENT)?;
        if node.eattr & EATTR_IMMUTABLE != 0 && mask & MAY_WRITE != 0 {
            return Err(Status::EPERM);
        }
        if caller.may(node, mask) {
            Ok(())
        } else {
            Err(Status::EACCES)
        }
    }

    /// True when some chain of parents leads from `inode` to `top`; a
    /// subfolder mount may only reach nodes for which this holds.
    pub fn is_within(&self, inode: Inode, top: Inode) -> bool {
        if top == ROOT {
            return self.get(inode).is_some();
        }
        let mut seen = HashSet::new();
        let mut pending = vec![inode];
        while let Some(current) = pending.pop() {
            if current == top {
                return true;
            }
            if !seen.insert(current) {
                continue;
            }
            if let Some(node) = self.get(current) {
                pending.extend(node.parents.iter().copied());
            }
        }
        false
    }

    /// The directory a slash-separated path names, walked as root (the
    /// exports file, not the mode bits, decides who may mount it).
    pub fn resolve_dir(&self, path: &str) -> Result<Inode, Status> {
        let root = Caller::root();
        let mut inode = ROOT;
        for part in path.split('/').filter(|p| !p.is_empty()) {
            inode = self.lookup(&root, inode, part.as_bytes())?;
        }
        match self.get(inode) {
            Some(node) if node.is_dir() => Ok(inode),
            Some(_) => Err(Status::ENOTDIR),
            None => Err(Status::ENOENT),
        }
    }

    /// The directory holding `dir`; the root is its own parent.
    pub fn parent_of(&self, dir: Inode) -> Inode {
        self.get(dir)
            .and_then(|node| node.parents.first().copied())
            .unwrap_or(ROOT)
    }

    /// [`DirStats`] of a directory or a file; `None` for other kinds (and
    /// unknown inodes), which MooseFS refuses with EPERM (ENOENT).
    pub fn dir_stats(&self, top: Inode) -> Option<DirStats> {
        let node = self.get(top)?;
        if !matches!(node.data, NodeData::Directory(_) | NodeData::File(_)) {
            return None;
        }
        let mut stats = DirStats::default();
        let mut pending = vec![top];
        while let Some(inode) = pending.pop() {
            let Some(node) = self.get(inode) else {
                continue;
            };
            let usage = node_usage(node, self.classes());
            stats.inodes += usage.inodes;
            stats.length += usage.length;
            stats.size += usage.size;
            stats.real_size += usage.real_size;
            match &node.data {
                NodeData::Directory(dir) => {
                    stats.dirs += 1;
                    pending.extend(dir.entries.values().copied());
                }
                NodeData::File(file) => {
                    stats.files += 1;
                    stats.chunks += file.chunks.iter().filter(|c| **c != 0).count() as u32;
                }
                _ => {}
            }
        }
        Some(stats)
    }

    /// Counts everything below `top`, each inode once however many links
    /// it has.
    pub fn tree_stats(&self, top: Inode) -> TreeStats {
        let mut stats = TreeStats::default();
        let mut seen = HashSet::new();
        let mut pending = vec![top];
        while let Some(inode) = pending.pop() {
            if !seen.insert(inode) {
                continue;
            }
            let Some(node) = self.get(inode) else {
                continue;
            };
            stats.inodes += 1;
            match &node.data {
                NodeData::Directory(dir) => {
                    stats.dirs += 1;
                    pending.extend(dir.entries.values().copied());
                }
                NodeData::File(file) => {
                    stats.files += 1;
                    stats.length += file.length;
                }
                _ => {}
            }
        }
        stats
    }
}
