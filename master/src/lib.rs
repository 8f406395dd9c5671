//! The MooseNG metadata server.
//!
//! The namespace is a deterministic state machine: every change is a
//! [`namespace::Mutation`] applied in log order, so any master that applies
//! the same log holds the same tree.

pub mod chunks;
pub mod cslink;
pub mod exports;
pub mod namespace;
