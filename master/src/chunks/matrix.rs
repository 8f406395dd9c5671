//! The chunk health matrix `mfscli -SIC` shows (`MATOCL_CHUNKS_MATRIX`):
//! chunk counts by goal (row) and valid copies (column), both capped at 10.

use mooseng_wire::info_master::{ChunkMatrices, ChunkMatrix};

use super::{ChunkState, CopyState};

/// The highest row and column; larger counts land here.
const CAP: usize = 10;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HealthMatrix {
    /// Counting every valid copy, also those on disks marked for removal.
    pub all: ChunkMatrix,
    /// Counting only the copies that count towards the goal.
    pub regular: ChunkMatrix,
}

impl HealthMatrix {
    pub fn of(state: &ChunkState) -> Self {
        let mut all = ChunkMatrix::default();
        let mut regular = ChunkMatrix::default();
        for (chunk, record) in state.table().iter() {
            let goal = state.placement(record).goal().min(CAP);
            let copies = state.copies(chunk);
            let valid = copies
                .iter()
                .filter(|c| c.state == CopyState::Valid)
                .count();
            let counted = copies.iter().filter(|c| c.is_regular()).count();
            all.0[goal][valid.min(CAP)] += 1;
            regular.0[goal][counted.min(CAP)] += 1;
        }
        HealthMatrix { all, regular }
    }

    /// The chunks with `goal` and `copies` regular valid copies.
    pub fn count(&self, goal: usize, copies: usize) -> u32 {
        self.regular.0[goal.min(CAP)][copies.min(CAP)]
    }

    /// The 969-byte answer to a `CLTOMA_CHUNKS_MATRIX` without a matrix id.
    pub fn to_message(&self) -> ChunkMatrices {
        ChunkMatrices::Both {
            progress: 0,
            matrices: [self.all.clone(), self.regular.clone()],
        }
    }
}
