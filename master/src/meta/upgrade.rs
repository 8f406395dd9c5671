//! Snapshots of older format versions, read and turned into the current
//! [`Image`]. Log records need no upgrade: later versions only added enum
//! variants at the end, which older records never use.
//!
//! Version 5 differs from 6 only in the chunk table's records, which had
//! no archive flag; every chunk of a version-5 snapshot is unarchived.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::format;
use super::Image;
use crate::chunks::{ChunkId, ChunkRecord, ChunkTable};
use crate::namespace::Namespace;

/// The image bytes of `version` in the current format.
pub fn snapshot_image(version: u32, bytes: &[u8]) -> Result<Vec<u8>, String> {
    let image = match version {
        5 => format::decode::<V5Image>(bytes)?.into_current(),
        other => return Err(format!("no upgrade from format version {other}")),
    };
    format::encode_sized(&image.borrow()).map_err(|e| e.to_string())
}

#[derive(Debug, Serialize, Deserialize)]
struct V5Image {
    meta_id: u64,
    namespace: Namespace,
    chunks: V5ChunkTable,
}

#[derive(Debug, Serialize, Deserialize)]
struct V5ChunkTable {
    chunks: BTreeMap<ChunkId, V5ChunkRecord>,
    next_id: ChunkId,
}

#[derive(Debug, Serialize, Deserialize)]
struct V5ChunkRecord {
    version: u32,
    refs: BTreeMap<u8, u32>,
}

impl V5Image {
    fn into_current(self) -> Image {
        let records = self
            .chunks
            .chunks
            .into_iter()
            .map(|(id, record)| (id, ChunkRecord::unarchived(record.version, record.refs)));
        Image {
            meta_id: self.meta_id,
            namespace: self.namespace,
            chunks: ChunkTable::from_records(records.collect(), self.chunks.next_id),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_version_5_image_keeps_its_chunks_unarchived() {
        let refs = BTreeMap::from([(2, 1), (10, 2)]);
        let old = V5Image {
            meta_id: 77,
            namespace: Namespace::new(1_700_000_000),
            chunks: V5ChunkTable {
                chunks: BTreeMap::from([(
                    5,
                    V5ChunkRecord {
                        version: 3,
                        refs: refs.clone(),
                    },
                )]),
                next_id: 9,
            },
        };
        let bytes = format::encode(&old).unwrap();
        let upgraded: Image = format::decode(&snapshot_image(5, &bytes).unwrap()).unwrap();
        assert_eq!(upgraded.meta_id, 77);
        assert_eq!(upgraded.namespace, Namespace::new(1_700_000_000));
        assert_eq!(upgraded.chunks.next_id(), 9);
        assert_eq!(
            upgraded.chunks.get(5),
            Some(&ChunkRecord::unarchived(3, refs))
        );
        assert!(!upgraded.chunks.get(5).unwrap().archived);
        assert!(snapshot_image(4, &bytes).is_err());
    }

    #[test]
    fn a_version_5_snapshot_file_is_rewritten_in_the_current_format() {
        let dir = tempfile::tempdir().unwrap();
        let meta = crate::raft::SnapshotMeta {
            last_log_id: None,
            last_membership: openraft::StoredMembership::default(),
            snapshot_id: "0".into(),
        };
        let old = V5Image {
            meta_id: 3,
            namespace: Namespace::new(1),
            chunks: V5ChunkTable {
                chunks: BTreeMap::new(),
                next_id: 1,
            },
        };
        super::super::snapshot::write(dir.path(), &meta, &format::encode(&old).unwrap()).unwrap();
        let path = super::super::segment::snapshot_path(dir.path(), 0);
        let mut bytes = std::fs::read(&path).unwrap();
        bytes[8] = 5;
        std::fs::write(&path, bytes).unwrap();

        let (_, image) = super::super::snapshot::read(dir.path(), 0).unwrap();
        let image: Image = format::decode(&image).unwrap();
        assert_eq!(image, Image::new(3, 1));
        let rewritten = std::fs::read(&path).unwrap();
        let header = format::parse_versioned_header(format::FileKind::Snapshot, &rewritten);
        assert_eq!(header, Ok((format::VERSION, 0)));
    }
}
