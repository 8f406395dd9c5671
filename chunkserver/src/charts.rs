//! The chunkserver's chart data, as `mfscli -SCC` reads it
//! (CLTOAN_CHART_DATA on port 9422): the series of 3.0.117's chunkserver
//! charts, counted as the work happens and closed on each whole minute
//! into the shared chart store (`mooseng_observe::charts`).
//!
//! Counted: CPU and memory; bytes to and from the master, the replicator
//! and the client service; data bytes and reads and writes of chunk
//! files and their time; client reads and writes; replications and the
//! master's chunk orders. Not counted, so shown as no data: the chunk
//! headers' own reads and writes (ours are read with the data), the
//! server's load and moves between folders (we make none).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use mooseng_observe::charts::{Join, Recorder, NO_DATA};
use mooseng_wire::antocl::ChartData;

/// How many series a chunkserver keeps (MooseFS's `CHARTS`).
pub const SERIES: usize = 34;

/// Series numbers, as `mfscli` asks for them (`series * 10 + range`).
pub mod series {
    pub const UCPU: usize = 0;
    pub const SCPU: usize = 1;
    pub const MASTER_IN: usize = 2;
    pub const MASTER_OUT: usize = 3;
    pub const REPLICATION_IN: usize = 4;
    pub const REPLICATION_OUT: usize = 5;
    pub const SERVICE_IN: usize = 6;
    pub const SERVICE_OUT: usize = 7;
    pub const HEADER_BYTES_READ: usize = 8;
    pub const HEADER_BYTES_WRITTEN: usize = 9;
    pub const HEADER_READS: usize = 10;
    pub const HEADER_WRITES: usize = 11;
    pub const DATA_BYTES_READ: usize = 12;
    pub const DATA_BYTES_WRITTEN: usize = 13;
    pub const DATA_READS: usize = 14;
    pub const DATA_WRITES: usize = 15;
    pub const CLIENT_READS: usize = 16;
    pub const CLIENT_WRITES: usize = 17;
    /// Microseconds spent reading and writing chunk files.
    pub const READ_TIME: usize = 18;
    pub const WRITE_TIME: usize = 19;
    pub const REPLICATIONS: usize = 20;
    pub const CREATE: usize = 21;
    pub const DELETE: usize = 22;
    pub const VERSION: usize = 23;
    pub const DUPLICATE: usize = 24;
    pub const TRUNCATE: usize = 25;
    pub const DUPTRUNC: usize = 26;
    pub const TEST: usize = 27;
    pub const LOAD: usize = 28;
    pub const MEMORY_RSS: usize = 29;
    pub const MEMORY_VIRT: usize = 30;
    pub const MOVES_LOW: usize = 31;
    pub const MOVES_HIGH: usize = 32;
    /// Version changes, duplicates and truncations together.
    pub const CHANGE: usize = 33;
}

/// Memory and load keep their largest minute, the rest add up.
const JOINS: [Join; SERIES] = {
    let mut joins = [Join::Add; SERIES];
    joins[series::LOAD] = Join::Max;
    joins[series::MEMORY_RSS] = Join::Max;
    joins[series::MEMORY_VIRT] = Join::Max;
    joins
};

/// The series nothing here measures.
const UNMEASURED: [usize; 7] = [
    series::HEADER_BYTES_READ,
    series::HEADER_BYTES_WRITTEN,
    series::HEADER_READS,
    series::HEADER_WRITES,
    series::LOAD,
    series::MOVES_LOW,
    series::MOVES_HIGH,
];

/// What one minute adds up, counted as it happens.
#[derive(Debug)]
pub struct Charts {
    counts: [Arc<AtomicU64>; SERIES],
    recorder: Recorder<SERIES>,
}

impl Default for Charts {
    fn default() -> Self {
        Charts {
            counts: std::array::from_fn(|_| Arc::default()),
            recorder: Recorder::new(
                JOINS,
                (series::UCPU, series::SCPU),
                (series::MEMORY_RSS, series::MEMORY_VIRT),
            ),
        }
    }
}

impl Charts {
    /// Adds `amount` to this minute's `series`.
    pub fn add(&self, series: usize, amount: u64) {
        if let Some(count) = self.counts.get(series) {
            count.fetch_add(amount, Ordering::Relaxed);
        }
    }

    /// The counter of `series`, for a connection to add its bytes to.
    pub fn counter(&self, series: usize) -> Arc<AtomicU64> {
        Arc::clone(&self.counts[series])
    }

    /// Time spent on one chunk file read or write.
    pub fn took(&self, series: usize, took: Duration) {
        self.add(series, took.as_micros() as u64);
    }

    /// Ends the minute that started at `minute` (Unix seconds).
    pub fn close_minute(&self, minute: i64) {
        let mut row: [u64; SERIES] =
            std::array::from_fn(|series| self.counts[series].swap(0, Ordering::Relaxed));
        for series in UNMEASURED {
            row[series] = NO_DATA;
        }
        let changes = [
            series::VERSION,
            series::DUPLICATE,
            series::TRUNCATE,
            series::DUPTRUNC,
        ];
        row[series::CHANGE] = changes.iter().map(|s| row[*s]).sum();
        self.recorder.close(row, minute);
    }

    /// The answer to CLTOAN_CHART_DATA: empty for a chart there is none of.
    pub fn answer(&self, chartid: u32, maxentries: Option<u32>) -> ChartData {
        ChartData::of(self.recorder.answer(chartid, maxentries))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_minute_counts_and_the_unmeasured_have_no_data() {
        let charts = Charts::default();
        charts.add(series::DATA_BYTES_READ, 65_536);
        charts
            .counter(series::SERVICE_OUT)
            .fetch_add(70_000, Ordering::Relaxed);
        charts.add(series::VERSION, 2);
        charts.add(series::TRUNCATE, 1);
        charts.close_minute(600);
        let points = |series: usize| {
            let chart = (series * 10) as u32;
            charts.answer(chart, Some(2)).series.unwrap().values.items
        };
        assert_eq!(points(series::DATA_BYTES_READ), [65_536, NO_DATA]);
        assert_eq!(points(series::SERVICE_OUT), [70_000, NO_DATA]);
        assert_eq!(points(series::CHANGE)[0], 3);
        assert_eq!(points(series::LOAD)[0], NO_DATA);
        assert!(points(series::MEMORY_RSS)[0] > 0);
        assert!(charts.answer(SERIES as u32 * 10, None).series.is_none());
    }
}
