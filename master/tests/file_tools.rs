//! MooseFS's file tools that change chunks, against `mooseng-master`,
//! compared with Debian's `mfsmaster` doing the same, each under
//! `mooseng-cluster` with three Debian chunkservers and a Debian mount.
//! `mfsfilerepair`: a goal-1 file whose only chunkserver is stopped loses
//! its chunk and reads zeros; a goal-2 file appended to while one copy's
//! server was down, then left with only that stale copy, gets the stale
//! version back and reads its old bytes. `mfsappendchunks`: a file's
//! chunks appended to another from the next chunk boundary on, shared
//! until either file is written. `mfsfilepaths` of a file with two links
//! and of a directory. The tools must print the same on both, and the
//! files read the same.
//!
//! Needs root, network namespaces, FUSE and the MooseFS packages
//! (scripts/setup.sh); about a minute.

// The helpers below are test code too; a failed step should stop the test.
#![allow(clippy::unwrap_used)]

mod support;

use std::fs::{self, OpenOptions};
use std::io::{Seek, SeekFrom, Write};
use std::time::Duration;

use mooseng_tools::{member, Flavor};
use support::cli::{valid_copies, PLACEMENT_WAIT};
use support::compared::{same, Side};
use support::{eventually, payload};

const NG: (&str, &str) = ("ftlng", "10.233.158.0/24");
const MFS: (&str, &str) = ("ftlmf", "10.233.159.0/24");
const LENGTH: usize = 100_000;
const APPENDED: usize = 1_000;
/// MooseFS's chunk size: appended chunks start at a multiple of it.
const CHUNK: usize = 64 << 20;

/// Waits until `file` has `copies` valid copies on `side`.
fn copies(side: &Side, file: &str, copies: usize) {
    let path = side.mnt.join(file);
    let counted = eventually(PLACEMENT_WAIT, || valid_copies(&path).len() == copies);
    assert!(counted, "{file}: {:?}", valid_copies(&path));
}

/// The goal-1 file `lost` with its chunkserver stopped; returns that
/// server.
fn lose(side: &Side) -> u8 {
    fs::create_dir(side.mnt.join("one")).unwrap();
    side.tool(&["mfssetgoal", "1", "one"]);
    fs::write(side.mnt.join("one/lost"), payload(LENGTH, 1)).unwrap();
    copies(side, "one/lost", 1);
    let holder = side.holders("one/lost")[0];
    member::stop(side.layout(), side.chunkserver(holder)).unwrap();
    copies(side, "one/lost", 0);
    holder
}

/// The goal-2 file `stale`: written, appended to with one server down,
/// then that server back and the other down, so the only copy left is
/// one version behind.
fn make_stale(side: &Side) {
    fs::create_dir(side.mnt.join("two")).unwrap();
    side.tool(&["mfssetgoal", "2", "two"]);
    fs::write(side.mnt.join("two/stale"), payload(LENGTH, 2)).unwrap();
    copies(side, "two/stale", 2);
    let [current, behind] = side.holders("two/stale")[..] else {
        panic!("two holders");
    };
    member::stop(side.layout(), side.chunkserver(behind)).unwrap();
    copies(side, "two/stale", 1);
    let mut file = OpenOptions::new()
        .append(true)
        .open(side.mnt.join("two/stale"))
        .unwrap();
    file.write_all(&[7; APPENDED]).unwrap();
    file.sync_all().unwrap();
    drop(file);
    member::stop(side.layout(), side.chunkserver(current)).unwrap();
    copies(side, "two/stale", 0);
    member::restart(side.layout(), side.chunkserver(behind)).unwrap();
    let back = side.chunkserver(behind).to_string();
    let listed = eventually(Duration::from_secs(60), || {
        side.tool(&["mfsfileinfo", "two/stale"]).contains(&back)
    });
    assert!(listed, "the stale copy on {back} is listed");
}

/// The number on `mfsfilerepair`'s line that starts with `label`.
fn count(text: &str, label: &str) -> u32 {
    let line = text.lines().find(|l| l.trim_start().starts_with(label));
    let line = line.unwrap_or_else(|| panic!("no {label} in {text}"));
    line.split_whitespace().last().unwrap().parse().unwrap()
}

#[test]
fn file_tools_change_chunks_as_mfsmaster_does() {
    let dirs = [tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap()];
    let ng = Side::up(dirs[0].path(), NG, Flavor::Ng, &[]);
    let mfs = Side::up(dirs[1].path(), MFS, Flavor::Mfs, &[]);

    let holders = [lose(&ng), lose(&mfs)];
    let erased = same(&ng, &mfs, &["mfsfilerepair", "one/lost"]);
    assert_eq!(count(&erased, "chunks erased:"), 1, "{erased}");
    assert_eq!(count(&erased, "chunks repaired:"), 0, "{erased}");
    for (side, holder) in [&ng, &mfs].into_iter().zip(holders) {
        let read = fs::read(side.mnt.join("one/lost")).unwrap();
        assert_eq!(read, vec![0; LENGTH], "a lost chunk reads zeros");
        // All three servers again for the next file.
        member::restart(side.layout(), side.chunkserver(holder)).unwrap();
    }

    for side in [&ng, &mfs] {
        make_stale(side);
    }
    let repaired = same(&ng, &mfs, &["mfsfilerepair", "two/stale"]);
    assert_eq!(count(&repaired, "chunks repaired:"), 1, "{repaired}");
    assert_eq!(count(&repaired, "chunks erased:"), 0, "{repaired}");
    let mut old = payload(LENGTH, 2);
    old.extend_from_slice(&[0; APPENDED]);
    for side in [&ng, &mfs] {
        let read = fs::read(side.mnt.join("two/stale")).unwrap();
        assert!(read == old, "the stale version's bytes, zeros past them");
    }

    for side in [&ng, &mfs] {
        fs::write(side.mnt.join("src"), payload(LENGTH, 3)).unwrap();
        fs::write(side.mnt.join("dst"), payload(APPENDED, 4)).unwrap();
    }
    let appended = same(&ng, &mfs, &["mfsappendchunks", "dst", "src"]);
    assert!(appended.starts_with("Some(0)"), "{appended}");
    let mut joined = payload(APPENDED, 4);
    joined.resize(CHUNK, 0);
    joined.extend_from_slice(&payload(LENGTH, 3));
    for side in [&ng, &mfs] {
        let read = fs::read(side.mnt.join("dst")).unwrap();
        assert!(
            read == joined,
            "dst: its bytes, zeros to the chunk's end, src"
        );
        // A write to the shared chunk through dst leaves src as it was.
        let mut dst = OpenOptions::new()
            .write(true)
            .open(side.mnt.join("dst"))
            .unwrap();
        dst.seek(SeekFrom::Start(CHUNK as u64)).unwrap();
        dst.write_all(b"changed").unwrap();
        dst.sync_all().unwrap();
        drop(dst);
        assert!(fs::read(side.mnt.join("src")).unwrap() == payload(LENGTH, 3));
        let read = fs::read(side.mnt.join("dst")).unwrap();
        assert_eq!(&read[CHUNK..CHUNK + 7], b"changed");
        fs::hard_link(side.mnt.join("dst"), side.mnt.join("one/dst-link")).unwrap();
    }
    let paths = same(&ng, &mfs, &["mfsfilepaths", "dst", "one"]);
    // Relative to the mount, the newest link first.
    assert!(paths.contains("dst:\none/dst-link\ndst\n"), "{paths}");
}
