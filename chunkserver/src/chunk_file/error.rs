//! Everything that can go wrong with a chunk file.

use std::io;
use std::path::{Path, PathBuf};

use super::header::HeaderError;
use super::layout::CHUNK_SIZE;
use super::name::ChunkName;

/// Result of chunk file operations.
pub type Result<T, E = ChunkFileError> = std::result::Result<T, E>;

/// A chunk file operation failed.
#[derive(Debug, thiserror::Error)]
pub enum ChunkFileError {
    /// The operating system refused an operation on the file.
    #[error("{}: {source}", path.display())]
    Io {
        /// The chunk file (or its subfolder).
        path: PathBuf,
        /// What the system said.
        #[source]
        source: io::Error,
    },
    /// The path is not a regular file.
    #[error("{}: not a regular file", path.display())]
    NotRegularFile {
        /// The offending path.
        path: PathBuf,
    },
    /// The file size is not header + CRC table + whole blocks.
    #[error("{}: {size} bytes is not the size of a chunk file", path.display())]
    BadSize {
        /// The chunk file.
        path: PathBuf,
        /// Its size.
        size: u64,
    },
    /// The header does not decode.
    #[error("{}: bad chunk header: {source}", path.display())]
    BadHeader {
        /// The chunk file.
        path: PathBuf,
        /// What is wrong with it.
        #[source]
        source: HeaderError,
    },
    /// The header names another chunk or version than the file name.
    #[error("{}: header holds chunk {found}, the file name says {expected}", path.display())]
    WrongIdentity {
        /// The chunk file.
        path: PathBuf,
        /// Identity from the file name.
        expected: ChunkName,
        /// Identity from the header.
        found: ChunkName,
    },
    /// A block's data does not match its stored CRC.
    #[error("{}: CRC mismatch in block {block} (stored {stored:08X}, data {computed:08X})", path.display())]
    Crc {
        /// The chunk file.
        path: PathBuf,
        /// Number of the damaged block.
        block: u16,
        /// CRC in the table.
        stored: u32,
        /// CRC of the data on disk.
        computed: u32,
    },
    /// A byte range reaches past the end of a chunk.
    #[error("{len} bytes at offset {offset} do not fit in a {CHUNK_SIZE}-byte chunk")]
    OutOfRange {
        /// Start of the range.
        offset: u64,
        /// Its length.
        len: u64,
    },
}

/// Wraps an I/O error with the path it happened on.
pub(super) fn io_at(path: &Path) -> impl FnOnce(io::Error) -> ChunkFileError + '_ {
    move |source| ChunkFileError::Io {
        path: path.to_owned(),
        source,
    }
}
