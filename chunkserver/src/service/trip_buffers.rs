//! Read buffers kept between reads.
//!
//! A read trip reads up to 1 MiB of blocks into one buffer. Allocating it
//! for every trip costs more than the copy it receives: the allocator
//! hands out fresh pages, and each of them is faulted in and zeroed by the
//! kernel. A few buffers are therefore kept for the next trips, of any
//! connection; their bytes are always initialised, so reusing one costs
//! nothing, and blocks are read over whatever an earlier trip left there.

use std::sync::{Mutex, MutexGuard};

/// Idle buffers kept at most: two per read being served (one reading, one
/// sending) for eight reads at once, 16 MiB. More reads than that at once
/// allocate their own, which are dropped when they finish.
const KEPT: usize = 16;

/// A pool of buffers, each `len` bytes.
#[derive(Debug)]
pub struct TripBuffers {
    len: usize,
    idle: Mutex<Vec<Vec<u8>>>,
}

impl TripBuffers {
    pub fn new(len: usize) -> Self {
        TripBuffers {
            len,
            idle: Mutex::new(Vec::new()),
        }
    }

    /// An idle buffer, or a new one if none is idle.
    pub fn take(&self) -> Vec<u8> {
        self.lock().pop().unwrap_or_else(|| vec![0; self.len])
    }

    /// Keeps `buffer` for a later [`TripBuffers::take`] unless enough are
    /// kept already.
    pub fn give_back(&self, buffer: Vec<u8>) {
        let mut idle = self.lock();
        if idle.len() < KEPT && buffer.len() == self.len {
            idle.push(buffer);
        }
    }

    fn lock(&self) -> MutexGuard<'_, Vec<Vec<u8>>> {
        // A buffer list is never left half-changed: poisoning means nothing.
        self.idle
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buffers_given_back_are_reused_up_to_the_limit() {
        let pool = TripBuffers::new(8);
        let mut first = pool.take();
        assert_eq!(first.len(), 8);
        first[0] = 42;
        pool.give_back(first);
        assert_eq!(pool.take()[0], 42, "the buffer given back comes out again");

        for _ in 0..KEPT + 3 {
            pool.give_back(vec![0; 8]);
        }
        assert_eq!(pool.lock().len(), KEPT);
        pool.take();
        pool.give_back(vec![0; 4]);
        assert_eq!(
            pool.lock().len(),
            KEPT - 1,
            "a buffer of another size is dropped"
        );
    }
}
