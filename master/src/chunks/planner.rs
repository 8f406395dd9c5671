//! The replication planner: what to copy and what to delete so that every
//! chunk ends up with exactly its goal of copies.
//!
//! [`plan`] only reads the state; [`ChunkState::start`] then marks each job
//! as under way and queues its order, so the next pass does not plan it
//! again. Like MooseFS's `chunk_do_jobs` it brings under-goal chunks up
//! (targets with the most free space first), deletes surplus copies (from
//! the fullest servers first), copies no file refers to and copies in a
//! wrong version, and follows the keep labels of the chunk's storage class
//! ([`super::labels`]): each keep expression gets a copy on a server
//! matching it, and a copy on a server no expression wants is replaced
//! (copied to a matching server first, then deleted as surplus). When a
//! pass has no such repair to start or waiting, it moves copies of chunks
//! needing nothing else from full servers to empty ones
//! ([`super::rebalance`]). It leaves out archive labels and racks. Each
//! pass also tallies what it started and what it could not
//! ([`PassTally`]), for `mfscli`'s "chunk loop" figures.

use std::borrow::Cow;
use std::collections::BTreeMap;

use mooseng_wire::Status;

use super::labels::{any_labels, assign};
use super::rebalance::{rebalance, worth_rebalancing};
use super::tally::{PassTally, Work};
use super::{ChunkCopy, ChunkEntry, ChunkId, ChunkState, CopyState, Order, ServerId};
use crate::namespace::LabelExpr;

/// How much work one pass may hand out.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limits {
    /// Replications one server may be receiving at once
    /// (MooseFS's `CHUNKS_WRITE_REP_LIMIT`), rebalancing moves included.
    pub incoming_per_server: u32,
    /// Unanswered deletions per server (`CHUNKS_SOFT_DEL_LIMIT`).
    pub deletions_per_server: u32,
    /// Rebalancing moves one pass may start in all: moving copies is never
    /// urgent, so it gets a small share of the servers' replication
    /// budget. 0 turns rebalancing off.
    pub rebalance_per_pass: u32,
    /// How much fuller (usage ratio, 0.01 = 1 percent point) a server must
    /// be than another before a copy moves (MooseFS's
    /// `ACCEPTABLE_PERCENTAGE_DIFFERENCE` / 100).
    pub acceptable_difference: f64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            incoming_per_server: 2,
            deletions_per_server: 10,
            rebalance_per_pass: 10,
            acceptable_difference: 0.01,
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
pub(super) struct Budget {
    pub(super) incoming: BTreeMap<ServerId, u32>,
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

    /// Whether `id` may still be given a replication this pass.
    pub(super) fn can_receive(&self, id: ServerId) -> bool {
        self.incoming.get(&id).is_some_and(|left| *left > 0)
    }

