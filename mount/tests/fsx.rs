//! fsx in the manner of the classic file system exerciser: a long random
//! sequence of writes, reads, truncations, mapped reads and writes, fsyncs
//! and reopenings is applied to one file on `mooseng-mount` and to a
//! reference file on local disk, and the two must read alike after every
//! read and at the end. The file is sparse and up to three chunks long, so
//! offsets near 64 KiB block and 64 MiB chunk boundaries are cheap to
//! reach. Runs against a Debian MooseFS 3.0.117 master and chunkservers,
//! and against `mooseng-master` with `mooseng-chunkserver`s (built by the
//! test); the two run side by side.
//!
//! `FSX_SEED` and `FSX_OPS` override the fixed seed and the number of
//! operations; a failure names the seed, the step and the last operations,
//! so it can be replayed. Needs root, network namespaces, FUSE and the
//! MooseFS packages (scripts/setup.sh).

// The helpers below are test code too; a failed step should stop the test.
#![allow(clippy::unwrap_used)]

mod support;

use std::collections::{BTreeMap, VecDeque};
use std::fs::{File, OpenOptions};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use memmap2::{MmapMut, MmapOptions};
use mooseng_tools::Flavor;
use support::{payload, Cluster, Setup};

const PREFIX: &str = "mntfsx";
const SUBNET: &str = "10.233.156.0/24";
const NG_PREFIX: &str = "mntfsxng";
const NG_SUBNET: &str = "10.233.157.0/24";
const BLOCK: u64 = 64 << 10;
const CHUNK: u64 = 64 << 20;
/// Three chunks and a bit: every operation stays below this.
const MAX_SIZE: u64 = 3 * CHUNK + (1 << 20);
const DEFAULT_SEED: u64 = 0x6d6f_6f73_656e_6721;
const DEFAULT_OPS: u64 = 100_000;
/// On MooseNG's debug-built master and chunkservers an operation takes
/// about twice as long, so by default fewer run there to keep the test
/// within a few minutes; `FSX_OPS=100000` passed too (docs/mount.md).
const DEFAULT_OPS_ON_MOOSENG: u64 = 20_000;
/// Operations kept for the failure report.
const HISTORY: usize = 24;

/// xorshift64*: small, seeded, and good enough to pick operations.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

#[derive(Debug, Clone, Copy)]
enum Op {
    Write { offset: u64, len: u64 },
    Read { offset: u64, len: u64 },
    MapWrite { offset: u64, len: u64 },
    MapRead { offset: u64, len: u64 },
    Truncate { size: u64 },
    Fsync,
    Reopen,
}

impl Op {
    fn kind(self) -> &'static str {
        match self {
            Op::Write { .. } => "write",
            Op::Read { .. } => "read",
            Op::MapWrite { .. } => "mmap write",
            Op::MapRead { .. } => "mmap read",
            Op::Truncate { .. } => "truncate",
            Op::Fsync => "fsync",
            Op::Reopen => "close/reopen",
        }
    }
}

/// Maps `len` bytes of `file` from `offset` (any alignment) shared and
/// writable.
#[allow(unsafe_code)]
fn map(file: &File, offset: u64, len: u64) -> MmapMut {
    // SAFETY: the map lives only inside one operation of this test, which
    // neither truncates the file nor writes it by other means meanwhile,
    // and the range lies inside the file, so no access faults.
    unsafe {
        MmapOptions::new()
            .offset(offset)
            .len(len as usize)
            .map_mut(file)
    }
    .expect("mmap")
}

fn open(path: &Path) -> File {
    OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
        .expect("open")
}

/// The file on the mount and its reference twin, with what is known of
/// them.
struct Fsx {
    rng: Rng,
    seed: u64,
    step: u64,
    size: u64,
    paths: [PathBuf; 2],
    files: [File; 2],
    history: VecDeque<Op>,
    /// Operations done and time spent, by kind, for the closing report.
    spent: BTreeMap<&'static str, (u64, Duration)>,
}

impl Fsx {
    fn new(seed: u64, paths: [PathBuf; 2]) -> Self {
        let files = [open(&paths[0]), open(&paths[1])];
        Fsx {
            rng: Rng(seed),
            seed,
            step: 0,
            size: 0,
            paths,
            files,
            history: VecDeque::new(),
            spent: BTreeMap::new(),
        }
    }

