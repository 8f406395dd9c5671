//! Mounts a Debian MooseFS 3.0.117 cluster (master and three chunkservers
//! from `mooseng-cluster`) with `mooseng-mount`, does everyday file work
//! through the kernel, and checks that Debian's `mfsmount` of the same
//! cluster reads what we wrote and the other way round. Needs root, network
//! namespaces, FUSE and the MooseFS packages (scripts/setup.sh).

// The helpers below are test code too; a failed step should stop the test.
#![allow(clippy::unwrap_used)]

mod support;

use std::fs::{self, OpenOptions};
use std::os::unix::fs::{FileExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::{Digest, Sha256};
use support::{payload, Cluster, Setup};

const PREFIX: &str = "mfsngmnt";
const SUBNET: &str = "10.233.102.0/24";
const MASTER: &str = "10.233.102.2";
const CHUNK: u64 = 64 << 20;
const BLOCK: u64 = 64 << 10;

fn run(program: &str, args: &[&str]) -> String {
    let out = Command::new(program)
        .args(args)
        .output()
        .expect("program runs");
    assert!(
        out.status.success(),
        "{program} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn sha256(path: &Path) -> String {
    let bytes = fs::read(path).expect("file reads back");
    format!("{:x}", Sha256::digest(&bytes))
}

fn namespace_work(ng: &Path, mfs: &Path) {
    let dir = ng.join("d1");
    fs::create_dir(&dir).unwrap();
    fs::write(dir.join("f"), b"hello").unwrap();
    fs::rename(dir.join("f"), dir.join("g")).unwrap();
    fs::hard_link(dir.join("g"), dir.join("h")).unwrap();
    std::os::unix::fs::symlink("g", dir.join("s")).unwrap();
    assert_eq!(fs::read_link(dir.join("s")).unwrap(), PathBuf::from("g"));
    assert_eq!(fs::read(dir.join("s")).unwrap(), b"hello");
    fs::set_permissions(dir.join("g"), fs::Permissions::from_mode(0o640)).unwrap();
    run("chown", &["1234:567", dir.join("g").to_str().unwrap()]);
    run(
        "touch",
        &["-d", "@1000000", dir.join("g").to_str().unwrap()],
    );
    let meta = fs::metadata(dir.join("h")).unwrap();
    assert_eq!(
        (meta.mode() & 0o7777, meta.uid(), meta.gid()),
        (0o640, 1234, 567)
    );
    assert_eq!((meta.nlink(), meta.mtime(), meta.len()), (2, 1_000_000, 5));
    let listing = run("ls", &[dir.to_str().unwrap()]);
    assert_eq!(
        listing.split_whitespace().collect::<Vec<_>>(),
        ["g", "h", "s"]
    );

    run(
        "setfattr",
        &[
            "-n",
            "user.colour",
            "-v",
            "blue",
            dir.join("g").to_str().unwrap(),
        ],
    );
    let seen_by_mfs = run(
        "getfattr",
        &[
            "-n",
            "user.colour",
            "--only-values",
            mfs.join("d1/g").to_str().unwrap(),
        ],
    );
    assert_eq!(seen_by_mfs, "blue");
    let listed = run("getfattr", &["-d", dir.join("g").to_str().unwrap()]);
    assert!(listed.contains("user.colour=\"blue\""), "{listed}");
    run(
        "setfattr",
        &["-x", "user.colour", dir.join("g").to_str().unwrap()],
    );
    let missing = Command::new("getfattr")
        .args(["-n", "user.colour"])
        .arg(dir.join("g"))
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&missing.stderr).contains("No such attribute"));

    assert_eq!(
        fs::remove_dir(&dir).unwrap_err().raw_os_error(),
        Some(libc::ENOTEMPTY)
    );
    for name in ["g", "h", "s"] {
        fs::remove_file(dir.join(name)).unwrap();
    }
    fs::remove_dir(&dir).unwrap();
    assert!(!dir.exists());
}

/// About 100 MiB written in pieces that straddle block and chunk
/// boundaries, out of order, then read back whole by both mounts.
fn big_file(ng: &Path, mfs: &Path) {
    let len = 100 << 20;
    let data = payload(len, 7);
    let file = OpenOptions::new()
        .create(true)
        .truncate(true)
        .write(true)
        .open(ng.join("big"))
        .unwrap();
    let cuts = [
        0,
        BLOCK - 7,
        3 * BLOCK + 1,
        CHUNK - 100,
        CHUNK + BLOCK - 1,
        90 << 20,
        len as u64,
    ];
    let mut pieces: Vec<(u64, u64)> = cuts.windows(2).map(|w| (w[0], w[1])).collect();
    pieces.reverse();
    for (from, to) in pieces {
        for at in (from..to).step_by(3 << 20) {
            let end = (at + (3 << 20)).min(to);
            file.write_all_at(&data[at as usize..end as usize], at)
                .unwrap();
        }
    }
    file.sync_all().unwrap();
    drop(file);
    let expected = format!("{:x}", Sha256::digest(&data));
    assert_eq!(sha256(&ng.join("big")), expected);
    assert_eq!(sha256(&mfs.join("big")), expected);

    // A small overwrite across a chunk boundary, through mfsmount, is seen by us.
    let patch = payload(200_000, 9);
    let other = OpenOptions::new()
        .write(true)
        .open(mfs.join("big"))
        .unwrap();
    other.write_all_at(&patch, CHUNK - 100_000).unwrap();
    other.sync_all().unwrap();
    drop(other);
    let mut patched = data;
    patched[(CHUNK - 100_000) as usize..(CHUNK + 100_000) as usize].copy_from_slice(&patch);
    let expected = format!("{:x}", Sha256::digest(&patched));
    assert_eq!(sha256(&mfs.join("big")), expected);
    assert_eq!(sha256(&ng.join("big")), expected);

    // A file written whole by mfsmount reads back identically through us.
    let theirs = payload(3 * BLOCK as usize + 5, 11);
    fs::write(mfs.join("theirs"), &theirs).unwrap();
    assert_eq!(fs::read(ng.join("theirs")).unwrap(), theirs);

    // Truncation is seen by both.
    let file = OpenOptions::new().write(true).open(ng.join("big")).unwrap();
    file.set_len(CHUNK + 10).unwrap();
    drop(file);
    assert_eq!(fs::metadata(mfs.join("big")).unwrap().len(), CHUNK + 10);
    assert_eq!(
        fs::read(ng.join("big")).unwrap(),
        patched[..(CHUNK + 10) as usize]
    );
}

#[test]
fn everyday_file_work_matches_mfsmount() {
    let root = tempfile::tempdir().unwrap();
    let mut cluster = Cluster::up(root.path(), &Setup::new(PREFIX, SUBNET));
    let mfs = root.path().join("mfsmount");
    fs::create_dir(&mfs).unwrap();
    cluster.unmount_at_end(&mfs);
    let ng = cluster.mount(0);
    run(
        "mfsmount",
        &[mfs.to_str().unwrap(), "-H", MASTER, "-P", "9421"],
    );

    namespace_work(&ng, &mfs);
    big_file(&ng, &mfs);

    let df = run("df", &[ng.to_str().unwrap()]);
    assert!(df.contains(&format!("{MASTER}:9421")), "{df}");
    drop(cluster);
    assert!(!fs::read_to_string("/proc/mounts")
        .unwrap()
        .contains(ng.to_str().unwrap()));
}
