//! What the planner's passes did, as `mfscli -SIN` shows it under "chunk
//! loop" (`MATOCL_CHUNKSTEST_INFO`).
//!
//! MooseFS counts, for one sweep over all chunks, the work it started and
//! the work it found needed but could not start (a server's deletion or
//! replication limit reached, no server to copy to). The planner sweeps all
//! chunks in every pass, so a pass is MooseNG's loop and the counters are
//! those of the last finished pass.

use mooseng_wire::matocl_info::ChunkOperations;

/// Work of one kind: started, and needed but not started.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Work {
    pub done: u32,
    pub not_done: u32,
}

impl Work {
    pub(super) fn count(&mut self, done: bool) {
        if done {
            self.done += 1;
        } else {
            self.not_done += 1;
        }
    }
}

/// The counters of one planner pass.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PassTally {
    /// Copies in a wrong version deleted.
    pub del_invalid: Work,
    /// Copies of chunks no file refers to deleted.
    pub del_unused: Work,
    /// Copies on disks marked for removal deleted once enough regular
    /// copies exist.
    pub del_diskclean: Work,
    /// Regular copies beyond the goal deleted.
    pub del_overgoal: Work,
    /// Copies started for chunks under their goal; not done counts the
    /// chunks for which none could be started.
    pub copy_undergoal: Work,
    /// Copies started for chunks with their count of copies, one on a
    /// server no keep expression wants, to a server one wants; not done
    /// counts the chunks for which the matching servers could take none
    /// this pass.
    pub copy_wronglabels: Work,
    /// Chunks with such a copy and no server at all that could take a
    /// copy the expression wants: left as they are.
    pub labels_dont_match: u32,
    /// Copies started to move a chunk from a fuller server to an emptier
    /// one; like MooseFS, only moves started are counted.
    pub copy_rebalance: u32,
    /// Chunks left alone because a write lease or an operation holds
    /// them, split by whether files refer to them.
    pub locked_unused: u32,
    pub locked_used: u32,
}

/// The last finished pass: MooseFS reports a loop as starting where the
/// one before it ended, and a start of 0 means "no data yet".
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ChunkLoop {
    /// Unix time the pass before the last one ended (0 before there was one).
    pub start: u32,
    /// Unix time the last pass ended (0 before any).
    pub end: u32,
    pub tally: PassTally,
}

impl ChunkLoop {
    /// Records a pass that ended at `now`.
    pub(super) fn finish(&mut self, now: u32, tally: PassTally) {
        *self = ChunkLoop {
            start: self.end,
            end: now,
            tally,
        };
    }

    /// The 72-byte `MATOCL_CHUNKSTEST_INFO` body.
    pub fn to_message(&self) -> ChunkOperations {
        let t = &self.tally;
        ChunkOperations {
            loopstart: self.start,
            loopend: self.end,
            del_invalid: t.del_invalid.done,
            nodel_invalid: t.del_invalid.not_done,
            del_unused: t.del_unused.done,
            nodel_unused: t.del_unused.not_done,
            del_diskclean: t.del_diskclean.done,
            nodel_diskclean: t.del_diskclean.not_done,
            del_overgoal: t.del_overgoal.done,
            nodel_overgoal: t.del_overgoal.not_done,
            copy_undergoal: t.copy_undergoal.done,
            nocopy_undergoal: t.copy_undergoal.not_done,
            copy_wronglabels: t.copy_wronglabels.done,
            nocopy_wronglabels: t.copy_wronglabels.not_done,
            copy_rebalance: t.copy_rebalance,
            labels_dont_match: t.labels_dont_match,
            locked_unused: t.locked_unused,
            locked_used: t.locked_used,
        }
    }
}
