//! Our chunkservers under Debian's MooseFS 3.0.117 master and mounts,
//! started with `mooseng-cluster` in network namespaces. Needs root,
//! `ip`, FUSE and the MooseFS packages (scripts/setup.sh).
//!
//! - Three MooseNG chunkservers: `mfscli -SCS` lists them; a file crossing
//!   a 64 MiB chunk boundary, written with goal 2 through one mount, reads
//!   back identical through a second mount; `mfsfileinfo` shows two valid
//!   copies per chunk; `mfschunktool` accepts every chunk file we wrote.
//! - One MooseFS and two MooseNG chunkservers: raising the goal to 3 makes
//!   the master replicate every chunk onto the servers that lack it, so
//!   copies flow between MooseFS's and ours.

mod support;

use std::fs;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};
use support::{chunk_files, payload, run, text, valid_copies, Cluster};

#[test]
fn three_mooseng_chunkservers_serve_debian_master_and_mounts() {
    let cluster = Cluster::up("mfsngcsd", 103, "ng,ng,ng", &[]);

    let listed = run("mfscli", &["-H", &cluster.master, "-SCS"]);
    let listed = String::from_utf8_lossy(&listed.stdout).into_owned();
    for n in 11..=13 {
        let address = format!("10.233.103.{n}");
        assert!(
            listed.contains(&address),
            "{address} missing from mfscli -SCS:\n{listed}"
        );
    }

    let dir = cluster.mount(1).join("goal2");
    fs::create_dir(&dir).unwrap();
    let goal = run("mfssetgoal", &["2", dir.to_str().expect("UTF-8 path")]);
    assert!(goal.status.success(), "{}", text(&goal));
    let data = payload(72 << 20);
    let started = Instant::now();
    fs::write(dir.join("file"), &data).unwrap();
    let written = started.elapsed();

    let started = Instant::now();
    let back = fs::read(cluster.mount(2).join("goal2/file")).unwrap();
    let read = started.elapsed();
    assert_eq!(back.len(), data.len());
    assert_eq!(
        Sha256::digest(&back),
        Sha256::digest(&data),
        "bytes differ through the second mount"
    );
    eprintln!("72 MiB: written in {written:?}, read back in {read:?}");

    let file = dir.join("file");
    let info = cluster.wait_fileinfo(&file, Duration::from_secs(20), |info| {
        let copies = valid_copies(info);
        copies.len() == 2 && copies.iter().all(|&c| c == 2)
    });
    assert_eq!(valid_copies(&info), [2, 2], "mfsfileinfo:\n{info}");

    let mut checked = 0;
    for cs in 1..=3 {
        for chunk in chunk_files(&cluster.state.join(format!("data/cs{cs}/hdd"))) {
            let check = run("mfschunktool", &["-x", chunk.to_str().expect("UTF-8 path")]);
            let out = String::from_utf8_lossy(&check.stdout).into_owned();
            assert!(
                out.trim_end().ends_with("OK"),
                "mfschunktool refused {}:\n{}",
                chunk.display(),
                text(&check)
            );
            checked += 1;
        }
    }
    assert_eq!(checked, 4, "two chunks, two copies each");
    assert!(!cluster.log("cs1").contains("panicked"));
}

#[test]
fn raising_the_goal_replicates_between_mooseng_and_moosefs() {
    let cluster = Cluster::up("mfsngcsx", 104, "mfs,ng,ng", &[]);
    let file = cluster.mount(1).join("file");
    let data = payload(3 << 20);
    fs::write(&file, &data).unwrap();
    let goal = run("mfssetgoal", &["3", file.to_str().expect("UTF-8 path")]);
    assert!(goal.status.success(), "{}", text(&goal));

    let info = cluster.wait_fileinfo(&file, Duration::from_secs(60), |info| {
        valid_copies(info) == [3]
    });
    assert_eq!(
        valid_copies(&info),
        [3],
        "mfsfileinfo:\n{info}\ncs2 log:\n{}",
        cluster.log("cs2")
    );
    for n in 11..=13 {
        assert!(
            info.contains(&format!("10.233.104.{n}:9422")),
            "no copy on .{n}:\n{info}"
        );
    }
    let back = fs::read(cluster.mount(2).join("file")).unwrap();
    assert_eq!(Sha256::digest(&back), Sha256::digest(&data));
}
