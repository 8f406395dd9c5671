//! Behaviour of whole chunk files on disk.

use std::fs;
use std::os::unix::fs::FileExt;

use proptest::prelude::*;
use tempfile::TempDir;

use super::*;

const ID: u64 = 0x0000_0000_0012_34AB;

fn new_chunk(dir: &TempDir) -> ChunkFile {
    ChunkFile::create(ChunkPath::placed(dir.path(), ChunkName::new(ID, 1))).unwrap()
}

fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

fn flip_byte(chunk: &ChunkFile, file_offset: u64) {
    let file = fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(chunk.path().path())
        .unwrap();
    let mut byte = [0u8];
    file.read_exact_at(&mut byte, file_offset).unwrap();
    file.write_all_at(&[byte[0] ^ 0x40], file_offset).unwrap();
}

fn stored_entry(chunk: &ChunkFile, block: u16) -> u32 {
    let bytes = fs::read(chunk.path().path()).unwrap();
    let at = chunk.geometry().crc_offset(block) as usize;
    u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap())
}

#[test]
fn created_file_is_header_and_empty_table() {
    let dir = TempDir::new().unwrap();
    let chunk = new_chunk(&dir);
    let path = dir.path().join("AB/chunk_00000000001234AB_00000001.mfs");
    assert_eq!(chunk.path().path(), path);
    let bytes = fs::read(&path).unwrap();
    assert_eq!(bytes.len(), 8192);
    assert_eq!(&bytes[..8], b"MFSC 1.0");
    assert_eq!(&bytes[8..16], &ID.to_be_bytes());
    assert_eq!(&bytes[16..20], &1u32.to_be_bytes());
    assert!(bytes[20..4096].iter().all(|&b| b == 0));
    for entry in bytes[4096..].chunks(4) {
        assert_eq!(entry, [0xD7, 0x97, 0x8E, 0xEB]);
    }
    assert!(ChunkFile::create(chunk.path().clone()).is_err());
}

#[test]
fn full_block_write_stores_data_and_crc() {
    let dir = TempDir::new().unwrap();
    let mut chunk = new_chunk(&dir);
    let data = pattern(65536, 1);
    chunk.write(65536, &data).unwrap();
    assert_eq!(chunk.blocks(), 2);
    let bytes = fs::read(chunk.path().path()).unwrap();
    assert_eq!(bytes.len(), 8192 + 2 * 65536);
    assert_eq!(&bytes[8192 + 65536..], &data[..]);
    assert_eq!(stored_entry(&chunk, 0), EMPTY_BLOCK_CRC);
    assert_eq!(stored_entry(&chunk, 1), crc32fast::hash(&data));
    assert_eq!(chunk.read(65536, 65536).unwrap(), data);
    assert_eq!(chunk.read(0, 10).unwrap(), vec![0; 10]);
}

#[test]
fn partial_write_pads_block_and_crcs_whole_block() {
    let dir = TempDir::new().unwrap();
    let mut chunk = new_chunk(&dir);
    chunk.write(3 * 65536 + 100, b"hello").unwrap();
    assert_eq!(chunk.blocks(), 4);
    let mut block = vec![0u8; 65536];
    block[100..105].copy_from_slice(b"hello");
    assert_eq!(stored_entry(&chunk, 3), crc32fast::hash(&block));
    assert_eq!(chunk.read(3 * 65536, 65536).unwrap(), block);
    chunk.write(3 * 65536 + 102, b"LLO!").unwrap();
    block[102..106].copy_from_slice(b"LLO!");
    assert_eq!(chunk.read(3 * 65536, 65536).unwrap(), block);
    assert!(chunk.verify().is_ok());
}

#[test]
fn read_past_stored_blocks_is_zeros_and_range_is_bounded() {
    let dir = TempDir::new().unwrap();
    let mut chunk = new_chunk(&dir);
    chunk.write(0, &[7; 10]).unwrap();
    let tail = chunk.read(CHUNK_SIZE - 4, 4).unwrap();
    assert_eq!(tail, vec![0; 4]);
    assert!(matches!(
        chunk.read(CHUNK_SIZE - 4, 5),
        Err(ChunkFileError::OutOfRange { .. })
    ));
    assert!(matches!(
        chunk.write(CHUNK_SIZE, &[1]),
        Err(ChunkFileError::OutOfRange { .. })
    ));
}

