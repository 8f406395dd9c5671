//! End to end: the real `mooseng-master` binary, mounted by Debian's
//! `mfsmount` 3.0.117, doing metadata work through the kernel.
//!
//! Skipped (with a SKIPPED line) where mfsmount or /dev/fuse is missing.
//! Everything started here is stopped by [`Cluster`]'s Drop, also when an
//! assertion fails half-way.

use std::fs;
use std::io::ErrorKind;
use std::net::{TcpListener, TcpStream};
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

mod support;

use support::mfsmount::{mount_local, MFSMOUNT};

/// `nobody`, a user that owns nothing on the mount.
const NOBODY: &str = "65534";

struct Cluster {
    master: Option<Child>,
    mountpoint: PathBuf,
    mounted: bool,
    dir: tempfile::TempDir,
}

impl Cluster {
    fn start() -> Option<Cluster> {
        if !Path::new(MFSMOUNT).exists() || !Path::new("/dev/fuse").exists() {
            eprintln!("SKIPPED: {MFSMOUNT} or /dev/fuse is missing (Debian moosefs-client, fuse3)");
            return None;
        }
        let dir = tempfile::tempdir().expect("temporary directory");
        let port = free_port();
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
        let mut cluster = Cluster {
            master: Some(master),
            mountpoint,
            mounted: false,
            dir,
        };
        wait_for_port(port);
        cluster.mounted = mount_local(
            &cluster.mountpoint,
            port,
            &cluster.dir.path().join("mount.log"),
        );
        assert!(
            cluster.mounted,
            "mfsmount failed: {}",
            cluster.log("mount.log")
        );
        Some(cluster)
    }

    fn path(&self, relative: &str) -> PathBuf {
        self.mountpoint.join(relative)
    }

    fn log(&self, name: &str) -> String {
        fs::read_to_string(self.dir.path().join(name)).unwrap_or_default()
    }

