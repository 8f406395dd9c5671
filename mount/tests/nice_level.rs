//! `-o mfsnice=N` (-19 unless given, as in mfsmount) reaches every thread
//! of the mount, since Linux keeps the level per thread. The mount is
//! pointed at a listener that never answers, so it is still waiting for
//! its session when its threads are looked at. Lowering a nice level needs root; without it the
//! test says why and passes.

use std::net::TcpListener;
use std::process::Command;
use std::time::Duration;

use mooseng_tools::process::thread_nice_levels_of;

fn mount_threads_nice_levels(options: &[&str]) -> Vec<i32> {
    let mountpoint = tempfile::tempdir().expect("a mount point");
    let silent_master = TcpListener::bind("127.0.0.1:0").expect("a loopback port");
    let master = silent_master.local_addr().expect("its address").to_string();
    let mut mount = Command::new(env!("CARGO_BIN_EXE_mooseng-mount"));
    mount.arg(mountpoint.path()).args(["-f", "-H", &master]);
    mount.args(options);
    thread_nice_levels_of(mount, Duration::from_millis(500)).expect("the mount's threads")
}

#[test]
fn the_mount_and_its_threads_run_at_mfsnice() {
    if !rustix::process::geteuid().is_root() {
        eprintln!("skipped: only root may lower a nice level");
        return;
    }
    let default = mount_threads_nice_levels(&[]);
    assert!(
        default.len() > 1 && default.iter().all(|&l| l == -19),
        "{default:?}"
    );
    let given = mount_threads_nice_levels(&["-o", "mfsnice=2"]);
    assert!(given.iter().all(|&l| l == 2), "{given:?}");
}
