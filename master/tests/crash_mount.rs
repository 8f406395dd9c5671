//! Debian's mfsmount keeps working across kill -9 of `mooseng-master`:
//! a writer works through the kernel while the master is killed and
//! restarted on the same data directory and port, and everything the
//! kernel reported done must be there afterwards. The writer is a process
//! of its own, as an application would be (`support::writer` says why).
//!
//! Two setups run the same kill cycles:
//! - the master alone on 127.0.0.1 (no chunkservers, so no file data):
//!   the writer makes directories, which must all be listed after;
//! - the master under `mooseng-cluster` with three chunkservers (ours, or
//!   Debian's) and two Debian mounts: the writer writes files with data;
//!   each kill waits for the chunkservers to register with the new
//!   master; every file whose close returned must read back with the same SHA-256
//!   through the other mount, and each of its chunks must be back at its
//!   goal of two valid copies once the chunkservers have registered with
//!   the last master.
//!
//! Skipped (with a SKIPPED line) where mfsmount or /dev/fuse is missing.
//! The cluster runs need root, network namespaces and the MooseFS
//! packages (scripts/setup.sh), and `mooseng-chunkserver` built.

mod support;

use std::fs::{self, File};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use mooseng_tools::{member, Flavor, Role, Subnet};
use sha2::{Digest, Sha256};
use support::cli::valid_copies;
use support::mfsmount::{mount_local, MFSMOUNT};
use support::writer::{file_digest, run_if_writer, Work, Writer, FILE_SIZE};
use support::{eventually, up_mixed, Down};

const CYCLES: usize = 12;
/// The goal files get by default (`DEFAULT_SCLASS`).
const GOAL: usize = 2;

/// A master the test can kill and restart under a mounted file system.
trait Crashable {
    /// SIGKILL, then start again on the same data; returns once it listens.
    fn kill_and_restart(&mut self);
    /// Where the writer works.
    fn mountpoint(&self) -> &Path;
}

/// Waits until something listens at `address`.
fn wait_listening(address: (Ipv4Addr, u16)) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while TcpStream::connect(address).is_err() {
        assert!(Instant::now() < deadline, "mooseng-master did not listen");
        thread::sleep(Duration::from_millis(20));
    }
}

/// `mooseng-master` on 127.0.0.1 with one mfsmount and nothing else.
struct Loopback {
    master: Child,
    mountpoint: PathBuf,
    mounted: bool,
    data: PathBuf,
    log: File,
    port: u16,
}

impl Loopback {
    fn start_master(data: &Path, log: &File, port: u16) -> Child {
        let master = Command::new(env!("CARGO_BIN_EXE_mooseng-master"))
            .args(["--listen", &format!("127.0.0.1:{port}")])
            .args(["--data-dir", &data.display().to_string()])
            .env("MOOSENG_MASTER_SNAPSHOT_EVERY", "20")
            .stdout(Stdio::null())
            .stderr(log.try_clone().expect("log handle"))
            .spawn()
            .expect("mooseng-master starts");
        wait_listening((Ipv4Addr::LOCALHOST, port));
        master
    }

    fn up(dir: &Path) -> Loopback {
        let data = dir.join("meta");
        let log = File::create(dir.join("master.log")).expect("master log");
        let port = free_port();
        let mountpoint = dir.join("mnt");
        fs::create_dir(&mountpoint).expect("mount point");
        let mut cluster = Loopback {
            master: Loopback::start_master(&data, &log, port),
            mountpoint,
            mounted: false,
            data,
            log,
            port,
        };
        cluster.mounted = mount_local(&cluster.mountpoint, port, &dir.join("mount.log"));
        assert!(cluster.mounted, "mfsmount failed");
        cluster
    }
}

impl Crashable for Loopback {
    fn kill_and_restart(&mut self) {
        self.master.kill().expect("SIGKILL");
        self.master.wait().expect("reaped");
        self.master = Loopback::start_master(&self.data, &self.log, self.port);
    }

    fn mountpoint(&self) -> &Path {
        &self.mountpoint
    }
}

impl Drop for Loopback {
    fn drop(&mut self) {
        if self.mounted {
            let status = Command::new("umount").arg(&self.mountpoint).status();
            if !status.is_ok_and(|s| s.success()) {
                let _ = Command::new("umount")
                    .arg("-l")
                    .arg(&self.mountpoint)
                    .status();
            }
        }
        let _ = self.master.kill();
        let _ = self.master.wait();
    }
}

/// `mooseng-master` under `mooseng-cluster` with three chunkservers and
/// two Debian mounts; the writer uses the first.
struct InCluster {
    down: Down,
    master: Ipv4Addr,
    mounts: [PathBuf; 2],
}

impl InCluster {
    fn up(dir: &Path, (prefix, subnet): (&str, &str), chunkservers: Flavor) -> InCluster {
        let down = up_mixed(dir, (prefix, subnet), chunkservers, Flavor::Mfs);
        let subnet: Subnet = subnet.parse().expect("subnet");
        let mnt = down.0.default_mountpoint();
        InCluster {
            master: Role::Master.address(&subnet),
            mounts: [1, 2].map(|n| mnt.join(Role::Mount(n).name())),
            down,
        }
    }
}