#[test]
fn damaged_block_fails_read_partial_write_and_verify() {
    let dir = TempDir::new().unwrap();
    let mut chunk = new_chunk(&dir);
    chunk.write(0, &pattern(3 * 65536, 9)).unwrap();
    flip_byte(&chunk, chunk.geometry().block_offset(1) + 500);
    match chunk.read(65536 + 1000, 10) {
        Err(ChunkFileError::Crc {
            block,
            stored,
            computed,
            ..
        }) => {
            assert_eq!(block, 1);
            assert_ne!(stored, computed);
        }
        other => panic!("expected a CRC error, got {other:?}"),
    }
    let mut out = [0xAAu8; 8];
    assert!(chunk.read_into(65536 - 4, &mut out).is_err());
    assert_eq!(out, [0xAA; 8], "nothing is returned from a failed read");
    assert!(chunk.read(0, 65536).is_ok());
    assert!(matches!(
        chunk.write(65536 + 7, b"x"),
        Err(ChunkFileError::Crc { block: 1, .. })
    ));
    assert_eq!(chunk.verify().bad_blocks, vec![1]);
    // A whole-block overwrite needs no old data and repairs the block.
    chunk.write(65536, &pattern(65536, 3)).unwrap();
    assert!(chunk.verify().is_ok());
}

#[test]
fn damaged_crc_entry_is_reported() {
    let dir = TempDir::new().unwrap();
    let mut chunk = new_chunk(&dir);
    chunk.write(0, &pattern(2 * 65536, 4)).unwrap();
    flip_byte(&chunk, chunk.geometry().crc_offset(0) + 2);
    assert_eq!(chunk.verify().bad_blocks, vec![0]);
}

#[test]
fn truncate_shrinks_zeroes_tail_and_recomputes_crc() {
    let dir = TempDir::new().unwrap();
    let mut chunk = new_chunk(&dir);
    let data = pattern(3 * 65536, 5);
    chunk.write(0, &data).unwrap();
    chunk.truncate(65536 + 1000).unwrap();
    assert_eq!(chunk.blocks(), 2);
    assert_eq!(
        fs::metadata(chunk.path().path()).unwrap().len(),
        8192 + 2 * 65536
    );
    let mut expected = data[..65536 + 1000].to_vec();
    expected.resize(2 * 65536, 0);
    assert_eq!(chunk.read(0, 2 * 65536).unwrap(), expected);
    assert_eq!(stored_entry(&chunk, 1), crc32fast::hash(&expected[65536..]));
    assert_eq!(stored_entry(&chunk, 2), EMPTY_BLOCK_CRC);
    assert!(chunk.verify().is_ok());

    chunk.truncate(4 * 65536).unwrap();
    assert_eq!(chunk.blocks(), 4);
    assert_eq!(
        chunk.read(2 * 65536, 2 * 65536).unwrap(),
        vec![0; 2 * 65536]
    );
    assert!(chunk.verify().is_ok());

    chunk.truncate(0).unwrap();
    assert_eq!(chunk.blocks(), 0);
    assert_eq!(fs::metadata(chunk.path().path()).unwrap().len(), 8192);
    assert_eq!(stored_entry(&chunk, 1), EMPTY_BLOCK_CRC);
}

#[test]
fn truncate_refuses_to_recrc_a_damaged_block() {
    let dir = TempDir::new().unwrap();
    let mut chunk = new_chunk(&dir);
    chunk.write(0, &pattern(2 * 65536, 6)).unwrap();
    flip_byte(&chunk, chunk.geometry().block_offset(1) + 10);
    assert!(matches!(
        chunk.truncate(65536 + 100),
        Err(ChunkFileError::Crc { block: 1, .. })
    ));
    assert_eq!(chunk.verify().bad_blocks, vec![1]);
}

