//! Trash and sustained files, as MooseFS 3.0.117 keeps them.
//!
//! A file losing its last link is not freed at once: with a trash time it
//! goes to the trash, remembering the path it had, until that time has
//! passed since it was last touched (or it is purged or undeleted through
//! the meta mount); without one, but held open by some session, it becomes
//! "sustained" until the last session releases it. Only then are its chunk
//! references dropped.
//!
//! Sessions holding files open are part of the state (`Acquire` and
//! `Release` entries, MooseFS's `ACQUIRE`/`RELEASE` changelog lines), and
//! the trash is emptied by `EmptyTrash` entries carrying the leader's time,
//! so every replica frees the same files at the same point of the log.

use std::cmp::Reverse;

use mooseng_wire::Status;
use serde::{Deserialize, Serialize};

use super::access::{Caller, EATTR_IMMUTABLE};
use super::create::new_node;
use super::mutation::{ChunkRef, NewNode, Outcome};
use super::node::{Inode, NodeData, ROOT};
use super::remove::chunk_refs;
use super::{Namespace, NAME_MAX};

/// Trash listings are split in this many buckets by inode (`TRASH_BUCKETS`).
pub const TRASH_BUCKETS: u32 = 4096;
/// Sustained files are kept in this many buckets (`SUSTAINED_BUCKETS`).
const SUSTAINED_BUCKETS: u32 = 256;
/// Longest path a trash entry keeps (`MFS_PATH_MAX`).
pub const PATH_MAX: usize = 1024;
/// Listing names longer than this are shortened to their tail.
const LISTED_NAME_MAX: usize = 240;
/// Bytes of a long path's tail a listing keeps after `(...)`.
const LISTED_TAIL: usize = 235;

/// A file no directory refers to any more.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Detached {
    /// The path it had below the root when it was unlinked, without a
    /// leading slash.
    pub path: Box<[u8]>,
    pub kind: DetachedKind,
    /// Order of arrival: listings show the newest of a bucket first.
    seq: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DetachedKind {
    Trash,
    Sustained,
}

impl Namespace {
    pub fn detached(&self, inode: Inode) -> Option<&Detached> {
        self.detached.get(&inode)
    }

    /// The path of entry `name` of directory `parent`, as the trash keeps
    /// it: names from the root down joined by `/`, cut to its last
    /// `PATH_MAX` bytes.
    pub(super) fn path_of(&self, parent: Inode, name: &[u8]) -> Box<[u8]> {
        let (path, _) = self.link_path(parent, name);
        let cut = path.len().saturating_sub(PATH_MAX);
        path[cut..].into()
    }

    /// Ends a node that just lost a link at `path`: nothing while other
    /// links remain; a file goes to the trash or becomes sustained when it
    /// should; anything else is freed and its chunk references returned.
    pub(super) fn free_if_unlinked(
        &mut self,
        ts: u32,
        inode: Inode,
        path: Box<[u8]>,
    ) -> Option<Vec<ChunkRef>> {
        let node = self.get(inode)?;
        if inode == ROOT || !node.parents.is_empty() {
            return None;
        }
        if matches!(node.data, NodeData::File(_)) {
            if node.trashtime > 0 {
                self.node_mut(inode).ctime = ts;
                self.park(inode, path, DetachedKind::Trash);
                return None;
            }
            if self.open.is_open(inode) {
                self.park(inode, path, DetachedKind::Sustained);
                return None;
            }
        }
        Some(self.free(inode))
    }

    fn park(&mut self, inode: Inode, path: Box<[u8]>, kind: DetachedKind) {
        self.detached_seq += 1;
        let seq = self.detached_seq;
        self.detached.insert(inode, Detached { path, kind, seq });
    }

    /// Drops a node for good; returns the chunk references its data held.
    fn free(&mut self, inode: Inode) -> Vec<ChunkRef> {
        self.detached.remove(&inode);
        let Some(node) = self.nodes.remove(inode) else {
            return Vec::new();
        };
        match node.data {
            NodeData::File(file) => chunk_refs(&file.chunks, node.sclass),
            _ => Vec::new(),
        }
    }