impl InCluster {
    /// Chunkservers `mfscli -SCS` lists; 0 while the master cannot say.
    fn registered(&self) -> usize {
        let out = Command::new("mfscli")
            .args(["-H", &self.master.to_string(), "-p", "-SCS"])
            .output();
        out.map_or(0, |out| {
            let text = String::from_utf8_lossy(&out.stdout);
            text.lines()
                .filter(|l| l.starts_with("chunk servers:"))
                .count()
        })
    }
}

impl Crashable for InCluster {
    /// Also waits for the three chunkservers to register again: until
    /// then the master knows no copy, and a mount's writes retry until
    /// they give up with EIO, as they would against `mfsmaster`.
    fn kill_and_restart(&mut self) {
        member::kill(&self.down.0, self.master).expect("SIGKILL");
        member::restart(&self.down.0, self.master).expect("restart");
        wait_listening((self.master, 9421));
        let back = eventually(Duration::from_secs(60), || self.registered() == 3);
        assert!(back, "chunkservers did not register again");
    }

    fn mountpoint(&self) -> &Path {
        &self.mounts[0]
    }
}

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
    listener.local_addr().expect("its address").port()
}

/// The kill cycles under a running writer process, then one more
/// restart; returns the numbers of the items the writer had acknowledged.
/// `state` is a directory off the mount for the writer's bookkeeping.
fn kill_cycles(master: &mut dyn Crashable, work: Work, state: &Path) -> Vec<u64> {
    let writer = Writer::start(work, master.mountpoint(), state);
    for cycle in 0..CYCLES {
        thread::sleep(Duration::from_millis(200 + 37 * cycle as u64 % 300));
        master.kill_and_restart();
    }
    thread::sleep(Duration::from_millis(300));
    let made = writer.finish();
    assert!(made.len() > CYCLES, "the writer hardly ran: {}", made.len());
    master.kill_and_restart();
    made
}

/// One run at a time: the runs share two cores and one disk, and a master
/// whose restart is slowed past mfsmount's retries fails the writer.
fn one_at_a_time() -> MutexGuard<'static, ()> {
    static RUNS: Mutex<()> = Mutex::new(());
    RUNS.lock().unwrap_or_else(PoisonError::into_inner)
}

fn mfsmount_present() -> bool {
    let present = Path::new(MFSMOUNT).exists() && Path::new("/dev/fuse").exists();
    if !present {
        eprintln!("SKIPPED: {MFSMOUNT} or /dev/fuse is missing (Debian moosefs-client, fuse3)");
    }
    present
}

#[test]
fn mfsmount_carries_on_across_kill_9() {
    if run_if_writer() || !mfsmount_present() {
        return;
    }
    let _turn = one_at_a_time();
    let dir = tempfile::tempdir().expect("temporary directory");
    let mut cluster = Loopback::up(dir.path());
    let made = kill_cycles(&mut cluster, Work::Dirs, &dir.path().join("writer"));
    let present: std::collections::BTreeSet<String> = fs::read_dir(&cluster.mountpoint)
        .expect("readdir through the mount after the last restart")
        .map(|item| {
            item.expect("entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    let lost: Vec<_> = made
        .iter()
        .map(|&n| Work::Dirs.name(n))
        .filter(|name| !present.contains(name))
        .collect();
    assert!(lost.is_empty(), "acknowledged mkdirs lost: {lost:?}");
    // Sessions are metadata: mfsmount reconnected with the session it
    // registered first whenever it reconnected (not after every restart:
    // a master may live less than its reconnect delay), never a new one.
    let log = fs::read_to_string(dir.path().join("master.log")).expect("master log");
    assert_eq!(
        log.matches("session registered").count(),
        1,
        "registrations"
    );
    assert!(log.contains("session resumed"), "no reconnection");
    eprintln!(
        "{} kill -9 restarts under mfsmount: {} acknowledged mkdirs all present",
        CYCLES + 1,
        made.len()
    );
}

/// The cluster run with `chunkservers`: file data read back and copies
/// back at their goal.
fn files_survive_kill_9(net: (&str, &str), chunkservers: Flavor) {
    if run_if_writer() || !mfsmount_present() {
        return;
    }
    let _turn = one_at_a_time();
    let dir = tempfile::tempdir().expect("temporary directory");
    let mut cluster = InCluster::up(dir.path(), net, chunkservers);
    let made = kill_cycles(&mut cluster, Work::Files, &dir.path().join("writer"));
    for &n in &made {
        let name = Work::Files.name(n);
        // The other mount never cached these pages.
        let back =
            fs::read(cluster.mounts[1].join(&name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(back.len(), FILE_SIZE, "{name}");
        assert_eq!(Sha256::digest(&back).to_vec(), file_digest(n), "{name}");
    }
    for &n in &made {
        let name = Work::Files.name(n);
        let path = cluster.mounts[0].join(&name);
        let copies = || valid_copies(&path).len();
        eventually(Duration::from_secs(60), || copies() == GOAL);
        assert_eq!(copies(), GOAL, "{name}: valid copies after the restarts");
    }
    eprintln!(
        "{} kill -9 restarts with {chunkservers:?} chunkservers: {} acknowledged files \
         read back, each with {GOAL} valid copies",
        CYCLES + 1,
        made.len()
    );
}

#[test]
fn files_on_our_chunkservers_survive_kill_9() {
    files_survive_kill_9(("cstallng", "10.233.190.0/24"), Flavor::Ng);
}

#[test]
fn files_on_debian_chunkservers_survive_kill_9() {
    files_survive_kill_9(("cstallmf", "10.233.191.0/24"), Flavor::Mfs);
}
