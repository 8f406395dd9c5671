//! `mooseng-conformance replay`: sends the client requests of a capture to
//! a server under test and compares its answers with the captured ones.
//!
//! [`script`] turns a capture into conversations and request/answer pairs,
//! [`run`] sends them over fresh connections ([`connection`]), rewriting
//! server-allocated ids on the way ([`rewrite`], [`ids`]), and each answer
//! is read ([`refine`], [`tree`]) and compared field by field
//! ([`compare`]) under the documented [`rules`]. [`outcome`] is the report.
//! [`chunkservers`] makes the target's chunkservers leave and rejoin where
//! the capture's did, and [`readiness`] waits for the starting state.
//! docs/conformance-replay.md describes the method and its limits.

pub mod chunkservers;
pub mod compare;
pub mod connection;
pub mod ids;
pub mod outcome;
pub mod readiness;
pub mod refine;
pub mod rewrite;
pub mod rules;
pub mod run;
pub mod script;
pub mod tree;

pub use outcome::Outcome;
pub use run::{replay, Options};
pub use script::{load, Script};
