//! The master's chart data, as `mfscli -SMC` reads it (CLTOAN_CHART_DATA):
//! once a minute the figures of the minute just over (CPU, memory, client
//! operations and traffic, chunkserver space, chunk operations) go into
//! the shared chart store (`mooseng_observe::charts`). The series and
//! their numbers are MooseFS 3.0.117's master charts.

use std::sync::atomic::{AtomicU64, Ordering};

use mooseng_observe::charts::{Join, Recorder};
use mooseng_wire::antocl::ChartData;

use crate::chunks::OpCounts;
use crate::session::{Op, OP_KINDS};
pub use mooseng_observe::charts::NO_DATA;

/// How many series the master keeps (MooseFS's `CHARTS`).
pub const SERIES: usize = 38;

/// Series numbers, as `mfscli` asks for them (`series * 10 + range`).
pub mod series {
    pub const UCPU: usize = 0;
    pub const SCPU: usize = 1;
    pub const DELETE_TRIES: usize = 2;
    pub const REPLICATE_TRIES: usize = 3;
    /// The first of the 16 client operations, in [`crate::session::Op`]
    /// order: statfs, getattr, ... read, write.
    pub const STATFS: usize = 4;
    pub const GETATTR: usize = 5;
    pub const MEMORY_RSS: usize = 20;
    /// Packets received and sent, bytes received and sent.
    pub const PACKETS_RECEIVED: usize = 21;
    pub const MEMORY_VIRT: usize = 25;
    pub const USED_SPACE: usize = 26;
    pub const TOTAL_SPACE: usize = 27;
    pub const CREATE_TRIES: usize = 28;
    pub const CHANGE_TRIES: usize = 29;
    /// Deletions, replications, creations and changes done, then failed,
    /// in pairs: delete ok, delete failed, replicate ok, ...
    pub const DELETE_OK: usize = 30;
}

/// Per series: memory and space keep their largest minute, the rest add.
const JOINS: [Join; SERIES] = {
    let mut joins = [Join::Add; SERIES];
    joins[series::MEMORY_RSS] = Join::Max;
    joins[series::MEMORY_VIRT] = Join::Max;
    joins[series::USED_SPACE] = Join::Max;
    joins[series::TOTAL_SPACE] = Join::Max;
    joins
};

/// What one minute adds up, counted as it happens.
#[derive(Debug)]
pub struct Charts {
    ops: [AtomicU64; OP_KINDS],
    /// Packets received, packets sent, bytes received, bytes sent.
    traffic: [AtomicU64; 4],
    recorder: Recorder<SERIES>,
}

impl Default for Charts {
    fn default() -> Self {
        Charts {
            ops: Default::default(),
            traffic: Default::default(),
            recorder: Recorder::new(
                JOINS,
                (series::UCPU, series::SCPU),
                (series::MEMORY_RSS, series::MEMORY_VIRT),
            ),
        }
    }
}

/// The figures of the process and its chunkservers, read once a minute.
#[derive(Debug, Clone, Copy, Default)]
pub struct Gauges {
    pub used_space: u64,
    pub total_space: u64,
}

impl Charts {
    /// A client operation of the kind `mfscli -SMO` counts per session.
    pub fn count(&self, op: Op) {
        self.ops[op as usize].fetch_add(1, Ordering::Relaxed);
    }

    /// A packet of `bytes` (header included) from a client.
    pub fn received(&self, bytes: u64) {
        self.traffic[0].fetch_add(1, Ordering::Relaxed);
        self.traffic[2].fetch_add(bytes, Ordering::Relaxed);
    }

    /// A packet of `bytes` (header included) to a client.
    pub fn sent(&self, bytes: u64) {
        self.traffic[1].fetch_add(1, Ordering::Relaxed);
        self.traffic[3].fetch_add(bytes, Ordering::Relaxed);
    }

    /// Ends the minute that started at `minute` (Unix seconds): its
    /// counts, the chunk operations `chunk_ops` gives and `gauges` go
    /// into the store, and the counts start again.
    pub fn close_minute(&self, minute: i64, chunk_ops: &OpCounts, gauges: Gauges) {
        let mut row = [NO_DATA; SERIES];
        for (i, count) in self.ops.iter().enumerate() {
            row[series::STATFS + i] = count.swap(0, Ordering::Relaxed);
        }
        for (i, count) in self.traffic.iter().enumerate() {
            row[series::PACKETS_RECEIVED + i] = count.swap(0, Ordering::Relaxed);
        }
        row[series::USED_SPACE] = gauges.used_space;
        row[series::TOTAL_SPACE] = gauges.total_space;
        let ops = chunk_ops.take();
        row[series::DELETE_TRIES] = ops.delete.tries;
        row[series::REPLICATE_TRIES] = ops.replicate.tries;
        row[series::CREATE_TRIES] = ops.create.tries;
        row[series::CHANGE_TRIES] = ops.change.tries;
        for (i, kind) in [ops.delete, ops.replicate, ops.create, ops.change]
            .iter()
            .enumerate()
        {
            row[series::DELETE_OK + 2 * i] = kind.done;
            row[series::DELETE_OK + 2 * i + 1] = kind.failed;
        }
        self.recorder.close(row, minute);
    }

    /// The answer to CLTOAN_CHART_DATA: empty for a chart there is none
    /// of (MooseFS's four-letter chart names included).
    pub fn answer(&self, chartid: u32, maxentries: Option<u32>) -> ChartData {
        ChartData::of(self.recorder.answer(chartid, maxentries))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_closed_minute_answers_its_counts_newest_first() {
        let charts = Charts::default();
        charts.count(Op::Getattr);
        charts.count(Op::Getattr);
        charts.received(20);
        charts.close_minute(6000, &OpCounts::default(), Gauges::default());
        charts.count(Op::Getattr);
        charts.close_minute(6060, &OpCounts::default(), Gauges::default());

        let getattr = (series::GETATTR * 10) as u32;
        let answer = charts.answer(getattr, Some(3)).series.unwrap();
        assert_eq!(answer.time, 6060);
        assert_eq!(answer.values.items, [1, 2, NO_DATA]);
        let bytes = (series::PACKETS_RECEIVED as u32 + 2) * 10;
        let answer = charts.answer(bytes, None).series.unwrap();
        assert_eq!(answer.values.items.len(), mooseng_observe::charts::LENGTH);
        assert_eq!(answer.values.items[..2], [0, 20]);
        assert!(charts.answer(SERIES as u32 * 10, None).series.is_none());
    }
}
