//! What the mount counts: FUSE operations, traffic with the master, bytes
//! read and written, cache hits and retries. One set of counters feeds both
//! the `.stats` file (in mfsmount's `name: value` format) and the
//! Prometheus `/metrics` endpoint, so the two never disagree.
//!
//! Counters are `prometheus-client` counters: one atomic add per event,
//! shared by every clone of [`Stats`].

use std::fmt::Write;
use std::sync::{Arc, Mutex, MutexGuard};

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

/// Prefix of every metric name.
pub const PREFIX: &str = "mooseng_mount";

/// FUSE operations counted, with mfsmount's names for them in `.stats`
/// (`fuse_ops.NAME`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FuseOp {
    Statfs,
    Access,
    Lookup,
    Getattr,
    Setattr,
    Mknod,
    Unlink,
    Mkdir,
    Rmdir,
    Symlink,
    Readlink,
    Rename,
    Link,
    Opendir,
    Readdir,
    Releasedir,
    Create,
    Open,
    Release,
    Read,
    Write,
    Flush,
    Fsync,
    Setlk,
    Getlk,
    Removexattr,
    Listxattr,
    Getxattr,
    Setxattr,
}

impl FuseOp {
    /// Every operation, in the order mfsmount 3.0.117 prints them.
    pub const ALL: [FuseOp; 29] = [
        FuseOp::Statfs,
        FuseOp::Access,
        FuseOp::Lookup,
        FuseOp::Getattr,
        FuseOp::Setattr,
        FuseOp::Mknod,
        FuseOp::Unlink,
        FuseOp::Mkdir,
        FuseOp::Rmdir,
        FuseOp::Symlink,
        FuseOp::Readlink,
        FuseOp::Rename,
        FuseOp::Link,
        FuseOp::Opendir,
        FuseOp::Readdir,
        FuseOp::Releasedir,
        FuseOp::Create,
        FuseOp::Open,
        FuseOp::Release,
        FuseOp::Read,
        FuseOp::Write,
        FuseOp::Flush,
        FuseOp::Fsync,
        FuseOp::Setlk,
        FuseOp::Getlk,
        FuseOp::Removexattr,
        FuseOp::Listxattr,
        FuseOp::Getxattr,
        FuseOp::Setxattr,
    ];

