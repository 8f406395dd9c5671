//! Whether a Debian mount keeps the kernel's cache of a file it opens
//! again, as `mfsmaster` decides it (OPEN_KEEPCACHE): after the mount has
//! read the file, a new open keeps the pages; after another mount
//! changed the file, it drops them. `fincore` opens the file and counts
//! its pages in the page cache. Two Debian mounts on our master and on
//! `mfsmaster`, and two of ours on `mfsmaster`, each cluster with three
//! Debian chunkservers. Needs root, network namespaces, FUSE and the
//! MooseFS packages.

// The helpers below are test code too; a failed step should stop the test.
#![allow(clippy::unwrap_used)]

mod support;

use std::fs::{self, OpenOptions};
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::process::Command;

use mooseng_tools::Flavor;
use support::payload;

const NG: (&str, &str) = ("dcang", "10.233.184.0/24");
const MFS: (&str, &str) = ("dcamf", "10.233.185.0/24");
const OURS: (&str, &str) = ("dcamn", "10.233.186.0/24");
const LENGTH: usize = 1 << 20;
const EXPORT: &str = "rw,alldirs,maproot=0";

/// Bytes of `file` in the page cache, as `fincore` counts them after
/// opening it.
fn cached(file: &Path) -> u64 {
    let out = Command::new("fincore")
        .args(["--bytes", "--noheadings", "--output", "RES"])
        .arg(file)
        .output()
        .unwrap();
    assert!(out.status.success(), "fincore: {out:?}");
    String::from_utf8(out.stdout)
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

/// Cached bytes after a read and a reopen, then after the other mount
/// wrote a block.
fn kept_then_dropped(reader: &Path, writer: &Path) -> (u64, u64) {
    fs::write(writer.join("f"), payload(LENGTH, 1)).unwrap();
    assert_eq!(fs::read(reader.join("f")).unwrap(), payload(LENGTH, 1));
    let kept = cached(&reader.join("f"));
    let file = OpenOptions::new()
        .write(true)
        .open(writer.join("f"))
        .unwrap();
    file.write_all_at(&payload(65_536, 2), 0).unwrap();
    file.sync_all().unwrap();
    drop(file);
    (kept, cached(&reader.join("f")))
}

fn on(root: &Path, net: (&str, &str), flavor: Flavor) -> (u64, u64) {
    mounts_on(root, net, (flavor, Flavor::Mfs))
}

fn mounts_on(root: &Path, net: (&str, &str), flavors: (Flavor, Flavor)) -> (u64, u64) {
    let down = support::up_flavors(root, net, flavors, 2, EXPORT);
    let mnt = down.0.default_mountpoint();
    kept_then_dropped(&mnt.join("mount1"), &mnt.join("mount2"))
}

#[test]
fn a_mount_keeps_its_cache_until_another_changes_the_file() {
    let dirs = [tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap()];
    let mfs = on(dirs[1].path(), MFS, Flavor::Mfs);
    assert_eq!(mfs, (LENGTH as u64, 0), "under mfsmaster");
    let ng = on(dirs[0].path(), NG, Flavor::Ng);
    assert_eq!(ng, mfs, "under mooseng-master as under mfsmaster");
}

#[test]
fn our_mount_keeps_its_cache_as_the_master_says() {
    let dir = tempfile::tempdir().unwrap();
    let ours = mounts_on(dir.path(), OURS, (Flavor::Mfs, Flavor::Ng));
    assert_eq!(ours, (LENGTH as u64, 0), "mooseng-mount under mfsmaster");
}
