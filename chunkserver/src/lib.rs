//! MooseNG chunk server: a drop-in replacement for MooseFS 3.0.117's
//! `mfschunkserver`.
//!
//! - [`chunk_file`] reads and writes chunk files in the exact format of
//!   MooseFS 3.0.117, so a data folder can move between the two servers.
//! - [`storage`] keeps the chunks of several data folders.
//! - [`master`] registers with the master on port 9420 and carries out
//!   its orders.
//! - [`service`] serves clients and other chunkservers on port 9422.
//! - [`replicate`] copies a chunk from another chunkserver.
//! - [`scrub`] checks every chunk's CRCs in the background.
//! - [`metrics`] counts what happens, for `/metrics` and `/health`.

pub mod charts;
pub mod chunk_file;
pub mod config;
pub mod daemon;
pub mod master;
pub mod metrics;
pub mod net;
pub mod replicate;
pub mod scrub;
pub mod service;
pub mod storage;
