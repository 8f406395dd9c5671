//! Everyday file operations, each written through mount 1 and checked
//! through mount 2, whose caches never saw the change: what one client does
//! must be what the master and chunkservers hold.

use std::collections::BTreeSet;
use std::fs::{self, File, OpenOptions};
use std::io::{ErrorKind, Write};
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::time::{Duration, SystemTime};

use anyhow::{ensure, Context, Result};
use rustix::fs::{mknodat, FileType, Mode, CWD};

use super::pattern;
use crate::matrix::env::Env;

/// Writes a file, reads it back through both mounts.
pub fn create_write_read(env: &mut Env) -> Result<()> {
    let (dir, other) = env.dir("create")?;
    let data = pattern(300_000, 1);
    fs::write(dir.join("f"), &data).context("write")?;
    ensure!(
        fs::read(dir.join("f")).context("read")? == data,
        "mount 1 reads other bytes"
    );
    ensure!(
        fs::read(other.join("f")).context("read through mount 2")? == data,
        "mount 2 reads other bytes"
    );
    Ok(())
}

/// Shrinks a file into its middle and extends it again: the cut part
/// reads as zeros.
pub fn truncate(env: &mut Env) -> Result<()> {
    let (dir, other) = env.dir("truncate")?;
    let data = pattern(200_000, 2);
    fs::write(dir.join("f"), &data).context("write")?;
    let file = OpenOptions::new().write(true).open(dir.join("f"))?;
    file.set_len(1000).context("truncate to 1000")?;
    file.set_len(150_000).context("extend to 150000")?;
    drop(file);
    let back = fs::read(other.join("f")).context("read through mount 2")?;
    ensure!(
        back.len() == 150_000,
        "length {} after extending to 150000",
        back.len()
    );
    ensure!(back[..1000] == data[..1000], "the kept 1000 bytes changed");
    ensure!(
        back[1000..].iter().all(|&b| b == 0),
        "the extended part is not zeros"
    );
    Ok(())
}

/// Data that `fsync` returned for is visible to another client.
pub fn fsync(env: &mut Env) -> Result<()> {
    let (dir, other) = env.dir("fsync")?;
    let mut file = File::create(dir.join("f"))?;
    file.write_all(&pattern(70_000, 3))?;
    file.sync_all().context("fsync")?;
    let len = fs::metadata(other.join("f"))?.len();
    ensure!(
        len == 70_000,
        "mount 2 sees {len} bytes after fsync, not 70000"
    );
    Ok(())
}

/// Renames within a directory, across directories and over an existing
/// file.
pub fn rename(env: &mut Env) -> Result<()> {
    let (dir, other) = env.dir("rename")?;
    fs::create_dir(dir.join("sub"))?;
    fs::write(dir.join("a"), b"a")?;
    fs::write(dir.join("b"), b"b")?;
    fs::rename(dir.join("a"), dir.join("a2")).context("rename in place")?;
    fs::rename(dir.join("a2"), dir.join("sub/a3")).context("rename across directories")?;
    fs::rename(dir.join("sub/a3"), dir.join("b")).context("rename over a file")?;
    ensure!(
        fs::read(other.join("b"))? == b"a",
        "the renamed file did not replace b"
    );
    let names = names(&other)?;
    ensure!(
        names == ["b", "sub"],
        "directory holds {names:?}, not [b, sub]"
    );
    Ok(())
}

/// Hard links share data and count each other.
pub fn link(env: &mut Env) -> Result<()> {
    let (dir, other) = env.dir("link")?;
    fs::write(dir.join("f"), b"linked")?;
    fs::hard_link(dir.join("f"), dir.join("g")).context("link")?;
    let meta = fs::metadata(other.join("g"))?;
    ensure!(meta.nlink() == 2, "nlink {} after one link", meta.nlink());
    ensure!(
        meta.ino() == fs::metadata(other.join("f"))?.ino(),
        "the link is another inode"
    );
    fs::remove_file(dir.join("f"))?;
    ensure!(
        fs::read(other.join("g"))? == b"linked",
        "the link lost its data"
    );
    Ok(())
}

/// Symbolic links keep their target and resolve.
pub fn symlink(env: &mut Env) -> Result<()> {
    let (dir, other) = env.dir("symlink")?;
    fs::write(dir.join("target"), b"pointed at")?;
    std::os::unix::fs::symlink("target", dir.join("l")).context("symlink")?;
    let target = fs::read_link(other.join("l")).context("readlink")?;
    ensure!(
        target.as_os_str() == "target",
        "link points at {}",
        target.display()
    );
    ensure!(
        fs::read(other.join("l"))? == b"pointed at",
        "the link does not resolve"
    );
    ensure!(
        fs::symlink_metadata(other.join("l"))?
            .file_type()
            .is_symlink(),
        "lstat does not show a symlink"
    );
    Ok(())
}

