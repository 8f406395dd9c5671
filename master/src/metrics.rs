//! What the master counts and how it judges its own health, for the
//! `/metrics` and `/health` endpoint (`mooseng-observe`).
//!
//! Requests are counted and timed per message type where the client
//! channel dispatches them (one atomic add and one histogram observation
//! each). Gauges that mirror state the master already keeps (nodes, chunks
//! by health, sessions, chunkservers, the metadata log) are filled in by
//! [`refresh`] just before each scrape, so no handler maintains them. Every
//! name gets the `mooseng_master_` prefix; docs/observability.md lists them.

use std::sync::Arc;
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

use crate::chunks::HealthMatrix;
use crate::client::Master;

/// Prefix of every metric name.
pub const PREFIX: &str = "mooseng_master";

/// The label of per-request metrics: the message's MooseFS name.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    pub request: &'static str,
}

/// The label of chunk counts: `ok`, `undergoal`, `overgoal` or `missing`.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct HealthLabels {
    pub health: &'static str,
}

type HistogramFamily = Family<RequestLabels, Histogram, fn() -> Histogram>;

/// Every metric of the master. Cloning shares the values.
#[derive(Debug, Clone)]
pub struct Metrics {
    pub requests: Family<RequestLabels, Counter>,
    pub request_seconds: HistogramFamily,
    pub bad_connections: Counter,
    pub nodes: Gauge,
    pub chunks: Family<HealthLabels, Gauge>,
    pub sessions: Gauge,
    pub chunkservers: Gauge,
    pub log_last_index: Gauge,
    pub log_entries_since_snapshot: Gauge,
    pub log_apply_lag: Gauge,
}

/// 50 µs to about 13 s, doubling: a lookup answered from memory at the
/// bottom, a request waiting for chunkservers at the top.
fn request_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.000_05, 2.0, 19))
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics {
            requests: Family::default(),
            request_seconds: Family::new_with_constructor(request_histogram),
            bad_connections: Counter::default(),
            nodes: Gauge::default(),
            chunks: Family::default(),
            sessions: Gauge::default(),
            chunkservers: Gauge::default(),
            log_last_index: Gauge::default(),
            log_entries_since_snapshot: Gauge::default(),
            log_apply_lag: Gauge::default(),
        }
    }
}

impl Metrics {
    /// One client request of type `request` was answered (or dropped) after
    /// `took`.
    pub fn request_done(&self, request: &'static str, took: Duration) {
        let labels = RequestLabels { request };
        self.requests.get_or_create(&labels).inc();
        self.request_seconds
            .get_or_create(&labels)
            .observe(took.as_secs_f64());
    }

    /// A client connection was closed for a malformed or oversized frame.
    pub fn bad_connection(&self) {
        self.bad_connections.inc();
    }

    pub fn register(&self, registry: &mut Registry) {
        let m = self.clone();
        registry.register(
            "requests",
            "Client requests answered, by message type",
            m.requests,
        );
        registry.register(
            "request_seconds",
            "Time from a client request's arrival until its answer is ready",
            m.request_seconds,
        );
        registry.register(
            "bad_connections",
            "Client connections closed for a malformed or oversized packet",
            m.bad_connections,
        );
        registry.register("nodes", "Inodes in the namespace", m.nodes);
        registry.register(
            "chunks",
            "Chunks by health: ok, undergoal, overgoal, missing (no valid copy)",
            m.chunks,
        );
        registry.register("sessions", "Open client sessions", m.sessions);
        registry.register("chunkservers", "Chunkservers connected", m.chunkservers);
        registry.register(
            "log_last_index",
            "Index of the newest durable metadata log entry",
            m.log_last_index,
        );
        registry.register(
            "log_entries_since_snapshot",
            "Log entries a restart would replay after the newest snapshot",
            m.log_entries_since_snapshot,
        );
        registry.register(
            "log_apply_lag",
            "Changes submitted but not yet durable and applied",
            m.log_apply_lag,
        );
    }
}

/// Fills the gauges from the master's live state. Runs on a blocking
/// thread (see `mooseng_observe::Refresh`).
pub fn refresh(master: &Master) {
    let m = &master.metrics;
    m.nodes
        .set(gauge_value(master.store.read_blocking().node_count()));
    for (health, count) in chunk_health(&master.chunks.matrix()) {
        m.chunks
            .get_or_create(&HealthLabels { health })
            .set(gauge_value(count));
    }
    m.sessions.set(gauge_value(master.sessions.count()));
    m.chunkservers
        .set(gauge_value(master.chunks.servers().len()));
    let log = master.store.log_stats();
    m.log_last_index.set(gauge_value(log.last_index()));
    m.log_entries_since_snapshot
        .set(gauge_value(log.since_snapshot()));
    m.log_apply_lag.set(gauge_value(log.apply_lag()));
}

/// Healthy while the metadata log accepts changes and the group has a
/// leader: after a failed log write the master refuses every change, and
/// during an election nobody serves, which a load balancer must know. A
/// follower is a healthy member (it replicates and redirects); its role
/// is in the body, see [`role`].
pub fn health(master: &Arc<Master>) -> Result<(), String> {
    if master.store.log_stats().is_broken() {
        return Err("the metadata log cannot be written; changes are refused".into());
    }
    if master.store.redirect() == Some(std::net::Ipv4Addr::UNSPECIFIED) {
        return Err("no leader known: an election is under way".into());
    }
    Ok(())
}

/// `role=leader`, or `role=follower leader=IP`, for the `/health` body.
pub fn role(master: &Arc<Master>) -> String {
    match master.store.redirect() {
        None => "role=leader".to_owned(),
        Some(leader) => format!("role=follower leader={leader}"),
    }
}

/// Chunks by health from the matrix of regular valid copies: as many
/// copies as the goal is `ok`, fewer `undergoal`, none at all `missing`,
/// more `overgoal`. Goal 0 (chunks of deleted files) counts as `ok`.
fn chunk_health(matrix: &HealthMatrix) -> [(&'static str, usize); 4] {
    let (mut ok, mut under, mut over, mut missing) = (0, 0, 0, 0);
    for (goal, row) in matrix.regular.0.iter().enumerate() {
        for (copies, &count) in row.iter().enumerate() {
            let count = count as usize;
            match copies {
                _ if goal == 0 || copies == goal => ok += count,
                0 => missing += count,
                _ if copies < goal => under += count,
                _ => over += count,
            }
        }
    }
    [
        ("ok", ok),
        ("undergoal", under),
        ("overgoal", over),
        ("missing", missing),
    ]
}

fn gauge_value(value: impl TryInto<i64>) -> i64 {
    value.try_into().unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use mooseng_wire::info_master::ChunkMatrix;

    use super::*;

    #[test]
    fn chunk_health_sorts_the_matrix_cells() {
        let mut regular = ChunkMatrix::default();
        regular.0[2][2] = 5;
        regular.0[2][1] = 3;
        regular.0[3][0] = 2;
        regular.0[1][2] = 1;
        regular.0[0][0] = 7;
        let matrix = HealthMatrix {
            all: ChunkMatrix::default(),
            regular,
        };
        assert_eq!(
            chunk_health(&matrix),
            [
                ("ok", 12),
                ("undergoal", 3),
                ("overgoal", 1),
                ("missing", 2)
            ]
        );
    }
}
