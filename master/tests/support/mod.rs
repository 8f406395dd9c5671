//! The cluster `mooseng-master`'s end-to-end tests run in: our master
//! under `mooseng-cluster`, with Debian's or MooseNG's chunkservers and
//! two mounts, taken down however a test ends. Needs root, network
//! namespaces, FUSE and the MooseFS packages (scripts/setup.sh); the
//! all-MooseNG cases also need `mooseng-chunkserver` and `mooseng-mount`
//! built next to `mooseng-master`.

// Each test binary uses the parts it needs.
#![allow(dead_code, unused_imports)]

pub mod cli;
pub mod compared;
pub mod group;
pub mod labels;
pub mod mfsmount;
pub mod writer;

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use mooseng_tools::cluster::UpOptions;
use mooseng_tools::config::Replication;
use mooseng_tools::{Flavor, Layout, Role};

/// Takes the cluster down even when an assertion fails half-way.
pub struct Down(pub Layout);

impl Drop for Down {
    fn drop(&mut self) {
        if let Err(e) = mooseng_tools::down(&self.0) {
            eprintln!("cluster down: {e}");
        }
    }
}

pub use mooseng_tools::payload::payload;

/// Starts our master with three chunkservers and two mounts of `others`.
pub fn up(root: &Path, prefix: &str, subnet: &str, others: Flavor) -> Down {
    up_mixed(root, (prefix, subnet), others, others)
}

/// Starts our master with three `chunkservers` and two `mount` mounts.
pub fn up_mixed(
    root: &Path,
    (prefix, subnet): (&str, &str),
    chunkservers: Flavor,
    mount: Flavor,
) -> Down {
    let bin = binaries_on_path();
    let programs = [
        (chunkservers, "mooseng-chunkserver"),
        (mount, "mooseng-mount"),
    ];
    for (_, program) in programs.iter().filter(|(f, _)| *f == Flavor::Ng) {
        assert!(
            bin.join(program).exists(),
            "{program} is not built in {}: cargo build -p {program}",
            bin.display()
        );
    }
    let layout = Layout::new(root);
    let down = Down(layout.clone());
    let options = UpOptions {
        master: Flavor::Ng,
        chunkservers: vec![chunkservers; 3],
        metalogger: None,
        mount,
        mounts: 2,
        mountpoint: None,
        prefix: prefix.into(),
        subnet: subnet.parse().expect("subnet"),
        root_export: mooseng_tools::config::DEFAULT_ROOT_EXPORT.into(),
        timeout: Duration::from_secs(30),
    };
    if let Err(e) = mooseng_tools::up(&layout, &options) {
        panic!("cluster up: {e}");
    }
    down
}

/// Starts `master`, either flavor, with three Debian chunkservers and one
/// Debian mount, for comparing our master with mfsmaster doing the same.
/// mfsmaster replicates at once and sweeps its chunks every minute, the
/// shortest loop it allows (`Replication::Quick`).
pub fn up_with_master(root: &Path, prefix: &str, subnet: &str, master: Flavor) -> Down {
    let export = mooseng_tools::config::DEFAULT_ROOT_EXPORT;
    up_compared(root, (prefix, subnet), master, 1, export)
}

/// [`up_with_master`] with `mounts` mounts (at `mnt/mount1`, ... when
/// more than one) and `root_export` as the options of the `/` export.
pub fn up_compared(
    root: &Path,
    net: (&str, &str),
    master: Flavor,
    mounts: u8,
    root_export: &str,
) -> Down {
    up_flavors(root, net, (master, Flavor::Mfs), mounts, root_export)
}

/// [`up_compared`] with the master and the mounts of the flavors given.
pub fn up_flavors(
    root: &Path,
    (prefix, subnet): (&str, &str),
    (master, mount): (Flavor, Flavor),
    mounts: u8,
    root_export: &str,
) -> Down {
    binaries_on_path();
    let layout = Layout::new(root);
    let down = Down(layout.clone());
    let options = UpOptions {
        master,
        chunkservers: vec![Flavor::Mfs; 3],
        metalogger: None,
        mount,
        mounts,
        mountpoint: None,
        prefix: prefix.into(),
        subnet: subnet.parse().expect("subnet"),
        root_export: root_export.into(),
        timeout: Duration::from_secs(30),
    };
    if let Err(e) = mooseng_tools::up_with(&layout, &options, Replication::Quick) {
        panic!("cluster up: {e}");
    }
    down
}

/// `mooseng-cluster` looks for MooseNG programs in `PATH`: the directory
/// of this build's binaries goes first. Returns that directory.
fn binaries_on_path() -> &'static Path {
    let bin = Path::new(env!("CARGO_BIN_EXE_mooseng-master"))
        .parent()
        .expect("bin dir");
    let path = std::env::var("PATH").unwrap_or_default();
    if !path.starts_with(&bin.display().to_string()) {
        std::env::set_var("PATH", format!("{}:{path}", bin.display()));
    }
    bin
}

/// Chunk files on every chunkserver's disk.
pub fn chunk_files(layout: &Layout) -> Vec<PathBuf> {
    fn walk(dir: &Path, found: &mut Vec<PathBuf>) {
        for entry in fs::read_dir(dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, found);
            } else if entry.file_name().to_string_lossy().starts_with("chunk_") {
                found.push(path);
            }
        }
    }
    let mut found = Vec::new();
    for n in 1..=3 {
        walk(&layout.data(Role::Chunkserver(n)), &mut found);
    }
    found
}

/// Polls until `done` holds, for at most `limit`.
pub fn eventually(limit: Duration, mut done: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if done() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    done()
}

/// Starts a group of three of our masters with three of our chunkservers
/// and one of our mounts, which gets every master's address.
pub fn up_three_masters(root: &Path, prefix: &str, subnet: &str) -> Down {
    up_three_masters_with(root, prefix, subnet, Flavor::Ng)
}

/// [`up_three_masters`] with three chunkservers and one mount of
/// `others`: MooseFS's find the group by the name `mfsmaster`, which
/// resolves to every master's address (`mooseng_tools::hosts`).
pub fn up_three_masters_with(root: &Path, prefix: &str, subnet: &str, others: Flavor) -> Down {
    binaries_on_path();
    let layout = Layout::new(root);
    let down = Down(layout.clone());
    let options = UpOptions {
        master: Flavor::Ng,
        chunkservers: vec![others; 3],
        metalogger: None,
        mount: others,
        mounts: 1,
        mountpoint: None,
        prefix: prefix.into(),
        subnet: subnet.parse().expect("subnet"),
        root_export: mooseng_tools::config::DEFAULT_ROOT_EXPORT.into(),
        timeout: Duration::from_secs(90),
    };
    if let Err(e) = mooseng_tools::up_group(&layout, &options, Replication::Default, 3) {
        panic!("cluster up: {e}");
    }
    down
}
