//! The crate's single piece of unsafe code: mapping a chunk file's head.

use std::fs::File;
use std::io;

use memmap2::{Mmap, MmapOptions};

/// Maps the first `len` bytes of `file` (its header and CRC table)
/// read-only and shared, so CRC entries written with `pwrite` on the same
/// file are visible through the map at once.
///
/// Only the head is mapped, not the blocks: block data is read with
/// `pread`, and a mapping of fixed length stays valid while the file grows
/// or shrinks behind it, so adding a block costs no new mapping.
///
/// The caller (`ChunkFile`) must keep the file at least `len` bytes long
/// for as long as the mapping is used, and must not let any of its bytes
/// change while a slice borrowed from the map is alive.
#[allow(unsafe_code)]
pub(super) fn map_head(file: &File, len: u32) -> io::Result<Mmap> {
    // SAFETY: a mapping is sound while nobody truncates the file below the
    // mapped range or writes bytes that a live slice of it covers. Chunk
    // files belong to the chunk server alone (MooseFS assumes the same of
    // its data folders), and inside this process the only writer is the
    // `ChunkFile` owning this map: it never makes the file shorter than
    // its header and CRC table, and it writes only through `&mut self`,
    // so no slice of the map (all borrowed from `&self`) is alive during a
    // write.
    unsafe { MmapOptions::new().len(len as usize).map(file) }
}
