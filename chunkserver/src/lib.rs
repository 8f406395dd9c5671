//! MooseNG chunk server.
//!
//! For now this crate holds the on-disk side only: [`chunk_file`] reads and
//! writes chunk files in the exact format of MooseFS 3.0.117, so a data
//! folder can move between a MooseFS chunk server and a MooseNG one.

pub mod chunk_file;
