//! Directory quotas, as MooseFS 3.0.117 enforces them.
//!
//! A quota limits what a directory's subtree holds: inodes, the sum of
//! lengths, the size on disk (whole 64 KiB blocks plus chunk headers) and
//! the real size (size times the goal). A hard limit refuses any change
//! that would go over it with `QUOTA` (EDQUOT at the client). A soft limit
//! may be exceeded for the grace period; after that it refuses like a hard
//! one until the usage drops below it again.
//!
//! MooseFS keeps running totals per directory; here the usage of a quota
//! directory is summed when it is needed, which costs a walk of that
//! subtree per checked change (only directories with a quota are walked).
//! The moment a soft limit was first exceeded is stamped by the changes
//! that grow usage, with their entry's time, which keeps replay exact.

use mooseng_wire::Status;
use serde::{Deserialize, Serialize};

use super::data::CHUNK_SIZE;
use super::mutation::{NewNode, Outcome};
use super::node::{Inode, Node, NodeData, ROOT};
use super::sclass::Classes;
use super::Namespace;

/// `QUOTA_FLAG_*`: which limits are set.
pub mod quota_flag {
    pub const SINODES: u8 = 0x01;
    pub const SLENGTH: u8 = 0x02;
    pub const SSIZE: u8 = 0x04;
    pub const SREALSIZE: u8 = 0x08;
    pub const HINODES: u8 = 0x10;
    pub const HLENGTH: u8 = 0x20;
    pub const HSIZE: u8 = 0x40;
    pub const HREALSIZE: u8 = 0x80;
}

/// `MFSBLOCKSIZE` and `MFSHDRSIZE`: the unit of disk use and the header
/// every chunk file carries.
const BLOCK_SIZE: u64 = 0x10000;
const CHUNK_HEADER: u64 = 0x2000;

/// Usage of a subtree, or a change to it (`statsrecord`'s quota fields).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    pub inodes: u32,
    pub length: u64,
    pub size: u64,
    pub real_size: u64,
}

impl Usage {
    pub(super) fn add(&mut self, other: &Usage) {
        self.inodes = self.inodes.saturating_add(other.inodes);
        self.length = self.length.saturating_add(other.length);
        self.size = self.size.saturating_add(other.size);
        self.real_size = self.real_size.saturating_add(other.real_size);
    }

    /// Takes `other` away, stopping at zero.
    pub(super) fn subtract(&mut self, other: &Usage) {
        self.inodes = self.inodes.saturating_sub(other.inodes);
        self.length = self.length.saturating_sub(other.length);
        self.size = self.size.saturating_sub(other.size);
        self.real_size = self.real_size.saturating_sub(other.real_size);
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quota {
    /// `QUOTA_FLAG_*` bits of the limits that are set.
    pub flags: u8,
    /// Seconds a soft limit may stay exceeded.
    pub grace_period: u32,
    pub soft: Usage,
    pub hard: Usage,
    /// When the usage went over a soft limit; 0 while it is under.
    pub soft_since: u32,
}

/// A QUOTACONTROL change: set the limits in `flags` (with their grace
/// period when not 0), or, with `delete`, clear them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuotaChange {
    pub delete: bool,
    pub flags: u8,
    pub grace_period: u32,
    pub soft: Usage,
    pub hard: Usage,
}

impl Quota {
    fn over_soft(&self, usage: &Usage) -> bool {
        use quota_flag::*;
        (self.flags & SINODES != 0 && usage.inodes > self.soft.inodes)
            || (self.flags & SLENGTH != 0 && usage.length > self.soft.length)
            || (self.flags & SSIZE != 0 && usage.size > self.soft.size)
            || (self.flags & SREALSIZE != 0 && usage.real_size > self.soft.real_size)
    }

