//! Replication in both directions between Debian's MooseFS 3.0.117
//! chunkserver and ours, under Debian's master and mounts, started with
//! `mooseng-cluster` in network namespaces. Needs root, `ip`, FUSE and the
//! MooseFS packages (scripts/setup.sh).
//!
//! File A is written at goal 1 while only Debian's cs1 runs, file B while
//! only our cs2 and cs3 run, so each has its one copy on one flavor. Raising
//! both to goal 3 then makes our servers pull A from Debian's and Debian's
//! pull B from ours: no other copy exists to pull from.

mod support;

use std::fs;
use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

use mooseng_chunkserver::chunk_file::{ChunkFile, ChunkPath};
use sha2::{Digest, Sha256};
use support::{chunk_files, payload, run, sha256_file, text, valid_copies, Cluster};

const DEBIAN: &str = "10.233.174.11:9422";
const OURS: [&str; 2] = ["10.233.174.12:9422", "10.233.174.13:9422"];

/// Addresses of the VALID copies in `mfsfileinfo` output.
fn valid_holders(info: &str) -> Vec<&str> {
    info.lines()
        .map(str::trim)
        .filter(|line| line.starts_with("copy ") && line.contains("status:VALID"))
        .filter_map(|line| line.split_whitespace().nth(2))
        .collect()
}

fn set_goal(goal: &str, path: &Path) {
    let out = run("mfssetgoal", &[goal, path.to_str().expect("UTF-8 path")]);
    assert!(out.status.success(), "{}", text(&out));
}

/// Writes `data` to `path` and fsyncs it, so its chunk is on the servers
/// that run now.
fn write_synced(path: &Path, data: &[u8]) {
    let written = fs::File::create(path).and_then(|mut file| {
        file.write_all(data)?;
        file.sync_all()
    });
    if let Err(err) = written {
        panic!("writing {} failed: {err}", path.display());
    }
}

#[test]
fn replication_runs_both_ways_between_debian_and_mooseng() {
    let started = Instant::now();
    let cluster = Cluster::up("mfsngmx", 174, "mfs,ng,ng", &[]);
    let dir = cluster.mount(1).join("single");
    fs::create_dir(&dir).unwrap();
    set_goal("1", &dir);

    let a = payload(3 << 20);
    let b: Vec<u8> = payload(5 << 20).iter().map(|byte| byte ^ 0x5a).collect();

    cluster.stop_chunkserver(2);
    cluster.stop_chunkserver(3);
    write_synced(&dir.join("a"), &a);
    cluster.start_ng_chunkserver(2);
    cluster.start_ng_chunkserver(3);

    cluster.stop_chunkserver(1);
    write_synced(&dir.join("b"), &b);
    cluster.start_mfs_chunkserver(1);

    let one_copy = |info: &str| valid_copies(info) == [1];
    let info_a = cluster.wait_fileinfo(&dir.join("a"), Duration::from_secs(10), one_copy);
    assert_eq!(valid_holders(&info_a), [DEBIAN], "A:\n{info_a}");
    let info_b = cluster.wait_fileinfo(&dir.join("b"), Duration::from_secs(10), one_copy);
    let holders_b = valid_holders(&info_b);
    assert!(
        holders_b.len() == 1 && OURS.contains(&holders_b[0]),
        "B:\n{info_b}"
    );

    set_goal("3", &dir.join("a"));
    set_goal("3", &dir.join("b"));
    let raised = Instant::now();
    for name in ["a", "b"] {
        let info = cluster.wait_fileinfo(&dir.join(name), Duration::from_secs(100), |info| {
            valid_copies(info) == [3]
        });
        let mut holders = valid_holders(&info);
        holders.sort_unstable();
        assert_eq!(
            holders,
            [DEBIAN, OURS[0], OURS[1]],
            "{name}:\n{info}\ncs1 log:\n{}\ncs2 log:\n{}",
            cluster.log("cs1"),
            cluster.log("cs2")
        );
    }
    eprintln!(
        "three copies each {:?} after raising the goal",
        raised.elapsed()
    );

    for (name, data) in [("a", &a), ("b", &b)] {
        let (hash, len) = sha256_file(&cluster.mount(2).join("single").join(name)).unwrap();
        assert_eq!(len, data.len() as u64, "{name}'s length");
        assert_eq!(hash, Sha256::digest(data).to_vec(), "{name}'s bytes");
    }

    let mut checked = 0;
    for cs in 1..=3 {
        for path in chunk_files(&cluster.hdd(cs)) {
            let parsed = ChunkPath::parse(&path).expect("a chunk file name");
            let report = ChunkFile::open(parsed)
                .unwrap_or_else(|err| panic!("{} does not open: {err}", path.display()))
                .verify();
            assert!(
                report.bad_blocks.is_empty(),
                "{} has bad blocks {:?}",
                path.display(),
                report.bad_blocks
            );
            let tool = run("mfschunktool", &["-x", path.to_str().expect("UTF-8 path")]);
            assert!(
                String::from_utf8_lossy(&tool.stdout)
                    .trim_end()
                    .ends_with("OK"),
                "mfschunktool refused {}:\n{}",
                path.display(),
                text(&tool)
            );
            checked += 1;
        }
    }
    assert_eq!(checked, 6, "two chunks, three copies each");
    eprintln!("whole test {:?}", started.elapsed());
}