    pub fn name(self) -> &'static str {
        match self {
            FuseOp::Statfs => "statfs",
            FuseOp::Access => "access",
            FuseOp::Lookup => "lookup",
            FuseOp::Getattr => "getattr",
            FuseOp::Setattr => "setattr",
            FuseOp::Mknod => "mknod",
            FuseOp::Unlink => "unlink",
            FuseOp::Mkdir => "mkdir",
            FuseOp::Rmdir => "rmdir",
            FuseOp::Symlink => "symlink",
            FuseOp::Readlink => "readlink",
            FuseOp::Rename => "rename",
            FuseOp::Link => "link",
            FuseOp::Opendir => "opendir",
            FuseOp::Readdir => "readdir",
            FuseOp::Releasedir => "releasedir",
            FuseOp::Create => "create",
            FuseOp::Open => "open",
            FuseOp::Release => "release",
            FuseOp::Read => "read",
            FuseOp::Write => "write",
            FuseOp::Flush => "flush",
            FuseOp::Fsync => "fsync",
            FuseOp::Setlk => "setlk",
            FuseOp::Getlk => "getlk",
            FuseOp::Removexattr => "removexattr",
            FuseOp::Listxattr => "listxattr",
            FuseOp::Getxattr => "getxattr",
            FuseOp::Setxattr => "setxattr",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// The caches whose hits and misses are counted.
#[derive(Debug, Clone, Copy)]
pub enum Cache {
    /// The per-file read window and its read-ahead.
    ReadWindow,
    /// Chunk locations from READ_CHUNK, kept for a second.
    Location,
}

/// What is tried again after a failure.
#[derive(Debug, Clone, Copy)]
pub enum Retry {
    /// A master request sent again (lost connection, no answer in time).
    Master,
    /// A chunk read attempted again (another copy, a fresh location).
    ChunkRead,
    /// A chunk write attempted again with a fresh lease.
    ChunkWrite,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OpLabels {
    op: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CacheLabels {
    cache: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RetryLabels {
    what: &'static str,
}

/// A counter in a labelled family and the handle that bumps it.
fn member<L>(family: &Family<L, Counter>, labels: L) -> Counter
where
    L: Clone + std::hash::Hash + Eq,
{
    family.get_or_create(&labels).clone()
}

/// Every counter of the mount. Cloning shares the values.
#[derive(Debug, Clone)]
pub struct Stats {
    ops_family: Family<OpLabels, Counter>,
    ops: Vec<Counter>,
    pub master_packets_sent: Counter,
    pub master_packets_received: Counter,
    pub master_bytes_sent: Counter,
    pub master_bytes_received: Counter,
    pub master_reconnects: Counter,
    /// 1 while the connection to the master is up.
    pub master_connected: Gauge,
    /// Bytes handed to readers and taken from writers through FUSE.
    pub read_bytes: Counter,
    pub written_bytes: Counter,
    /// Bytes fetched from and sent to chunkservers.
    pub cs_read_bytes: Counter,
    pub cs_written_bytes: Counter,
    hits_family: Family<CacheLabels, Counter>,
    misses_family: Family<CacheLabels, Counter>,
    hits: [Counter; 2],
    misses: [Counter; 2],
    retries_family: Family<RetryLabels, Counter>,
    retries: [Counter; 3],
    /// Values of the `.stats` lines when it was last reset.
    baseline: Arc<Mutex<Vec<u64>>>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

const CACHE_NAMES: [&str; 2] = ["read_window", "location"];
const RETRY_NAMES: [&str; 3] = ["master", "chunk_read", "chunk_write"];

impl Default for Stats {
    fn default() -> Self {
        let ops_family = Family::default();
        let ops = FuseOp::ALL
            .iter()
            .map(|op| member(&ops_family, OpLabels { op: op.name() }))
            .collect();
        let (hits_family, misses_family) = (Family::default(), Family::default());
        let hits = CACHE_NAMES.map(|cache| member(&hits_family, CacheLabels { cache }));
        let misses = CACHE_NAMES.map(|cache| member(&misses_family, CacheLabels { cache }));
        let retries_family = Family::default();
        let retries = RETRY_NAMES.map(|what| member(&retries_family, RetryLabels { what }));
        Stats {
            ops_family,
            ops,
            master_packets_sent: Counter::default(),
            master_packets_received: Counter::default(),
            master_bytes_sent: Counter::default(),
            master_bytes_received: Counter::default(),
            master_reconnects: Counter::default(),
            master_connected: Gauge::default(),
            read_bytes: Counter::default(),
            written_bytes: Counter::default(),
            cs_read_bytes: Counter::default(),
            cs_written_bytes: Counter::default(),
            hits_family,
            misses_family,
            hits,
            misses,
            retries_family,
            retries,
            baseline: Arc::default(),
        }
    }
}

impl Stats {
    pub fn op(&self, op: FuseOp) {
        self.ops[op.index()].inc();
    }

    pub fn cache(&self, cache: Cache, hit: bool) {
        let counters = if hit { &self.hits } else { &self.misses };
        counters[cache as usize].inc();
    }

    pub fn retry(&self, what: Retry) {
        self.retries[what as usize].inc();
    }

    /// The `.stats` text: mfsmount's `name: value` lines (a group's line
    /// holds the sum of its members), mfsmount's names where it counts the
    /// same thing, then the counters only we keep; each counted since the
    /// last [`Stats::reset_shown`].
    pub fn render(&self) -> String {
        let baseline = lock(&self.baseline);
        let mut out = String::new();
        for (i, (name, value)) in self.lines().iter().enumerate() {
            let since = value.saturating_sub(baseline.get(i).copied().unwrap_or(0));
            // Writing to a String cannot fail.
            let _ = writeln!(out, "{name}: {since}");
        }
        out
    }

    /// Starts the `.stats` counts again from zero, as writing to mfsmount's
    /// `.stats` does. Only what `.stats` shows starts again: the
    /// Prometheus counters must never go down.
    pub fn reset_shown(&self) {
        *lock(&self.baseline) = self.lines().into_iter().map(|(_, v)| v).collect();
    }

    /// Every `.stats` line's name and total value, always in one order.
    fn lines(&self) -> Vec<(String, u64)> {
        let mut out = Vec::new();
        let mut line = |name: &str, value: u64| out.push((name.to_owned(), value));
        let ops: u64 = self.ops.iter().map(Counter::get).sum();
        line("fuse_ops", ops);
        for (op, counter) in FuseOp::ALL.iter().zip(&self.ops) {
            line(&format!("fuse_ops.{}", op.name()), counter.get());
        }
        line("master.reconnects", self.master_reconnects.get());
        line("master.bytes_sent", self.master_bytes_sent.get());
        line("master.bytes_received", self.master_bytes_received.get());
        line("master.packets_sent", self.master_packets_sent.get());
        line(
            "master.packets_received",
            self.master_packets_received.get(),
        );
        line("data.read_bytes", self.read_bytes.get());
        line("data.written_bytes", self.written_bytes.get());
        line("data.chunkservers.read_bytes", self.cs_read_bytes.get());
        line(
            "data.chunkservers.written_bytes",
            self.cs_written_bytes.get(),
        );
        for (i, cache) in CACHE_NAMES.iter().enumerate() {
            line(&format!("cache.{cache}.hits"), self.hits[i].get());
            line(&format!("cache.{cache}.misses"), self.misses[i].get());
        }
        let retries: u64 = self.retries.iter().map(Counter::get).sum();
        line("retries", retries);
        for (what, counter) in RETRY_NAMES.iter().zip(&self.retries) {
            line(&format!("retries.{what}"), counter.get());
        }
        out
    }

    pub fn register(&self, registry: &mut Registry) {
        let s = self.clone();
        registry.register(
            "fuse_ops",
            "FUSE operations served, by operation",
            s.ops_family,
        );
        registry.register(
            "master_packets_sent",
            "Packets sent to the master",
            s.master_packets_sent,
        );
        registry.register(
            "master_packets_received",
            "Packets received from the master",
            s.master_packets_received,
        );
        registry.register(
            "master_bytes_sent",
            "Bytes sent to the master",
            s.master_bytes_sent,
        );
        registry.register(
            "master_bytes_received",
            "Bytes received from the master",
            s.master_bytes_received,
        );
        registry.register(
            "master_reconnects",
            "Sessions resumed after a lost master connection",
            s.master_reconnects,
        );
        registry.register(
            "master_connected",
            "1 while the connection to the master is up",
            s.master_connected,
        );
        registry.register("read_bytes", "Bytes returned to FUSE reads", s.read_bytes);
        registry.register(
            "written_bytes",
            "Bytes taken from FUSE writes",
            s.written_bytes,
        );
        registry.register(
            "chunkserver_read_bytes",
            "Bytes fetched from chunkservers",
            s.cs_read_bytes,
        );
        registry.register(
            "chunkserver_written_bytes",
            "Bytes sent to chunkservers",
            s.cs_written_bytes,
        );
        registry.register("cache_hits", "Cache hits, by cache", s.hits_family);
        registry.register("cache_misses", "Cache misses, by cache", s.misses_family);
        registry.register(
            "retries",
            "Attempts repeated after a failure",
            s.retries_family,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_mfsmount_and_groups_sum_their_members() {
        assert_eq!(FuseOp::ALL.len(), FuseOp::Setxattr.index() + 1);
        for (i, op) in FuseOp::ALL.iter().enumerate() {
            assert_eq!(op.index(), i);
        }
        let stats = Stats::default();
        stats.op(FuseOp::Read);
        stats.op(FuseOp::Read);
        stats.op(FuseOp::Lookup);
        stats.retry(Retry::ChunkWrite);
        stats.cache(Cache::Location, true);
        let text = stats.render();
        assert!(
            text.starts_with("fuse_ops: 3\nfuse_ops.statfs: 0\n"),
            "{text}"
        );
        assert!(text.contains("\nfuse_ops.read: 2\n"), "{text}");
        assert!(text.contains("\ncache.location.hits: 1\n"), "{text}");
        assert!(text.contains("\nretries: 1\n"), "{text}");
        assert!(text.contains("\nretries.chunk_write: 1\n"), "{text}");
        assert!(text.lines().all(|l| l.split_once(": ").is_some()), "{text}");
    }

    #[test]
    fn a_reset_starts_the_file_again_but_not_the_metrics() {
        let stats = Stats::default();
        stats.op(FuseOp::Read);
        stats.reset_shown();
        assert!(stats.render().starts_with("fuse_ops: 0\n"));
        stats.op(FuseOp::Read);
        assert!(stats.render().contains("\nfuse_ops.read: 1\n"));
        assert_eq!(stats.ops[FuseOp::Read.index()].get(), 2);
    }

    #[test]
    fn metrics_share_the_counters() {
        let stats = Stats::default();
        let mut registry = Registry::with_prefix(PREFIX);
        stats.register(&mut registry);
        stats.op(FuseOp::Write);
        stats.written_bytes.inc_by(4096);
        stats.cache(Cache::ReadWindow, false);
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &registry).unwrap();
        assert!(
            text.contains("mooseng_mount_fuse_ops_total{op=\"write\"} 1\n"),
            "{text}"
        );
        assert!(
            text.contains("mooseng_mount_written_bytes_total 4096\n"),
            "{text}"
        );
        assert!(
            text.contains("mooseng_mount_cache_misses_total{cache=\"read_window\"} 1\n"),
            "{text}"
        );
    }
}
