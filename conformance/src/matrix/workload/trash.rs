//! Trash and undelete through a meta mount (`-o mfsmeta`), made with the
//! cell's client program: a deleted file shows up in its trash bucket
//! (`trash/XXX/` with XXX the inode modulo 4096, in hex) as
//! `IIIIIIII|path` (the inode in hex, then the path from the root with
//! every `/` written `|`), and moving that entry into the bucket's `undel`
//! brings the file back where it was.

use std::fs;
use std::os::unix::fs::MetadataExt;
use std::time::Duration;

use anyhow::{Context, Result};
use mooseng_tools::role::find_program;
use mooseng_tools::{mounts, process, Role};

use crate::matrix::env::{wait_until, Env, MetaMount};

const TRASH_BUCKETS: u64 = 4096;

pub fn trash_undelete(env: &mut Env) -> Result<()> {
    let (dir, _) = env.dir("trash")?;
    let file = dir.join("victim");
    fs::write(&file, b"bring me back")?;
    let inode = fs::metadata(&file)?.ino();
    fs::remove_file(&file).context("unlink")?;

    let meta = mount_meta(env)?;
    let bucket = meta.join(format!("trash/{:03X}", inode % TRASH_BUCKETS));
    let entry = format!("{inode:08X}|{}", "matrix/trash/victim".replace('/', "|"));
    wait_until(
        &format!("{entry} in {}", bucket.display()),
        Duration::from_secs(10),
        || Ok(bucket.join(&entry).exists()),
    )?;
    fs::rename(bucket.join(&entry), bucket.join("undel").join(&entry)).context("undelete")?;
    wait_until(
        "the undeleted file back in place",
        Duration::from_secs(10),
        || Ok(fs::read(&file).is_ok_and(|data| data == b"bring me back")),
    )
}

/// Mounts the meta file system beside the cell's mounts, once per cell.
fn mount_meta(env: &mut Env) -> Result<std::path::PathBuf> {
    if let Some(meta) = &env.meta {
        return Ok(meta.path.clone());
    }
    let name = Role::Mount(1).program(env.cell.client);
    let program = find_program(name).with_context(|| format!("no {name}"))?;
    let path = env.layout.root().join("meta");
    fs::create_dir_all(&path)?;
    let args = [
        path.clone().into_os_string(),
        "-f".into(),
        "-H".into(),
        env.master.to_string().into(),
        "-o".into(),
        "mfsmeta".into(),
    ];
    let log = env.layout.logs().join("meta.log");
    let pid = process::spawn(&program, &args, None, &log)?;
    env.meta = Some(MetaMount {
        path: path.clone(),
        process: pid,
    });
    wait_until("the meta mount", Duration::from_secs(15), || {
        Ok(mounts::is_mounted(&path) && path.join("trash").is_dir())
    })
    .with_context(|| format!("see {}", log.display()))?;
    Ok(path)
}
