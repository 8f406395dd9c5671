//! Chunk files on disk, checked by the other implementation: MooseFS's
//! `mfschunktool` on the files our chunkserver wrote, and our
//! `chunk_file` verification on the files `mfschunkserver` wrote.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{ensure, Context, Result};
use mooseng_chunkserver::chunk_file::{ChunkFile, ChunkPath};
use mooseng_tools::Flavor;

use crate::matrix::env::{run, wait_until, Env};

/// Every chunk file on the chunkservers of `flavor`.
fn chunk_files(env: &Env, flavor: Flavor) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for n in env.cell.chunkservers.numbered(flavor) {
        let folder = env.chunk_folder(n);
        for sub in fs::read_dir(&folder).with_context(|| format!("list {}", folder.display()))? {
            let sub = sub?.path();
            if !sub.is_dir() {
                continue;
            }
            for entry in fs::read_dir(&sub)? {
                let path = entry?.path();
                let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
                if name.is_some_and(|n| n.starts_with("chunk_") && n.ends_with(".mfs")) {
                    files.push(path);
                }
            }
        }
    }
    files.sort();
    Ok(files)
}

/// `mfschunktool` finds every chunk file of our chunkservers sound.
pub fn mfschunktool_on_ng_chunks(env: &mut Env) -> Result<()> {
    let files = chunk_files(env, Flavor::Ng)?;
    ensure!(!files.is_empty(), "our chunkservers hold no chunk files");
    let mut args = vec!["-x".as_ref()];
    args.extend(files.iter().map(|f| f.as_os_str()));
    let out = run("mfschunktool", &args)?;
    let ok = out.lines().filter(|l| l.ends_with(": OK")).count();
    ensure!(ok == files.len(), "{ok} of {} files OK: {out}", files.len());
    Ok(())
}

/// Our verification finds every chunk file of MooseFS's chunkservers
/// sound. MooseFS writes a chunk's CRC table back when it closes the chunk,
/// a few seconds after its last use, so a file may lag that long.
pub fn ng_verify_on_mfs_chunks(env: &mut Env) -> Result<()> {
    let files = chunk_files(env, Flavor::Mfs)?;
    ensure!(
        !files.is_empty(),
        "MooseFS's chunkservers hold no chunk files"
    );
    let mut last = String::new();
    wait_until(
        "every MooseFS chunk file verified",
        Duration::from_secs(20),
        || {
            let bad: Vec<String> = files
                .iter()
                .filter_map(|f| verify(f).err().map(|e| format!("{e:#}")))
                .collect();
            last = bad.join("; ");
            Ok(bad.is_empty())
        },
    )
    .with_context(|| last.clone())
}

fn verify(path: &Path) -> Result<()> {
    let chunk =
        ChunkPath::parse(path).with_context(|| format!("not a chunk path: {}", path.display()))?;
    let file = ChunkFile::open(chunk)?;
    let report = file.verify();
    ensure!(
        report.is_ok(),
        "{}: bad blocks {:?} of {}",
        path.display(),
        report.bad_blocks,
        report.blocks
    );
    Ok(())
}
