//! The data path: reading chunks from chunkservers and writing them back
//! through a write-back buffer.

pub mod cs;
pub mod extents;
mod files;
mod read;
mod write;

pub use files::{lock, DataPath, FileState};
pub use write::AfterWrite;
