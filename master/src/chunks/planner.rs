//! The replication planner: what to copy and what to delete so that every
//! chunk ends up with exactly its goal of copies.
//!
//! [`plan`] only reads the state; [`ChunkState::start`] then marks each job
//! as under way and queues its order, so the next pass does not plan it
//! again. Compared with MooseFS's `chunk_do_jobs` this leaves out labels,
//! racks and rebalancing; it does bring under-goal chunks up (targets with
//! the most free space first), deletes surplus copies (from the fullest
//! servers first), copies no file refers to and copies in a wrong version.

use std::collections::BTreeMap;

use mooseng_wire::Status;

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

/// The jobs that bring the chunks closer to their goals right now.
pub fn plan(state: &ChunkState, limits: &Limits, now: u64) -> Vec<Job> {
    let mut budget = Budget::new(state, limits);
    let mut jobs = Vec::new();
    for (chunk, record) in state.table().iter() {
        let soft = state.soft.get(&chunk);
        if soft.is_some_and(|s| s.operation.is_some() || s.is_leased(now)) {
            continue;
        }
        let copies = state.copies(chunk);
        let goal = usize::from(record.goal());
        if goal == 0 {
            if copies.is_empty() {
                jobs.push(Job::Forget { chunk });
            }
            for copy in copies.iter().filter(|c| c.state != CopyState::Replicating) {
                delete(&mut jobs, &mut budget, chunk, copy);
            }
            continue;
        }
        for copy in copies.iter().filter(|c| c.state == CopyState::WrongVersion) {
            delete(&mut jobs, &mut budget, chunk, copy);
        }
        let regular = copies.iter().filter(|c| c.is_regular()).count();
        let pending = copies
            .iter()
            .filter(|c| c.state == CopyState::Replicating)
            .count();
        if regular + pending < goal {
            replicate(
                state,
                &mut jobs,
                &mut budget,
                chunk,
                goal - regular - pending,
            );
        } else if pending == 0 {
            trim(state, &mut jobs, &mut budget, chunk, regular - goal);
        }
    }
    jobs
}

fn delete(jobs: &mut Vec<Job>, budget: &mut Budget, chunk: ChunkId, copy: &ChunkCopy) {
    if copy.state != CopyState::Deleting && Budget::take(&mut budget.deletions, copy.server) {
        jobs.push(Job::Delete {
            chunk,
            version: copy.version,
            on: copy.server,
        });
    }
}

/// Plans up to `missing` new copies of `chunk`.
fn replicate(
    state: &ChunkState,
    jobs: &mut Vec<Job>,
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
        jobs.push(Job::Replicate {
            chunk,
            version,
            to,
            from,
        });
        planned += 1;
    }
}

/// Deletes `surplus` regular copies of `chunk` from the fullest servers,
/// then the copies on disks marked for removal, which the regular ones
/// now replace.
fn trim(
    state: &ChunkState,
    jobs: &mut Vec<Job>,
    budget: &mut Budget,
    chunk: ChunkId,
    surplus: usize,
) {
    let copies = state.copies(chunk);
    let mut regular: Vec<(u64, &ChunkCopy)> = copies
        .iter()
        .filter(|c| c.is_regular())
        .map(|c| (state.server(c.server).map_or(0, |s| s.usage.free()), c))
        .collect();
    regular.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.server.cmp(&b.1.server)));
    for (_, copy) in regular.into_iter().take(surplus) {
        delete(jobs, budget, chunk, copy);
    }
    for copy in copies
        .iter()
        .filter(|c| c.state == CopyState::Valid && c.todel)
    {
        delete(jobs, budget, chunk, copy);
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
