//! Closes the charts' minute on each whole minute, as mfsmaster does,
//! with the chunkservers' space as it stands then.

use super::admin::Space;
use super::Master;
use crate::charts::{unix_now, until_next_minute, Gauges};

/// Closes a minute at every whole minute, forever.
pub async fn record_charts_forever(master: &Master) {
    loop {
        tokio::time::sleep(until_next_minute()).await;
        let space = Space::of(master);
        let gauges = Gauges {
            used_space: space.total.saturating_sub(space.free),
            total_space: space.total,
        };
        // The minute just over: a sleep that ended a little early still
        // names it, as the next whole minute is at most 60 s away.
        let minute = (unix_now() + 30).div_euclid(60) * 60 - 60;
        master
            .charts
            .close_minute(minute, &master.chunks.op_counts, gauges);
    }
}