/// `mknod` of a character device, a block device and a plain file.
pub fn mknod(env: &mut Env) -> Result<()> {
    let (dir, other) = env.dir("mknod")?;
    let dev = rustix::fs::makedev(1, 3);
    let mode = Mode::from_raw_mode(0o644);
    mknodat(CWD, dir.join("chr"), FileType::CharacterDevice, mode, dev).context("mknod chr")?;
    mknodat(CWD, dir.join("blk"), FileType::BlockDevice, mode, dev).context("mknod blk")?;
    mknodat(CWD, dir.join("reg"), FileType::RegularFile, mode, 0).context("mknod reg")?;
    let chr = fs::symlink_metadata(other.join("chr"))?;
    ensure!(
        chr.file_type().is_char_device(),
        "chr is not a character device"
    );
    ensure!(
        chr.rdev() == dev,
        "chr has device {:#x}, not 1:3",
        chr.rdev()
    );
    ensure!(
        fs::symlink_metadata(other.join("blk"))?
            .file_type()
            .is_block_device(),
        "blk is not a block device"
    );
    ensure!(
        fs::symlink_metadata(other.join("reg"))?.is_file(),
        "reg is not a file"
    );
    Ok(())
}

/// A FIFO is created as one.
pub fn mkfifo(env: &mut Env) -> Result<()> {
    let (dir, other) = env.dir("mkfifo")?;
    let mode = Mode::from_raw_mode(0o600);
    mknodat(CWD, dir.join("fifo"), FileType::Fifo, mode, 0).context("mkfifo")?;
    let meta = fs::symlink_metadata(other.join("fifo"))?;
    ensure!(meta.file_type().is_fifo(), "fifo is not a FIFO");
    ensure!(
        meta.mode() & 0o777 == 0o600,
        "fifo mode {:o}",
        meta.mode() & 0o777
    );
    Ok(())
}

/// Nested directories; a non-empty one refuses `rmdir`.
pub fn mkdir_rmdir(env: &mut Env) -> Result<()> {
    let (dir, other) = env.dir("mkdir")?;
    fs::create_dir_all(dir.join("a/b/c")).context("mkdir -p")?;
    ensure!(
        other.join("a/b/c").is_dir(),
        "a/b/c is not a directory on mount 2"
    );
    match fs::remove_dir(dir.join("a/b")) {
        Err(e) if e.kind() == ErrorKind::DirectoryNotEmpty => {}
        other => anyhow::bail!("rmdir of a non-empty directory gave {other:?}"),
    }
    fs::remove_dir(dir.join("a/b/c")).context("rmdir a/b/c")?;
    fs::remove_dir(dir.join("a/b")).context("rmdir a/b")?;
    ensure!(
        names(&other.join("a"))?.is_empty(),
        "a is not empty after rmdir"
    );
    Ok(())
}

/// A listing shows exactly the entries made, names of every length.
pub fn readdir(env: &mut Env) -> Result<()> {
    let (dir, other) = env.dir("readdir")?;
    let made: BTreeSet<String> = (0..300)
        .map(|i| format!("{i}-{}", "x".repeat(i % 200)))
        .collect();
    for name in &made {
        File::create(dir.join(name)).with_context(|| format!("create {name}"))?;
    }
    let listed: BTreeSet<String> = names(&other)?.into_iter().collect();
    ensure!(
        listed == made,
        "listing has {} entries, {} made",
        listed.len(),
        made.len()
    );
    Ok(())
}

/// Mode bits set on one mount show on the other.
pub fn chmod(env: &mut Env) -> Result<()> {
    let (dir, other) = env.dir("chmod")?;
    File::create(dir.join("f"))?;
    fs::set_permissions(dir.join("f"), fs::Permissions::from_mode(0o4751)).context("chmod")?;
    let mode = fs::metadata(other.join("f"))?.mode() & 0o7777;
    ensure!(mode == 0o4751, "mode {mode:o}, not 4751");
    Ok(())
}

/// Owner and group set by root show on the other mount.
pub fn chown(env: &mut Env) -> Result<()> {
    let (dir, other) = env.dir("chown")?;
    File::create(dir.join("f"))?;
    std::os::unix::fs::chown(dir.join("f"), Some(1234), Some(5678)).context("chown")?;
    let meta = fs::metadata(other.join("f"))?;
    ensure!(
        (meta.uid(), meta.gid()) == (1234, 5678),
        "owner {}:{}, not 1234:5678",
        meta.uid(),
        meta.gid()
    );
    Ok(())
}

/// Access and modification times set explicitly are kept to the second.
pub fn utimes(env: &mut Env) -> Result<()> {
    let (dir, other) = env.dir("utimes")?;
    let file = File::create(dir.join("f"))?;
    let at = |secs| SystemTime::UNIX_EPOCH + Duration::from_secs(secs);
    let times = fs::FileTimes::new()
        .set_accessed(at(1_000_000_000))
        .set_modified(at(1_234_567_890));
    file.set_times(times).context("utimes")?;
    drop(file);
    let meta = fs::metadata(other.join("f"))?;
    ensure!(
        (meta.atime(), meta.mtime()) == (1_000_000_000, 1_234_567_890),
        "atime {} mtime {}",
        meta.atime(),
        meta.mtime()
    );
    Ok(())
}

/// The sorted names in `dir`.
fn names(dir: &std::path::Path) -> Result<Vec<String>> {
    let mut names = fs::read_dir(dir)
        .with_context(|| format!("readdir {}", dir.display()))?
        .map(|e| Ok(e?.file_name().to_string_lossy().into_owned()))
        .collect::<Result<Vec<_>>>()?;
    names.sort();
    Ok(names)
}
