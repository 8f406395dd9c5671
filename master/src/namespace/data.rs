//! File data bookkeeping the chunk requests need: which chunk fills each
//! 64 MiB slot of a file, and how long the file is.
//!
//! Neither change checks permissions: like MooseFS's `fs_writechunk` and
//! `fs_writeend`, they serve a client that already opened the file for
//! writing, and the chunk side has already acted on them.

use mooseng_wire::Status;

use super::access::{EATTR_IMMUTABLE, EATTR_SNAPSHOT};
use super::mutation::Outcome;
use super::node::{FileData, Inode, Node, NodeData};
use super::quota;
use super::remove::chunk_refs;
use super::Namespace;

/// Size of one chunk: a file's chunk table has one slot per 64 MiB.
pub const CHUNK_SIZE: u64 = 64 << 20;

/// Highest chunk index MooseFS accepts (`MAX_INDEX`): files end at 128 PiB.
pub const MAX_INDEX: u32 = 0x7F_FFFF;

impl Namespace {
    /// Every file with its data, trash and sustained files included, in
    /// inode order.
    pub fn files(&self) -> Vec<(Inode, &Node, &FileData)> {
        let mut files: Vec<_> = self
            .nodes
            .iter()
            .filter_map(|(inode, node)| match &node.data {
                NodeData::File(file) => Some((inode, node, file)),
                _ => None,
            })
            .collect();
        files.sort_unstable_by_key(|(inode, _, _)| *inode);
        files
    }

    /// The file data of `inode`, or the status MooseFS answers for a node
    /// that is missing or not a regular file.
    pub fn file(&self, inode: Inode) -> Result<&FileData, Status> {
        match &self.get(inode).ok_or(Status::ENOENT)?.data {
            NodeData::File(file) => Ok(file),
            _ => Err(Status::EPERM),
        }
    }

    /// The chunk id in slot `index` of `inode` (0 for a hole or a slot past
    /// the end) and the file's length.
    pub fn chunk_at(&self, inode: Inode, index: u32) -> Result<(u64, u64), Status> {
        let file = self.file(inode)?;
        if index > MAX_INDEX {
            return Err(Status::INDEXTOOBIG);
        }
        let chunk = file.chunks.get(index as usize).copied().unwrap_or(0);
        Ok((chunk, file.length))
    }

    pub(super) fn set_chunk(
        &mut self,
        ts: u32,
        inode: Inode,
        index: u32,
        expect: u64,
        chunk: u64,
    ) -> Result<Outcome, Status> {
        let (current, _) = self.chunk_at(inode, index)?;
        if self
            .get(inode)
            .is_some_and(|n| n.eattr & EATTR_IMMUTABLE != 0)
        {
            return Err(Status::EPERM);
        }
        if current != expect {
            return Err(Status::EAGAIN);
        }
        if let Some(node) = self.get(inode) {
            self.check_quota(ts, inode, &quota::write_growth(node, index, self.classes()))?;
        }
        let class = self.get(inode).map_or(0, |n| n.sclass);
        let file = self.file_mut(inode);
        file.chunks.set(index as usize, chunk);
        let last = file.length.saturating_sub(1) / CHUNK_SIZE;
        if u64::from(index) > last {
            file.length = u64::from(index) * CHUNK_SIZE;
        }
        // A file written to is no longer as a snapshot made it.
        self.node_mut(inode).eattr &= !EATTR_SNAPSHOT;
        self.note_quota_usage(ts, inode);
        // A private duplicate of a chunk shared with a snapshot replaced
        // it: this file no longer refers to the shared one.
        let replaced = if expect != 0 && expect != chunk {
            chunk_refs(&[expect], class)
        } else {
            Vec::new()
        };
        Ok(Outcome::with_released(inode, replaced))
    }

    pub(super) fn grow_length(&mut self, inode: Inode, length: u64) -> Result<Outcome, Status> {
        self.file(inode)?;
        let file = self.file_mut(inode);
        if length > file.length {
            file.length = length;
            self.node_mut(inode).eattr &= !EATTR_SNAPSHOT;
        }
        Ok(Outcome::Node(inode))
    }

    fn file_mut(&mut self, inode: Inode) -> &mut FileData {
        match &mut self.node_mut(inode).data {
            NodeData::File(file) => file,
            _ => panic!("inode {inode} is no longer a file"),
        }
    }
}
