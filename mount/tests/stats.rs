//! The mount's counters, through both ways out: the `.stats` file mfsmount
//! also offers and the Prometheus `/metrics` + `/health` endpoint. On a
//! Debian MooseFS 3.0.117 cluster our `mooseng-mount --metrics` and
//! Debian's `mfsmount` are mounted side by side: `.stats` must look as
//! mfsmount's does (same attributes, same `name: value` lines, the same
//! FUSE operation names), its counters and the endpoint's must move with
//! I/O and with a cut master connection, and writing to `.stats` must
//! restart its counts, as on mfsmount, without touching the endpoint's.
//! Needs root, network namespaces, FUSE, `ss` and the MooseFS packages
//! (scripts/setup.sh).

// The helpers below are test code too; a failed step should stop the test.
#![allow(clippy::unwrap_used)]

mod support;

use std::collections::BTreeMap;
use std::fs;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use support::{payload, Cluster, Setup};

const PREFIX: &str = "mntstats";
const SUBNET: &str = "10.233.170.0/24";
const MASTER: &str = "10.233.170.2";
/// The host's address on the cluster's subnet: it exists only while this
/// test's cluster is up, so the port cannot clash with anything else.
const METRICS: &str = "10.233.170.1:9427";
const FILE_LEN: usize = 3 << 20;

fn run(program: &str, args: &[&str]) {
    let out = Command::new(program).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{program} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `.stats` as `name -> value`; every line must be `name: value`.
fn stats(mount: &Path) -> BTreeMap<String, u64> {
    let text = fs::read_to_string(mount.join(".stats")).unwrap();
    text.lines()
        .map(|line| {
            let (name, value) = line.split_once(": ").unwrap_or_else(|| panic!("{line}"));
            // Absolute values are printed in brackets.
            let value = value.trim_matches(|c| c == '[' || c == ']');
            (name.to_owned(), value.parse().unwrap())
        })
        .collect()
}

fn http_get(path: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(METRICS).unwrap();
    write!(stream, "GET {path} HTTP/1.1\r\nHost: mount\r\n\r\n").unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    let status = answer[9..12].parse().unwrap();
    let body = answer.split_once("\r\n\r\n").unwrap().1.to_owned();
    (status, body)
}

/// One sample of `/metrics`, by its full name with labels.
fn metric(name: &str) -> u64 {
    let (status, body) = http_get("/metrics");
    assert_eq!(status, 200);
    body.lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(' '))
        .unwrap_or_else(|| panic!("no {name} in\n{body}"))
        .parse()
        .unwrap()
}

