//! Figures about the metadata log that the state machine and the store
//! keep for the `/metrics` endpoint: plain atomics, so reading them never
//! waits for a commit and keeping them costs a few stores a batch.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

#[derive(Debug, Default)]
pub struct LogStats {
    submitted: AtomicU64,
    applied: AtomicU64,
    last_index: AtomicU64,
    since_snapshot: AtomicU64,
    broken: AtomicBool,
}

impl LogStats {
    pub(crate) fn submitted(&self) {
        self.submitted.fetch_add(1, Ordering::Relaxed);
    }

    /// A batch holding `count` changes was committed and applied; the
    /// last applied entry is now `last_index`.
    pub(super) fn committed(&self, count: u64, last_index: u64, since_snapshot: u64) {
        self.applied.fetch_add(count, Ordering::Relaxed);
        self.last_index.store(last_index, Ordering::Relaxed);
        self.since_snapshot.store(since_snapshot, Ordering::Relaxed);
    }

    /// A batch ended without being applied (its entries were refused).
    pub(crate) fn dropped(&self, count: u64) {
        self.applied.fetch_add(count, Ordering::Relaxed);
    }

    pub(super) fn broke(&self) {
        self.broken.store(true, Ordering::Relaxed);
    }

    /// Entries submitted but not yet durable and applied: how far the state
    /// clients read lags behind the changes asked for.
    pub fn apply_lag(&self) -> u64 {
        let applied = self.applied.load(Ordering::Relaxed);
        self.submitted
            .load(Ordering::Relaxed)
            .saturating_sub(applied)
    }

    /// Index of the newest applied entry of the log.
    pub fn last_index(&self) -> u64 {
        self.last_index.load(Ordering::Relaxed)
    }

    /// Raft entries (group commits) the log holds beyond the newest
    /// snapshot, all of which a restart replays.
    pub fn since_snapshot(&self) -> u64 {
        self.since_snapshot.load(Ordering::Relaxed)
    }

    /// Whether a log write failed, after which every change is refused.
    pub fn is_broken(&self) -> bool {
        self.broken.load(Ordering::Relaxed)
    }
}
