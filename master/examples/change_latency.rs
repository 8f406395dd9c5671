//! Where one change's time goes when a single client makes one change at
//! a time (issue 5's metadata benchmark through one mfsmount):
//!
//! * the disk floor: appending a small record to a file and
//!   `fdatasync`ing it, as the log does, and the same write overwriting
//!   bytes already allocated (what a preallocated segment would cost);
//! * one hop between two tasks of the runtime (a oneshot answered by
//!   another task), the unit the submit path is made of;
//! * a submit to a store that keeps nothing on disk: every hop of the
//!   path and the apply, no `fdatasync`;
//! * a submit to a durable store in DIR: the same plus the log's write.
//!
//! `cargo run --release -p mooseng-master --example change_latency DIR [ROUNDS]`
//! (DIR on the disk to measure; ROUNDS of 2 000 changes each, default 3).
//! Prints medians per round; the figures in docs/master-persistence.md
//! come from this program.

use std::fs::{File, OpenOptions};
use std::io::{Seek, SeekFrom, Write};
use std::path::Path;
use std::time::{Duration, Instant};

use mooseng_master::meta::SnapshotPolicy;
use mooseng_master::namespace::{Caller, Entry, Mutation, NewNode, Outcome};
use mooseng_master::store::MetadataStore;
use tokio::sync::{mpsc, oneshot};

const CHANGES: usize = 2_000;
/// About the size of one framed log record holding one create.
const RECORD: [u8; 48] = [0x5a; 48];

fn create(name: String) -> Entry {
    Entry {
        ts: 1_700_000_000,
        caller: Caller::root(),
        mutation: Mutation::Create {
            parent: 1,
            name: name.into_bytes().into(),
            node: NewNode::File,
            mode: 0o644,
            umask: 0o022,
            copy_sgid: false,
        },
    }
}

fn median_us(mut samples: Vec<Duration>) -> f64 {
    samples.sort_unstable();
    samples[samples.len() / 2].as_secs_f64() * 1e6
}

/// `fdatasync` after appending a record, the file growing as the log does.
fn append_and_sync(dir: &Path) -> f64 {
    let path = dir.join("append");
    let mut file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .expect("append file");
    let median = write_and_sync_median_us(&mut file);
    std::fs::remove_file(&path).expect("remove");
    median
}

/// The median of [`CHANGES`] writes of a record at `file`'s position,
/// each followed by `fdatasync`.
fn write_and_sync_median_us(file: &mut File) -> f64 {
    let samples = (0..CHANGES)
        .map(|_| {
            let started = Instant::now();
            file.write_all(&RECORD).expect("write");
            file.sync_data().expect("fdatasync");
            started.elapsed()
        })
        .collect();
    median_us(samples)
}

/// `fdatasync` after overwriting bytes the file already holds, so the
/// file's size and extents do not change.
fn overwrite_and_sync(dir: &Path) -> f64 {
    let path = dir.join("overwrite");
    let mut file = OpenOptions::new()
        .create(true)
        .truncate(true)
        .read(true)
        .write(true)
        .open(&path)
        .expect("overwrite file");
    file.write_all(&vec![0; RECORD.len() * CHANGES])
        .expect("fill");
    file.sync_all().expect("fsync");
    file.seek(SeekFrom::Start(0)).expect("seek");
    let median = write_and_sync_median_us(&mut file);
    std::fs::remove_file(&path).expect("remove");
    median
}

/// One way of a ping-pong between two tasks: a request over a channel,
/// the answer over a oneshot, as a submit waits for its answer.
async fn task_hop() -> f64 {
    let (requests, mut served) = mpsc::unbounded_channel::<oneshot::Sender<()>>();
    let server = tokio::spawn(async move {
        while let Some(answer) = served.recv().await {
            let _ = answer.send(());
        }
    });
    let mut samples = Vec::with_capacity(CHANGES);
    for _ in 0..CHANGES {
        let (answer, answered) = oneshot::channel();
        let started = Instant::now();
        requests.send(answer).expect("server");
        answered.await.expect("answer");
        samples.push(started.elapsed() / 2);
    }
    drop(requests);
    server.await.expect("server");
    median_us(samples)
}

/// One submitter, one change at a time.
async fn submit_one_at_a_time(store: &MetadataStore, round: usize) -> f64 {
    let mut samples = Vec::with_capacity(CHANGES);
    for n in 0..CHANGES {
        let entry = create(format!("r{round}-f{n}"));
        let started = Instant::now();
        let outcome = store.submit(entry).await;
        samples.push(started.elapsed());
        assert!(matches!(outcome, Ok(Outcome::Node(_))), "{outcome:?}");
    }
    median_us(samples)
}

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let base = args.next().map(std::path::PathBuf::from);
    let rounds: usize = args.next().map_or(3, |n| n.parse().expect("ROUNDS"));
    let tmp = tempfile::tempdir_in(base.as_deref().unwrap_or(&std::env::temp_dir()))
        .expect("temporary directory");
    let volatile = MetadataStore::empty().await;
    let durable = match MetadataStore::open(
        &tmp.path().join("store"),
        SnapshotPolicy {
            every_entries: u64::MAX,
        },
        1,
    )
    .await
    {
        Ok(opened) => opened.store,
        Err(error) => panic!("cannot open the store: {error}"),
    };
    println!("medians in us: append+fdatasync overwrite+fdatasync task-hop volatile-submit durable-submit");
    for round in 0..rounds {
        let append = append_and_sync(tmp.path());
        let overwrite = overwrite_and_sync(tmp.path());
        let hop = task_hop().await;
        let soft = submit_one_at_a_time(&volatile, round).await;
        let full = submit_one_at_a_time(&durable, round).await;
        println!("round {round}: {append:.0} {overwrite:.0} {hop:.1} {soft:.1} {full:.0}");
    }
    volatile.shutdown().await;
    durable.shutdown().await;
}
