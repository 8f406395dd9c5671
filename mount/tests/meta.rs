//! The meta file system (`-o mfsmeta`) of `mooseng-mount` beside Debian's
//! `mfsmount -o mfsmeta`, both on one Debian MooseFS 3.0.117 cluster: files
//! deleted through an ordinary mount show in both meta mounts' trash with
//! the same names and attributes, are restored by a move into `undel`
//! (to a path changed by writing the trash file), are purged by removal,
//! and a file deleted while open shows in `sustained`. Needs root,
//! network namespaces, FUSE and the MooseFS packages (scripts/setup.sh).

// The helpers below are test code too; a failed step should stop the test.
#![allow(clippy::unwrap_used)]

mod support;

use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use mooseng_tools::config::Replication;
use support::{Cluster, Setup};

const PREFIX: &str = "memeta";
const SUBNET: &str = "10.233.249.0/24";
const MASTER: &str = "10.233.249.2";
const BUCKETS: u64 = 4096;

/// Mounts the meta file system with `program` (which goes to the
/// background once mounted).
fn mount_meta(program: &str, at: &Path) {
    fs::create_dir_all(at).unwrap();
    let mounted = Command::new(program)
        .arg(at)
        .args(["-H", MASTER, "-P", "9421", "-o", "mfsmeta"])
        .status()
        .unwrap();
    assert!(mounted.success(), "{program} -o mfsmeta");
}

fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < Duration::from_secs(15), "no {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn errno(result: std::io::Result<impl Sized>) -> Option<i32> {
    result.err().and_then(|e| e.raw_os_error())
}

/// Names in a directory, sorted, with what `ls -l` shows of each
/// (times and sizes included) except the fixed directories' times, which
/// both clients set to the moment of the call.
fn listing(dir: &Path) -> Vec<(String, u64, u32, u64, u32, u32, i64)> {
    let mut list: Vec<_> = fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            let m = fs::symlink_metadata(e.path()).unwrap();
            let mtime = if m.is_dir() { 0 } else { m.mtime() };
            let name = e.file_name().to_string_lossy().into_owned();
            (name, m.ino(), m.mode(), m.nlink(), m.uid(), m.gid(), mtime)
        })
        .collect();
    list.sort();
    list
}

/// `trash/XXX` of a file, and its entry name there.
fn trash_entry(inode: u64, path: &str) -> (String, String) {
    let bucket = format!("trash/{:03X}", inode % BUCKETS);
    (bucket, format!("{inode:08X}|{}", path.replace('/', "|")))
}

/// Deletes `path` (relative to the ordinary mount) and returns its trash
/// bucket and entry name once both meta mounts show it, with the same
/// listing of the bucket.
fn delete(ng: &Path, metas: &[PathBuf; 2], path: &str) -> (String, String) {
    let inode = fs::metadata(ng.join(path)).unwrap().ino();
    fs::remove_file(ng.join(path)).unwrap();
    let (bucket, entry) = trash_entry(inode, path);
    for meta in metas {
        wait_for(&format!("{entry} in {}", meta.display()), || {
            meta.join(&bucket).join(&entry).exists()
        });
    }
    assert_eq!(
        listing(&metas[0].join(&bucket)),
        listing(&metas[1].join(&bucket))
    );
    (bucket, entry)
}

/// The fixed tree reads the same on both, and so does its `statfs`.
fn same_tree(metas: &[PathBuf; 2]) {
    let [ours, theirs] = metas;
    assert_eq!(listing(ours), listing(theirs));
    for dir in ["", "trash", "sustained", "trash/000", "trash/FFF"] {
        let (a, b) = (
            fs::metadata(ours.join(dir)).unwrap(),
            fs::metadata(theirs.join(dir)).unwrap(),
        );
        let facts = |m: &fs::Metadata| (m.ino(), m.mode(), m.nlink(), m.uid(), m.size());
        assert_eq!(facts(&a), facts(&b), "{dir}");
    }
    let trash: Vec<_> = fs::read_dir(ours.join("trash")).unwrap().collect();
    assert_eq!(trash.len(), 1 + BUCKETS as usize);
    let (a, b) = (
        rustix::fs::statvfs(ours.as_path()).unwrap(),
        rustix::fs::statvfs(theirs.as_path()).unwrap(),
    );
    assert_eq!(
        (a.f_files, a.f_bsize, a.f_namemax),
        (b.f_files, b.f_bsize, b.f_namemax)
    );
    assert_eq!(a.f_files, 1_003_000_234);
    assert_eq!(fs::metadata(ours.join(".masterinfo")).unwrap().len(), 14);
    assert_eq!(
        errno(fs::create_dir(ours.join("trash/new"))),
        errno(fs::create_dir(theirs.join("trash/new")))
    );
}

