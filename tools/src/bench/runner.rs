//! Bringing up one configuration, measuring it, and taking it down; and
//! alternating two configurations run after run so that slow drifts of a
//! shared machine hit both alike.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};

use super::io;
use super::memory::rss;
use super::metadata;
use super::report::Figures;
use super::spec::ClusterSpec;
use crate::cluster::UpOptions;
use crate::command::run;
use crate::{Layout, Role, State, Subnet};

const MIB: f64 = (1u64 << 20) as f64;

/// Sizes and places, the same for both configurations.
#[derive(Debug, Clone)]
pub struct Workload {
    pub seq_bytes: u64,
    pub rand_bytes: u64,
    pub rand_seconds: u64,
    pub files: usize,
    pub dirs: usize,
    /// Entries of the listed directory; also the file count at which the
    /// master's memory per file is measured.
    pub entries: usize,
    /// Thread counts the file and directory workloads run with, each in
    /// its own directory and with its own figures.
    pub meta_threads: Vec<usize>,
    pub use_fio: bool,
    pub state_dir: PathBuf,
    pub prefix: String,
    pub subnet: Subnet,
}

/// Runs the workload once on a fresh cluster of `spec`, always taking it
/// down again.
pub fn run_once(spec: &ClusterSpec, work: &Workload) -> Result<Figures> {
    let layout = Layout::new(&work.state_dir);
    crate::down(&layout).context("taking down a cluster left behind")?;
    let options = UpOptions {
        master: spec.master,
        chunkservers: spec.chunkservers.clone(),
        metalogger: None,
        mount: spec.mount,
        mounts: 2,
        mountpoint: None,
        prefix: work.prefix.clone(),
        subnet: work.subnet,
        root_export: crate::config::DEFAULT_ROOT_EXPORT.into(),
        timeout: Duration::from_secs(60),
    };
    let state = crate::up(&layout, &options).with_context(|| format!("bringing up {spec}"))?;
    let result = measure(&state, work);
    let down = crate::down(&layout);
    let figures = result?;
    down.context("taking the cluster down")?;
    Ok(figures)
}

fn mountpoint(state: &State, n: u8) -> Result<PathBuf> {
    state
        .processes
        .iter()
        .find(|m| m.role == Role::Mount(n))
        .and_then(|m| m.mountpoint.clone())
        .with_context(|| format!("no mount {n}"))
}

fn measure(state: &State, work: &Workload) -> Result<Figures> {
    let (first, second) = (mountpoint(state, 1)?, mountpoint(state, 2)?);
    let mut figures = Figures::new();
    let mut put = |name: &str, value: f64| figures.push((name.to_owned(), value));

    let dir = first.join("bench");
    fs::create_dir(&dir)?;
    set_goal_2(state, &work.state_dir.join("goal-mount"))?;
    let file = dir.join("seq");
    put(
        "sequential write, 1 MiB blocks (MiB/s)",
        io::seq_write(&file, work.seq_bytes, work.use_fio)?,
    );
    // Read through the other mount, whose page cache never saw the file.
    let read = io::seq_read(&second.join("bench/seq"), work.seq_bytes, work.use_fio)?;
    put("sequential read, 1 MiB blocks (MiB/s)", read);
    if work.use_fio {
        let bytes = work.rand_bytes.min(work.seq_bytes);
        put(
            "random read, 4 KiB (IOPS)",
            io::random_4k(&file, "randread", bytes, work.rand_seconds)?,
        );
        put(
            "random write, 4 KiB (IOPS)",
            io::random_4k(&file, "randwrite", bytes, work.rand_seconds)?,
        );
    }

    for &threads in &work.meta_threads {
        let dir = first.join(format!("meta{threads}"));
        let rates = metadata::file_and_dir_rates(&dir, work.files, work.dirs, threads)?;
        let how = match threads {
            1 => String::new(),
            n => format!(", {n} threads"),
        };
        let (files, dirs) = (work.files, work.dirs);
        put(&format!("create, {files} files{how} (ops/s)"), rates.create);
        put(&format!("stat, {files} files{how} (ops/s)"), rates.stat);
        put(&format!("rename, {files} files{how} (ops/s)"), rates.rename);
        put(&format!("unlink, {files} files{how} (ops/s)"), rates.unlink);
        put(&format!("mkdir, {dirs} dirs{how} (ops/s)"), rates.mkdir);
        put(&format!("rmdir, {dirs} dirs{how} (ops/s)"), rates.rmdir);
    }

    let master = state
        .processes
        .iter()
        .find(|m| m.role == Role::Master)
        .context("no master")?;
    let before = rss(master.process.pid).context("master's memory")?;
    metadata::populate(&first.join("big"), work.entries)?;
    let after = rss(master.process.pid).context("master's memory")?;
    let (rate, seen) = metadata::readdir_rate(&second.join("big"))?;
    anyhow::ensure!(
        seen == work.entries,
        "listing shows {seen} of {} entries",
        work.entries
    );
    put(
        &format!("readdir, {} entries (entries/s)", work.entries),
        rate,
    );
    put(
        &format!(
            "master RSS growth per file at {} files (bytes)",
            work.entries
        ),
        after.saturating_sub(before) as f64 / work.entries as f64,
    );
    for member in &state.processes {
        let bytes =
            rss(member.process.pid).with_context(|| format!("{} is gone", member.role.name()))?;
        put(
            &format!("RSS of {} (MiB)", member.role.name()),
            bytes as f64 / MIB,
        );
    }
    Ok(figures)
}

