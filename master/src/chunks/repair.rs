//! `mfsfilerepair` on one chunk, as 3.0.117's `chunk_repair`: a chunk
//! with a usable copy, or held by a write, is left alone; one whose only
//! copies hold other versions takes the newest of them as its version
//! (that data is all there is); one with no copy at all, or unknown, is
//! to be erased from the file, which then reads zeros there.

use super::{ChunkEntry, ChunkId, ChunkState, CopyState};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Repair {
    Unchanged,
    /// The file's slot must be emptied (its reference dropped).
    Erase,
    /// The chunk now has this version, and its copies of it are valid.
    Repaired(u32),
}

impl ChunkState {
    /// Repairs `chunk` at `now` (the monotonic seconds leases count in).
    pub fn repair(&mut self, chunk: ChunkId, now: u64) -> Repair {
        if self.table().get(chunk).is_none() {
            return Repair::Erase;
        }
        let Some(soft) = self.soft.get(&chunk) else {
            return Repair::Erase;
        };
        if soft.is_leased(now) || soft.operation.is_some() {
            return Repair::Unchanged;
        }
        if soft.copies.iter().any(|c| c.is_usable()) {
            return Repair::Unchanged;
        }
        let newest = soft
            .copies
            .iter()
            .filter(|c| c.state == CopyState::WrongVersion)
            .map(|c| c.version)
            .max();
        let Some(version) = newest else {
            return Repair::Erase;
        };
        if self
            .commit(ChunkEntry::SetVersion { chunk, version })
            .is_err()
        {
            return Repair::Unchanged;
        }
        if let Some(soft) = self.soft.get_mut(&chunk) {
            for copy in soft.copies.iter_mut().filter(|c| c.version == version) {
                if copy.state == CopyState::WrongVersion {
                    copy.state = CopyState::Valid;
                }
            }
            soft.needs_bump = true;
        }
        Repair::Repaired(version)
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{holders, join, FILE};
    use super::super::ChunkTable;
    use super::*;

    fn chunk_in_version(state: &mut ChunkState, version: u32) -> ChunkId {
        let chunk = state
            .commit(ChunkEntry::Create {
                file: FILE,
                class: 2,
            })
            .unwrap();
        for _ in 1..version {
            state.commit(ChunkEntry::IncreaseVersion { chunk }).unwrap();
        }
        chunk
    }

    #[test]
    fn only_stale_copies_left_make_the_newest_of_them_current() {
        let mut state = ChunkState::default();
        let chunk = chunk_in_version(&mut state, 5);
        join(&mut state, 1, 10, &[(chunk, 3)]);
        join(&mut state, 2, 10, &[(chunk, 2)]);
        assert!(holders(&state, chunk).is_empty());

        assert_eq!(state.repair(chunk, 0), Repair::Repaired(3));
        assert_eq!(state.table().get(chunk).unwrap().version, 3);
        assert_eq!(holders(&state, chunk), [super::super::tests::addr(1)]);
        // Now it has a usable copy: nothing more to do.
        assert_eq!(state.repair(chunk, 0), Repair::Unchanged);
    }

    #[test]
    fn a_chunk_with_no_copy_or_unknown_is_erased_and_a_healthy_one_kept() {
        let mut state = ChunkState::default();
        let lost = chunk_in_version(&mut state, 1);
        let fine = chunk_in_version(&mut state, 1);
        join(&mut state, 1, 10, &[(fine, 1)]);
        assert_eq!(state.repair(lost, 0), Repair::Erase);
        assert_eq!(state.repair(fine, 0), Repair::Unchanged);
        assert_eq!(state.repair(999, 0), Repair::Erase);
        assert_eq!(state.table().get(lost).unwrap().version, 1);
    }

    #[test]
    fn set_version_is_refused_for_an_unknown_chunk() {
        let mut table = ChunkTable::default();
        let entry = ChunkEntry::SetVersion {
            chunk: 4,
            version: 2,
        };
        assert_eq!(table.apply(&entry), Err(mooseng_wire::Status::NOCHUNK));
    }
}