#[test]
fn set_version_renames_and_rewrites_header() {
    let dir = TempDir::new().unwrap();
    let mut chunk = new_chunk(&dir);
    chunk.write(0, b"versioned").unwrap();
    let old_path = chunk.path().path();
    chunk.set_version(0x0102_0304).unwrap();
    chunk.sync().unwrap();
    assert!(!old_path.exists());
    let new_path = chunk.path().path();
    assert!(new_path.ends_with("AB/chunk_00000000001234AB_01020304.mfs"));
    assert_eq!(&fs::read(&new_path).unwrap()[16..20], &[1, 2, 3, 4]);
    drop(chunk);
    let reopened = ChunkFile::open(ChunkPath::parse(&new_path).unwrap()).unwrap();
    assert_eq!(reopened.read(0, 9).unwrap(), b"versioned");
}

#[test]
fn open_checks_identity_size_and_signature() {
    let dir = TempDir::new().unwrap();
    let chunk = new_chunk(&dir);
    let path = chunk.path().path();
    drop(chunk);
    let other = ChunkPath::placed(dir.path(), ChunkName::new(ID, 2));
    fs::rename(&path, other.path()).unwrap();
    match ChunkFile::open(other.clone()) {
        Err(ChunkFileError::WrongIdentity {
            expected, found, ..
        }) => {
            assert_eq!(expected, ChunkName::new(ID, 2));
            assert_eq!(found, ChunkName::new(ID, 1));
        }
        other => panic!("expected WrongIdentity, got {other:?}"),
    }
    fs::rename(other.path(), &path).unwrap();
    let good = ChunkPath::parse(&path).unwrap();

    let file = fs::OpenOptions::new().write(true).open(&path).unwrap();
    file.write_all_at(b"MFSC 2.0", 0).unwrap();
    assert!(matches!(
        ChunkFile::open(good.clone()),
        Err(ChunkFileError::BadHeader { .. })
    ));
    file.write_all_at(b"MFSC 1.0", 0).unwrap();
    file.set_len(8192 + 100).unwrap();
    assert!(matches!(
        ChunkFile::open(good),
        Err(ChunkFileError::BadSize { size: 8292, .. })
    ));
}

#[test]
fn legacy_1024_byte_header_is_read() {
    let dir = TempDir::new().unwrap();
    let path = ChunkPath::new(dir.path(), 0, ChunkName::new(5, 3));
    fs::create_dir_all(path.subfolder_dir()).unwrap();
    let block = pattern(65536, 2);
    let mut bytes = vec![0u8; 1024 + 4096];
    bytes[..8].copy_from_slice(b"MFSC 1.0");
    bytes[8..16].copy_from_slice(&5u64.to_be_bytes());
    bytes[16..20].copy_from_slice(&3u32.to_be_bytes());
    bytes[1024..1028].copy_from_slice(&crc32fast::hash(&block).to_be_bytes());
    bytes.extend_from_slice(&block);
    fs::write(path.path(), &bytes).unwrap();
    let mut chunk = ChunkFile::open(path).unwrap();
    assert_eq!(chunk.geometry().header_size, 1024);
    assert_eq!(chunk.read(0, 65536).unwrap(), block);
    chunk.write(65536 + 3, b"abc").unwrap();
    assert_eq!(chunk.read(65536, 6).unwrap(), b"\0\0\0abc");
    assert!(chunk.verify().is_ok());
}

#[test]
fn format_1_1_checks_entries_past_the_end() {
    let dir = TempDir::new().unwrap();
    let chunk = new_chunk(&dir);
    let path = chunk.path().clone();
    drop(chunk);
    let file = fs::OpenOptions::new()
        .write(true)
        .open(path.path())
        .unwrap();
    file.write_all_at(b"MFSC 1.1", 0).unwrap();
    file.write_all_at(&[0, 0, 0, 0], 4096 + 4 * 5).unwrap();
    file.write_all_at(&[1, 2, 3, 4], 4096 + 4 * 9).unwrap();
    let chunk = ChunkFile::open(path).unwrap();
    assert_eq!(chunk.format(), Format::V1_1);
    assert_eq!(chunk.verify().bad_blocks, vec![9]);
}

