//! `.oplog` of `mooseng-mount` beside mfsmount's, on one Debian MooseFS
//! 3.0.117 cluster: a directory made through each mount shows in that
//! mount's `.oplog`, read as it happens, as a line in mfsmount's form
//! (`MM.DD HH:MM:SS.uuuuuu: uid:U gid:G pid:P cmd:mkdir (1,NAME`...); a
//! read with nothing new gets `#`; `.ophistory` gives the lines from
//! before it was opened. Needs root, network namespaces, FUSE and the
//! MooseFS packages (scripts/setup.sh).

// The helpers below are test code too; a failed step should stop the test.
#![allow(clippy::unwrap_used)]

mod support;

use std::fs::{self, File};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use support::{Cluster, Setup};

const MASTER: &str = "10.233.187.2";

/// Reads `log` until a line containing `wanted` comes, or ten seconds
/// pass; returns that line, and whether a `#` came while waiting.
fn line_with(log: &mut BufReader<File>, wanted: &str) -> (Option<String>, bool) {
    let (start, mut idle) = (Instant::now(), false);
    while start.elapsed() < Duration::from_secs(10) {
        let mut line = String::new();
        log.read_line(&mut line).unwrap();
        if line == "#\n" {
            idle = true;
        } else if line.contains(wanted) {
            return (Some(line), idle);
        }
    }
    (None, idle)
}

/// Whether `line` starts as mfsmount's lines do, with `cmd`.
fn mfsmount_form(line: &str, cmd: &str) -> bool {
    let Some((stamp, rest)) = line.split_once(": uid:") else {
        return false;
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let stamp_ok = stamp.len() == 21 && stamp.split([' ', '.', ':']).all(digits);
    let ids: Vec<&str> = rest.splitn(3, ' ').collect();
    stamp_ok
        && ids.len() == 3
        && ids[1].starts_with("gid:")
        && ids[2].starts_with("pid:")
        && rest.contains(&format!(" cmd:{cmd}"))
}

fn mkdir_logged(mnt: &Path, name: &str) -> String {
    let mut log = BufReader::new(File::open(mnt.join(".oplog")).unwrap());
    let (_, idle) = line_with(&mut log, "no such line");
    assert!(idle, "a quiet .oplog gives #");
    fs::create_dir(mnt.join(name)).unwrap();
    let (line, _) = line_with(&mut log, &format!("cmd:mkdir (1,{name}"));
    line.unwrap_or_else(|| panic!("no mkdir of {name} in {}", mnt.display()))
}

#[test]
fn oplog_lines_read_as_mfsmounts() {
    let root = tempfile::tempdir().unwrap();
    let mut cluster = Cluster::up(root.path(), &Setup::new("moopl", "10.233.187.0/24"));
    let theirs = root.path().join("mfsmount");
    fs::create_dir_all(&theirs).unwrap();
    let mounted = Command::new("mfsmount")
        .arg(&theirs)
        .args(["-H", MASTER, "-P", "9421"])
        .status()
        .unwrap();
    assert!(mounted.success(), "mfsmount");
    cluster.unmount_at_end(&theirs);

    let ours = mkdir_logged(&cluster.mount(0), "made-by-ours");
    let their_line = mkdir_logged(&theirs, "made-by-mfsmount");
    assert!(
        mfsmount_form(&their_line, "mkdir (1,made-by-mfsmount"),
        "{their_line}"
    );
    assert!(mfsmount_form(&ours, "mkdir (1,made-by-ours"), "{ours}");

    let history = File::open(cluster.mount(0).join(".ophistory")).unwrap();
    let (earlier, _) = line_with(&mut BufReader::new(history), "cmd:mkdir (1,made-by-ours");
    assert!(
        earlier.is_some(),
        ".ophistory has the mkdir made before its open"
    );
}
