//! MooseFS's own tools on the cell's mount: snapshots, goal changes and
//! the copies they lead to, and `mfscli` against the master.

use std::fs;
use std::time::Duration;

use anyhow::{ensure, Result};

use super::copies_per_chunk;
use crate::matrix::env::{run, wait_until, Env};

/// A snapshot keeps the contents of the moment it was made while the
/// original changes.
pub fn snapshot(env: &mut Env) -> Result<()> {
    let (dir, other) = env.dir("snapshot")?;
    fs::create_dir(dir.join("src"))?;
    fs::write(dir.join("src/f"), b"before")?;
    run(
        "mfsmakesnapshot",
        &[dir.join("src").as_os_str(), dir.join("snap").as_os_str()],
    )?;
    fs::write(dir.join("src/f"), b"after, and longer")?;
    let (snap, src) = (
        fs::read(other.join("snap/f"))?,
        fs::read(other.join("src/f"))?,
    );
    ensure!(
        snap == b"before",
        "the snapshot reads {:?}",
        String::from_utf8_lossy(&snap)
    );
    ensure!(
        src == b"after, and longer",
        "the original reads {:?}",
        String::from_utf8_lossy(&src)
    );
    Ok(())
}

/// Raising a file's goal from 1 to 3 makes the master copy its chunk onto
/// every chunkserver.
pub fn goal_change(env: &mut Env) -> Result<()> {
    let (dir, _) = env.dir("goal")?;
    let file = dir.join("f");
    run("mfssetgoal", &["1".as_ref(), dir.as_os_str()])?;
    fs::write(&file, super::pattern(1 << 20, 9))?;
    run("mfssetgoal", &["3".as_ref(), file.as_os_str()])?;
    let goal = run("mfsgetgoal", &[file.as_os_str()])?;
    ensure!(goal.trim_end().ends_with(": 3"), "mfsgetgoal says {goal:?}");
    wait_until(
        "three valid copies after raising the goal",
        Duration::from_secs(60),
        || Ok(copies_per_chunk(&run("mfsfileinfo", &[file.as_os_str()])?) == [3]),
    )
}

/// `mfscli -SIN` shows the master's version and counts, and gets as far
/// as its chunk loop and check loop sections (with data or "no data": a
/// fresh mfsmaster has neither loop's figures yet).
pub fn mfscli_info(env: &mut Env) -> Result<()> {
    let text = mfscli(env, "-SIN")?;
    ensure!(
        text.lines()
            .any(|l| l.starts_with("master info:\tmaster version\t")),
        "no master version in: {text}"
    );
    ensure!(
        text.lines().any(|l| l.starts_with("master info:\tfiles\t")),
        "no file count in: {text}"
    );
    for section in ["chunk loop", "check loop"] {
        ensure!(
            text.lines().any(|l| l.starts_with(section)),
            "no {section} in: {text}"
        );
    }
    ensure!(
        !text.contains("communication error"),
        "mfscli lost the master: {text}"
    );
    Ok(())
}

/// `mfscli -SCS` lists every chunkserver of the cell.
pub fn mfscli_chunkservers(env: &mut Env) -> Result<()> {
    let text = mfscli(env, "-SCS")?;
    for n in 1..=3 {
        let address = env.chunkserver_address(n);
        ensure!(
            text.lines()
                .any(|l| l.starts_with(&format!("chunk servers:\t{address}\t"))),
            "chunkserver {address} not listed in: {text}"
        );
    }
    Ok(())
}

fn mfscli(env: &Env, set: &str) -> Result<String> {
    let master = env.master.to_string();
    let text = run(
        "mfscli",
        &[
            "-H".as_ref(),
            master.as_ref(),
            "-P".as_ref(),
            "9421".as_ref(),
            set.as_ref(),
        ],
    )?;
    ensure!(!text.contains("Traceback"), "mfscli crashed: {text}");
    Ok(text)
}
