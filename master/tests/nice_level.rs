//! `nice_level` (MooseFS's `NICE_LEVEL`, -19 unless configured) reaches
//! every thread of the daemon, since Linux keeps the level per thread.
//! Lowering a nice level needs root; without it the test says why and
//! passes.

use std::process::Command;
use std::time::Duration;

use mooseng_tools::process::thread_nice_levels_of;

#[test]
fn the_daemon_and_its_threads_run_at_the_nice_level() {
    if !rustix::process::geteuid().is_root() {
        eprintln!("skipped: only root may lower a nice level");
        return;
    }
    for (configured, expected) in [(None, -19), (Some("3"), 3)] {
        let data = tempfile::tempdir().unwrap();
        let mut master = Command::new(env!("CARGO_BIN_EXE_mooseng-master"));
        master.args([
            "--listen",
            "127.0.0.1:0",
            "--listen-chunkservers",
            "127.0.0.1:0",
        ]);
        master.arg("--data-dir").arg(data.path());
        if let Some(level) = configured {
            master.env("MOOSENG_MASTER_NICE_LEVEL", level);
        }
        let levels = thread_nice_levels_of(master, Duration::from_millis(700)).unwrap();
        assert!(levels.len() > 1, "{configured:?}: one thread only");
        assert!(
            levels.iter().all(|&level| level == expected),
            "{configured:?}: {levels:?}"
        );
    }
}
