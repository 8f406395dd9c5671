//! The crate's single piece of unsafe code: mapping a chunk file.

use std::fs::File;
use std::io;

use memmap2::Mmap;

/// Maps the whole of `file` read-only and shared, so bytes written with
/// `pwrite` on the same file are visible through the map at once.
///
/// The caller (`ChunkFile`) must keep the file at least as long as the
/// mapping for as long as the mapping is used, and must not let any of its
/// bytes change while a slice borrowed from the map is alive.
#[allow(unsafe_code)]
pub(super) fn map_whole_file(file: &File) -> io::Result<Mmap> {
    // SAFETY: a mapping is sound while nobody truncates the file or writes
    // bytes that a live slice of it covers. Chunk files belong to the chunk
    // server alone (MooseFS assumes the same of its data folders), and
    // inside this process the only writer is the `ChunkFile` owning this
    // map: it writes only through `&mut self`, so no slice of the map (all
    // borrowed from `&self`) is alive during a write, and it replaces the
    // map after every change of the file length before reading again.
    unsafe { Mmap::map(file) }
}