#[test]
fn duplicate_copies_checked_blocks_or_nothing() {
    let dir = TempDir::new().unwrap();
    let mut chunk = new_chunk(&dir);
    let data = pattern(2 * 65536 + 77, 8);
    chunk.write(0, &data).unwrap();
    let target = ChunkPath::placed(dir.path(), ChunkName::new(ID + 1, 9));
    let copy = chunk.duplicate(target.clone()).unwrap();
    assert_eq!(copy.name(), ChunkName::new(ID + 1, 9));
    assert_eq!(copy.blocks(), 3);
    assert_eq!(copy.read(0, data.len() as u32).unwrap(), data);
    assert!(copy.verify().is_ok());
    let original = fs::read(chunk.path().path()).unwrap();
    let copied = fs::read(target.path()).unwrap();
    assert_eq!(&copied[8..16], &(ID + 1).to_be_bytes());
    assert_eq!(copied[20..], original[20..], "same table and blocks");
    copy.delete().unwrap();
    assert!(!target.path().exists());

    flip_byte(&chunk, chunk.geometry().block_offset(2));
    assert!(matches!(
        chunk.duplicate(target.clone()),
        Err(ChunkFileError::Crc { block: 2, .. })
    ));
    assert!(!target.path().exists(), "a failed copy leaves no file");
}

/// One step of a random edit sequence.
#[derive(Clone, Debug)]
enum Op {
    Write { offset: u32, data: Vec<u8> },
    Truncate { length: u32 },
}

/// Offsets stay within the first 5 blocks to keep cases fast, and still
/// cross block edges, grow the chunk and leave gaps.
fn op() -> impl Strategy<Value = Op> {
    const SPAN: u32 = 5 * BLOCK_SIZE;
    prop_oneof![
        4 => (0..SPAN, 1..(2 * BLOCK_SIZE as usize), any::<u8>()).prop_map(|(offset, len, seed)| {
            let len = len.min((SPAN - offset) as usize).max(1);
            Op::Write { offset, data: pattern(len, seed) }
        }),
        1 => (0..SPAN).prop_map(|length| Op::Truncate { length }),
    ]
}

