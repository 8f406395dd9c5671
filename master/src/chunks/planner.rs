//! The replication planner: what to copy and what to delete so that every
//! chunk ends up with exactly its goal of copies.
//!
//! [`plan`] only reads the state; [`ChunkState::start`] then marks each job
//! as under way and queues its order, so the next pass does not plan it
//! again. Compared with MooseFS's `chunk_do_jobs` this leaves out labels,
//! racks and rebalancing; it does bring under-goal chunks up (targets with
//! the most free space first), deletes surplus copies (from the fullest
//! servers first), copies no file refers to and copies in a wrong version.
//! Each pass also tallies what it started and what it could not
//! ([`PassTally`]), for `mfscli`'s "chunk loop" figures.

use std::collections::BTreeMap;

use mooseng_wire::Status;

use super::tally::{PassTally, Work};
use super::{ChunkCopy, ChunkEntry, ChunkId, ChunkState, CopyState, Order, ServerId};

/// How much work one pass may hand out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Replications one server may be receiving at once
    /// (MooseFS's `CHUNKS_WRITE_REP_LIMIT`).
    pub incoming_per_server: u32,
    /// Unanswered deletions per server (`CHUNKS_SOFT_DEL_LIMIT`).
    pub deletions_per_server: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            incoming_per_server: 2,
            deletions_per_server: 10,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Job {
    /// `to` fetches `chunk` in `version` from `from`.
    Replicate {
        chunk: ChunkId,
        version: u32,
        to: ServerId,
        from: ServerId,
    },
    /// Delete the copy of `chunk` in `version` on `on`.
    Delete {
        chunk: ChunkId,
        version: u32,
        on: ServerId,
    },
    /// Drop `chunk` from the table: nothing refers to it and no copy is left.
    Forget { chunk: ChunkId },
}

/// Work budgets left in this pass, per server.
struct Budget {
    incoming: BTreeMap<ServerId, u32>,
    deletions: BTreeMap<ServerId, u32>,
}

impl Budget {
    fn new(state: &ChunkState, limits: &Limits) -> Self {
        let mut incoming = BTreeMap::new();
        let mut deletions = BTreeMap::new();
        for (id, server) in state.servers() {
            let left = limits.incoming_per_server.saturating_sub(server.incoming);
            incoming.insert(id, if server.registered { left } else { 0 });
            let left = limits.deletions_per_server.saturating_sub(server.deleting);
            deletions.insert(id, left);
        }
        Budget {
            incoming,
            deletions,
        }
    }

    fn take(map: &mut BTreeMap<ServerId, u32>, id: ServerId) -> bool {
        match map.get_mut(&id) {
            Some(left) if *left > 0 => {
                *left -= 1;
                true
            }
            _ => false,
        }
    }
}

/// One pass: the jobs that bring the chunks closer to their goals right
/// now, and the tally of what was needed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    pub jobs: Vec<Job>,
    pub tally: PassTally,
}

/// Plans one pass over every chunk.
pub fn plan(state: &ChunkState, limits: &Limits, now: u64) -> Plan {
    let mut budget = Budget::new(state, limits);
    let mut pass = Plan::default();
    for (chunk, record) in state.table().iter() {
        let soft = state.soft.get(&chunk);
        let goal = usize::from(record.goal());
        if soft.is_some_and(|s| s.operation.is_some() || s.is_leased(now)) {
            if goal == 0 {
                pass.tally.locked_unused += 1;
            } else {
                pass.tally.locked_used += 1;
            }
            continue;
        }
        let copies = state.copies(chunk);
        if goal == 0 {
            if copies.is_empty() {
                pass.jobs.push(Job::Forget { chunk });
            }
            for copy in copies.iter().filter(|c| c.state != CopyState::Replicating) {
                let work = match copy.state {
                    CopyState::WrongVersion => &mut pass.tally.del_invalid,
                    _ => &mut pass.tally.del_unused,
                };
                delete(&mut pass.jobs, &mut budget, work, chunk, copy);
            }
            continue;
        }
        // Copies in a wrong version are all that is left of a chunk
        // without a usable copy: MooseFS keeps them for a manual repair.
        if copies.iter().any(ChunkCopy::is_usable) {
            for copy in copies.iter().filter(|c| c.state == CopyState::WrongVersion) {
                let work = &mut pass.tally.del_invalid;
                delete(&mut pass.jobs, &mut budget, work, chunk, copy);
            }
        }
        let regular = copies.iter().filter(|c| c.is_regular()).count();
        let pending = copies
            .iter()
            .filter(|c| c.state == CopyState::Replicating)
            .count();
        if regular + pending < goal {
            replicate(
                state,
                &mut pass,
                &mut budget,
                chunk,
                goal - regular - pending,
            );
        } else if pending == 0 {
            trim(state, &mut pass, &mut budget, chunk, regular - goal);
        }
    }
    pass
}

