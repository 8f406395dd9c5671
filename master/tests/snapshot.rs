//! `mfsmakesnapshot` on a mount of `mooseng-master`, under
//! `mooseng-cluster` with Debian's (then MooseNG's) chunkservers and
//! mounts: a snapshot of a two-chunk file and of a small tree reads back
//! identical through the other mount and adds no chunk files (the copies
//! share the chunks); an existing name needs `-o`; writing to the original
//! afterwards duplicates the written chunk on the chunkservers, and
//! cutting it inside its other (still shared) chunk cuts a duplicate, so
//! the snapshot keeps the old bytes throughout. `mfsrmsnapshot` removes a
//! snapshot whole, refuses one
//! changed since unless `-f`, and with `-f` leaves what changed, as
//! `mfsmaster` does. Needs root, network namespaces, FUSE and the MooseFS
//! packages (scripts/setup.sh).

// The helpers below are test code too; a failed step should stop the test.
#![allow(clippy::unwrap_used)]

mod support;

use std::fs::{self, OpenOptions};
use std::io::{Seek, SeekFrom, Write};
use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

use mooseng_tools::{Flavor, Layout};
use support::{chunk_files, eventually, payload, up};

/// Two chunks: chunk 0 full, chunk 1 with 6 MiB.
const FILE_LEN: usize = 70 << 20;
/// The root's goal, which new files inherit.
const GOAL: usize = 2;
const MIB: usize = 1 << 20;
const CHUNK: usize = 64 << 20;

fn rmsnapshot(args: &[&str], target: &Path) -> Output {
    Command::new("mfsrmsnapshot")
        .args(args)
        .arg(target)
        .output()
        .unwrap()
}

/// Every path under `dir`, relative to it, sorted.
fn tree_of(dir: &Path) -> Vec<String> {
    let mut found = Vec::new();
    let mut todo = vec![dir.to_owned()];
    while let Some(at) = todo.pop() {
        for entry in fs::read_dir(&at).unwrap() {
            let path = entry.unwrap().path();
            if path.symlink_metadata().unwrap().is_dir() {
                todo.push(path.clone());
            }
            let relative = path.strip_prefix(dir).unwrap();
            found.push(relative.to_string_lossy().into_owned());
        }
    }
    found.sort();
    found
}

fn makesnapshot(args: &[&str], src: &Path, dst: &Path) -> Output {
    Command::new("mfsmakesnapshot")
        .args(args)
        .arg(src)
        .arg(dst)
        .output()
        .unwrap()
}

/// Asserts `back` equals `expected` without printing megabytes.
fn assert_same(back: &[u8], expected: &[u8], what: &str) {
    assert_eq!(back.len(), expected.len(), "{what}: length");
    if let Some(at) = back.iter().zip(expected).position(|(a, b)| a != b) {
        panic!("{what}: first difference at byte {at}");
    }
}

fn snapshots_share_chunks_and_keep_old_bytes(layout: &Layout) {
    let mnt = layout.root().join("mnt");
    let (one, two) = (mnt.join("mount1"), mnt.join("mount2"));
    let data = payload(FILE_LEN, 0x5a);
    fs::write(one.join("big"), &data).unwrap();
    fs::create_dir_all(one.join("tree/sub")).unwrap();
    let small = payload(100_000, 0x77);
    fs::write(one.join("tree/sub/small"), &small).unwrap();
    std::os::unix::fs::symlink("sub/small", one.join("tree/link")).unwrap();
    let files = GOAL * 3;
    assert!(
        eventually(Duration::from_secs(10), || chunk_files(layout).len()
            == files),
        "expected {files} chunk files, found {:?}",
        chunk_files(layout)
    );

    let out = makesnapshot(&[], &one.join("big"), &one.join("big.snap"));
    assert!(out.status.success(), "{out:?}");
    let out = makesnapshot(&[], &one.join("tree"), &one.join("tree.snap"));
    assert!(out.status.success(), "{out:?}");
    assert_same(
        &fs::read(two.join("big.snap")).unwrap(),
        &data,
        "file snapshot",
    );
    assert_same(
        &fs::read(two.join("tree.snap/sub/small")).unwrap(),
        &small,
        "tree snapshot",
    );
    assert_eq!(
        fs::read_link(two.join("tree.snap/link")).unwrap(),
        Path::new("sub/small")
    );
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(chunk_files(layout).len(), files, "snapshots share chunks");

    let out = makesnapshot(&[], &one.join("big"), &one.join("big.snap"));
    assert!(!out.status.success(), "an existing name needs -o: {out:?}");
    let out = makesnapshot(&["-o"], &one.join("big"), &one.join("big.snap"));
    assert!(out.status.success(), "{out:?}");

    // Overwrite the first MiB of the original in place: chunk 0 is shared,
    // so the write must go to a duplicate, in GOAL more chunk files.
    let fresh = payload(MIB, 0x99);
    let mut file = OpenOptions::new()
        .write(true)
        .open(one.join("big"))
        .unwrap();
    file.seek(SeekFrom::Start(0)).unwrap();
    file.write_all(&fresh).unwrap();
    file.sync_all().unwrap();
    drop(file);
    let mut expected = data.clone();
    expected[..MIB].copy_from_slice(&fresh);
    assert_same(
        &fs::read(two.join("big")).unwrap(),
        &expected,
        "written original",
    );
    assert_same(
        &fs::read(two.join("big.snap")).unwrap(),
        &data,
        "snapshot after the write",
    );
    assert!(
        eventually(Duration::from_secs(10), || chunk_files(layout).len()
            == files + GOAL),
        "the written chunk is duplicated: {:?}",
        chunk_files(layout)
    );

    // Cut the original inside its second chunk, still shared, and grow it
    // again: the cut goes to a duplicate (DUPTRUNC), so the original reads
    // zeros past the cut and the snapshot keeps every byte.
    let cut = CHUNK + 100_000;
    let file = OpenOptions::new()
        .write(true)
        .open(one.join("big"))
        .unwrap();
    file.set_len(cut as u64).unwrap();
    file.set_len(FILE_LEN as u64).unwrap();
    drop(file);
    expected[cut..].fill(0);
    // Read where it was cut: mount2 read `big` before and no longer holds
    // it open, so no chunk-changed notice told it to drop what it cached.
    assert_same(
        &fs::read(one.join("big")).unwrap(),
        &expected,
        "cut original",
    );
    assert_same(
        &fs::read(two.join("big.snap")).unwrap(),
        &data,
        "snapshot after the cut",
    );
    assert!(
        eventually(Duration::from_secs(10), || chunk_files(layout).len()
            == files + 2 * GOAL),
        "the cut chunk is duplicated: {:?}",
        chunk_files(layout)
    );
}

