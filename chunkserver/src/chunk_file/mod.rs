//! MooseFS 3.0.117 chunk files, byte for byte.
//!
//! # Format
//!
//! One file per chunk copy, `<data folder>/XX/chunk_<id:016X>_<version:08X>.mfs`
//! (see [`ChunkPath`] for which `XX`), laid out as:
//!
//! | offset | size | contents |
//! |---|---|---|
//! | 0 | 8 | signature `MFSC 1.0` (or `MFSC 1.1`, see [`Format`]) |
//! | 8 | 8 | chunk id, big-endian |
//! | 16 | 4 | chunk version, big-endian |
//! | 20 | 4076 | zeros |
//! | 4096 | 4096 | 1024 CRC-32s, big-endian, one per block |
//! | 8192 | n × 65536 | blocks 0..n, always whole |
//!
//! Files from MooseFS before 1.6 have a 1024-byte header instead (the CRC
//! table then starts at 1024); they are opened but never created. The file
//! stores no chunk length: the block count comes from the file size and a
//! partly written last block is padded with zeros. The CRC of a block is
//! the standard CRC-32 of all its 65536 bytes; a block of zeros has CRC
//! [`EMPTY_BLOCK_CRC`] (`MFSCRCEMPTY`, 0xD7978EEB). Entries past the last
//! block are not checked in `MFSC 1.0` files. MooseFS's create writes them
//! as zero, but the table it writes back when it closes a chunk holds
//! `MFSCRCEMPTY` there, so chunks it has written to carry `MFSCRCEMPTY` in
//! every entry past the end; so do all of ours, which makes the files we
//! produce byte-identical to MooseFS's for the same writes (checked against
//! a running `mfschunkserver` in `tests/real_chunkserver.rs`).
//!
//! # Blocking I/O
//!
//! Everything here does plain blocking file I/O and CRC work on the calling
//! thread. Async callers must run it on a blocking thread (for example
//! tokio's `spawn_blocking`), one operation on a given chunk at a time.
//!
//! # Crash behaviour
//!
//! Data and its CRC live in different places of the file, so no write can
//! update both atomically. The rules are chosen so that whatever a crash
//! leaves behind, a block's stored CRC never vouches for data it was not
//! computed from, and any disagreement is caught by the CRC check:
//!
//! - A write puts the data down first and the CRC entry second, both with
//!   `pwrite` straight to the file (no CRC cache in memory, unlike MooseFS,
//!   which writes its in-memory table back only when the chunk is closed).
//!   If the process dies between the two, the page cache holds new data
//!   under the old CRC: the block fails its check and the chunk is reported
//!   damaged, which is exactly what lets the master re-replicate it.
//! - A partial write or a truncation first checks the old block, so a new
//!   CRC is never computed over data that was already damaged.
//! - There is no fsync per write. [`ChunkFile::sync`] (`fdatasync`, plus the
//!   subfolder after a create or rename) is the durability point: the
//!   server calls it before it acknowledges a write session, matching
//!   MooseFS's `HDD_FSYNC_BEFORE_CLOSE`. A power loss before it may tear a
//!   write in either order, and again the CRC check detects it. Syncing
//!   data before each CRC update would not remove that window (the CRC
//!   write can still be lost) and would double the syncs.

mod crc;
mod error;
mod handle;
mod header;
mod layout;
mod maintain;
mod mapping;
mod name;
mod read;
mod write;

pub use crc::EMPTY_BLOCK_CRC;
pub use error::{ChunkFileError, Result};
pub use handle::ChunkFile;
pub use header::{Format, Header, HeaderError};
pub use layout::{
    Geometry, BLOCKS_PER_CHUNK, BLOCK_SIZE, CHUNK_SIZE, CRC_TABLE_SIZE, HEADER_SIZE,
    LEGACY_HEADER_SIZE,
};
pub use name::{ChunkName, ChunkPath};
pub use read::VerifyReport;

#[cfg(test)]
mod tests;
