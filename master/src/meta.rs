//! The durable metadata: one log of every change to the namespace and the
//! chunk table, and snapshots of both.
//!
//! This is openraft's storage: [`LogStore`] is the Raft log,
//! [`StateMachine`] the namespace and chunk table it is applied to. A data
//! directory holds:
//!
//! * `log-<first index>`: log segments. Each starts with a header naming
//!   the format version and the index of its first entry, then holds
//!   length-prefixed, CRC-checked records, one openraft entry (term,
//!   index, and the [`LogEntry`]s of one group commit) each, numbered
//!   consecutively from that index.
//! * `snapshot-<n>`: the whole [`Image`] after applying the first `n`
//!   entries; written to a `.tmp` file, fsynced and renamed, so a snapshot
//!   file is either complete or absent.
//! * `logstate`: the Raft vote and the last purged log id, written the
//!   same way.
//! * `lock`: held with `flock` while a master uses the directory.
//!
//! On start the state machine loads the newest valid snapshot and openraft
//! applies the committed entries after it. Because applying entries is
//! deterministic, that gives back the state every client was told about.
//! See docs/master-persistence.md for the crash-consistency argument.

mod entry;
mod error;
pub(crate) mod format;
mod lock;
mod log_cache;
mod log_disk;
mod log_files;
mod log_store;
mod record;
mod segment;
mod snapshot;
mod state_machine;
mod stats;
mod upgrade;

pub use entry::{Image, ImageRef, LogEntry};
pub use error::MetaError;
pub use lock::DirLock;
pub use log_disk::Released;
pub use log_files::LogFiles;
pub use log_store::{LogReader, LogStore};
pub use state_machine::{Shared, SnapshotGate, StateMachine};
pub use stats::LogStats;

/// Removes the `.tmp` files of writes a crash interrupted.
pub fn remove_temporary(dir: &std::path::Path) -> Result<(), MetaError> {
    for leftover in segment::list(dir)?.temporary {
        tracing::info!(path = %leftover.display(), "removing an interrupted write");
        std::fs::remove_file(&leftover).map_err(MetaError::io(&leftover))?;
    }
    Ok(())
}

/// When the state machine is snapshotted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SnapshotPolicy {
    /// Changes ([`LogEntry`]s, not Raft entries) applied since the last
    /// snapshot that trigger the next one.
    pub every_entries: u64,
}

#[cfg(test)]
mod suite_tests;
#[cfg(test)]
mod tests;
