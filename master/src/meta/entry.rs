//! What the log holds and what a snapshot holds.

use mooseng_wire::Status;
use serde::{Deserialize, Serialize};

use crate::chunks::{ChunkEntry, ChunkTable};
use crate::namespace::{Entry, Namespace, Outcome};

/// One change to the persistent metadata. Namespace and chunk-table
/// changes share one log so that replay sees them in the order they
/// happened. New variants go at the end (see `format`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum LogEntry {
    Namespace(Entry),
    Chunk(ChunkEntry),
}

impl LogEntry {
    /// Applies the entry to the state it concerns. A namespace entry gives
    /// the client's answer; a chunk entry gives `None`, as the chunk
    /// service applied it to its own table before journaling it.
    pub fn apply(
        &self,
        namespace: &mut Namespace,
        chunks: &mut ChunkTable,
    ) -> Option<Result<Outcome, Status>> {
        match self {
            LogEntry::Namespace(entry) => Some(namespace.apply(entry)),
            LogEntry::Chunk(entry) => {
                if let Err(status) = chunks.apply(entry) {
                    // The service journals only entries that applied, so
                    // the log's copy of the table has drifted from it.
                    tracing::error!(?entry, ?status, "a journaled chunk entry failed to apply");
                }
                None
            }
        }
    }
}

/// Everything that survives a restart, as a snapshot stores it. Chunk
/// locations are not here: chunkservers report them again when they
/// register.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Image {
    /// The cluster's metadata id, drawn once when the directory is
    /// initialised; mounts and chunkservers use it to notice a master
    /// that holds different metadata.
    pub meta_id: u64,
    pub namespace: Namespace,
    pub chunks: ChunkTable,
}

/// An [`Image`] borrowed from the live state: it encodes to the same
/// bytes, so a snapshot needs no copy of the tree.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct ImageRef<'a> {
    pub meta_id: u64,
    pub namespace: &'a Namespace,
    pub chunks: &'a ChunkTable,
}

impl Image {
    pub fn borrow(&self) -> ImageRef<'_> {
        ImageRef {
            meta_id: self.meta_id,
            namespace: &self.namespace,
            chunks: &self.chunks,
        }
    }

    /// A root directory created at `ts` and no chunks.
    pub fn new(meta_id: u64, ts: u32) -> Self {
        Image {
            meta_id,
            namespace: Namespace::new(ts),
            chunks: ChunkTable::default(),
        }
    }

    pub fn apply(&mut self, entry: &LogEntry) -> Option<Result<Outcome, Status>> {
        entry.apply(&mut self.namespace, &mut self.chunks)
    }
}
