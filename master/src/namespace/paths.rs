//! Paths of nodes below the root, for `mfscli`'s lists of inodes
//! (`MATOCL_MASS_RESOLVE_PATHS`) and for the trash, which remembers where
//! a file was.

use super::node::{Inode, ROOT};
use super::trash::DetachedKind;
use super::Namespace;

/// Where a node is, as MooseFS resolves an inode for `mfscli`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Whereabouts<'a> {
    /// No such inode.
    Unknown,
    Root,
    /// In the trash, with the path it had.
    Trash(&'a [u8]),
    /// Unlinked but held open, with the path it had.
    Sustained(&'a [u8]),
    /// One path per link that leads up to the root, without a leading
    /// slash, the newest link first; several links in one directory come
    /// together, by name (the tree does not know which came first).
    Linked(Vec<Vec<u8>>),
}

impl Namespace {
    pub fn whereabouts(&self, inode: Inode) -> Whereabouts<'_> {
        let Some(node) = self.get(inode) else {
            return Whereabouts::Unknown;
        };
        if inode == ROOT {
            return Whereabouts::Root;
        }
        if let Some(entry) = self.detached(inode) {
            return match entry.kind {
                DetachedKind::Trash => Whereabouts::Trash(&entry.path),
                DetachedKind::Sustained => Whereabouts::Sustained(&entry.path),
            };
        }
        let mut seen = Vec::new();
        let mut paths = Vec::new();
        for &parent in node.parents.iter().rev() {
            if seen.contains(&parent) {
                continue;
            }
            seen.push(parent);
            let Some(dir) = self.get(parent).and_then(|n| n.dir()) else {
                continue;
            };
            for (name, _) in dir.entries.iter().filter(|(_, child)| **child == inode) {
                if let (path, true) = self.link_path(parent, name) {
                    paths.push(path);
                }
            }
        }
        Whereabouts::Linked(paths)
    }

    /// A directory's path from the root with a leading slash (`/` for the
    /// root), as `mfscli` shows mounts and quotas; MooseFS's own texts for
    /// an inode that is gone or not a directory.
    pub fn dir_path(&self, dir: Inode) -> Vec<u8> {
        if !self.get(dir).is_some_and(|n| n.is_dir()) {
            let text: &[u8] = if self.get(dir).is_some() {
                b"(not directory)"
            } else {
                b"(not found)"
            };
            return text.to_vec();
        }
        match self.whereabouts(dir) {
            Whereabouts::Linked(paths) => {
                [&b"/"[..], paths.first().map_or(&[][..], |p| &p[..])].concat()
            }
            _ => b"/".to_vec(),
        }
    }

    /// The path of entry `name` of directory `parent`: names from the
    /// root down joined by `/`, and whether the walk up reached the root
    /// (when it did not, the path starts at the highest directory found).
    pub(super) fn link_path(&self, parent: Inode, name: &[u8]) -> (Vec<u8>, bool) {
        let mut parts = vec![name];
        let mut current = parent;
        while current != ROOT {
            let Some(up) = self.get(current).and_then(|n| n.parents.first().copied()) else {
                return (join(parts), false);
            };
            let Some(entry) = self.get(up).and_then(|n| n.dir()).and_then(|d| {
                d.entries
                    .iter()
                    .find(|(_, child)| **child == current)
                    .map(|(name, _)| &name[..])
            }) else {
                return (join(parts), false);
            };
            parts.push(entry);
            current = up;
        }
        (join(parts), true)
    }
}

/// Names collected from the bottom up, joined top down.
fn join(mut parts: Vec<&[u8]>) -> Vec<u8> {
    parts.reverse();
    parts.join(&b'/')
}
