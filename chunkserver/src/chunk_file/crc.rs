//! Block checksums and the CRC table.
//!
//! MooseFS uses the standard CRC-32 (reflected polynomial `0xEDB88320`,
//! initial value and final xor `0xFFFFFFFF`), the same one zlib and
//! `crc32fast` compute, always over a whole 64 KiB block. The table after
//! the header holds one such CRC per block as a big-endian `u32`.

use super::layout::{BLOCKS_PER_CHUNK, BLOCK_SIZE, CRC_TABLE_SIZE};

/// CRC of a block of 64 KiB zero bytes, MooseFS's `MFSCRCEMPTY`: the CRC of
/// every block that exists but was never written, and the value we store
/// for every block past the end of a chunk.
pub const EMPTY_BLOCK_CRC: u32 = 0xD797_8EEB;

/// A whole block of zeros, the contents of any block never written.
pub static ZERO_BLOCK: [u8; BLOCK_SIZE as usize] = [0; BLOCK_SIZE as usize];

/// CRC of a run of bytes.
pub fn crc(bytes: &[u8]) -> u32 {
    crc32fast::hash(bytes)
}

/// CRC of a whole block made of `before`, `middle` and `after` in that
/// order, without copying them together.
pub fn crc_of_parts(before: &[u8], middle: &[u8], after: &[u8]) -> u32 {
    let mut hasher = crc32fast::Hasher::new();
    hasher.update(before);
    hasher.update(middle);
    hasher.update(after);
    hasher.finalize()
}

/// Entry `block` of an encoded CRC table.
pub fn table_entry(table: &[u8], block: u16) -> u32 {
    let at = 4 * usize::from(block);
    let mut entry = [0u8; 4];
    entry.copy_from_slice(&table[at..at + 4]);
    u32::from_be_bytes(entry)
}

/// Encodes consecutive CRC table entries.
pub fn encode_entries(entries: impl IntoIterator<Item = u32>) -> Vec<u8> {
    entries.into_iter().flat_map(u32::to_be_bytes).collect()
}

/// A table for a chunk with no blocks: every entry the empty-block CRC.
pub fn empty_table() -> Vec<u8> {
    let table = encode_entries((0..BLOCKS_PER_CHUNK).map(|_| EMPTY_BLOCK_CRC));
    debug_assert_eq!(table.len(), CRC_TABLE_SIZE as usize);
    table
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_block_crc_is_crc_of_zero_block() {
        assert_eq!(crc(&ZERO_BLOCK), EMPTY_BLOCK_CRC);
    }

    #[test]
    fn standard_crc32_check_value() {
        // The catalogued check value of CRC-32/ISO-HDLC, the variant
        // MooseFS's table-driven code computes.
        assert_eq!(crc(b"123456789"), 0xCBF4_3926);
    }

    #[test]
    fn parts_equal_whole() {
        let data: Vec<u8> = (0..300u32).map(|i| (i * 7) as u8).collect();
        assert_eq!(
            crc_of_parts(&data[..10], &data[10..250], &data[250..]),
            crc(&data)
        );
    }

    #[test]
    fn table_entries_are_big_endian() {
        let table = encode_entries([0x0102_0304, EMPTY_BLOCK_CRC]);
        assert_eq!(table, [1, 2, 3, 4, 0xD7, 0x97, 0x8E, 0xEB]);
        assert_eq!(table_entry(&table, 1), EMPTY_BLOCK_CRC);
        assert_eq!(empty_table().len(), 4096);
    }
}