    fn fail(&self, what: &str) -> ! {
        panic!(
            "fsx seed {:#x} step {}: {what}\nlast operations, oldest first:\n{:#?}",
            self.seed, self.step, self.history
        );
    }

    /// An offset below `limit`: near a chunk or block boundary more often
    /// than chance would put it there.
    fn offset(&mut self, limit: u64) -> u64 {
        let jitter = self.rng.below(2 * 4096) as i64 - 4096;
        let base = match self.rng.below(8) {
            0 => self.rng.below(MAX_SIZE / CHUNK + 1) * CHUNK,
            1..=2 => self.rng.below(MAX_SIZE / BLOCK) * BLOCK,
            _ => return self.rng.below(limit.max(1)),
        };
        (base as i64 + jitter).clamp(0, limit.saturating_sub(1) as i64) as u64
    }

    fn len(&mut self) -> u64 {
        match self.rng.below(16) {
            0 => 1 + self.rng.below(3 * BLOCK),
            1..=4 => 1 + self.rng.below(BLOCK),
            _ => 1 + self.rng.below(8192),
        }
    }

    /// Length of a mapped access: short, as each costs page faults and
    /// an msync, sometimes a whole block.
    fn map_len(&mut self) -> u64 {
        match self.rng.below(8) {
            0 => 1 + self.rng.below(BLOCK),
            _ => 1 + self.rng.below(16 << 10),
        }
    }

    fn pick(&mut self) -> Op {
        match self.rng.below(100) {
            0..=31 => {
                let offset = self.offset(MAX_SIZE);
                let len = self.len().min(MAX_SIZE - offset);
                Op::Write { offset, len }
            }
            32..=58 => {
                let offset = self.offset(self.size + 1);
                let len = self.len();
                Op::Read { offset, len }
            }
            59..=65 if self.size > 0 => {
                let offset = self.offset(self.size);
                let len = self.map_len().min(self.size - offset);
                Op::MapWrite { offset, len }
            }
            66..=73 if self.size > 0 => {
                let offset = self.offset(self.size);
                let len = self.map_len().min(self.size - offset);
                Op::MapRead { offset, len }
            }
            74..=83 => {
                let size = match self.rng.below(3) {
                    0 => self.size.saturating_sub(self.rng.below(3 * BLOCK)),
                    _ => self.offset(MAX_SIZE),
                };
                Op::Truncate { size }
            }
            84..=90 => Op::Fsync,
            _ => Op::Reopen,
        }
    }

    fn apply(&mut self, op: Op) {
        self.history.push_back(op);
        if self.history.len() > HISTORY {
            self.history.pop_front();
        }
        let started = Instant::now();
        self.run(op);
        let spent = self.spent.entry(op.kind()).or_default();
        *spent = (spent.0 + 1, spent.1 + started.elapsed());
    }

    fn run(&mut self, op: Op) {
        match op {
            Op::Write { offset, len } => {
                let bytes = payload(len as usize, self.rng.next());
                for file in &self.files {
                    file.write_all_at(&bytes, offset).expect("pwrite");
                }
                self.size = self.size.max(offset + len);
            }
            Op::Read { offset, len } => {
                let [mount, local] = self.read_both(|f, buf| f.read_at(buf, offset), len);
                self.same(&mount, &local, offset);
            }
            Op::MapWrite { offset, len } => {
                let bytes = payload(len as usize, self.rng.next());
                for file in &self.files {
                    let mut mapped = map(file, offset, len);
                    mapped.copy_from_slice(&bytes);
                    mapped.flush().expect("msync");
                }
            }
            Op::MapRead { offset, len } => {
                let [mount, local] =
                    [&self.files[0], &self.files[1]].map(|f| map(f, offset, len).to_vec());
                self.same(&mount, &local, offset);
            }
            Op::Truncate { size } => {
                for file in &self.files {
                    file.set_len(size).expect("ftruncate");
                }
                self.size = size;
                self.check_size();
            }
            Op::Fsync => {
                for file in &self.files {
                    file.sync_all().expect("fsync");
                }
            }
            Op::Reopen => {
                self.files = [open(&self.paths[0]), open(&self.paths[1])];
                self.check_size();
            }
        }
    }

