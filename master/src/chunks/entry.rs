//! The log entries of the chunk table.
//!
//! Each one is a change MooseFS writes to its changelog (`CHUNKADD`,
//! `SETVERSION`, `WRITE`, `CHUNKDEL`, ...). New chunk ids are not in the
//! entries: the table allocates them itself, in log order, so replaying a
//! log gives the same ids.

use serde::{Deserialize, Serialize};

use super::ChunkId;
use crate::namespace::Inode;

/// The slot of a file a chunk fills: `index` counts 64 MiB chunks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct FileRef {
    pub inode: Inode,
    pub index: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ChunkEntry {
    /// A write into a hole: a new chunk in version 1, referred to once by
    /// a file of storage class `class`. The table does not keep `file`; the
    /// entry carries it so the namespace side of the same log can put the
    /// new id into the file's chunk table.
    Create { file: FileRef, class: u8 },
    /// The version step before a write to an existing chunk.
    IncreaseVersion { chunk: ChunkId },
    /// One more file (a hard link, a snapshot) of storage class `class`
    /// refers to `chunk`.
    AddRef { chunk: ChunkId, class: u8 },
    /// A file of storage class `class` no longer refers to `chunk`
    /// (unlink, truncate).
    DropRef { chunk: ChunkId, class: u8 },
    /// A file referring to `chunk` moved from storage class `from` to `to`.
    ChangeClass { chunk: ChunkId, from: u8, to: u8 },
    /// A chunkserver holds a chunk the table does not know: it is recorded
    /// with no references so that it gets deleted.
    Adopt { chunk: ChunkId, version: u32 },
    /// The chunk has no references and no copies left.
    Remove { chunk: ChunkId },
    /// The chunks' copies now follow their class's archive labels
    /// (`archived`) or its keep labels again: `mfssetarchive`,
    /// `mfsclrarchive`, or files older than their class's archive delay.
    /// Lists only chunks whose flag changes.
    Archive {
        chunks: Vec<ChunkId>,
        archived: bool,
    },
    /// `mfsfilerepair` found no usable copy and takes the newest version
    /// any copy holds as the chunk's own (MooseFS's `SETVERSION`).
    SetVersion { chunk: ChunkId, version: u32 },
}
