//! Snapshot files: `header length:64 crc:32 body`, the body the postcard
//! encoding of an [`Image`], the CRC-32 over the body, both integers
//! little-endian. The header's index is the last entry the image includes.
//!
//! Encoding happens where the state is (the commit thread, which holds it
//! still meanwhile); checksumming, writing, fsyncing and pruning happen on
//! a thread of their own.

use std::fs;
use std::path::Path;
use std::time::Instant;

use super::format::{self, FileKind, HEADER_LEN};
use super::segment::{self, Listing};
use super::{Image, ImageRef, MetaError};

const PREAMBLE: usize = HEADER_LEN + 12;

/// The snapshot body of `image`.
pub fn encode(image: ImageRef<'_>) -> Result<Vec<u8>, postcard::Error> {
    format::encode(&image)
}

/// Writes `body` (from [`encode`]) as the snapshot as of entry `index`,
/// then removes the snapshots and log segments it makes unnecessary.
pub fn write(dir: &Path, index: u64, body: &[u8]) -> Result<(), MetaError> {
    let started = Instant::now();
    let path = segment::snapshot_path(dir, index);
    let length = (body.len() as u64).to_le_bytes();
    let crc = crc32fast::hash(body).to_le_bytes();
    let header = format::header(FileKind::Snapshot, index);
    segment::write_atomically(dir, &path, &[&header, &length, &crc, body])?;
    tracing::info!(
        index,
        bytes = PREAMBLE + body.len(),
        write_ms = started.elapsed().as_millis() as u64,
        "snapshot written"
    );
    prune(dir, index)
}

/// Reads the snapshot taken at `index`.
pub fn read(dir: &Path, index: u64) -> Result<Image, MetaError> {
    let path = segment::snapshot_path(dir, index);
    let bytes = fs::read(&path).map_err(MetaError::io(&path))?;
    let format_error = |reason: String| MetaError::Format {
        path: path.clone(),
        reason,
    };
    let named = format::parse_header(FileKind::Snapshot, &bytes).map_err(format_error)?;
    if named != index {
        return Err(format_error(format!("header says index {named}")));
    }
    let Some(preamble) = bytes.get(HEADER_LEN..PREAMBLE) else {
        return Err(format_error("no length and checksum".into()));
    };
    let mut length = [0u8; 8];
    length.copy_from_slice(&preamble[..8]);
    let length = u64::from_le_bytes(length);
    let crc = u32::from_le_bytes([preamble[8], preamble[9], preamble[10], preamble[11]]);
    let body = &bytes[PREAMBLE..];
    if body.len() as u64 != length {
        return Err(format_error(format!(
            "body is {} bytes, header says {length}",
            body.len()
        )));
    }
    if crc32fast::hash(body) != crc {
        return Err(format_error("checksum mismatch".into()));
    }
    format::decode(body).map_err(format_error)
}

/// Removes snapshots older than `index` and segments holding only
/// entries up to `index`.
pub fn prune(dir: &Path, index: u64) -> Result<(), MetaError> {
    let Listing {
        segments,
        snapshots,
        ..
    } = segment::list(dir)?;
    let mut doomed: Vec<_> = snapshots
        .into_iter()
        .filter(|&older| older < index)
        .map(|older| segment::snapshot_path(dir, older))
        .collect();
    // A segment ends where the next one starts.
    doomed.extend(
        segments
            .windows(2)
            .filter(|pair| pair[1] <= index + 1)
            .map(|pair| segment::log_path(dir, pair[0])),
    );
    if doomed.is_empty() {
        return Ok(());
    }
    for path in &doomed {
        fs::remove_file(path).map_err(MetaError::io(path))?;
    }
    segment::sync_dir(dir)
}