/// Runs after [`snapshots_share_chunks_and_keep_old_bytes`]; what is
/// expected was seen on Debian's mfsmaster with the same commands.
fn rmsnapshot_removes_what_a_snapshot_made_and_nothing_else(layout: &Layout) {
    let mnt = layout.root().join("mnt");
    let (one, two) = (mnt.join("mount1"), mnt.join("mount2"));
    let out = rmsnapshot(&[], &one.join("tree.snap"));
    assert!(out.status.success(), "{out:?}");
    assert!(!two.join("tree.snap").exists());
    // Its chunks stay while mount2, which read it, still holds it open.
    let out = rmsnapshot(&[], &one.join("big.snap"));
    assert!(out.status.success(), "{out:?}");
    assert!(!two.join("big.snap").exists());
    assert_eq!(
        fs::metadata(two.join("big")).unwrap().len(),
        FILE_LEN as u64
    );
    let out = rmsnapshot(&[], &one.join("tree"));
    assert!(!out.status.success(), "not a snapshot: {out:?}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("Operation not permitted"));

    let changed = one.join("changed");
    let out = makesnapshot(&[], &one.join("tree"), &changed);
    assert!(out.status.success(), "{out:?}");
    fs::write(changed.join("sub/new"), b"new").unwrap();
    let out = rmsnapshot(&[], &changed);
    assert!(!out.status.success(), "changed since: {out:?}");
    assert_eq!(tree_of(&changed), ["link", "sub", "sub/new", "sub/small"]);
    let out = rmsnapshot(&["-f"], &changed);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(tree_of(&changed), ["sub", "sub/new"]);

    let written = one.join("written");
    let out = makesnapshot(&[], &one.join("tree"), &written);
    assert!(out.status.success(), "{out:?}");
    fs::write(written.join("sub/small"), b"other bytes").unwrap();
    let out = rmsnapshot(&["-f"], &written);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(tree_of(&written), ["sub", "sub/small"]);
    assert_eq!(
        fs::read(two.join("written/sub/small")).unwrap(),
        b"other bytes"
    );
}

#[test]
fn mfsmakesnapshot_with_debian_chunkservers_and_mounts() {
    let dir = tempfile::tempdir().unwrap();
    let down = up(dir.path(), "snap1", "10.233.241.0/24", Flavor::Mfs);
    snapshots_share_chunks_and_keep_old_bytes(&down.0);
    rmsnapshot_removes_what_a_snapshot_made_and_nothing_else(&down.0);
}

#[test]
fn mfsmakesnapshot_with_moosefs_ng_chunkservers_and_mounts() {
    let dir = tempfile::tempdir().unwrap();
    let down = up(dir.path(), "snap2", "10.233.242.0/24", Flavor::Ng);
    snapshots_share_chunks_and_keep_old_bytes(&down.0);
    rmsnapshot_removes_what_a_snapshot_made_and_nothing_else(&down.0);
}
