//! What the chunkserver counts and how it judges its own health, for the
//! `/metrics` and `/health` endpoint (`mooseng-observe`).
//!
//! Counters and histograms are updated where the work happens (each is one
//! atomic operation, or a few for a histogram); gauges that mirror state
//! the store already keeps (chunks and space per folder) are filled in by
//! [`refresh`] just before each scrape, so nothing on the data path has to
//! maintain them. Every name gets the `mooseng_chunkserver_` prefix;
//! docs/observability.md lists them all.

use std::sync::Arc;
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

use crate::charts::{series, Charts};
use crate::storage::Store;

/// Prefix of every metric name.
pub const PREFIX: &str = "mooseng_chunkserver";

/// The label of per-folder metrics: the folder as `mfshdd.cfg` names it.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct FolderLabels {
    pub folder: String,
}

/// The label of replication outcomes: `ok` or `failed`.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OutcomeLabels {
    pub result: &'static str,
}

/// Every metric of the chunkserver. Cloning shares the values.
#[derive(Debug, Clone)]
pub struct Metrics {
    pub read_bytes: Counter,
    pub read_ops: Counter,
    pub read_seconds: Histogram,
    pub write_bytes: Counter,
    pub write_ops: Counter,
    pub write_seconds: Histogram,
    pub crc_errors: Counter,
    pub io_errors: Counter,
    pub replications: Family<OutcomeLabels, Counter>,
    pub scrub_chunks: Counter,
    pub scrub_bytes: Counter,
    pub scrub_damaged: Counter,
    pub scrub_passes: Counter,
    pub master_connected: Gauge,
    pub master_registered: Gauge,
    pub folder_chunks: Family<FolderLabels, Gauge>,
    pub folder_used_bytes: Family<FolderLabels, Gauge>,
    pub folder_total_bytes: Family<FolderLabels, Gauge>,
    pub folder_failed: Family<FolderLabels, Gauge>,
    /// The same work per minute, for `mfscli -SCC`.
    pub charts: Arc<Charts>,
}

/// Latency buckets for one block piece of disk work: 20 µs to about 0.5 s,
/// each 2.5 times the last.
fn latency() -> Histogram {
    Histogram::new(exponential_buckets(0.000_02, 2.5, 12))
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics {
            read_bytes: Counter::default(),
            read_ops: Counter::default(),
            read_seconds: latency(),
            write_bytes: Counter::default(),
            write_ops: Counter::default(),
            write_seconds: latency(),
            crc_errors: Counter::default(),
            io_errors: Counter::default(),
            replications: Family::default(),
            scrub_chunks: Counter::default(),
            scrub_bytes: Counter::default(),
            scrub_damaged: Counter::default(),
            scrub_passes: Counter::default(),
            master_connected: Gauge::default(),
            master_registered: Gauge::default(),
            folder_chunks: Family::default(),
            folder_used_bytes: Family::default(),
            folder_total_bytes: Family::default(),
            folder_failed: Family::default(),
            charts: Arc::default(),
        }
    }
}

impl Metrics {
    /// One read of consecutive whole blocks from a chunk file, checked.
    pub fn read_done(&self, bytes: u32, took: Duration) {
        self.read_ops.inc();
        self.read_bytes.inc_by(u64::from(bytes));
        self.read_seconds.observe(took.as_secs_f64());
        self.charts.add(series::DATA_READS, 1);
        self.charts.add(series::DATA_BYTES_READ, u64::from(bytes));
        self.charts.took(series::READ_TIME, took);
    }

    /// One block piece written to a chunk file with its CRC.
    pub fn write_done(&self, bytes: usize, took: Duration) {
        self.write_ops.inc();
        self.write_bytes.inc_by(bytes as u64);
        self.write_seconds.observe(took.as_secs_f64());
        self.charts.add(series::DATA_WRITES, 1);
        self.charts.add(series::DATA_BYTES_WRITTEN, bytes as u64);
        self.charts.took(series::WRITE_TIME, took);
    }

    /// A replication ended; `ok` if the copy is complete.
    pub fn replication_done(&self, ok: bool) {
        self.charts.add(series::REPLICATIONS, 1);
        let result = if ok { "ok" } else { "failed" };
        self.replications
            .get_or_create(&OutcomeLabels { result })
            .inc();
    }

    /// The master link came up (`connected`) or finished registering.
    pub fn master_state(&self, connected: bool, registered: bool) {
        self.master_connected.set(i64::from(connected));
        self.master_registered.set(i64::from(registered));
    }

    pub fn is_registered(&self) -> bool {
        self.master_registered.get() != 0
    }

