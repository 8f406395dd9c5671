//! The workload every cell runs, as named steps in a fixed order; which
//! chunk checks apply depends on the cell's chunkservers.

mod attrs;
mod bigfile;
mod chunks;
mod files;
mod locks;
mod mfstools;
mod trash;

use mooseng_tools::Flavor;

use super::cell::Cell;
use super::env::Env;
use super::step::Step;

macro_rules! step {
    ($module:ident :: $name:ident, $checks:expr) => {
        Step {
            name: stringify!($name),
            checks: $checks,
            run: $module::$name,
        }
    };
}

/// Every step any cell may run, in order: what needs only the client
/// first, then what needs MooseFS's tools or a meta mount through it, so a
/// client lacking those still shows how far plain file work gets.
pub fn all_steps() -> Vec<Step<Env>> {
    vec![
        step!(files::create_write_read, "a written file reads back the same through both mounts"),
        step!(files::truncate, "shrinking then extending a file keeps the head and zero-fills the rest"),
        step!(files::fsync, "data fsync'ed on mount 1 has its full length on mount 2"),
        step!(files::rename, "rename in place, across directories and over an existing file"),
        step!(files::link, "hard links share the inode, count links, keep data after unlink"),
        step!(files::symlink, "symlinks keep their target, resolve, and lstat as links"),
        step!(files::mknod, "mknod of character and block devices (with device numbers) and a file"),
        step!(files::mkfifo, "mkfifo makes a FIFO with its mode"),
        step!(files::mkdir_rmdir, "nested mkdir; rmdir refuses a non-empty directory, then empties it"),
        step!(files::readdir, "a listing of 300 entries with names up to 203 bytes is exact"),
        step!(files::chmod, "mode bits including setuid show on the other mount"),
        step!(files::chown, "root's chown to 1234:5678 shows on the other mount"),
        step!(files::utimes, "explicit atime and mtime are kept"),
        step!(attrs::xattrs, "a user xattr is set, read, listed and removed"),
        step!(attrs::acls, "an access ACL reads back; a default ACL is inherited by a new file"),
        step!(locks::flock_locks, "an exclusive flock on mount 1 refuses exclusive and shared flocks on mount 2 until released"),
        step!(locks::posix_locks, "the same with POSIX (fcntl) locks"),
        step!(bigfile::large_file_goal2, "the large file at goal 2 reads back with the same SHA-256 through mount 2, and mfsfileinfo shows 2 valid copies of each chunk"),
        step!(trash::trash_undelete, "a deleted file appears in its trash bucket of a meta mount made by the cell's client, and moving it to undel restores it"),
        step!(mfstools::snapshot, "mfsmakesnapshot keeps the old contents while the original changes"),
        step!(mfstools::goal_change, "raising a file's goal from 1 to 3 leads to 3 valid copies in mfsfileinfo"),
        step!(mfstools::mfscli_info, "mfscli -SIN shows the master version and file count, the chunk loop and the check loop"),
        step!(mfstools::mfscli_chunkservers, "mfscli -SCS lists the three chunkservers"),
        step!(chunks::mfschunktool_on_ng_chunks, "(cells with MooseNG chunkservers) mfschunktool -x finds every chunk file they wrote OK"),
        step!(chunks::ng_verify_on_mfs_chunks, "(cells with MooseFS chunkservers) mooseng_chunkserver::chunk_file verification finds every chunk file they wrote sound"),
    ]
}

/// The steps `cell` runs: all of them, except the chunk-file checks of a
/// flavor the cell has no chunkserver of.
pub fn steps_for(cell: &Cell) -> Vec<Step<Env>> {
    all_steps()
        .into_iter()
        .filter(|step| match step.name {
            "mfschunktool_on_ng_chunks" => cell.chunkservers.has(Flavor::Ng),
            "ng_verify_on_mfs_chunks" => cell.chunkservers.has(Flavor::Mfs),
            _ => true,
        })
        .collect()
}

/// Deterministic bytes that do not repeat within a chunk, so a block put
/// at the wrong offset is caught.
#[derive(Debug, Clone)]
pub struct Pattern {
    state: u64,
}

impl Pattern {
    pub fn new(seed: u64) -> Pattern {
        Pattern { state: seed | 1 }
    }

    /// Fills `out` with the next bytes (xorshift64, eight bytes a step; a
    /// length that is not a multiple of 8 drops the rest of its last word).
    pub fn fill(&mut self, out: &mut [u8]) {
        for word in out.chunks_mut(8) {
            self.state ^= self.state << 13;
            self.state ^= self.state >> 7;
            self.state ^= self.state << 17;
            word.copy_from_slice(&self.state.to_le_bytes()[..word.len()]);
        }
    }
}

/// `len` bytes of [`Pattern`] from `seed`.
pub fn pattern(len: usize, seed: u64) -> Vec<u8> {
    let mut out = vec![0u8; len];
    Pattern::new(seed).fill(&mut out);
    out
}

/// Valid copies of each chunk in `mfsfileinfo` output, in chunk order:
/// a `chunk N:` line followed by its `copy N: ... (status:VALID)` lines.
pub fn copies_per_chunk(fileinfo: &str) -> Vec<usize> {
    let mut copies = Vec::new();
    for line in fileinfo.lines().map(str::trim_start) {
        if line.starts_with("chunk ") {
            copies.push(0);
        } else if line.starts_with("copy ") && line.ends_with("(status:VALID)") {
            if let Some(count) = copies.last_mut() {
                *count += 1;
            }
        }
    }
    copies
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::matrix::cell::Chunkservers;

    #[test]
    fn counts_valid_copies_per_chunk() {
        let text = "/m/f:\n\tchunk 0: 0000000000000001_00000001 / (id:1 ver:1)\n\
            \t\tcopy 1: 10.233.119.12:9422 (status:VALID)\n\
            \t\tcopy 2: 10.233.119.13:9422 (status:VALID)\n\
            \tchunk 1: 0000000000000002_00000001 / (id:2 ver:1)\n\
            \t\tcopy 1: 10.233.119.12:9422 (status:INVALID)\n\
            \tchunk 2: 0000000000000003_00000001 / (id:3 ver:1)\n\
            \t\tno valid copies !!!\n";
        assert_eq!(copies_per_chunk(text), [2, 0, 0]);
    }

    #[test]
    fn pattern_is_deterministic_and_does_not_repeat_early() {
        let a = pattern(1 << 16, 5);
        assert_eq!(a, pattern(1 << 16, 5));
        assert_ne!(a[..4096], a[4096..8192]);
        let mut streamed = Pattern::new(5);
        let mut first = vec![0u8; 1000];
        streamed.fill(&mut first);
        assert_eq!(first, a[..1000]);
    }

    #[test]
    fn chunk_checks_follow_the_chunkservers() {
        let names = |chunkservers| {
            let cell = Cell {
                client: Flavor::Mfs,
                master: Flavor::Mfs,
                chunkservers,
            };
            steps_for(&cell).iter().map(|s| s.name).collect::<Vec<_>>()
        };
        let all_mfs = names(Chunkservers::AllMfs);
        assert!(all_mfs.contains(&"ng_verify_on_mfs_chunks"));
        assert!(!all_mfs.contains(&"mfschunktool_on_ng_chunks"));
        assert!(!names(Chunkservers::AllNg).contains(&"ng_verify_on_mfs_chunks"));
        assert_eq!(names(Chunkservers::Mixed).len(), all_mfs.len() + 1);
    }
}