    /// Reads up to `len` bytes from both files with `read`, to the end or
    /// the length.
    fn read_both(
        &self,
        read: impl Fn(&File, &mut [u8]) -> std::io::Result<usize>,
        len: u64,
    ) -> [Vec<u8>; 2] {
        [&self.files[0], &self.files[1]].map(|file| {
            let mut buf = vec![0; len as usize];
            let n = read(file, &mut buf).expect("pread");
            buf.truncate(n);
            buf
        })
    }

    fn same(&self, mount: &[u8], local: &[u8], offset: u64) {
        if mount.len() != local.len() {
            self.fail(&format!(
                "read at {offset} gave {} bytes, the reference {}",
                mount.len(),
                local.len()
            ));
        }
        if let Some(i) = mount.iter().zip(local).position(|(a, b)| a != b) {
            self.fail(&format!(
                "byte {} differs: {:#04x} on the mount, {:#04x} in the reference",
                offset + i as u64,
                mount[i],
                local[i]
            ));
        }
    }

    fn check_size(&self) {
        let len = self.files[0].metadata().expect("fstat").len();
        if len != self.size {
            self.fail(&format!(
                "the mount says {len} bytes, expected {}",
                self.size
            ));
        }
    }

    /// Compares the whole files through a fresh descriptor, 1 MiB at a time.
    fn compare_all(&mut self) {
        self.files = [open(&self.paths[0]), open(&self.paths[1])];
        self.check_size();
        let mut offset = 0;
        while offset < self.size {
            let len = (1 << 20).min(self.size - offset);
            let [mount, local] = self.read_both(|f, buf| f.read_at(buf, offset), len);
            self.same(&mount, &local, offset);
            offset += len;
        }
    }
}

fn env_u64(name: &str, default: u64) -> u64 {
    match std::env::var(name) {
        Ok(v) => {
            let v = v.trim();
            match v.strip_prefix("0x") {
                Some(hex) => u64::from_str_radix(hex, 16),
                None => v.parse(),
            }
            .unwrap_or_else(|e| panic!("{name}={v}: {e}"))
        }
        Err(_) => default,
    }
}

/// Runs the sequence (`default_ops` long unless `FSX_OPS` says otherwise)
/// on a cluster of `setup` and compares at the end.
fn exercise(setup: &Setup, default_ops: u64) {
    let seed = env_u64("FSX_SEED", DEFAULT_SEED);
    let ops = env_u64("FSX_OPS", default_ops);
    let root = tempfile::Builder::new()
        .prefix("mount-fsx")
        .tempdir_in("/tmp")
        .unwrap();
    let cluster = Cluster::up(root.path(), setup);
    let paths = [
        cluster.mount(0).join("fsx"),
        root.path().join("fsx.reference"),
    ];
    let mut fsx = Fsx::new(seed, paths);
    let started = Instant::now();
    while fsx.step < ops {
        let op = fsx.pick();
        fsx.apply(op);
        fsx.step += 1;
    }
    fsx.compare_all();
    eprintln!(
        "fsx on {} seed {seed:#x}: {ops} operations in {:?}, final size {}",
        setup.prefix,
        started.elapsed(),
        fsx.size
    );
    for (kind, (count, spent)) in &fsx.spent {
        eprintln!("  {kind}: {count} in {spent:?}");
    }
    drop(fsx);
    drop(cluster);
}

#[test]
fn random_operations_read_back_like_a_local_file_on_moosefs() {
    exercise(
        &Setup {
            chunkservers: 2,
            ..Setup::new(PREFIX, SUBNET)
        },
        DEFAULT_OPS,
    );
}

#[test]
fn random_operations_read_back_like_a_local_file_on_mooseng() {
    support::build_mooseng_daemons();
    exercise(
        &Setup {
            chunkservers: 2,
            daemons: Flavor::Ng,
            ..Setup::new(NG_PREFIX, NG_SUBNET)
        },
        DEFAULT_OPS_ON_MOOSENG,
    );
}
