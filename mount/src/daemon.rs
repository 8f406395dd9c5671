//! Going to the background the way mfsmount does: the command returns only
//! once the file system is mounted, with a failure status if it could not be.
//!
//! The first process starts a copy of itself in the foreground with
//! [`READY_ENV`] set, and waits for that copy to say "ready" on its stdout.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

/// Set in the environment of the background copy.
pub const READY_ENV: &str = "MOOSENG_MOUNT_BACKGROUND";
const READY: &str = "ready";

/// Starts the background copy and returns the exit status for this process.
pub fn run_in_background(args: &[String]) -> anyhow::Result<i32> {
    let exe = std::env::current_exe()?;
    let mut child = Command::new(exe)
        .args(args)
        .arg("-f")
        .env(READY_ENV, "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()?;
    let mut line = String::new();
    if let Some(out) = child.stdout.take() {
        BufReader::new(out).read_line(&mut line)?;
    }
    if line.trim() == READY {
        return Ok(0);
    }
    let status = child.wait()?;
    Ok(status.code().unwrap_or(1).max(1))
}

/// Whether this process is the background copy.
pub fn in_background() -> bool {
    std::env::var_os(READY_ENV).is_some()
}

/// In the background copy: leaves the caller's session, so the shell's
/// hang-up does not reach us.
pub fn detach() {
    if in_background() {
        // Fails only if we already lead a session, which is fine too.
        let _ = rustix::process::setsid();
    }
}

/// In the background copy: tells the waiting parent the mount is up, then
/// lets go of the pipe so the parent's reader sees its end, and of the
/// caller's stderr, as mfsmount does (the log goes on in syslog).
pub fn notify_ready() -> anyhow::Result<()> {
    if !in_background() {
        return Ok(());
    }
    let mut out = std::io::stdout();
    writeln!(out, "{READY}")?;
    out.flush()?;
    let null = std::fs::OpenOptions::new().write(true).open("/dev/null")?;
    rustix::stdio::dup2_stdout(&null)?;
    rustix::stdio::dup2_stderr(&null)?;
    Ok(())
}
