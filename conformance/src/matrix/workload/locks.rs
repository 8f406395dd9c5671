//! `flock` and POSIX (`fcntl`) locks held through one mount must block the
//! same file opened through the other. The two mounts are two sessions of
//! the master, so only the master can see the conflict: a client that kept
//! locks to itself would let both succeed.

use std::fs::{File, OpenOptions};
use std::path::Path;

use anyhow::{bail, Context, Result};
use rustix::fs::FlockOperation;
use rustix::io::Errno;

use crate::matrix::env::Env;

type Lock = fn(&File, FlockOperation) -> rustix::io::Result<()>;

fn flock(file: &File, op: FlockOperation) -> rustix::io::Result<()> {
    rustix::fs::flock(file, op)
}

fn posix(file: &File, op: FlockOperation) -> rustix::io::Result<()> {
    rustix::fs::fcntl_lock(file, op)
}

pub fn flock_locks(env: &mut Env) -> Result<()> {
    exclusive_blocks_the_other_mount(env, "flock", flock)
}

pub fn posix_locks(env: &mut Env) -> Result<()> {
    exclusive_blocks_the_other_mount(env, "posix", posix)
}

/// Mount 1 locks; mount 2 must be refused, even a shared lock; once mount 1
/// unlocks, mount 2 gets the lock.
fn exclusive_blocks_the_other_mount(env: &mut Env, name: &str, lock: Lock) -> Result<()> {
    let (dir, other) = env.dir(name)?;
    File::create(dir.join("f"))?;
    let open = |p: &Path| {
        OpenOptions::new()
            .read(true)
            .write(true)
            .open(p)
            .with_context(|| format!("open {}", p.display()))
    };
    let (first, second) = (open(&dir.join("f"))?, open(&other.join("f"))?);
    lock(&first, FlockOperation::NonBlockingLockExclusive).context("mount 1 locks")?;
    for (what, op) in [
        ("exclusive", FlockOperation::NonBlockingLockExclusive),
        ("shared", FlockOperation::NonBlockingLockShared),
    ] {
        match lock(&second, op) {
            Err(Errno::AGAIN | Errno::ACCESS) => {}
            Ok(()) => bail!("mount 2 got a {what} lock while mount 1 held an exclusive one"),
            Err(e) => bail!("mount 2's {what} lock failed with {e} instead of EAGAIN"),
        }
    }
    lock(&first, FlockOperation::NonBlockingUnlock).context("mount 1 unlocks")?;
    lock(&second, FlockOperation::NonBlockingLockExclusive)
        .context("mount 2 locks after mount 1 unlocked")?;
    lock(&second, FlockOperation::NonBlockingUnlock).context("mount 2 unlocks")?;
    Ok(())
}
