//! Two `mooseng-mount`s of one Debian MooseFS 3.0.117 cluster: locks taken
//! through one must hold against the other (so they live on the master),
//! ACLs set through one read back through the other, and a caller's
//! supplementary groups reach the master's permission checks. Needs root,
//! network namespaces, FUSE, the MooseFS packages and `setfacl`/`setpriv`.

// The helpers below are test code too; a failed step should stop the test.
#![allow(clippy::unwrap_used)]

mod support;

use std::fs::{self, OpenOptions};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use rustix::fs::{fcntl_lock, FlockOperation};
use rustix::io::Errno;
use support::{Cluster, Setup};

const PREFIX: &str = "mfsnglk";
const SUBNET: &str = "10.233.161.0/24";

fn run(program: &str, args: &[&str]) -> std::process::Output {
    Command::new(program)
        .args(args)
        .output()
        .expect("program runs")
}

fn ok(program: &str, args: &[&str]) -> String {
    let out = run(program, args);
    assert!(
        out.status.success(),
        "{program} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// flock(1) processes on the two mounts: the second exclusive lock waits
/// for the first to be released, and a non-blocking one fails meanwhile.
fn flock_waits_across_mounts(one: &Path, two: &Path) {
    fs::write(one.join("flocked"), b"x").unwrap();
    let holder = Command::new("flock")
        .args(["-x", one.join("flocked").to_str().unwrap(), "-c", "sleep 3"])
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(700));
    let busy = run(
        "flock",
        &[
            "-n",
            "-x",
            two.join("flocked").to_str().unwrap(),
            "-c",
            "true",
        ],
    );
    assert!(
        !busy.status.success(),
        "a second exclusive flock was granted"
    );
    let started = Instant::now();
    ok(
        "flock",
        &["-x", two.join("flocked").to_str().unwrap(), "-c", "true"],
    );
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(1500),
        "second flock did not wait: {waited:?}"
    );
    let mut holder = holder;
    assert!(holder.wait().unwrap().success());
    // Released with the holder's file: free again at once.
    ok(
        "flock",
        &[
            "-n",
            "-x",
            two.join("flocked").to_str().unwrap(),
            "-c",
            "true",
        ],
    );
}

/// fcntl locks: the two mounts are different lock owners even in one
/// process, so a write lock through one blocks the other until released.
fn posix_locks_across_mounts(one: &Path, two: &Path) {
    fs::write(one.join("locked"), b"x").unwrap();
    let open = |path: PathBuf| {
        OpenOptions::new()
            .read(true)
            .write(true)
            .open(path)
            .unwrap()
    };
    let first = open(one.join("locked"));
    fcntl_lock(&first, FlockOperation::NonBlockingLockExclusive).unwrap();

    let second = open(two.join("locked"));
    let refused = fcntl_lock(&second, FlockOperation::NonBlockingLockShared).unwrap_err();
    assert_eq!(refused, Errno::AGAIN);

    let waiter = std::thread::spawn(move || {
        let started = Instant::now();
        fcntl_lock(&second, FlockOperation::LockExclusive).unwrap();
        let waited = started.elapsed();
        fcntl_lock(&second, FlockOperation::Unlock).unwrap();
        waited
    });
    std::thread::sleep(Duration::from_millis(1500));
    fcntl_lock(&first, FlockOperation::Unlock).unwrap();
    let waited = waiter.join().unwrap();
    assert!(
        waited >= Duration::from_millis(1000),
        "F_SETLKW did not wait: {waited:?}"
    );

    // Closing a file drops its owner's locks on the master.
    fcntl_lock(&first, FlockOperation::NonBlockingLockExclusive).unwrap();
    drop(first);
    let third = open(two.join("locked"));
    fcntl_lock(&third, FlockOperation::NonBlockingLockExclusive).unwrap();
}

fn acl_round_trip(one: &Path, two: &Path) {
    let file = one.join("acl");
    fs::write(&file, b"x").unwrap();
    fs::set_permissions(&file, fs::Permissions::from_mode(0o640)).unwrap();
    ok(
        "setfacl",
        &["-m", "u:1234:rw,g:567:r", file.to_str().unwrap()],
    );
    let seen = ok("getfacl", &["-cn", two.join("acl").to_str().unwrap()]);
    let lines: Vec<&str> = seen.lines().filter(|l| !l.is_empty()).collect();
    assert_eq!(
        lines,
        [
            "user::rw-",
            "user:1234:rw-",
            "group::r--",
            "group:567:r--",
            "mask::rw-",
            "other::---"
        ]
    );

    let dir = one.join("acldir");
    fs::create_dir(&dir).unwrap();
    ok("setfacl", &["-d", "-m", "u:42:rx", dir.to_str().unwrap()]);
    let defaults = ok("getfacl", &["-cdn", two.join("acldir").to_str().unwrap()]);
    assert!(defaults.contains("user:42:r-x"), "{defaults}");

    ok("setfacl", &["-b", file.to_str().unwrap()]);
    let cleared = ok("getfacl", &["-cn", two.join("acl").to_str().unwrap()]);
    assert!(!cleared.contains("1234"), "{cleared}");
}

/// A directory open only to group 5555 is listable by a user whose
/// primary group is another one but who has 5555 among its groups.
fn supplementary_groups_count(one: &Path) {
    let dir = one.join("team");
    fs::create_dir(&dir).unwrap();
    ok("chown", &["0:5555", dir.to_str().unwrap()]);
    fs::set_permissions(&dir, fs::Permissions::from_mode(0o770)).unwrap();
    let as_member = run(
        "setpriv",
        &[
            "--reuid=4321",
            "--regid=4321",
            "--groups=5555",
            "ls",
            dir.to_str().unwrap(),
        ],
    );
    assert!(
        as_member.status.success(),
        "{}",
        String::from_utf8_lossy(&as_member.stderr)
    );
    let as_stranger = run(
        "setpriv",
        &[
            "--reuid=4321",
            "--regid=4321",
            "--clear-groups",
            "ls",
            dir.to_str().unwrap(),
        ],
    );
    assert!(!as_stranger.status.success());
}

#[test]
fn locks_acls_and_groups_reach_the_master() {
    let root = tempfile::tempdir().unwrap();
    let setup = Setup {
        mounts: 2,
        ..Setup::new(PREFIX, SUBNET)
    };
    let cluster = Cluster::up(root.path(), &setup);
    let (one, two) = (cluster.mount(1), cluster.mount(2));
    flock_waits_across_mounts(&one, &two);
    posix_locks_across_mounts(&one, &two);
    acl_round_trip(&one, &two);
    supplementary_groups_count(&one);
}
