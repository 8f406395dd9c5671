//! The log's segment files: which entry each record holds and where it
//! ends, so that openraft's truncation after a conflict can cut a
//! segment at an entry, and purging can drop whole segments.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use super::format::{self, FileKind, HEADER_LEN};
use super::record::{MAX_RECORD, RECORD_HEADER};
use super::segment;
use super::MetaError;
use crate::raft::Entry;

/// Bytes of records, besides one whole record, that a torn last write is
/// allowed to span (a leader writes one Raft entry, one group commit, at
/// a time).
pub const MAX_BATCH: usize = 1 << 20;

/// How far from the end of the last segment damage may start and still be
/// taken for a torn write: one group-commit write at most.
pub const TAIL_ALLOWANCE: usize = MAX_BATCH + RECORD_HEADER + MAX_RECORD;

#[derive(Debug)]
struct Segment {
    first: u64,
    /// The file's length after each record, in order.
    ends: Vec<u64>,
}

impl Segment {
    fn next(&self) -> u64 {
        self.first + self.ends.len() as u64
    }
}

/// The segments of one data directory; the last one is appended to.
#[derive(Debug)]
pub struct LogFiles {
    dir: PathBuf,
    segments: Vec<Segment>,
    active: File,
}

impl LogFiles {
    /// Reads every segment in `dir` and returns the entries after
    /// `purged`. Segments must continue each other; a torn last write is
    /// cut off; segments holding only purged entries are removed.
    pub fn open(dir: &Path, purged: Option<u64>) -> Result<(LogFiles, Vec<Entry>), MetaError> {
        let listed = segment::list(dir)?.segments;
        let first_kept = purged.map_or(0, |index| index + 1);
        let mut segments: Vec<Segment> = Vec::new();
        let mut entries = Vec::new();
        for (n, &first) in listed.iter().enumerate() {
            // A purge past the end of the log starts the next segment
            // after the purged entries, leaving a gap nothing needs.
            let expected = match segments.last().map(Segment::next) {
                Some(next) if next < first_kept && first == first_kept => first_kept,
                Some(next) => next,
                None => first.min(first_kept),
            };
            if first != expected {
                return Err(MetaError::Gap {
                    expected,
                    detail: format!("the next segment starts at entry {first}"),
                });
            }
            let last = n + 1 == listed.len();
            let read = segment::read::<Entry>(dir, first, if last { TAIL_ALLOWANCE } else { 0 })?;
            if read.torn {
                tracing::warn!(
                    segment = %segment::log_path(dir, first).display(),
                    keep_bytes = read.valid_len,
                    "dropping a torn last write (never acknowledged)"
                );
                segment::truncate(dir, first, read.valid_len)?;
            }
            let mut end = HEADER_LEN as u64;
            let ends = read
                .sizes
                .iter()
                .map(|&size| {
                    end += size as u64;
                    end
                })
                .collect();
            for (offset, entry) in read.entries.into_iter().enumerate() {
                let index = first + offset as u64;
                if entry.log_id.index != index {
                    return Err(MetaError::Format {
                        path: segment::log_path(dir, first),
                        reason: format!("entry {index} says it is {}", entry.log_id.index),
                    });
                }
                if index >= first_kept {
                    entries.push(entry);
                }
            }
            segments.push(Segment { first, ends });
        }
        // Every segment may be purged when a purge went past the end of
        // the log and the master stopped before starting the next one.
        let next = segments
            .last()
            .map_or(first_kept, Segment::next)
            .max(first_kept);
        let active = match segments.last() {
            Some(last) if last.next() == next => open_append(dir, last.first)?,
            _ => {
                segments.push(Segment {
                    first: next,
                    ends: Vec::new(),
                });
                create(dir, next)?
            }
        };
        let mut files = LogFiles {
            dir: dir.to_owned(),
            segments,
            active,
        };
        if let Some(upto) = purged {
            files.remove_purged(upto)?;
        }
        Ok((files, entries))
    }

    /// The index the next appended entry gets.
    pub fn next(&self) -> u64 {
        self.segments.last().map_or(0, Segment::next)
    }

    /// Appends framed records of the given lengths and waits until they
    /// are on disk.
    pub fn append(&mut self, records: &[u8], sizes: &[usize]) -> Result<(), MetaError> {
        let path = self.active_path();
        self.active
            .write_all(records)
            .and_then(|()| self.active.sync_data())
            .map_err(MetaError::io(&path))?;
        if let Some(segment) = self.segments.last_mut() {
            let mut end = segment.ends.last().copied().unwrap_or(HEADER_LEN as u64);
            for &size in sizes {
                end += size as u64;
                segment.ends.push(end);
            }
        }
        Ok(())
    }

    /// Removes entry `from` and every entry after it.
    pub fn truncate(&mut self, from: u64) -> Result<(), MetaError> {
        let mut removed = false;
        while self.segments.last().is_some_and(|last| last.first > from) {
            if let Some(last) = self.segments.pop() {
                let path = segment::log_path(&self.dir, last.first);
                fs::remove_file(&path).map_err(MetaError::io(&path))?;
                removed = true;
            }
        }
        if removed {
            segment::sync_dir(&self.dir)?;
        }
        match self.segments.last_mut() {
            Some(last) => {
                let keep = (from - last.first) as usize;
                let len = keep
                    .checked_sub(1)
                    .and_then(|n| last.ends.get(n).copied())
                    .unwrap_or(HEADER_LEN as u64);
                last.ends.truncate(keep);
                segment::truncate(&self.dir, last.first, len)?;
                self.active = open_append(&self.dir, last.first)?;
            }
            None => self.roll_at(from)?,
        }
        Ok(())
    }

    /// Removes the segments that hold only entries up to `upto`, after
    /// closing the active one if it holds any, so that it can go next time.
    pub fn purge(&mut self, upto: u64) -> Result<(), MetaError> {
        if self.segments.last().is_some_and(|last| last.first <= upto) {
            // Past the end of the log (a snapshot came from the leader),
            // the next entry is the first after the purged ones.
            self.roll_at(self.next().max(upto + 1))?;
        }
        self.remove_purged(upto)
    }

    fn remove_purged(&mut self, upto: u64) -> Result<(), MetaError> {
        let doomed = self
            .segments
            .iter()
            .take(self.segments.len().saturating_sub(1))
            .take_while(|segment| segment.next() <= upto + 1)
            .count();
        if doomed == 0 {
            return Ok(());
        }
        for segment in self.segments.drain(..doomed) {
            let path = segment::log_path(&self.dir, segment.first);
            fs::remove_file(&path).map_err(MetaError::io(&path))?;
        }
        segment::sync_dir(&self.dir)
    }

    fn roll_at(&mut self, first: u64) -> Result<(), MetaError> {
        self.active = create(&self.dir, first)?;
        self.segments.push(Segment {
            first,
            ends: Vec::new(),
        });
        Ok(())
    }

    fn active_path(&self) -> PathBuf {
        segment::log_path(&self.dir, self.segments.last().map_or(0, |s| s.first))
    }
}

/// Starts an empty segment whose first entry will be `first`; its header
/// is durable before anything is appended.
fn create(dir: &Path, first: u64) -> Result<File, MetaError> {
    let path = segment::log_path(dir, first);
    segment::write_atomically(dir, &path, &[&format::header(FileKind::Log, first)])?;
    open_append(dir, first)
}

fn open_append(dir: &Path, first: u64) -> Result<File, MetaError> {
    let path = segment::log_path(dir, first);
    OpenOptions::new()
        .append(true)
        .open(&path)
        .map_err(MetaError::io(&path))
}
