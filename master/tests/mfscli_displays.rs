//! Every `mfscli` display other than `-SIN` against `mooseng-master`,
//! compared with the same display against Debian's `mfsmaster` after the
//! same workload, each under `mooseng-cluster` with three Debian
//! chunkservers (two of them labelled), two Debian mounts of `/` and a
//! third of a subfolder: a storage class with labels, a quota over its
//! soft limit and one under, files held open by the second mount and by
//! the subfolder mount, a flock and a POSIX range lock held through them.
//!
//! Lines are compared after the subnet and the cluster's directory are
//! taken out, and without the figures each master decides by itself:
//! session and chunkserver ids, inode numbers, where copies went, disk
//! space, memory, and the seconds left before a soft quota blocks.
//! Needs root, network namespaces, FUSE and the MooseFS packages
//! (scripts/setup.sh); about a minute.

// The helpers below are test code too; a failed step should stop the test.
#![allow(clippy::unwrap_used)]

mod support;

use std::fs::{self, File};
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use mooseng_tools::{Flavor, Layout, Role, Subnet};
use support::cli::{mfscli, run};
use support::labels::label;
use support::{eventually, payload, up_compared, Down};

const NG: (&str, &str) = ("dspng", "10.233.152.0/24");
const MFS: (&str, &str) = ("dspmf", "10.233.153.0/24");

/// `admin` lets the mounts create storage classes and set quotas.
const ROOT_EXPORT: &str = "rw,alldirs,admin,maproot=0";

/// Labels of chunkservers 1 and 2 (the third has none).
const LABELS: [(u8, &str); 2] = [(1, "A"), (2, "A,B")];

/// Columns of `mfscli -p -SMO`: its title, host, mount point, the 16
/// counters, total.
const COUNTS: usize = 3;
const STATFS: usize = COUNTS;
const GETATTR: usize = COUNTS + 1;
const SETATTR: usize = COUNTS + 2;
const LOOKUP: usize = COUNTS + 3;
const MKDIR: usize = COUNTS + 4;
const READDIR: usize = COUNTS + 12;
const TOTAL: usize = COUNTS + 16;

/// A mount of a subfolder made outside `mooseng-cluster`, unmounted
/// however the test ends.
struct SubMount(PathBuf);

impl Drop for SubMount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

/// A process holding a lock through a mount until the test ends.
struct Locker(Child);

impl Locker {
    /// A shared flock(2) of the whole file, by util-linux's `flock`.
    fn flock(path: &Path) -> Locker {
        Locker::spawn(
            Command::new("flock")
                .arg("-s")
                .arg(path)
                .args(["sleep", "600"]),
        )
    }

    /// A POSIX write lock of bytes 100..110, by Python's `fcntl.lockf`.
    fn posix(path: &Path) -> Locker {
        let script = "import fcntl, sys, time\n\
                      f = open(sys.argv[1], 'r+')\n\
                      fcntl.lockf(f, fcntl.LOCK_EX, 10, 100)\n\
                      time.sleep(600)";
        Locker::spawn(Command::new("python3").args(["-c", script]).arg(path))
    }

    fn spawn(command: &mut Command) -> Locker {
        Locker(command.stdin(Stdio::null()).spawn().unwrap())
    }
}

