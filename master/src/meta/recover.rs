//! Bringing a data directory back to the state its last acknowledged
//! entry left.

use std::fs;
use std::path::Path;
use std::time::Instant;

use super::committer::MAX_BATCH;
use super::record::{MAX_RECORD, RECORD_HEADER};
use super::segment::{self, LogWriter};
use super::{snapshot, Image, MetaError};

/// How far from the end of the last segment damage may start and still be
/// taken for a torn write: one group-commit write at most.
pub const TAIL_ALLOWANCE: usize = MAX_BATCH + RECORD_HEADER + MAX_RECORD;

/// The state a data directory holds, and the log positioned to continue it.
#[derive(Debug)]
pub struct Recovered {
    pub image: Image,
    pub writer: LogWriter,
    /// The index of the snapshot recovery started from.
    pub snapshot_index: u64,
}

/// Loads the newest valid snapshot in `dir` and replays the log after it.
/// An empty or missing directory is initialised with `meta_id` and a root
/// directory created at `ts`. A torn last write is cut off; any other damage, a gap
/// in the log or an inconsistent tree is an error.
pub fn recover(dir: &Path, meta_id: u64, ts: u32) -> Result<Recovered, MetaError> {
    let started = Instant::now();
    fs::create_dir_all(dir).map_err(MetaError::io(dir))?;
    let listing = segment::list(dir)?;
    for leftover in &listing.temporary {
        tracing::info!(path = %leftover.display(), "removing an interrupted write");
        fs::remove_file(leftover).map_err(MetaError::io(leftover))?;
    }
    if listing.snapshots.is_empty() {
        if !listing.segments.is_empty() {
            return Err(MetaError::NoSnapshot { dir: dir.into() });
        }
        tracing::info!(dir = %dir.display(), "new metadata directory");
        // The directory itself may be new: make its name durable too.
        if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
            segment::sync_dir(parent)?;
        }
        let image = Image::new(meta_id, ts);
        let body = snapshot::encode(image.borrow()).map_err(|e| MetaError::Format {
            path: dir.into(),
            reason: format!("cannot encode the first snapshot: {e}"),
        })?;
        snapshot::write(dir, 0, &body)?;
        let writer = LogWriter::create(dir, 1)?;
        return Ok(Recovered {
            image,
            writer,
            snapshot_index: 0,
        });
    }
    let (snapshot_index, mut image) = newest_snapshot(dir, &listing.snapshots)?;
    snapshot::prune(dir, snapshot_index)?;
    let segments = segment::list(dir)?.segments;
    let mut next = snapshot_index + 1;
    let mut writer = None;
    for (n, &first) in segments.iter().enumerate() {
        let last = n + 1 == segments.len();
        if first > next {
            return Err(MetaError::Gap {
                expected: next,
                detail: format!("the next segment starts at entry {first}"),
            });
        }
        if n > 0 && first < next {
            return Err(MetaError::Gap {
                expected: next,
                detail: format!("segment {first} overlaps the one before it"),
            });
        }
        let read = segment::read(dir, first, if last { TAIL_ALLOWANCE } else { 0 })?;
        let end = first + read.entries.len() as u64;
        for entry in read.entries.iter().skip((next - first) as usize) {
            image.apply(entry);
        }
        next = next.max(end);
        if read.torn {
            tracing::warn!(
                segment = %segment::log_path(dir, first).display(),
                keep_bytes = read.valid_len,
                "dropping a torn last write (never acknowledged)"
            );
            segment::truncate(dir, first, read.valid_len)?;
        }
        if last && end == next {
            writer = Some(LogWriter::append_to(dir, first, next)?);
        }
    }
    let writer = match writer {
        Some(writer) => writer,
        None => LogWriter::create(dir, next)?,
    };
    let problems = image.namespace.check();
    if !problems.is_empty() {
        return Err(MetaError::Inconsistent(problems));
    }
    tracing::info!(
        snapshot_index,
        replayed = next - 1 - snapshot_index,
        nodes = image.namespace.node_count(),
        chunks = image.chunks.len(),
        ms = started.elapsed().as_millis() as u64,
        "metadata recovered"
    );
    Ok(Recovered {
        image,
        writer,
        snapshot_index,
    })
}

/// The newest snapshot that reads back intact; a damaged one is skipped
/// with a log line, as long as an older one remains.
fn newest_snapshot(dir: &Path, indexes: &[u64]) -> Result<(u64, Image), MetaError> {
    let mut first_error = None;
    for &index in indexes.iter().rev() {
        match snapshot::read(dir, index) {
            Ok(image) => return Ok((index, image)),
            Err(error) => {
                tracing::error!(%error, "snapshot unusable; trying an older one");
                first_error.get_or_insert(error);
            }
        }
    }
    Err(first_error.unwrap_or(MetaError::NoSnapshot { dir: dir.into() }))
}
