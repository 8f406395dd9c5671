//! Closes the charts' minute on each whole minute, as mfsmaster does,
//! with the chunkservers' space as it stands then.

use mooseng_observe::charts::{minute_just_over, until_next_minute};

use super::admin::Space;
use super::Master;
use crate::charts::Gauges;

/// Closes a minute at every whole minute, forever.
pub async fn record_charts_forever(master: &Master) {
    loop {
        tokio::time::sleep(until_next_minute()).await;
        let space = Space::of(master);
        let gauges = Gauges {
            used_space: space.total.saturating_sub(space.free),
            total_space: space.total,
        };
        let minute = minute_just_over();
        master
            .charts
            .close_minute(minute, &master.chunks.op_counts, gauges);
    }
}
