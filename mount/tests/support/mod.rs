//! The cluster the mount's integration tests run against: Debian's
//! MooseFS 3.0.117 master and chunkservers (or MooseNG's) with
//! `mooseng-mount`s, brought up by the `mooseng-tools` library and taken
//! down however a test ends.
//! Needs root, network namespaces, FUSE and the MooseFS packages
//! (scripts/setup.sh).

// Each test binary uses the parts it needs.
#![allow(dead_code, unused_imports)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use mooseng_tools::cluster::UpOptions;
use mooseng_tools::config::Replication;
use mooseng_tools::{Flavor, Layout};

/// What differs between the tests' clusters.
pub struct Setup {
    pub prefix: &'static str,
    pub subnet: &'static str,
    pub chunkservers: usize,
    pub mounts: u8,
    pub root_export: &'static str,
    pub replication: Replication,
    /// Whose master and chunkservers: Debian's (`Mfs`) or ours (`Ng`,
    /// built by [`build_mooseng_daemons`] first).
    pub daemons: Flavor,
}

impl Setup {
    /// Three chunkservers, one mount, the default export and MooseFS's
    /// replication delays on 10.233.`subnet`.
    pub fn new(prefix: &'static str, subnet: &'static str) -> Self {
        Setup {
            prefix,
            subnet,
            chunkservers: 3,
            mounts: 1,
            root_export: mooseng_tools::config::DEFAULT_ROOT_EXPORT,
            replication: Replication::Default,
            daemons: Flavor::Mfs,
        }
    }
}

/// A running cluster; dropping it unmounts what the test mounted itself
/// (lazily, so a hung mount cannot stop the cleanup) and takes it down.
pub struct Cluster {
    pub layout: Layout,
    own_mounts: Vec<PathBuf>,
}

impl Cluster {
    /// Brings the cluster up with this build's `mooseng-mount` (which
    /// `mooseng-cluster` finds in `PATH`).
    pub fn up(root: &Path, setup: &Setup) -> Self {
        let bin = Path::new(env!("CARGO_BIN_EXE_mooseng-mount"))
            .parent()
            .expect("bin dir");
        let path = std::env::var("PATH").unwrap_or_default();
        std::env::set_var("PATH", format!("{}:{path}", bin.display()));
        let layout = Layout::new(root);
        let options = UpOptions {
            master: setup.daemons,
            chunkservers: vec![setup.daemons; setup.chunkservers],
            metalogger: None,
            mount: Flavor::Ng,
            mounts: setup.mounts,
            mountpoint: None,
            prefix: setup.prefix.into(),
            subnet: setup.subnet.parse().expect("subnet"),
            root_export: setup.root_export.into(),
            timeout: Duration::from_secs(60),
        };
        if let Err(e) = mooseng_tools::up_with(&layout, &options, setup.replication) {
            panic!("cluster up: {e}");
        }
        Cluster {
            layout,
            own_mounts: Vec::new(),
        }
    }

    /// Where mooseng-mount `n` is (the only one is at the mountpoint
    /// itself).
    pub fn mount(&self, n: u8) -> PathBuf {
        let base = self.layout.default_mountpoint();
        match n {
            0 => base,
            n => base.join(format!("mount{n}")),
        }
    }

    /// Has `path`, which the test mounts itself, unmounted at the end.
    pub fn unmount_at_end(&mut self, path: &Path) {
        self.own_mounts.push(path.to_owned());
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for path in &self.own_mounts {
            let _ = Command::new("umount").arg("-l").arg(path).status();
        }
        let _ = mooseng_tools::down(&self.layout);
    }
}

/// Builds `mooseng-master` and `mooseng-chunkserver` into this build's
/// target directory, where [`Cluster::up`] has `mooseng-cluster` find
/// them (a test can only name its own crate's programs).
pub fn build_mooseng_daemons() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let status = Command::new(cargo)
        .args(["build", "-p", "mooseng-master", "--bin", "mooseng-master"])
        .args(["-p", "mooseng-chunkserver", "--bin", "mooseng-chunkserver"])
        .status()
        .expect("cargo runs");
    assert!(
        status.success(),
        "building mooseng-master and mooseng-chunkserver failed"
    );
}

pub use mooseng_tools::payload::payload;
