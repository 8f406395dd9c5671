//! Measures the metadata store's durable path: submit latency with group
//! commit at several concurrencies, a snapshot of 100k files taken while
//! submits go on, and recovery from a snapshot and from a long log.
//!
//! `cargo run --release -p mooseng-master --example persist_bench [DIR]`
//! (DIR defaults to a temporary directory; put it on the disk to measure).
//! The numbers in docs/master-persistence.md come from this program.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use mooseng_master::meta::SnapshotPolicy;
use mooseng_master::namespace::{Caller, Entry, Mutation, NewNode, Outcome};
use mooseng_master::store::MetadataStore;
use tokio::task::JoinSet;

const FILES: u32 = 100_000;
const DIRS: u32 = 100;

fn create(parent: u32, name: String, node: NewNode) -> Entry {
    Entry {
        ts: 1_700_000_000,
        caller: Caller::root(),
        mutation: Mutation::Create {
            parent,
            name: name.into_bytes().into(),
            node,
            mode: 0o644,
            umask: 0o022,
            copy_sgid: false,
        },
    }
}

async fn open(dir: &Path, every_entries: u64) -> MetadataStore {
    match MetadataStore::open(dir, SnapshotPolicy { every_entries }, 1).await {
        Ok(opened) => opened.store,
        Err(error) => panic!("cannot open {}: {error}", dir.display()),
    }
}

/// Submits `entries` from `tasks` concurrent submitters; returns every
/// submit's latency, sorted.
async fn submit_all(
    store: &Arc<MetadataStore>,
    entries: Vec<Entry>,
    tasks: usize,
) -> Vec<Duration> {
    let mut queues: Vec<Vec<Entry>> = (0..tasks).map(|_| Vec::new()).collect();
    for (n, entry) in entries.into_iter().enumerate() {
        queues[n % tasks].push(entry);
    }
    let mut set = JoinSet::new();
    for queue in queues {
        let store = store.clone();
        set.spawn(async move {
            let mut latencies = Vec::with_capacity(queue.len());
            for entry in queue {
                let started = Instant::now();
                let outcome = store.submit(entry).await;
                assert!(matches!(outcome, Ok(Outcome::Node(_))), "{outcome:?}");
                latencies.push(started.elapsed());
            }
            latencies
        });
    }
    let mut all = Vec::new();
    while let Some(latencies) = set.join_next().await {
        all.extend(latencies.expect("submitter"));
    }
    all.sort_unstable();
    all
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let at = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[at].as_secs_f64() * 1e6
}

fn report(label: &str, latencies: &[Duration], elapsed: Duration) {
    println!(
        "{label}: {} submits in {:.2} s = {:.0}/s; latency p50 {:.0} us, p99 {:.0} us, max {:.0} us",
        latencies.len(),
        elapsed.as_secs_f64(),
        latencies.len() as f64 / elapsed.as_secs_f64(),
        percentile(latencies, 0.5),
        percentile(latencies, 0.99),
        percentile(latencies, 1.0),
    );
}

/// Builds `DIRS` directories holding `FILES` files between them.
async fn make_tree(store: &Arc<MetadataStore>) -> (Vec<Duration>, Duration) {
    let dirs = (0..DIRS)
        .map(|d| create(1, format!("d{d}"), NewNode::Directory))
        .collect();
    // One submitter: the directories get inodes 2..=DIRS+1 in order.
    submit_all(store, dirs, 1).await;
    let files = (0..FILES)
        .map(|f| create(2 + f % DIRS, format!("f{f}"), NewNode::File))
        .collect();
    let started = Instant::now();
    let latencies = submit_all(store, files, 64).await;
    (latencies, started.elapsed())
}

#[tokio::main]
async fn main() {
    tracing_subscriber::fmt()
        .with_env_filter("mooseng_master=info")
        .init();
    let base = std::env::args().nth(1).map(std::path::PathBuf::from);
    let tmp = tempfile::tempdir_in(base.as_deref().unwrap_or(&std::env::temp_dir()))
        .expect("temporary directory");

    for tasks in [1, 4, 16, 64] {
        let dir = tmp.path().join(format!("latency-{tasks}"));
        let store = Arc::new(open(&dir, u64::MAX).await);
        let entries = (0..4000)
            .map(|n| create(1, format!("f{n}"), NewNode::File))
            .collect();
        let started = Instant::now();
        let latencies = submit_all(&store, entries, tasks).await;
        report(
            &format!("{tasks} concurrent submitters"),
            &latencies,
            started.elapsed(),
        );
        store.shutdown().await;
    }

    let snapshotted = tmp.path().join("snapshotted");
    {
        let store = Arc::new(open(&snapshotted, u64::from(FILES + DIRS)).await);
        let (latencies, elapsed) = make_tree(&store).await;
        report("100k files, snapshot at the end", &latencies, elapsed);
        // This one runs while the snapshot thread encodes and writes.
        let more = (0..2000)
            .map(|n| create(1, format!("late{n}"), NewNode::File))
            .collect();
        let started = Instant::now();
        let latencies = submit_all(&store, more, 64).await;
        report("submits during the snapshot", &latencies, started.elapsed());
        store.shutdown().await;
    }
    let started = Instant::now();
    let store = open(&snapshotted, u64::MAX).await;
    let nodes = store.read().await.node_count();
    println!(
        "recovery from the snapshot + 2000 entries: {nodes} nodes in {:.0} ms",
        started.elapsed().as_secs_f64() * 1e3
    );
    store.shutdown().await;

    let logged = tmp.path().join("logged");
    {
        let store = Arc::new(open(&logged, u64::MAX).await);
        make_tree(&store).await;
        store.shutdown().await;
    }
    let started = Instant::now();
    let store = open(&logged, u64::MAX).await;
    let nodes = store.read().await.node_count();
    println!(
        "recovery replaying {} log entries: {nodes} nodes in {:.0} ms",
        FILES + DIRS,
        started.elapsed().as_secs_f64() * 1e3
    );
}
