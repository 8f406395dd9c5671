//! Chunk files written by this crate, checked by MooseFS's own checker,
//! Debian's `mfschunktool` 3.0.117.

use std::fs;
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::process::{Command, Output};

use mooseng_chunkserver::chunk_file::{ChunkFile, ChunkName, ChunkPath, BLOCK_SIZE};
use tempfile::TempDir;

const TOOL: &str = "/usr/sbin/mfschunktool";

/// Runs `mfschunktool` with `flags` on `files`, or returns `None` (after
/// saying why) on a machine without MooseFS.
fn chunktool(flags: &[&str], files: &[&Path]) -> Option<Output> {
    if !Path::new(TOOL).exists() {
        eprintln!("SKIPPED: {TOOL} is not installed (Debian package moosefs-chunkserver)");
        return None;
    }
    Some(
        Command::new(TOOL)
            .args(flags)
            .args(files)
            .output()
            .expect("mfschunktool runs"),
    )
}

fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len).map(|i| ((i * 131) as u8) ^ seed).collect()
}

/// A spread of chunks exercising every operation that shapes a file.
fn sample_chunks(dir: &Path) -> Vec<ChunkFile> {
    let at = |id, version| ChunkPath::placed(dir, ChunkName::new(id, version));
    let empty = ChunkFile::create(at(1, 1)).expect("building a sample chunk");

    let mut full = ChunkFile::create(at(2, 1)).expect("building a sample chunk");
    full.write(0, &pattern(3 * BLOCK_SIZE as usize, 1))
        .expect("building a sample chunk");

    let mut sparse = ChunkFile::create(at(3, 7)).expect("building a sample chunk");
    sparse
        .write(5 * BLOCK_SIZE + 123, b"sparse tail")
        .expect("building a sample chunk");
    sparse
        .write(10, &pattern(70_000, 2))
        .expect("building a sample chunk");

    let mut truncated = ChunkFile::create(at(4, 1)).expect("building a sample chunk");
    truncated
        .write(0, &pattern(4 * BLOCK_SIZE as usize, 3))
        .expect("building a sample chunk");
    truncated
        .truncate(BLOCK_SIZE + 5000)
        .expect("building a sample chunk");

    let mut versioned = ChunkFile::create(at(5, 1)).expect("building a sample chunk");
    versioned
        .write(100, &pattern(1000, 4))
        .expect("building a sample chunk");
    versioned
        .set_version(0xABCD)
        .expect("building a sample chunk");

    let copy = full.duplicate(at(6, 2)).expect("building a sample chunk");

    let mut all = vec![empty, full, sparse, truncated, versioned, copy];
    for chunk in &mut all {
        chunk.sync().expect("building a sample chunk");
    }
    all
}

#[test]
fn mfschunktool_accepts_our_chunk_files() {
    let dir = TempDir::new().unwrap();
    let chunks = sample_chunks(dir.path());
    let all: Vec<_> = chunks.iter().map(|c| c.path().path()).collect();
    // The fast check reads the last block, so it calls any chunk without
    // blocks "wrong file size", MooseFS's own freshly created ones too.
    let with_blocks: Vec<_> = chunks
        .iter()
        .filter(|c| c.blocks() > 0)
        .map(|c| c.path().path())
        .collect();
    assert_eq!(with_blocks.len(), all.len() - 1);
    // Full check, fast check, and full check that also holds the CRC
    // entries past the end to the strict `MFSC 1.1` rule.
    for (flags, paths) in [
        (&["-x"][..], &all),
        (&["-x", "-f"], &with_blocks),
        (&["-x", "-e"], &all),
    ] {
        let files: Vec<&Path> = paths.iter().map(|p| p.as_path()).collect();
        let Some(out) = chunktool(flags, &files) else {
            return;
        };
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "flags {flags:?}: {stdout}{stderr}");
        assert!(stderr.is_empty(), "flags {flags:?}: {stderr}");
        for path in paths {
            assert!(
                stdout.contains(&format!("{}: OK", path.display())),
                "flags {flags:?}: no OK for {}: {stdout}",
                path.display()
            );
        }
    }
}

#[test]
fn mfschunktool_flags_a_corrupted_block_and_a_stale_header() {
    let dir = TempDir::new().unwrap();
    let mut chunk =
        ChunkFile::create(ChunkPath::placed(dir.path(), ChunkName::new(0x77, 3))).unwrap();
    chunk
        .write(0, &pattern(3 * BLOCK_SIZE as usize, 5))
        .unwrap();
    chunk.sync().unwrap();
    let path = chunk.path().path();
    let damaged_at = chunk.geometry().block_offset(1) + 4321;
    drop(chunk);

    let file = fs::OpenOptions::new().write(true).open(&path).unwrap();
    file.write_all_at(b"!", damaged_at).unwrap();
    let Some(out) = chunktool(&["-x"], &[&path]) else {
        return;
    };
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "crc error status: {stderr}");
    assert!(stderr.contains("crc error (block: 1 ;"), "{stderr}");
    assert!(
        !stderr.contains("block: 0 ") && !stderr.contains("block: 2 "),
        "{stderr}"
    );

    // A file whose name disagrees with its header (what a crash in the
    // middle of a version change leaves) is flagged too.
    let renamed = ChunkPath::placed(dir.path(), ChunkName::new(0x77, 4)).path();
    fs::rename(&path, &renamed).unwrap();
    let Some(out) = chunktool(&["-x"], &[&renamed]) else {
        return;
    };
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(3),
        "header and crc errors: {stderr}"
    );
    assert!(stderr.contains("wrong chunk version in header"), "{stderr}");
}
