//! What the master knows about each connected chunkserver (soft state).

use std::net::SocketAddrV4;

use mooseng_wire::cstoma::{DiskUsage, SpaceReport};
use mooseng_wire::Version;

/// The id the master gives a chunkserver (MooseFS's `csid`); the
/// chunkserver sends it back when it registers again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ServerId(pub u16);

/// Space as the chunkserver last reported it, in bytes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Usage {
    pub used: u64,
    pub total: u64,
    pub chunks: u32,
    /// The same figures for disks marked for removal.
    pub todel_used: u64,
    pub todel_total: u64,
    pub todel_chunks: u32,
}

impl Usage {
    pub fn free(&self) -> u64 {
        self.total.saturating_sub(self.used)
    }

    /// The share of the space in use, 0.0 to 1.0: what rebalancing evens
    /// out and what the surplus-copy trim deletes by, as MooseFS's
    /// `matocsserv_get_usage`. A server without space reads as full.
    pub fn ratio(&self) -> f64 {
        if self.total == 0 {
            1.0
        } else {
            self.used as f64 / self.total as f64
        }
    }
}

impl From<DiskUsage> for Usage {
    fn from(d: DiskUsage) -> Self {
        Usage {
            used: d.used,
            total: d.total,
            chunks: d.chunks,
            todel_used: d.todel_used,
            todel_total: d.todel_total,
            todel_chunks: d.todel_chunks,
        }
    }
}

impl From<SpaceReport> for Usage {
    fn from(report: SpaceReport) -> Self {
        match report {
            SpaceReport::Plain(s) => Usage {
                used: s.used,
                total: s.total,
                ..Usage::default()
            },
            SpaceReport::WithTodel(s) => Usage {
                used: s.used,
                total: s.total,
                todel_used: s.todel_used,
                todel_total: s.todel_total,
                ..Usage::default()
            },
            SpaceReport::Full(d) => d.into(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Server {
    /// Where clients and other chunkservers reach it.
    pub addr: SocketAddrV4,
    pub version: Version,
    pub usage: Usage,
    /// `CSTOMA_CURRENT_LOAD`: operations in its queue.
    pub load: u32,
    pub hlstatus: u8,
    /// Bit n set for label `'A' + n`.
    pub labels: u32,
    /// Disk errors reported with `CSTOMA_ERROR_OCCURRED`.
    pub errors: u32,
    /// Set when its registration finished (END packet): from then on its
    /// chunk list is complete.
    pub registered: bool,
    /// Replications it is receiving now.
    pub incoming: u32,
    /// Deletions ordered and not answered yet.
    pub deleting: u32,
}

impl Server {
    pub fn new(addr: SocketAddrV4, version: Version, usage: Usage) -> Self {
        Server {
            addr,
            version,
            usage,
            load: 0,
            hlstatus: 0,
            labels: 0,
            errors: 0,
            registered: false,
            incoming: 0,
            deleting: 0,
        }
    }
}
