//! `mfscli -SIN` against `mooseng-master`, compared with the same command
//! against Debian's `mfsmaster` after the same workload, each with three
//! Debian chunkservers and a Debian mount under `mooseng-cluster`: files in
//! goals 1 and 3, a hard link, a file in the trash, then the chunkserver
//! holding the only copy of the goal-1 file killed.
//!
//! The master info counts, the chunk matrix and the chunk loop's work
//! figures must match. mfsmaster's file check starts a quarter of an hour
//! after the master and takes an hour per round, so within the test it has
//! "no data" and no missing files to list; ours checks when asked, so its
//! figures are checked against what the workload made, and its missing
//! file against the file and chunk the workload lost. The paths mfscli
//! asks for (MASS_RESOLVE_PATHS) must be the same bytes from both masters.
//! Needs root, network namespaces, FUSE and the MooseFS packages
//! (scripts/setup.sh); about two and a half minutes, most of it waiting for
//! mfsmaster's chunk loop to finish a round after the kill.

// The helpers below are test code too; a failed step should stop the test.
#![allow(clippy::unwrap_used)]

mod support;

use std::collections::BTreeMap;
use std::fs;
use std::io::{Read, Write};
use std::net::{Ipv4Addr, TcpStream};
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use mooseng_tools::{member, Flavor, Role, Subnet};
use support::cli::{mfscli, run, valid_copies, PLACEMENT_WAIT};
use support::{eventually, payload, up_with_master, Down};

const NG: (&str, &str) = ("infng", "10.233.167.0/24");
const MFS: (&str, &str) = ("infmf", "10.233.168.0/24");

/// `CLTOMA_MASS_RESOLVE_PATHS`.
const MASS_RESOLVE_PATHS: u32 = 536;

/// One cluster and what the workload left in it.
struct Side {
    _down: Down,
    master: Ipv4Addr,
    /// Inodes of the workload's files: one, three, gone.
    inodes: [u32; 3],
    /// Unix time the chunkserver was killed.
    killed_at: u64,
}

fn start(root: &Path, (prefix, subnet): (&str, &str), master: Flavor) -> (Down, Ipv4Addr) {
    let down = up_with_master(root, prefix, subnet, master);
    let subnet: Subnet = subnet.parse().unwrap();
    (down, Role::Master.address(&subnet))
}

/// Directories in goals 1 and 3, a file in each (the goal-3 one linked
/// into the goal-1 directory), a goal-3 file unlinked into the trash and
/// an empty file; then the chunkserver holding the goal-1 file is killed.
fn workload(down: Down, master: Ipv4Addr) -> Side {
    let mnt = down.0.default_mountpoint();
    let (d1, d2) = (mnt.join("d1"), mnt.join("d2"));
    fs::create_dir(&d1).unwrap();
    fs::create_dir(&d2).unwrap();
    run("mfssetgoal", &["1", d1.to_str().unwrap()]);
    run("mfssetgoal", &["3", d2.to_str().unwrap()]);
    let (one, three, gone) = (d1.join("one"), d2.join("three"), d2.join("gone"));
    for (n, file) in [&one, &three, &gone].into_iter().enumerate() {
        fs::write(file, payload(100_000, n as u64)).unwrap();
    }
    fs::write(mnt.join("empty"), b"").unwrap();
    fs::hard_link(&three, d1.join("three-link")).unwrap();
    for (file, copies) in [(&one, 1), (&three, 3), (&gone, 3)] {
        let placed = eventually(PLACEMENT_WAIT, || valid_copies(file).len() == copies);
        assert!(placed, "{}: {:?}", file.display(), valid_copies(file));
    }
    let inodes = [&one, &three, &gone].map(|f| fs::metadata(f).unwrap().ino() as u32);
    fs::remove_file(&gone).unwrap();
    let holder = valid_copies(&one)[0].parse().unwrap();
    member::kill(&down.0, holder).unwrap();
    let killed_at = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    Side {
        _down: down,
        master,
        inodes,
        killed_at,
    }
}

