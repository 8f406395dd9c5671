//! Goals, storage classes and the trash end to end: `mooseng-master` under
//! `mooseng-cluster` with three Debian `mfschunkserver`s, a Debian
//! `mfsmount` and a Debian meta mount (`mfsmount -o mfsmeta`). Checks that
//! `mfssetgoal`/`mfsgetgoal` answer as against Debian's master, that goal 3
//! gives three valid copies, that `mfsscadmin` manages classes, and that an
//! unlinked file shows in the meta mount's trash, comes back with its data
//! through `trash/undel`, and frees its chunks once purged and no longer
//! held open by the mount. Needs root,
//! network namespaces, FUSE and the MooseFS packages (scripts/setup.sh).

// The helpers below are test code too; a failed step should stop the test.
#![allow(clippy::unwrap_used)]

use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use mooseng_tools::cluster::UpOptions;
use mooseng_tools::{Flavor, Layout, Role, Subnet};

const PREFIX: &str = "mfsngtr";
const SUBNET: &str = "10.233.140.0/24";

/// Unmounts the meta mount, then takes the cluster down, even when an
/// assertion fails half-way.
struct Down {
    layout: Layout,
    meta: Option<PathBuf>,
}

impl Drop for Down {
    fn drop(&mut self) {
        if let Some(meta) = &self.meta {
            let _ = Command::new("umount").arg("-l").arg(meta).status();
        }
        if let Err(e) = mooseng_tools::down(&self.layout) {
            eprintln!("cluster down: {e}");
        }
    }
}

fn up(root: &Path) -> Down {
    let bin = Path::new(env!("CARGO_BIN_EXE_mooseng-master"))
        .parent()
        .unwrap();
    let path = std::env::var("PATH").unwrap_or_default();
    std::env::set_var("PATH", format!("{}:{path}", bin.display()));
    let layout = Layout::new(root);
    let down = Down {
        layout: layout.clone(),
        meta: None,
    };
    let options = UpOptions {
        master: Flavor::Ng,
        chunkservers: vec![Flavor::Mfs; 3],
        metalogger: None,
        mount: Flavor::Mfs,
        mounts: 1,
        mountpoint: None,
        prefix: PREFIX.into(),
        subnet: SUBNET.parse().unwrap(),
        // mfsscadmin changes classes only for admin sessions.
        root_export: format!("{},admin", mooseng_tools::config::DEFAULT_ROOT_EXPORT),
        timeout: Duration::from_secs(30),
    };
    if let Err(e) = mooseng_tools::up(&layout, &options) {
        panic!("cluster up: {e}");
    }
    down
}

/// Runs a MooseFS tool on `path`; its stdout, after checking it succeeded.
fn tool(program: &str, args: &[&str], path: &Path) -> String {
    run(Command::new(program).args(args).arg(path), program, args)
}

/// `mfsscadmin`, which works on the mount its current directory is in.
fn scadmin(args: &[&str], mnt: &Path) -> String {
    run(
        Command::new("mfsscadmin").args(args).current_dir(mnt),
        "mfsscadmin",
        args,
    )
}

