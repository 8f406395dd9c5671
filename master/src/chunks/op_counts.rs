//! Chunk operations the master ordered of its chunkservers and how they
//! ended, counted for the charts' minutes as MooseFS's `chunk_stats`
//! counts them: deletions, replications, creations and changes (version
//! steps, truncations, duplicates).

use std::sync::atomic::{AtomicU64, Ordering};

use super::{OpAnswer, Order};

/// Tries, successes and failures of one kind, since they were last taken.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    pub tries: u64,
    pub done: u64,
    pub failed: u64,
}

/// The four kinds' tallies.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tallies {
    pub delete: Tally,
    pub replicate: Tally,
    pub create: Tally,
    pub change: Tally,
}

#[derive(Debug, Default)]
struct Counters {
    tries: AtomicU64,
    done: AtomicU64,
    failed: AtomicU64,
}

#[derive(Debug, Clone, Copy)]
enum Kind {
    Delete,
    Replicate,
    Create,
    Change,
}

#[derive(Debug, Default)]
pub struct OpCounts {
    kinds: [Counters; 4],
}

impl OpCounts {
    pub fn ordered(&self, order: &Order) {
        let kind = match order {
            Order::Delete { .. } => Kind::Delete,
            Order::Replicate { .. } => Kind::Replicate,
            Order::Create { .. } => Kind::Create,
            Order::SetVersion { .. }
            | Order::Truncate { .. }
            | Order::Duplicate { .. }
            | Order::Duptrunc { .. } => Kind::Change,
        };
        self.kinds[kind as usize]
            .tries
            .fetch_add(1, Ordering::Relaxed);
    }

    pub fn answered(&self, answer: &OpAnswer) {
        let (kind, status) = match answer {
            OpAnswer::Delete { status, .. } => (Kind::Delete, status),
            OpAnswer::Replicate { status, .. } => (Kind::Replicate, status),
            OpAnswer::Create { status, .. } => (Kind::Create, status),
            OpAnswer::SetVersion { status, .. }
            | OpAnswer::Truncate { status, .. }
            | OpAnswer::Duplicate { status, .. } => (Kind::Change, status),
        };
        let counters = &self.kinds[kind as usize];
        let outcome = if status.is_ok() {
            &counters.done
        } else {
            &counters.failed
        };
        outcome.fetch_add(1, Ordering::Relaxed);
    }

    /// The tallies since the last call, which start again from zero.
    pub fn take(&self) -> Tallies {
        let take = |kind: Kind| {
            let c = &self.kinds[kind as usize];
            Tally {
                tries: c.tries.swap(0, Ordering::Relaxed),
                done: c.done.swap(0, Ordering::Relaxed),
                failed: c.failed.swap(0, Ordering::Relaxed),
            }
        };
        Tallies {
            delete: take(Kind::Delete),
            replicate: take(Kind::Replicate),
            create: take(Kind::Create),
            change: take(Kind::Change),
        }
    }
}

#[cfg(test)]
mod tests {
    use mooseng_wire::Status;

    use super::*;

    #[test]
    fn orders_and_answers_count_by_kind_until_taken() {
        let counts = OpCounts::default();
        counts.ordered(&Order::Delete {
            chunk: 1,
            version: 1,
        });
        counts.ordered(&Order::SetVersion {
            chunk: 1,
            version: 2,
            old: 1,
        });
        counts.answered(&OpAnswer::Delete {
            chunk: 1,
            status: Status::OK,
        });
        counts.answered(&OpAnswer::Truncate {
            chunk: 1,
            status: Status::NOCHUNK,
        });
        let taken = counts.take();
        let one = |done, failed| Tally {
            tries: 1,
            done,
            failed,
        };
        assert_eq!(taken.delete, one(1, 0));
        assert_eq!(taken.change, one(0, 1));
        assert_eq!(taken.create, Tally::default());
        assert_eq!(counts.take(), Tallies::default());
    }
}
