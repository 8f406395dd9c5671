//! A large file with goal 2: written through mount 1 in 1 MiB blocks,
//! read back through mount 2 and compared by SHA-256, then each of its
//! chunks must have two valid copies.

use std::fs::File;
use std::io::{Read, Write};
use std::path::Path;
use std::time::Duration;

use anyhow::{ensure, Context, Result};
use sha2::{Digest, Sha256};

use super::{copies_per_chunk, Pattern};
use crate::matrix::env::{run, wait_until, Env};

const BLOCK: usize = 1 << 20;

pub fn large_file_goal2(env: &mut Env) -> Result<()> {
    let (dir, other) = env.dir("large")?;
    run("mfssetgoal", &["2".as_ref(), dir.as_os_str()])?;
    let written = write(&dir.join("f"), env.big_file_bytes)?;
    let read = digest(&other.join("f"))?;
    ensure!(
        written == read,
        "SHA-256 through mount 2 is {read:x}, written {written:x}"
    );
    let chunks = env.big_file_bytes.div_ceil(64 << 20);
    wait_until(
        "two valid copies of every chunk",
        Duration::from_secs(30),
        || {
            let copies = copies_per_chunk(&run("mfsfileinfo", &[dir.join("f").as_os_str()])?);
            Ok(copies.len() as u64 == chunks && copies.iter().all(|&n| n == 2))
        },
    )
}

/// Writes `len` pattern bytes to a new file, synced, and returns their
/// digest.
fn write(path: &Path, len: u64) -> Result<sha2::digest::Output<Sha256>> {
    let mut file = File::create(path).context("create")?;
    let mut pattern = Pattern::new(7);
    let mut hash = Sha256::new();
    let mut block = vec![0u8; BLOCK];
    let mut left = len;
    while left > 0 {
        let n = usize::try_from(left).map_or(BLOCK, |l| l.min(BLOCK));
        pattern.fill(&mut block[..n]);
        hash.update(&block[..n]);
        file.write_all(&block[..n])
            .with_context(|| format!("write at {}", len - left))?;
        left -= n as u64;
    }
    file.sync_all().context("fsync")?;
    Ok(hash.finalize())
}

fn digest(path: &Path) -> Result<sha2::digest::Output<Sha256>> {
    let mut file = File::open(path).with_context(|| format!("open {}", path.display()))?;
    let mut hash = Sha256::new();
    let mut block = vec![0u8; BLOCK];
    loop {
        let n = file.read(&mut block).context("read")?;
        if n == 0 {
            return Ok(hash.finalize());
        }
        hash.update(&block[..n]);
    }
}
