//! What one mount writes, another mount that holds the file open reads
//! at once through the descriptor it already had, as `mfsmaster` makes
//! it: when a file's chunk or length changes, the master tells every
//! other session holding the file open (MATOCL_FUSE_CHUNK_HAS_CHANGED,
//! MATOCL_FUSE_FLENG_HAS_CHANGED), and mfsmount drops what it and the
//! kernel cached of it. Two Debian mounts on our master and on
//! `mfsmaster`, each with three Debian chunkservers. Needs root, network
//! namespaces, FUSE and the MooseFS packages.

// The helpers below are test code too; a failed step should stop the test.
#![allow(clippy::unwrap_used)]

mod support;

use std::fs::{self, File, OpenOptions};
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::time::Duration;

use mooseng_tools::Flavor;
use support::{eventually, payload, up_compared};

const NG: (&str, &str) = ("ntcng", "10.233.177.0/24");
const MFS: (&str, &str) = ("ntcmf", "10.233.178.0/24");
const OURS: (&str, &str) = ("ntcmn", "10.233.179.0/24");
const LENGTH: usize = 1 << 20;
const EXPORT: &str = "rw,alldirs,maproot=0";

/// Through `reader` the file is opened and read whole; through `writer`
/// a block in its middle is overwritten and bytes are appended. Returns
/// whether the reader's descriptor then gives the new block and whether
/// its `fstat` gives the new length.
fn reader_sees_writes(reader: &Path, writer: &Path) -> (bool, bool) {
    fs::write(writer.join("shared"), payload(LENGTH, 1)).unwrap();
    let held = File::open(reader.join("shared")).unwrap();
    let mut first = vec![0; LENGTH];
    held.read_exact_at(&mut first, 0).unwrap();
    assert_eq!(
        first,
        payload(LENGTH, 1),
        "the reader reads what was written"
    );

    let block = payload(65_536, 2);
    let changed = OpenOptions::new()
        .write(true)
        .open(writer.join("shared"))
        .unwrap();
    changed.write_all_at(&block, 65_536).unwrap();
    changed.write_all_at(b"tail", LENGTH as u64).unwrap();
    changed.sync_all().unwrap();
    drop(changed);

    let fresh = eventually(Duration::from_secs(3), || {
        let mut now = vec![0; block.len()];
        held.read_exact_at(&mut now, 65_536).unwrap();
        now == block
    });
    let longer = eventually(Duration::from_secs(3), || {
        held.metadata().unwrap().len() == LENGTH as u64 + 4
    });
    (fresh, longer)
}

fn on(root: &Path, (prefix, subnet): (&str, &str), flavor: Flavor) -> (bool, bool) {
    let down = up_compared(root, (prefix, subnet), flavor, 2, EXPORT);
    let mnt = down.0.default_mountpoint();
    reader_sees_writes(&mnt.join("mount1"), &mnt.join("mount2"))
}

fn ours_on_mfsmaster(root: &Path) -> (bool, bool) {
    let down = support::up_flavors(root, OURS, (Flavor::Mfs, Flavor::Ng), 2, EXPORT);
    let mnt = down.0.default_mountpoint();
    reader_sees_writes(&mnt.join("mount1"), &mnt.join("mount2"))
}

#[test]
fn a_reader_holding_the_file_sees_another_mounts_write() {
    let dirs = [tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap()];
    let mfs = on(dirs[1].path(), MFS, Flavor::Mfs);
    assert_eq!(mfs, (true, true), "under mfsmaster: new block, new length");
    let ng = on(dirs[0].path(), NG, Flavor::Ng);
    assert_eq!(ng, mfs, "under mooseng-master as under mfsmaster");
}

#[test]
fn our_mount_holding_the_file_sees_another_mounts_write() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(ours_on_mfsmaster(dir.path()), (true, true));
}
