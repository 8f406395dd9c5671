//! The pjdfstest suite: its source vendored in `conformance/pjdfstest`,
//! built with autoreconf, configure and make in a copy (the build writes
//! beside the sources), and the test files a run picks from it.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context};

/// The vendored source, as this crate was built from it.
pub fn vendored_source() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("pjdfstest")
}

/// A built suite: the `pjdfstest` program at its root, the test files in
/// `tests/` below it (they look for the program in the directories above
/// them).
#[derive(Debug, Clone)]
pub struct Suite {
    root: PathBuf,
}

impl Suite {
    /// Copies `source` into `dir` (removed first if it exists) and builds
    /// the `pjdfstest` program there.
    pub fn build(source: &Path, dir: &Path) -> anyhow::Result<Suite> {
        if dir.exists() {
            fs::remove_dir_all(dir).with_context(|| format!("remove {}", dir.display()))?;
        }
        fs::create_dir_all(dir).with_context(|| format!("mkdir {}", dir.display()))?;
        let from = source.join(".");
        run_in(dir, "cp", &["-a", &from.to_string_lossy(), "."])?;
        run_in(dir, "autoreconf", &["-ifs"])?;
        run_in(dir, "./configure", &[])?;
        run_in(dir, "make", &["pjdfstest"])?;
        Ok(Suite {
            root: dir.to_owned(),
        })
    }

    /// The directory of the test files, the one prove is given.
    pub fn tests_dir(&self) -> PathBuf {
        self.root.join("tests")
    }

    /// Every test file except those in `skip`, relative to
    /// [`Suite::tests_dir`], sorted as `prove -r` runs them.
    pub fn files(&self, skip: &[String]) -> anyhow::Result<Vec<String>> {
        let tests = self.tests_dir();
        let mut files = Vec::new();
        for dir in sorted_entries(&tests)? {
            if !dir.is_dir() {
                continue;
            }
            for file in sorted_entries(&dir)? {
                let name = relative(&tests, &file);
                if name.ends_with(".t") && !skip.contains(&name) {
                    files.push(name);
                }
            }
        }
        Ok(files)
    }
}

/// The entries of `dir`, sorted by name.
fn sorted_entries(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut entries = fs::read_dir(dir)
        .with_context(|| format!("read {}", dir.display()))?
        .map(|entry| entry.map(|e| e.path()))
        .collect::<Result<Vec<_>, _>>()
        .with_context(|| format!("read {}", dir.display()))?;
    entries.sort();
    Ok(entries)
}

/// `path` relative to `base`, `/`-separated.
fn relative(base: &Path, path: &Path) -> String {
    path.strip_prefix(base)
        .unwrap_or(path)
        .to_string_lossy()
        .into_owned()
}

/// Runs `program args` in `dir`, failing with its output unless it exits 0.
fn run_in(dir: &Path, program: &str, args: &[&str]) -> anyhow::Result<()> {
    let out = Command::new(program)
        .args(args)
        .current_dir(dir)
        .output()
        .with_context(|| format!("cannot run {program} (scripts/setup.sh installs it)"))?;
    if !out.status.success() {
        bail!(
            "`{program} {}` in {} failed ({}): {}{}",
            args.join(" "),
            dir.display(),
            out.status,
            String::from_utf8_lossy(&out.stdout).trim(),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_the_vendored_test_files_in_order_less_those_skipped() {
        let suite = Suite {
            root: vendored_source(),
        };
        let all = suite.files(&[]).expect("lists the vendored tests");
        assert!(all.len() > 200, "{} files", all.len());
        assert!(all.windows(2).all(|w| w[0] < w[1]));
        assert!(all.iter().all(|f| f.ends_with(".t") && f.contains('/')));
        let skip = vec!["chown/00.t".to_owned(), "link/00.t".to_owned()];
        let fewer = suite.files(&skip).expect("lists the vendored tests");
        assert_eq!(fewer.len() + 2, all.len());
        assert!(!fewer.contains(&skip[0]) && all.contains(&skip[0]));
    }
}
