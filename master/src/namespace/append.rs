//! APPEND_SLICE (`mfsappendchunks`): a file's chunks, or a slice of them,
//! appended to another file by reference, as 3.0.117's
//! `fs_append_slice` does. The destination is first rounded up to whole
//! chunks, so the appended data starts at a chunk boundary; the chunks
//! are then shared as a snapshot shares them, and a later write to either
//! file duplicates the chunk it writes.
//!
//! Slices count in chunks, `[from, to)`; a flag makes either end count
//! back from the source's end. An empty source or slice appends nothing.

use mooseng_wire::Status;

use super::access::{Caller, EATTR_IMMUTABLE, MAY_READ, MAY_WRITE};
use super::data::{CHUNK_SIZE, MAX_INDEX};
use super::mutation::Outcome;
use super::node::{Inode, NodeData};
use super::quota::{file_size, real_size, Usage};
use super::remove::chunk_refs;
use super::{ChunkList, Namespace};

/// `APPEND_SLICE_*`: the slice end counts back from the source's end.
pub mod append_flag {
    pub const FROM_NEG: u8 = 0x01;
    pub const TO_NEG: u8 = 0x02;
}

/// An APPEND_SLICE request as the client sent it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Slice {
    pub flags: u8,
    pub from: u32,
    pub to: u32,
}

impl Namespace {
    /// Appends `slice` of `source`'s chunks to `inode`.
    pub(super) fn append_slice(
        &mut self,
        ts: u32,
        caller: &Caller,
        inode: Inode,
        source: Inode,
        slice: Slice,
    ) -> Result<Outcome, Status> {
        if inode == source {
            return Err(Status::EINVAL);
        }
        let (src, dst) = (self.checked_file(source)?, self.checked_file(inode)?);
        if !caller.may(src.0, MAY_READ) {
            return Err(Status::EACCES);
        }
        if dst.0.eattr & EATTR_IMMUTABLE != 0 {
            return Err(Status::EPERM);
        }
        if !caller.may(dst.0, MAY_WRITE) {
            return Err(Status::EACCES);
        }
        let Some((from, to, appended)) = chunk_range(src.1.length, slice) else {
            return Ok(Outcome::Node(inode));
        };
        let kept = dst.1.length.div_ceil(CHUNK_SIZE);
        let new_length = (kept * CHUNK_SIZE)
            .checked_add(appended)
            .ok_or(Status::EINVAL)?;
        if kept + u64::from(to - from) > u64::from(MAX_INDEX) {
            return Err(Status::INDEXTOOBIG);
        }
        let mut slots: Vec<u64> = (0..kept as usize)
            .map(|i| dst.1.chunks.get(i).copied().unwrap_or(0))
            .collect();
        slots.extend((from..=to).map(|i| src.1.chunks.get(i as usize).copied().unwrap_or(0)));
        let class = dst.0.sclass;
        let released = chunk_refs(dst.1.chunks.get(kept as usize..).unwrap_or(&[]), class);
        let added = chunk_refs(&slots[kept as usize..], class);
        let size =
            file_size(new_length, &slots).saturating_sub(file_size(dst.1.length, &dst.1.chunks));
        let growth = Usage {
            inodes: 0,
            length: new_length.saturating_sub(dst.1.length),
            size,
            real_size: real_size(size, dst.0, self.classes()),
        };
        self.check_quota(ts, inode, &growth)?;

        let node = self.node_mut(inode);
        if let NodeData::File(file) = &mut node.data {
            file.chunks = ChunkList::from(slots);
            file.length = new_length;
        }
        node.mtime = ts;
        node.atime = ts;
        self.node_mut(source).atime = ts;
        self.note_quota_usage(ts, inode);
        Ok(Outcome::Appended {
            inode,
            added,
            released,
        })
    }

    /// A regular file (trash and sustained ones too) and its data.
    fn checked_file(&self, inode: Inode) -> Result<(&super::Node, &super::FileData), Status> {
        let node = self.get(inode).ok_or(Status::ENOENT)?;
        match &node.data {
            NodeData::File(file) => Ok((node, file)),
            _ => Err(Status::EPERM),
        }
    }
}

/// The chunks `[from, to]` of a source of `length` bytes that `slice`
/// names, and the bytes they add; `None` when it names none.
fn chunk_range(length: u64, slice: Slice) -> Option<(u32, u32, u64)> {
    if length == 0 {
        return None;
    }
    let last = ((length - 1) / CHUNK_SIZE) as u32;
    let count = last + 1;
    let from = if slice.flags & append_flag::FROM_NEG != 0 {
        count.saturating_sub(slice.from.min(count))
    } else {
        slice.from
    };
    let to = if slice.flags & append_flag::TO_NEG != 0 {
        if slice.to > count {
            return None;
        }
        count - slice.to
    } else {
        slice.to
    };
    if to <= from {
        return None;
    }
    let to = to - 1;
    if to >= last {
        (last >= from).then(|| (from, last, length - u64::from(from) * CHUNK_SIZE))
    } else {
        Some((from, to, u64::from(to - from + 1) * CHUNK_SIZE))
    }
}
