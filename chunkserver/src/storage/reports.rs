//! What the master must hear about without asking: damaged and lost
//! chunks, and disk errors. The storage side queues them; the master link
//! sends them once registered.

use std::sync::Mutex;

/// Pending reports, taken as a whole by [`Reports::take`].
#[derive(Debug, Default)]
pub struct Reports {
    inner: Mutex<Pending>,
}

/// One batch of reports.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Pending {
    /// Chunks whose data failed a CRC check or whose file is unreadable.
    pub damaged: Vec<u64>,
    /// Chunks that vanished (their folder was taken out of service).
    pub lost: Vec<u64>,
    /// Disk I/O errors, each sent as one `CSTOMA_ERROR_OCCURRED`.
    pub errors: u32,
}

impl Reports {
    pub fn damaged(&self, chunkid: u64) {
        let mut pending = self.lock();
        if !pending.damaged.contains(&chunkid) {
            pending.damaged.push(chunkid);
        }
    }

    pub fn lost(&self, chunkids: impl IntoIterator<Item = u64>) {
        self.lock().lost.extend(chunkids);
    }

    pub fn error(&self) {
        self.lock().errors += 1;
    }

    /// Everything queued so far, leaving the queue empty.
    pub fn take(&self) -> Pending {
        std::mem::take(&mut *self.lock())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Pending> {
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}
