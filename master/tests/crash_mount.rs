//! Debian's mfsmount keeps working across kill -9 of `mooseng-master`:
//! a writer makes directories through the kernel while the master is
//! killed and restarted on the same data directory and port; every mkdir
//! the kernel reported done must be there afterwards, seen through the
//! same mount.
//!
//! Skipped (with a SKIPPED line) where mfsmount or /dev/fuse is missing.

use std::fs::{self, File};
use std::io::ErrorKind;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

const MFSMOUNT: &str = "/usr/bin/mfsmount";
const CYCLES: usize = 12;

struct Cluster {
    master: Child,
    mountpoint: PathBuf,
    mounted: bool,
    data: PathBuf,
    log: File,
    port: u16,
}

impl Cluster {
    fn start_master(data: &Path, log: &File, port: u16) -> Child {
        let master = Command::new(env!("CARGO_BIN_EXE_mooseng-master"))
            .args(["--listen", &format!("127.0.0.1:{port}")])
            .args(["--data-dir", &data.display().to_string()])
            .env("MOOSENG_MASTER_SNAPSHOT_EVERY", "20")
            .stdout(Stdio::null())
            .stderr(log.try_clone().expect("log handle"))
            .spawn()
            .expect("mooseng-master starts");
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "mooseng-master did not listen");
            thread::sleep(Duration::from_millis(20));
        }
        master
    }

    fn kill_and_restart(&mut self) {
        self.master.kill().expect("SIGKILL");
        self.master.wait().expect("reaped");
        self.master = Cluster::start_master(&self.data, &self.log, self.port);
    }
}

impl Drop for Cluster {
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

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
    listener.local_addr().expect("its address").port()
}

/// Makes `d0`, `d1`, ... until told to stop; returns the names the kernel
/// reported made. EEXIST counts as made: mfsmount repeats a request whose
/// answer the dead master never sent, and the first try had landed.
fn writer(root: PathBuf, stop: Arc<AtomicBool>) -> Vec<String> {
    let mut made = Vec::new();
    for n in 0.. {
        if stop.load(Ordering::Relaxed) {
            break;
        }
        let name = format!("d{n}");
        match fs::create_dir(root.join(&name)) {
            Ok(()) => made.push(name),
            Err(error) if error.kind() == ErrorKind::AlreadyExists => made.push(name),
            Err(error) => panic!("mkdir {name} through the mount: {error}"),
        }
    }
    made
}

#[test]
fn mfsmount_carries_on_across_kill_9() {
    if !Path::new(MFSMOUNT).exists() || !Path::new("/dev/fuse").exists() {
        eprintln!("SKIPPED: {MFSMOUNT} or /dev/fuse is missing (Debian moosefs-client, fuse3)");
        return;
    }
    let dir = tempfile::tempdir().expect("temporary directory");
    let data = dir.path().join("meta");
    let log = File::create(dir.path().join("master.log")).expect("master log");
    let port = free_port();
    let mountpoint = dir.path().join("mnt");
    fs::create_dir(&mountpoint).expect("mount point");
    let mut cluster = Cluster {
        master: Cluster::start_master(&data, &log, port),
        mountpoint,
        mounted: false,
        data,
        log,
        port,
    };
    let mount_log = File::create(dir.path().join("mount.log")).expect("mount log");
    // mfsmount forks a daemon that keeps its output open: never pipe it.
    let status = Command::new(MFSMOUNT)
        .arg(&cluster.mountpoint)
        .args(["-H", "127.0.0.1", "-P", &port.to_string()])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(mount_log)
        .status()
        .expect("mfsmount runs");
    cluster.mounted = status.success();
    assert!(status.success(), "mfsmount failed");

    let stop = Arc::new(AtomicBool::new(false));
    let work = {
        let (root, stop) = (cluster.mountpoint.clone(), stop.clone());
        thread::spawn(move || writer(root, stop))
    };
    for cycle in 0..CYCLES {
        thread::sleep(Duration::from_millis(200 + 37 * cycle as u64 % 300));
        cluster.kill_and_restart();
    }
    thread::sleep(Duration::from_millis(300));
    stop.store(true, Ordering::Relaxed);
    let made = work.join().expect("writer thread");
    assert!(made.len() > CYCLES, "the writer hardly ran: {}", made.len());

    cluster.kill_and_restart();
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
        .filter(|name| !present.contains(*name))
        .collect();
    assert!(lost.is_empty(), "acknowledged mkdirs lost: {lost:?}");
    eprintln!(
        "{} kill -9 restarts under mfsmount: {} acknowledged mkdirs all present",
        CYCLES + 1,
        made.len()
    );
}
