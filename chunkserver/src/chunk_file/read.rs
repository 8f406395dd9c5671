//! Reading chunk data and checking a whole chunk.

use super::crc::{crc, EMPTY_BLOCK_CRC};
use super::error::{ChunkFileError, Result};
use super::handle::ChunkFile;
use super::header::Format;
use super::layout::{in_chunk, pieces, BLOCKS_PER_CHUNK, BLOCK_SIZE};

/// Outcome of [`ChunkFile::verify`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifyReport {
    /// Blocks stored in the file.
    pub blocks: u16,
    /// Blocks whose stored CRC does not match their data, ascending. For an
    /// `MFSC 1.1` file this also lists blocks past the end whose CRC entry
    /// is neither zero nor the empty-block CRC, as `mfschunktool` does.
    pub bad_blocks: Vec<u16>,
}

impl VerifyReport {
    /// True if no block is damaged.
    pub fn is_ok(&self) -> bool {
        self.bad_blocks.is_empty()
    }
}

impl ChunkFile {
    /// Fills `out` with the chunk bytes at `offset`. Bytes past the last
    /// stored block read as zeros, as a chunk is logically 64 MiB long.
    ///
    /// Every stored block the range touches is checked against its CRC
    /// first, whole, and `out` is left untouched unless all of them match.
    pub fn read_into(&self, offset: u32, out: &mut [u8]) -> Result<()> {
        if !in_chunk(offset, out.len()) {
            return Err(ChunkFileError::OutOfRange {
                offset: offset.into(),
                len: out.len() as u64,
            });
        }
        // Every block is checked before a byte lands in `out`, so a failed
        // read leaves it as it was.
        let blocks = pieces(offset, out.len())
            .map(|piece| match piece.block < self.geometry.blocks {
                true => self.checked_block(piece.block).map(Some),
                false => Ok(None),
            })
            .collect::<Result<Vec<_>>>()?;
        for (piece, block) in pieces(offset, out.len()).zip(blocks) {
            let target = &mut out[piece.buf_range()];
            match block {
                Some(bytes) => target.copy_from_slice(&bytes[piece.start..piece.end()]),
                None => target.fill(0),
            }
        }
        Ok(())
    }

    /// Reads `len` chunk bytes at `offset`; see [`ChunkFile::read_into`].
    pub fn read(&self, offset: u32, len: u32) -> Result<Vec<u8>> {
        let mut out = vec![0u8; len as usize];
        self.read_into(offset, &mut out)?;
        Ok(out)
    }

    /// Checks up to `count` stored blocks from `first` on against their
    /// CRCs, stopping at the first mismatch; returns how many were checked
    /// (fewer than `count`, down to 0, where the chunk ends). The scrubber
    /// goes through a chunk this way a slice at a time, so other users of
    /// the chunk are never held up for long.
    pub fn verify_blocks(&self, first: u16, count: u16) -> Result<u16> {
        let end = first.saturating_add(count).min(self.geometry.blocks);
        for block in first..end {
            self.checked_block(block)?;
        }
        Ok(end.saturating_sub(first))
    }

    /// Checks every stored block against its CRC and reports the bad ones.
    pub fn verify(&self) -> VerifyReport {
        let blocks = self.geometry.blocks;
        let mut bad_blocks: Vec<u16> = (0..blocks)
            .filter(|&block| {
                // A block that cannot be read is as bad as a damaged one.
                self.raw_block(block)
                    .map_or(true, |bytes| crc(&bytes) != self.stored_crc(block))
            })
            .collect();
        if self.format == Format::V1_1 {
            bad_blocks.extend((blocks..BLOCKS_PER_CHUNK).filter(|&block| {
                let entry = self.stored_crc(block);
                entry != 0 && entry != EMPTY_BLOCK_CRC
            }));
        }
        VerifyReport { blocks, bad_blocks }
    }
}

impl ChunkFile {
    /// The stored CRC table, all 1024 entries, as `ANTOCS_GET_CHUNK_CHECKSUM_TAB`
    /// reports it. Entries past the last block are whatever the file holds.
    pub fn stored_crcs(&self) -> Vec<u32> {
        (0..BLOCKS_PER_CHUNK)
            .map(|block| self.stored_crc(block))
            .collect()
    }
}

impl ChunkFile {
    /// Fills `out` with the bytes at `start` of block `block` after
    /// checking the whole stored block against its CRC, and returns the
    /// CRC of exactly those bytes (what a `READ_DATA` packet carries). A
    /// block past the end reads as zeros.
    ///
    /// A whole block is read straight into `out` and its stored CRC is the
    /// answer; part of a block goes through a block-sized buffer, since the
    /// stored CRC covers the whole block. After an error `out` holds
    /// unchecked bytes and must not be used.
    pub fn read_block_piece(&self, block: u16, start: usize, out: &mut [u8]) -> Result<u32> {
        if block >= BLOCKS_PER_CHUNK || start + out.len() > BLOCK_SIZE as usize {
            return Err(ChunkFileError::OutOfRange {
                offset: u64::from(block) * u64::from(BLOCK_SIZE) + start as u64,
                len: out.len() as u64,
            });
        }
        if block >= self.geometry.blocks {
            out.fill(0);
            return Ok(crc(out));
        }
        if out.len() == BLOCK_SIZE as usize {
            self.read_raw_block_into(block, out)?;
            return self.check_block(block, out);
        }
        let whole = self.checked_block(block)?;
        out.copy_from_slice(&whole[start..start + out.len()]);
        Ok(crc(out))
    }
}
