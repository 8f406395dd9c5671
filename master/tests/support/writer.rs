//! A writer that works through a mount in its own process, started from
//! the test binary itself, while the test kills and restarts daemons.
//!
//! It must not be a thread of the test: the test starts daemons, and a
//! started program inherits the test's open files until its `exec`
//! closes them. Closing a FUSE file flushes it, and the flush waits for
//! the file's dirty pages to be written through the mount, which needs
//! the master: a master restarted while the writer had a file open stayed
//! blocked in that `exec` until mfsmount gave the write up with EIO, two
//! minutes later (docs/master-persistence.md).

use std::fs::{self, File};
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

use super::payload;

/// Bytes of each file [`Work::Files`] writes: one chunk, several blocks.
pub const FILE_SIZE: usize = 200_000;

/// The variables that make the test binary a writer: what to make, in
/// which directory of the mount, and a directory off the mount for the
/// stop file and the list of acknowledged items.
const WORK: &str = "CRASH_WRITER_WORK";
const ROOT: &str = "CRASH_WRITER_ROOT";
const STATE: &str = "CRASH_WRITER_STATE";

/// What the writer makes, item `n` after item `n - 1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Work {
    /// Directory `d<n>`.
    Dirs,
    /// File `f<n>`: [`FILE_SIZE`] bytes of `payload(.., n + 1)`, fsynced.
    Files,
}

impl Work {
    fn tag(self) -> &'static str {
        match self {
            Work::Dirs => "dirs",
            Work::Files => "files",
        }
    }

    fn from_tag(tag: &str) -> Work {
        match tag {
            "dirs" => Work::Dirs,
            "files" => Work::Files,
            other => panic!("unknown writer work {other:?}"),
        }
    }

    /// The name of item `n`.
    pub fn name(self, n: u64) -> String {
        match self {
            Work::Dirs => format!("d{n}"),
            Work::Files => format!("f{n}"),
        }
    }

    fn make(self, root: &Path, n: u64) {
        let path = root.join(self.name(n));
        match self {
            Work::Dirs => mkdir(&path),
            Work::Files => write_file(&path, &file_bytes(n)),
        }
    }
}

/// What file `f<n>` holds.
pub fn file_bytes(n: u64) -> Vec<u8> {
    payload(FILE_SIZE, n + 1)
}

/// The SHA-256 of what file `f<n>` holds.
pub fn file_digest(n: u64) -> Vec<u8> {
    Sha256::digest(file_bytes(n)).to_vec()
}

/// EEXIST counts as made: mfsmount repeats a request whose answer the
/// dead master never sent, and the first try had landed.
fn mkdir(path: &Path) {
    match fs::create_dir(path) {
        Ok(()) => {}
        Err(error) if error.kind() == ErrorKind::AlreadyExists => {}
        Err(error) => panic!("mkdir {} through the mount: {error}", path.display()),
    }
}

/// Writes, fsyncs and closes. EEXIST from the create means a repeated
/// create found the file the first try had made: it is opened.
fn write_file(path: &Path, bytes: &[u8]) {
    let mut file = match File::create(path) {
        Err(error) if error.kind() == ErrorKind::AlreadyExists => File::options()
            .write(true)
            .truncate(true)
            .open(path)
            .expect("open the file a repeated create found"),
        created => created.expect("create through the mount"),
    };
    file.write_all(bytes).expect("write through the mount");
    file.sync_all().expect("fsync through the mount");
}

/// The writer process, as the test that started it sees it.
pub struct Writer {
    child: Child,
    state: PathBuf,
}

impl Writer {
    /// Starts the running test again in a new process, as a writer making
    /// `work` in `root` until [`Writer::finish`]; `state` must be off the
    /// mount.
    pub fn start(work: Work, root: &Path, state: &Path) -> Writer {
        let test = thread::current()
            .name()
            .expect("libtest names each test's thread")
            .to_owned();
        fs::create_dir_all(state).expect("writer state directory");
        let child = Command::new(std::env::current_exe().expect("this test binary"))
            .args([&test, "--exact", "--nocapture", "--test-threads=1"])
            .env(WORK, work.tag())
            .env(ROOT, root)
            .env(STATE, state)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .spawn()
            .expect("the writer process starts");
        let mut writer = Writer {
            child,
            state: state.to_owned(),
        };
        writer.wait_for_first_item();
        writer
    }

    /// Returns once the writer has made its first item, so that what the
    /// test does next happens while it works, however slowly the test
    /// binary starts on a loaded machine.
    fn wait_for_first_item(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while self.acknowledged().is_empty() {
            let exited = self.child.try_wait().expect("the writer's status");
            assert!(exited.is_none(), "the writer stopped at once ({exited:?})");
            assert!(Instant::now() < deadline, "the writer made nothing in 60 s");
            thread::sleep(Duration::from_millis(20));
        }
    }

    /// The numbers of the items the writer has recorded so far.
    fn acknowledged(&self) -> Vec<u64> {
        fs::read_to_string(self.state.join("acknowledged"))
            .unwrap_or_default()
            .lines()
            .map(|n| n.parse().expect("an item number"))
            .collect()
    }

    /// Stops the writer after the item it is making; returns the numbers
    /// of the items the kernel acknowledged, in order.
    pub fn finish(mut self) -> Vec<u64> {
        File::create(self.state.join("stop")).expect("stop file");
        let status = self.child.wait().expect("wait for the writer");
        assert!(
            status.success(),
            "the writer failed ({status}); its panic is above"
        );
        self.acknowledged()
    }
}

impl Drop for Writer {
    /// A test that fails half-way leaves no writer behind.
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// When this process was started by [`Writer::start`], makes its items
/// until told to stop and returns true: the test function that called it
/// must then return at once.
pub fn run_if_writer() -> bool {
    let Ok(work) = std::env::var(WORK) else {
        return false;
    };
    let work = Work::from_tag(&work);
    let root = PathBuf::from(std::env::var_os(ROOT).expect("writer root"));
    let state = PathBuf::from(std::env::var_os(STATE).expect("writer state"));
    let mut acknowledged = File::create(state.join("acknowledged")).expect("list");
    for n in 0.. {
        if state.join("stop").exists() {
            break;
        }
        work.make(&root, n);
        writeln!(acknowledged, "{n}").expect("record an acknowledged item");
    }
    true
}
