//! Metadata operations timed one kind at a time: create, stat, rename and
//! unlink of many files, mkdir and rmdir of many directories, and a listing
//! of one large directory made through one mount and read through the
//! other (whose caches never saw it). The file and directory kinds can run
//! in several threads at once: one thread measures the latency of a
//! change, several how many changes a master takes when it is not waiting
//! on one client (a master that syncs its log can then commit many changes
//! with one sync).

use std::fs::{self, File};
use std::path::Path;
use std::thread;
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

/// Runs `op` on `0..count`, spread over `threads` (at least one) threads (thread `t`
/// takes every `i` with `i % threads == t`), and returns operations per
/// second.
fn rate(
    count: usize,
    threads: usize,
    op: impl Fn(usize) -> std::io::Result<()> + Sync,
    what: &str,
) -> Result<f64> {
    let start = Instant::now();
    thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|t| {
                let op = &op;
                scope.spawn(move || {
                    (t..count)
                        .step_by(threads)
                        .try_for_each(|i| op(i).with_context(|| format!("{what} #{i}")))
                })
            })
            .collect();
        workers.into_iter().try_for_each(|worker| {
            worker
                .join()
                .unwrap_or_else(|_| Err(anyhow::anyhow!("a {what} thread panicked")))
        })
    })?;
    Ok(count as f64 / start.elapsed().as_secs_f64())
}

/// Runs the file and directory workloads in `dir` (created here), each in
/// `threads` threads, each thread in its own subdirectory.
pub fn file_and_dir_rates(
    dir: &Path,
    files: usize,
    dirs: usize,
    threads: usize,
) -> Result<MetadataRates> {
    fs::create_dir(dir).with_context(|| format!("mkdir {}", dir.display()))?;
    // Each thread works in a directory of its own: the kernel runs the
    // changes of one directory one at a time, whatever the file system.
    let own = |i: usize| dir.join(format!("t{}", i % threads));
    for t in 0..threads {
        fs::create_dir(own(t)).with_context(|| format!("mkdir {}", own(t).display()))?;
    }
    let name = |i: usize| own(i).join(format!("f{i}"));
    let renamed = |i: usize| own(i).join(format!("r{i}"));
    let sub = |i: usize| own(i).join(format!("d{i}"));
    Ok(MetadataRates {
        create: rate(
            files,
            threads,
            |i| File::create(name(i)).map(drop),
            "create",
        )?,
        stat: rate(files, threads, |i| fs::metadata(name(i)).map(drop), "stat")?,
        rename: rate(
            files,
            threads,
            |i| fs::rename(name(i), renamed(i)),
            "rename",
        )?,
        unlink: rate(files, threads, |i| fs::remove_file(renamed(i)), "unlink")?,
        mkdir: rate(dirs, threads, |i| fs::create_dir(sub(i)), "mkdir")?,
        rmdir: rate(dirs, threads, |i| fs::remove_dir(sub(i)), "rmdir")?,
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
    use std::sync::Mutex;

    use super::*;

    #[test]
    fn threads_share_every_index_once() {
        let seen = Mutex::new(Vec::new());
        let record = |i| {
            seen.lock().unwrap().push(i);
            Ok(())
        };
        rate(10, 3, record, "record").unwrap();
        let mut seen = seen.into_inner().unwrap();
        seen.sort_unstable();
        assert_eq!(seen, (0..10).collect::<Vec<_>>());
    }

    #[test]
    fn a_failing_thread_fails_the_rate() {
        let failed = rate(
            6,
            2,
            |i| match i {
                3 => Err(std::io::Error::other("no")),
                _ => Ok(()),
            },
            "op",
        );
        assert!(format!("{:#}", failed.unwrap_err()).contains("op #3"));
    }

    #[test]
    fn runs_every_kind_on_a_local_directory() {
        let tmp = tempfile::tempdir().unwrap();
        for threads in [1, 3] {
            let dir = tmp.path().join(format!("m{threads}"));
            let rates = file_and_dir_rates(&dir, 20, 5, threads).unwrap();
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
            for t in 0..threads {
                let own = dir.join(format!("t{t}"));
                assert_eq!(fs::read_dir(&own).unwrap().count(), 0);
            }
        }
        populate(&tmp.path().join("big"), 50).unwrap();
        assert_eq!(readdir_rate(&tmp.path().join("big")).unwrap().1, 50);
    }
}
