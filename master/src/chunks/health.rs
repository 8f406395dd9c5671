//! How a file's chunk stands, as MooseFS's file check sees it
//! (`chunk_fileloop_task`): gone from the table, without a usable copy
//! (and why), under its goal, or fine.

use std::collections::HashMap;

use super::{ChunkId, ChunkState, CopyState};

/// Why a chunk has no usable copy; the number is the `type` byte of
/// `MATOCL_MISSING_CHUNKS` (`mfscli` prints the names).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MissingKind {
    /// No chunkserver reports any copy ("NO COPY").
    NoCopy = 0,
    /// Copies exist but none is usable, e.g. all being deleted
    /// ("INVALID COPIES").
    Invalid = 1,
    /// Some copy holds another version than the table's ("WRONG VERSIONS").
    WrongVersion = 2,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChunkHealth {
    /// A file refers to a chunk the table does not have.
    Unknown,
    Missing(MissingKind),
    /// Fewer usable copies than its goal.
    Undergoal,
    Enough,
}

impl ChunkState {
    /// The health of every chunk in the table, by its usable copies
    /// ([`super::ChunkCopy::is_usable`]); copies on disks marked for
    /// removal count, as MooseFS's check counts all valid copies.
    pub fn health(&self) -> HashMap<ChunkId, ChunkHealth> {
        self.table()
            .iter()
            .map(|(chunk, record)| {
                let copies = self.copies(chunk);
                let usable = copies.iter().filter(|c| c.is_usable()).count();
                let health = if usable > 0 {
                    if usable < self.placement(record).goal() {
                        ChunkHealth::Undergoal
                    } else {
                        ChunkHealth::Enough
                    }
                } else if copies.is_empty() {
                    ChunkHealth::Missing(MissingKind::NoCopy)
                } else if copies.iter().any(|c| c.state == CopyState::WrongVersion) {
                    ChunkHealth::Missing(MissingKind::WrongVersion)
                } else {
                    ChunkHealth::Missing(MissingKind::Invalid)
                };
                (chunk, health)
            })
            .collect()
    }
}
