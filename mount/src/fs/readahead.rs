//! The kernel's read-ahead for this mount.
//!
//! The kernel gives a FUSE file system 128 KiB of read-ahead (its
//! `VM_READAHEAD_PAGES`), and the INIT answer can only lower it, so a
//! sequential reader's pages come as 128 KiB requests, one or two at a
//! time, each a trip through `/dev/fuse` and our single FUSE thread.
//! Raised in sysfs (`/sys/class/bdi/MAJOR:MINOR/read_ahead_kb`, as an
//! administrator would for any device), the kernel sends requests as large
//! as the INIT answer allows (1 MiB) and several at once. The INIT answer
//! sets the value anew, so it is raised at the first open, when that answer
//! has long been taken in; only root may write there, and elsewhere the
//! kernel's default stays.

use std::path::{Path, PathBuf};
use std::sync::Once;

/// Read-ahead asked of the kernel: a few 1 MiB requests in flight.
pub const READ_AHEAD_KIB: u32 = 4096;

/// Raises the read-ahead of the file system mounted at a path, once.
#[derive(Debug)]
pub struct KernelReadahead {
    /// Absolute, resolved before mounting: resolving it afterwards would
    /// ask this very file system.
    mountpoint: PathBuf,
    done: Once,
}

impl KernelReadahead {
    pub fn new(mountpoint: PathBuf) -> Self {
        KernelReadahead {
            mountpoint,
            done: Once::new(),
        }
    }

    /// Called at every open; acts at the first. Reads `/proc` and writes
    /// `/sys` only, never this file system, so the FUSE thread may call it.
    pub fn raise_once(&self) {
        self.done
            .call_once(|| match raise(&self.mountpoint, READ_AHEAD_KIB) {
                Ok(device) => {
                    tracing::info!("kernel read-ahead of {device} set to {READ_AHEAD_KIB} KiB")
                }
                Err(e) => tracing::info!("kernel read-ahead left as it is: {e}"),
            });
    }
}

/// Sets `kib` as the read-ahead of the FUSE file system mounted at
/// `mountpoint`; returns its device (`MAJOR:MINOR`).
fn raise(mountpoint: &Path, kib: u32) -> std::io::Result<String> {
    let mountinfo = std::fs::read_to_string("/proc/self/mountinfo")?;
    let device = fuse_device(&mountinfo, mountpoint).ok_or_else(|| {
        std::io::Error::new(
            std::io::ErrorKind::NotFound,
            format!("no FUSE mount at {} in mountinfo", mountpoint.display()),
        )
    })?;
    std::fs::write(
        format!("/sys/class/bdi/{device}/read_ahead_kb"),
        kib.to_string(),
    )?;
    Ok(device)
}

/// The `MAJOR:MINOR` of the last FUSE file system mounted at `mountpoint`
/// (the one on top) in `/proc/self/mountinfo` text.
fn fuse_device(mountinfo: &str, mountpoint: &Path) -> Option<String> {
    let wanted = mountpoint.to_str()?;
    mountinfo.lines().rev().find_map(|line| {
        // ID PARENT MAJOR:MINOR ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - TYPE ...
        let fields: Vec<&str> = line.split(' ').collect();
        let device = fields.get(2)?;
        let at = unescape(fields.get(4)?);
        let separator = fields.iter().position(|f| *f == "-")?;
        let kind = fields.get(separator + 1)?;
        let fuse = *kind == "fuse" || kind.starts_with("fuse.");
        (fuse && at == wanted).then(|| (*device).to_owned())
    })
}

/// Undoes mountinfo's octal escapes (`\040` for a space, ...).
fn unescape(field: &str) -> String {
    let bytes = field.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let code = bytes
            .get(i + 1..i + 4)
            .filter(|_| bytes[i] == b'\\')
            .and_then(|digits| std::str::from_utf8(digits).ok())
            .and_then(|digits| u8::from_str_radix(digits, 8).ok());
        match code {
            Some(byte) => {
                out.push(byte);
                i += 4;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    // Lines as /proc/self/mountinfo shows them on Linux 6.18.
    const MOUNTINFO: &str = "\
23 1 259:1 / / rw,relatime shared:1 - ext4 /dev/nvme0n1p1 rw
98 23 0:61 / /mnt/mfs rw,nosuid,nodev,relatime shared:50 - fuse.mfsmount 10.0.0.2:9421 rw,user_id=0,group_id=0,allow_other
99 23 0:62 / /mnt/with\\040space rw,relatime shared:51 - fuse mooseng rw,user_id=0,group_id=0
100 23 0:63 / /mnt/tmpfs rw,relatime shared:52 - tmpfs tmpfs rw
101 98 0:64 / /mnt/mfs rw,relatime shared:53 - fuse mooseng rw,user_id=0,group_id=0
";

    #[test]
    fn the_device_is_the_fuse_mount_on_top_of_the_mount_point() {
        assert_eq!(
            fuse_device(MOUNTINFO, Path::new("/mnt/mfs")).as_deref(),
            Some("0:64")
        );
    }

    #[test]
    fn escaped_mount_points_are_matched() {
        assert_eq!(
            fuse_device(MOUNTINFO, Path::new("/mnt/with space")).as_deref(),
            Some("0:62")
        );
    }

    #[test]
    fn other_file_systems_and_paths_are_not_taken() {
        assert_eq!(fuse_device(MOUNTINFO, Path::new("/mnt/tmpfs")), None);
        assert_eq!(fuse_device(MOUNTINFO, Path::new("/mnt")), None);
        assert_eq!(fuse_device("garbage\n\n- -", Path::new("/mnt")), None);
    }

    #[test]
    fn unescaping_leaves_plain_text_and_broken_escapes_alone() {
        assert_eq!(unescape("/a\\040b\\134c"), "/a b\\c");
        assert_eq!(unescape("/a\\04"), "/a\\04");
        assert_eq!(unescape("/a\\999"), "/a\\999");
    }
}