    pub(super) fn take(map: &mut BTreeMap<ServerId, u32>, id: ServerId) -> bool {
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

/// Plans one pass over every chunk, then rebalancing unless a chunk under
/// its goal or on wrong labels got a copy or waits for a server's budget:
/// such work always comes first. As in MooseFS, a chunk no server could
/// take a copy of (a goal above the server count) does not hold
/// rebalancing back.
pub fn plan(state: &ChunkState, limits: &Limits, now: u64) -> Plan {
    let mut budget = Budget::new(state, limits);
    let mut pass = Plan::default();
    // Chunks ready to move are gathered only when some server is fuller
    // than another by more than the acceptable difference.
    let may_rebalance = worth_rebalancing(state, limits);
    let mut settled = Vec::new();
    let mut repairing = false;
    for (chunk, record) in state.table().iter() {
        let soft = state.soft.get(&chunk);
        let placement = state.placement(record);
        let goal = placement.goal();
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
        let open = open_expressions(state, copies, placement.keep);
        let missing = goal.saturating_sub(regular + pending);
        let (planned, blocked) = if open.is_empty() {
            (0, false)
        } else {
            let wanted = Wanted {
                open: &open,
                missing,
                strict: placement.strict,
            };
            replicate(state, &mut pass, &mut budget, chunk, &wanted)
        };
        repairing |= planned > 0 || blocked;
        if pending == 0 && planned == 0 && regular >= goal {
            trim(state, &mut pass, &mut budget, chunk, placement.keep);
        }
        let all_current = copies
            .iter()
            .all(|c| c.is_regular() && c.version == record.version);
        if may_rebalance && open.is_empty() && copies.len() == goal && all_current {
            settled.push(chunk);
        }
    }
    if may_rebalance && !repairing {
        rebalance(state, limits, &mut pass, &mut budget, &settled);
    }
    pass
}

/// The keep expressions no regular copy satisfies. Copies being made
/// count as made: they are on servers chosen for expressions open when
/// they started.
/// Borrowed from `keep` for classes without labels, the common case, so
/// that a pass over every chunk allocates nothing for them.
fn open_expressions<'a>(
    state: &ChunkState,
    copies: &[ChunkCopy],
    keep: &'a [LabelExpr],
) -> Cow<'a, [LabelExpr]> {
    let present = copies
        .iter()
        .filter(|c| c.is_regular() || c.state == CopyState::Replicating);
    if !any_labels(keep) {
        // Any server satisfies `*`: only the count matters.
        return Cow::Borrowed(&keep[present.count().min(keep.len())..]);
    }
    let labels: Vec<u32> = present
        .map(|c| state.server(c.server).map_or(0, |s| s.labels))
        .collect();
    Cow::Owned(
        assign(keep, &labels)
            .iter()
            .zip(keep)
            .filter(|(server, _)| server.is_none())
            .map(|(_, expr)| *expr)
            .collect(),
    )
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

/// The copies one chunk still needs.
struct Wanted<'a> {
    /// Keep expressions no copy (made or being made) satisfies.
    open: &'a [LabelExpr],
    /// Copies short of the goal.
    missing: usize,
    /// Whether a copy may go to a server matching no open expression
    /// while the chunk is short of its goal.
    strict: bool,
}

