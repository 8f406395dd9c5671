//! `mooseng-mount`: a FUSE client for MooseFS 3.0.117 masters that replaces
//! `mfsmount` for everyday use.

pub mod convert;
pub mod daemon;
pub mod data;
pub mod error;
pub mod frame_io;
pub mod fs;
pub mod geometry;
pub mod helper;
pub mod master;
pub mod meta;
pub mod metrics;
pub mod options;
pub mod stats;
pub mod syslog;
