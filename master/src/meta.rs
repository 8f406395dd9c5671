//! The durable metadata: one log of every change to the namespace and the
//! chunk table, and snapshots of both.
//!
//! A data directory holds:
//!
//! * `log-<first index>`: log segments. Each starts with a header naming
//!   the format version and the index of its first entry, then holds
//!   length-prefixed, CRC-checked records, one [`LogEntry`] each, numbered
//!   consecutively from that first index.
//! * `snapshot-<index>`: the whole [`Image`] after applying every entry up
//!   to `index`; written to a `.tmp` file, fsynced and renamed, so a
//!   snapshot file is either complete or absent.
//! * `lock`: held with `flock` while a master uses the directory.
//!
//! Recovery loads the newest valid snapshot and replays the segments after
//! it. Because applying entries is deterministic, that gives back the state
//! every client was told about. See docs/master-persistence.md for the
//! crash-consistency argument.

mod committer;
mod entry;
mod error;
mod format;
mod lock;
mod record;
mod recover;
mod segment;
mod snapshot;
mod stats;

pub use committer::{Committer, Disk, SnapshotPolicy};
pub use entry::{Image, ImageRef, LogEntry};
pub use error::MetaError;
pub use lock::DirLock;
pub use recover::{recover, Recovered};
pub use stats::LogStats;

#[cfg(test)]
mod tests;
