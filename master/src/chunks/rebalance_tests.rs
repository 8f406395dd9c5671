//! Rebalancing: copies move from full chunkservers to empty ones, within
//! the pass's limit, and the copy left on the full one is then deleted.

use std::collections::BTreeSet;

use mooseng_wire::Status;

use super::tests::{addr, answer_all, holders, join, FILE};
use super::*;

/// Registers a server at `10.0.0.n` with `used` of `total` GiB in use,
/// holding `chunks` in version 1.
fn sized(state: &mut ChunkState, n: u8, used: u64, total: u64, chunks: &[ChunkId]) -> ServerId {
    let held: Vec<(ChunkId, u32)> = chunks.iter().map(|c| (*c, 1)).collect();
    let id = join(state, n, 0, &held);
    state.server_mut(id).unwrap().usage = Usage {
        used: used << 30,
        total: total << 30,
        ..Usage::default()
    };
    id
}

/// `count` chunks of goal `goal`.
fn chunks(state: &mut ChunkState, goal: u8, count: usize) -> Vec<ChunkId> {
    (0..count)
        .map(|_| {
            let entry = ChunkEntry::Create {
                file: FILE,
                class: goal,
            };
            state.commit(entry).unwrap()
        })
        .collect()
}

/// The rebalancing moves of a pass: (chunk, from, to).
fn moves(pass: &Plan) -> Vec<(ChunkId, ServerId, ServerId)> {
    pass.jobs
        .iter()
        .filter_map(|job| match *job {
            Job::Replicate {
                chunk, from, to, ..
            } => Some((chunk, from, to)),
            _ => None,
        })
        .collect()
}

fn start_all(state: &mut ChunkState, pass: Plan) {
    for job in pass.jobs {
        state.start(job).unwrap();
    }
}

#[test]
fn copies_move_from_a_full_server_to_empty_ones_within_the_limits() {
    let mut state = ChunkState::default();
    // The goal-2 chunks come first: their copies on the half-empty server
    // leave them one target, the emptiest.
    let double = chunks(&mut state, 2, 2);
    let single = chunks(&mut state, 1, 4);
    let on_full: Vec<ChunkId> = single.iter().chain(&double).copied().collect();
    let full = sized(&mut state, 1, 95, 100, &on_full);
    let half_empty = sized(&mut state, 2, 2, 100, &double);
    let empty = sized(&mut state, 3, 1, 100, &[]);

    let pass = plan(&state, &Limits::default(), 0);
    let moved = moves(&pass);
    // Two replications per target at once: four moves, though ten may go.
    assert_eq!(moved.len(), 4, "{moved:?}");
    assert_eq!(pass.tally.copy_rebalance, 4);
    assert_eq!(shown(pass.tally).copy_rebalance, 4);
    for (chunk, from, to) in &moved {
        assert_eq!(*from, full);
        assert!(state.copies(*chunk).iter().all(|c| c.server != *to));
    }
    let targets: BTreeSet<ServerId> = moved.iter().map(|m| m.2).collect();
    assert_eq!(targets, BTreeSet::from([half_empty, empty]));
    let doubles: Vec<_> = moved.iter().filter(|m| double.contains(&m.0)).collect();
    assert_eq!(doubles.len(), 2);
    assert!(doubles.iter().all(|m| m.2 == empty));
    assert!(!pass.jobs.iter().any(|j| matches!(j, Job::Delete { .. })));

    let few = Limits {
        rebalance_per_pass: 3,
        incoming_per_server: 10,
        ..Limits::default()
    };
    let pass = plan(&state, &few, 0);
    assert_eq!((moves(&pass).len(), pass.tally.copy_rebalance), (3, 3));

    // Moves under way hold their chunks and the targets' budget.
    let pass = plan(&state, &Limits::default(), 0);
    start_all(&mut state, pass);
    assert!(moves(&plan(&state, &Limits::default(), 0)).is_empty());
}

