//! The master's chunk orders against real files in temporary folders.

use mooseng_wire::Status;

use super::{Store, TODEL_FLAG};
use crate::chunk_file::{ChunkName, BLOCK_SIZE};
use crate::config::FolderSpec;

fn store(dirs: &[(&std::path::Path, bool)]) -> Store {
    let specs: Vec<FolderSpec> = dirs
        .iter()
        .map(|(path, marked)| FolderSpec {
            path: path.to_path_buf(),
            marked_for_removal: *marked,
        })
        .collect();
    Store::open(&specs, 3, true)
}

/// `size` bytes at `offset` of `block`, read and checked with the whole
/// block.
fn read(
    s: &Store,
    h: &super::IoHandle,
    block: u16,
    offset: u32,
    size: usize,
) -> Result<Vec<u8>, Status> {
    let mut whole = vec![0u8; BLOCK_SIZE as usize];
    let mut crcs = Vec::new();
    s.read_blocks(h, block, &mut whole, &mut crcs)?;
    let start = offset as usize;
    assert_eq!(crcs, [crc32fast::hash(&whole)]);
    Ok(whole[start..start + size].to_vec())
}

#[test]
fn orders_follow_mfschunkserver_statuses() {
    let dir = tempfile::tempdir().unwrap();
    let s = store(&[(dir.path(), false)]);
    s.create(7, 1).unwrap();
    assert_eq!(s.create(7, 1), Err(Status::CHUNKEXIST));
    assert_eq!(s.set_version(7, 2, 3), Err(Status::WRONGVERSION));
    assert_eq!(s.delete(8, 1), Err(Status::NOCHUNK));

    let h = s.open_io(7, 1).unwrap();
    let data = vec![5u8; 1000];
    assert_eq!(
        s.write_piece(&h, 1, 10, 0, &data),
        Err(Status::CRC),
        "client CRC is checked"
    );
    s.write_piece(&h, 1, 10, crc32fast::hash(&data), &data)
        .unwrap();
    s.close(h, true).unwrap();
    assert_eq!(s.blocks(7, 1), Ok(2));

    s.set_version(7, 1, 2).unwrap();
    let copy = ChunkName { id: 9, version: 0 };
    s.duplicate(7, 2, 3, copy, Some(BLOCK_SIZE + 20)).unwrap();
    assert_eq!(
        s.blocks(7, 2),
        Err(Status::WRONGVERSION),
        "the original moved to version 3"
    );
    let h = s.open_io(9, 3).unwrap();
    let bytes = read(&s, &h, 1, 10, 20).unwrap();
    let mut expected = vec![5u8; 10];
    expected.extend_from_slice(&[0; 10]);
    assert_eq!(
        &bytes[..],
        &expected[..],
        "the copy is cut 20 bytes into block 1"
    );
    drop(h);
    s.test(9, 3).unwrap();
    s.truncate(7, 3, 4, 0).unwrap();
    assert_eq!(s.blocks(7, 4), Ok(0));
    s.delete(7, 0).unwrap();
    let mut listed = s.chunk_list();
    listed.sort_by_key(|c| c.chunkid);
    assert_eq!(
        listed
            .iter()
            .map(|c| (c.chunkid, c.version))
            .collect::<Vec<_>>(),
        [(9, 3)]
    );

    let again = store(&[(dir.path(), false)]);
    assert_eq!(
        again.chunk_list().len(),
        1,
        "a restart finds the chunk file"
    );
}

#[test]
fn a_folder_marked_for_removal_is_drained_not_filled() {
    let keep = tempfile::tempdir().unwrap();
    let old = tempfile::tempdir().unwrap();
    store(&[(old.path(), false)]).create(1, 5).unwrap();
    let s = store(&[(keep.path(), false), (old.path(), true)]);
    s.create(2, 1).unwrap();
    assert_eq!(
        s.chunks_per_folder(),
        [1, 1],
        "new chunks avoid the marked folder"
    );
    let mut listed = s.chunk_list();
    listed.sort_by_key(|c| c.chunkid);
    assert_eq!(listed[0].version, 5 | TODEL_FLAG);
    assert_eq!(listed[1].version, 1);
    let usage = s.usage();
    assert_eq!((usage.chunks, usage.todel_chunks), (1, 1));
    assert!(usage.todel_total > 0);
}

#[test]
fn a_damaged_block_is_reported_and_never_read() {
    let dir = tempfile::tempdir().unwrap();
    let s = store(&[(dir.path(), false)]);
    s.create(3, 1).unwrap();
    let h = s.open_io(3, 1).unwrap();
    let data = vec![1u8; BLOCK_SIZE as usize];
    s.write_piece(&h, 0, 0, crc32fast::hash(&data), &data)
        .unwrap();
    drop(h);
    let path = s.slot(3).unwrap().lock().path.path();
    let mut bytes = std::fs::read(&path).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0xFF;
    std::fs::write(&path, bytes).unwrap();
    let h = s.open_io(3, 1).unwrap();
    assert_eq!(read(&s, &h, 0, 0, 10), Err(Status::CRC));
    assert_eq!(s.reports().take().damaged, [3]);
    assert_eq!(
        read(&s, &h, 0, 0, BLOCK_SIZE as usize),
        Err(Status::CRC),
        "every read of a damaged block fails"
    );
    assert_eq!(s.metrics().crc_errors.get(), 2);
}