/// Plans the deletion of `copy` unless one is under way already, counting
/// it in `work` as done, or as not done when the server's budget is spent.
fn delete(
    jobs: &mut Vec<Job>,
    budget: &mut Budget,
    work: &mut Work,
    chunk: ChunkId,
    copy: &ChunkCopy,
) {
    if copy.state == CopyState::Deleting {
        return;
    }
    let planned = Budget::take(&mut budget.deletions, copy.server);
    if planned {
        jobs.push(Job::Delete {
            chunk,
            version: copy.version,
            on: copy.server,
        });
    }
    work.count(planned);
}

/// Plans up to `missing` new copies of `chunk`. As in MooseFS, each copy
/// started counts as done, a chunk for which none could be started as one
/// not done, and a chunk without a copy to read from not at all: nothing
/// can be done for it.
fn replicate(
    state: &ChunkState,
    plan: &mut Plan,
    budget: &mut Budget,
    chunk: ChunkId,
    missing: usize,
) {
    let Some(version) = state.table().get(chunk).map(|r| r.version) else {
        return;
    };
    let copies = state.copies(chunk);
    let sources: Vec<ServerId> = copies
        .iter()
        .filter(|c| c.state == CopyState::Valid && c.version == version)
        .map(|c| c.server)
        .collect();
    if sources.is_empty() {
        return;
    }
    let mut targets: Vec<(u64, ServerId)> = state
        .servers()
        .filter(|(id, s)| {
            s.registered && s.usage.free() > 0 && !copies.iter().any(|c| c.server == *id)
        })
        .map(|(id, s)| (s.usage.free(), id))
        .collect();
    targets.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let mut planned = 0;
    for (_, to) in targets {
        if planned == missing {
            break;
        }
        if !Budget::take(&mut budget.incoming, to) {
            continue;
        }
        // Spread the reading over the holders.
        let from = sources[(chunk as usize + planned) % sources.len()];
        plan.jobs.push(Job::Replicate {
            chunk,
            version,
            to,
            from,
        });
        planned += 1;
    }
    let work = &mut plan.tally.copy_undergoal;
    work.done += planned as u32;
    if planned == 0 {
        work.not_done += 1;
    }
}

/// Deletes `surplus` regular copies of `chunk` from the fullest servers,
/// then the copies on disks marked for removal, which the regular ones
/// now replace.
fn trim(state: &ChunkState, plan: &mut Plan, budget: &mut Budget, chunk: ChunkId, surplus: usize) {
    let copies = state.copies(chunk);
    let mut regular: Vec<(u64, &ChunkCopy)> = copies
        .iter()
        .filter(|c| c.is_regular())
        .map(|c| (state.server(c.server).map_or(0, |s| s.usage.free()), c))
        .collect();
    regular.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.server.cmp(&b.1.server)));
    let tally = &mut plan.tally;
    for (_, copy) in regular.into_iter().take(surplus) {
        delete(&mut plan.jobs, budget, &mut tally.del_overgoal, chunk, copy);
    }
    for copy in copies
        .iter()
        .filter(|c| c.state == CopyState::Valid && c.todel)
    {
        delete(
            &mut plan.jobs,
            budget,
            &mut tally.del_diskclean,
            chunk,
            copy,
        );
    }
}

impl ChunkState {
    /// Marks `job` as under way and queues its order.
    pub fn start(&mut self, job: Job) -> Result<(), Status> {
        match job {
            Job::Replicate {
                chunk,
                version,
                to,
                from,
            } => {
                let from = self.server(from).ok_or(Status::CSNOTPRESENT)?.addr;
                let server = self.servers.get_mut(&to).ok_or(Status::CSNOTPRESENT)?;
                server.incoming += 1;
                let soft = self.soft.entry(chunk).or_default();
                soft.copies.push(ChunkCopy {
                    server: to,
                    version,
                    state: CopyState::Replicating,
                    todel: false,
                });
                // A write starting now must step the version, or the copy
                // being made could pass for current with half the write.
                soft.needs_bump = true;
                let order = Order::Replicate {
                    chunk,
                    version,
                    from,
                };
                self.orders.push((to, order));
            }
            Job::Delete { chunk, version, on } => {
                let copy = self
                    .soft
                    .get_mut(&chunk)
                    .and_then(|s| s.copy_on_mut(on))
                    .ok_or(Status::NOCHUNK)?;
                copy.state = CopyState::Deleting;
                if let Some(server) = self.servers.get_mut(&on) {
                    server.deleting += 1;
                }
                self.orders.push((on, Order::Delete { chunk, version }));
            }
            Job::Forget { chunk } => {
                self.commit(ChunkEntry::Remove { chunk })?;
                self.soft.remove(&chunk);
            }
        }
        Ok(())
    }
}