/// Cuts our mount's connections to the master and waits until it is
/// connected again (`/health` 503 meanwhile is allowed, not required).
fn cut_master_connection() {
    let ours = Command::new("ss")
        .args([
            "-tnpH",
            "state",
            "established",
            "dst",
            MASTER,
            "dport",
            "=",
            "9421",
        ])
        .output()
        .unwrap();
    let ports: Vec<String> = String::from_utf8_lossy(&ours.stdout)
        .lines()
        .filter(|l| l.contains("mooseng-mount"))
        .filter_map(|l| {
            l.split_whitespace()
                .nth(2)?
                .rsplit(':')
                .next()
                .map(String::from)
        })
        .collect();
    assert_eq!(ports.len(), 1, "{ours:?}");
    let sport = format!(":{}", ports[0]);
    run(
        "ss",
        &[
            "-K", "dst", MASTER, "dport", "=", "9421", "sport", "=", &sport,
        ],
    );
    let deadline = Instant::now() + Duration::from_secs(20);
    while metric("mooseng_mount_master_reconnects_total") == 0 {
        assert!(Instant::now() < deadline, "no reconnect");
        std::thread::sleep(Duration::from_millis(200));
    }
    while http_get("/health").0 != 200 {
        assert!(Instant::now() < deadline, "not healthy again");
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// `.stats` has mfsmount's attributes and line format, and every FUSE
/// operation we count has a line of the same name in mfsmount's.
fn looks_like_mfsmounts(ng: &Path, mfs: &Path) {
    let (ours, theirs) = (
        fs::metadata(ng.join(".stats")).unwrap(),
        fs::metadata(mfs.join(".stats")).unwrap(),
    );
    let attrs = |m: &fs::Metadata| (m.ino(), m.mode(), m.nlink(), m.uid(), m.gid(), m.len());
    assert_eq!(attrs(&ours), attrs(&theirs));
    let (ours, theirs) = (stats(ng), stats(mfs));
    let ops: Vec<&String> = ours.keys().filter(|k| k.starts_with("fuse_ops")).collect();
    assert_eq!(ops.len(), 30, "{ops:?}");
    for op in ops {
        assert!(theirs.contains_key(op), "mfsmount has no {op}");
    }
    for name in [
        "master.bytes_sent",
        "master.bytes_received",
        "master.packets_sent",
        "master.packets_received",
        "master.reconnects",
    ] {
        assert!(
            ours.contains_key(name) && theirs.contains_key(name),
            "{name}"
        );
    }
    // Unlisted, like .masterinfo, and not removable.
    let listed: Vec<_> = fs::read_dir(ng)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(!listed.iter().any(|n| n == ".stats"), "{listed:?}");
    assert_eq!(
        fs::remove_file(ng.join(".stats"))
            .unwrap_err()
            .raw_os_error(),
        Some(libc::EACCES)
    );
}

/// Counters of both kinds move with a write and a read of `FILE_LEN`.
fn counters_follow_io(ng: &Path) {
    let before = stats(ng);
    let metric_writes = metric("mooseng_mount_fuse_ops_total{op=\"write\"}");
    let data = payload(FILE_LEN, 5);
    fs::write(ng.join("counted"), &data).unwrap();
    assert_eq!(fs::read(ng.join("counted")).unwrap(), data);
    let after = stats(ng);
    let grew = |name: &str| after[name] - before[name];
    assert!(grew("fuse_ops.write") > 0 && grew("fuse_ops.create") == 1);
    assert!(grew("fuse_ops.read") > 0 && grew("fuse_ops") > 3);
    assert_eq!(grew("data.written_bytes"), FILE_LEN as u64);
    assert!(grew("data.read_bytes") >= FILE_LEN as u64);
    assert_eq!(grew("data.chunkservers.written_bytes"), FILE_LEN as u64);
    assert!(grew("data.chunkservers.read_bytes") >= FILE_LEN as u64);
    assert!(grew("master.packets_sent") >= 4 && grew("master.bytes_received") > 0);
    assert!(grew("cache.location.misses") > 0);
    assert!(grew("cache.read_window.hits") > 0, "{after:?}");
    assert!(metric("mooseng_mount_fuse_ops_total{op=\"write\"}") > metric_writes);
    assert!(metric("mooseng_mount_written_bytes_total") >= FILE_LEN as u64);
    assert!(metric("mooseng_mount_chunkserver_read_bytes_total") >= FILE_LEN as u64);
    assert_eq!(metric("mooseng_mount_master_connected"), 1);
    assert_eq!(http_get("/health"), (200, "ok\n".to_owned()));
}

/// `.stats` once the counts were restarted, or as it stands after five
/// seconds: both mounts restart them when the written file is released,
/// and the kernel sends the release after `close` has returned.
fn stats_after_reset(mount: &Path) -> BTreeMap<String, u64> {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let now = stats(mount);
        if now["fuse_ops.write"] == 0 || Instant::now() > deadline {
            return now;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Writing to `.stats` restarts its counts on both mounts alike; ours
/// keeps the endpoint's.
fn reset_by_writing(ng: &Path, mfs: &Path) {
    let total = metric("mooseng_mount_written_bytes_total");
    for mount in [ng, mfs] {
        fs::write(mount.join(".stats"), b"\n").unwrap();
        let now = stats_after_reset(mount);
        assert_eq!(now["fuse_ops.write"], 0, "{}", mount.display());
        assert_eq!(now["fuse_ops.create"], 0, "{}", mount.display());
    }
    assert_eq!(stats(ng)["data.written_bytes"], 0);
    assert_eq!(metric("mooseng_mount_written_bytes_total"), total);
}

#[test]
fn stats_file_and_metrics_count_what_the_mount_does() {
    let root = tempfile::Builder::new()
        .prefix("mount-stats")
        .tempdir_in("/tmp")
        .unwrap();
    let setup = Setup {
        chunkservers: 2,
        mounts: 0,
        ..Setup::new(PREFIX, SUBNET)
    };
    let mut cluster = Cluster::up(root.path(), &setup);
    let (ng, mfs) = (root.path().join("ng"), root.path().join("mfs"));
    for dir in [&ng, &mfs] {
        fs::create_dir(dir).unwrap();
        cluster.unmount_at_end(dir);
    }
    // Not through `run`: the mount in the background keeps stderr (its
    // log), so waiting for captured output would wait for the unmount.
    let mounted = Command::new(env!("CARGO_BIN_EXE_mooseng-mount"))
        .args([ng.to_str().unwrap(), "-H", MASTER, "-P", "9421"])
        .args(["--metrics", METRICS])
        .status()
        .unwrap();
    assert!(mounted.success());
    assert_eq!(http_get("/health"), (200, "ok\n".to_owned()));
    assert_eq!(http_get("/nothing").0, 404);

    counters_follow_io(&ng);
    cut_master_connection();
    assert_eq!(stats(&ng)["master.reconnects"], 1);
    // Only now, so the cut above could not touch its connection.
    run(
        "mfsmount",
        &[mfs.to_str().unwrap(), "-H", MASTER, "-P", "9421"],
    );
    looks_like_mfsmounts(&ng, &mfs);
    reset_by_writing(&ng, &mfs);
    drop(cluster);
}
