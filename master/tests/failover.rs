//! Three of our masters as real processes under `mooseng-cluster`, with
//! our chunkservers and our mount (given every master's address): the
//! leader is killed with SIGKILL while files are written, another master
//! takes over, the writes finish and read back by SHA-256, and the killed
//! master comes back as a follower and catches up with the log.
//!
//! The files are created before the kill: a CREATE that the old leader
//! committed but did not answer is sent again to the new leader, which
//! answers EEXIST (seen in CI). Masters do not yet recognise a retried
//! change, a known gap (docs/master-persistence.md).
//! Needs root, network namespaces and FUSE.

mod support;

use std::io::{Read, Write};
use std::net::{Ipv4Addr, TcpStream};
use std::path::Path;
use std::time::{Duration, Instant};

use mooseng_tools::member;
use sha2::{Digest, Sha256};

const SUBNET: &str = "10.233.183.0/24";
const MASTERS: [Ipv4Addr; 3] = [
    Ipv4Addr::new(10, 233, 183, 2),
    Ipv4Addr::new(10, 233, 183, 4),
    Ipv4Addr::new(10, 233, 183, 5),
];
/// Where `mooseng-cluster` has a group's masters serve `/health`.
const HEALTH_PORT: u16 = mooseng_tools::launch::MASTER_METRICS_PORT;
const FILE_SIZE: usize = 3_000_000;

/// `GET path` on a master's endpoint: the body of a 200 answer.
fn http_get(master: Ipv4Addr, path: &str) -> Option<String> {
    let mut stream =
        TcpStream::connect_timeout(&(master, HEALTH_PORT).into(), Duration::from_secs(2)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(stream, "GET {path} HTTP/1.0\r\n\r\n").ok()?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer).ok()?;
    let (head, body) = answer.split_once("\r\n\r\n")?;
    head.starts_with("HTTP/1.1 200").then(|| body.to_owned())
}

fn leader() -> Option<Ipv4Addr> {
    MASTERS
        .into_iter()
        .find(|&m| http_get(m, "/health").is_some_and(|body| body.contains("role=leader")))
}

fn wait_for<T>(what: &str, limit: Duration, mut probe: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(found) = probe() {
            return found;
        }
        assert!(Instant::now() < deadline, "waited {limit:?} for {what}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// The metadata log's last index a master reports.
fn last_index(master: Ipv4Addr) -> Option<u64> {
    let metrics = http_get(master, "/metrics")?;
    metrics
        .lines()
        .find_map(|l| l.strip_prefix("mooseng_master_log_last_index "))?
        .trim()
        .parse()
        .ok()
}

/// Fills the file `f{n}`, which exists and is empty.
fn write_file(mnt: &Path, n: u64) -> [u8; 32] {
    let data = support::payload(FILE_SIZE, n);
    let path = mnt.join(format!("f{n}"));
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .open(&path)
        .unwrap_or_else(|e| panic!("open f{n}: {e}"));
    file.write_all(&data)
        .unwrap_or_else(|e| panic!("write f{n}: {e}"));
    file.sync_all()
        .unwrap_or_else(|e| panic!("fsync f{n}: {e}"));
    Sha256::digest(&data).into()
}

#[test]
fn the_mount_carries_on_when_the_leader_is_killed() {
    let state = tempfile::Builder::new()
        .prefix("failover-")
        .tempdir_in("/run")
        .expect("state dir");
    let _down = support::up_three_masters(state.path(), "fo3", SUBNET);
    let layout = mooseng_tools::Layout::new(state.path());
    let mnt = state.path().join("mnt");

    let first = wait_for("a leader", Duration::from_secs(30), leader);
    for n in 0..10 {
        std::fs::File::create(mnt.join(format!("f{n}"))).expect("create");
    }
    let mut written: Vec<(u64, [u8; 32])> = (0..3).map(|n| (n, write_file(&mnt, n))).collect();

    let writer = std::thread::spawn({
        let mnt = mnt.clone();
        move || {
            (3..10)
                .map(|n| (n, write_file(&mnt, n)))
                .collect::<Vec<_>>()
        }
    });
    std::thread::sleep(Duration::from_millis(500));
    member::kill(&layout, first).expect("kill -9 the leader");
    let second = wait_for("a new leader", Duration::from_secs(30), || {
        leader().filter(|&l| l != first)
    });
    written.extend(writer.join().expect("writes through the failover"));

    for (n, sum) in &written {
        let data = std::fs::read(mnt.join(format!("f{n}"))).expect("read back");
        assert_eq!(<[u8; 32]>::from(Sha256::digest(&data)), *sum, "f{n}");
    }

    member::restart(&layout, first).expect("restart the killed master");
    wait_for(
        "the killed master to follow",
        Duration::from_secs(120),
        || {
            http_get(first, "/health")
                .filter(|b| b.contains(&format!("role=follower leader={second}")))
        },
    );
    wait_for(
        "the killed master to catch up",
        Duration::from_secs(30),
        || {
            let leading = last_index(second)?;
            (last_index(first)? == leading).then_some(())
        },
    );
}
