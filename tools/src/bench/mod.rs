//! `mooseng-bench`: the same workloads on two cluster configurations,
//! alternated run by run, reported side by side.

pub mod chart;
pub mod io;
pub mod memory;
pub mod metadata;
pub mod page;
pub mod report;
pub mod runner;
pub mod spec;
pub mod stats;

pub use report::{table, Figures};
pub use runner::{alternate, Workload};
pub use spec::ClusterSpec;
