//! Debian's MooseFS 3.0.117 master restarted under three MooseNG
//! chunkservers started by `mooseng-cluster` (root, `ip`, FUSE and the
//! MooseFS packages; scripts/setup.sh).
//!
//! mfsmaster keeps no chunk locations in its metadata: after a restart it
//! knows where a chunk lives only from the chunkservers' registrations. So
//! when every copy of a goal-2 file is VALID again, served and readable,
//! each of our chunkservers has noticed the lost link, reconnected and
//! registered its chunks again, with nobody telling it to.

mod support;

use std::fs;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};
use support::{payload, run, text, valid_copies, wait_for, Cluster};

const OCTET: u8 = 175;

#[test]
fn chunkservers_register_again_after_a_master_restart() {
    let cluster = Cluster::up("mfsngmr", OCTET, "ng,ng,ng", &[]);
    let dir = cluster.mount(1).join("goal2");
    fs::create_dir(&dir).unwrap();
    let goal = run("mfssetgoal", &["2", dir.to_str().unwrap()]);
    assert!(goal.status.success(), "{}", text(&goal));
    let before_restart = dir.join("before");
    let data = payload(5 << 20);
    fs::write(&before_restart, &data).unwrap();
    let info = cluster.wait_fileinfo(&before_restart, Duration::from_secs(20), |info| {
        valid_copies(info) == [2]
    });
    assert_eq!(valid_copies(&info), [2], "mfsfileinfo:\n{info}");
    let registrations: Vec<usize> = (1..=3).map(|cs| cluster.registrations(cs)).collect();

    let restarted = Instant::now();
    cluster.restart_master();
    for cs in 1..=3 {
        let again = wait_for(Duration::from_secs(60), || {
            cluster.registrations(cs) > registrations[usize::from(cs) - 1]
        });
        assert!(
            again,
            "cs{cs} did not register again:\n{}",
            cluster.log(&format!("cs{cs}"))
        );
    }
    eprintln!(
        "all registered again {:?} after the restart",
        restarted.elapsed()
    );

    let listed = text(&run("mfscli", &["-H", &cluster.master, "-SCS"]));
    for cs in 1..=3 {
        let address = format!("10.233.{OCTET}.{}", 10 + cs);
        assert!(listed.contains(&address), "{address} not in:\n{listed}");
    }
    let info = cluster.wait_fileinfo(&before_restart, Duration::from_secs(30), |info| {
        valid_copies(info) == [2]
    });
    assert_eq!(
        valid_copies(&info),
        [2],
        "the master relearned where the chunks are:\n{info}"
    );
    let back = fs::read(cluster.mount(2).join("goal2/before")).unwrap();
    assert_eq!(Sha256::digest(&back), Sha256::digest(&data));

    let after_restart = dir.join("after");
    let fresh: Vec<u8> = payload(3 << 20).into_iter().rev().collect();
    fs::write(&after_restart, &fresh).unwrap();
    let info = cluster.wait_fileinfo(&after_restart, Duration::from_secs(20), |info| {
        valid_copies(info) == [2]
    });
    assert_eq!(valid_copies(&info), [2], "mfsfileinfo:\n{info}");
    let back = fs::read(cluster.mount(2).join("goal2/after")).unwrap();
    assert_eq!(Sha256::digest(&back), Sha256::digest(&fresh));
}