    /// Runs a shell command inside the mount point as root, umask 022.
    fn sh(&self, script: &str) -> std::process::Output {
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
            "`{script}` failed: {}\nmaster log:\n{}",
            String::from_utf8_lossy(&out.stderr),
            self.log("master.log")
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn unmount(&mut self) {
        if self.mounted {
            let status = Command::new("umount")
                .arg(&self.mountpoint)
                .status()
                .expect("umount runs");
            if !status.success() {
                let _ = Command::new("umount")
                    .arg("-l")
                    .arg(&self.mountpoint)
                    .status();
            }
            self.mounted = false;
        }
    }

    /// SIGTERM, then the exit status of the master.
    fn stop_master(&mut self) -> Option<std::process::ExitStatus> {
        let mut master = self.master.take()?;
        let _ = Command::new("kill")
            .args(["-TERM", &master.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = master.try_wait() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = master.kill();
        master.wait().ok()
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        self.unmount();
        self.stop_master();
    }
}

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
    listener.local_addr().expect("its address").port()
}

fn wait_for_port(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "mooseng-master did not listen");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn errno_of(result: std::io::Result<()>) -> Option<i32> {
    result.err().and_then(|e| e.raw_os_error())
}

#[test]
fn mfsmount_does_metadata_work_on_mooseng_master() {
    let started = Instant::now();
    let Some(mut cluster) = Cluster::start() else {
        return;
    };

    // A tree, files, and what stat and ls -l report about them.
    cluster.sh_ok("mkdir -p tree/a/b/c tree/d && touch tree/a/f1 tree/a/b/f2");
    let meta = fs::metadata(cluster.path("tree/a")).unwrap();
    assert!(meta.is_dir());
    assert_eq!(meta.mode() & 0o7777, 0o755);
    assert_eq!(meta.nlink(), 3, "tree/a holds one subdirectory");
    assert_eq!(fs::metadata(cluster.path("tree")).unwrap().nlink(), 4);
    let file = fs::metadata(cluster.path("tree/a/f1")).unwrap();
    assert!(file.is_file());
    assert_eq!(
        (file.mode() & 0o7777, file.uid(), file.len()),
        (0o644, 0, 0)
    );
    let listing = cluster.sh_ok("ls -ln tree/a");
    let lines: Vec<Vec<&str>> = listing
        .lines()
        .skip(1)
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(lines.len(), 2, "{listing}");
    assert_eq!(
        (lines[0][0], lines[0][1], lines[0][2], lines[0][8]),
        ("drwxr-xr-x", "3", "0", "b")
    );
    assert_eq!(
        (lines[1][0], lines[1][1], lines[1][3], lines[1][8]),
        ("-rw-r--r--", "1", "0", "f1")
    );

    // mv, ln, ln -s and readlink.
    cluster
        .sh_ok("mv tree/a/f1 tree/d/moved && ln tree/d/moved tree/hard && ln -s d/moved tree/sym");
    assert!(!cluster.path("tree/a/f1").exists());
    assert_eq!(fs::metadata(cluster.path("tree/hard")).unwrap().nlink(), 2);
    assert_eq!(
        fs::metadata(cluster.path("tree/hard")).unwrap().ino(),
        fs::metadata(cluster.path("tree/d/moved")).unwrap().ino()
    );
    assert_eq!(cluster.sh_ok("readlink tree/sym").trim(), "d/moved");
    assert!(fs::symlink_metadata(cluster.path("tree/sym"))
        .unwrap()
        .file_type()
        .is_symlink());

    // chmod, chown, touch -d.
    cluster.sh_ok("chmod 4710 tree/hard && chown 1000:2000 tree/d/moved && touch -d '2020-01-02 03:04:05 UTC' tree/a/b/f2");
    let moved = fs::metadata(cluster.path("tree/d/moved")).unwrap();
    assert_eq!((moved.uid(), moved.gid()), (1000, 2000));
    assert_eq!(moved.mode() & 0o7777, 0o710, "chown by root clears setuid");
    assert_eq!(
        fs::metadata(cluster.path("tree/a/b/f2")).unwrap().mtime(),
        1_577_934_245
    );

    // mknod and mkfifo.
    cluster.sh_ok("mknod tree/null c 1 3 && mkfifo tree/fifo");
    let null = fs::metadata(cluster.path("tree/null")).unwrap();
    assert!(null.file_type().is_char_device());
    assert_eq!(null.rdev(), 0x0103);
    assert!(fs::metadata(cluster.path("tree/fifo"))
        .unwrap()
        .file_type()
        .is_fifo());

    // Errors come back with the right errno.
    assert_eq!(errno_of(fs::remove_dir(cluster.path("tree/a"))), Some(39));
    assert_eq!(errno_of(fs::create_dir(cluster.path("tree/d"))), Some(17));
    assert_eq!(
        fs::metadata(cluster.path("tree/missing"))
            .unwrap_err()
            .kind(),
        ErrorKind::NotFound
    );
    assert_eq!(errno_of(fs::remove_file(cluster.path("tree/a"))), Some(21));

    // A user without rights is refused where the mode says so.
    cluster.sh_ok("mkdir private && chmod 700 private && mkdir shared && chmod 777 shared");
    let as_nobody = |script: &str| {
        Command::new("setpriv")
            .args(["--reuid", NOBODY, "--regid", NOBODY, "--clear-groups"])
            .args(["sh", "-c", script])
            .current_dir(&cluster.mountpoint)
            .output()
            .expect("setpriv runs")
    };
    let denied = as_nobody("touch private/x");
    assert!(!denied.status.success());
    assert!(
        String::from_utf8_lossy(&denied.stderr).contains("Permission denied"),
        "{}",
        String::from_utf8_lossy(&denied.stderr)
    );
    let allowed = as_nobody("touch shared/mine && mkdir shared/dir");
    assert!(allowed.status.success(), "{:?}", allowed);
    assert_eq!(
        fs::metadata(cluster.path("shared/mine")).unwrap().uid(),
        65534
    );
    let chmod_other = as_nobody("chmod 777 tree/hard");
    assert!(!chmod_other.status.success());

    // rm and rmdir empty the tree; df answers.
    cluster.sh_ok("rm -r tree shared private");
    assert_eq!(fs::read_dir(&cluster.mountpoint).unwrap().count(), 0);
    let df = cluster.sh_ok("df -P .");
    assert!(df.contains("mfs#127.0.0.1"), "{df}");

    cluster.unmount();
    let status = cluster.stop_master().expect("the master was running");
    assert!(status.success(), "master exit: {status:?}");
    let log = cluster.log("master.log");
    assert!(log.contains("SIGTERM received"), "{log}");
    assert!(!log.contains("panicked"), "{log}");
    assert!(started.elapsed() < Duration::from_secs(60));
}
