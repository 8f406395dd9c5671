//! Metadata operations timed one kind at a time: create, stat, rename and
//! unlink of many files, mkdir and rmdir of many directories, and a listing
//! of one large directory made through one mount and read through the
//! other (whose caches never saw it).

use std::fs::{self, File};
use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result};

/// Operations per second of each kind.
#[derive(Debug, Clone, PartialEq)]
pub struct MetadataRates {
    pub create: f64,
    pub stat: f64,
    pub rename: f64,
    pub unlink: f64,
    pub mkdir: f64,
    pub rmdir: f64,
}

/// Runs `op` on `0..count` and returns operations per second.
fn rate(count: usize, mut op: impl FnMut(usize) -> std::io::Result<()>, what: &str) -> Result<f64> {
    let start = Instant::now();
    for i in 0..count {
        op(i).with_context(|| format!("{what} #{i}"))?;
    }
    Ok(count as f64 / start.elapsed().as_secs_f64())
}

/// Runs the file and directory workloads in `dir` (created here).
pub fn file_and_dir_rates(dir: &Path, files: usize, dirs: usize) -> Result<MetadataRates> {
    fs::create_dir(dir).with_context(|| format!("mkdir {}", dir.display()))?;
    let name = |i: usize| dir.join(format!("f{i}"));
    let renamed = |i: usize| dir.join(format!("r{i}"));
    let sub = |i: usize| dir.join(format!("d{i}"));
    Ok(MetadataRates {
        create: rate(files, |i| File::create(name(i)).map(drop), "create")?,
        stat: rate(files, |i| fs::metadata(name(i)).map(drop), "stat")?,
        rename: rate(files, |i| fs::rename(name(i), renamed(i)), "rename")?,
        unlink: rate(files, |i| fs::remove_file(renamed(i)), "unlink")?,
        mkdir: rate(dirs, |i| fs::create_dir(sub(i)), "mkdir")?,
        rmdir: rate(dirs, |i| fs::remove_dir(sub(i)), "rmdir")?,
    })
}

/// Creates `entries` empty files in `dir` through one mount.
pub fn populate(dir: &Path, entries: usize) -> Result<()> {
    fs::create_dir(dir).with_context(|| format!("mkdir {}", dir.display()))?;
    for i in 0..entries {
        File::create(dir.join(format!("entry{i}"))).with_context(|| format!("create entry{i}"))?;
    }
    Ok(())
}

/// Lists `dir` (with the entry types, as `ls -l` needs) and returns
/// entries per second and how many were seen.
pub fn readdir_rate(dir: &Path) -> Result<(f64, usize)> {
    let start = Instant::now();
    let mut seen = 0;
    for entry in fs::read_dir(dir).with_context(|| format!("readdir {}", dir.display()))? {
        entry?.file_type()?;
        seen += 1;
    }
    Ok((seen as f64 / start.elapsed().as_secs_f64(), seen))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_every_kind_on_a_local_directory() {
        let tmp = tempfile::tempdir().unwrap();
        let rates = file_and_dir_rates(&tmp.path().join("m"), 20, 5).unwrap();
        for r in [
            rates.create,
            rates.stat,
            rates.rename,
            rates.unlink,
            rates.mkdir,
            rates.rmdir,
        ] {
            assert!(r > 0.0 && r.is_finite(), "{rates:?}");
        }
        assert_eq!(fs::read_dir(tmp.path().join("m")).unwrap().count(), 0);
        populate(&tmp.path().join("big"), 50).unwrap();
        assert_eq!(readdir_rate(&tmp.path().join("big")).unwrap().1, 50);
    }
}
