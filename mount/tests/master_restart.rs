//! A master restarted in the middle of a long write through
//! `mooseng-mount`: Debian's MooseFS 3.0.117 master and three chunkservers
//! from `mooseng-cluster`, the master stopped (SIGTERM) and started again
//! while a 256 MiB file is being written. The mount must carry on with
//! its session, the write must finish without an error, and the file must
//! read back identically through a fresh Debian `mfsmount`. Needs root,
//! network namespaces, FUSE and the MooseFS packages (scripts/setup.sh).

// The helpers below are test code too; a failed step should stop the test.
#![allow(clippy::unwrap_used)]

mod support;

use std::fs::{self, File};
use std::io::{Read, Write};
use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use mooseng_tools::Role;
use sha2::{Digest, Sha256};
use support::{Cluster, Setup};

const PREFIX: &str = "mfsngmrw";
const SUBNET: &str = "10.233.176.0/24";
const MASTER: &str = "10.233.176.2";
const FILE_MIB: u64 = 256;
/// The master is restarted once this much of the file was written.
const RESTART_AT_MIB: u64 = 48;

/// The `n`th MiB of the file: deterministic, different in every MiB.
fn mib(n: u64) -> Vec<u8> {
    mooseng_tools::payload::payload(1 << 20, (n + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15))
}

/// Restarts the master with `mooseng-cluster restart master`, from another
/// process: this one has a thread blocked in a write to the mount, which
/// waits for the master, and a fork of this process could wait for that
/// thread (a FUSE deadlock of the test's own making, not the mount's).
fn restart_master(state: &Path) {
    let tool = Path::new(env!("CARGO_BIN_EXE_mooseng-mount")).with_file_name("mooseng-cluster");
    assert!(
        tool.exists(),
        "{} is not built: cargo build -p mooseng-tools",
        tool.display()
    );
    let out = Command::new(tool)
        .arg("--state-dir")
        .arg(state)
        .args(["restart", "master"])
        .output()
        .unwrap();
    assert!(out.status.success(), "restart: {out:?}");
}

/// Whether Debian's master answers `mfscli` again.
fn master_answers() -> bool {
    Command::new("mfscli")
        .args(["-H", MASTER, "-SIN"])
        .output()
        .is_ok_and(|out| out.status.success())
}

#[test]
fn a_long_write_survives_a_master_restart() {
    let root = tempfile::tempdir().unwrap();
    let mut cluster = Cluster::up(root.path(), &Setup::new(PREFIX, SUBNET));
    let mfs = root.path().join("mfsmount");
    fs::create_dir(&mfs).unwrap();
    cluster.unmount_at_end(&mfs);
    let file = cluster.mount(0).join("long");

    let written = Arc::new(AtomicU64::new(0));
    let writer = std::thread::spawn({
        let written = Arc::clone(&written);
        move || -> std::io::Result<[u8; 32]> {
            let mut out = File::create(&file)?;
            let mut hash = Sha256::new();
            for n in 0..FILE_MIB {
                let block = mib(n);
                out.write_all(&block)?;
                hash.update(&block);
                written.store(n + 1, Ordering::Relaxed);
            }
            out.sync_all()?;
            Ok(hash.finalize().into())
        }
    });

    let start = Instant::now();
    while written.load(Ordering::Relaxed) < RESTART_AT_MIB {
        assert!(!writer.is_finished(), "the write ended early");
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "the write does not progress"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let restarted = Instant::now();
    restart_master(root.path());
    let at = written.load(Ordering::Relaxed);
    while !master_answers() {
        assert!(
            restarted.elapsed() < Duration::from_secs(30),
            "the master does not come back:\n{}",
            fs::read_to_string(cluster.layout.log(Role::Master)).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    eprintln!(
        "master restarted at {at} MiB, answering after {:?}",
        restarted.elapsed()
    );
    assert!(
        at < FILE_MIB,
        "the whole file was written before the master went down"
    );

    let expected = writer
        .join()
        .unwrap()
        .unwrap_or_else(|err| panic!("the write failed: {err}"));
    eprintln!("write finished {:?} after the restart", restarted.elapsed());

    let mount_log = fs::read_to_string(cluster.layout.log(Role::Mount(1))).unwrap();
    let out = Command::new("mfsmount")
        .arg(&mfs)
        .args(["-H", MASTER, "-P", "9421"])
        .output()
        .unwrap();
    assert!(out.status.success(), "mfsmount: {out:?}");
    let mut back = File::open(mfs.join("long")).unwrap();
    let mut hash = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut wrong = Vec::new();
    for n in 0..FILE_MIB {
        back.read_exact(&mut buf).unwrap();
        hash.update(&buf);
        let want = mib(n);
        if let Some(at) = buf.iter().zip(&want).position(|(a, b)| a != b) {
            let zeros = buf[at..].iter().take_while(|&&b| b == 0).count();
            wrong.push(format!("MiB {n} from byte {at} ({zeros} zero bytes there)"));
        }
    }
    assert_eq!(back.read(&mut buf).unwrap(), 0, "the file is longer");
    let got: [u8; 32] = hash.finalize().into();
    assert!(
        wrong.is_empty() && got == expected,
        "{wrong:?} differ (restart at {at} MiB); mooseng-mount log:\n{mount_log}"
    );
}
