//! FUSE mounts on the host: whether one is there, how big the file system
//! behind it says it is, and taking it away.

use std::fs;
use std::path::Path;
use std::process::Command;

use crate::command::{run, CommandError};

/// `/proc/mounts` writes space, tab, newline and backslash in paths as
/// three-digit octal escapes; this writes `path` the same way.
fn escaped(path: &Path) -> String {
    let mut out = String::new();
    for c in path.to_string_lossy().chars() {
        match c {
            ' ' | '\t' | '\n' | '\\' => out.push_str(&format!("\\{:03o}", u32::from(c))),
            c => out.push(c),
        }
    }
    out
}

/// Whether something is mounted at `path` (given as an absolute path).
pub fn is_mounted(path: &Path) -> bool {
    let wanted = escaped(path);
    fs::read_to_string("/proc/mounts")
        .map(|mounts| {
            mounts
                .lines()
                .any(|line| line.split(' ').nth(1) == Some(wanted.as_str()))
        })
        .unwrap_or(false)
}

/// Total size in bytes that the file system mounted at `path` reports, as
/// `df` would show it; `None` if it does not answer.
pub fn total_bytes(path: &Path) -> Option<u64> {
    let stat = rustix::fs::statvfs(path).ok()?;
    stat.f_blocks.checked_mul(stat.f_frsize)
}

/// Unmounts `path` if mounted; when it is busy, detaches it lazily so it
/// disappears once its last user is done.
pub fn unmount(path: &Path) -> Result<(), CommandError> {
    if !is_mounted(path) {
        return Ok(());
    }
    if run(Command::new("umount").arg(path)).is_err() {
        run(Command::new("umount").arg("-l").arg(path))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_is_mounted_and_has_a_size() {
        assert!(is_mounted(Path::new("/")));
        assert!(total_bytes(Path::new("/")).unwrap() > 0);
    }

    #[test]
    fn plain_directory_is_not_a_mount() {
        let dir = tempfile::tempdir().unwrap();
        assert!(!is_mounted(dir.path()));
        unmount(dir.path()).unwrap();
    }

    #[test]
    fn escapes_like_proc_mounts() {
        assert_eq!(escaped(Path::new("/a b\\c")), "/a\\040b\\134c");
    }
}