/// Makes `/bench` keep two copies of each chunk, through a short-lived
/// Debian `mfsmount`: `mfssetgoal` needs a client that serves MooseFS's
/// `.masterinfo`, which the mount under test may not. A master that
/// refuses `mfssetgoal` (MooseNG's, until it has goals) will do if a new
/// file gets two copies anyway, its default goal being 2.
fn set_goal_2(state: &State, mountpoint: &Path) -> Result<()> {
    fs::create_dir_all(mountpoint)?;
    let master = Role::Master.address(&state.subnet).to_string();
    run(Command::new("mfsmount")
        .arg(mountpoint)
        .args(["-H", &master]))?;
    let bench = mountpoint.join("bench");
    let set = run(Command::new("mfssetgoal").arg("2").arg(&bench))
        .map(drop)
        .or_else(|refused| {
            default_goal_is_2(&bench).with_context(|| format!("mfssetgoal 2 failed ({refused:#})"))
        });
    let unmounted = run(Command::new("umount").arg(mountpoint));
    set?;
    unmounted?;
    Ok(())
}

/// Checks that a new file in `dir` gets two valid copies within a few
/// seconds, then removes it.
fn default_goal_is_2(dir: &Path) -> Result<()> {
    let probe = dir.join("goal-probe");
    fs::write(&probe, b"goal")?;
    let deadline = Instant::now() + Duration::from_secs(10);
    let copies = loop {
        let info = run(Command::new("mfsfileinfo").arg(&probe))?;
        let copies = info.matches("(status:VALID)").count();
        if copies >= 2 || Instant::now() >= deadline {
            break copies;
        }
        thread::sleep(Duration::from_millis(250));
    };
    fs::remove_file(&probe)?;
    anyhow::ensure!(copies == 2, "a new file gets {copies} valid copies, not 2");
    Ok(())
}

/// Runs `a` and `b` alternately `runs` times each (A B A B ...), telling
/// `progress` which run starts.
pub fn alternate(
    a: &ClusterSpec,
    b: &ClusterSpec,
    runs: usize,
    work: &Workload,
    mut progress: impl FnMut(usize, &ClusterSpec),
) -> Result<(Vec<Figures>, Vec<Figures>)> {
    let (mut fa, mut fb) = (Vec::new(), Vec::new());
    for run in 1..=runs {
        for (spec, out) in [(a, &mut fa), (b, &mut fb)] {
            progress(run, spec);
            out.push(run_once(spec, work).with_context(|| format!("run {run} of {spec}"))?);
        }
    }
    Ok((fa, fb))
}
