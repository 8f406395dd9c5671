//! The data path: reading chunks from chunkservers and writing them back
//! through a write-back buffer.

mod buffers;
mod chain;
mod chunk_writer;
pub mod cs;
pub mod extents;
mod files;
#[cfg(test)]
mod pipeline_tests;
mod read;
mod session;
mod sustain;
mod write;
mod writers;

pub use files::{lock, DataPath, FileState};
pub use sustain::report_open_files_forever;
pub use write::{backoff, AfterWrite, Leases};
