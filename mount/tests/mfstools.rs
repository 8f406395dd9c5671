//! MooseFS's own tools (`mfssetgoal`, `mfsfileinfo`, `mfsmakesnapshot`,
//! ...) on a `mooseng-mount` of a Debian MooseFS 3.0.117 cluster. They
//! find the master through the mount's `.masterinfo`; each report must
//! read the same as through Debian's `mfsmount` of the same cluster, and
//! the tools must keep working after the mount's connection to the master
//! is cut. Needs root, network namespaces, FUSE, `ss` and the MooseFS
//! packages (scripts/setup.sh).

// The helpers below are test code too; a failed step should stop the test.
#![allow(clippy::unwrap_used)]

mod support;

use std::fs;
use std::net::{Ipv4Addr, SocketAddrV4, TcpStream};
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use mooseng_tools::config::Replication;
use support::{Cluster, Setup};

const PREFIX: &str = "mitools";
const SUBNET: &str = "10.233.211.0/24";
const MASTER: &str = "10.233.211.2";
const MASTERINFO_INODE: u64 = 0x7FFF_FFFF;
const CHUNK: usize = 64 << 20;
/// MooseFS 3.0.117 as the `version:32` of `.masterinfo`.
const VERSION_3_0_117: [u8; 4] = [0, 3, 0, 117 * 2];

/// Runs a MooseFS tool inside `mount` on paths relative to it, so its
/// output names the same paths whichever mount it ran on.
fn tool(mount: &Path, program: &str, args: &[&str]) -> String {
    let out = Command::new(program)
        .args(args)
        .current_dir(mount)
        .output()
        .expect("program runs");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{program} {args:?} in {}: {stdout}{}",
        mount.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// The same tool on both mounts must say the same; returns what it said.
fn same_on_both(ng: &Path, mfs: &Path, program: &str, args: &[&str]) -> String {
    let ours = tool(ng, program, args);
    let theirs = tool(mfs, program, args);
    assert_eq!(ours, theirs, "{program} {args:?}: ours, then mfsmount's");
    ours
}

fn errno(result: std::io::Result<impl Sized>) -> Option<i32> {
    result.err().and_then(|e| e.raw_os_error())
}

/// Checks `.masterinfo` as the tools check it, and returns its bytes.
fn masterinfo(dir: &Path) -> [u8; 14] {
    let path = dir.join(".masterinfo");
    let meta = fs::symlink_metadata(&path).unwrap();
    assert_eq!(
        (meta.ino(), meta.nlink(), meta.uid(), meta.gid()),
        (MASTERINFO_INODE, 1, 0, 0),
        "{}",
        path.display()
    );
    assert_eq!((meta.len(), meta.mode()), (14, 0o100_444));
    fs::read(&path).unwrap().try_into().unwrap()
}

fn session_of(info: &[u8; 14]) -> u32 {
    u32::from_be_bytes(info[6..10].try_into().unwrap())
}

/// `.masterinfo` is where mfsmount has it, with the same attributes, names
/// a proxy that accepts connections, and is not listed.
fn masterinfo_like_mfsmount(ng: &Path, mfs: &Path) {
    fs::create_dir_all(ng.join("t/sub")).unwrap();
    let ours = masterinfo(ng);
    let theirs = masterinfo(mfs);
    assert_eq!(masterinfo(&ng.join("t/sub")), ours);
    assert_eq!(masterinfo(&mfs.join("t/sub")), theirs);
    assert_eq!(ours[10..], VERSION_3_0_117);
    assert_eq!(ours[10..], theirs[10..]);
    let (ip, port) = (
        Ipv4Addr::from(<[u8; 4]>::try_from(&ours[..4]).unwrap()),
        u16::from_be_bytes([ours[4], ours[5]]),
    );
    assert_eq!(ip, Ipv4Addr::LOCALHOST);
    TcpStream::connect(SocketAddrV4::new(ip, port)).expect("the tools proxy listens");
    assert_ne!(session_of(&ours), 0);
    assert_ne!(session_of(&ours), session_of(&theirs));

    let names = |dir: &Path| {
        let mut names: Vec<_> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        names.sort();
        names
    };
    assert_eq!(names(ng), ["t"]);
    assert_eq!(names(mfs), ["t"]);
    for mount in [ng, mfs] {
        let root_info = mount.join(".masterinfo");
        assert_eq!(errno(fs::remove_file(&root_info)), Some(libc::EACCES));
        assert_eq!(errno(fs::write(&root_info, b"x")), Some(libc::EACCES));
    }
}

/// Goal, trash time, extra attributes and quota set through our mount,
/// on a file of two chunks written after the goal was set.
fn settings(ng: &Path) -> Vec<u8> {
    assert_eq!(tool(ng, "mfssetgoal", &["2", "t"]), "t: goal: 2\n");
    assert_eq!(tool(ng, "mfssettrashtime", &["3600", "t"]), "t: 3600\n");
    let data: Vec<u8> = (0..CHUNK + 4096).map(|i| (i % 251) as u8).collect();
    fs::write(ng.join("t/f"), &data).unwrap();
    fs::write(ng.join("t/sub/g"), b"small").unwrap();
    assert_eq!(
        tool(ng, "mfsseteattr", &["-f", "noowner", "t/f"]),
        "t/f: attribute(s) changed\n"
    );
    let quota = tool(ng, "mfssetquota", &["-i", "100", "-L", "1Gi", "t"]);
    assert!(quota.contains(" inodes   |"), "{quota}");
    data
}

/// Every report reads the same through both mounts, and says what was set.
fn reports(ng: &Path, mfs: &Path) {
    let goal = same_on_both(ng, mfs, "mfsgetgoal", &["t/f"]);
    assert_eq!(goal, "t/f: 2\n");
    let goals = same_on_both(ng, mfs, "mfsgetgoal", &["-r", "t"]);
    assert!(
        goals.contains(" files with goal                2 :          2\n"),
        "{goals}"
    );
    let fileinfo = same_on_both(ng, mfs, "mfsfileinfo", &["t/f"]);
    assert_eq!(fileinfo.matches("(status:VALID)").count(), 4, "{fileinfo}");
    assert!(fileinfo.contains("\tchunk 1: "), "{fileinfo}");
    let check = same_on_both(ng, mfs, "mfscheckfile", &["t/f"]);
    assert!(
        check.contains(" chunks with 2 copies:            2"),
        "{check}"
    );
    let trash = same_on_both(ng, mfs, "mfsgettrashtime", &["t/f"]);
    assert_eq!(trash, "t/f: 3600\n");
    let eattr = same_on_both(ng, mfs, "mfsgeteattr", &["t/f"]);
    assert_eq!(eattr, "t/f: noowner\n");
    let dirinfo = same_on_both(ng, mfs, "mfsdirinfo", &["t"]);
    for line in [
        " inodes:                          4\n",
        "  files:                          2\n",
        " chunks:                          3\n",
    ] {
        assert!(dirinfo.contains(line), "{line:?} not in {dirinfo}");
    }
    let quota = same_on_both(ng, mfs, "mfsgetquota", &["t"]);
    assert!(
        quota.contains(" inodes   |                    3 |                  100 |"),
        "{quota}"
    );
}

/// A snapshot made through our mount shares the original's chunks and
/// reads back through mfsmount.
fn snapshot(ng: &Path, mfs: &Path, data: &[u8]) {
    tool(ng, "mfsmakesnapshot", &["t/f", "t/snap"]);
    assert_eq!(fs::read(mfs.join("t/snap")).unwrap(), data);
    let chunks = |text: &str| -> Vec<String> {
        text.lines()
            .filter(|l| l.trim_start().starts_with("chunk "))
            .map(String::from)
            .collect()
    };
    let original = chunks(&tool(mfs, "mfsfileinfo", &["t/f"]));
    assert_eq!(chunks(&tool(ng, "mfsfileinfo", &["t/snap"])), original);
}

/// Local ports of our mount's connections to the master.
fn our_master_ports() -> Vec<String> {
    let filter = format!("dst {MASTER} dport = 9421");
    let out = Command::new("ss")
        .args(["-tnpH", "state", "established"])
        .args(filter.split(' '))
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| l.contains("mooseng-mount"))
        .filter_map(|l| l.split_whitespace().nth(2))
        .map(String::from)
        .collect()
}