fn run(command: &mut Command, program: &str, args: &[&str]) -> String {
    let out = command.output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{program} {args:?}: {text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    text
}

fn chunk_files(layout: &Layout) -> usize {
    fn walk(dir: &Path) -> usize {
        fs::read_dir(dir)
            .into_iter()
            .flatten()
            .flatten()
            .map(|entry| {
                let path = entry.path();
                if path.is_dir() {
                    walk(&path)
                } else {
                    usize::from(entry.file_name().to_string_lossy().starts_with("chunk_"))
                }
            })
            .sum()
    }
    (1..=3)
        .map(|n| walk(&layout.data(Role::Chunkserver(n))))
        .sum()
}

fn eventually(limit: Duration, mut done: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if done() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    done()
}

/// `mfsmount -o mfsmeta` against the cluster's master; it returns once
/// mounted.
fn mount_meta(layout: &Layout) -> PathBuf {
    let meta = layout.root().join("meta");
    fs::create_dir_all(&meta).unwrap();
    let subnet: Subnet = SUBNET.parse().unwrap();
    let master = Role::Master.address(&subnet).to_string();
    let status = Command::new("mfsmount")
        .arg(&meta)
        .args(["-o", "mfsmeta", "-H", &master, "-P", "9421"])
        .status()
        .unwrap();
    assert!(status.success(), "meta mount failed");
    meta
}

#[test]
fn goals_classes_and_the_trash_through_debian_tools() {
    let dir = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let mut down = up(dir.path());
    let layout = down.layout.clone();
    down.meta = Some(mount_meta(&layout));
    let meta = down.meta.clone().unwrap();
    let mnt = layout.default_mountpoint();
    eprintln!("cluster and meta mount up in {:?}", started.elapsed());

    // Goals, in the words Debian's tools print for Debian's master.
    assert_eq!(
        tool("mfsgetgoal", &[], &mnt),
        format!("{}: 2\n", mnt.display())
    );
    let d = mnt.join("d");
    fs::create_dir(&d).unwrap();
    let data: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
    fs::write(d.join("f"), &data).unwrap();
    fs::write(d.join("g"), b"").unwrap();
    let set = tool("mfssetgoal", &["-r", "3"], &d);
    assert_eq!(
        set,
        format!(
            "{}:\n inodes with goal changed:                       3\n \
             inodes with goal not changed:                   0\n \
             inodes with permission denied:                  0\n",
            d.display()
        )
    );
    let got = tool("mfsgetgoal", &["-r"], &d);
    assert_eq!(
        got,
        format!(
            "{}:\n files with goal                3 :          2\n \
             directories with goal          3 :          1\n",
            d.display()
        )
    );

    // Goal 3 means three copies: the planner replicates the existing ones.
    let f = d.join("f");
    let valid = || {
        let info = tool("mfsfileinfo", &[], &f);
        info.matches("(status:VALID)").count()
    };
    assert!(
        eventually(Duration::from_secs(30), || valid() == 3),
        "{}",
        tool("mfsfileinfo", &[], &f)
    );

    // Storage classes through mfsscadmin.
    scadmin(&["create", "-K", "*,*", "pair"], &mnt);
    let list = scadmin(&["list"], &mnt);
    assert_eq!(list, "1\n2\n3\n4\n5\n6\n7\n8\n9\npair\n");
    scadmin(&["delete", "pair"], &mnt);
    assert!(!scadmin(&["list"], &mnt).contains("pair"));

    // rm: the file waits in its trash bucket under its path.
    let inode = fs::metadata(&f).unwrap().ino() as u32;
    fs::remove_file(&f).unwrap();
    let bucket = meta.join(format!("trash/{:03X}", inode % 4096));
    let entry = bucket.join(format!("{inode:08X}|d|f"));
    assert!(
        eventually(Duration::from_secs(5), || entry.exists()),
        "trash bucket holds {:?}",
        fs::read_dir(&bucket).map(|d| d.flatten().map(|e| e.file_name()).collect::<Vec<_>>())
    );
    assert_eq!(fs::metadata(&entry).unwrap().len(), data.len() as u64);

    // Undelete by moving it to trash/undel: back at d/f with its data.
    fs::rename(
        &entry,
        meta.join("trash/undel").join(entry.file_name().unwrap()),
    )
    .unwrap();
    assert!(eventually(Duration::from_secs(5), || f.exists()));
    assert_eq!(fs::read(&f).unwrap(), data);

    // rm again, then purge from the trash. The mount still reports the
    // file among its open ones (mfsmount keeps a closed file acquired for
    // about ten minutes), so it stays sustained, as on Debian's master,
    // until the mount's session ends: then the chunk files go.
    let with_file = chunk_files(&layout);
    assert!(with_file >= 3, "{with_file} chunk files");
    fs::remove_file(&f).unwrap();
    assert!(eventually(Duration::from_secs(5), || entry.exists()));
    fs::remove_file(&entry).unwrap();
    let sustained = meta.join(format!("sustained/{inode:08X}|d|f"));
    assert!(eventually(Duration::from_secs(5), || sustained.exists()));
    assert_eq!(chunk_files(&layout), with_file);
    // The kernel may still hold the mount busy for a moment after the
    // last file operation; retry as an administrator would.
    let unmounted = eventually(Duration::from_secs(10), || {
        Command::new("umount")
            .arg(&mnt)
            .status()
            .is_ok_and(|s| s.success())
    });
    assert!(unmounted, "umount {} kept failing", mnt.display());
    assert!(
        eventually(Duration::from_secs(45), || chunk_files(&layout)
            == with_file - 3),
        "{} chunk files left of {with_file}",
        chunk_files(&layout)
    );
    assert!(!sustained.exists());
    eprintln!("done in {:?}", started.elapsed());
}
