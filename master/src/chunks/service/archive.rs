//! Archive flags: which chunks follow their class's archive labels.
//! Set and cleared by `mfssetarchive` / `mfsclrarchive` (ARCHCTL) and set
//! by the archive loop for files older than their class's archive delay;
//! the planner then moves the copies as for any other label change.

use super::{ChunkEntry, ChunkId, ChunkService};

/// How many chunks an archive change flipped and how many already stood
/// as asked (or are unknown), as ARCHCTL answers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ArchiveCounts {
    pub changed: u64,
    pub not_changed: u64,
}

impl ChunkService {
    /// Marks `chunks` archived or not, in one log entry for those whose
    /// flag changes.
    pub fn set_archived(&self, chunks: &[ChunkId], archived: bool) -> ArchiveCounts {
        self.with_state(|state| {
            let flip: Vec<ChunkId> = chunks
                .iter()
                .copied()
                .filter(|c| {
                    state
                        .table()
                        .get(*c)
                        .is_some_and(|r| r.archived != archived)
                })
                .collect();
            let counts = ArchiveCounts {
                changed: flip.len() as u64,
                not_changed: (chunks.len() - flip.len()) as u64,
            };
            if !flip.is_empty() {
                let entry = ChunkEntry::Archive {
                    chunks: flip,
                    archived,
                };
                if let Err(status) = state.commit(entry) {
                    tracing::warn!(?status, "cannot change archive flags");
                    return ArchiveCounts {
                        changed: 0,
                        not_changed: chunks.len() as u64,
                    };
                }
            }
            counts
        })
    }

    /// Each chunk's archive flag; `None` for a chunk the table lacks.
    pub fn archived(&self, chunks: &[ChunkId]) -> Vec<Option<bool>> {
        let inner = self.lock();
        let table = inner.state.table();
        chunks
            .iter()
            .map(|c| table.get(*c).map(|r| r.archived))
            .collect()
    }
}
