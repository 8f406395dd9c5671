//! Runs the 9420 chunkserver link in-process against three of Debian's
//! MooseFS 3.0.117 `mfschunkserver`s and checks, on their disks, that the
//! master's orders happened: create, replicate, version step, delete, and
//! that a killed chunkserver leaves its chunks under goal.
//!
//! Needs root, `ip` and Debian's `moosefs-chunkserver`. MooseFS chunkservers
//! refuse a master in 127.0.0.0/8, so the master listens on the host's end
//! of a veth pair (10.235.0.1) and the chunkservers run in a network
//! namespace on its other end (10.235.0.2-4). A direct pair needs no
//! forwarding, which this host's Docker firewall would drop.

use std::fs;
use std::net::{Ipv4Addr, SocketAddrV4};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use mooseng_master::chunks::{ChunkConfig, ChunkEntry, ChunkService, ChunkTable, CopyState};
use mooseng_master::chunks::{FileRef, Limits};
use mooseng_master::cslink::{self, LinkConfig};
use mooseng_wire::Version;
use tempfile::TempDir;
use tokio::net::TcpListener;

const NETNS: &str = "mfsmc-ns";
const HOST_IF: &str = "mfsmc-h";
const NS_IF: &str = "mfsmc-n";
const MASTER_IP: Ipv4Addr = Ipv4Addr::new(10, 235, 0, 1);
const CS_IPS: [Ipv4Addr; 3] = [
    Ipv4Addr::new(10, 235, 0, 2),
    Ipv4Addr::new(10, 235, 0, 3),
    Ipv4Addr::new(10, 235, 0, 4),
];

fn ip(args: &[&str]) -> bool {
    Command::new("ip")
        .args(args)
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn ip_ok(args: &[&str]) {
    assert!(ip(args), "ip {} failed", args.join(" "));
}

/// The network and the chunkservers; torn down on drop, also when an
/// assertion fails halfway.
struct Cluster {
    servers: Vec<Option<Child>>,
    dir: TempDir,
}

impl Cluster {
    fn start() -> Cluster {
        remove_network();
        ip_ok(&["netns", "add", NETNS]);
        let cluster = Cluster {
            servers: Vec::new(),
            dir: TempDir::new().expect("a temporary directory"),
        };
        ip_ok(&[
            "link", "add", HOST_IF, "type", "veth", "peer", "name", NS_IF,
        ]);
        ip_ok(&["link", "set", NS_IF, "netns", NETNS]);
        ip_ok(&["addr", "add", "10.235.0.1/24", "dev", HOST_IF]);
        ip_ok(&["link", "set", HOST_IF, "up"]);
        for cs in CS_IPS {
            let cidr = format!("{cs}/24");
            ip_ok(&["-n", NETNS, "addr", "add", &cidr, "dev", NS_IF]);
        }
        ip_ok(&["-n", NETNS, "link", "set", NS_IF, "up"]);
        ip_ok(&["-n", NETNS, "link", "set", "lo", "up"]);
        cluster
    }

    fn hdd(&self, n: usize) -> PathBuf {
        self.dir.path().join(format!("cs{n}/hdd"))
    }

    /// Starts `mfschunkserver` number `n` in the foreground.
    fn spawn_chunkserver(&mut self, n: usize) {
        let root = self.dir.path().join(format!("cs{n}"));
        let hdd = self.hdd(n);
        fs::create_dir_all(&hdd).expect("chunkserver directories");
        let cfg = root.join("mfschunkserver.cfg");
        let hdd_cfg = root.join("mfshdd.cfg");
        fs::write(&hdd_cfg, format!("{}\n", hdd.display())).expect("mfshdd.cfg");
        let text = format!(
            "WORKING_USER = root\nWORKING_GROUP = root\nSYSLOG_IDENT = mfsmc-cs{n}\n\
             DATA_PATH = {}\nHDD_CONF_FILENAME = {}\nMASTER_HOST = {MASTER_IP}\n\
             MASTER_RECONNECTION_DELAY = 1\nCSSERV_LISTEN_HOST = {}\n",
            root.display(),
            hdd_cfg.display(),
            CS_IPS[n]
        );
        fs::write(&cfg, text).expect("mfschunkserver.cfg");
        let log = fs::File::create(root.join("output.log")).expect("a log file");
        let child = Command::new("ip")
            .args(["netns", "exec", NETNS, "mfschunkserver", "-f", "-c"])
            .arg(&cfg)
            .arg("start")
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("a log file"))
            .stderr(log)
            .spawn()
            .expect("mfschunkserver starts");
        self.servers.push(Some(child));
    }

    fn kill(&mut self, n: usize) {
        if let Some(mut child) = self.servers[n].take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for n in 0..self.servers.len() {
            self.kill(n);
        }
        remove_network();
    }
}

fn remove_network() {
    ip(&["netns", "del", NETNS]);
    ip(&["link", "del", HOST_IF]);
}

/// The path of chunk `chunk` in `version` under `hdd`, if it is there.
fn chunk_file(hdd: &Path, chunk: u64, version: u32) -> Option<PathBuf> {
    let name = format!("chunk_{chunk:016X}_{version:08X}.mfs");
    files(hdd)
        .into_iter()
        .find(|p| p.file_name().is_some_and(|n| *n == *name))
}

/// Every file below `dir`.
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for entry in fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            found.extend(files(&path));
        } else {
            found.push(path);
        }
    }
    found
}

/// Debian's `mfschunktool` says the file is a sound chunk.
fn chunktool_ok(path: &Path) -> bool {
    let out = Command::new("mfschunktool")
        .arg("-x")
        .arg(path)
        .output()
        .expect("mfschunktool runs");
    String::from_utf8_lossy(&out.stdout).contains("OK")
}