    /// Whether adding `add` to `usage` is refused at time `ts`.
    fn refuses(&self, usage: &Usage, add: &Usage, ts: u32) -> bool {
        use quota_flag::*;
        let over = |flag: u8, added: u64, used: u64, limit: u64| {
            self.flags & flag != 0 && added > 0 && used.saturating_add(added) > limit
        };
        let beyond = |limits: &Usage, [inodes, length, size, real_size]: [u8; 4]| {
            over(
                inodes,
                add.inodes.into(),
                usage.inodes.into(),
                limits.inodes.into(),
            ) || over(length, add.length, usage.length, limits.length)
                || over(size, add.size, usage.size, limits.size)
                || over(real_size, add.real_size, usage.real_size, limits.real_size)
        };
        let grace_over = self.over_soft(usage)
            && self.soft_since != 0
            && u64::from(self.soft_since) + u64::from(self.grace_period) < u64::from(ts);
        beyond(&self.hard, [HINODES, HLENGTH, HSIZE, HREALSIZE])
            || (grace_over && beyond(&self.soft, [SINODES, SLENGTH, SSIZE, SREALSIZE]))
    }

    /// Keeps only the limits whose flag is set, as MooseFS reports them.
    fn normalized(mut self) -> Self {
        use quota_flag::*;
        let unset = |flag: u8| self.flags & flag == 0;
        let (soft, hard) = (&mut self.soft, &mut self.hard);
        if unset(SINODES) {
            soft.inodes = 0;
        }
        if unset(HINODES) {
            hard.inodes = 0;
        }
        if unset(SLENGTH) {
            soft.length = 0;
        }
        if unset(HLENGTH) {
            hard.length = 0;
        }
        if unset(SSIZE) {
            soft.size = 0;
        }
        if unset(HSIZE) {
            hard.size = 0;
        }
        if unset(SREALSIZE) {
            soft.real_size = 0;
        }
        if unset(HREALSIZE) {
            hard.real_size = 0;
        }
        self
    }
}

/// What creating `spec` adds to every directory above it.
pub(super) fn new_usage(spec: &NewNode) -> Usage {
    let length = match spec {
        NewNode::Symlink(target) => target.len() as u64,
        _ => 0,
    };
    Usage {
        inodes: 1,
        length,
        ..Usage::default()
    }
}

/// Disk use of a file with `length` bytes in `chunks` (`fsnodes_get_stats`):
/// full chunks before the last one, whole blocks of the last one, a header
/// for each, nothing for holes or slots past the end.
pub(super) fn file_size(length: u64, chunks: &[u64]) -> u64 {
    let (last, last_size) = last_chunk(length);
    chunks
        .iter()
        .enumerate()
        .filter(|(_, chunk)| **chunk != 0)
        .map(|(index, _)| match (index as u64).cmp(&last) {
            std::cmp::Ordering::Less => CHUNK_SIZE + CHUNK_HEADER,
            std::cmp::Ordering::Equal => last_size,
            std::cmp::Ordering::Greater => 0,
        })
        .sum()
}

/// The index of a file's last chunk and that chunk's disk use.
fn last_chunk(length: u64) -> (u64, u64) {
    if length > 0 {
        let last = (length - 1) / CHUNK_SIZE;
        let used = ((length - 1) % CHUNK_SIZE + BLOCK_SIZE) / BLOCK_SIZE * BLOCK_SIZE;
        (last, used + CHUNK_HEADER)
    } else {
        (0, CHUNK_HEADER)
    }
}

/// What setting a file's length to `length` adds (`fs_setlength`): the
/// length difference and the growth of the last chunk already there.
pub(super) fn length_growth(node: &Node, length: u64, classes: &Classes) -> Usage {
    let NodeData::File(file) = &node.data else {
        return Usage::default();
    };
    if length <= file.length {
        return Usage::default();
    }
    let size = file_size(length, &file.chunks).saturating_sub(file_size(file.length, &file.chunks));
    Usage {
        inodes: 0,
        length: length - file.length,
        size,
        real_size: real_size(size, node, classes),
    }
}

/// What a write into slot `index` may add (`fs_writechunk`'s estimate):
/// the slot counts as full, and a slot past the end extends the length
/// to the slot's start.
pub(super) fn write_growth(node: &Node, index: u32, classes: &Classes) -> Usage {
    let NodeData::File(file) = &node.data else {
        return Usage::default();
    };
    let present = file.chunks.get(index as usize).is_some_and(|c| *c != 0);
    let index = u64::from(index);
    let full = CHUNK_SIZE + CHUNK_HEADER;
    let (last, last_size) = last_chunk(file.length);
    let (length, size) = if index <= last {
        let size = match (present, index == last) {
            (false, _) => full,
            (true, true) => full - last_size,
            (true, false) => 0,
        };
        (0, size)
    } else {
        ((index * CHUNK_SIZE).saturating_sub(file.length), full)
    };
    Usage {
        inodes: 0,
        length,
        size,
        real_size: real_size(size, node, classes),
    }
}

/// Bytes on all copies: the size times the copies the file's class keeps
/// (`sclass_get_keepmax_goal`, MooseFS's `realsize_ratio`).
pub(super) fn real_size(size: u64, node: &Node, classes: &Classes) -> u64 {
    size.saturating_mul(classes.copies(node.sclass).into())
}

pub(super) fn node_usage(node: &Node, classes: &Classes) -> Usage {
    match &node.data {
        NodeData::File(file) => {
            let size = file_size(file.length, &file.chunks);
            Usage {
                inodes: 1,
                length: file.length,
                size,
                real_size: real_size(size, node, classes),
            }
        }
        NodeData::Symlink(target) => Usage {
            inodes: 1,
            length: target.len() as u64,
            ..Usage::default()
        },
        _ => Usage {
            inodes: 1,
            ..Usage::default()
        },
    }
}

impl Namespace {
    /// What the subtree below directory `dir` holds, the directory itself
    /// not counted; a node with several links in it counts once per link.
    pub fn usage(&self, dir: Inode) -> Usage {
        let mut total = Usage::default();
        let mut pending = vec![dir];
        while let Some(current) = pending.pop() {
            let Some(entries) = self.get(current).and_then(|n| n.dir()) else {
                continue;
            };
            for child in entries.entries.values() {
                if let Some(node) = self.get(*child) {
                    total.add(&node_usage(node, self.classes()));
                    if node.is_dir() {
                        pending.push(*child);
                    }
                }
            }
        }
        total
    }

