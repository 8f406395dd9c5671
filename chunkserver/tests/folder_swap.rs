//! A data folder written by Debian's `mfschunkserver` 3.0.117 served by
//! `mooseng-chunkserver` (`mooseng-cluster`; root, `ip`, FUSE and the
//! MooseFS packages, scripts/setup.sh).
//!
//! Three Debian chunkservers hold every chunk of a goal-3 file. Chunkserver
//! 1 is stopped and ours is started at its address on its folder (with
//! MooseFS's `.lock` and `.chunkdb` files still there); once the other two
//! are stopped as well, ours holds the only copy the master knows, so the
//! file read through a mount that never saw it comes from our server and
//! must match, and `mfsfileinfo` must show that copy VALID.

mod support;

use std::fs;
use std::time::{Duration, Instant};

use support::{chunk_files, payload, run, sha256_file, text, valid_copies, Cluster};

use sha2::{Digest, Sha256};

/// The cluster's subnet is 10.233.OCTET.0/24; chunkserver N is .1N.
const OCTET: u8 = 172;

#[test]
fn mooseng_serves_a_folder_written_by_mfschunkserver() {
    let started = Instant::now();
    let cluster = Cluster::up("mfsngcg2", OCTET, "mfs,mfs,mfs", &[]);

    let dir = cluster.mount(1).join("goal3");
    fs::create_dir(&dir).unwrap();
    let goal = run("mfssetgoal", &["3", dir.to_str().expect("UTF-8 path")]);
    assert!(goal.status.success(), "{}", text(&goal));
    // Two chunks, the second partly filled; a small file in one block.
    let big = payload((64 << 20) + (5 << 20) + 12345);
    let small = b"written by mfschunkserver\n".repeat(100);
    fs::write(dir.join("big"), &big).unwrap();
    fs::write(dir.join("small"), &small).unwrap();
    let info = cluster.wait_fileinfo(&dir.join("big"), Duration::from_secs(30), |info| {
        valid_copies(info) == [3, 3]
    });
    assert_eq!(valid_copies(&info), [3, 3], "mfsfileinfo:\n{info}");
    let mut before = chunk_files(&cluster.hdd(1));
    before.sort();
    assert_eq!(before.len(), 3, "cs1 holds every chunk: {before:?}");

    cluster.stop_chunkserver(1);
    for leftover in [".lock", ".chunkdb"] {
        assert!(
            cluster.hdd(1).join(leftover).exists(),
            "mfschunkserver left {leftover} in its folder"
        );
    }
    cluster.start_ng_chunkserver(1);
    cluster.stop_chunkserver(2);
    cluster.stop_chunkserver(3);

    let ours = format!("10.233.{OCTET}.11:9422");
    for (name, len) in [("big", big.len()), ("small", small.len())] {
        let file = cluster.mount(2).join("goal3").join(name);
        let info = cluster.wait_fileinfo(&file, Duration::from_secs(30), |info| {
            info.lines()
                .filter(|l| l.contains("status:VALID"))
                .all(|l| l.contains(&ours))
                && valid_copies(info).iter().all(|&c| c == 1)
        });
        let copies = valid_copies(&info);
        assert!(
            !copies.is_empty() && copies.iter().all(|&c| c == 1),
            "only our copy is VALID; mfsfileinfo:\n{info}"
        );
        assert!(info.contains(&ours), "mfsfileinfo:\n{info}");
        let (digest, read) = sha256_file(&file).unwrap();
        assert_eq!(read as usize, len, "{name}: length");
        let expected = if name == "big" {
            Sha256::digest(&big)
        } else {
            Sha256::digest(&small)
        };
        assert_eq!(digest, expected.to_vec(), "{name}: bytes differ");
    }

    let log = cluster.log("cs1");
    assert!(!log.contains("panicked"), "cs1 log:\n{log}");
    let mut after = chunk_files(&cluster.hdd(1));
    after.sort();
    assert_eq!(after, before, "the chunk files are the same files");
    eprintln!("done in {:?}", started.elapsed());
}