/// Cuts the session's connection; once the mount is back on a new one the
/// tools work again with the same session.
fn survives_reconnect(ng: &Path) {
    let before = our_master_ports();
    assert_eq!(before.len(), 1, "{before:?}");
    let session = session_of(&masterinfo(ng));
    let kill = Command::new("ss")
        .args(["-K", "dst", MASTER, "dport", "=", "9421"])
        .output()
        .unwrap();
    assert!(kill.status.success(), "ss -K: {kill:?}");
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let now = our_master_ports();
        if now.len() == 1 && now != before {
            break;
        }
        assert!(Instant::now() < deadline, "no new connection: {now:?}");
        std::thread::sleep(Duration::from_millis(200));
    }
    assert_eq!(tool(ng, "mfsgetgoal", &["t/f"]), "t/f: 2\n");
    assert_eq!(
        tool(ng, "mfssetgoal", &["1", "t/sub/g"]),
        "t/sub/g: goal: 1\n"
    );
    assert_eq!(session_of(&masterinfo(ng)), session);
}

#[test]
fn moosefs_tools_work_on_our_mount_as_on_mfsmount() {
    let root = tempfile::tempdir().unwrap();
    let setup = Setup {
        // `admin` lets mfssetquota through.
        root_export: "rw,alldirs,admin,maproot=0",
        replication: Replication::Quick,
        ..Setup::new(PREFIX, SUBNET)
    };
    let mut cluster = Cluster::up(root.path(), &setup);
    let mfs = root.path().join("mfsmount");
    fs::create_dir(&mfs).unwrap();
    cluster.unmount_at_end(&mfs);
    let ng = cluster.mount(0);
    let mounted = Command::new("mfsmount")
        .arg(&mfs)
        .args(["-H", MASTER, "-P", "9421"])
        .status()
        .unwrap();
    assert!(mounted.success());

    masterinfo_like_mfsmount(&ng, &mfs);
    let data = settings(&ng);
    reports(&ng, &mfs);
    snapshot(&ng, &mfs, &data);
    survives_reconnect(&ng);
    drop(cluster);
}
