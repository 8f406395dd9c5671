//! Per-session operation counters, as `mfscli -SMO` lists them: the
//! current clock hour's and the previous one's.
//!
//! MooseFS moves each session's counts to "last hour" on the hour; here
//! a counter notices a new hour when it is next touched, which gives the
//! same figures without a timer.

use std::sync::{Mutex, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

/// How many operations a session counts (MooseFS's `SESSION_STATS`).
pub const OP_KINDS: usize = 16;

/// What a session counts, in the order `SESSION_LIST` carries the counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Statfs,
    Getattr,
    /// Attribute changes, truncations included.
    Setattr,
    Lookup,
    Mkdir,
    Rmdir,
    Symlink,
    Readlink,
    /// Special files and regular files (a CREATE counts here and as an
    /// open).
    Mknod,
    Unlink,
    Rename,
    Link,
    Readdir,
    Open,
    /// A chunk located for reading.
    Read,
    /// A chunk leased for writing.
    Write,
}

/// Counts of one hour per [`Op`].
pub type Counts = [u32; OP_KINDS];

#[derive(Debug, Default)]
pub struct OpCounters {
    inner: Mutex<Hours>,
}

#[derive(Debug, Default, Clone, Copy)]
struct Hours {
    /// The clock hour (`seconds / 3600`) `current` counts.
    hour: u64,
    current: Counts,
    last: Counts,
}

impl Hours {
    /// Moves to `hour`: the hour just over becomes the last one; after a
    /// longer quiet time both are empty.
    fn roll_to(&mut self, hour: u64) {
        if hour == self.hour {
            return;
        }
        self.last = if hour == self.hour + 1 {
            self.current
        } else {
            Counts::default()
        };
        self.current = Counts::default();
        self.hour = hour;
    }
}

impl OpCounters {
    pub fn count(&self, op: Op) {
        self.count_at(op, clock_hour());
    }

    /// This hour's counts and the last hour's.
    pub fn counts(&self) -> (Counts, Counts) {
        self.counts_at(clock_hour())
    }

    /// Counters that go on from where `self` stands, for a session taken
    /// over by a reconnecting mount.
    pub fn carried_over(&self) -> OpCounters {
        OpCounters {
            inner: Mutex::new(*self.hours()),
        }
    }

    fn count_at(&self, op: Op, hour: u64) {
        let mut hours = self.hours();
        hours.roll_to(hour);
        let slot = &mut hours.current[op as usize];
        *slot = slot.wrapping_add(1);
    }

    fn counts_at(&self, hour: u64) -> (Counts, Counts) {
        let mut hours = self.hours();
        hours.roll_to(hour);
        (hours.current, hours.last)
    }

    fn hours(&self) -> std::sync::MutexGuard<'_, Hours> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

fn clock_hour() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() / 3600)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_go_to_their_slot() {
        let counters = OpCounters::default();
        counters.count_at(Op::Lookup, 10);
        counters.count_at(Op::Lookup, 10);
        counters.count_at(Op::Write, 10);
        let (current, last) = counters.counts_at(10);
        assert_eq!(current[3], 2);
        assert_eq!(current[15], 1);
        assert_eq!(current.iter().sum::<u32>(), 3);
        assert_eq!(last, Counts::default());
    }

    #[test]
    fn the_next_hour_moves_counts_to_last_hour() {
        let counters = OpCounters::default();
        counters.count_at(Op::Mkdir, 10);
        counters.count_at(Op::Open, 11);
        let (current, last) = counters.counts_at(11);
        assert_eq!((current[13], current[4]), (1, 0));
        assert_eq!(last[4], 1);
    }

    #[test]
    fn a_quiet_hour_leaves_nothing() {
        let counters = OpCounters::default();
        counters.count_at(Op::Mkdir, 10);
        assert_eq!(
            counters.counts_at(12),
            (Counts::default(), Counts::default())
        );
    }

    #[test]
    fn a_taken_over_session_keeps_its_counts() {
        let counters = OpCounters::default();
        counters.count_at(Op::Rename, 10);
        let next = counters.carried_over();
        next.count_at(Op::Rename, 10);
        assert_eq!(next.counts_at(10).0[10], 2);
    }
}
