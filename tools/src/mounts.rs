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

/// The types of the file systems mounted at `path` (given as an absolute
/// path), the first mounted first.
fn types_at(path: &Path) -> Vec<String> {
    let wanted = escaped(path);
    let mounts = fs::read_to_string("/proc/mounts").unwrap_or_default();
    mounts
        .lines()
        .filter_map(|line| {
            let mut fields = line.split(' ');
            let at = fields.nth(1)?;
            (at == wanted).then(|| fields.next().unwrap_or_default().to_owned())
        })
        .collect()
}

/// Whether something is mounted at `path` (given as an absolute path).
pub fn is_mounted(path: &Path) -> bool {
    !types_at(path).is_empty()
}

/// Whether a FUSE file system is mounted at `path`: a mount point made
/// shared for a mount from another mount namespace is a mount too, but
/// not the file system.
pub fn is_fuse_mounted(path: &Path) -> bool {
    types_at(path)
        .iter()
        .any(|t| t == "fuse" || t.starts_with("fuse."))
}

/// Total size in bytes that the file system mounted at `path` reports, as
/// `df` would show it; `None` if it does not answer.
pub fn total_bytes(path: &Path) -> Option<u64> {
    let stat = rustix::fs::statvfs(path).ok()?;
    stat.f_blocks.checked_mul(stat.f_frsize)
}

/// Unmounts everything mounted at `path` (a mount over a shared mount
/// point, then that one); when one is busy, detaches it lazily so it
/// disappears once its last user is done.
pub fn unmount(path: &Path) -> Result<(), CommandError> {
    for _ in types_at(path) {
        if run(Command::new("umount").arg(path)).is_err() {
            run(Command::new("umount").arg("-l").arg(path))?;
        }
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
    fn a_shared_mount_point_is_no_fuse_mount_and_unmounts() {
        let dir = tempfile::tempdir().unwrap();
        crate::hosts::share_mountpoint(dir.path()).unwrap();
        assert!(is_mounted(dir.path()));
        assert!(!is_fuse_mounted(dir.path()));
        unmount(dir.path()).unwrap();
        assert!(!is_mounted(dir.path()));
    }

    #[test]
    fn escapes_like_proc_mounts() {
        assert_eq!(escaped(Path::new("/a b\\c")), "/a\\040b\\134c");
    }
}
