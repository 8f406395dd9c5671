//! The daemon runs at MooseFS's default `NICE_LEVEL` (-19), every thread
//! of it (Linux keeps the level per thread), and at the configured level
//! when one is given. Lowering the nice level needs root; without it the
//! test says why and passes.

use std::process::Command;
use std::time::Duration;

use mooseng_tools::process::thread_nice_levels_of;

/// The nice levels of the daemon's threads, started with `env` on a fresh
/// data folder and pointed at a master nobody listens at, so that it
/// keeps trying and stays up.
fn levels_of_daemon_with(env: &[(&str, &str)]) -> Vec<i32> {
    let data = tempfile::tempdir().expect("a data folder");
    let mut daemon = Command::new(env!("CARGO_BIN_EXE_mooseng-chunkserver"));
    daemon
        .args(["--master", "127.0.0.1:1", "--listen", "127.0.0.1:0"])
        .arg("--data")
        .arg(data.path())
        .envs(env.iter().copied());
    thread_nice_levels_of(daemon, Duration::from_millis(500)).expect("the daemon's threads")
}

#[test]
fn every_thread_runs_at_the_configured_nice_level() {
    if !rustix::process::geteuid().is_root() {
        eprintln!("skipped: only root may lower a nice level");
        return;
    }
    let default = levels_of_daemon_with(&[]);
    assert!(default.len() > 1, "one thread only: {default:?}");
    assert!(default.iter().all(|&level| level == -19), "{default:?}");

    let configured = levels_of_daemon_with(&[("MOOSENG_CHUNKSERVER_NICE_LEVEL", "5")]);
    assert!(configured.iter().all(|&level| level == 5), "{configured:?}");
}