    /// Adds every metric to `registry` (which should carry [`PREFIX`]).
    pub fn register(&self, registry: &mut Registry) {
        let m = self.clone();
        registry.register(
            "read_bytes",
            "Bytes read from chunk files (client reads and replication sources)",
            m.read_bytes,
        );
        registry.register(
            "read_ops",
            "Reads of consecutive 64 KiB blocks (up to 1 MiB) from chunk files",
            m.read_ops,
        );
        registry.register(
            "read_seconds",
            "Time to read and CRC-check one read of consecutive blocks",
            m.read_seconds,
        );
        registry.register(
            "written_bytes",
            "Bytes written to chunk files (clients, write chains, replication)",
            m.write_bytes,
        );
        registry.register(
            "write_ops",
            "Block pieces (up to 64 KiB) written to chunk files",
            m.write_ops,
        );
        registry.register(
            "write_seconds",
            "Time to write one block piece and its CRC",
            m.write_seconds,
        );
        registry.register(
            "crc_errors",
            "Blocks whose data did not match their stored CRC (reads, scrub, tests)",
            m.crc_errors,
        );
        registry.register("io_errors", "Disk I/O errors on chunk files", m.io_errors);
        registry.register(
            "replications",
            "Replications ordered by the master, by result",
            m.replications,
        );
        registry.register(
            "scrub_chunks",
            "Chunks the scrubber verified completely",
            m.scrub_chunks,
        );
        registry.register("scrub_bytes", "Bytes the scrubber verified", m.scrub_bytes);
        registry.register(
            "scrub_damaged_chunks",
            "Chunks the scrubber found damaged and reported to the master",
            m.scrub_damaged,
        );
        registry.register(
            "scrub_passes",
            "Completed scrubber passes over all chunks",
            m.scrub_passes,
        );
        registry.register(
            "master_connected",
            "1 while a TCP connection to a master is up",
            m.master_connected,
        );
        registry.register(
            "master_registered",
            "1 while registered with a master",
            m.master_registered,
        );
        registry.register(
            "folder_chunks",
            "Chunks held per data folder",
            m.folder_chunks,
        );
        registry.register(
            "folder_used_bytes",
            "Used space of each data folder's file system",
            m.folder_used_bytes,
        );
        registry.register(
            "folder_total_bytes",
            "Total space of each data folder's file system",
            m.folder_total_bytes,
        );
        registry.register(
            "folder_failed",
            "1 if the data folder was taken out of service after I/O errors",
            m.folder_failed,
        );
    }
}

/// Fills the per-folder gauges from the store.
pub fn refresh(store: &Store) {
    let metrics = store.metrics();
    let counts = store.chunks_per_folder();
    for (folder, chunks) in store.folders().iter().zip(counts) {
        let labels = FolderLabels {
            folder: folder.display_path(),
        };
        let space = folder.space();
        let bytes = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
        metrics
            .folder_chunks
            .get_or_create(&labels)
            .set(i64::from(chunks));
        metrics
            .folder_used_bytes
            .get_or_create(&labels)
            .set(bytes(space.used));
        metrics
            .folder_total_bytes
            .get_or_create(&labels)
            .set(bytes(space.total));
        metrics
            .folder_failed
            .get_or_create(&labels)
            .set(i64::from(folder.is_failed()));
    }
}

/// Healthy means registered with a master and able to store new chunks in
/// at least one data folder; otherwise the reason.
pub fn health(store: &Store) -> Result<(), String> {
    if !store.metrics().is_registered() {
        return Err("not registered with a master".to_owned());
    }
    let mut problems = Vec::new();
    for folder in store.folders() {
        match folder.unwritable() {
            None => return Ok(()),
            Some(why) => problems.push(format!("{}: {why}", folder.display_path())),
        }
    }
    Err(format!("no writable data folder ({})", problems.join("; ")))
}

#[cfg(test)]
mod tests {
    use prometheus_client::encoding::text::encode;

    use super::*;
    use crate::config::FolderSpec;

    fn store(specs: &[FolderSpec]) -> Store {
        Store::open(specs, 3, false)
    }

    #[test]
    fn health_needs_a_master_and_a_writable_folder() {
        let dir = tempfile::tempdir().unwrap();
        let usable = FolderSpec::parse(dir.path().join("a").to_str().unwrap());
        let marked = FolderSpec::parse(&format!("*{}", dir.path().join("b").display()));

        let store1 = store(&[usable.clone(), marked.clone()]);
        assert_eq!(
            health(&store1),
            Err("not registered with a master".to_owned())
        );
        store1.metrics().master_state(true, true);
        assert_eq!(health(&store1), Ok(()));

        let store2 = store(&[marked]);
        store2.metrics().master_state(true, true);
        let reason = health(&store2).unwrap_err();
        assert!(reason.starts_with("no writable data folder ("), "{reason}");
        assert!(reason.contains("marked for removal"), "{reason}");
    }

    #[test]
    fn folders_are_labelled_and_counted_on_refresh() {
        let dir = tempfile::tempdir().unwrap();
        let spec = FolderSpec::parse(dir.path().to_str().unwrap());
        let store = store(&[spec]);
        store.create(0x42, 1).unwrap();
        let mut registry = Registry::with_prefix(PREFIX);
        store.metrics().register(&mut registry);
        refresh(&store);
        let mut text = String::new();
        encode(&mut text, &registry).unwrap();
        let label = format!("{{folder=\"{}\"}}", dir.path().display());
        assert!(
            text.contains(&format!("mooseng_chunkserver_folder_chunks{label} 1\n")),
            "{text}"
        );
        assert!(
            text.contains(&format!("mooseng_chunkserver_folder_failed{label} 0\n")),
            "{text}"
        );
        assert!(
            !text.contains(&format!(
                "mooseng_chunkserver_folder_total_bytes{label} 0\n"
            )),
            "{text}"
        );
    }
}
