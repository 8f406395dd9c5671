//! The persistent chunk table: a deterministic state machine over
//! [`ChunkEntry`].

use std::collections::BTreeMap;

use mooseng_wire::Status;
use serde::{Deserialize, Serialize};

use super::{ChunkEntry, ChunkId};
use crate::namespace::{Classes, FIRST_CUSTOM_CLASS};

/// What the table knows about one chunk.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChunkRecord {
    pub version: u32,
    /// How many references come from files of each storage class.
    refs: BTreeMap<u8, u32>,
    /// Whether the copies follow the class's archive labels rather than
    /// its keep labels (MooseFS's `archflag`).
    pub archived: bool,
}

impl ChunkRecord {
    /// A record as older formats stored it, with no archive flag.
    pub(crate) fn unarchived(version: u32, refs: BTreeMap<u8, u32>) -> Self {
        ChunkRecord {
            version,
            refs,
            archived: false,
        }
    }

    /// The storage class whose labels the chunk's copies follow, or 0 when
    /// no file refers to it (the chunk is garbage). As MooseFS 3.0.117
    /// picks it (`chunk_find_sclassid`): among the classes of the files
    /// referring to it, the one keeping the most copies; on a tie a custom
    /// class wins over a fixed goal class, and two custom classes tying
    /// give way to the fixed class of that many copies, whose copies may
    /// go anywhere, rather than favouring either's labels.
    pub fn class(&self, classes: &Classes) -> u8 {
        let mut chosen = 0;
        let mut most = 0;
        let mut custom_tie = false;
        // Ascending ids, as MooseFS scans its per-class counts.
        for &class in self.refs.keys() {
            let copies = classes.copies(class);
            if chosen == 0 || copies > most {
                (chosen, most, custom_tie) = (class, copies, false);
            } else if copies == most {
                if chosen < FIRST_CUSTOM_CLASS && !custom_tie {
                    chosen = class;
                } else if chosen >= FIRST_CUSTOM_CLASS && class >= FIRST_CUSTOM_CLASS {
                    (chosen, custom_tie) = (copies, true);
                }
            }
        }
        chosen
    }

    pub fn ref_count(&self) -> u32 {
        self.refs.values().sum()
    }

    fn add_ref(&mut self, class: u8) {
        *self.refs.entry(class).or_default() += 1;
    }

    fn drop_ref(&mut self, class: u8) -> Result<(), Status> {
        let count = self.refs.get_mut(&class).ok_or(Status::EINVAL)?;
        *count -= 1;
        if *count == 0 {
            self.refs.remove(&class);
        }
        Ok(())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChunkTable {
    chunks: BTreeMap<ChunkId, ChunkRecord>,
    next_id: ChunkId,
}

impl Default for ChunkTable {
    fn default() -> Self {
        ChunkTable {
            chunks: BTreeMap::new(),
            next_id: 1,
        }
    }
}

impl ChunkTable {
    /// A table of `chunks`, whose next new chunk gets `next_id`.
    pub(crate) fn from_records(chunks: BTreeMap<ChunkId, ChunkRecord>, next_id: ChunkId) -> Self {
        ChunkTable { chunks, next_id }
    }

    pub fn get(&self, chunk: ChunkId) -> Option<&ChunkRecord> {
        self.chunks.get(&chunk)
    }

    pub fn iter(&self) -> impl Iterator<Item = (ChunkId, &ChunkRecord)> {
        self.chunks.iter().map(|(id, record)| (*id, record))
    }

    pub fn len(&self) -> usize {
        self.chunks.len()
    }

    pub fn is_empty(&self) -> bool {
        self.chunks.is_empty()
    }

    /// The id the next `Create` will get.
    pub fn next_id(&self) -> ChunkId {
        self.next_id
    }

    /// Applies one entry and returns the chunk it concerns (the new id for
    /// `Create`). An error leaves the table untouched.
    pub fn apply(&mut self, entry: &ChunkEntry) -> Result<ChunkId, Status> {
        match *entry {
            ChunkEntry::Create { class, .. } => {
                let id = self.next_id;
                let mut record = ChunkRecord {
                    version: 1,
                    ..ChunkRecord::default()
                };
                record.add_ref(class);
                self.chunks.insert(id, record);
                self.next_id += 1;
                Ok(id)
            }
            ChunkEntry::IncreaseVersion { chunk } => {
                let record = self.record_mut(chunk)?;
                record.version = record.version.checked_add(1).ok_or(Status::EINVAL)?;
                Ok(chunk)
            }
            ChunkEntry::AddRef { chunk, class } => {
                self.record_mut(chunk)?.add_ref(class);
                Ok(chunk)
            }
            ChunkEntry::DropRef { chunk, class } => {
                self.record_mut(chunk)?.drop_ref(class)?;
                Ok(chunk)
            }
            ChunkEntry::ChangeClass { chunk, from, to } => {
                let record = self.record_mut(chunk)?;
                record.drop_ref(from)?;
                record.add_ref(to);
                Ok(chunk)
            }
            ChunkEntry::Adopt { chunk, version } => {
                if chunk == 0 || self.chunks.contains_key(&chunk) {
                    return Err(Status::WRONGCHUNKID);
                }
                self.chunks.insert(
                    chunk,
                    ChunkRecord {
                        version,
                        ..ChunkRecord::default()
                    },
                );
                self.next_id = self.next_id.max(chunk.saturating_add(1));
                Ok(chunk)
            }
            ChunkEntry::Remove { chunk } => {
                if self.record_mut(chunk)?.ref_count() > 0 {
                    return Err(Status::EINVAL);
                }
                self.chunks.remove(&chunk);
                Ok(chunk)
            }
            ChunkEntry::Archive {
                ref chunks,
                archived,
            } => {
                if chunks.iter().any(|c| !self.chunks.contains_key(c)) {
                    return Err(Status::NOCHUNK);
                }
                for chunk in chunks {
                    self.record_mut(*chunk)?.archived = archived;
                }
                Ok(chunks.first().copied().unwrap_or(0))
            }
            ChunkEntry::SetVersion { chunk, version } => {
                self.record_mut(chunk)?.version = version;
                Ok(chunk)
            }
        }
    }

    fn record_mut(&mut self, chunk: ChunkId) -> Result<&mut ChunkRecord, Status> {
        self.chunks.get_mut(&chunk).ok_or(Status::NOCHUNK)
    }
}
