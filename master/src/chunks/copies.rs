//! Where the copies of one chunk are, and what is going on with it (soft
//! state, rebuilt from registrations).

use super::ServerId;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CopyState {
    /// Holds the chunk's current version.
    Valid,
    /// An ordered create or version change has not been answered yet.
    Busy,
    /// Being copied to this server by a replication.
    Replicating,
    /// Holds another version than the table's: useless, to be deleted.
    WrongVersion,
    /// A delete was ordered and not answered yet.
    Deleting,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChunkCopy {
    pub server: ServerId,
    /// The version this copy has (or will have once its operation ends).
    pub version: u32,
    pub state: CopyState,
    /// The copy sits on a disk marked for removal: it is read from but
    /// does not count towards the goal.
    pub todel: bool,
}

impl ChunkCopy {
    /// A valid copy that counts towards the goal.
    pub fn is_regular(&self) -> bool {
        self.state == CopyState::Valid && !self.todel
    }

    /// Holds the chunk's data: valid, or being changed by an operation
    /// (the copies `mfscheckfile` counts and MooseFS's "valid copies").
    pub fn is_usable(&self) -> bool {
        matches!(self.state, CopyState::Valid | CopyState::Busy)
    }
}

/// The operation that holds a chunk while chunkservers carry it out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Operation {
    /// Servers whose answer is still awaited.
    pub waiting: Vec<ServerId>,
    /// How many of them answered with success.
    pub succeeded: u32,
}

/// Everything soft about one chunk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ChunkSoft {
    pub copies: Vec<ChunkCopy>,
    /// A client holds the chunk for writing until this time (seconds on
    /// the master's monotonic clock).
    pub lease_until: Option<u64>,
    pub operation: Option<Operation>,
    /// Copies changed since the last version step: the next write must
    /// step the version so a stale copy can never pass for current
    /// (MooseFS's `needverincrease`).
    pub needs_bump: bool,
}

impl ChunkSoft {
    pub fn copy_on(&self, server: ServerId) -> Option<&ChunkCopy> {
        self.copies.iter().find(|c| c.server == server)
    }

    pub fn copy_on_mut(&mut self, server: ServerId) -> Option<&mut ChunkCopy> {
        self.copies.iter_mut().find(|c| c.server == server)
    }

    pub fn remove_copy(&mut self, server: ServerId) -> Option<ChunkCopy> {
        let at = self.copies.iter().position(|c| c.server == server)?;
        Some(self.copies.swap_remove(at))
    }

    pub fn is_leased(&self, now: u64) -> bool {
        self.lease_until.is_some_and(|until| now < until)
    }
}

impl Default for ChunkSoft {
    /// A chunk the master has just heard of: its copies may be older than
    /// the table, so the first write steps the version.
    fn default() -> Self {
        ChunkSoft {
            copies: Vec::new(),
            lease_until: None,
            operation: None,
            needs_bump: true,
        }
    }
}