    /// A trash entry leaves the trash: sustained while open, else freed.
    fn purge_trash(&mut self, inode: Inode) -> Vec<ChunkRef> {
        if self.open.is_open(inode) {
            if let Some(entry) = self.detached.get_mut(&inode) {
                entry.kind = DetachedKind::Sustained;
            }
            Vec::new()
        } else {
            self.free(inode)
        }
    }

    /// True when `EmptyTrash` at `ts` would remove something.
    pub fn trash_due(&self, ts: u32) -> bool {
        self.expired(ts).next().is_some()
    }

    /// Trash entries whose trash time has passed since their last access,
    /// modification and change (MooseFS's `fs_emptytrash` rule).
    fn expired(&self, ts: u32) -> impl Iterator<Item = Inode> + '_ {
        self.detached
            .iter()
            .filter(|(_, entry)| entry.kind == DetachedKind::Trash)
            .filter_map(move |(inode, _)| {
                let node = self.get(*inode)?;
                let keep = u64::from(node.trashtime) * 3600;
                let last = node.atime.max(node.mtime).max(node.ctime);
                (u64::from(last) + keep < u64::from(ts)).then_some(*inode)
            })
    }

    pub(super) fn empty_trash(&mut self, ts: u32) -> Outcome {
        let due: Vec<Inode> = self.expired(ts).collect();
        let released = due
            .into_iter()
            .flat_map(|inode| self.purge_trash(inode))
            .collect();
        Outcome::with_released(0, released)
    }

    /// PURGE from the meta mount: only trash entries.
    pub(super) fn purge(&mut self, inode: Inode) -> Result<Outcome, Status> {
        self.trash_entry(inode)?;
        let released = self.purge_trash(inode);
        Ok(Outcome::with_released(inode, released))
    }

    fn trash_entry(&self, inode: Inode) -> Result<&Detached, Status> {
        self.detached
            .get(&inode)
            .filter(|entry| entry.kind == DetachedKind::Trash)
            .ok_or(Status::ENOENT)
    }

    pub(super) fn set_trash_path(&mut self, inode: Inode, path: &[u8]) -> Result<Outcome, Status> {
        if path.is_empty() || path.len() > PATH_MAX || path.contains(&0) {
            return Err(Status::EINVAL);
        }
        self.trash_entry(inode)?;
        self.detached.remove(&inode);
        self.park(inode, path.into(), DetachedKind::Trash);
        Ok(Outcome::Node(inode))
    }

    /// UNDEL: links a trash entry back at its path below the root, making
    /// missing directories (mode 0755, owned by root) on the way.
    pub(super) fn undel(&mut self, ts: u32, inode: Inode) -> Result<Outcome, Status> {
        let path = self.trash_entry(inode)?.path.clone();
        let parts = undel_parts(&path).ok_or(Status::CANTCREATEPATH)?;
        let Some((name, dirs)) = parts.split_last() else {
            return Err(Status::CANTCREATEPATH);
        };
        let mut dir = ROOT;
        let mut creating = false;
        for part in dirs {
            self.check_undel_dir(dir)?;
            let existing = self
                .get(dir)
                .and_then(|n| n.dir()?.entries.get(*part).copied());
            dir = match existing.filter(|_| !creating) {
                Some(child) if self.get(child).is_some_and(|n| n.is_dir()) => child,
                Some(_) => return Err(Status::CANTCREATEPATH),
                None => {
                    creating = true;
                    self.undel_mkdir(ts, dir, part)
                }
            };
        }
        self.check_undel_dir(dir)?;
        if self
            .get(dir)
            .and_then(|n| n.dir())
            .is_some_and(|d| d.entries.contains_key(*name))
        {
            return Err(Status::EEXIST);
        }
        self.detached.remove(&inode);
        self.node_mut(inode).ctime = ts;
        self.attach(ts, dir, name, inode);
        Ok(Outcome::Node(inode))
    }

    fn check_undel_dir(&self, dir: Inode) -> Result<(), Status> {
        match self.get(dir) {
            Some(node) if node.eattr & EATTR_IMMUTABLE != 0 => Err(Status::EPERM),
            Some(_) => Ok(()),
            None => Err(Status::CANTCREATEPATH),
        }
    }

    fn undel_mkdir(&mut self, ts: u32, parent: Inode, name: &[u8]) -> Inode {
        let root = Caller {
            uid: 0,
            gids: vec![0],
        };
        let node = new_node(
            ts,
            &root,
            self.node_mut(parent),
            &NewNode::Directory,
            0o755,
            false,
        );
        let inode = self.next_inode;
        self.next_inode += 1;
        self.nodes.insert(inode, node);
        self.attach(ts, parent, name, inode);
        inode
    }

    /// A session opened `inode`.
    pub(super) fn acquire(&mut self, inode: Inode, session: u32) -> Result<Outcome, Status> {
        self.get(inode).ok_or(Status::ENOENT)?;
        self.open.insert(inode, session);
        Ok(Outcome::Node(inode))
    }

    /// A session no longer holds `inode` open; a sustained file nobody
    /// holds any more is freed.
    pub(super) fn release(&mut self, inode: Inode, session: u32) -> Result<Outcome, Status> {
        if !self.open.is_open(inode) {
            return Err(Status::ENOENT);
        }
        self.open.remove(inode, session);
        if self.open.is_open(inode) {
            return Ok(Outcome::Node(inode));
        }
        let sustained = self
            .detached
            .get(&inode)
            .is_some_and(|entry| entry.kind == DetachedKind::Sustained);
        let released = if sustained {
            self.free(inode)
        } else {
            Vec::new()
        };
        Ok(Outcome::with_released(inode, released))
    }

    /// `(session, inode)` of every file some session holds open, by inode.
    pub fn open_files(&self) -> impl Iterator<Item = (u32, Inode)> + '_ {
        self.open.iter()
    }

    /// GETTRASH: `(name, inode)` of the trash entries of one bucket, or of
    /// all buckets in bucket order; newest first within a bucket.
    pub fn trash_list(&self, bucket: Option<u32>) -> Vec<(Vec<u8>, Inode)> {
        let bucket = bucket.filter(|b| *b < TRASH_BUCKETS);
        self.listing(DetachedKind::Trash, TRASH_BUCKETS, |inode| {
            bucket.is_none_or(|b| inode % TRASH_BUCKETS == b)
        })
    }

    /// GETSUSTAINED: every sustained file.
    pub fn sustained_list(&self) -> Vec<(Vec<u8>, Inode)> {
        self.listing(DetachedKind::Sustained, SUSTAINED_BUCKETS, |_| true)
    }

    fn listing(
        &self,
        kind: DetachedKind,
        buckets: u32,
        wanted: impl Fn(Inode) -> bool,
    ) -> Vec<(Vec<u8>, Inode)> {
        let mut entries: Vec<(Inode, &Detached)> = self
            .detached
            .iter()
            .filter(|(inode, entry)| entry.kind == kind && wanted(**inode))
            .map(|(inode, entry)| (*inode, entry))
            .collect();
        entries.sort_by_key(|(inode, entry)| (inode % buckets, Reverse(entry.seq)));
        entries
            .into_iter()
            .map(|(inode, entry)| (listed_name(&entry.path), inode))
            .collect()
    }
}

/// A path as listings show it: `/` becomes `|`, and one longer than 240
/// bytes becomes `(...)` and its last 235 bytes.
fn listed_name(path: &[u8]) -> Vec<u8> {
    let shown: &[u8] = if path.len() > LISTED_NAME_MAX {
        &path[path.len() - LISTED_TAIL..]
    } else {
        path
    };
    let mut name = if path.len() > LISTED_NAME_MAX {
        b"(...)".to_vec()
    } else {
        Vec::new()
    };
    name.extend(shown.iter().map(|b| if *b == b'/' { b'|' } else { *b }));
    name
}

/// The components of a path UNDEL may create: leading slashes skipped, no
/// empty, `.`, `..` or over-long component, no NUL.
fn undel_parts(path: &[u8]) -> Option<Vec<&[u8]>> {
    let start = path.iter().position(|b| *b != b'/')?;
    let parts: Vec<&[u8]> = path[start..].split(|b| *b == b'/').collect();
    let valid = parts.iter().all(|part| {
        !part.is_empty()
            && part.len() <= NAME_MAX
            && *part != b"."
            && *part != b".."
            && !part.contains(&0)
    });
    valid.then_some(parts)
}
