//! Rebalancing by space usage with real chunkservers: `mooseng-master`
//! under `mooseng-cluster` with three Debian chunkservers, the first of
//! them on an empty tmpfs of its own while the other two share the test
//! machine's disk (some of it used). Files written while the first is
//! away have their chunks on the shared disk; once it is back the planner
//! must move the copies to it, the emptiest server by usage, a few a
//! pass, and every file must read back the same.
//!
//! Needs root, network namespaces, FUSE and the MooseFS packages
//! (scripts/setup.sh); under a minute.

// The helpers below are test code too; a failed step should stop the test.
#![allow(clippy::unwrap_used)]

mod support;

use std::fs;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use mooseng_tools::{member, Flavor, Role, Subnet};
use support::cli::{mfscli, run, valid_copies};
use support::{eventually, payload, up_with_master};

const PREFIX: &str = "rblng";
const SUBNET: &str = "10.233.166.0/24";
const FILES: u64 = 12;

/// A tmpfs mounted for the test, unmounted however it ends.
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(at: PathBuf, size: &str) -> Tmpfs {
        let status = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(&at)
            .status()
            .unwrap();
        assert!(status.success(), "tmpfs on {}", at.display());
        Tmpfs(at)
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

#[test]
fn copies_move_to_the_emptiest_chunkserver_by_usage() {
    let dir = tempfile::tempdir().unwrap();
    let down = up_with_master(dir.path(), PREFIX, SUBNET, Flavor::Ng);
    let layout = &down.0;
    let subnet: Subnet = SUBNET.parse().unwrap();
    let empty = Role::Chunkserver(1).address(&subnet);

    // Written while the first chunkserver is away: every chunk starts on
    // the shared disk.
    member::stop(layout, empty).unwrap();
    let mnt = layout.default_mountpoint();
    fs::create_dir(mnt.join("g1")).unwrap();
    run("mfssetgoal", &["1", mnt.join("g1").to_str().unwrap()]);
    let files: Vec<PathBuf> = (0..FILES).map(|n| mnt.join(format!("g1/f{n}"))).collect();
    for (n, file) in files.iter().enumerate() {
        fs::write(file, payload(100_000, n as u64)).unwrap();
    }
    for file in &files {
        let copies = valid_copies(file);
        assert!(
            copies.len() == 1 && copies[0] != empty.to_string(),
            "{copies:?}"
        );
    }

    let hdd = layout.data(Role::Chunkserver(1)).join("hdd");
    let _tmpfs = Tmpfs::mount(hdd, "16g");
    member::restart(layout, empty).unwrap();
    let registered = eventually(Duration::from_secs(30), || {
        mfscli(Role::Master.address(&subnet), "-SCS")
            .lines()
            .any(|l| l.contains(&empty.to_string()))
    });
    assert!(registered, "the tmpfs chunkserver registered");

    let on_empty = || {
        files
            .iter()
            .filter(|f| valid_copies(f) == [empty.to_string()])
            .count() as u64
    };
    let moved = eventually(Duration::from_secs(90), || on_empty() == FILES);
    assert!(moved, "{} of {FILES} files moved", on_empty());
    for (n, file) in files.iter().enumerate() {
        assert!(fs::read(file).unwrap() == payload(100_000, n as u64));
    }
}
