//! The planner's tally ("chunk loop") and the chunks' health ("check
//! loop", missing chunks) that `mfscli -SIN` shows.

use super::tests::join;
use super::*;

/// A chunk of fixed goal class `class`, whose copies go anywhere.
fn create(state: &mut ChunkState, class: u8) -> ChunkId {
    let file = FileRef { inode: 7, index: 0 };
    state.commit(ChunkEntry::Create { file, class }).unwrap()
}

/// One chunk needing each kind of work the planner does, and one leased.
fn every_kind_of_work() -> ChunkState {
    let mut state = ChunkState::default();
    let undergoal = create(&mut state, 3);
    let overgoal = create(&mut state, 1);
    let wrong_version = create(&mut state, 1);
    let on_marked_disk = create(&mut state, 2);
    let leased = create(&mut state, 1);
    let unused = 40;
    join(
        &mut state,
        1,
        5,
        &[
            (undergoal, 1),
            (overgoal, 1),
            (wrong_version, 1),
            (on_marked_disk, 1),
            (unused, 1),
        ],
    );
    join(
        &mut state,
        2,
        50,
        &[
            (overgoal, 1),
            (wrong_version, 0),
            (on_marked_disk, 1),
            (leased, 1),
        ],
    );
    join(
        &mut state,
        3,
        20,
        &[(overgoal, 1), (on_marked_disk, 1 | TODEL_FLAG)],
    );
    let file = FileRef { inode: 8, index: 0 };
    state.begin_write(file, leased, 1, 0, 120).unwrap();
    state
}

#[test]
fn a_pass_tallies_the_work_it_starts() {
    let state = every_kind_of_work();
    let pass = plan(&state, &Limits::default(), 0);
    let done = |done| Work { done, not_done: 0 };
    let expected = PassTally {
        del_invalid: done(1),
        del_unused: done(1),
        del_diskclean: done(1),
        del_overgoal: done(2),
        copy_undergoal: done(2),
        locked_unused: 0,
        locked_used: 1,
        ..PassTally::default()
    };
    assert_eq!(pass.tally, expected);
    assert_eq!(pass.jobs.len(), 7);
}

#[test]
fn work_no_server_may_take_now_counts_as_not_done() {
    let state = every_kind_of_work();
    let none = Limits {
        incoming_per_server: 0,
        deletions_per_server: 0,
        ..Limits::default()
    };
    let pass = plan(&state, &none, 0);
    let not_done = |not_done| Work { done: 0, not_done };
    let expected = PassTally {
        del_invalid: not_done(1),
        del_unused: not_done(1),
        del_diskclean: not_done(1),
        del_overgoal: not_done(2),
        copy_undergoal: not_done(1),
        locked_unused: 0,
        locked_used: 1,
        ..PassTally::default()
    };
    assert_eq!(pass.tally, expected);
    assert!(pass.jobs.is_empty());
}

#[test]
fn the_chunk_loop_starts_where_the_pass_before_ended() {
    let mut record = ChunkLoop::default();
    assert_eq!(record.to_message().loopstart, 0, "mfscli: no data");
    let tally = PassTally {
        del_overgoal: Work {
            done: 2,
            not_done: 1,
        },
        locked_used: 4,
        ..PassTally::default()
    };
    record.finish(100, PassTally::default());
    record.finish(101, tally);
    let message = record.to_message();
    assert_eq!((message.loopstart, message.loopend), (100, 101));
    assert_eq!((message.del_overgoal, message.nodel_overgoal), (2, 1));
    assert_eq!(message.locked_used, 4);
}

#[test]
fn health_says_why_a_chunk_has_no_usable_copy() {
    let mut state = ChunkState::default();
    let undergoal = create(&mut state, 2);
    let no_copy = create(&mut state, 1);
    let wrong_version = create(&mut state, 1);
    let deleted = create(&mut state, 1);
    let fine = create(&mut state, 1);
    join(
        &mut state,
        1,
        5,
        &[(undergoal, 1), (wrong_version, 0), (deleted, 1), (fine, 1)],
    );
    let b = join(&mut state, 2, 50, &[(deleted, 1)]);
    // The planner deletes the surplus copy on the fuller server (1), then
    // the other one is lost: only a copy being deleted is left. The copy
    // in a wrong version, all that is left of its chunk, stays.
    for job in plan(&state, &Limits::default(), 0).jobs {
        state.start(job).unwrap();
    }
    state.copy_gone(b, deleted);

    let health = state.health();
    assert_eq!(health[&undergoal], ChunkHealth::Undergoal);
    assert_eq!(health[&no_copy], ChunkHealth::Missing(MissingKind::NoCopy));
    assert_eq!(
        health[&wrong_version],
        ChunkHealth::Missing(MissingKind::WrongVersion)
    );
    assert_eq!(health[&deleted], ChunkHealth::Missing(MissingKind::Invalid));
    assert_eq!(health[&fine], ChunkHealth::Enough);
    assert_eq!(health.get(&99), None, "not in the table");
    assert_eq!(
        state.copies(wrong_version)[0].state,
        CopyState::WrongVersion
    );
}
