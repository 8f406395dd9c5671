//! The link to the master on port 9420: registration, reports, and the
//! master's orders.

pub mod commands;
pub mod link;
pub mod register;

use mooseng_wire::cstoma::{ChunkVersion, DiskUsage};

use crate::storage::Store;

pub use link::{LinkConfig, MasterLink};

impl register::Inventory for Store {
    fn chunk_list(&self) -> Vec<ChunkVersion> {
        Store::chunk_list(self)
    }

    fn usage(&self) -> DiskUsage {
        Store::usage(self)
    }
}
