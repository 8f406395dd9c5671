//! Writing chunk data.

use super::crc::{crc, crc_of_parts, encode_entries, EMPTY_BLOCK_CRC, ZERO_BLOCK};
use super::error::{ChunkFileError, Result};
use super::handle::ChunkFile;
use super::layout::{in_chunk, pieces, Piece, BLOCK_SIZE};

impl ChunkFile {
    /// Writes `data` at chunk offset `offset`, growing the chunk to the
    /// last block written; blocks skipped over read as zeros.
    ///
    /// Each block touched is handled in turn, as described in the module
    /// documentation: a partly overwritten block is checked against its
    /// stored CRC first (so damage is reported, never hidden under a fresh
    /// CRC), then its data is written, then its CRC. If an error stops a
    /// multi-block write, earlier blocks keep their new data.
    pub fn write(&mut self, offset: u32, data: &[u8]) -> Result<()> {
        if !in_chunk(offset, data.len()) {
            return Err(ChunkFileError::OutOfRange {
                offset: offset.into(),
                len: data.len() as u64,
            });
        }
        for piece in pieces(offset, data.len()) {
            self.write_piece(piece, &data[piece.buf_range()])?;
        }
        Ok(())
    }

    fn write_piece(&mut self, piece: Piece, bytes: &[u8]) -> Result<()> {
        let old_blocks = self.geometry.blocks;
        let block_crc = if bytes.len() == BLOCK_SIZE as usize {
            crc(bytes)
        } else {
            let base = if piece.block < old_blocks {
                self.checked_block(piece.block)?
            } else {
                ZERO_BLOCK.to_vec()
            };
            crc_of_parts(&base[..piece.start], bytes, &base[piece.end()..])
        };
        // Entries from the old end up to this block: the skipped blocks are
        // zeros now, so they get the empty-block CRC (their old entries may
        // be anything in a file MooseFS made).
        let first_entry = piece.block.min(old_blocks);
        let entries = encode_entries(
            (first_entry..piece.block)
                .map(|_| EMPTY_BLOCK_CRC)
                .chain([block_crc]),
        );
        if piece.block >= old_blocks {
            self.resize(piece.block + 1)?;
        }
        let at = self.geometry.block_offset(piece.block) + piece.start as u64;
        self.write_at(bytes, at)?;
        self.write_crcs(first_entry, &entries)
    }
}
