//! Killing one daemon of a running cluster and starting it again, as a
//! crash and a restart would, for tests of how the rest of the cluster
//! copes (a chunkserver lost and back, say). Daemons are named by their
//! address, which is what the other daemons know them by.

use std::ffi::OsString;
use std::net::Ipv4Addr;
use std::time::Duration;

use crate::error::Error;
use crate::layout::Layout;
use crate::process;
use crate::role::Role;
use crate::state::{Member, State};

/// How long a daemon gets to die of SIGKILL.
const KILL_LIMIT: Duration = Duration::from_secs(10);
/// How long a daemon gets to exit after SIGTERM before it is killed.
const STOP_LIMIT: Duration = Duration::from_secs(10);

/// Kills the daemon at `address` with SIGKILL and returns once it is gone.
/// It stays recorded, so `down` and [`restart`] still know it.
pub fn kill(layout: &Layout, address: Ipv4Addr) -> Result<Member, Error> {
    let state = recorded(layout)?;
    let member = state.processes[daemon_at(&state, address)?].clone();
    match process::kill(member.process, KILL_LIMIT) {
        true => Ok(member),
        false => Err(Error::Timeout {
            what: format!("{} to die of SIGKILL", member.role.name()),
            seconds: KILL_LIMIT.as_secs(),
            log: member.log,
        }),
    }
}

/// Stops the daemon at `address` as an operator would (SIGTERM, SIGKILL
/// after ten seconds) and returns once it is gone. It stays recorded, so
/// `down` and [`restart`] still know it.
pub fn stop(layout: &Layout, address: Ipv4Addr) -> Result<Member, Error> {
    let state = recorded(layout)?;
    let member = state.processes[daemon_at(&state, address)?].clone();
    process::stop_all(&[member.process], STOP_LIMIT);
    Ok(member)
}

/// Starts the stopped daemon at `address` again with the program and
/// command line `up` gave it, in its namespace and log, and records the
/// new process. Returns once it is started, not once it works: what
/// "works" means is the caller's to check. A daemon still running after
/// [`KILL_LIMIT`] is an error.
pub fn restart(layout: &Layout, address: Ipv4Addr) -> Result<Member, Error> {
    let mut state = recorded(layout)?;
    let index = daemon_at(&state, address)?;
    let member = &mut state.processes[index];
    // Once in CI a master that `kill` had seen gone was seen alive here
    // right after (cause not found); one still dying gets time to finish.
    if !process::gone_within(member.process, KILL_LIMIT) {
        return Err(Error::StillRunning {
            role: member.role.name(),
        });
    }
    if member.args.is_empty() {
        return Err(Error::NoCommandLine {
            role: member.role.name(),
        });
    }
    let args: Vec<OsString> = member.args.iter().map(OsString::from).collect();
    member.process = process::spawn(&member.program, &args, member.netns.as_deref(), &member.log)?;
    let restarted = member.clone();
    state.save(&layout.state_file())?;
    Ok(restarted)
}

fn recorded(layout: &Layout) -> Result<State, Error> {
    State::load(&layout.state_file())?.ok_or_else(|| Error::NotUp {
        state: layout.state_file(),
    })
}

/// The daemon with `address` (mounts share the bridge's address and are
/// not daemons).
fn daemon_at(state: &State, address: Ipv4Addr) -> Result<usize, Error> {
    state
        .processes
        .iter()
        .position(|m| m.address == address && !matches!(m.role, Role::Mount(_)))
        .ok_or(Error::NoSuchDaemon { address })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::process::ProcessId;
    use crate::role::Flavor;
    use std::path::Path;

    const ADDRESS: Ipv4Addr = Ipv4Addr::new(10, 1, 0, 11);

    /// A cluster whose one chunkserver is a shell that counts its starts
    /// in its log and then sleeps.
    fn cluster(dir: &Path) -> (Layout, ProcessId) {
        let layout = Layout::new(dir);
        let log = dir.join("cs1.log");
        let args = vec!["-c".to_owned(), "echo started; exec sleep 30".to_owned()];
        let os_args: Vec<OsString> = args.iter().map(OsString::from).collect();
        let program = Path::new("/bin/sh");
        let process = process::spawn(program, &os_args, None, &log).unwrap();
        let mut state = State::new("t", "10.1.0.0/24".parse().unwrap());
        state.processes.push(Member {
            role: Role::Chunkserver(1),
            flavor: Flavor::Mfs,
            program: program.into(),
            args,
            process,
            netns: None,
            address: ADDRESS,
            log,
            mountpoint: None,
        });
        state.save(&layout.state_file()).unwrap();
        (layout, process)
    }

    /// Whether the chunkserver's log shows `n` starts within five seconds.
    fn started_times(layout: &Layout, n: usize) -> bool {
        let log = layout.root().join("cs1.log");
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while std::time::Instant::now() < deadline {
            let text = std::fs::read_to_string(&log).unwrap_or_default();
            if text.matches("started").count() == n {
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        false
    }

    #[test]
    fn a_killed_daemon_restarts_as_it_was_and_stays_recorded() {
        let dir = tempfile::tempdir().unwrap();
        let (layout, first) = cluster(dir.path());
        assert!(started_times(&layout, 1));

        let killed = kill(&layout, ADDRESS).unwrap();
        assert_eq!(killed.process, first);
        assert!(!first.is_alive());

        let restarted = restart(&layout, ADDRESS).unwrap();
        assert_ne!(restarted.process, first);
        assert!(restarted.process.is_alive());
        assert!(started_times(&layout, 2));
        let state = State::load(&layout.state_file()).unwrap().unwrap();
        assert_eq!(state.processes[0].process, restarted.process);

        assert!(matches!(
            restart(&layout, ADDRESS),
            Err(Error::StillRunning { .. })
        ));
        process::stop_all(&[restarted.process], Duration::from_secs(5));
    }

    #[test]
    fn a_stopped_daemon_restarts_too() {
        let dir = tempfile::tempdir().unwrap();
        let (layout, first) = cluster(dir.path());
        assert!(started_times(&layout, 1));
        assert_eq!(stop(&layout, ADDRESS).unwrap().process, first);
        assert!(!first.is_alive());
        let restarted = restart(&layout, ADDRESS).unwrap();
        assert!(started_times(&layout, 2));
        process::stop_all(&[restarted.process], Duration::from_secs(5));
    }

    #[test]
    fn only_recorded_daemons_are_touched() {
        let dir = tempfile::tempdir().unwrap();
        let layout = Layout::new(dir.path());
        assert!(matches!(kill(&layout, ADDRESS), Err(Error::NotUp { .. })));
        let (layout, process) = cluster(dir.path());
        let elsewhere = Ipv4Addr::new(10, 1, 0, 12);
        assert!(matches!(
            kill(&layout, elsewhere),
            Err(Error::NoSuchDaemon { address }) if address == elsewhere
        ));
        assert!(process.is_alive());
        process::stop_all(&[process], Duration::from_secs(5));
    }
}
