//! A file's new length (TRUNCATE, `O_TRUNC`), as MooseFS's
//! `fs_try_setlength` and `fs_do_setlength` split it: the checks and the
//! chunk the new end falls inside of come first, so the chunkservers can
//! cut that chunk; the length changes after they did, releasing the
//! chunks past the new end.

use mooseng_wire::Status;

use super::access::{Caller, EATTR_APPENDONLY, EATTR_IMMUTABLE, EATTR_SNAPSHOT, MAY_WRITE};
use super::data::{CHUNK_SIZE, MAX_INDEX};
use super::mutation::Outcome;
use super::node::{FileData, Inode, NodeData};
use super::quota;
use super::remove::chunk_refs;
use super::Namespace;

/// What a truncation will do, known before any chunkserver is asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TruncatePlan {
    /// The file's length now.
    pub previous: u64,
    /// The chunk to cut first, if the new end falls inside of one.
    pub cut: Option<Cut>,
}

/// A chunk the chunkservers must cut to `offset` bytes (and whose version
/// they step) before the file's length changes, so that bytes past the
/// new end read as zeros when the file grows again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cut {
    pub chunk: u64,
    /// The slot of the file the chunk fills.
    pub index: u32,
    pub offset: u32,
}

impl Namespace {
    /// Checks, as the `Truncate` entry will, that `caller` may set the
    /// length of `inode` to `length` at `ts`, and finds the chunk to cut:
    /// as MooseFS does, any change of length whose new end is not on a
    /// chunk boundary cuts the chunk there, if the file has one.
    pub fn plan_truncate(
        &self,
        ts: u32,
        caller: &Caller,
        inode: Inode,
        length: u64,
        opened: bool,
    ) -> Result<TruncatePlan, Status> {
        let file = self.check_set_length(ts, caller, inode, length, opened)?;
        let offset = length % CHUNK_SIZE;
        // Within MAX_INDEX once checked, so it fits.
        let index = (length / CHUNK_SIZE) as u32;
        let chunk = file.chunks.get(index as usize).copied().unwrap_or(0);
        let cut = (length != file.length && offset != 0 && chunk != 0).then_some(Cut {
            chunk,
            index,
            // Below CHUNK_SIZE, so it fits.
            offset: offset as u32,
        });
        Ok(TruncatePlan {
            previous: file.length,
            cut,
        })
    }

    /// Sets the length and releases the chunks wholly past it. The times
    /// change unless `keep_times` and the length stays the same
    /// (`TRUNCATE_FLAG_TIMEFIX`).
    pub(super) fn set_length(
        &mut self,
        ts: u32,
        caller: &Caller,
        inode: Inode,
        length: u64,
        opened: bool,
        keep_times: bool,
    ) -> Result<Outcome, Status> {
        let previous = self
            .check_set_length(ts, caller, inode, length, opened)?
            .length;
        let sclass = self.node_mut(inode).sclass;
        let node = self.node_mut(inode);
        let mut released = Vec::new();
        if let NodeData::File(file) = &mut node.data {
            file.length = length;
            let kept = usize::try_from(length.div_ceil(CHUNK_SIZE)).unwrap_or(usize::MAX);
            if kept < file.chunks.len() {
                released = chunk_refs(&file.chunks[kept..], sclass);
                file.chunks.truncate(kept);
            }
        }
        if !(keep_times && length == previous) {
            node.mtime = ts;
            node.ctime = ts;
        }
        node.eattr &= !EATTR_SNAPSHOT;
        self.note_quota_usage(ts, inode);
        Ok(Outcome::with_released(inode, released))
    }

    /// MooseFS's refusals, in its order: immutable and append-only files,
    /// write permission (waived for a file the caller has open), not a
    /// regular file, beyond the last chunk index, over a quota.
    fn check_set_length(
        &self,
        ts: u32,
        caller: &Caller,
        inode: Inode,
        length: u64,
        opened: bool,
    ) -> Result<&FileData, Status> {
        let node = self.get(inode).ok_or(Status::ENOENT)?;
        if node.eattr & (EATTR_IMMUTABLE | EATTR_APPENDONLY) != 0 {
            return Err(Status::EPERM);
        }
        if !opened && !caller.may(node, MAY_WRITE) {
            return Err(Status::EACCES);
        }
        let NodeData::File(file) = &node.data else {
            return Err(Status::EPERM);
        };
        if length > file.length && (length - 1) / CHUNK_SIZE > u64::from(MAX_INDEX) {
            return Err(Status::INDEXTOOBIG);
        }
        self.check_quota(
            ts,
            inode,
            &quota::length_growth(node, length, self.classes()),
        )?;
        Ok(file)
    }
}
