//! A chunkserver's answers to [`crate::antocs`] questions (`CSTOAN_*`),
//! sent on whichever connection asked: port 9422, or to the master on 9420.
//!
//! The checksum answers carry either the data or a status after the chunk
//! id and version; like the master, we decide by length (one byte left is a
//! status), which is what [`Reply`] does.

use bytes::BytesMut;

use crate::codec::{malformed, Ctx, Parsed, Wire};
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
        // Check first, so a short packet cannot make us allocate 4 KiB.
        if input.len() < 4 * BLOCKS_IN_CHUNK {
            return Err(malformed(input));
        }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::Ctx;
    use crate::message::decode_payload;
    use crate::testing::decode_exact;

    /// `chunkid:64 version:32` of chunk 0x99 in version 4.
    const CHUNK: [u8; 12] = [0, 0, 0, 0, 0, 0, 0, 0x99, 0, 0, 0, 4];

    #[test]
    fn checksum_is_a_crc_or_a_status() {
        let mut ok = CHUNK.to_vec();
        ok.extend_from_slice(&[0x12, 0x34, 0x56, 0x78]);
        let answer = decode_exact::<ChunkChecksum>(&ok);
        assert_eq!((answer.chunkid, answer.version), (0x99, 4));
        assert_eq!(answer.checksum, Reply::Ok(0x1234_5678));

        let mut failed = CHUNK.to_vec();
        failed.push(Status::NOCHUNK.0);
        let answer = decode_exact::<ChunkChecksum>(&failed);
        assert_eq!(answer.checksum, Reply::Status(Status::NOCHUNK));

        failed.push(0);
        assert!(decode_payload::<ChunkChecksum>(&failed, Ctx::default()).is_err());
    }

    #[test]
    fn checksum_table_is_1024_crcs_or_a_status() {
        let mut ok = CHUNK.to_vec();
        for block in 0..BLOCKS_IN_CHUNK as u32 {
            ok.extend_from_slice(&block.to_be_bytes());
        }
        assert_eq!(ok.len(), 4108);
        let answer = decode_exact::<ChunkChecksumTab>(&ok);
        let Reply::Ok(table) = answer.checksums else {
            panic!("not a table");
        };
        assert_eq!((table.0[0], table.0[1023]), (0, 1023));

        let mut failed = CHUNK.to_vec();
        failed.push(Status::WRONGVERSION.0);
        let answer = decode_exact::<ChunkChecksumTab>(&failed);
        assert_eq!(answer.checksums, Reply::Status(Status::WRONGVERSION));

        ok.truncate(4104);
        assert!(decode_payload::<ChunkChecksumTab>(&ok, Ctx::default()).is_err());
    }

    #[test]
    fn chunk_blocks_has_a_fixed_layout() {
        let mut bytes = CHUNK.to_vec();
        bytes.extend_from_slice(&[0x04, 0x00, 0]); // 1024 blocks, status OK
        let answer = decode_exact::<ChunkBlocks>(&bytes);
        assert_eq!((answer.blocks, answer.status), (1024, Status::OK));
    }
}