async fn wait_for(what: &str, limit: Duration, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Which chunkserver (by index) listens at `addr`.
fn index_of(addr: SocketAddrV4) -> usize {
    CS_IPS
        .iter()
        .position(|ip| ip == addr.ip())
        .expect("one of our chunkservers")
}

fn valid_holders(service: &ChunkService, chunk: u64) -> Vec<usize> {
    let Some(info) = service.chunk(chunk) else {
        return Vec::new();
    };
    let servers = service.servers();
    let mut holders: Vec<usize> = info
        .copies
        .iter()
        .filter(|c| c.state == CopyState::Valid && c.version == info.version)
        .filter_map(|c| servers.iter().find(|(id, _)| *id == c.server))
        .map(|(_, s)| index_of(s.addr))
        .collect();
    holders.sort_unstable();
    holders
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn debian_chunkservers_follow_the_masters_orders() {
    let mut cluster = Cluster::start();
    let config = ChunkConfig {
        maintenance_interval: Duration::from_millis(200),
        limits: Limits::default(),
        meta_id: 0x4D43_4855_4E4B_5321,
        ..ChunkConfig::default()
    };
    let (service, mut journal) = ChunkService::new(ChunkTable::default(), config);
    let listener = TcpListener::bind((MASTER_IP, 9420)).await.unwrap();
    tokio::spawn(cslink::serve(
        listener,
        Arc::clone(&service),
        LinkConfig::default(),
    ));
    tokio::spawn(Arc::clone(&service).run_maintenance());
    for n in 0..CS_IPS.len() {
        cluster.spawn_chunkserver(n);
    }

    // All three register with their own address and report their space.
    wait_for(
        "three registered chunkservers",
        Duration::from_secs(30),
        || {
            let servers = service.servers();
            servers.len() == 3
                && servers
                    .iter()
                    .all(|(_, s)| s.registered && s.usage.total > 0)
        },
    )
    .await;
    let mut addrs: Vec<_> = service.servers().iter().map(|(_, s)| s.addr).collect();
    addrs.sort();
    let expected: Vec<_> = CS_IPS
        .iter()
        .map(|ip| SocketAddrV4::new(*ip, 9422))
        .collect();
    assert_eq!(addrs, expected);

    // A write into a hole of a goal-1 file creates chunk 1 on one server.
    let file = FileRef { inode: 2, index: 0 };
    let lease = service.lease_for_write(file, 0, 1).await.unwrap();
    assert_eq!((lease.chunk, lease.version, lease.servers.len()), (1, 1, 1));
    assert_eq!(lease.servers[0].version, Version::MOOSEFS_3_0_117);
    service.write_end(1).await.unwrap();
    let first = index_of(lease.servers[0].addr);
    let created = chunk_file(&cluster.hdd(first), 1, 1);
    let created = created.unwrap_or_else(|| panic!("no chunk 1: {:?}", files(&cluster.hdd(first))));
    assert!(
        chunktool_ok(&created),
        "mfschunktool rejects {}",
        created.display()
    );
    assert_eq!(
        journal.recv().await,
        Some(ChunkEntry::Create { file, class: 1 })
    );

    // Moving the file to goal class 3 makes the planner replicate it to
    // the others.
    let goal = ChunkEntry::ChangeClass {
        chunk: 1,
        from: 1,
        to: 3,
    };
    service.commit(goal).unwrap();
    wait_for("three copies of chunk 1", Duration::from_secs(20), || {
        valid_holders(&service, 1) == [0, 1, 2]
    })
    .await;
    for n in 0..3 {
        let copy = chunk_file(&cluster.hdd(n), 1, 1).expect("replicated chunk file");
        assert!(chunktool_ok(&copy));
    }

    // Copies changed since the last write, so the next write steps the
    // version on every copy first: the files are renamed to version 2.
    let lease = service.lease_for_write(file, 1, 3).await.unwrap();
    assert_eq!((lease.chunk, lease.version, lease.servers.len()), (1, 2, 3));
    service.write_end(1).await.unwrap();
    for n in 0..3 {
        assert!(
            chunk_file(&cluster.hdd(n), 1, 1).is_none(),
            "old name stays"
        );
        let renamed = chunk_file(&cluster.hdd(n), 1, 2).expect("chunk file in version 2");
        assert!(chunktool_ok(&renamed));
    }

    // A chunk no file refers to any more is deleted from its server.
    let other = FileRef { inode: 3, index: 0 };
    let lease = service.lease_for_write(other, 0, 1).await.unwrap();
    assert_eq!(lease.chunk, 2);
    service.write_end(2).await.unwrap();
    let holder = index_of(lease.servers[0].addr);
    assert!(chunk_file(&cluster.hdd(holder), 2, 1).is_some());
    service
        .commit(ChunkEntry::DropRef { chunk: 2, class: 1 })
        .unwrap();
    wait_for("chunk 2 to be deleted", Duration::from_secs(20), || {
        chunk_file(&cluster.hdd(holder), 2, 1).is_none() && service.chunk(2).is_none()
    })
    .await;

    // Killing a chunkserver drops its copies: chunk 1 (goal 3) is left
    // with 2 valid copies, and with two servers it cannot get a third.
    cluster.kill(2);
    wait_for(
        "the killed chunkserver to be dropped",
        Duration::from_secs(30),
        || service.servers().len() == 2,
    )
    .await;
    assert_eq!(valid_holders(&service, 1), [0, 1]);
    let matrix = service.matrix();
    assert_eq!(matrix.count(3, 2), 1);
    assert_eq!(matrix.count(3, 3), 0);
}
