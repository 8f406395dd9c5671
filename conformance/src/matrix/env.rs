//! What a step works with: the running cell's cluster, its two mounts and
//! the meta mount a step may add, plus small helpers the steps share.

use std::ffi::OsStr;
use std::fs;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Context};
use mooseng_tools::process::ProcessId;
use mooseng_tools::{Layout, Role, State};

use super::cell::Cell;

/// The environment a cell's steps run in.
#[derive(Debug)]
pub struct Env {
    pub cell: Cell,
    pub layout: Layout,
    pub state: State,
    pub master: Ipv4Addr,
    /// The directory of mount 1 the workload writes in.
    pub work: PathBuf,
    /// The same directory seen through mount 2: reads there go through a
    /// second client, with caches that never saw the writes.
    pub other: PathBuf,
    pub big_file_bytes: u64,
    /// The meta mount, once a step has mounted it.
    pub meta: Option<MetaMount>,
}

/// A mount of the meta file system (`-o mfsmeta`), made by the cell's
/// client program.
#[derive(Debug)]
pub struct MetaMount {
    pub path: PathBuf,
    pub process: ProcessId,
}

impl Env {
    /// The chunk data folder of chunkserver `n`.
    pub fn chunk_folder(&self, n: u8) -> PathBuf {
        self.layout.data(Role::Chunkserver(n)).join("hdd")
    }

    /// The address of chunkserver `n`.
    pub fn chunkserver_address(&self, n: u8) -> Ipv4Addr {
        Role::Chunkserver(n).address(&self.state.subnet)
    }

    /// A fresh directory `name` under the work directory, with its twin
    /// path through mount 2.
    pub fn dir(&self, name: &str) -> anyhow::Result<(PathBuf, PathBuf)> {
        let here = self.work.join(name);
        fs::create_dir(&here).with_context(|| format!("mkdir {}", here.display()))?;
        Ok((here, self.other.join(name)))
    }
}

/// Runs `program args`, failing with its stderr unless it exits with 0;
/// returns its stdout.
pub fn run(program: &str, args: &[&OsStr]) -> anyhow::Result<String> {
    let out = Command::new(program)
        .args(args)
        .output()
        .with_context(|| format!("cannot run {program}"))?;
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    if !out.status.success() {
        bail!(
            "`{program} {}` failed ({}): {}{}",
            args.iter()
                .map(|a| a.to_string_lossy())
                .collect::<Vec<_>>()
                .join(" "),
            out.status,
            String::from_utf8_lossy(&out.stderr).trim(),
            stdout.trim()
        );
    }
    Ok(stdout)
}

/// Polls `check` until it returns `Ok(true)` or `limit` passes; an error
/// from `check` ends the wait at once. Fails naming `what`.
pub fn wait_until(
    what: &str,
    limit: Duration,
    mut check: impl FnMut() -> anyhow::Result<bool>,
) -> anyhow::Result<()> {
    let deadline = Instant::now() + limit;
    loop {
        if check()? {
            return Ok(());
        }
        ensure!(
            Instant::now() < deadline,
            "{what}: not within {} s",
            limit.as_secs()
        );
        thread::sleep(Duration::from_millis(250));
    }
}

/// Reads `path` as text, naming it in the error.
pub fn read_text(path: &Path) -> anyhow::Result<String> {
    fs::read_to_string(path).with_context(|| format!("read {}", path.display()))
}
