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