/// Plans a new copy of `chunk` for each open expression, on a server
/// without a copy that matches it: the most free space first, and servers
/// still able to take a replication this pass before the others. While
/// the chunk is short of its goal, copies no matching server can take go
/// to any other server, unless the class is strict: labels never cost a
/// copy. Returns the number of jobs planned, and whether a server that
/// could take a copy had no replication budget left this pass.
///
/// As in MooseFS, each copy started counts as done (under goal, or for
/// wrong labels when the chunk has its count but a copy sits where no
/// expression wants it); a chunk for which none could be started counts
/// once as not done, or as labels that no server matches when no server
/// could ever take the copy; a chunk without a copy to read from is not
/// counted at all: nothing can be done for it.
fn replicate(
    state: &ChunkState,
    plan: &mut Plan,
    budget: &mut Budget,
    chunk: ChunkId,
    wanted: &Wanted<'_>,
) -> (usize, bool) {
    let Some(version) = state.table().get(chunk).map(|r| r.version) else {
        return (0, false);
    };
    let copies = state.copies(chunk);
    let sources: Vec<ServerId> = copies
        .iter()
        .filter(|c| c.state == CopyState::Valid && c.version == version)
        .map(|c| c.server)
        .collect();
    if sources.is_empty() {
        return (0, false);
    }
    let mut targets: Vec<(bool, u64, ServerId, u32)> = state
        .servers()
        .filter(|(id, s)| {
            s.registered && s.usage.free() > 0 && !copies.iter().any(|c| c.server == *id)
        })
        .map(|(id, s)| {
            let ready = budget.can_receive(id);
            (ready, s.usage.free(), id, s.labels)
        })
        .collect();
    targets.sort_by(|a, b| b.0.cmp(&a.0).then(b.1.cmp(&a.1)).then(a.2.cmp(&b.2)));
    let masks: Vec<u32> = targets.iter().map(|t| t.3).collect();
    let matched = assign(wanted.open, &masks);
    let mut chosen: Vec<usize> = matched.iter().flatten().copied().collect();
    let unmatched = matched.iter().filter(|m| m.is_none()).count();
    let fallback = if wanted.strict {
        0
    } else {
        unmatched.min(wanted.missing.saturating_sub(chosen.len()))
    };
    let spare: Vec<usize> = (0..targets.len())
        .filter(|n| !chosen.contains(n))
        .take(fallback)
        .collect();
    chosen.extend(spare);
    let mut planned = 0;
    let mut blocked = false;
    for n in chosen {
        let to = targets[n].2;
        if !Budget::take(&mut budget.incoming, to) {
            blocked = true;
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
    let tally = &mut plan.tally;
    let work = if wanted.missing > 0 {
        &mut tally.copy_undergoal
    } else {
        &mut tally.copy_wronglabels
    };
    work.done += planned as u32;
    if planned == 0 {
        if wanted.missing > 0 || blocked {
            work.not_done += 1;
        } else {
            tally.labels_dont_match += 1;
        }
    }
    (planned, blocked)
}

/// Deletes the regular copies of `chunk` beyond its goal, from the
/// fullest servers (by usage ratio, as rebalancing measures them, so the
/// copy a move left behind is the one deleted), skipping a copy whose
/// loss would leave a `keep` expression the copies satisfy unsatisfied;
/// then the copies on disks marked for removal, which the regular ones
/// now replace. A copy on a server no expression wants is thus deleted
/// once a copy on a server that one wants exists.
fn trim(
    state: &ChunkState,
    plan: &mut Plan,
    budget: &mut Budget,
    chunk: ChunkId,
    keep: &[LabelExpr],
) {
    let copies = state.copies(chunk);
    let mut regular: Vec<(f64, &ChunkCopy, u32)> = copies
        .iter()
        .filter(|c| c.is_regular())
        .map(|c| {
            let server = state.server(c.server);
            let ratio = server.map_or(1.0, |s| s.usage.ratio());
            (ratio, c, server.map_or(0, |s| s.labels))
        })
        .collect();
    regular.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.server.cmp(&b.1.server)));
    let masks: Vec<u32> = regular.iter().map(|r| r.2).collect();
    for n in surplus(keep, &masks) {
        let copy = regular[n].1;
        delete(
            &mut plan.jobs,
            budget,
            &mut plan.tally.del_overgoal,
            chunk,
            copy,
        );
    }
    for copy in copies
        .iter()
        .filter(|c| c.state == CopyState::Valid && c.todel)
    {
        delete(
            &mut plan.jobs,
            budget,
            &mut plan.tally.del_diskclean,
            chunk,
            copy,
        );
    }
}

/// Which of the copies on servers with `masks` (fullest first) go: the
/// first ones beyond the `keep` count whose loss leaves as many
/// expressions satisfied as all of them satisfy.
fn surplus(keep: &[LabelExpr], masks: &[u32]) -> Vec<usize> {
    let mut extra = masks.len().saturating_sub(keep.len());
    if extra == 0 {
        return Vec::new();
    }
    let satisfied = |masks: &[u32]| assign(keep, masks).iter().flatten().count();
    let needed = satisfied(masks);
    let mut kept: Vec<bool> = vec![true; masks.len()];
    let mut gone = Vec::new();
    for n in 0..masks.len() {
        if extra == 0 {
            break;
        }
        let without: Vec<u32> = (0..masks.len())
            .filter(|m| *m != n && kept[*m])
            .map(|m| masks[m])
            .collect();
        if satisfied(&without) == needed {
            kept[n] = false;
            gone.push(n);
            extra -= 1;
        }
    }
    gone
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
