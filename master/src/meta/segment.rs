//! Log segment files: naming, listing, reading and cutting.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;

use super::format::{self, FileKind, HEADER_LEN};
use super::record::{self, Damage, RECORD_HEADER};
use super::MetaError;

const LOG_PREFIX: &str = "log-";
const SNAPSHOT_PREFIX: &str = "snapshot-";
pub const TMP_SUFFIX: &str = ".tmp";

pub fn log_path(dir: &Path, first: u64) -> PathBuf {
    dir.join(format!("{LOG_PREFIX}{first:020}"))
}

pub fn snapshot_path(dir: &Path, index: u64) -> PathBuf {
    dir.join(format!("{SNAPSHOT_PREFIX}{index:020}"))
}

/// The files of a data directory, each list sorted by index.
#[derive(Debug, Default)]
pub struct Listing {
    pub segments: Vec<u64>,
    pub snapshots: Vec<u64>,
    /// Leftovers of writes a crash interrupted.
    pub temporary: Vec<PathBuf>,
}

pub fn list(dir: &Path) -> Result<Listing, MetaError> {
    let mut listing = Listing::default();
    for item in fs::read_dir(dir).map_err(MetaError::io(dir))? {
        let item = item.map_err(MetaError::io(dir))?;
        let name = item.file_name();
        let Some(name) = name.to_str() else { continue };
        if name.ends_with(TMP_SUFFIX) {
            listing.temporary.push(item.path());
        } else if let Some(index) = index_after(name, LOG_PREFIX) {
            listing.segments.push(index);
        } else if let Some(index) = index_after(name, SNAPSHOT_PREFIX) {
            listing.snapshots.push(index);
        }
    }
    listing.segments.sort_unstable();
    listing.snapshots.sort_unstable();
    Ok(listing)
}

fn index_after(name: &str, prefix: &str) -> Option<u64> {
    name.strip_prefix(prefix)?.parse().ok()
}

/// Makes renames and removals in `dir` durable.
pub fn sync_dir(dir: &Path) -> Result<(), MetaError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(MetaError::io(dir))
}

/// Writes `parts` one after the other as the whole of `path`: to a
/// temporary file, fsynced, then renamed over, then the directory fsynced.
pub fn write_atomically(dir: &Path, path: &Path, parts: &[&[u8]]) -> Result<(), MetaError> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(TMP_SUFFIX);
    let tmp = PathBuf::from(tmp);
    let mut file = File::create(&tmp).map_err(MetaError::io(&tmp))?;
    parts
        .iter()
        .try_for_each(|part| file.write_all(part))
        .and_then(|()| file.sync_all())
        .map_err(MetaError::io(&tmp))?;
    fs::rename(&tmp, path).map_err(MetaError::io(path))?;
    sync_dir(dir)
}

/// The entries of one segment.
#[derive(Debug)]
pub struct SegmentRead<T> {
    pub entries: Vec<T>,
    /// Each entry's record length, header included, in order.
    pub sizes: Vec<usize>,
    /// Where the intact records end.
    pub valid_len: u64,
    /// Bytes after `valid_len` that a torn last write left.
    pub torn: bool,
}

/// Reads a segment. Damage is tolerated only as a torn tail of the last
/// segment, within `tail_allowance` bytes of its end.
pub fn read<T: DeserializeOwned>(
    dir: &Path,
    first: u64,
    tail_allowance: usize,
) -> Result<SegmentRead<T>, MetaError> {
    let path = log_path(dir, first);
    let bytes = fs::read(&path).map_err(MetaError::io(&path))?;
    let format_error = |reason: String| MetaError::Format {
        path: path.clone(),
        reason,
    };
    let named = format::parse_header(FileKind::Log, &bytes).map_err(format_error)?;
    if named != first {
        return Err(format_error(format!("header says first entry {named}")));
    }
    let body = &bytes[HEADER_LEN..];
    let scan = record::scan(body, tail_allowance);
    if let Some(Damage::Corrupt { at }) = scan.damage {
        return Err(MetaError::Corrupt {
            path,
            offset: HEADER_LEN + at,
        });
    }
    let entries = scan
        .records
        .iter()
        .enumerate()
        .map(|(n, payload)| {
            format::decode(payload)
                .map_err(|reason| format_error(format!("entry {}: {reason}", first + n as u64)))
        })
        .collect::<Result<Vec<T>, MetaError>>()?;
    Ok(SegmentRead {
        entries,
        sizes: scan
            .records
            .iter()
            .map(|payload| RECORD_HEADER + payload.len())
            .collect(),
        valid_len: (HEADER_LEN + scan.valid_len) as u64,
        torn: scan.damage.is_some(),
    })
}

/// Cuts a torn tail off the segment starting at `first`.
pub fn truncate(dir: &Path, first: u64, len: u64) -> Result<(), MetaError> {
    let path = log_path(dir, first);
    OpenOptions::new()
        .write(true)
        .open(&path)
        .and_then(|file| file.set_len(len).and_then(|()| file.sync_all()))
        .map_err(MetaError::io(&path))
}
