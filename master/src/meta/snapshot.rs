//! Snapshot files: `header length:64 crc:32 body`, both integers
//! little-endian, the CRC-32 over the body. The body is the length of the
//! encoded openraft `SnapshotMeta` (`u32`, little-endian), that encoding,
//! then the postcard encoding of an [`Image`]; the image bytes alone are
//! what openraft hands between masters as the snapshot's data.
//!
//! A snapshot file is named by the number of log entries it includes
//! (the index of the last one plus one, as openraft counts from 0), so
//! the snapshot of a new directory, which includes none, is `snapshot-0`.

use std::fs;
use std::path::Path;
use std::time::Instant;

use super::format::{self, FileKind};
use super::segment;
use super::upgrade;
use super::{ImageRef, MetaError};
use crate::raft::SnapshotMeta;

/// The snapshot data of `image`.
pub fn encode(image: ImageRef<'_>) -> Result<Vec<u8>, postcard::Error> {
    format::encode_sized(&image)
}

/// The name index of the snapshot described by `meta`.
pub fn file_index(meta: &SnapshotMeta) -> u64 {
    meta.last_log_id.map_or(0, |id| id.index + 1)
}

/// Writes the snapshot `meta` describes, with `image` from [`encode`].
/// Older snapshots stay until [`prune`]: the state machine first makes the
/// new one current, so that the current one's file is always there.
pub fn write(dir: &Path, meta: &SnapshotMeta, image: &[u8]) -> Result<(), MetaError> {
    let started = Instant::now();
    let index = file_index(meta);
    let path = segment::snapshot_path(dir, index);
    let meta_bytes = format::encode(meta).map_err(|e| MetaError::Format {
        path: path.clone(),
        reason: format!("cannot encode the snapshot's description: {e}"),
    })?;
    let meta_len = (meta_bytes.len() as u32).to_le_bytes();
    let body: [&[u8]; 3] = [&meta_len, &meta_bytes, image];
    let head = format::frame_head(FileKind::Snapshot, index, &body);
    segment::write_atomically(dir, &path, &[&head, &meta_len, &meta_bytes, image])?;
    tracing::info!(
        index,
        bytes = head.len() + 4 + meta_bytes.len() + image.len(),
        write_ms = started.elapsed().as_millis() as u64,
        "snapshot written"
    );
    Ok(())
}

/// Reads the snapshot named `index`: its description and image bytes.
/// A snapshot in an older format is upgraded and written back in the
/// current one first, so that every later reader (openraft sending it to
/// a follower among them) gets current bytes.
pub fn read(dir: &Path, index: u64) -> Result<(SnapshotMeta, Vec<u8>), MetaError> {
    let path = segment::snapshot_path(dir, index);
    let bytes = fs::read(&path).map_err(MetaError::io(&path))?;
    let format_error = |reason: String| MetaError::Format {
        path: path.clone(),
        reason,
    };
    let (version, named, body) =
        format::unframe(FileKind::Snapshot, &bytes).map_err(format_error)?;
    if named != index {
        return Err(format_error(format!("header says index {named}")));
    }
    let Some((meta_len, rest)) = body.split_first_chunk::<4>() else {
        return Err(format_error("no description length".into()));
    };
    let meta_len = u32::from_le_bytes(*meta_len) as usize;
    let Some((meta, image)) = rest.split_at_checked(meta_len) else {
        return Err(format_error("description longer than the body".into()));
    };
    let meta: SnapshotMeta = format::decode(meta).map_err(format_error)?;
    if file_index(&meta) != index {
        return Err(format_error(format!(
            "description says {:?}",
            meta.last_log_id
        )));
    }
    if version == format::VERSION {
        return Ok((meta, image.to_vec()));
    }
    let upgraded = upgrade::snapshot_image(version, image).map_err(format_error)?;
    write(dir, &meta, &upgraded)?;
    tracing::info!(
        index,
        from = version,
        "snapshot upgraded to the current format"
    );
    Ok((meta, upgraded))
}

/// Removes snapshots older than `index`; the log is openraft's to purge.
pub fn prune(dir: &Path, index: u64) -> Result<(), MetaError> {
    let doomed: Vec<_> = segment::list(dir)?
        .snapshots
        .into_iter()
        .filter(|&older| older < index)
        .map(|older| segment::snapshot_path(dir, older))
        .collect();
    if doomed.is_empty() {
        return Ok(());
    }
    for path in &doomed {
        fs::remove_file(path).map_err(MetaError::io(path))?;
    }
    segment::sync_dir(dir)
}
