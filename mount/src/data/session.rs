//! A chunk's write session: the lease the master gave (WRITE_CHUNK) and the
//! open chain, kept from one flush of a file to the next while the file is
//! being written, as mfsmount's write worker keeps them. Each lease of a
//! chunk makes the master step the chunk's version on every chunkserver,
//! so a lease per flush cost a master round trip, a chain set-up and a
//! version step every 8 MiB.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::chain::Chain;
use super::cs::ChunkRef;
use super::files::lock;

/// How long a session stays open without a write before it is ended. Well
/// under the 5 s after which a chunkserver drops a silent connection.
pub const SESSION_IDLE: Duration = Duration::from_millis(500);

/// A lease and its chain, for one chunk of one file.
#[derive(Debug)]
pub struct Session {
    /// Tells sessions of one slot apart, so an idle watcher ends only its own.
    pub id: u64,
    pub chunk: ChunkRef,
    /// The file length the master gave with the lease.
    pub file_length: u64,
    pub chain: Chain,
    /// End, as a file offset, of the data the chain has acknowledged.
    pub acked_end: u64,
    pub last_used: Instant,
}

impl Session {
    pub fn new(chunk: ChunkRef, file_length: u64, chain: Chain) -> Self {
        static NEXT_ID: AtomicU64 = AtomicU64::new(1);
        Session {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            chunk,
            file_length,
            chain,
            acked_end: 0,
            last_used: Instant::now(),
        }
    }

    /// The length to give back with the lease: what the master said, or the
    /// end of what we wrote if further; 0 (no change) if nothing was written.
    pub fn length(&self) -> u64 {
        returned_length(self.file_length, self.acked_end)
    }
}

/// The length a lease goes back with (the master only ever grows a file
/// by it, and 0 changes nothing).
fn returned_length(file_length: u64, acked_end: u64) -> u64 {
    match acked_end {
        0 => 0,
        end => end.max(file_length),
    }
}

/// Where one chunk's session lives; whoever holds its lock is the only one
/// writing that chunk, so writes to a chunk leave in flush order.
pub type Slot = Arc<tokio::sync::Mutex<Option<Session>>>;

/// The chunk slots of one file, by chunk index.
#[derive(Debug, Default)]
pub struct Slots {
    map: Mutex<BTreeMap<u32, Slot>>,
}

impl Slots {
    /// The slot of chunk `index`, made empty if there was none.
    pub fn get(&self, index: u32) -> Slot {
        lock(&self.map).entry(index).or_default().clone()
    }

    /// Every slot, in chunk order.
    pub fn all(&self) -> Vec<(u32, Slot)> {
        lock(&self.map)
            .iter()
            .map(|(&index, slot)| (index, slot.clone()))
            .collect()
    }

    /// Forgets the slots that hold no session and that nobody uses.
    pub fn forget_unused(&self) {
        lock(&self.map).retain(|_, slot| match slot.try_lock() {
            Ok(session) => session.is_some(),
            Err(_) => true,
        });
    }

    /// Whether there is no slot at all.
    pub fn is_empty(&self) -> bool {
        lock(&self.map).is_empty()
    }

    /// Whether no chunk has a session open or being used.
    pub fn is_idle(&self) -> bool {
        lock(&self.map)
            .values()
            .all(|slot| slot.try_lock().is_ok_and(|session| session.is_none()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lease_goes_back_with_the_furthest_end() {
        assert_eq!(returned_length(100, 0), 0, "nothing written");
        assert_eq!(returned_length(100, 40), 100, "written inside the file");
        assert_eq!(returned_length(100, 150), 150, "written past its end");
    }

    #[test]
    fn unused_empty_slots_are_forgotten_and_busy_ones_kept() {
        let slots = Slots::default();
        let busy = slots.get(3);
        slots.get(1);
        assert!(slots.is_idle());
        let guard = busy.try_lock().expect("free");
        assert!(!slots.is_idle());
        slots.forget_unused();
        assert_eq!(slots.all().iter().map(|(i, _)| *i).collect::<Vec<_>>(), [3]);
        drop(guard);
        slots.forget_unused();
        assert!(slots.all().is_empty());
    }
}
