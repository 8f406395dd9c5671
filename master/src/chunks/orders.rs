//! The orders the master sends chunkservers about chunks (`MATOCS_*`).

use std::net::SocketAddrV4;

use mooseng_wire::matocs::{self, ReplicateSource, SimpleSource};
use mooseng_wire::message::Message;
use mooseng_wire::Frame;

use super::ChunkId;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// Make an empty chunk.
    Create {
        chunk: ChunkId,
        version: u32,
    },
    /// Rename a copy from `old` to `version` (the step before a write).
    SetVersion {
        chunk: ChunkId,
        version: u32,
        old: u32,
    },
    Delete {
        chunk: ChunkId,
        version: u32,
    },
    /// Cut a copy to `length` bytes and rename it from `old` to `version`
    /// in one step, so a copy that missed the cut can never pass for
    /// current.
    Truncate {
        chunk: ChunkId,
        length: u32,
        version: u32,
        old: u32,
    },
    /// Make `chunk` in `version` as a copy of `from` in `from_version` on
    /// the same chunkserver: the private copy a write to a chunk shared
    /// with a snapshot goes to.
    Duplicate {
        chunk: ChunkId,
        version: u32,
        from: ChunkId,
        from_version: u32,
    },
    /// As `Duplicate`, the copy cut to `length` bytes: a truncation of a
    /// shared chunk.
    Duptrunc {
        chunk: ChunkId,
        version: u32,
        from: ChunkId,
        from_version: u32,
        length: u32,
    },
    /// Fetch the chunk from the chunkserver at `from`.
    Replicate {
        chunk: ChunkId,
        version: u32,
        from: SocketAddrV4,
    },
}

impl Order {
    pub fn to_frame(self) -> Frame {
        match self {
            Order::Create { chunk, version } => matocs::Create {
                chunkid: chunk,
                version,
            }
            .to_frame(),
            Order::SetVersion {
                chunk,
                version,
                old,
            } => matocs::SetVersion {
                chunkid: chunk,
                version,
                oldversion: old,
            }
            .to_frame(),
            Order::Delete { chunk, version } => matocs::Delete {
                chunkid: chunk,
                version,
            }
            .to_frame(),
            Order::Truncate {
                chunk,
                length,
                version,
                old,
            } => matocs::Truncate {
                chunkid: chunk,
                length,
                version,
                oldversion: old,
            }
            .to_frame(),
            Order::Duplicate {
                chunk,
                version,
                from,
                from_version,
            } => matocs::Duplicate {
                chunkid: chunk,
                version,
                oldchunkid: from,
                oldversion: from_version,
            }
            .to_frame(),
            Order::Duptrunc {
                chunk,
                version,
                from,
                from_version,
                length,
            } => matocs::Duptrunc {
                chunkid: chunk,
                version,
                oldchunkid: from,
                oldversion: from_version,
                length,
            }
            .to_frame(),
            Order::Replicate {
                chunk,
                version,
                from,
            } => matocs::Replicate {
                chunkid: chunk,
                version,
                source: ReplicateSource::Simple(SimpleSource {
                    ip: *from.ip(),
                    port: from.port(),
                }),
            }
            .to_frame(),
        }
    }
}
