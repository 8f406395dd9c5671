//! Questions anyone may ask a chunkserver about one chunk (`ANTOCS_*`):
//! another chunkserver before replicating, the master on port 9420, or a
//! tool on port 9422. Answers are in [`crate::cstoan`].

use crate::messages;

messages! {
    /// `chunkid:64 version:32`
    GetChunkBlocks = 250 ANTOCS_GET_CHUNK_BLOCKS { chunkid: u64, version: u32 }

    /// `chunkid:64 version:32`
    GetChunkChecksum = 300 ANTOCS_GET_CHUNK_CHECKSUM { chunkid: u64, version: u32 }

    /// `chunkid:64 version:32`
    GetChunkChecksumTab = 302 ANTOCS_GET_CHUNK_CHECKSUM_TAB { chunkid: u64, version: u32 }
}
