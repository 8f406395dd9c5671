//! Versioned, strict file layouts.
//!
//! Every file starts with a 20-byte header: an 8-byte magic telling a log
//! segment from a snapshot, the format version (`u32`, little-endian) and
//! an index (`u64`, little-endian: a segment's first entry, a snapshot's
//! last applied entry). Bodies are postcard-encoded serde values.
//!
//! As Garage versions its stored layouts, a file names the version it was
//! written in and is decoded only by code for that version; anything else
//! is refused, never guessed at. Postcard encodes enum variants by their
//! position and struct fields in order, so adding a variant at the end of
//! [`LogEntry`](super::LogEntry), `Mutation` or `ChunkEntry` keeps old
//! files readable, but any other change to a persisted type must bump
//! [`VERSION`], keep the old types in a module of their own and convert
//! them on load. The golden test in `tests.rs` fails when a layout changes
//! silently.

use serde::de::DeserializeOwned;
use serde::Serialize;

/// The layout version this build writes and reads.
/// Version 2 made the log openraft's: a record holds an `openraft::Entry`
/// (term, leader and index with its payload), a snapshot carries
/// openraft's `SnapshotMeta`, and the vote lives in a file of its own.
/// Version 3 made a record's payload a batch: the
/// [`LogEntry`](super::LogEntry)s of one group commit (a postcard
/// sequence: their count, then each), where version 2 held one.
/// Version 4 added the registered sessions to the namespace, so that a
/// snapshot holds them.
/// Version 5 counts a chunk's references by the storage class id of the
/// referring files where version 4 counted them by goal (the chunk table's
/// records and the `Create`, `AddRef`, `DropRef` and `ChangeClass` chunk
/// entries, formerly `ChangeGoal`): same bytes, another meaning, so a
/// version-4 file would be misread for files of custom classes.
/// Version 6 gives each chunk record its archive flag; version-5 logs
/// read as they are (the archive entries are new variants at the end),
/// version-5 snapshots are upgraded on load ([`super::upgrade`]).
pub const VERSION: u32 = 6;

/// The oldest version this build reads.
pub const OLDEST_READABLE: u32 = 5;

pub const HEADER_LEN: usize = 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    Log,
    Snapshot,
    /// The Raft vote and the last purged log id.
    LogState,
}

impl FileKind {
    fn magic(self) -> &'static [u8; 8] {
        match self {
            FileKind::Log => b"MNGMLOG\n",
            FileKind::Snapshot => b"MNGMSNP\n",
            FileKind::LogState => b"MNGMVOT\n",
        }
    }
}

pub fn header(kind: FileKind, index: u64) -> [u8; HEADER_LEN] {
    let mut bytes = [0u8; HEADER_LEN];
    bytes[..8].copy_from_slice(kind.magic());
    bytes[8..12].copy_from_slice(&VERSION.to_le_bytes());
    bytes[12..].copy_from_slice(&index.to_le_bytes());
    bytes
}

/// The index a header carries, if it is a header of `kind` in a version
/// this build reads.
pub fn parse_header(kind: FileKind, bytes: &[u8]) -> Result<u64, String> {
    parse_versioned_header(kind, bytes).map(|(_, index)| index)
}

/// The version and index a header carries, if it is a header of `kind`
/// in a version this build reads.
pub fn parse_versioned_header(kind: FileKind, bytes: &[u8]) -> Result<(u32, u64), String> {
    let Some(bytes) = bytes.get(..HEADER_LEN) else {
        return Err(format!("shorter than the {HEADER_LEN}-byte header"));
    };
    if &bytes[..8] != kind.magic() {
        return Err(format!("not a MooseNG {kind:?} file (bad magic)"));
    }
    let version = u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]);
    if !(OLDEST_READABLE..=VERSION).contains(&version) {
        return Err(format!(
            "format version {version}; this build reads versions {OLDEST_READABLE} to {VERSION}"
        ));
    }
    let mut index = [0u8; 8];
    index.copy_from_slice(&bytes[12..]);
    Ok((version, u64::from_le_bytes(index)))
}

pub fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>, postcard::Error> {
    postcard::to_allocvec(value)
}

/// Decodes exactly one value: trailing bytes are an error, not ignored.
pub fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, String> {
    let (value, rest) = postcard::take_from_bytes(bytes).map_err(|e| e.to_string())?;
    if rest.is_empty() {
        Ok(value)
    } else {
        Err(format!("{} bytes after the value", rest.len()))
    }
}

/// Bytes between a whole-file body and its header: `length:64 crc:32`.
pub const PREAMBLE: usize = HEADER_LEN + 12;

/// What goes before `body` in a file written whole (a snapshot, the log
/// state): the header, then the body's length and CRC-32.
pub fn frame_head(kind: FileKind, index: u64, body: &[&[u8]]) -> Vec<u8> {
    let mut head = header(kind, index).to_vec();
    let mut crc = crc32fast::Hasher::new();
    body.iter().for_each(|part| crc.update(part));
    let length: usize = body.iter().map(|part| part.len()).sum();
    head.extend_from_slice(&(length as u64).to_le_bytes());
    head.extend_from_slice(&crc.finalize().to_le_bytes());
    head
}

/// The version, index and checked body of a file written after a
/// [`frame_head`].
pub fn unframe(kind: FileKind, bytes: &[u8]) -> Result<(u32, u64, &[u8]), String> {
    let (version, index) = parse_versioned_header(kind, bytes)?;
    let Some(preamble) = bytes.get(HEADER_LEN..PREAMBLE) else {
        return Err("no length and checksum".into());
    };
    let mut length = [0u8; 8];
    length.copy_from_slice(&preamble[..8]);
    let length = u64::from_le_bytes(length);
    let crc = u32::from_le_bytes([preamble[8], preamble[9], preamble[10], preamble[11]]);
    let body = &bytes[PREAMBLE..];
    if body.len() as u64 != length {
        return Err(format!(
            "body is {} bytes, header says {length}",
            body.len()
        ));
    }
    if crc32fast::hash(body) != crc {
        return Err("checksum mismatch".into());
    }
    Ok((version, index, body))
}

/// [`encode`], into one buffer allocated at the exact size: for values of
/// tens of megabytes (snapshot images). A buffer that grows by doubling
/// frees each smaller copy; glibc then raises its mmap threshold to that
/// size and its trim threshold to twice that, so every later buffer below
/// 32 MiB comes from, and stays in, the heap of the thread that made it.
/// At 1,000,000 files that was about 32 MiB held free in each of a dozen
/// arenas, more than the namespace itself.
pub fn encode_sized<T: Serialize>(value: &T) -> Result<Vec<u8>, postcard::Error> {
    let mut bytes = vec![0; encoded_len(value)?];
    let used = postcard::to_slice(value, &mut bytes)?.len();
    bytes.truncate(used);
    Ok(bytes)
}

/// How many bytes [`encode`] makes of `value`, without making them.
pub fn encoded_len<T: Serialize>(value: &T) -> Result<usize, postcard::Error> {
    postcard::serialize_with_flavor(value, postcard::ser_flavors::Size::default())
}
