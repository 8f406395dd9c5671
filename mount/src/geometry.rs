//! How a byte range of a file maps onto MooseFS chunks and blocks.
//!
//! A file is a row of 64 MiB chunks, each a row of 1024 blocks of 64 KiB; a
//! chunkserver checksums every block, so reads and writes are cut where the
//! chunk and block boundaries fall.

/// Bytes in one block, the unit a chunkserver checksums.
pub const BLOCK_SIZE: u64 = 0x1_0000;
/// Bytes in one chunk.
pub const CHUNK_SIZE: u64 = 0x400_0000;
/// Blocks in one chunk.
pub const BLOCKS_PER_CHUNK: u64 = CHUNK_SIZE / BLOCK_SIZE;

/// The part of a file range that falls inside one chunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChunkPiece {
    /// Which chunk of the file (`offset / CHUNK_SIZE`).
    pub index: u32,
    /// Where the piece starts inside the chunk.
    pub offset: u32,
    pub len: u32,
    /// Where the piece starts inside the caller's range.
    pub pos: usize,
}

/// The part of a chunk range that falls inside one block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlockPiece {
    /// Which block of the chunk.
    pub block: u16,
    /// Where the piece starts inside the block.
    pub offset: u16,
    pub len: u32,
    /// Where the piece starts inside the caller's range.
    pub pos: usize,
}

/// Cuts `len` bytes at file offset `offset` at every chunk boundary.
pub fn chunk_pieces(offset: u64, len: u64) -> impl Iterator<Item = ChunkPiece> {
    let end = offset.saturating_add(len);
    let mut at = offset;
    std::iter::from_fn(move || {
        if at >= end {
            return None;
        }
        let inside = at % CHUNK_SIZE;
        let take = (CHUNK_SIZE - inside).min(end - at);
        let piece = ChunkPiece {
            index: (at / CHUNK_SIZE) as u32,
            offset: inside as u32,
            len: take as u32,
            pos: (at - offset) as usize,
        };
        at += take;
        Some(piece)
    })
}

/// Cuts `len` bytes at chunk offset `offset` at every block boundary.
pub fn block_pieces(offset: u32, len: u32) -> impl Iterator<Item = BlockPiece> {
    let (offset, end) = (u64::from(offset), u64::from(offset) + u64::from(len));
    let mut at = offset;
    std::iter::from_fn(move || {
        if at >= end {
            return None;
        }
        let inside = at % BLOCK_SIZE;
        let take = (BLOCK_SIZE - inside).min(end - at);
        let piece = BlockPiece {
            block: (at / BLOCK_SIZE) as u16,
            offset: inside as u16,
            len: take as u32,
            pos: (at - offset) as usize,
        };
        at += take;
        Some(piece)
    })
}

/// Whether a range inside one chunk lies within the chunk.
pub fn fits_in_chunk(offset: u32, len: u32) -> bool {
    u64::from(offset) + u64::from(len) <= CHUNK_SIZE
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_range_across_a_chunk_boundary_has_two_pieces() {
        let pieces: Vec<_> = chunk_pieces(CHUNK_SIZE - 10, 30).collect();
        assert_eq!(
            pieces,
            vec![
                ChunkPiece {
                    index: 0,
                    offset: (CHUNK_SIZE - 10) as u32,
                    len: 10,
                    pos: 0
                },
                ChunkPiece {
                    index: 1,
                    offset: 0,
                    len: 20,
                    pos: 10
                },
            ]
        );
    }

    #[test]
    fn the_last_block_of_a_chunk_is_numbered_1023() {
        let last: Vec<_> = block_pieces((CHUNK_SIZE - 1) as u32, 1).collect();
        assert_eq!(
            last,
            vec![BlockPiece {
                block: 1023,
                offset: 0xFFFF,
                len: 1,
                pos: 0
            }]
        );
        assert!(fits_in_chunk((CHUNK_SIZE - 1) as u32, 1));
        assert!(!fits_in_chunk((CHUNK_SIZE - 1) as u32, 2));
    }

    #[test]
    fn an_empty_range_has_no_pieces() {
        assert_eq!(chunk_pieces(5, 0).count(), 0);
        assert_eq!(block_pieces(5, 0).count(), 0);
    }

    proptest! {
        #[test]
        fn chunk_pieces_tile_the_range(offset in 0u64..(1 << 40), len in 0u64..(3 * CHUNK_SIZE)) {
            let mut next = offset;
            for piece in chunk_pieces(offset, len) {
                let start = u64::from(piece.index) * CHUNK_SIZE + u64::from(piece.offset);
                prop_assert_eq!(start, next);
                prop_assert_eq!(piece.pos as u64, start - offset);
                prop_assert!(piece.len > 0);
                prop_assert!(fits_in_chunk(piece.offset, piece.len));
                next = start + u64::from(piece.len);
            }
            prop_assert_eq!(next, offset + len);
        }

        #[test]
        fn block_pieces_tile_the_range(offset in 0u32..(CHUNK_SIZE as u32), len in 0u32..(4 * BLOCK_SIZE as u32)) {
            let len = len.min(CHUNK_SIZE as u32 - offset);
            let mut next = u64::from(offset);
            for piece in block_pieces(offset, len) {
                let start = u64::from(piece.block) * BLOCK_SIZE + u64::from(piece.offset);
                prop_assert_eq!(start, next);
                prop_assert_eq!(piece.pos as u64, start - u64::from(offset));
                prop_assert!(u64::from(piece.offset) + u64::from(piece.len) <= BLOCK_SIZE);
                prop_assert!(u64::from(piece.block) < BLOCKS_PER_CHUNK);
                next = start + u64::from(piece.len);
            }
            prop_assert_eq!(next, u64::from(offset) + u64::from(len));
        }
    }
}
