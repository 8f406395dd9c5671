//! The `/health` and `/metrics` HTTP endpoint of every MooseNG daemon.
//!
//! - `GET /health` answers `200 ok` while the daemon's health check passes
//!   and `503` with the check's reason when it does not, for load balancers,
//!   orchestrators and humans with `curl`.
//! - `GET /metrics` answers the daemon's [`Registry`] in the OpenMetrics text
//!   format, for Prometheus. An optional refresh hook runs first, so gauges
//!   that mirror live state (space, chunk counts) are read fresh per scrape
//!   instead of being kept up to date on every change.
//!
//! Metrics themselves (counters, gauges, histograms, the registry and the
//! text encoding) come from `prometheus-client`, the Prometheus project's
//! own Rust client; their updates are single atomic operations, so
//! instrumenting a hot path costs next to nothing.
//!
//! # Why a hand-written HTTP responder
//!
//! The endpoint has two fixed `GET` routes and no request bodies, and it
//! sits inside storage daemons whose real work must not be disturbed by it.
//! A web framework (hyper, axum) would bring a large dependency tree, its
//! own connection handling and keep-alive, and a much larger surface for
//! what a hostile or broken peer can make us do. The responder in
//! [`serve`] is a few dozen lines whose whole behaviour can be read at
//! once and is bounded on every axis ([`Limits`]): the request head is
//! capped at a few KiB, each connection has one deadline for reading the
//! request and writing the answer, only a handful of connections are served
//! at once (further ones are closed unanswered), and every answer carries
//! `Connection: close`, so nothing lingers. Anything but the two routes gets
//! `404`, another method on them `405`.

pub mod charts;
mod endpoint;
mod http;
mod serve;

pub use endpoint::{Detail, Endpoint, HealthCheck, Refresh};
pub use http::Limits;
pub use prometheus_client;
pub use prometheus_client::registry::Registry;
pub use serve::serve;
