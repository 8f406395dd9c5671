//! `mooseng-mount` on Debian's MooseFS 3.0.117 master tells the master
//! once a minute which files it holds open (SUSTAINED_INODES), as mfsmount
//! does: a file unlinked while open here stays readable and listed as
//! open (`mfscli -SOF`); once closed, the next list lets the master
//! release it, and the unlinked file is gone. Without the list the master
//! kept every file the session ever opened until unmount. Needs root,
//! network namespaces, FUSE and the MooseFS packages; about 90 seconds.

// The helpers below are test code too; a failed step should stop the test.
#![allow(clippy::unwrap_used)]

mod support;

use std::fs::{self, File};
use std::io::Read;
use std::os::unix::fs::MetadataExt;
use std::process::Command;
use std::time::{Duration, Instant};

use support::{payload, Cluster, Setup};

const MASTER: &str = "10.233.182.2";

/// Whether `mfscli -SOF` lists `inode` as open by some session.
fn listed_open(inode: u64) -> bool {
    let out = Command::new("mfscli")
        .args(["-H", MASTER, "-p", "-SOF"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success() && !text.contains("Traceback"),
        "{text}"
    );
    text.lines()
        .any(|l| l.split('\t').any(|field| field == inode.to_string()))
}

#[test]
fn a_closed_file_is_released_by_the_next_open_files_list() {
    let root = tempfile::tempdir().unwrap();
    let cluster = Cluster::up(root.path(), &Setup::new("mosus", "10.233.182.0/24"));
    let file = cluster.mount(0).join("kept");
    let bytes = payload(100_000, 3);
    fs::write(&file, &bytes).unwrap();
    let inode = fs::metadata(&file).unwrap().ino();

    let mut held = File::open(&file).unwrap();
    fs::remove_file(&file).unwrap();
    assert!(listed_open(inode), "held open after the unlink");
    let mut read = Vec::new();
    held.read_to_end(&mut read).unwrap();
    assert_eq!(read, bytes, "an unlinked file open here keeps its data");

    drop(held);
    let start = Instant::now();
    while listed_open(inode) {
        assert!(
            start.elapsed() < Duration::from_secs(75),
            "inode {inode} still open a minute after it was closed"
        );
        std::thread::sleep(Duration::from_secs(1));
    }
}
