//! Starting daemons detached from `up`, and telling whether they still run
//! once `up` has exited and they are no longer its children.

use std::fs::{self, File};
use std::io;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use rustix::process::{kill_process, waitpid, Pid, Signal, WaitOptions};
use serde::{Deserialize, Serialize};

use crate::command::describe;

/// A process, told apart from a later one that reuses its pid by the time it
/// started (field `starttime` of `/proc/PID/stat`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProcessId {
    pub pid: u32,
    pub start_time: u64,
}

/// A program could not be started.
#[derive(Debug, thiserror::Error)]
pub enum SpawnError {
    #[error("cannot open log file {path}: {source}")]
    Log { path: PathBuf, source: io::Error },
    #[error("cannot start `{command}`: {source}")]
    Start { command: String, source: io::Error },
    #[error("`{command}` exited at once; see {log}")]
    Vanished { command: String, log: PathBuf },
}

/// Starts `program args` inside network namespace `netns` (on the host when
/// `None`), stdout and stderr appended to `log`, in its own process group so
/// a Ctrl-C meant for `up` does not reach it.
pub fn spawn(
    program: &Path,
    args: &[std::ffi::OsString],
    netns: Option<&str>,
    log: &Path,
) -> Result<ProcessId, SpawnError> {
    let open_log = || {
        File::options()
            .create(true)
            .append(true)
            .open(log)
            .map_err(|source| SpawnError::Log {
                path: log.to_owned(),
                source,
            })
    };
    // `ip netns exec` execs the program, so the pid stays the daemon's.
    let mut command = match netns {
        Some(ns) => {
            let mut c = Command::new("ip");
            c.args(["netns", "exec", ns]).arg(program);
            c
        }
        None => Command::new(program),
    };
    command
        .args(args)
        .stdin(Stdio::null())
        .stdout(open_log()?)
        .stderr(open_log()?)
        .process_group(0);
    let child = command.spawn().map_err(|source| SpawnError::Start {
        command: describe(&command),
        source,
    })?;
    let pid = child.id();
    start_time(pid)
        .map(|start_time| ProcessId { pid, start_time })
        .ok_or_else(|| SpawnError::Vanished {
            command: describe(&command),
            log: log.to_owned(),
        })
}

/// The fields of `/proc/PID/stat` after the command name, which may itself
/// hold spaces and parentheses.
fn stat_fields(pid: u32) -> Option<Vec<String>> {
    fields_after_name(&fs::read_to_string(format!("/proc/{pid}/stat")).ok()?)
}

fn fields_after_name(stat: &str) -> Option<Vec<String>> {
    let (_, rest) = stat.rsplit_once(')')?;
    Some(rest.split_whitespace().map(str::to_owned).collect())
}

/// The nice level of every thread of `pid`: Linux keeps it per thread, so
/// a daemon that sets it after starting threads leaves them behind. It is
/// field 19 of each task's `stat`, the 17th after the name.
pub fn thread_nice_levels(pid: u32) -> io::Result<Vec<i32>> {
    let unreadable = |what: &str| io::Error::new(io::ErrorKind::InvalidData, what.to_owned());
    fs::read_dir(format!("/proc/{pid}/task"))?
        .map(|task| {
            let stat = fs::read_to_string(task?.path().join("stat"))?;
            let fields = fields_after_name(&stat).ok_or_else(|| unreadable(&stat))?;
            let nice = fields.get(16).ok_or_else(|| unreadable(&stat))?;
            nice.parse().map_err(|_| unreadable(&stat))
        })
        .collect()
}

/// Starts `command` (output discarded), gives it `settle` to start its
/// threads, reads their nice levels and kills it.
pub fn thread_nice_levels_of(mut command: Command, settle: Duration) -> io::Result<Vec<i32>> {
    let mut child = command
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?;
    thread::sleep(settle);
    let levels = thread_nice_levels(child.id());
    child.kill()?;
    child.wait()?;
    levels
}

/// `starttime` is field 22 of `/proc/PID/stat`, the 20th after the name.
fn start_time(pid: u32) -> Option<u64> {
    stat_fields(pid)?.get(19)?.parse().ok()
}

impl ProcessId {
    /// Whether the process still runs: it exists, is the one that was
    /// started (not a pid reuse), and is not a zombie waiting to be reaped.
    /// A first thread that has exited while others have not makes the
    /// process look like a zombie, yet it still holds its files (a lock, a
    /// listening socket) until the last thread is gone, and a thread in
    /// `fsync` finishes it before it dies of SIGKILL: such a process is
    /// alive.
    /// State, thread count and start time come from one read of
    /// `/proc/PID/stat`, so they describe the same moment.
    pub fn is_alive(&self) -> bool {
        let Some(fields) = stat_fields(self.pid) else {
            return false;
        };
        let zombie = fields.first().map(String::as_str) == Some("Z");
        // `num_threads`, field 20 (the 18th after the name), counts an
        // exited first thread until the last one is gone.
        let threads: u64 = fields.get(17).and_then(|n| n.parse().ok()).unwrap_or(0);
        fields.get(19).and_then(|t| t.parse().ok()) == Some(self.start_time)
            && (!zombie || threads > 1)
    }

