//! End to end with file data: `mooseng-master` under `mooseng-cluster`,
//! with Debian's `mfschunkserver`s and `mfsmount`s, then with MooseNG's
//! chunkservers and mounts. A 70 MiB file (two chunks) written through one
//! mount must read back identically through the other, sit on the
//! chunkservers in two copies per chunk, and leave their disks once
//! unlinked with trash time 0 (set with Debian's `mfssettrashtime`, which
//! finds the master through either mount's `.masterinfo`) and the mounts,
//! which kept the file open in their sessions, are unmounted. A file
//! shrunk into the middle of a chunk and grown again must read zeros past
//! the cut, with the chunkservers' copies of that chunk in a new version.
//! Needs root, network namespaces, FUSE and the MooseFS packages
//! (scripts/setup.sh); the all-MooseNG cases also need `mooseng-chunkserver`
//! and `mooseng-mount` built next to `mooseng-master`.

// The helpers below are test code too; a failed step should stop the test.
#![allow(clippy::unwrap_used)]

mod support;

use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io::{Seek, SeekFrom, Write};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use mooseng_tools::{process, Flavor, Layout, Role};
use sha2::{Digest, Sha256};
use support::{chunk_files, eventually, payload, up};

/// Crosses the 64 MiB chunk boundary: chunk 0 full, chunk 1 with 6 MiB.
const FILE_LEN: usize = 70 << 20;
/// The root's goal, which new files inherit.
const GOAL: usize = 2;
const CHUNKS: usize = 2;

/// The versions of each chunk's files on the chunkservers' disks, by
/// chunk id, from names `chunk_<id 16 hex>_<version 8 hex>.mfs`.
fn chunk_versions(layout: &Layout) -> BTreeMap<u64, Vec<u32>> {
    let mut versions: BTreeMap<u64, Vec<u32>> = BTreeMap::new();
    for path in chunk_files(layout) {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let (id, version) = name
            .strip_prefix("chunk_")
            .and_then(|rest| rest.strip_suffix(".mfs"))
            .and_then(|rest| rest.split_once('_'))
            .unwrap_or_else(|| panic!("not a chunk file name: {name}"));
        let id = u64::from_str_radix(id, 16).unwrap();
        versions
            .entry(id)
            .or_default()
            .push(u32::from_str_radix(version, 16).unwrap());
    }
    versions
}