/// A chunk of `blocks` whole blocks of `fill`, written through a session.
fn chunk_with_blocks(s: &Store, chunkid: u64, blocks: u16, fill: u8) {
    s.create(chunkid, 1).unwrap();
    let h = s.open_io(chunkid, 1).unwrap();
    let data = vec![fill; BLOCK_SIZE as usize];
    for block in 0..blocks {
        s.write_piece(&h, block, 0, crc32fast::hash(&data), &data)
            .unwrap();
    }
    s.close(h, true).unwrap();
}

/// Flips one byte of block `block`'s data in the chunk file on disk.
fn flip_byte_in_block(s: &Store, chunkid: u64, block: u16) {
    let path = s.slot(chunkid).unwrap().lock().path.path();
    let mut bytes = std::fs::read(&path).unwrap();
    let at = 8192 + usize::from(block) * BLOCK_SIZE as usize + 1234;
    bytes[at] ^= 0x01;
    std::fs::write(&path, bytes).unwrap();
}

#[test]
fn reads_and_writes_are_counted() {
    let dir = tempfile::tempdir().unwrap();
    let s = store(&[(dir.path(), false)]);
    chunk_with_blocks(&s, 5, 2, 7);
    let h = s.open_io(5, 1).unwrap();
    read(&s, &h, 1, 100, 1000).unwrap();
    let m = s.metrics();
    assert_eq!((m.write_ops.get(), m.write_bytes.get()), (2, 2 * 65536));
    assert_eq!(
        (m.read_ops.get(), m.read_bytes.get()),
        (1, 65536),
        "the whole block is read and checked"
    );
    assert_eq!(m.crc_errors.get(), 0);
}

#[test]
fn only_open_chunks_are_opened_without_waiting() {
    let dir = tempfile::tempdir().unwrap();
    let s = store(&[(dir.path(), false)]);
    chunk_with_blocks(&s, 6, 1, 3);
    assert!(s.open_io_cached(7, 1).is_none(), "no such chunk");
    assert!(s.open_io_cached(6, 2).is_none(), "wrong version");

    let h = s.open_io(6, 1).unwrap();
    let cached = s.open_io_cached(6, 0).expect("its file is open");
    drop(h);
    let mut out = vec![0u8; BLOCK_SIZE as usize];
    let mut crcs = Vec::new();
    assert!(s.read_cached_blocks(&cached, 0, &mut out, &mut crcs));
    assert_eq!(out, vec![3u8; BLOCK_SIZE as usize]);
    assert_eq!(crcs, [crc32fast::hash(&out)]);
    assert_eq!(s.metrics().read_ops.get(), 1);

    let slot = s.slot(6).unwrap();
    let busy = slot.lock();
    assert!(
        !s.read_cached_blocks(&cached, 0, &mut out, &mut crcs),
        "a slot held by another thread is not waited for"
    );
    assert!(s.open_io_cached(6, 1).is_none());
    drop(busy);
    drop(cached);

    flip_byte_in_block(&s, 6, 0);
    let h = s.open_io_cached(6, 1).expect("the file stayed open, idle");
    assert!(!s.read_cached_blocks(&h, 0, &mut out, &mut Vec::new()));
    assert_eq!(
        s.reports().take().damaged,
        [],
        "the blocking read that follows reports the damage, once"
    );
}

#[test]
fn scrubbing_checks_slices_and_reports_a_damaged_chunk() {
    let dir = tempfile::tempdir().unwrap();
    let s = store(&[(dir.path(), false)]);
    chunk_with_blocks(&s, 1, 3, 1);
    chunk_with_blocks(&s, 2, 3, 2);
    flip_byte_in_block(&s, 2, 2);
    let mut ids = s.chunk_ids();
    ids.sort_unstable();
    assert_eq!(ids, [1, 2]);

    let h = s.scrub_open(1).unwrap();
    assert_eq!(s.scrub_blocks(&h, 0, 2), Ok(2));
    assert_eq!(s.scrub_blocks(&h, 2, 2), Ok(1));
    assert_eq!(s.scrub_blocks(&h, 3, 2), Ok(0), "end of the chunk");
    drop(h);
    assert_eq!(s.reports().take().damaged, Vec::<u64>::new());

    let h = s.scrub_open(2).unwrap();
    assert_eq!(s.scrub_blocks(&h, 0, 2), Ok(2), "blocks 0 and 1 are fine");
    assert_eq!(s.scrub_blocks(&h, 2, 2), Err(Status::CRC));
    drop(h);
    assert_eq!(s.reports().take().damaged, [2]);
    assert_eq!(s.metrics().crc_errors.get(), 1);

    let h = s.open_io(2, 1).unwrap();
    assert_eq!(
        read(&s, &h, 2, 0, 100),
        Err(Status::CRC),
        "a read of the bad block still fails"
    );
    assert_eq!(read(&s, &h, 1, 0, 100).map(|b| b[0]), Ok(2));
}

#[test]
fn scrubbing_a_deleted_chunk_reports_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let s = store(&[(dir.path(), false)]);
    chunk_with_blocks(&s, 4, 1, 4);
    let h = s.scrub_open(4).unwrap();
    s.delete(4, 0).unwrap();
    assert_eq!(s.scrub_blocks(&h, 0, 16), Err(Status::NOCHUNK));
    assert_eq!(s.scrub_open(4).err(), Some(Status::NOCHUNK));
    assert_eq!(s.reports().take(), super::Pending::default());
}
