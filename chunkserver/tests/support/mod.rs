//! Helpers shared by the tests that start a cluster with `mooseng-cluster`
//! (root, `ip`, FUSE and the MooseFS packages; scripts/setup.sh).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

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

/// Deterministic bytes that do not repeat within a chunk.
pub fn payload(len: usize) -> Vec<u8> {
    let mut x: u64 = 0x2545_F491_4F6C_DD1D;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
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
