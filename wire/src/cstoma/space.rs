//! How a chunkserver reports its disk space (`CSTOMA_SPACE` and the
//! register packets that carry the same numbers).

use bytes::BytesMut;

use crate::codec::{malformed, Ctx, Parsed, Wire};
use crate::records;

records! {
    /// `usedspace:64 totalspace:64 chunks:32 tdusedspace:64 tdtotalspace:64
    /// tdchunks:32` — totals over all disks, then over disks marked for removal.
    DiskUsage {
        used: u64,
        total: u64,
        chunks: u32,
        todel_used: u64,
        todel_total: u64,
        todel_chunks: u32,
    }

    /// `usedspace:64 totalspace:64`
    PlainSpace { used: u64, total: u64 }

    /// `usedspace:64 totalspace:64 tdusedspace:64 tdtotalspace:64`
    SpaceWithTodel { used: u64, total: u64, todel_used: u64, todel_total: u64 }
}

/// The three lengths of `CSTOMA_SPACE`; the master tells them apart by the
/// payload length (16, 32 or 40 bytes), and so do we.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(test, derive(proptest_derive::Arbitrary))]
pub enum SpaceReport {
    /// 16 bytes: chunkservers before 1.5.
    Plain(PlainSpace),
    /// 32 bytes: adds the space on disks marked for removal.
    WithTodel(SpaceWithTodel),
    /// 40 bytes: adds chunk counts; what 3.0.117 sends.
    Full(DiskUsage),
}

impl Wire for SpaceReport {
    fn decode(input: &[u8], ctx: Ctx) -> Parsed<'_, Self> {
        match input.len() {
            16 => PlainSpace::decode(input, ctx).map(|(r, v)| (r, SpaceReport::Plain(v))),
            32 => SpaceWithTodel::decode(input, ctx).map(|(r, v)| (r, SpaceReport::WithTodel(v))),
            40 => DiskUsage::decode(input, ctx).map(|(r, v)| (r, SpaceReport::Full(v))),
            _ => Err(malformed(input)),
        }
    }

    fn encode(&self, out: &mut BytesMut) {
        match self {
            SpaceReport::Plain(space) => space.encode(out),
            SpaceReport::WithTodel(space) => space.encode(out),
            SpaceReport::Full(space) => space.encode(out),
        }
    }
}
