//! A group of three of our masters seen from outside, as the failover
//! tests watch it: who leads (each master's `/health`), how far each has
//! got in its metadata log (`/metrics`), and files written through a
//! mount of it.

use std::io::{Read, Write};
use std::net::{Ipv4Addr, TcpStream};
use std::path::Path;
use std::time::{Duration, Instant};

use mooseng_tools::{member, Layout, Subnet};
use sha2::{Digest, Sha256};

/// Where `mooseng-cluster` has a group's masters serve `/health`.
const HEALTH_PORT: u16 = mooseng_tools::launch::MASTER_METRICS_PORT;
/// Bytes of each file [`write_file`] writes: one chunk, many blocks.
pub const FILE_SIZE: usize = 3_000_000;

/// The addresses `mooseng-cluster` gives a group of three in `subnet`.
pub fn masters(subnet: &str) -> [Ipv4Addr; 3] {
    let subnet: Subnet = subnet.parse().expect("subnet");
    let masters: Vec<Ipv4Addr> = mooseng_tools::role::masters(3)
        .map(|m| m.address(&subnet))
        .collect();
    masters.try_into().expect("three masters")
}

/// `GET path` on a master's endpoint: the body of a 200 answer.
pub fn http_get(master: Ipv4Addr, path: &str) -> Option<String> {
    let mut stream =
        TcpStream::connect_timeout(&(master, HEALTH_PORT).into(), Duration::from_secs(2)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(stream, "GET {path} HTTP/1.0\r\n\r\n").ok()?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer).ok()?;
    let (head, body) = answer.split_once("\r\n\r\n")?;
    head.starts_with("HTTP/1.1 200").then(|| body.to_owned())
}

/// The master of `masters` that says it leads.
pub fn leader(masters: &[Ipv4Addr]) -> Option<Ipv4Addr> {
    masters
        .iter()
        .copied()
        .find(|&m| http_get(m, "/health").is_some_and(|body| body.contains("role=leader")))
}

/// Polls `probe` until it finds something; fails the test after `limit`.
pub fn wait_for<T>(what: &str, limit: Duration, mut probe: impl FnMut() -> Option<T>) -> T {
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
pub fn last_index(master: Ipv4Addr) -> Option<u64> {
    let metrics = http_get(master, "/metrics")?;
    metrics
        .lines()
        .find_map(|l| l.strip_prefix("mooseng_master_log_last_index "))?
        .trim()
        .parse()
        .ok()
}

/// Fills the file `f{n}`, which exists and is empty, with
/// [`FILE_SIZE`] bytes of `payload(.., n)`, fsynced; returns their
/// SHA-256.
pub fn write_file(mnt: &Path, n: u64) -> [u8; 32] {
    let data = super::payload(FILE_SIZE, n);
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

/// Reads every file of `written` back and compares its SHA-256.
pub fn verify(mnt: &Path, written: &[(u64, [u8; 32])]) {
    for (n, sum) in written {
        let data = std::fs::read(mnt.join(format!("f{n}"))).expect("read back");
        assert_eq!(<[u8; 32]>::from(Sha256::digest(&data)), *sum, "f{n}");
    }
}

/// Starts the killed master `killed` again and waits until it follows
/// `leader` and has caught up with its log.
pub fn rejoin(layout: &Layout, killed: Ipv4Addr, leader: Ipv4Addr) {
    member::restart(layout, killed).expect("restart the killed master");
    wait_for(
        "the killed master to follow",
        Duration::from_secs(120),
        || {
            http_get(killed, "/health")
                .filter(|b| b.contains(&format!("role=follower leader={leader}")))
        },
    );
    wait_for(
        "the killed master to catch up",
        Duration::from_secs(30),
        || {
            let leading = last_index(leader)?;
            (last_index(killed)? == leading).then_some(())
        },
    );
}

/// What [`fail_over_while_writing`] saw: the killed leader, the new one,
/// and the files written with their SHA-256.
pub struct Failover {
    pub killed: Ipv4Addr,
    pub leader: Ipv4Addr,
    pub written: Vec<(u64, [u8; 32])>,
}

/// Creates the empty files `f0` .. `f{created - 1}` and fills `f0` ..
/// `f2`; then kills the leader with SIGKILL while a thread fills `f3` ..
/// `f{written - 1}`, and returns once another master leads and the
/// writes are done. Files are created before the kill, so the kill
/// interrupts writes (`resend_debian.rs` interrupts a change).
pub fn fail_over_while_writing(
    layout: &Layout,
    mnt: &Path,
    masters: &[Ipv4Addr],
    created: u64,
    written: u64,
) -> Failover {
    let killed = wait_for("a leader", Duration::from_secs(30), || leader(masters));
    for n in 0..created {
        std::fs::File::create(mnt.join(format!("f{n}"))).expect("create");
    }
    let mut done: Vec<(u64, [u8; 32])> = (0..3).map(|n| (n, write_file(mnt, n))).collect();
    let writer = std::thread::spawn({
        let mnt = mnt.to_owned();
        move || {
            (3..written)
                .map(|n| (n, write_file(&mnt, n)))
                .collect::<Vec<_>>()
        }
    });
    std::thread::sleep(Duration::from_millis(500));
    member::kill(layout, killed).expect("kill -9 the leader");
    let new_leader = wait_for("a new leader", Duration::from_secs(30), || {
        leader(masters).filter(|&l| l != killed)
    });
    done.extend(writer.join().expect("writes through the failover"));
    Failover {
        killed,
        leader: new_leader,
        written: done,
    }
}
