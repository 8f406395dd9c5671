//! A chunkserver's answers to [`crate::antocs`] questions (`CSTOAN_*`),
//! sent on whichever connection asked: port 9422, or to the master on 9420.
//!
//! The checksum answers carry either the data or a status after the chunk
//! id and version; like the master, we decide by length (one byte left is a
//! status), which is what [`Reply`] does.

use bytes::BytesMut;

use crate::codec::{Ctx, Parsed, Wire};
use crate::messages;
use crate::types::{Reply, Status};

/// Blocks of 64 KiB in a chunk, hence CRCs in a checksum table.
pub const BLOCKS_IN_CHUNK: usize = 1024;

/// The CRC-32 of every block of a chunk: `1024*[ checksum:32 ]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChecksumTable(pub Box<[u32; BLOCKS_IN_CHUNK]>);

impl Default for ChecksumTable {
    fn default() -> Self {
        ChecksumTable(Box::new([0; BLOCKS_IN_CHUNK]))
    }
}

impl Wire for ChecksumTable {
    fn decode(mut input: &[u8], ctx: Ctx) -> Parsed<'_, Self> {
        let mut table = ChecksumTable::default();
        for crc in table.0.iter_mut() {
            let (rest, value) = u32::decode(input, ctx)?;
            *crc = value;
            input = rest;
        }
        Ok((input, table))
    }

    fn encode(&self, out: &mut BytesMut) {
        for crc in self.0.iter() {
            crc.encode(out);
        }
    }
}

messages! {
    /// `chunkid:64 version:32 blocks:16 status:8` — blocks is 0 unless status is OK.
    ChunkBlocks = 251 CSTOAN_CHUNK_BLOCKS {
        chunkid: u64,
        version: u32,
        blocks: u16,
        status: Status,
    }

    /// `chunkid:64 version:32 checksum:32`
    /// `chunkid:64 version:32 status:8`
    ChunkChecksum = 301 CSTOAN_CHUNK_CHECKSUM {
        chunkid: u64,
        version: u32,
        checksum: Reply<u32>,
    }

    /// `chunkid:64 version:32 1024*[ checksum:32 ]`
    /// `chunkid:64 version:32 status:8`
    ChunkChecksumTab = 303 CSTOAN_CHUNK_CHECKSUM_TAB {
        chunkid: u64,
        version: u32,
        checksums: Reply<ChecksumTable>,
    }
}

#[cfg(test)]
mod arbitrary {
    use proptest::prelude::*;

    use super::ChecksumTable;

    impl Arbitrary for ChecksumTable {
        type Parameters = ();
        type Strategy = BoxedStrategy<Self>;
        fn arbitrary_with(_: ()) -> Self::Strategy {
            // A seed and a stride give a varied table without generating
            // a thousand independent values per case.
            (any::<u32>(), any::<u32>())
                .prop_map(|(seed, stride)| {
                    let mut table = ChecksumTable::default();
                    for (i, crc) in table.0.iter_mut().enumerate() {
                        *crc = seed.wrapping_add(stride.wrapping_mul(i as u32));
                    }
                    table
                })
                .boxed()
        }
    }
}