impl Drop for Locker {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// One cluster after the workload. Fields drop in order: open files,
/// then the subfolder mount, then the cluster.
struct Side {
    _open: Vec<File>,
    sub: SubMount,
    down: Down,
    master: Ipv4Addr,
    /// `a.b.c.` of the subnet, taken out of the displays.
    net: String,
}

fn mountpoint(layout: &Layout, n: u8) -> PathBuf {
    layout.default_mountpoint().join(Role::Mount(n).name())
}

fn workload(root: &Path, (prefix, subnet): (&str, &str), flavor: Flavor) -> Side {
    let down = up_compared(root, (prefix, subnet), flavor, 2, ROOT_EXPORT);
    let net: Subnet = subnet.parse().unwrap();
    let master = Role::Master.address(&net);
    label(&down.0, &net, &LABELS);
    let (one, two) = (mountpoint(&down.0, 1), mountpoint(&down.0, 2));
    for dir in ["over", "under", "labelled", "sub"] {
        fs::create_dir(one.join(dir)).unwrap();
    }
    let mnt = one.to_str().unwrap();
    run("mfsscadmin", &[mnt, "create", "-a", "1", "-K", "A,B", "ab"]);
    run(
        "mfssetsclass",
        &["ab", one.join("labelled").to_str().unwrap()],
    );
    fs::write(one.join("labelled/f"), payload(50_000, 1)).unwrap();
    fs::write(one.join("over/f"), payload(300_000, 2)).unwrap();
    fs::write(one.join("under/f"), payload(1_000, 3)).unwrap();
    fs::write(one.join("sub/held"), payload(10, 4)).unwrap();
    let quota = |dir: &str, args: &[&str]| {
        let path = one.join(dir);
        run("mfssetquota", &[args, &[path.to_str().unwrap()]].concat());
    };
    quota("over", &["-l", "100000", "-L", "10000000"]);
    quota("under", &["-i", "50", "-l", "100000"]);

    let sub_point = root.join("sub");
    fs::create_dir(&sub_point).unwrap();
    let sub = SubMount(sub_point.clone());
    let status = Command::new("mfsmount")
        .arg(&sub_point)
        .args(["-H", &master.to_string(), "-S", "/sub"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success(), "mfsmount of /sub");
    let open = vec![
        File::open(two.join("under/f")).unwrap(),
        File::open(sub_point.join("held")).unwrap(),
    ];
    let net = subnet.rsplit_once('.').unwrap().0.to_owned() + ".";
    Side {
        _open: open,
        sub,
        down,
        master,
        net,
    }
}

impl Side {
    /// A POSIX lock held through the subfolder mount.
    fn posix_lock(&self) -> Locker {
        Locker::posix(&self.sub.0.join("held"))
    }

    /// A flock held through the second mount.
    fn flock(&self) -> Locker {
        Locker::flock(&mountpoint(&self.down.0, 2).join("under/f"))
    }

    /// `mfscli -SMO`'s mount rows (not its titles) with this hour's and
    /// the last hour's counts added up.
    fn operations(&self) -> Vec<Vec<String>> {
        let (current, last) = (self.display("-SMO -m 1"), self.display("-SMO -m 0"));
        current
            .iter()
            .filter(|row| row.len() > TOTAL && row[COUNTS].parse::<u64>().is_ok())
            .map(|row| {
                let earlier = last.iter().find(|l| l[..COUNTS] == row[..COUNTS]);
                row.iter()
                    .enumerate()
                    .map(|(column, count)| match earlier {
                        Some(earlier) if column >= COUNTS => {
                            let number = |text: &str| {
                                let parsed = text.parse::<u64>();
                                parsed.unwrap_or_else(|_| panic!("count {text:?} in {row:?}"))
                            };
                            let sum = number(count) + number(&earlier[column]);
                            sum.to_string()
                        }
                        _ => count.clone(),
                    })
                    .collect()
            })
            .collect()
    }

    /// A display's lines with the subnet and this cluster's directory
    /// replaced by `NET.` and `ROOT`, sorted.
    fn display(&self, set: &str) -> Vec<Vec<String>> {
        let root = self.down.0.default_mountpoint();
        let root = root.parent().unwrap().to_str().unwrap();
        let mut lines: Vec<Vec<String>> = mfscli(self.master, set)
            .replace(&self.net, "NET.")
            .replace(root, "ROOT")
            .lines()
            .filter(|l| !l.is_empty())
            .map(|l| l.split('\t').map(str::to_owned).collect())
            .collect();
        lines.sort();
        lines
    }
}

/// `lines` without the fields at `columns`.
fn without(mut lines: Vec<Vec<String>>, columns: &[usize]) -> Vec<Vec<String>> {
    for line in &mut lines {
        for column in columns.iter().rev() {
            if *column < line.len() {
                line.remove(*column);
            }
        }
    }
    lines.sort();
    lines
}

/// Waits until a display, less `columns`, is the same on both sides
/// (replication and registrations settle at their own pace), then
/// asserts it.
fn same(ng: &Side, mfs: &Side, set: &str, columns: &[usize]) -> Vec<Vec<String>> {
    let both = || {
        (
            without(ng.display(set), columns),
            without(mfs.display(set), columns),
        )
    };
    eventually(Duration::from_secs(60), || {
        let (ours, theirs) = both();
        ours == theirs
    });
    let (ours, theirs) = both();
    assert_eq!(ours, theirs, "mfscli {set}");
    ours
}

#[test]
fn mfscli_displays_show_what_mfsmaster_shows() {
    let dirs = [tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap()];
    let ng = workload(dirs[0].path(), NG, Flavor::Ng);
    let mfs = workload(dirs[1].path(), MFS, Flavor::Mfs);

    // Chunkservers: address, port, labels, version, state; not the id,
    // the chunks each holds or the disk figures.
    let servers = same(&ng, &mfs, "-SCS", &[3, 8, 9, 10]);
    assert_eq!(servers.len(), 3, "{servers:?}");
    assert!(servers.iter().any(|l| l.contains(&"A,B".to_owned())));
    // Chunkservers report their chunk counts now and then: wait for the
    // eight copies (four files at two copies) to show on both.
    let copies = |side: &Side| -> u32 {
        let lines = side.display("-SCS");
        lines.iter().map(|l| l[8].parse::<u32>().unwrap()).sum()
    };
    eventually(Duration::from_secs(60), || {
        copies(&ng) == 8 && copies(&mfs) == 8
    });
    assert_eq!(
        (copies(&ng), copies(&mfs)),
        (8, 8),
        "copies on all chunkservers"
    );

    // Mounts: everything but the session id.
    let mounts = same(&ng, &mfs, "-SMS", &[1]);
    assert_eq!(mounts.len(), 3, "{mounts:?}");
    assert!(mounts.iter().any(|l| l.contains(&"/sub".to_owned())));

    // Storage classes, with the labelled class's chunk and server counts.
    let classes = same(&ng, &mfs, "-SSC", &[]);
    assert!(classes.iter().any(|l| l.contains(&"ab".to_owned())));

    // Quotas: all but the time left before the soft limit blocks, which
    // only the quota over its soft limit has.
    let quotas = same(&ng, &mfs, "-SQU", &[4]);
    assert_eq!(quotas.len(), 2, "{quotas:?}");
    let left = |path: &str| {
        let lines = ng.display("-SQU");
        let line = lines.iter().find(|l| l[1] == path).unwrap();
        line[4].clone()
    };
    assert_ne!(left("/over"), "-");
    assert_eq!(left("/under"), "-");

    // Open files: session, mount and path; not the ids.
    let open = same(&ng, &mfs, "-SOF", &[1, 4]);
    assert!(open.iter().any(|l| l.last().unwrap() == "under/f"));

    // Locks: mount, kind, range and read/write; not the inode, session,
    // the kernel's owner id or the locking process. mfsmaster 3.0.117
    // writes its flocks over its POSIX locks in the answer when both
    // kinds are held (the rest of the packet is left unset), so each kind
    // is compared alone, and then both together on ours only.
    let columns = [1, 2, 6, 7];
    let (ng_posix, mfs_posix) = (ng.posix_lock(), mfs.posix_lock());
    let posix = same(&ng, &mfs, "-SAL", &columns);
    assert_eq!(posix.len(), 1, "{posix:?}");
    assert_eq!(posix[0][3..], ["POSIX", "100", "110", "WRITE(EXCLUSIVE)"]);
    drop(mfs_posix);
    let mfs_flock = mfs.flock();
    eventually(Duration::from_secs(30), || {
        without(mfs.display("-SAL"), &columns).len() == 1
    });
    let flock = without(mfs.display("-SAL"), &columns);
    assert_eq!(flock[0][3..], ["FLOCK", "0", "EOF", "READ(SHARED)"]);
    let ng_flock = ng.flock();
    let mut both = [posix, flock].concat();
    both.sort();
    eventually(Duration::from_secs(30), || {
        without(ng.display("-SAL"), &columns) == both
    });
    assert_eq!(without(ng.display("-SAL"), &columns), both);
    drop((ng_posix, ng_flock, mfs_flock));

    same(&ng, &mfs, "-SEX", &[]);
    same(&ng, &mfs, "-SMF", &[]);
    same(&ng, &mfs, "-SMB", &[]);
    // Per-mount operation counters, this hour's and the last added up
    // (the hour may turn during the test): those the workload fixes.
    // Lookups, attribute reads and changes and directory reads depend on
    // each mount's caches and timing, and so does the total.
    let varying = [STATFS, GETATTR, SETATTR, LOOKUP, READDIR, TOTAL];
    eventually(Duration::from_secs(30), || {
        without(ng.operations(), &varying) == without(mfs.operations(), &varying)
    });
    let counted = without(ng.operations(), &varying);
    assert_eq!(counted, without(mfs.operations(), &varying), "mfscli -SMO");
    let first = counted.iter().find(|l| l[2].ends_with("mount1"));
    let first = first.unwrap_or_else(|| panic!("no first mount in {counted:?}"));
    let mkdir = MKDIR - varying.iter().filter(|c| **c < MKDIR).count();
    assert_eq!(first[mkdir], "4", "the first mount's mkdirs: {first:?}");
    // Memory pools are each master's own figures: their names only.
    same(&ng, &mfs, "-SMU", &[2, 3]);
}
