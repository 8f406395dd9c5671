//! A full walk of the tree that reports every broken invariant: the checker
//! crash tests and snapshot loading rely on.

use std::collections::{HashMap, HashSet};

use super::node::{Inode, NodeData, ROOT};
use super::Namespace;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inconsistency {
    MissingRoot,
    /// A directory entry points at an inode that does not exist.
    DanglingEntry {
        parent: Inode,
        child: Inode,
    },
    /// A node's parent list disagrees with the entries that name it.
    ParentMismatch {
        inode: Inode,
        listed: usize,
        entries: usize,
    },
    /// A directory with a link count other than one (root: zero).
    DirectoryLinks {
        inode: Inode,
        parents: usize,
    },
    /// A directory's subdirectory count disagrees with its entries.
    SubdirCount {
        inode: Inode,
        counted: u32,
        actual: u32,
    },
    /// A node no path from the root reaches.
    Unreachable {
        inode: Inode,
    },
    /// An inode number the allocator could hand out again.
    InodeAboveAllocator {
        inode: Inode,
    },
}

impl Namespace {
    /// Every inconsistency found; empty for a healthy tree.
    pub fn check(&self) -> Vec<Inconsistency> {
        let mut found = Vec::new();
        let Some(root) = self.get(ROOT) else {
            return vec![Inconsistency::MissingRoot];
        };
        if !root.parents.is_empty() || !root.is_dir() {
            found.push(Inconsistency::DirectoryLinks {
                inode: ROOT,
                parents: root.parents.len(),
            });
        }
        let mut edges: HashMap<Inode, Vec<Inode>> = HashMap::new();
        for (inode, node) in self.nodes.iter() {
            if inode >= self.next_inode {
                found.push(Inconsistency::InodeAboveAllocator { inode });
            }
            let NodeData::Directory(dir) = &node.data else {
                continue;
            };
            let mut actual_subdirs = 0;
            for &child in dir.entries.values() {
                match self.get(child) {
                    Some(child_node) => {
                        actual_subdirs += u32::from(child_node.is_dir());
                        edges.entry(child).or_default().push(inode);
                    }
                    None => found.push(Inconsistency::DanglingEntry {
                        parent: inode,
                        child,
                    }),
                }
            }
            if actual_subdirs != dir.subdirs {
                found.push(Inconsistency::SubdirCount {
                    inode,
                    counted: dir.subdirs,
                    actual: actual_subdirs,
                });
            }
        }
        for (inode, node) in self.nodes.iter() {
            let mut listed = node.parents.to_vec();
            let mut named = edges.remove(&inode).unwrap_or_default();
            listed.sort_unstable();
            named.sort_unstable();
            if listed != named {
                found.push(Inconsistency::ParentMismatch {
                    inode,
                    listed: listed.len(),
                    entries: named.len(),
                });
            }
            if node.is_dir() && inode != ROOT && node.parents.len() != 1 {
                found.push(Inconsistency::DirectoryLinks {
                    inode,
                    parents: node.parents.len(),
                });
            }
        }
        let reachable = self.reachable_from_root();
        found.extend(
            self.nodes
                .keys()
                .filter(|inode| !reachable.contains(inode) && !self.detached.contains_key(inode))
                .map(|inode| Inconsistency::Unreachable { inode }),
        );
        found
    }

    fn reachable_from_root(&self) -> HashSet<Inode> {
        let mut seen = HashSet::from([ROOT]);
        let mut queue = vec![ROOT];
        while let Some(inode) = queue.pop() {
            if let Some(dir) = self.get(inode).and_then(|n| n.dir()) {
                for &child in dir.entries.values() {
                    if seen.insert(child) {
                        queue.push(child);
                    }
                }
            }
        }
        seen
    }
}
