//! Answers of any MooseFS server to the `CLTOAN_*` requests of
//! [`crate::cltoan`]. The master and chunkservers share the codes but not
//! every layout: `ANTOCL_MONOTONIC_DATA` of a chunkserver adds its disks.

use std::net::Ipv4Addr;

use crate::codec::{Counted, Tail};
use crate::cs_info::DiskCounters;
use crate::variants::{LeadingMsgid, Sized16};
use crate::version::Version;
use crate::{messages, records};

/// `module_type` values of `ANTOCL_MODULE_INFO`.
pub mod module_type {
    pub const MASTER: u8 = 1;
    pub const CHUNKSERVER: u8 = 2;
}

records! {
    /// `time:32 entries:32 N*[ data:64 ]` — the newest `entries` samples,
    /// the last one taken at `time`.
    ChartSeries { time: u32, values: Counted<u32, u64> }
}

messages! {
    /// `N:16 N * [ data:64 ]` (master)
    MonotonicData = 503 ANTOCL_MONOTONIC_DATA { values: Counted<u16, u64> }

    /// `N:16 N * [ data:64 ] M:16 M * [ entrysize:16 path:NAME flags:8 errchunkid:64 errtime:32 used:64 total:64 chunkscount:32 bytesread:64 byteswritten:64 usecread:64 usecwrite:64 usecfsync:64 readops:32 writeops:32 fsyncops:32 usecreadmax:32 usecwritemax:32 usecfsyncmax:32 ]` (chunkserver)
    CsMonotonicData = 503 ANTOCL_MONOTONIC_DATA {
        values: Counted<u16, u64>,
        disks: Counted<u16, Sized16<DiskCounters>>,
    }

    /// `chart:PNG` — empty for an unknown chart.
    Chart = 505 ANTOCL_CHART { png: Tail }

    /// `time:32 entries:32 N*[ data:64 ]` (version >= 2.0.15) — empty for an unknown chart.
    ChartData = 507 ANTOCL_CHART_DATA { series: Option<ChartSeries> }

    /// `[ msgid:32 ] module_type:8 module_version:32 module_id:16 meta_id:64 leader_ip:32 leader_port:16` — msgid iff the request had one (25 bytes instead of 21).
    ModuleInfo = 531 ANTOCL_MODULE_INFO {
        msgid: LeadingMsgid<21>,
        module_type: u8,
        version: Version,
        /// The chunkserver's csid; 0 from the master.
        module_id: u16,
        meta_id: u64,
        /// The master a chunkserver is connected to; 0 from the master.
        leader_ip: Ipv4Addr,
        leader_port: u16,
    }
}

impl ChartData {
    /// The answer for a chart's newest samples and the time of the last
    /// one, as a chart store gives them; `None` for a chart there is none
    /// of.
    pub fn of(series: Option<(u32, Vec<u64>)>) -> Self {
        ChartData {
            series: series.map(|(time, values)| ChartSeries {
                time,
                values: Counted::new(values),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::Ctx;
    use crate::message::decode_payload;

    #[test]
    fn module_info_msgid_follows_the_size() {
        let mut bytes = vec![module_type::MASTER, 0, 3, 0, 0xEA, 0, 0];
        bytes.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 42, 0, 0, 0, 0, 0, 0]);
        let plain: ModuleInfo = decode_payload(&bytes, Ctx::default()).unwrap();
        assert_eq!((plain.msgid.0, plain.meta_id), (None, 42));
        assert_eq!(plain.version, Version::MOOSEFS_3_0_117);
        let mut with = vec![0, 0, 0, 5];
        with.extend_from_slice(&bytes);
        let tagged: ModuleInfo = decode_payload(&with, Ctx::default()).unwrap();
        assert_eq!((tagged.msgid.0, tagged.meta_id), (Some(5), 42));
    }

    #[test]
    fn chart_data_is_empty_for_an_unknown_chart() {
        let none: ChartData = decode_payload(&[], Ctx::default()).unwrap();
        assert_eq!(none.series, None);
        let one: ChartData = decode_payload(
            &[0, 0, 0, 9, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 3],
            Ctx::default(),
        )
        .unwrap();
        let series = one.series.unwrap();
        assert_eq!((series.time, series.values.items.clone()), (9, vec![3]));
    }
}
