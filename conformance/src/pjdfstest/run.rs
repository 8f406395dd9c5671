//! Running the suite on one setup: bring its cluster up, run prove as root
//! in a fresh directory of the mount, and always take the cluster down
//! again, whatever happened.

use std::fs::{self, File};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{anyhow, Context};
use mooseng_tools::cluster::UpOptions;
use mooseng_tools::{Layout, Role, State, Subnet};
use rustix::process::{kill_process_group, Pid, Signal};

use super::results::SuiteResult;
use super::setup::Setup;
use super::suite::Suite;
use super::tap;

/// How long `up` waits for a cluster to serve files.
const UP_TIMEOUT: Duration = Duration::from_secs(60);

/// Where and how clusters are built, and which test files run.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Each setup's cluster keeps its state (and prove's output) in a
    /// directory of its own below this one.
    pub state_dir: PathBuf,
    /// Start of every bridge, namespace and veth name.
    pub prefix: String,
    pub subnet: Subnet,
    /// Options of the master's `/` export.
    pub root_export: String,
    /// The longest a whole run of prove may take; what has not run by then
    /// counts as not run.
    pub timeout: Duration,
    /// Test files to leave out, relative to the suite's `tests/`.
    pub skip: Vec<String>,
}

/// What one setup did.
#[derive(Debug, Clone)]
pub struct SetupRun {
    pub setup: Setup,
    pub result: SuiteResult,
    pub elapsed: Duration,
    /// prove was stopped at [`RunOptions::timeout`].
    pub timed_out: bool,
}

/// Runs the suite on a fresh cluster of `setup`.
pub fn run_setup(setup: &Setup, suite: &Suite, options: &RunOptions) -> anyhow::Result<SetupRun> {
    let layout = Layout::new(options.state_dir.join(setup.id()));
    // A run that was killed may have left this setup's cluster up.
    mooseng_tools::down(&layout)?;
    let up = UpOptions {
        master: setup.master,
        chunkservers: setup.chunkservers.clone(),
        metalogger: None,
        mount: setup.mount,
        mounts: 1,
        mountpoint: None,
        prefix: options.prefix.clone(),
        subnet: options.subnet,
        root_export: options.root_export.clone(),
        timeout: UP_TIMEOUT,
    };
    let state = mooseng_tools::up(&layout, &up).with_context(|| format!("bring {setup} up"))?;
    let run = run_on(&state, &layout, suite, options);
    let down = mooseng_tools::down(&layout).with_context(|| format!("take {setup} down"));
    // Neither failure may hide the other.
    let (result, elapsed, timed_out) = match (run, down) {
        (Ok(run), Ok(_)) => run,
        (Err(error), Ok(_)) | (Ok(_), Err(error)) => return Err(error),
        (Err(error), Err(down)) => return Err(anyhow!("{error:#}; then {down:#}")),
    };
    Ok(SetupRun {
        setup: setup.clone(),
        result,
        elapsed,
        timed_out,
    })
}

/// Runs prove in a new directory of the cluster's mount.
fn run_on(
    state: &State,
    layout: &Layout,
    suite: &Suite,
    options: &RunOptions,
) -> anyhow::Result<(SuiteResult, Duration, bool)> {
    let mountpoint = state
        .processes
        .iter()
        .find(|m| m.role == Role::Mount(1))
        .and_then(|m| m.mountpoint.clone())
        .ok_or_else(|| anyhow!("the cluster has no mount"))?;
    let work = mountpoint.join("pjdfstest");
    fs::create_dir(&work).with_context(|| format!("mkdir {}", work.display()))?;
    let tests = suite.tests_dir();
    let files: Vec<PathBuf> = suite
        .files(&options.skip)?
        .iter()
        .map(|f| tests.join(f))
        .collect();
    let output = layout.root().join("prove.out");
    let start = Instant::now();
    let mut prove = spawn_prove(&files, &work, &output, &layout.root().join("prove.err"))?;
    let finished = wait_or_stop(&mut prove, options.timeout)?;
    let elapsed = start.elapsed();
    let text = fs::read_to_string(&output).with_context(|| format!("read {}", output.display()))?;
    let result = tap::parse(&text, &tests.to_string_lossy())
        .with_context(|| format!("parse {}", output.display()))?;
    Ok((result, elapsed, finished.is_none()))
}

/// Starts `prove -v FILES` in `cwd`, in a process group of its own so a
/// stop reaches the shells and pjdfstest programs below it.
fn spawn_prove(files: &[PathBuf], cwd: &Path, out: &Path, err: &Path) -> anyhow::Result<Child> {
    let create =
        |path: &Path| File::create(path).with_context(|| format!("create {}", path.display()));
    Command::new("prove")
        .arg("-v")
        .args(files)
        .current_dir(cwd)
        .stdin(Stdio::null())
        .stdout(create(out)?)
        .stderr(create(err)?)
        .process_group(0)
        .spawn()
        .context("cannot run prove (Debian's perl package has it)")
}

/// Waits for `child` until `limit`; then kills its process group and
/// returns `None`.
fn wait_or_stop(child: &mut Child, limit: Duration) -> anyhow::Result<Option<ExitStatus>> {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().context("wait for prove")? {
            return Ok(Some(status));
        }
        if Instant::now() >= deadline {
            if let Some(group) = Pid::from_raw(i32::try_from(child.id()).unwrap_or(0)) {
                // It may have ended in the meantime; the wait below tells.
                let _ = kill_process_group(group, Signal::KILL);
            }
            child.wait().context("wait for the stopped prove")?;
            return Ok(None);
        }
        thread::sleep(Duration::from_millis(500));
    }
}
