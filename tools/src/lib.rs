//! `mooseng-cluster`: a local MooseFS-protocol cluster on one machine, each
//! role played by MooseFS's program or MooseNG's, for testing the two
//! against each other.
//!
//! Every daemon gets its own network namespace on a private bridge (MooseFS
//! will not use a loopback master address); mounts run on the host. What is
//! created is recorded in a state file so `down` removes exactly that.

pub mod bench;
pub mod cluster;
pub mod command;
pub mod config;
pub mod error;
pub mod hosts;
pub mod launch;
pub mod layout;
pub mod member;
pub mod mounts;
pub mod net;
pub mod payload;
pub mod process;
pub mod readiness;
pub mod report;
pub mod role;
pub mod state;
pub mod subnet;

pub use cluster::{down, status, up, up_group, up_with, UpOptions};
pub use error::Error;
pub use layout::Layout;
pub use role::{Flavor, Role};
pub use state::State;
pub use subnet::Subnet;
