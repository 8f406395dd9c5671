//! The master's side of chunks, as MooseFS 3.0.117 runs it.
//!
//! Two kinds of state live here and are kept apart on purpose:
//!
//! * [`ChunkTable`]: what must survive a restart — chunk ids, versions and
//!   how many files of which storage class refer to each chunk. It changes only
//!   through [`ChunkEntry`] log entries applied in order, exactly like the
//!   namespace, so a replicated log gives every master the same table.
//! * Soft state in [`ChunkState`]: which chunkserver holds which copy,
//!   write leases, operations in flight. It is rebuilt from chunkserver
//!   registrations after a restart, as in MooseFS.
//!
//! [`ChunkService`] wraps both for the network: it sends the chunkservers
//! their orders, waits for their answers and runs the replication planner.

mod copies;
mod duplicate;
mod entry;
mod health;
pub mod labels;
mod matrix;
mod op_counts;
mod orders;
mod planner;
mod rebalance;
mod repair;
mod servers;
mod service;
mod state;
mod table;
mod tally;
mod truncate;
mod write;

pub use copies::{ChunkCopy, CopyState};
pub use entry::{ChunkEntry, FileRef};
pub use health::{ChunkHealth, MissingKind};
pub use labels::Placement;
pub use matrix::HealthMatrix;
pub use op_counts::{OpCounts, Tallies, Tally};
pub use orders::Order;
pub use planner::{plan, Job, Limits, Plan};
pub use repair::Repair;
pub use servers::{Server, ServerId, Usage};
pub use service::{
    ArchiveCounts, ChunkConfig, ChunkInfo, ChunkLocation, ChunkService, Holder, Registration,
    WriteLease,
};
pub use state::{ChunkState, OpAnswer, Refusal};
pub use table::{ChunkRecord, ChunkTable};
pub use tally::{ChunkLoop, PassTally, Work};
pub use truncate::Cutting;

/// Chunk ids as MooseFS numbers them; 0 marks a hole in a file.
pub type ChunkId = u64;

/// The high bit of a reported version: the copy sits on a disk marked for
/// removal.
pub const TODEL_FLAG: u32 = 0x8000_0000;

#[cfg(test)]
mod archive_tests;
#[cfg(test)]
mod label_tests;
#[cfg(test)]
mod loop_tests;
#[cfg(test)]
mod rebalance_tests;
#[cfg(test)]
mod tests;