    /// A directory's quota, if it has one.
    pub fn quota(&self, dir: Inode) -> Option<&Quota> {
        self.get(dir)?.dir()?.quota.as_deref()
    }

    /// Directories from `inode` up to the root that have a quota: `inode`
    /// itself when it is a directory, then every parent chain.
    fn quota_dirs(&self, inode: Inode) -> Vec<Inode> {
        let mut found = Vec::new();
        let mut pending = vec![inode];
        let mut seen = std::collections::HashSet::new();
        while let Some(current) = pending.pop() {
            if !seen.insert(current) {
                continue;
            }
            let Some(node) = self.get(current) else {
                continue;
            };
            if node.dir().is_some_and(|d| d.quota.is_some()) {
                found.push(current);
            }
            if current != ROOT {
                pending.extend(node.parents.iter().copied());
            }
        }
        found
    }

    /// Refuses with `QUOTA` when adding `add` below `inode` would go over
    /// a limit of `inode` (a directory) or of a directory above it.
    pub(super) fn check_quota(&self, ts: u32, inode: Inode, add: &Usage) -> Result<(), Status> {
        for dir in self.quota_dirs(inode) {
            if let Some(quota) = self.quota(dir) {
                if quota.refuses(&self.usage(dir), add, ts) {
                    return Err(Status::QUOTA);
                }
            }
        }
        Ok(())
    }

