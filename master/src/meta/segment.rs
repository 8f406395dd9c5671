//! Log segment files: naming, listing, appending and reading.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use super::format::{self, FileKind, HEADER_LEN};
use super::record::{self, Damage};
use super::{LogEntry, MetaError};

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

/// The open segment new entries are appended to.
#[derive(Debug)]
pub struct LogWriter {
    dir: PathBuf,
    path: PathBuf,
    file: File,
    next: u64,
}

impl LogWriter {
    /// Starts an empty segment whose first entry will be `first`.
    pub fn create(dir: &Path, first: u64) -> Result<LogWriter, MetaError> {
        let path = log_path(dir, first);
        write_atomically(dir, &path, &[&format::header(FileKind::Log, first)])?;
        LogWriter::append_to(dir, first, first)
    }

    /// Reopens the segment starting at `first`, whose intact records end
    /// with entry `next - 1`.
    pub fn append_to(dir: &Path, first: u64, next: u64) -> Result<LogWriter, MetaError> {
        let path = log_path(dir, first);
        let file = OpenOptions::new()
            .append(true)
            .open(&path)
            .map_err(MetaError::io(&path))?;
        Ok(LogWriter {
            dir: dir.to_owned(),
            path,
            file,
            next,
        })
    }

    /// The index the next appended entry gets.
    pub fn next_index(&self) -> u64 {
        self.next
    }

    /// Appends `count` framed records and waits until they are on disk.
    pub fn append(&mut self, records: &[u8], count: u64) -> Result<(), MetaError> {
        self.file
            .write_all(records)
            .and_then(|()| self.file.sync_data())
            .map_err(MetaError::io(&self.path))?;
        self.next += count;
        Ok(())
    }

    /// Closes this segment and continues in a new one, so that a snapshot
    /// of everything so far makes every older segment removable.
    pub fn roll(&mut self) -> Result<(), MetaError> {
        *self = LogWriter::create(&self.dir, self.next)?;
        Ok(())
    }
}

/// The entries of one segment.
#[derive(Debug)]
pub struct SegmentRead {
    pub entries: Vec<LogEntry>,
    /// Where the intact records end.
    pub valid_len: u64,
    /// Bytes after `valid_len` that a torn last write left.
    pub torn: bool,
}

/// Reads a segment. Damage is tolerated only as a torn tail of the last
/// segment, within `tail_allowance` bytes of its end.
pub fn read(dir: &Path, first: u64, tail_allowance: usize) -> Result<SegmentRead, MetaError> {
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
        .collect::<Result<Vec<LogEntry>, MetaError>>()?;
    Ok(SegmentRead {
        entries,
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
