//! `mfsmakesnapshot` on a mount of `mooseng-master`, under
//! `mooseng-cluster` with Debian's (then MooseNG's) chunkservers and
//! mounts: a snapshot of a two-chunk file and of a small tree reads back
//! identical through the other mount and adds no chunk files (the copies
//! share the chunks); an existing name needs `-o`; writing to the original
//! afterwards duplicates the written chunk on the chunkservers, and
//! cutting it inside its other (still shared) chunk cuts a duplicate, so
//! the snapshot keeps the old bytes throughout. Needs root, network namespaces, FUSE and
//! the MooseFS packages (scripts/setup.sh).

// The helpers below are test code too; a failed step should stop the test.
#![allow(clippy::unwrap_used)]

use std::fs::{self, OpenOptions};
use std::io::{Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use mooseng_tools::cluster::UpOptions;
use mooseng_tools::{Flavor, Layout, Role};

/// Two chunks: chunk 0 full, chunk 1 with 6 MiB.
const FILE_LEN: usize = 70 << 20;
/// The root's goal, which new files inherit.
const GOAL: usize = 2;
const MIB: usize = 1 << 20;
const CHUNK: usize = 64 << 20;

struct Down(Layout);

impl Drop for Down {
    fn drop(&mut self) {
        if let Err(e) = mooseng_tools::down(&self.0) {
            eprintln!("cluster down: {e}");
        }
    }
}

fn payload(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

fn up(root: &Path, prefix: &str, subnet: &str, others: Flavor) -> Down {
    let bin = Path::new(env!("CARGO_BIN_EXE_mooseng-master"))
        .parent()
        .unwrap();
    let path = std::env::var("PATH").unwrap_or_default();
    std::env::set_var("PATH", format!("{}:{path}", bin.display()));
    let layout = Layout::new(root);
    let down = Down(layout.clone());
    let options = UpOptions {
        master: Flavor::Ng,
        chunkservers: vec![others; 3],
        metalogger: None,
        mount: others,
        mounts: 2,
        mountpoint: None,
        prefix: prefix.into(),
        subnet: subnet.parse().unwrap(),
        root_export: mooseng_tools::config::DEFAULT_ROOT_EXPORT.into(),
        timeout: Duration::from_secs(30),
    };
    if let Err(e) = mooseng_tools::up(&layout, &options) {
        panic!("cluster up: {e}");
    }
    down
}

fn chunk_files(layout: &Layout) -> Vec<PathBuf> {
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

fn eventually(limit: Duration, mut done: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if done() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    done()
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
    // Read where it was cut: mount2 read `big` before and keeps what it
    // cached (MooseNG's master sends no chunk-changed notices yet).
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

#[test]
fn mfsmakesnapshot_with_debian_chunkservers_and_mounts() {
    let dir = tempfile::tempdir().unwrap();
    let down = up(dir.path(), "snap1", "10.233.241.0/24", Flavor::Mfs);
    snapshots_share_chunks_and_keep_old_bytes(&down.0);
}

#[test]
fn mfsmakesnapshot_with_moosefs_ng_chunkservers_and_mounts() {
    let dir = tempfile::tempdir().unwrap();
    let down = up(dir.path(), "snap2", "10.233.242.0/24", Flavor::Ng);
    snapshots_share_chunks_and_keep_old_bytes(&down.0);
}
