//! Three `mooseng-mount`s of one Debian MooseFS 3.0.117 cluster write at
//! once: each its own file, of a size that crosses a chunk boundary, and
//! all of them disjoint block-aligned regions of one shared file, whose
//! chunks they therefore take write leases on in turn. Once every file is
//! closed, every mount must read every file with exactly the bytes written
//! (none lost, none from another writer's region). Needs root, network
//! namespaces, FUSE and the MooseFS packages (scripts/setup.sh).

// The helpers below are test code too; a failed step should stop the test.
#![allow(clippy::unwrap_used)]

mod support;

use std::fs::{self, File, OpenOptions};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use sha2::{Digest, Sha256};
use support::{payload, Cluster, Setup};

const PREFIX: &str = "mntconc";
const SUBNET: &str = "10.233.172.0/24";
const BLOCK: usize = 64 << 10;
const CHUNK: usize = 64 << 20;
/// Each mount's own file: all cross the first chunk boundary, by
/// different amounts and not on a block boundary.
const OWN_SIZES: [usize; 3] = [
    CHUNK + 333,
    CHUNK + (3 << 20) + 4097,
    CHUNK + (1 << 20) + 12345,
];
/// The shared file: one chunk and sixteen blocks, so regions straddle the
/// chunk boundary too.
const SHARED_SIZE: usize = CHUNK + 16 * BLOCK;
/// Bytes per write call.
const PIECE: usize = 1 << 20;

/// The shared file cut into regions of 1 to 40 blocks, handed out to the
/// three mounts in turn: (offset, length, mount index).
fn regions() -> Vec<(usize, usize, usize)> {
    let mut regions = Vec::new();
    let mut offset = 0;
    let mut n = 0;
    while offset < SHARED_SIZE {
        let len = ((n * 7 % 40 + 1) * BLOCK).min(SHARED_SIZE - offset);
        regions.push((offset, len, n % 3));
        offset += len;
        n += 1;
    }
    regions
}

fn sha256(bytes: &[u8]) -> String {
    format!("{:x}", Sha256::digest(bytes))
}

/// What mount `index` writes: its own file, and its regions of the shared
/// one, a piece of each in turn so both are in flight together.
fn writer(mount: PathBuf, index: usize, own: Vec<u8>, shared: Vec<u8>) {
    let own_file = File::create(mount.join(format!("own{index}"))).unwrap();
    let shared_file = OpenOptions::new()
        .write(true)
        .open(mount.join("shared"))
        .unwrap();
    let mut own_pieces = (0..own.len()).step_by(PIECE);
    let mut shared_pieces = regions()
        .into_iter()
        .filter(|&(_, _, owner)| owner == index)
        .flat_map(|(offset, len, _)| {
            (offset..offset + len)
                .step_by(PIECE)
                .map(move |at| (at, offset + len))
        });
    loop {
        let own_step = own_pieces.next().map(|at| {
            let end = (at + PIECE).min(own.len());
            own_file.write_all_at(&own[at..end], at as u64).unwrap();
        });
        let shared_step = shared_pieces.next().map(|(at, region_end)| {
            let end = (at + PIECE).min(region_end);
            shared_file
                .write_all_at(&shared[at..end], at as u64)
                .unwrap();
        });
        if own_step.is_none() && shared_step.is_none() {
            break;
        }
    }
}

fn read_hash(path: &Path) -> String {
    sha256(&fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())))
}

#[test]
fn three_mounts_write_at_once_and_read_back_every_byte() {
    let root = tempfile::Builder::new()
        .prefix("mount-conc")
        .tempdir_in("/tmp")
        .unwrap();
    let setup = Setup {
        mounts: 3,
        ..Setup::new(PREFIX, SUBNET)
    };
    let cluster = Cluster::up(root.path(), &setup);
    let mounts: Vec<PathBuf> = (1..=3).map(|n| cluster.mount(n)).collect();
    let owns: Vec<Vec<u8>> = OWN_SIZES
        .iter()
        .enumerate()
        .map(|(i, &size)| payload(size, 11 + i as u64))
        .collect();
    let shared = payload(SHARED_SIZE, 99);
    File::create(mounts[0].join("shared")).unwrap();

    std::thread::scope(|s| {
        for (index, mount) in mounts.iter().enumerate() {
            let (own, shared) = (owns[index].clone(), shared.clone());
            let mount = mount.clone();
            s.spawn(move || writer(mount, index, own, shared));
        }
    });
    // Each kernel caches a file's attributes for mfsattrcacheto (1 s); past
    // that every mount sees the length the master holds.
    std::thread::sleep(Duration::from_millis(1500));

    let shared_hash = sha256(&shared);
    for mount in &mounts {
        for (index, own) in owns.iter().enumerate() {
            let path = mount.join(format!("own{index}"));
            assert_eq!(read_hash(&path), sha256(own), "{}", path.display());
        }
        let path = mount.join("shared");
        assert_eq!(read_hash(&path), shared_hash, "{}", path.display());
    }
    drop(cluster);
}
