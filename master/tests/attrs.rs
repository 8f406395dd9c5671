//! End to end: extended attributes, POSIX ACLs, extra attributes, locks
//! and quotas on `mooseng-master`, through Debian's `mfsmount` 3.0.117 and
//! its tools (setfattr/getfattr, setfacl/getfacl, mfsseteattr/mfsgeteattr,
//! mfssetquota, flock and fcntl locks from python3).
//!
//! Metadata only: no chunkservers, the master listens on 127.0.0.1.
//! Skipped (with a SKIPPED line) where mfsmount, /dev/fuse or a tool is
//! missing. Drop unmounts and stops the master, also after a failure.

use std::fs;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

mod support;

use support::mfsmount::{mount_local, MFSMOUNT};

const TOOLS: [&str; 6] = [
    "/usr/bin/setfattr",
    "/usr/bin/setfacl",
    "/usr/bin/mfsseteattr",
    "/usr/bin/mfssetquota",
    "/usr/bin/python3",
    "/usr/bin/setpriv",
];

struct Mount {
    master: Option<Child>,
    mountpoint: PathBuf,
    mounted: bool,
    dir: tempfile::TempDir,
}

impl Mount {
    fn start() -> Option<Mount> {
        let missing = std::iter::once(MFSMOUNT)
            .chain(["/dev/fuse"])
            .chain(TOOLS)
            .find(|p| !Path::new(p).exists());
        if let Some(missing) = missing {
            eprintln!("SKIPPED: {missing} is missing (moosefs-client, fuse3, attr, acl, python3)");
            return None;
        }
        let dir = tempfile::tempdir().expect("temporary directory");
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let log = fs::File::create(dir.path().join("master.log")).expect("master log");
        let master = Command::new(env!("CARGO_BIN_EXE_mooseng-master"))
            .args(["--listen", &format!("127.0.0.1:{port}")])
            .args(["--listen-chunkservers", "127.0.0.1:0"])
            .args(["--data-dir", &dir.path().display().to_string()])
            .env("RUST_LOG", "debug")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("mooseng-master starts");
        let mountpoint = dir.path().join("mnt");
        fs::create_dir(&mountpoint).expect("mount point");
        let mut mount = Mount {
            master: Some(master),
            mountpoint,
            mounted: false,
            dir,
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "mooseng-master did not listen");
            std::thread::sleep(Duration::from_millis(50));
        }
        mount.mounted = mount_local(&mount.mountpoint, port, &mount.dir.path().join("mount.log"));
        assert!(mount.mounted, "mfsmount failed: {}", mount.log("mount.log"));
        Some(mount)
    }

    fn log(&self, name: &str) -> String {
        fs::read_to_string(self.dir.path().join(name)).unwrap_or_default()
    }

    /// Runs a shell script inside the mount point as root, umask 022.
    fn sh(&self, script: &str) -> Output {
        Command::new("sh")
            .arg("-c")
            .arg(format!("umask 022; {script}"))
            .current_dir(&self.mountpoint)
            .output()
            .expect("sh runs")
    }

    fn sh_ok(&self, script: &str) -> String {
        let out = self.sh(script);
        assert!(
            out.status.success(),
            "`{script}` failed: {}\nmaster log tail:\n{}",
            String::from_utf8_lossy(&out.stderr),
            tail(&self.log("master.log"))
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn sh_err(&self, script: &str) -> String {
        let out = self.sh(script);
        assert!(!out.status.success(), "`{script}` should fail");
        String::from_utf8_lossy(&out.stderr).into_owned()
    }
}

impl Drop for Mount {
    fn drop(&mut self) {
        if self.mounted {
            let ok = Command::new("umount")
                .arg(&self.mountpoint)
                .status()
                .is_ok_and(|s| s.success());
            if !ok {
                let _ = Command::new("umount")
                    .arg("-l")
                    .arg(&self.mountpoint)
                    .status();
            }
        }
        if let Some(mut master) = self.master.take() {
            let _ = master.kill();
            let _ = master.wait();
        }
    }
}

fn tail(log: &str) -> String {
    let lines: Vec<&str> = log.lines().collect();
    lines[lines.len().saturating_sub(40)..].join("\n")
}

/// Takes an exclusive lock, says how long it waited, holds it a while.
const LOCKER: &str = r#"
import fcntl, sys, time
kind, path, hold = sys.argv[1], sys.argv[2], float(sys.argv[3])
f = open(path, "r+")
t0 = time.time()
if kind == "flock":
    fcntl.flock(f, fcntl.LOCK_EX)
else:
    fcntl.lockf(f, fcntl.LOCK_EX, 10, 0)
print("%.2f" % (time.time() - t0), flush=True)
time.sleep(hold)
"#;

#[test]
fn attributes_acls_locks_and_quotas_through_mfsmount() {
    let started = Instant::now();
    let Some(mount) = Mount::start() else {
        return;
    };

    // Extended attributes: set, read, list, replace, remove.
    mount.sh_ok("touch x && setfattr -n user.color -v blue x && setfattr -n user.size -v big x");
    assert_eq!(
        mount.sh_ok("getfattr --only-values -n user.color x"),
        "blue"
    );
    let listed = mount.sh_ok("getfattr -d x");
    assert!(
        listed.contains("user.color=\"blue\"") && listed.contains("user.size=\"big\""),
        "{listed}"
    );
    mount.sh_ok("setfattr -n user.color -v red x");
    assert_eq!(mount.sh_ok("getfattr --only-values -n user.color x"), "red");
    mount.sh_ok("setfattr -x user.color x");
    assert!(mount
        .sh_err("getfattr -n user.color x")
        .contains("No such attribute"));
    assert!(!mount.sh_ok("getfattr -d x").contains("user.color"));

    // A default ACL is inherited by a new file; a named-user entry decides
    // who may open it.
    mount.sh_ok("mkdir shared && setfacl -d -m u:nobody:rwx shared && touch shared/new");
    let inherited = mount.sh_ok("getfacl -p shared/new");
    assert!(inherited.contains("user:nobody:rwx"), "{inherited}");
    assert!(mount.sh_ok("ls -l shared/new").starts_with("-rw-rw-r--+"));
    mount.sh_ok("touch private && chmod 600 private && setfacl -m u:nobody:r private");
    assert!(mount
        .sh_ok("getfacl -p private")
        .contains("user:nobody:r--"));
    mount.sh_ok("setpriv --reuid=65534 --regid=65534 --clear-groups cat private");
    let refused = mount.sh_err("setpriv --reuid=65533 --regid=65533 --clear-groups cat private");
    assert!(refused.contains("Permission denied"), "{refused}");
    mount.sh_ok("setfacl -b private");
    // mfsmount may keep answering the old ACL's existence from its xattr
    // cache for a while (`ls` would still print `+`); the ACL is gone.
    let plain = mount.sh_ok("ls -l private; getfacl -p private");
    assert!(plain.starts_with("-rw-------"), "{plain}");
    assert!(
        !plain.contains("nobody") && !plain.contains("mask"),
        "{plain}"
    );

    // Extra attributes, one node and a subtree.
    mount.sh_ok("mfsseteattr -f noowner x");
    assert!(mount.sh_ok("mfsgeteattr x").contains("noowner"));
    let counts = mount.sh_ok("mfsseteattr -r -f nodatacache shared");
    assert!(
        counts.contains("inodes with attributes changed:              2"),
        "{counts}"
    );
    mount.sh_ok("mfsdeleattr -f noowner x");
    assert!(mount.sh_ok("mfsgeteattr x").contains("x: -"));

    // flock and fcntl: a second exclusive lock waits for the first.
    fs::write(mount.dir.path().join("locker.py"), LOCKER).expect("locker script");
    let locker = mount.dir.path().join("locker.py");
    mount.sh_ok("touch lk");
    for kind in ["flock", "posix"] {
        let script = format!(
            "python3 {l} {kind} lk 1.5 & sleep 0.4; python3 {l} {kind} lk 0; wait",
            l = locker.display()
        );
        let waits: Vec<f64> = mount
            .sh_ok(&script)
            .lines()
            .map(|l| l.parse().expect("seconds"))
            .collect();
        assert_eq!(waits.len(), 2, "{kind}: {waits:?}");
        assert!(waits[0] < 0.5, "{kind}: the first lock is free: {waits:?}");
        assert!(
            waits[1] > 0.7,
            "{kind}: the second waits for the first: {waits:?}"
        );
    }

    // An inode hard limit makes the next create fail with EDQUOT.
    mount.sh_ok("mkdir q && mfssetquota -I 2 q && touch q/a q/b");
    assert!(mount.sh_err("touch q/c").contains("Disk quota exceeded"));
    assert!(mount
        .sh_ok("mfsgetquota q")
        .contains(" inodes   |                    2 |"));

    assert!(
        started.elapsed() < Duration::from_secs(60),
        "took {:?}",
        started.elapsed()
    );
}