/// What mfscli shows of a pass.
fn shown(tally: PassTally) -> mooseng_wire::matocl_info::ChunkOperations {
    let mut record = ChunkLoop::default();
    record.finish(1, tally);
    record.to_message()
}

#[test]
fn servers_within_the_acceptable_difference_keep_their_copies() {
    let mut state = ChunkState::default();
    let chunk = chunks(&mut state, 1, 1)[0];
    sized(&mut state, 1, 505, 1000, &[chunk]);
    let emptier = sized(&mut state, 2, 500, 1000, &[]);
    // Half a percent point apart.
    let pass = plan(&state, &Limits::default(), 0);
    assert_eq!(pass, Plan::default());
    let picky = Limits {
        acceptable_difference: 0.001,
        ..Limits::default()
    };
    assert_eq!(moves(&plan(&state, &picky, 0))[0].2, emptier);
}

#[test]
fn repairs_go_first_and_moves_follow() {
    let mut state = ChunkState::default();
    let under = chunks(&mut state, 2, 1)[0];
    let at_goal = chunks(&mut state, 1, 3);
    let full = sized(&mut state, 1, 90, 100, &[&[under][..], &at_goal].concat());
    let empty = sized(&mut state, 2, 1, 100, &[]);

    let first = plan(&state, &Limits::default(), 0);
    assert_eq!(moves(&first), [(under, full, empty)]);
    assert_eq!(first.tally.copy_rebalance, 0);
    start_all(&mut state, first);
    answer_all(&mut state, Status::OK);

    let second = plan(&state, &Limits::default(), 0);
    assert_eq!(second.tally.copy_undergoal, Work::default());
    assert_eq!(
        moves(&second),
        [(at_goal[0], full, empty), (at_goal[1], full, empty)]
    );
}

#[test]
fn the_copy_left_on_the_fuller_server_is_deleted() {
    let mut state = ChunkState::default();
    let chunk = chunks(&mut state, 1, 1)[0];
    // More free bytes, yet fuller: usage decides, as in the move.
    let big = sized(&mut state, 1, 50, 100, &[chunk]);
    let small = sized(&mut state, 2, 1, 10, &[]);

    let first = plan(&state, &Limits::default(), 0);
    assert_eq!(moves(&first), [(chunk, big, small)]);
    start_all(&mut state, first);
    answer_all(&mut state, Status::OK);
    assert_eq!(holders(&state, chunk).len(), 2);

    let second = plan(&state, &Limits::default(), 0);
    assert_eq!(
        second.jobs,
        [Job::Delete {
            chunk,
            version: 1,
            on: big
        }]
    );
    assert_eq!(second.tally.del_overgoal.done, 1);
    start_all(&mut state, second);
    answer_all(&mut state, Status::OK);
    assert_eq!(holders(&state, chunk), [addr(2)]);
    assert_eq!(plan(&state, &Limits::default(), 0), Plan::default());
}

/// The tally of a pass that could start no copy of one under-goal chunk.
const ONE_REPAIR_NOT_DONE: Work = Work {
    done: 0,
    not_done: 1,
};

#[test]
fn a_chunk_no_server_can_repair_does_not_hold_moves_back() {
    let mut state = ChunkState::default();
    let three = chunks(&mut state, 3, 1)[0];
    let one = chunks(&mut state, 1, 1)[0];
    let full = sized(&mut state, 1, 90, 100, &[three, one]);
    let empty = sized(&mut state, 2, 1, 100, &[three]);

    let pass = plan(&state, &Limits::default(), 0);
    assert_eq!(pass.tally.copy_undergoal, ONE_REPAIR_NOT_DONE);
    assert_eq!(moves(&pass), [(one, full, empty)]);

    // A repair waiting for a server's budget does hold them back.
    let third = sized(&mut state, 3, 50, 100, &[]);
    state.server_mut(third).unwrap().incoming = 2;
    let pass = plan(&state, &Limits::default(), 0);
    assert_eq!(pass.tally.copy_undergoal, ONE_REPAIR_NOT_DONE);
    assert!(pass.jobs.is_empty(), "{:?}", pass.jobs);
}