/// Moving a trash entry into `undel` brings the file back, at the path
/// written into the entry beforehand.
fn undelete(ng: &Path, metas: &[PathBuf; 2]) {
    let [ours, theirs] = metas;
    let data: Vec<u8> = (0..300_000u32).map(|i| (i % 253) as u8).collect();
    fs::create_dir_all(ng.join("m/d")).unwrap();
    fs::write(ng.join("m/d/victim"), &data).unwrap();
    let (bucket, entry) = delete(ng, metas, "m/d/victim");
    let in_trash = |meta: &Path| meta.join(&bucket).join(&entry);
    assert_eq!(fs::read(in_trash(ours)).unwrap(), b"m/d/victim\n");
    assert_eq!(fs::read(in_trash(theirs)).unwrap(), b"m/d/victim\n");
    assert_eq!(
        fs::metadata(in_trash(ours)).unwrap().len(),
        data.len() as u64
    );

    fs::write(in_trash(ours), b"m/d/saved\n").unwrap();
    // The new path is sent at release, which close does not wait for.
    wait_for("the new path seen by mfsmount", || {
        fs::read(in_trash(theirs)).unwrap() == b"m/d/saved\n"
    });
    fs::rename(
        in_trash(ours),
        ours.join(&bucket).join("undel").join(&entry),
    )
    .unwrap();
    assert_eq!(fs::read(ng.join("m/d/saved")).unwrap(), data);
    assert!(!ng.join("m/d/victim").exists());
    assert!(!in_trash(theirs).exists());
}

/// Removing a trash entry purges the file: gone from both trashes.
fn purge(ng: &Path, metas: &[PathBuf; 2]) {
    let ours = &metas[0];
    fs::write(ng.join("m/gone"), b"gone for good").unwrap();
    let (bucket, entry) = delete(ng, metas, "m/gone");
    fs::remove_file(ours.join(&bucket).join(&entry)).unwrap();
    // Looked up by name a purged file may still be found while a mount
    // holds it open (it is sustained then), so look at the listings.
    for meta in metas {
        wait_for(&format!("{entry} purged from {}", meta.display()), || {
            !listing(&meta.join(&bucket)).iter().any(|l| l.0 == entry)
        });
    }
    assert!(!ng.join("m/gone").exists());
    // Other names are not found, in both.
    for meta in metas {
        let odd = meta.join("sustained/x");
        assert_eq!(errno(fs::remove_file(odd)), Some(libc::ENOENT));
    }
}

/// A file deleted while open, with no trash time, is sustained: listed
/// alike in both meta mounts' `sustained`.
fn sustained(ng: &Path, metas: &[PathBuf; 2]) {
    fs::write(ng.join("m/open"), b"still open").unwrap();
    let set = Command::new("mfssettrashtime")
        .args(["0", "m/open"])
        .current_dir(ng)
        .output()
        .unwrap();
    assert!(set.status.success(), "{set:?}");
    let inode = fs::metadata(ng.join("m/open")).unwrap().ino();
    let held = fs::File::open(ng.join("m/open")).unwrap();
    fs::remove_file(ng.join("m/open")).unwrap();
    let entry = format!("{inode:08X}|m|open");
    for meta in metas {
        wait_for(&format!("{entry} in {}/sustained", meta.display()), || {
            meta.join("sustained").join(&entry).exists()
        });
    }
    assert_eq!(
        listing(&metas[0].join("sustained")),
        listing(&metas[1].join("sustained"))
    );
    drop(held);
}

#[test]
fn meta_mount_shows_and_restores_the_trash_as_mfsmount_does() {
    let root = tempfile::tempdir().unwrap();
    let setup = Setup {
        chunkservers: 2,
        root_export: "rw,alldirs,maproot=0",
        replication: Replication::Quick,
        ..Setup::new(PREFIX, SUBNET)
    };
    let mut cluster = Cluster::up(root.path(), &setup);
    let metas = [root.path().join("ngmeta"), root.path().join("mfsmeta")];
    for meta in &metas {
        cluster.unmount_at_end(meta);
    }
    let ng = cluster.mount(0);
    mount_meta(env!("CARGO_BIN_EXE_mooseng-mount"), &metas[0]);
    mount_meta("mfsmount", &metas[1]);

    same_tree(&metas);
    undelete(&ng, &metas);
    purge(&ng, &metas);
    sustained(&ng, &metas);
    drop(cluster);
}
