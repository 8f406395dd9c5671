//! Chunk files kept open between sessions.
//!
//! Opening a chunk file costs an `open`, a read of its 4 KiB CRC table and
//! an `mmap`; closing costs the `munmap` and `close`. For a client reading
//! 4 KiB at random places that was most of the work of each request, so a
//! file stays open after its last session ends, up to a bounded number of
//! such idle files (mfschunkserver likewise keeps descriptors open). Past
//! the bound a file is closed as before. Every operation on a chunk goes
//! through its slot's one open file, so an idle file never goes stale.

use std::sync::atomic::{AtomicUsize, Ordering};

/// Chunk files open with no session on them, at most.
pub const IDLE_FILES_LIMIT: usize = 256;

/// How many idle files are open, against [`IDLE_FILES_LIMIT`].
#[derive(Debug, Default)]
pub struct IdleFiles {
    open: AtomicUsize,
}

impl IdleFiles {
    /// Takes a place for one more idle file; `false` when all are taken.
    pub fn admit(&self) -> bool {
        self.open
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < IDLE_FILES_LIMIT).then_some(n + 1)
            })
            .is_ok()
    }

    /// Gives a place back: the idle file was closed or is in use again.
    pub fn release(&self) {
        self.open.fetch_sub(1, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admits_up_to_the_limit_and_again_after_a_release() {
        let idle = IdleFiles::default();
        assert!((0..IDLE_FILES_LIMIT).all(|_| idle.admit()));
        assert!(!idle.admit());
        idle.release();
        assert!(idle.admit());
        assert!(!idle.admit());
    }
}
