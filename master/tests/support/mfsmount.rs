//! Debian's mfsmount against a master on the host's loopback, as the
//! tests that run `mooseng-master` as a plain process mount it.

use std::fs::File;
use std::path::Path;
use std::process::{Command, Stdio};

pub const MFSMOUNT: &str = "/usr/bin/mfsmount";

/// Mounts the master at 127.0.0.1:`port` on `mountpoint`, mfsmount's
/// output going to `log`; true when mfsmount says the mount is up.
pub fn mount_local(mountpoint: &Path, port: u16, log: &Path) -> bool {
    let log = File::create(log).expect("mfsmount log");
    // mfsmount forks a daemon that keeps its output open: never pipe it.
    Command::new(MFSMOUNT)
        .arg(mountpoint)
        .args(["-H", "127.0.0.1", "-P", &port.to_string()])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log)
        .status()
        .expect("mfsmount runs")
        .success()
}