/// `key -> value` of the lines of one `-SIN` section, the key being the
/// line up to its last tab.
fn section(text: &str, prefix: &str) -> BTreeMap<String, String> {
    text.lines()
        .filter(|l| l.starts_with(prefix))
        .filter_map(|l| l.rsplit_once('\t'))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

/// The chunk loop's start, once it has data.
fn chunk_loop_start(text: &str) -> Option<u64> {
    section(text, "chunk loop")
        .get("chunk loop\tstart:")
        .map(|v| v.parse().unwrap())
}

/// Sends MASS_RESOLVE_PATHS for `inodes` and returns the answer's payload
/// with each inode replaced by its position in `inodes`, so answers of two
/// masters numbering their inodes differently compare.
fn resolve(master: Ipv4Addr, inodes: &[u32]) -> Vec<u8> {
    let mut stream = TcpStream::connect((master, 9421)).unwrap();
    let mut packet = Vec::new();
    packet.extend(MASS_RESOLVE_PATHS.to_be_bytes());
    packet.extend((inodes.len() as u32 * 4).to_be_bytes());
    inodes.iter().for_each(|i| packet.extend(i.to_be_bytes()));
    stream.write_all(&packet).unwrap();
    let mut head = [0u8; 8];
    stream.read_exact(&mut head).unwrap();
    assert_eq!(head[..4], (MASS_RESOLVE_PATHS + 1).to_be_bytes());
    let mut body = vec![0u8; u32::from_be_bytes(head[4..].try_into().unwrap()) as usize];
    stream.read_exact(&mut body).unwrap();
    let mut at = 0;
    while at < body.len() {
        let inode = u32::from_be_bytes(body[at..at + 4].try_into().unwrap());
        let position = inodes.iter().position(|i| *i == inode).unwrap() as u32;
        body[at..at + 4].copy_from_slice(&position.to_be_bytes());
        let size = u32::from_be_bytes(body[at + 4..at + 8].try_into().unwrap());
        at += 8 + size as usize;
    }
    body
}

#[test]
fn mfscli_info_shows_what_mfsmaster_shows() {
    let dirs = [tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap()];
    let (ng, ng_master) = start(dirs[0].path(), NG, Flavor::Ng);
    let (mfs, mfs_master) = start(dirs[1].path(), MFS, Flavor::Mfs);
    let ng = workload(ng, ng_master);
    let mfs = workload(mfs, mfs_master);

    // Wait for a chunk loop of each master that began after the kill and
    // for the lost chunk to show in both matrices.
    let after_kill = |side: &Side| {
        let text = mfscli(side.master, "-SIN");
        let settled = chunk_loop_start(&text).is_some_and(|s| s >= side.killed_at)
            && text.contains("all chunks matrix:\tchunkclass missing:\t1\n");
        settled.then_some(text)
    };
    let mut texts = (None, None);
    let done = eventually(Duration::from_secs(240), || {
        texts.0 = texts.0.take().or_else(|| after_kill(&ng));
        texts.1 = texts.1.take().or_else(|| after_kill(&mfs));
        texts.0.is_some() && texts.1.is_some()
    });
    assert!(done, "no chunk loop after the kill: {texts:?}");
    let (ours, theirs) = (texts.0.unwrap(), texts.1.unwrap());

    let info = |text| section(text, "master info:");
    for key in [
        "all fs objects",
        "directories",
        "files",
        "chunks",
        "all chunk copies",
        "regular chunk copies",
        "trash space",
        "trash files",
        "sustained space",
        "sustained files",
    ] {
        let key = format!("master info:\t{key}");
        assert_eq!(info(&ours)[&key], info(&theirs)[&key], "{key}");
    }
    assert_eq!(info(&ours)["master info:\tfiles"], "4");
    assert_eq!(
        section(&ours, "all chunks matrix:"),
        section(&theirs, "all chunks matrix:")
    );
    // The loops' times differ, and rebalancing follows the usage each
    // master last saw (and MooseFS also moves within the acceptable
    // difference), so its count is not compared.
    let work = |text| {
        let mut lines = section(text, "chunk loop");
        for key in ["start:", "end:", "replications\trebalance:"] {
            assert!(lines.remove(&format!("chunk loop\t{key}")).is_some());
        }
        lines
    };
    assert_eq!(work(&ours), work(&theirs));
    assert_eq!(work(&ours)["chunk loop\treplications\tunder goal:"], "0/2");

    // Our file check, against what the workload left: four files (one in
    // the trash), three chunks, two under goal (three and gone) and one
    // missing (one).
    assert!(theirs.contains("check loop: no data"), "{theirs}");
    let check = section(&ours, "check loop");
    let figures = [
        ("files:", "4"),
        ("under-goal files:", "2"),
        ("missing files:", "1"),
        ("missing trash files:", "0"),
        ("missing sustained files:", "0"),
        ("chunks:", "3"),
        ("under-goal chunks:", "2"),
        ("missing chunks:", "1"),
    ];
    for (key, value) in figures {
        assert_eq!(check[&format!("check loop\t{key}")], value, "{key}");
    }
    let missing: Vec<_> = ours
        .lines()
        .filter(|l| l.starts_with("missing files:"))
        .collect();
    assert_eq!(missing.len(), 1, "{ours}");
    let fields: Vec<_> = missing[0].split('\t').collect();
    assert_eq!(fields[1..3], ["d1/one", &ng.inodes[0].to_string()]);
    assert_eq!(fields[5], "NO COPY");
    assert!(!theirs.contains("missing files:"), "{theirs}");

    // Paths as mfscli gets them: the root, a linked file, a trashed file,
    // an inode that does not exist.
    let asked = |side: &Side| [1, side.inodes[0], side.inodes[1], side.inodes[2], 99_999];
    assert_eq!(
        resolve(ng.master, &asked(&ng)),
        resolve(mfs.master, &asked(&mfs))
    );
}
