//! The chunk service follows its master's role in the Raft group: only
//! the leader talks to chunkservers. A follower sends them to the leader;
//! a master that becomes leader starts from the replicated chunk table,
//! with no copies known until the chunkservers register again (chunk
//! locations are soft state).

use std::net::Ipv4Addr;

use tokio::sync::watch;

use super::{ChunkService, ChunkState, ChunkTable, Inner};
use crate::namespace::Classes;

impl ChunkService {
    /// Where a chunkserver registering here must go instead: the leader's
    /// address (0.0.0.0 while it is not known); `None` while this master
    /// leads.
    pub fn redirect(&self) -> Option<Ipv4Addr> {
        self.lock().following
    }

    /// Whether the service acts for the group's leader.
    pub fn is_leading(&self) -> bool {
        self.lock().following.is_none()
    }

    /// The current term and its changes, which end every chunkserver
    /// connection of the term before.
    pub fn terms(&self) -> watch::Receiver<u64> {
        self.terms.subscribe()
    }

    /// Stops acting: ends every chunkserver connection (they register
    /// again, and are sent to `leader`), forgets the soft state and fails
    /// the operations in flight.
    pub fn follow(&self, leader: Ipv4Addr) {
        let mut inner = self.lock();
        if inner.following.is_none() {
            tracing::info!(%leader, "the chunk service stands by: this master follows");
            reset(&mut inner, ChunkTable::default(), Classes::default());
            self.terms.send_modify(|term| *term += 1);
        }
        inner.following = Some(leader);
    }

    /// Starts acting as the leader's chunk service over `table`, the
    /// replicated one, placing copies by `classes`, the replicated
    /// namespace's. Does nothing while it acts already, so that a leader
    /// keeps the chunkservers registered with it.
    pub fn lead(&self, table: ChunkTable, classes: Classes) {
        let mut inner = self.lock();
        if inner.following.is_none() {
            return;
        }
        tracing::info!(
            chunks = table.len(),
            "the chunk service takes over the replicated chunk table"
        );
        reset(&mut inner, table, classes);
        inner.following = None;
    }
}

/// Soft state gone, `table` and `classes` in place. Dropping the waiters
/// fails the operations waiting on them.
fn reset(inner: &mut Inner, table: ChunkTable, classes: Classes) {
    inner.links.clear();
    inner.waiters.clear();
    inner.state = ChunkState::new(table);
    inner.state.set_classes(classes);
}