/// What the chunk should hold: whole stored blocks, as on disk.
fn apply(model: &mut Vec<u8>, op: &Op) {
    let block = BLOCK_SIZE as usize;
    match op {
        Op::Write { offset, data } => {
            let end = *offset as usize + data.len();
            if model.len() < end {
                model.resize(end.div_ceil(block) * block, 0);
            }
            model[*offset as usize..end].copy_from_slice(data);
        }
        Op::Truncate { length } => {
            let length = *length as usize;
            model.truncate(length);
            model.resize(length.div_ceil(block) * block, 0);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn random_edits_read_back_and_corruption_is_found(
        ops in prop::collection::vec(op(), 1..12),
        flip in any::<prop::sample::Index>(),
    ) {
        let dir = TempDir::new().unwrap();
        let mut chunk = new_chunk(&dir);
        let mut model = Vec::new();
        for op in &ops {
            match op {
                Op::Write { offset, data } => chunk.write(*offset, data).unwrap(),
                Op::Truncate { length } => chunk.truncate(*length).unwrap(),
            }
            apply(&mut model, op);
        }
        prop_assert_eq!(usize::from(chunk.blocks()) * BLOCK_SIZE as usize, model.len());
        prop_assert_eq!(chunk.read(0, model.len() as u32).unwrap(), model.clone());
        prop_assert!(chunk.verify().is_ok());

        let name = chunk.name();
        chunk.sync().unwrap();
        drop(chunk);
        let chunk = ChunkFile::open(ChunkPath::placed(dir.path(), name)).unwrap();
        prop_assert_eq!(chunk.read(0, model.len() as u32).unwrap(), model.clone());

        if !model.is_empty() {
            let at = flip.index(model.len());
            let block = (at / BLOCK_SIZE as usize) as u16;
            flip_byte(&chunk, chunk.geometry().block_offset(0) + at as u64);
            let read = chunk.read(at as u32, 1);
            let is_crc_error_in_block =
                matches!(read, Err(ChunkFileError::Crc { block: b, .. }) if b == block);
            prop_assert!(is_crc_error_in_block, "read gave {:?}", read);
            prop_assert_eq!(chunk.verify().bad_blocks, vec![block]);
        }
    }
}

#[test]
fn blocks_read_together_are_checked_one_by_one() {
    let dir = TempDir::new().unwrap();
    let mut chunk = new_chunk(&dir);
    let data = pattern(2 * BLOCK_SIZE as usize, 3);
    chunk.write(0, &data).unwrap();
    let block = BLOCK_SIZE as usize;

    let mut out = vec![7u8; 3 * block];
    let mut crcs = Vec::new();
    chunk.read_blocks(0, &mut out, &mut crcs).unwrap();
    assert_eq!(out[..2 * block], data[..]);
    assert_eq!(out[2 * block..], [0; BLOCK_SIZE as usize], "past the end");
    assert_eq!(
        crcs,
        [
            crc32fast::hash(&data[..block]),
            crc32fast::hash(&data[block..]),
            EMPTY_BLOCK_CRC
        ]
    );

    assert!(matches!(
        chunk.read_blocks(0, &mut out[..block - 5], &mut crcs),
        Err(ChunkFileError::OutOfRange { .. })
    ));
    assert!(matches!(
        chunk.read_blocks(BLOCKS_PER_CHUNK - 1, &mut out[..2 * block], &mut crcs),
        Err(ChunkFileError::OutOfRange { .. })
    ));

    flip_byte(&chunk, chunk.geometry().block_offset(1) + 7);
    crcs.clear();
    assert!(matches!(
        chunk.read_blocks(0, &mut out, &mut crcs),
        Err(ChunkFileError::Crc { block: 1, .. })
    ));
    assert_eq!(
        crcs,
        [crc32fast::hash(&data[..block])],
        "the block before the damaged one passed"
    );
}

#[test]
fn blocks_in_the_page_cache_read_as_the_blocking_read_does_or_not_at_all() {
    let dir = TempDir::new().unwrap();
    let mut chunk = new_chunk(&dir);
    let block = BLOCK_SIZE as usize;
    let data = pattern(2 * block, 9);
    chunk.write(0, &data).unwrap();

    // Just written, so in the page cache.
    let mut out = vec![7u8; 3 * block];
    let mut crcs = vec![42];
    assert!(chunk.read_cached_blocks(0, &mut out, &mut crcs));
    let mut expected = vec![42];
    let mut waited = vec![0u8; 3 * block];
    chunk.read_blocks(0, &mut waited, &mut expected).unwrap();
    assert_eq!((out, crcs), (waited, expected));

    flip_byte(&chunk, chunk.geometry().block_offset(1) + 7);
    let mut crcs = vec![42];
    assert!(
        !chunk.read_cached_blocks(0, &mut vec![0u8; 2 * block], &mut crcs),
        "a damaged block is left to the blocking read, which reports it"
    );
    assert_eq!(crcs, [42], "nothing pushed for the block that passed");
}

#[test]
fn growing_and_shrinking_keeps_the_crc_table_readable() {
    let dir = TempDir::new().unwrap();
    let mut chunk = new_chunk(&dir);
    let data = pattern(5 * BLOCK_SIZE as usize, 9);
    chunk.write(0, &data).unwrap();
    chunk.truncate(BLOCK_SIZE + 10).unwrap();
    chunk
        .write(3 * BLOCK_SIZE, &data[..BLOCK_SIZE as usize])
        .unwrap();
    let reopened = ChunkFile::open(chunk.path().clone()).unwrap();
    assert_eq!(reopened.blocks(), 4);
    assert!(reopened.verify().is_ok());
    assert_eq!(chunk.stored_crcs(), reopened.stored_crcs());
}