    /// Collects the exit status of a process that ended as a child of this
    /// one (a library user's `up` makes its daemons our children). Until
    /// then it stays a zombie, and a program that checks whether its
    /// predecessor still runs with `kill(pid, 0)` waits for it: a restarted
    /// mfsmaster waits five minutes. A process that is not our child is
    /// left to whoever it belongs to.
    fn reap(&self) {
        if let Some(pid) = i32::try_from(self.pid).ok().and_then(Pid::from_raw) {
            let _ = waitpid(Some(pid), WaitOptions::NOHANG);
        }
    }

    fn signal(&self, signal: Signal) {
        let pid = i32::try_from(self.pid).ok().and_then(Pid::from_raw);
        if let (Some(pid), true) = (pid, self.is_alive()) {
            // The process may exit between the check and the signal; either
            // way it is going away, which is all that is wanted.
            let _ = kill_process(pid, signal);
        }
    }
}

/// Asks every process to terminate and waits up to `grace` for them all;
/// those still running then are killed. Returns once none is alive, or
/// after one more second if a process cannot be killed.
pub fn stop_all(processes: &[ProcessId], grace: Duration) {
    processes.iter().for_each(|p| p.signal(Signal::TERM));
    if !wait_until_gone(processes, grace) {
        processes.iter().for_each(|p| p.signal(Signal::KILL));
        wait_until_gone(processes, Duration::from_secs(1));
    }
}

/// Kills `process` with SIGKILL, as a crash would, and waits up to `limit`
/// for it to be gone; returns whether it is.
pub fn kill(process: ProcessId, limit: Duration) -> bool {
    process.signal(Signal::KILL);
    gone_within(process, limit)
}

/// Waits up to `limit` for `process` to be gone; returns whether it is.
pub fn gone_within(process: ProcessId, limit: Duration) -> bool {
    wait_until_gone(&[process], limit)
}

fn wait_until_gone(processes: &[ProcessId], limit: Duration) -> bool {
    let deadline = Instant::now() + limit;
    loop {
        if !processes.iter().any(ProcessId::is_alive) {
            processes.iter().for_each(ProcessId::reap);
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        thread::sleep(Duration::from_millis(50));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Waits (up to 5 s) until `log` holds `text`, so a test acts on a
    /// process only once it has reached a known point.
    fn wait_for_log(log: &Path, text: &str) -> bool {
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if fs::read_to_string(log).unwrap_or_default().contains(text) {
                return true;
            }
            thread::sleep(Duration::from_millis(20));
        }
        false
    }

    fn sh(script: &str, log: &Path) -> ProcessId {
        spawn(
            Path::new("/bin/sh"),
            &["-c".into(), script.into()],
            None,
            log,
        )
        .unwrap()
    }

    #[test]
    fn every_thread_of_this_process_has_its_nice_level() {
        let expected = rustix::process::getpriority_process(None).unwrap();
        let worker = thread::spawn(|| thread::sleep(Duration::from_millis(200)));
        let levels = thread_nice_levels(std::process::id()).unwrap();
        worker.join().unwrap();
        assert!(levels.len() >= 2, "{levels:?}");
        assert!(levels.iter().all(|&level| level == expected), "{levels:?}");
    }

    #[test]
    fn spawned_process_is_alive_until_stopped() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("sleep.log");
        let id = sh("echo started; exec sleep 30", &log);
        assert!(wait_for_log(&log, "started"));
        assert!(id.is_alive());
        stop_all(&[id], Duration::from_secs(5));
        assert!(!id.is_alive());
    }

    /// Python's main thread ends with `pthread_exit` while a second one
    /// sleeps: the process shows as a zombie until that one is gone.
    #[test]
    fn a_process_whose_first_thread_exited_is_alive() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("python.log");
        let script = "import ctypes, threading, time\n\
                      threading.Thread(target=time.sleep, args=(2,)).start()\n\
                      print('started', flush=True)\n\
                      ctypes.CDLL(None).pthread_exit(None)\n";
        let id = spawn(
            Path::new("python3"),
            &["-c".into(), script.into()],
            None,
            &log,
        )
        .unwrap();
        assert!(wait_for_log(&log, "started"));
        thread::sleep(Duration::from_millis(300));
        let state = stat_fields(id.pid).unwrap();
        assert_eq!(state[0], "Z", "the first thread has exited");
        assert!(id.is_alive());
        assert!(gone_within(id, Duration::from_secs(5)));
    }

    #[test]
    fn reused_pid_is_not_alive() {
        let me = ProcessId {
            pid: std::process::id(),
            start_time: start_time(std::process::id()).unwrap(),
        };
        assert!(me.is_alive());
        let impostor = ProcessId {
            start_time: me.start_time + 1,
            ..me
        };
        assert!(!impostor.is_alive());
    }

    /// A shell that ignores SIGTERM, once it runs.
    fn stubborn(dir: &Path) -> ProcessId {
        let log = dir.join("stubborn.log");
        let id = sh(
            "trap '' TERM; echo ready; while :; do sleep 0.1; done",
            &log,
        );
        assert!(wait_for_log(&log, "ready"));
        id
    }

    #[test]
    fn kill_needs_no_cooperation() {
        let dir = tempfile::tempdir().unwrap();
        let id = stubborn(dir.path());
        assert!(kill(id, Duration::from_secs(5)));
        assert!(!id.is_alive());
    }

    #[test]
    fn term_ignored_means_kill() {
        let dir = tempfile::tempdir().unwrap();
        let id = stubborn(dir.path());
        stop_all(&[id], Duration::from_millis(300));
        assert!(!id.is_alive());
    }
}
