//! Helpers shared by the tests that start a cluster with `mooseng-cluster`
//! (root, `ip`, FUSE and the MooseFS packages; scripts/setup.sh).
//!
//! Each test binary uses its own part of these helpers, so the rest is
//! unused there.
#![allow(dead_code)]

use std::fs;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use mooseng_tools::launch::{self, Context, Mounts};
use mooseng_tools::process::{self, ProcessId};
use mooseng_tools::state::Member;
use mooseng_tools::{Flavor, Layout, Role, State};
use rustix::process::{kill_process, Pid, Signal};
use sha2::{Digest, Sha256};

/// Where `mooseng-cluster` is: next to our binary, as cargo builds both
/// into one target directory; built on demand.
fn cluster_tool() -> PathBuf {
    let ours = PathBuf::from(env!("CARGO_BIN_EXE_mooseng-chunkserver"));
    let tool = ours.with_file_name("mooseng-cluster");
    if !tool.exists() {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
        let status = Command::new(cargo)
            .args(["build", "-p", "mooseng-tools", "--bin", "mooseng-cluster"])
            .status()
            .expect("cargo runs");
        assert!(status.success(), "building mooseng-cluster failed");
    }
    tool
}

pub fn run(program: &str, args: &[&str]) -> Output {
    Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|err| panic!("{program} does not run: {err}"))
}

