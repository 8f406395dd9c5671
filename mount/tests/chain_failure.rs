//! A write whose chunkserver connections are cut while blocks are on
//! their way: `mooseng-mount` must send everything the chain had not
//! acknowledged again, in order, under a new lease, and the file must
//! read back with exactly the bytes written. Runs against Debian's
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
/// Bytes written when the connections are cut, each time: some in the
/// middle of a chunk, some just past a chunk boundary.
const CUTS: [usize; 5] = [40 << 20, 66 << 20, 100 << 20, 130 << 20, 170 << 20];

/// Kills every established connection from this host to a chunkserver
/// (the write chains of the mount, and idle read connections) and returns
/// how many. Only established ones: the kernel refuses to destroy a socket
/// in TIME-WAIT, and `ss` then leaves the rest alone.
fn cut_chunkserver_connections() -> usize {
    let out = Command::new("ss")
        .args(["-K", "-tnH", "state", "established", "dst", SUBNET])
        .args(["dport", "=", "9422"])
        .output()
        .unwrap();
    assert!(out.status.success(), "ss -K: {out:?}");
    String::from_utf8_lossy(&out.stdout).lines().count()
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
        for at in CUTS {
            let deadline = Instant::now() + Duration::from_secs(120);
            while written.load(Ordering::SeqCst) < at {
                assert!(Instant::now() < deadline, "the writer stalled");
                std::thread::sleep(Duration::from_millis(2));
            }
            // Between two chunks' sessions there may be no chain for a
            // moment.
            let deadline = Instant::now() + Duration::from_secs(2);
            while cut_chunkserver_connections() == 0 && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(20));
            }
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
