//! The MooseNG metadata server.
//!
//! The namespace is a deterministic state machine: every change is a
//! [`namespace::Mutation`] applied in log order, so any master that applies
//! the same log holds the same tree. Client requests reach it through
//! [`server`] (TCP and framing), [`client`] (one handler per request) and
//! [`store::MetadataStore`] (the single path for changes).

pub mod allocator;
pub mod charts;
pub mod chunks;
pub mod client;
pub mod config;
pub mod cslink;
pub mod exports;
pub mod fscheck;
pub mod leadership;
pub mod locks;
pub mod meta;
pub mod metrics;
pub mod namespace;
pub mod raft;
pub mod server;
pub mod session;
pub mod store;
pub mod topology;
pub mod view;
