//! A write whose chunkserver connections are cut while blocks are on
//! their way: `mooseng-mount` must send everything the chain had not
//! acknowledged again, in order, under a new lease, and the file must
//! read back with exactly the bytes written. The chunkservers are stopped
//! (SIGSTOP) for half a second before each cut, so that flushes are sent
//! and unacknowledged when it comes; Debian's chunkserver, continued, may
//! then stall for about as long as our 10 s chunkserver timeout (it logs
//! a "long loop"), which the writer's retries wait out. Runs against Debian's
//! MooseFS 3.0.117 master and chunkservers. Needs root, network
//! namespaces, FUSE and the MooseFS packages (scripts/setup.sh).

// The helpers below are test code too; a failed step should stop the test.
#![allow(clippy::unwrap_used)]

mod support;

use std::fs::{self, File};
use std::io::Write;
use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use support::{payload, Cluster, Setup};

const PREFIX: &str = "mntcut";
const SUBNET: &str = "10.233.163.0/24";
/// Three chunks and a bit, so the cuts fall into different chunks.
const SIZE: usize = (3 << 26) + 12345;
const PIECE: usize = 1 << 20;
/// Bytes written when the connections are cut, each time.
const CUTS: [usize; 2] = [40 << 20, 150 << 20];

/// Sends `signal` to every chunkserver of the test's cluster.
fn signal_chunkservers(signal: &str) {
    for n in 1..=3 {
        let netns = format!("{PREFIX}-cs{n}");
        let pids = Command::new("ip")
            .args(["netns", "pids", &netns])
            .output()
            .unwrap();
        let pids = String::from_utf8(pids.stdout).unwrap();
        for pid in pids.split_whitespace() {
            let status = Command::new("kill").args([signal, pid]).status().unwrap();
            assert!(status.success(), "kill {signal} {pid}");
        }
    }
}

/// Kills every connection from this host to a chunkserver: the write
/// chains of the mount, and idle read connections.
fn cut_chunkserver_connections() {
    let out = Command::new("ss")
        .args(["-K", "dst", SUBNET, "dport", "=", "9422"])
        .output()
        .unwrap();
    assert!(out.status.success(), "ss -K: {out:?}");
}

fn stat_value(mount: &Path, name: &str) -> u64 {
    let text = fs::read_to_string(mount.join(".stats")).unwrap();
    let prefix = format!("{name}: ");
    text.lines()
        .find_map(|line| line.strip_prefix(&prefix))
        .unwrap_or_else(|| panic!("no {name} in {text}"))
        .parse()
        .unwrap()
}

#[test]
fn a_write_survives_cut_chain_connections() {
    let root = tempfile::Builder::new()
        .prefix("mount-cut")
        .tempdir_in("/tmp")
        .unwrap();
    let cluster = Cluster::up(root.path(), &Setup::new(PREFIX, SUBNET));
    let mount = cluster.mount(0);
    let data = payload(SIZE, 7);
    let written = AtomicUsize::new(0);
    let retries_before = stat_value(&mount, "retries.chunk_write");

    std::thread::scope(|s| {
        s.spawn(|| {
            let mut file = File::create(mount.join("f")).unwrap();
            for piece in data.chunks(PIECE) {
                file.write_all(piece).unwrap();
                written.fetch_add(piece.len(), Ordering::SeqCst);
            }
            file.sync_all().unwrap();
        });
        for cut in CUTS {
            let deadline = Instant::now() + Duration::from_secs(120);
            while written.load(Ordering::SeqCst) < cut {
                assert!(Instant::now() < deadline, "the writer stalled");
                std::thread::sleep(Duration::from_millis(2));
            }
            signal_chunkservers("-STOP");
            std::thread::sleep(Duration::from_millis(500));
            cut_chunkserver_connections();
            signal_chunkservers("-CONT");
        }
    });

    assert!(
        stat_value(&mount, "retries.chunk_write") > retries_before,
        "the cuts did not hit a write in flight"
    );
    let read = fs::read(mount.join("f")).unwrap();
    assert_eq!(read.len(), data.len());
    assert!(read == data, "the file differs from what was written");
    drop(cluster);
}
