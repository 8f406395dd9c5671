//! `mfscli -SMC` against `mooseng-master` and against Debian's
//! `mfsmaster`: the same directories made and removed within one minute
//! on each (a Debian mount, three Debian chunkservers) show as the same
//! counts in that minute's row of the master's chart data, and CPU,
//! memory and traffic have figures. Needs root, network namespaces, FUSE
//! and the MooseFS packages; about two minutes, most of it waiting for
//! minutes to end.

// The helpers below are test code too; a failed step should stop the test.
#![allow(clippy::unwrap_used)]

mod support;

use std::fs;
use std::net::Ipv4Addr;
use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use mooseng_tools::{Flavor, Role, Subnet};
use support::cli::mfscli;
use support::{up_with_master, Down};

const NG: (&str, &str) = ("chrng", "10.233.180.0/24");
const MFS: (&str, &str) = ("chrmf", "10.233.181.0/24");
const MADE: usize = 7;
const REMOVED: usize = 3;

fn second_of_minute() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
        % 60
}

/// Makes [`MADE`] directories and removes [`REMOVED`] of them early in a
/// minute; returns that minute as `mfscli` prints it (`%Y-%m-%d %H:%M`,
/// UTC).
fn workload(mnt: &Path) -> String {
    while !(2..40).contains(&second_of_minute()) {
        std::thread::sleep(Duration::from_millis(500));
    }
    let minute = minute_text();
    for n in 0..MADE {
        fs::create_dir(mnt.join(format!("d{n}"))).unwrap();
    }
    for n in 0..REMOVED {
        fs::remove_dir(mnt.join(format!("d{n}"))).unwrap();
    }
    assert_eq!(minute, minute_text(), "the workload fitted in its minute");
    minute
}

fn minute_text() -> String {
    let out = std::process::Command::new("date")
        .args(["-u", "+%Y-%m-%d %H:%M"])
        .output()
        .unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

/// The fields of the `-SMC` row of `minute`, once it is there with data.
fn row_of(master: Ipv4Addr, minute: &str) -> Vec<String> {
    let set = "-SMC -b +mkdir,+rmdir,cpu,memoryrss,prcvd -a 5";
    for _ in 0..90 {
        let text = mfscli(master, set);
        let row = text
            .lines()
            .map(|l| l.split('\t').map(str::to_owned).collect::<Vec<_>>())
            .find(|fields| fields.iter().any(|f| f == minute));
        if let Some(row) = row.filter(|r| r.iter().all(|f| f != "-")) {
            return row;
        }
        std::thread::sleep(Duration::from_secs(1));
    }
    panic!(
        "no row for {minute} with data from {master}: {}",
        mfscli(master, set)
    );
}

fn side(root: &Path, (prefix, subnet): (&str, &str), flavor: Flavor) -> (Down, Ipv4Addr) {
    let down = up_with_master(root, prefix, subnet, flavor);
    let subnet: Subnet = subnet.parse().unwrap();
    (down, Role::Master.address(&subnet))
}

#[test]
fn master_charts_count_what_mfsmaster_counts() {
    let dirs = [tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap()];
    let (ng, ng_master) = side(dirs[0].path(), NG, Flavor::Ng);
    let (mfs, mfs_master) = side(dirs[1].path(), MFS, Flavor::Mfs);
    let minutes = std::thread::scope(|s| {
        let ng = s.spawn(|| workload(&ng.0.default_mountpoint()));
        let mfs = s.spawn(|| workload(&mfs.0.default_mountpoint()));
        (ng.join().unwrap(), mfs.join().unwrap())
    });
    let ours = row_of(ng_master, &minutes.0);
    let theirs = row_of(mfs_master, &minutes.1);
    // Fields: the section's title, the minute, then the charts asked.
    let counts = |row: &[String]| row[2..4].to_vec();
    assert_eq!(counts(&theirs), [MADE.to_string(), REMOVED.to_string()]);
    assert_eq!(counts(&ours), counts(&theirs));
    for row in [&ours, &theirs] {
        assert!(row[4].ends_with('%'), "cpu as a percentage: {row:?}");
        assert!(row[5].ends_with("MiB"), "resident memory: {row:?}");
        assert!(row[6].ends_with("/s"), "packets received: {row:?}");
    }
}
