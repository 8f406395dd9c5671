//! Rebalancing: moving copies from chunkservers fuller than others to
//! emptier ones, as MooseFS's `chunk_do_jobs` does once a chunk needs
//! nothing else.
//!
//! A move is a replication to the emptier server; the copy on the fuller
//! one is then surplus and the next pass's trim deletes it, since the trim
//! deletes from the fullest servers by the same usage ratio.
//!
//! What MooseNG keeps of MooseFS's rule: usage is `used / total`; a copy
//! moves only when its server's usage exceeds the target's by more than
//! the acceptable difference (`ACCEPTABLE_PERCENTAGE_DIFFERENCE`, 1 percent
//! point); the move with the largest difference among the chunk's copies
//! is taken; nothing moves in a pass that repairs a chunk under its goal
//! or on wrong labels, or has one waiting for a server's budget. With
//! labels, the target must satisfy the keep expression the moved copy
//! stands for (in the matching of expressions to the chunk's copies), so
//! the chunk keeps every expression satisfied.
//!
//! What differs: MooseFS also moves copies within the acceptable
//! difference, slowly (one move per `0.01 / difference` seconds), and paces
//! moves with per-server read and write limit classes; MooseNG moves none
//! there and paces with a number of moves per pass, sharing each target's
//! incoming replication limit with regular replication.

use super::labels::{assign, matches};
use super::planner::{Budget, Job, Limits, Plan};
use super::{ChunkId, ChunkState, ServerId};
use crate::namespace::LabelExpr;

/// A server a copy may move to.
struct Target {
    ratio: f64,
    id: ServerId,
    labels: u32,
}

/// Whether a pass may move anything: rebalancing is on and the fullest
/// registered server's usage exceeds that of the emptiest one with room
/// by more than the acceptable difference.
pub(super) fn worth_rebalancing(state: &ChunkState, limits: &Limits) -> bool {
    let registered = || state.servers().filter(|(_, s)| s.registered);
    let fullest = registered()
        .map(|(_, s)| s.usage.ratio())
        .fold(0.0, f64::max);
    let emptiest = registered()
        .filter(|(_, s)| s.usage.free() > 0)
        .map(|(_, s)| s.usage.ratio())
        .reduce(f64::min);
    limits.rebalance_per_pass > 0
        && emptiest.is_some_and(|emptiest| fullest - emptiest > limits.acceptable_difference)
}

/// Plans up to `limits.rebalance_per_pass` moves among `settled`, chunks
/// at their goal with every copy valid and nothing else to do.
pub(super) fn rebalance(
    state: &ChunkState,
    limits: &Limits,
    plan: &mut Plan,
    budget: &mut Budget,
    settled: &[ChunkId],
) {
    let mut targets: Vec<Target> = state
        .servers()
        .filter(|(_, s)| s.registered && s.usage.free() > 0)
        .map(|(id, s)| Target {
            ratio: s.usage.ratio(),
            id,
            labels: s.labels,
        })
        .collect();
    targets.sort_by(|a, b| a.ratio.total_cmp(&b.ratio).then(a.id.cmp(&b.id)));
    let mut left = limits.rebalance_per_pass;
    for &chunk in settled {
        if left == 0 || !targets.iter().any(|t| budget.can_receive(t.id)) {
            return;
        }
        let Some(record) = state.table().get(chunk) else {
            continue;
        };
        let keep = state.placement(record).keep;
        let Some((from, to)) = best_move(state, chunk, keep, &targets, budget, limits) else {
            continue;
        };
        if Budget::take(&mut budget.incoming, to) {
            plan.jobs.push(Job::Replicate {
                chunk,
                version: record.version,
                to,
                from,
            });
            plan.tally.copy_rebalance += 1;
            left -= 1;
        }
    }
}

/// The move of one copy of `chunk` with the largest usage difference above
/// the acceptable one: `(from, to)`.
fn best_move(
    state: &ChunkState,
    chunk: ChunkId,
    keep: &[LabelExpr],
    targets: &[Target],
    budget: &Budget,
    limits: &Limits,
) -> Option<(ServerId, ServerId)> {
    let copies = state.copies(chunk);
    let masks: Vec<u32> = copies
        .iter()
        .map(|c| state.server(c.server).map_or(0, |s| s.labels))
        .collect();
    // The expression each copy stands for; `*` ones match every server.
    let mut stands_for: Vec<Option<&LabelExpr>> = vec![None; copies.len()];
    for (expr, copy) in keep.iter().zip(assign(keep, &masks)) {
        if let Some(n) = copy {
            stands_for[n] = Some(expr);
        }
    }
    let mut best: Option<(f64, ServerId, ServerId)> = None;
    for (copy, expr) in copies.iter().zip(stands_for) {
        let (Some(expr), Some(source)) = (expr, state.server(copy.server)) else {
            continue;
        };
        let from = source.usage.ratio();
        // Targets are emptiest first: the first one that fits is the best.
        let Some(target) = targets.iter().find(|t| {
            budget.can_receive(t.id)
                && matches(expr, t.labels)
                && !copies.iter().any(|c| c.server == t.id)
        }) else {
            continue;
        };
        let difference = from - target.ratio;
        if difference > limits.acceptable_difference && best.is_none_or(|b| difference > b.0) {
            best = Some((difference, copy.server, target.id));
        }
    }
    best.map(|(_, from, to)| (from, to))
}