pub fn text(output: &Output) -> String {
    format!(
        "status {}\nstdout:\n{}\nstderr:\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// What `mooseng-chunkserver` logs once the master has accepted it.
const REGISTERED: &str = "registered with master";

/// A cluster that is taken down however the test ends.
pub struct Cluster {
    tool: PathBuf,
    pub state: PathBuf,
    mnt: PathBuf,
    pub master: String,
    _dir: tempfile::TempDir,
}

impl Cluster {
    /// Debian's master, `chunkservers` (`mfs`/`ng` list) and two Debian
    /// mounts on 10.233.`subnet_third_octet`.0/24; `env` is given to every
    /// daemon (our chunkservers read `MOOSENG_CHUNKSERVER_*` settings).
    pub fn up(
        prefix: &str,
        subnet_third_octet: u8,
        chunkservers: &str,
        env: &[(&str, &str)],
    ) -> Self {
        let dir = tempfile::tempdir().expect("temporary directory");
        let state = dir.path().join("state");
        let mnt = dir.path().join("mnt");
        let subnet = format!("10.233.{subnet_third_octet}.0/24");
        let cluster = Cluster {
            tool: cluster_tool(),
            state: state.clone(),
            mnt: mnt.clone(),
            master: format!("10.233.{subnet_third_octet}.2"),
            _dir: dir,
        };
        let output = cluster.cli(
            env,
            &[
                "up",
                "--master",
                "mfs",
                "--chunkservers",
                chunkservers,
                "--mount",
                "mfs",
                "--mounts",
                "2",
                "--mountpoint",
                mnt.to_str().expect("UTF-8 path"),
                "--prefix",
                prefix,
                "--subnet",
                &subnet,
                // Goal changes and restarted servers are repaired in
                // seconds, not after mfsmaster's production delays.
                "--replication",
                "quick",
            ],
        );
        assert!(
            output.status.success(),
            "cluster did not come up:\n{}",
            text(&output)
        );
        cluster
    }

    fn cli(&self, env: &[(&str, &str)], args: &[&str]) -> Output {
        Command::new(&self.tool)
            .envs(env.iter().copied())
            .arg("--state-dir")
            .arg(&self.state)
            .args(args)
            .output()
            .expect("mooseng-cluster runs")
    }

    pub fn mount(&self, n: u8) -> PathBuf {
        self.mnt.join(format!("mount{n}"))
    }

    pub fn log(&self, role: &str) -> String {
        fs::read_to_string(self.state.join("logs").join(format!("{role}.log"))).unwrap_or_default()
    }

    /// What `mooseng-cluster` recorded about the running cluster.
    fn recorded(&self) -> State {
        State::load(&Layout::new(&self.state).state_file())
            .expect("state file readable")
            .expect("the cluster is up")
    }

    fn member(&self, role: Role) -> Member {
        self.recorded()
            .processes
            .into_iter()
            .find(|m| m.role == role)
            .unwrap_or_else(|| panic!("{} is not in the cluster", role.name()))
    }

    /// Chunkserver `n`'s data folder (`mfshdd.cfg`'s one line, or
    /// `--data`): the same for both flavors.
    pub fn hdd(&self, n: u8) -> PathBuf {
        Layout::new(&self.state)
            .data(Role::Chunkserver(n))
            .join("hdd")
    }

    /// Stops chunkserver `n` with SIGTERM (SIGKILL after ten seconds), as
    /// `down` does, and returns once it has exited.
    pub fn stop_chunkserver(&self, n: u8) {
        let process = self.member(Role::Chunkserver(n)).process;
        process::stop_all(&[process], Duration::from_secs(10));
        assert!(!process.is_alive(), "cs{n} still runs");
    }

    /// Kills chunkserver `n` with SIGKILL, as a crash would, and returns
    /// once it is gone.
    pub fn kill_chunkserver(&self, n: u8) {
        let process = self.member(Role::Chunkserver(n)).process;
        let pid = i32::try_from(process.pid)
            .ok()
            .and_then(Pid::from_raw)
            .expect("a valid pid");
        kill_process(pid, Signal::KILL).expect("SIGKILL sent");
        let start = Instant::now();
        while process.is_alive() {
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "cs{n} survived SIGKILL"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Starts `mooseng-chunkserver` as chunkserver `n` (its namespace,
    /// address and data folder, with the command line `mooseng-cluster`
    /// gives it) in place of the stopped one, records it so `down` stops
    /// it too, and waits until it has registered with the master.
    pub fn start_ng_chunkserver(&self, n: u8) {
        let registered_before = self.registrations(n);
        let program = PathBuf::from(env!("CARGO_BIN_EXE_mooseng-chunkserver"));
        let process = self.spawn_chunkserver(n, Flavor::Ng, program);
        self.wait_registered(n, process, || self.registrations(n) > registered_before);
    }

    /// Starts Debian's `mfschunkserver` as chunkserver `n` in place of the
    /// stopped one, as [`Self::start_ng_chunkserver`] does ours, and waits
    /// until Debian's master logs the end of its registration (the
    /// chunkserver itself logs that only in debug builds).
    pub fn start_mfs_chunkserver(&self, n: u8) {
        let address = Role::Chunkserver(n).address(&self.recorded().subnet);
        let marker = format!("register end (packet version: 6) - ip: {address} /");
        let registered_before = self.log("master").matches(&marker).count();
        let program = self.member(Role::Chunkserver(n)).program;
        assert!(
            program.ends_with("mfschunkserver"),
            "cs{n} was not Debian's chunkserver"
        );
        let process = self.spawn_chunkserver(n, Flavor::Mfs, program);
        self.wait_registered(n, process, || {
            self.log("master").matches(&marker).count() > registered_before
        });
    }

    /// Stops Debian's master with SIGTERM (it saves its metadata on the
    /// way out), starts it again with the same command line and returns
    /// once it listens for clients again. Nobody tells the chunkservers.
    pub fn restart_master(&self) {
        let layout = Layout::new(&self.state);
        let address = self.master.parse().expect("the master's address");
        mooseng_tools::member::stop(&layout, address).unwrap_or_else(|err| panic!("{err}"));
        let master =
            mooseng_tools::member::restart(&layout, address).unwrap_or_else(|err| panic!("{err}"));
        let start = Instant::now();
        while !run("mfscli", &["-H", &self.master, "-SIN"])
            .status
            .success()
        {
            assert!(
                master.process.is_alive(),
                "the master exited:\n{}",
                self.log("master")
            );
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "the master does not answer:\n{}",
                self.log("master")
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// How many times chunkserver `n` has logged a finished registration.
    pub fn registrations(&self, n: u8) -> usize {
        self.log(&Role::Chunkserver(n).name())
            .matches(REGISTERED)
            .count()
    }

    /// Runs `program` as chunkserver `n` of `flavor` with the command line
    /// `mooseng-cluster` gives it, in the stopped one's namespace and log,
    /// and records it so `down` stops it too.
    fn spawn_chunkserver(&self, n: u8, flavor: Flavor, program: PathBuf) -> ProcessId {
        let role = Role::Chunkserver(n);
        let old = self.member(role);
        assert!(!old.process.is_alive(), "cs{n} still runs");
        let mut state = self.recorded();
        let layout = Layout::new(&self.state);
        let mounts = Mounts {
            base: self.mnt.clone(),
            count: 2,
        };
        let ctx = Context {
            layout: &layout,
            subnet: state.subnet,
            master: Role::Master.address(&state.subnet),
            masters: 1,
            mounts: &mounts,
            root_export: mooseng_tools::config::DEFAULT_ROOT_EXPORT,
            replication: mooseng_tools::config::Replication::Quick,
        };
        let args = launch::launch(role, flavor, &ctx).args;
        let process = process::spawn(&program, &args, old.netns.as_deref(), &old.log)
            .unwrap_or_else(|err| panic!("{} does not start: {err}", program.display()));
        for member in state.processes.iter_mut().filter(|m| m.role == role) {
            member.flavor = flavor;
            member.program = program.clone();
            member.args = args
                .iter()
                .map(|a| a.to_string_lossy().into_owned())
                .collect();
            member.process = process;
        }
        state
            .save(&layout.state_file())
            .expect("state file written");
        process
    }

    /// Waits up to 30 seconds for `registered`, failing early if chunkserver
    /// `n` (running as `process`) exits.
    fn wait_registered(&self, n: u8, process: ProcessId, registered: impl Fn() -> bool) {
        let log = Role::Chunkserver(n).name();
        let start = Instant::now();
        while !registered() {
            assert!(process.is_alive(), "cs{n} exited:\n{}", self.log(&log));
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "cs{n} did not register:\n{}",
                self.log(&log)
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// `mfsfileinfo` of `file`, retried until `done` accepts it.
    pub fn wait_fileinfo(
        &self,
        file: &Path,
        limit: Duration,
        done: impl Fn(&str) -> bool,
    ) -> String {
        let start = Instant::now();
        loop {
            let info = String::from_utf8_lossy(
                &run("mfsfileinfo", &[file.to_str().expect("UTF-8 path")]).stdout,
            )
            .into_owned();
            if done(&info) || start.elapsed() > limit {
                return info;
            }
            std::thread::sleep(Duration::from_millis(500));
        }
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = self.cli(&[], &["down"]);
    }
}

/// An endless deterministic byte stream that does not repeat within a
/// chunk (xorshift64, eight bytes a step), so large files can be written
/// and checked without holding them in memory.
#[derive(Debug, Clone)]
pub struct Payload {
    state: u64,
}

impl Payload {
    pub fn new() -> Self {
        Payload {
            state: 0x2545_F491_4F6C_DD1D,
        }
    }

    /// Fills `buf` with the stream's next bytes.
    pub fn fill(&mut self, buf: &mut [u8]) {
        for word in buf.chunks_mut(8) {
            let x = &mut self.state;
            *x ^= *x << 13;
            *x ^= *x >> 7;
            *x ^= *x << 17;
            word.copy_from_slice(&x.to_le_bytes()[..word.len()]);
        }
    }
}

/// The first `len` bytes of [`Payload`].
pub fn payload(len: usize) -> Vec<u8> {
    let mut data = vec![0; len];
    Payload::new().fill(&mut data);
    data
}

/// Per chunk of `mfsfileinfo` output, the number of VALID copies.
pub fn valid_copies(info: &str) -> Vec<usize> {
    let mut counts = Vec::new();
    for line in info.lines().map(str::trim) {
        if line.starts_with("chunk ") {
            counts.push(0);
        } else if line.starts_with("copy ") && line.contains("status:VALID") {
            if let Some(last) = counts.last_mut() {
                *last += 1;
            }
        }
    }
    counts
}

pub fn chunk_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let Ok(entries) = fs::read_dir(dir) else {
        return files;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(chunk_files(&path));
        } else if path
            .file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with("chunk_"))
        {
            files.push(path);
        }
    }
    files
}

/// Writes the first `len` bytes of [`Payload`] to `path` a MiB at a time,
/// calling `progress` with the bytes written so far after each, then
/// fsyncs and closes it; returns the data's SHA-256.
pub fn write_payload(path: &Path, len: u64, mut progress: impl FnMut(u64)) -> io::Result<Vec<u8>> {
    let mut file = fs::File::create(path)?;
    let mut stream = Payload::new();
    let mut hash = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut done = 0;
    while done < len {
        let piece = &mut buf[..(len - done).min(1 << 20) as usize];
        stream.fill(piece);
        file.write_all(piece)?;
        hash.update(&*piece);
        done += piece.len() as u64;
        progress(done);
    }
    file.sync_all()?;
    Ok(hash.finalize().to_vec())
}

/// SHA-256 and length of the file at `path`, read a MiB at a time.
pub fn sha256_file(path: &Path) -> io::Result<(Vec<u8>, u64)> {
    let mut file = fs::File::open(path)?;
    let mut hash = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut len = 0;
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            return Ok((hash.finalize().to_vec(), len));
        }
        hash.update(&buf[..n]);
        len += n as u64;
    }
}

/// Polls `check` every 200 ms until it holds or `limit` passes.
pub fn wait_for(limit: Duration, mut check: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < limit {
        if check() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    check()
}