/// With trash time 0 (set through mount1), writes through mount1, reads
/// through mount2, checks the copies on disk, unlinks, unmounts both mounts
/// and waits for the chunkservers to delete the chunks. `before_unlink`
/// gets the directory holding both mounts.
fn write_read_unlink(layout: &Layout, seed: u64, before_unlink: impl FnOnce(&Path)) {
    let mnt = layout.root().join("mnt");
    let out = Command::new("mfssettrashtime")
        .args(["0"])
        .arg(mnt.join("mount1"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let data = payload(FILE_LEN, seed);
    let started = Instant::now();
    fs::write(mnt.join("mount1/big"), &data).unwrap();
    let written = started.elapsed();
    let back = fs::read(mnt.join("mount2/big")).unwrap();
    let read = started.elapsed() - written;
    assert_eq!(back.len(), FILE_LEN);
    assert_eq!(Sha256::digest(&back), Sha256::digest(&data));
    eprintln!("70 MiB written in {written:?}, read back through the other mount in {read:?}");

    assert!(
        eventually(Duration::from_secs(10), || chunk_files(layout).len()
            == GOAL * CHUNKS),
        "expected {} chunk files, found {:?}",
        GOAL * CHUNKS,
        chunk_files(layout)
    );
    before_unlink(&mnt);

    fs::remove_file(mnt.join("mount1/big")).unwrap();
    // Both mounts still report the file among their open ones (mfsmount
    // keeps closed files acquired for minutes), which keeps it sustained,
    // as on Debian's master, until their sessions end.
    for n in [1, 2] {
        let mount = mnt.join(format!("mount{n}"));
        assert!(Command::new("umount")
            .arg(&mount)
            .status()
            .unwrap()
            .success());
    }
    let unlinked = Instant::now();
    assert!(
        // Generous: on a loaded machine mfsmount may close its session
        // well after `umount` returned.
        eventually(Duration::from_secs(60), || chunk_files(layout).is_empty()),
        "chunk files left after unlink: {:?}",
        chunk_files(layout)
    );
    eprintln!("chunk files gone {:?} after unlink", unlinked.elapsed());
}

/// `mfsfileinfo` lists each chunk with exactly `GOAL` valid copies.
fn assert_two_valid_copies_per_chunk(file: &Path) {
    let out = Command::new("mfsfileinfo").arg(file).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "mfsfileinfo: {text}");
    let sections: Vec<&str> = text.split("\tchunk ").skip(1).collect();
    assert_eq!(sections.len(), CHUNKS, "{text}");
    for section in sections {
        assert_eq!(section.matches("(status:VALID)").count(), GOAL, "{text}");
    }
}

/// Where the master serves `/health` and `/metrics` in these tests.
const METRICS_PORT: u16 = 9426;

/// `GET path` on the master's metrics port: status line code and body.
fn http_get(master: &str, path: &str) -> (u16, String) {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect((master, METRICS_PORT)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    write!(stream, "GET {path} HTTP/1.1\r\nHost: master\r\n\r\n").unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    let (head, body) = answer.split_once("\r\n\r\n").unwrap();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    (status, body.to_owned())
}

/// The value of the sample named exactly `sample` (labels included).
fn sample(body: &str, sample: &str) -> f64 {
    body.lines()
        .find_map(|line| line.strip_prefix(sample)?.strip_prefix(' '))
        .unwrap_or_else(|| panic!("no {sample} in:\n{body}"))
        .parse()
        .unwrap()
}

/// After a two-chunk goal-2 file was written through one mount and read
/// through the other: what the master's endpoint must say.
fn assert_metrics_show_the_cluster(master: &str) {
    assert_eq!(
        http_get(master, "/health"),
        (200, "ok\nrole=leader\n".to_owned())
    );
    let (status, body) = http_get(master, "/metrics");
    assert_eq!(status, 200);
    let m = |name: &str| sample(&body, &format!("mooseng_master_{name}"));
    assert_eq!(m("chunkservers"), 3.0, "{body}");
    assert_eq!(m("sessions"), 2.0, "one per mount:\n{body}");
    assert_eq!(m("chunks{health=\"ok\"}"), CHUNKS as f64, "{body}");
    assert_eq!(m("chunks{health=\"undergoal\"}"), 0.0, "{body}");
    assert_eq!(m("chunks{health=\"missing\"}"), 0.0, "{body}");
    assert!(m("nodes") >= 2.0, "the root and the file:\n{body}");
    assert!(m("log_last_index") > 0.0, "{body}");
    assert_eq!(m("log_apply_lag"), 0.0, "{body}");
    assert_eq!(m("bad_connections_total"), 0.0, "{body}");
    for (request, at_least) in [
        ("CLTOMA_FUSE_WRITE_CHUNK", CHUNKS),
        ("CLTOMA_FUSE_READ_CHUNK", CHUNKS),
    ] {
        let labels = format!("{{request=\"{request}\"}}");
        let count = m(&format!("requests_total{labels}"));
        assert!(count >= at_least as f64, "{request}: {count}\n{body}");
        assert_eq!(
            m(&format!("request_seconds_count{labels}")),
            count,
            "{body}"
        );
    }
}

#[test]
fn debian_chunkservers_and_mounts_keep_file_data_through_our_master() {
    let dir = tempfile::tempdir().unwrap();
    let started = Instant::now();
    std::env::set_var("MOOSENG_MASTER_METRICS", format!("0.0.0.0:{METRICS_PORT}"));
    let down = up(dir.path(), "mfsngmi1", "10.233.110.0/24", Flavor::Mfs);
    eprintln!("cluster up in {:?}", started.elapsed());
    write_read_unlink(&down.0, 0x5eed, |mnt| {
        assert_two_valid_copies_per_chunk(&mnt.join("mount1/big"));
        assert_metrics_show_the_cluster("10.233.110.2");
    });
}

#[test]
fn all_moosefs_ng_cluster_keeps_file_data() {
    let dir = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let down = up(dir.path(), "mfsngmi2", "10.233.111.0/24", Flavor::Ng);
    eprintln!("cluster up in {:?}", started.elapsed());
    write_read_unlink(&down.0, 0xfeed, |_| {});
}

const MIB: usize = 1 << 20;
const CHUNK_SIZE: u64 = 64 << 20;

/// The chunk created by `write`: the one id on the disks afterwards that
/// was not there before.
fn new_chunk(layout: &Layout, write: impl FnOnce()) -> u64 {
    let before = chunk_versions(layout);
    write();
    let mut created = Vec::new();
    assert!(
        eventually(Duration::from_secs(10), || {
            created = chunk_versions(layout)
                .into_iter()
                .filter(|(id, copies)| !before.contains_key(id) && copies.len() == GOAL)
                .map(|(id, _)| id)
                .collect();
            created.len() == 1
        }),
        "expected one new chunk in {GOAL} copies, got {created:?}"
    );
    created[0]
}

/// A file with 3 MiB of `head` at the start of chunk 0 and 3 MiB of
/// `tail` at the start of chunk 1; returns the two chunk ids.
fn two_chunk_file(layout: &Layout, path: &Path, head: &[u8], tail: &[u8]) -> [u64; 2] {
    let mut file = File::create(path).unwrap();
    let first = new_chunk(layout, || {
        file.write_all(head).unwrap();
        file.sync_all().unwrap();
    });
    let second = new_chunk(layout, || {
        file.seek(SeekFrom::Start(CHUNK_SIZE)).unwrap();
        file.write_all(tail).unwrap();
        file.sync_all().unwrap();
    });
    [first, second]
}

/// Shrinks `path` to `cut`, then grows it to `grown`, through one handle.
fn shrink_and_grow(path: &Path, cut: u64, grown: u64) {
    let file = OpenOptions::new().write(true).open(path).unwrap();
    file.set_len(cut).unwrap();
    file.set_len(grown).unwrap();
}

/// Waits until every copy of `chunk` is in one version and returns it.
fn settled_version(layout: &Layout, chunk: u64, copies: usize) -> u32 {
    let mut seen = Vec::new();
    let settled = eventually(Duration::from_secs(10), || {
        seen = chunk_versions(layout).remove(&chunk).unwrap_or_default();
        seen.len() == copies && seen.iter().all(|v| *v == seen[0])
    });
    assert!(settled, "chunk {chunk}: copies in versions {seen:?}");
    seen[0]
}

/// Compares `back` with `expected`, naming the first differing offset.
fn assert_same_bytes(back: &[u8], expected: &[u8], what: &str) {
    assert_eq!(back.len(), expected.len(), "{what}: length");
    if let Some(at) = back.iter().zip(expected).position(|(a, b)| a != b) {
        panic!(
            "{what}: byte {at} is {:#04x}, expected {:#04x}",
            back[at], expected[at]
        );
    }
}

/// Stops the master with SIGTERM and starts it again with the same
/// arguments in its namespace; the cluster's state file gets the new
/// process, so taking the cluster down stops it.
fn restart_master(layout: &Layout) {
    let mut state = mooseng_tools::status(layout).unwrap().unwrap();
    let master = state
        .processes
        .iter_mut()
        .find(|m| m.role == Role::Master)
        .unwrap();
    let cmdline = fs::read(format!("/proc/{}/cmdline", master.process.pid)).unwrap();
    let args: Vec<std::ffi::OsString> = cmdline
        .split(|b| *b == 0)
        .filter(|arg| !arg.is_empty())
        .skip(1)
        .map(|arg| String::from_utf8(arg.to_vec()).unwrap().into())
        .collect();
    process::stop_all(&[master.process], Duration::from_secs(10));
    master.process =
        process::spawn(&master.program, &args, master.netns.as_deref(), &master.log).unwrap();
    state.save(&layout.state_file()).unwrap();
}

/// Truncates one file inside its second chunk and another inside its
/// first chunk, grows both again and reads them through the other mount
/// (the second after restarting the master):
/// the kept bytes are intact, everything past the cut reads as zeros, and
/// each cut chunk's copies moved to a new version (two steps: the shrink
/// and the growth both end inside it) while the other chunk kept its own.
fn truncations_cut_the_end_chunk(layout: &Layout) {
    let mnt = layout.root().join("mnt");
    let (one, two) = (mnt.join("mount1"), mnt.join("mount2"));
    let head = payload(3 * MIB, 0x7e57);
    let tail = payload(3 * MIB, 0x7a11);
    let chunk = CHUNK_SIZE as usize;

    let [kept, cut] = two_chunk_file(layout, &one.join("later"), &head, &tail);
    let kept_version = settled_version(layout, kept, GOAL);
    let before = settled_version(layout, cut, GOAL);
    shrink_and_grow(
        &one.join("later"),
        CHUNK_SIZE + 100_000,
        CHUNK_SIZE + 3 * MIB as u64,
    );
    let mut expected = head.clone();
    expected.resize(chunk, 0);
    expected.extend_from_slice(&tail[..100_000]);
    expected.resize(chunk + 3 * MIB, 0);
    let back = fs::read(two.join("later")).unwrap();
    assert_same_bytes(&back, &expected, "cut inside chunk 1");
    assert_eq!(settled_version(layout, cut, GOAL), before + 2);
    assert_eq!(settled_version(layout, kept, GOAL), kept_version);

    // This time the master restarts before the other mount first reads
    // the file: the length and the version step must come from its log.
    let [cut, dropped] = two_chunk_file(layout, &one.join("first"), &head, &tail);
    let before = settled_version(layout, cut, GOAL);
    shrink_and_grow(&one.join("first"), 100_000, 3 * MIB as u64);
    restart_master(layout);
    let mut expected = head[..100_000].to_vec();
    expected.resize(3 * MIB, 0);
    let back = fs::read(two.join("first")).unwrap();
    assert_same_bytes(&back, &expected, "cut inside chunk 0");
    assert_eq!(settled_version(layout, cut, GOAL), before + 2);
    assert!(
        eventually(Duration::from_secs(20), || !chunk_versions(layout)
            .contains_key(&dropped)),
        "the chunk past the new end stays on disk"
    );
}

#[test]
fn debian_chunkservers_cut_the_chunk_a_truncation_ends_in() {
    let dir = tempfile::tempdir().unwrap();
    let down = up(dir.path(), "trmi1", "10.233.200.0/24", Flavor::Mfs);
    truncations_cut_the_end_chunk(&down.0);
}

#[test]
fn moosefs_ng_chunkservers_cut_the_chunk_a_truncation_ends_in() {
    let dir = tempfile::tempdir().unwrap();
    let down = up(dir.path(), "trmi2", "10.233.201.0/24", Flavor::Ng);
    truncations_cut_the_end_chunk(&down.0);
}
