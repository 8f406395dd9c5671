//! Sizes and offsets inside a chunk file, and how a byte range of a chunk
//! splits into blocks.

/// Bytes in one block, the unit that carries one CRC (`MFSBLOCKSIZE`).
pub const BLOCK_SIZE: u32 = 0x1_0000;

/// Blocks in a full chunk (`MFSBLOCKSINCHUNK`).
pub const BLOCKS_PER_CHUNK: u16 = 1024;

/// Bytes in a full chunk, 64 MiB (`MFSCHUNKSIZE`).
pub const CHUNK_SIZE: u32 = BLOCK_SIZE * BLOCKS_PER_CHUNK as u32;

/// Size of the CRC table that follows the header: one 32-bit CRC per block.
pub const CRC_TABLE_SIZE: u32 = 4 * BLOCKS_PER_CHUNK as u32;

/// Header size of every chunk file MooseFS 1.6 and later create.
pub const HEADER_SIZE: u32 = 4096;

/// Header size of chunk files made by MooseFS before 1.6; MooseFS 3.0.117
/// still opens them, and so do we, but we never create them.
pub const LEGACY_HEADER_SIZE: u32 = 1024;

/// Where things are in one particular chunk file.
///
/// A chunk file stores no length, only whole blocks: its size is
/// `header_size + CRC_TABLE_SIZE + blocks * BLOCK_SIZE`, and the block count
/// is read back from the size. The header size is recovered the way MooseFS
/// does it, as `(size - CRC_TABLE_SIZE) mod BLOCK_SIZE`, which works because
/// both header sizes are smaller than a block.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Geometry {
    /// 4096, or 1024 for a legacy file.
    pub header_size: u32,
    /// Blocks stored in the file, `0..=BLOCKS_PER_CHUNK`.
    pub blocks: u16,
}

impl Geometry {
    /// The geometry of a file of `len` bytes, or `None` if no chunk file
    /// has that size.
    pub fn from_file_len(len: u64) -> Option<Self> {
        let after_table = len.checked_sub(u64::from(CRC_TABLE_SIZE))?;
        let header_size = u32::try_from(after_table % u64::from(BLOCK_SIZE)).ok()?;
        if header_size != HEADER_SIZE && header_size != LEGACY_HEADER_SIZE {
            return None;
        }
        let blocks = (after_table - u64::from(header_size)) / u64::from(BLOCK_SIZE);
        let blocks = u16::try_from(blocks)
            .ok()
            .filter(|&b| b <= BLOCKS_PER_CHUNK)?;
        Some(Self {
            header_size,
            blocks,
        })
    }

    /// The same file holding `blocks` blocks.
    pub fn with_blocks(self, blocks: u16) -> Self {
        Self { blocks, ..self }
    }

    /// File size for this geometry.
    pub fn file_len(self) -> u64 {
        self.block_offset(self.blocks)
    }

    /// File offset of the CRC of `block`.
    pub fn crc_offset(self, block: u16) -> u64 {
        u64::from(self.header_size) + 4 * u64::from(block)
    }

    /// File offset of the first byte of `block`.
    pub fn block_offset(self, block: u16) -> u64 {
        u64::from(self.header_size)
            + u64::from(CRC_TABLE_SIZE)
            + u64::from(block) * u64::from(BLOCK_SIZE)
    }
}

/// The part of a chunk byte range that falls into one block.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Piece {
    /// Block number.
    pub block: u16,
    /// Offset of the piece inside the block.
    pub start: usize,
    /// Offset of the piece inside the caller's buffer.
    pub buf_start: usize,
    /// Length of the piece.
    pub len: usize,
}

impl Piece {
    /// Offset just past the piece inside the block.
    pub fn end(&self) -> usize {
        self.start + self.len
    }

    /// The piece's bytes inside the caller's buffer.
    pub fn buf_range(&self) -> std::ops::Range<usize> {
        self.buf_start..self.buf_start + self.len
    }
}

/// True if `len` bytes at `offset` lie inside one chunk.
pub fn in_chunk(offset: u32, len: usize) -> bool {
    u64::from(offset) + len as u64 <= u64::from(CHUNK_SIZE)
}

/// Splits `len` bytes at chunk offset `offset` into per-block pieces.
/// The caller must have checked the range with [`in_chunk`].
pub fn pieces(offset: u32, len: usize) -> impl Iterator<Item = Piece> {
    let block_size = BLOCK_SIZE as usize;
    let mut position = offset as usize;
    let end = position + len;
    std::iter::from_fn(move || {
        if position >= end {
            return None;
        }
        let start = position % block_size;
        let piece_len = (block_size - start).min(end - position);
        let piece = Piece {
            // Lossless: the range lies inside the chunk, so the block
            // number is below BLOCKS_PER_CHUNK.
            block: (position / block_size) as u16,
            start,
            buf_start: position - offset as usize,
            len: piece_len,
        };
        position += piece_len;
        Some(piece)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_file_sizes() {
        let empty = Geometry::from_file_len(8192).unwrap();
        assert_eq!(
            empty,
            Geometry {
                header_size: 4096,
                blocks: 0
            }
        );
        let full = Geometry::from_file_len(8192 + 64 * 1024 * 1024).unwrap();
        assert_eq!(full.blocks, 1024);
        assert_eq!(full.file_len(), 8192 + 64 * 1024 * 1024);
        assert_eq!(full.crc_offset(1), 4100);
        assert_eq!(full.block_offset(2), 8192 + 2 * 65536);
    }

    #[test]
    fn legacy_file_sizes() {
        let g = Geometry::from_file_len(1024 + 4096 + 3 * 65536).unwrap();
        assert_eq!(
            g,
            Geometry {
                header_size: 1024,
                blocks: 3
            }
        );
        assert_eq!(g.block_offset(0), 5120);
    }

    #[test]
    fn impossible_sizes() {
        for len in [0, 4095, 8191, 8193, 8192 + 65535, 8192 + 1025 * 65536] {
            assert_eq!(Geometry::from_file_len(len), None, "len {len}");
        }
    }

    #[test]
    fn pieces_split_at_block_edges() {
        let got: Vec<_> = pieces(65530, 65536 + 10).collect();
        assert_eq!(
            got,
            vec![
                Piece {
                    block: 0,
                    start: 65530,
                    buf_start: 0,
                    len: 6
                },
                Piece {
                    block: 1,
                    start: 0,
                    buf_start: 6,
                    len: 65536
                },
                Piece {
                    block: 2,
                    start: 0,
                    buf_start: 65542,
                    len: 4
                },
            ]
        );
        assert_eq!(pieces(100, 0).count(), 0);
    }

    #[test]
    fn range_limits() {
        assert!(in_chunk(CHUNK_SIZE, 0));
        assert!(in_chunk(CHUNK_SIZE - 1, 1));
        assert!(!in_chunk(CHUNK_SIZE - 1, 2));
    }
}
