//! The persistent chunk table: a deterministic state machine over
//! [`ChunkEntry`].

use std::collections::BTreeMap;

use mooseng_wire::Status;
use serde::{Deserialize, Serialize};

use super::{ChunkEntry, ChunkId};

/// What the table knows about one chunk.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChunkRecord {
    pub version: u32,
    /// How many references come from files of each goal.
    refs: BTreeMap<u8, u32>,
}

impl ChunkRecord {
    /// The number of copies wanted: the highest goal of any file referring
    /// to the chunk (at least 1), or 0 when none does (the chunk is garbage).
    pub fn goal(&self) -> u8 {
        self.refs
            .keys()
            .next_back()
            .map_or(0, |goal| (*goal).max(1))
    }

    pub fn ref_count(&self) -> u32 {
        self.refs.values().sum()
    }

    fn add_ref(&mut self, goal: u8) {
        *self.refs.entry(goal).or_default() += 1;
    }

    fn drop_ref(&mut self, goal: u8) -> Result<(), Status> {
        let count = self.refs.get_mut(&goal).ok_or(Status::EINVAL)?;
        *count -= 1;
        if *count == 0 {
            self.refs.remove(&goal);
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
            ChunkEntry::Create { goal, .. } => {
                let id = self.next_id;
                let mut record = ChunkRecord {
                    version: 1,
                    ..ChunkRecord::default()
                };
                record.add_ref(goal);
                self.chunks.insert(id, record);
                self.next_id += 1;
                Ok(id)
            }
            ChunkEntry::IncreaseVersion { chunk } => {
                let record = self.record_mut(chunk)?;
                record.version = record.version.checked_add(1).ok_or(Status::EINVAL)?;
                Ok(chunk)
            }
            ChunkEntry::AddRef { chunk, goal } => {
                self.record_mut(chunk)?.add_ref(goal);
                Ok(chunk)
            }
            ChunkEntry::DropRef { chunk, goal } => {
                self.record_mut(chunk)?.drop_ref(goal)?;
                Ok(chunk)
            }
            ChunkEntry::ChangeGoal { chunk, from, to } => {
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
        }
    }

    fn record_mut(&mut self, chunk: ChunkId) -> Result<&mut ChunkRecord, Status> {
        self.chunks.get_mut(&chunk).ok_or(Status::NOCHUNK)
    }
}
