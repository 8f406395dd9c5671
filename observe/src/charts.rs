//! What `mfscli -SMC` and `-SCC` read of a daemon (CLTOAN_CHART_DATA):
//! once a minute the daemon's figures of the minute just over go into a
//! [`Store`] that keeps them per minute, 6 minutes, 30 minutes and day,
//! as MooseFS's `charts.c` keeps its own. Which series a daemon has is
//! its own business; the store, the process's CPU and memory and the
//! minute's clock are shared.

mod process;
mod store;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

pub use process::{memory, CpuClock};
pub use store::{Join, Store, LENGTH, NO_DATA};

/// Points answered when a request names no count, or too many.
pub const MAX_ENTRIES: u32 = LENGTH as u32;

/// The series and resolution a chart id names (`series * 10 + range`;
/// MooseFS's four-letter names are not served).
pub fn chart_of(chartid: u32) -> (usize, usize) {
    ((chartid / 10) as usize, (chartid % 10) as usize)
}

/// The minute (Unix seconds of its start) that ended at the last whole
/// minute, as a daemon woken on the minute names it; a wake-up a little
/// early still names the minute just ending.
pub fn minute_just_over() -> i64 {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    (now + 30).div_euclid(60) * 60 - 60
}

/// How long until the next whole minute, when MooseFS closes its minutes.
pub fn until_next_minute() -> Duration {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    Duration::from_secs(60) - Duration::from_nanos((now.as_nanos() % 60_000_000_000) as u64)
}

/// A daemon's chart store with its CPU clock: the shared half of what a
/// daemon keeps for `mfscli`, the daemon adding the counts of its own.
#[derive(Debug)]
pub struct Recorder<const N: usize> {
    cpu: std::sync::Mutex<CpuClock>,
    store: std::sync::Mutex<Store<N>>,
    /// The series of user and system CPU, and of resident and virtual
    /// memory.
    cpu_series: (usize, usize),
    memory_series: (usize, usize),
}

impl<const N: usize> Recorder<N> {
    pub fn new(
        joins: [Join; N],
        cpu_series: (usize, usize),
        memory_series: (usize, usize),
    ) -> Self {
        Recorder {
            cpu: std::sync::Mutex::default(),
            store: std::sync::Mutex::new(Store::new(joins)),
            cpu_series,
            memory_series,
        }
    }

    /// Records `row` as the minute starting at `minute`, with the
    /// process's CPU and memory filled in ([`NO_DATA`] when unreadable).
    pub fn close(&self, mut row: [u64; N], minute: i64) {
        let cpu = lock(&self.cpu).per_minute().unwrap_or((NO_DATA, NO_DATA));
        (row[self.cpu_series.0], row[self.cpu_series.1]) = cpu;
        let memory = memory().unwrap_or((NO_DATA, NO_DATA));
        (row[self.memory_series.0], row[self.memory_series.1]) = memory;
        lock(&self.store).add(&row, minute);
    }

    /// What CLTOAN_CHART_DATA for `chartid` answers: the start of the
    /// newest point and the points; `None` for a chart there is none of.
    pub fn answer(&self, chartid: u32, maxentries: Option<u32>) -> Option<(u32, Vec<u64>)> {
        let entries = maxentries.unwrap_or(MAX_ENTRIES).min(MAX_ENTRIES) as usize;
        let (series, range) = chart_of(chartid);
        lock(&self.store).points(series, range, entries)
    }
}

fn lock<T>(mutex: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}