    /// Stamps (or clears) the soft-limit time of the quotas above `inode`
    /// after a change of usage at time `ts`.
    pub(super) fn note_quota_usage(&mut self, ts: u32, inode: Inode) {
        for dir in self.quota_dirs(inode) {
            let usage = self.usage(dir);
            if let Some(quota) = self.dir_mut(dir).quota.as_deref_mut() {
                stamp(quota, &usage, ts);
            }
        }
    }

    /// QUOTACONTROL's change; the client layer checks the session may.
    pub(super) fn set_quota(
        &mut self,
        ts: u32,
        inode: Inode,
        change: &QuotaChange,
    ) -> Result<Outcome, Status> {
        let node = self.get(inode).ok_or(Status::ENOENT)?;
        if !node.is_dir() {
            return Err(Status::EPERM);
        }
        let usage = self.usage(inode);
        let dir = self.dir_mut(inode);
        if change.delete {
            if let Some(quota) = dir.quota.as_deref_mut() {
                quota.flags &= !change.flags;
                if quota.flags == 0 {
                    dir.quota = None;
                }
            }
        } else if change.flags != 0 {
            let quota = dir.quota.get_or_insert_with(Box::default);
            set_limits(quota, change);
            stamp(quota, &usage, ts);
        }
        Ok(Outcome::Node(inode))
    }

    /// Every quota with its directory's usage and, while a soft limit is
    /// exceeded, when that began: what `mfscli -SQU` lists.
    pub fn quotas(&self) -> Vec<(Inode, Quota, Usage, Option<u32>)> {
        let mut found: Vec<_> = self
            .nodes
            .iter()
            .filter_map(|(inode, node)| Some((inode, node.dir()?.quota.as_deref()?)))
            .map(|(inode, quota)| {
                let usage = self.usage(inode);
                let since =
                    (quota.soft_since != 0 && quota.over_soft(&usage)).then_some(quota.soft_since);
                (inode, quota.clone().normalized(), usage, since)
            })
            .collect();
        found.sort_by_key(|(inode, ..)| *inode);
        found
    }

    /// QUOTACONTROL's answer: the limits (all zero without a quota) and
    /// the usage.
    pub fn quota_state(&self, inode: Inode) -> Result<(Quota, Usage), Status> {
        let node = self.get(inode).ok_or(Status::ENOENT)?;
        let dir = node.dir().ok_or(Status::EPERM)?;
        let quota = dir.quota.as_deref().cloned().unwrap_or_default();
        Ok((quota.normalized(), self.usage(inode)))
    }
}

fn set_limits(quota: &mut Quota, change: &QuotaChange) {
    use quota_flag::*;
    quota.flags |= change.flags;
    if change.grace_period != 0 {
        quota.grace_period = change.grace_period;
    }
    let has = |flag: u8| change.flags & flag != 0;
    if has(SINODES) {
        quota.soft.inodes = change.soft.inodes;
    }
    if has(SLENGTH) {
        quota.soft.length = change.soft.length;
    }
    if has(SSIZE) {
        quota.soft.size = change.soft.size;
    }
    if has(SREALSIZE) {
        quota.soft.real_size = change.soft.real_size;
    }
    if has(HINODES) {
        quota.hard.inodes = change.hard.inodes;
    }
    if has(HLENGTH) {
        quota.hard.length = change.hard.length;
    }
    if has(HSIZE) {
        quota.hard.size = change.hard.size;
    }
    if has(HREALSIZE) {
        quota.hard.real_size = change.hard.real_size;
    }
}

/// `fsnodes_check_quotanode`: remember when a soft limit was first passed.
fn stamp(quota: &mut Quota, usage: &Usage, ts: u32) {
    if quota.over_soft(usage) {
        if quota.soft_since == 0 {
            quota.soft_since = ts;
        }
    } else {
        quota.soft_since = 0;
    }
}
