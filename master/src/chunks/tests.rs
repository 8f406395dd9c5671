use std::collections::BTreeSet;
use std::net::{Ipv4Addr, SocketAddrV4};

use mooseng_wire::{Status, Version};
use proptest::prelude::*;

use super::*;
use crate::namespace::Classes;

pub(super) const FILE: FileRef = FileRef { inode: 7, index: 0 };

pub(super) fn addr(n: u8) -> SocketAddrV4 {
    SocketAddrV4::new(Ipv4Addr::new(10, 0, 0, n), 9422)
}

fn usage(free_gib: u64) -> Usage {
    Usage {
        used: 1 << 30,
        total: (free_gib + 1) << 30,
        ..Usage::default()
    }
}

/// The addresses `locate` gives for `chunk`.
pub(super) fn holders(state: &ChunkState, chunk: ChunkId) -> Vec<SocketAddrV4> {
    let (_, holders) = state.locate(chunk).unwrap();
    holders.iter().map(|s| s.addr).collect()
}

/// Registers a server at `10.0.0.n` holding `chunks` (id, version).
pub(super) fn join(
    state: &mut ChunkState,
    n: u8,
    free_gib: u64,
    chunks: &[(ChunkId, u32)],
) -> ServerId {
    let id = state
        .register(addr(n), Version::MOOSEFS_3_0_117, 0, usage(free_gib))
        .unwrap();
    for (chunk, version) in chunks {
        state.has_chunk(id, *chunk, *version);
    }
    state.register_end(id);
    id
}

pub(super) fn answer_all(state: &mut ChunkState, status: Status) {
    for (server, order) in std::mem::take(&mut state.orders) {
        let answer = match order {
            Order::Create { chunk, .. } => OpAnswer::Create { chunk, status },
            Order::SetVersion { chunk, .. } => OpAnswer::SetVersion { chunk, status },
            Order::Truncate { chunk, .. } => OpAnswer::Truncate { chunk, status },
            Order::Delete { chunk, .. } => OpAnswer::Delete { chunk, status },
            Order::Duplicate { chunk, .. } | Order::Duptrunc { chunk, .. } => {
                OpAnswer::Duplicate { chunk, status }
            }
            Order::Replicate { chunk, version, .. } => OpAnswer::Replicate {
                chunk,
                version,
                status,
            },
        };
        state.answer(server, answer);
    }
}

pub(super) fn maintain(state: &mut ChunkState) {
    for job in plan(state, &Limits::default(), 0).jobs {
        state.start(job).unwrap();
    }
}

#[test]
fn table_allocates_ids_in_log_order_and_replays_identically() {
    let entries = [
        ChunkEntry::Create {
            file: FILE,
            class: 2,
        },
        ChunkEntry::Create {
            file: FILE,
            class: 1,
        },
        ChunkEntry::IncreaseVersion { chunk: 1 },
        ChunkEntry::AddRef { chunk: 2, class: 3 },
        ChunkEntry::ChangeClass {
            chunk: 1,
            from: 2,
            to: 5,
        },
        ChunkEntry::Adopt {
            chunk: 40,
            version: 9,
        },
        ChunkEntry::Create {
            file: FILE,
            class: 1,
        },
    ];
    let mut table = ChunkTable::default();
    let ids: Vec<_> = entries.iter().map(|e| table.apply(e).unwrap()).collect();
    assert_eq!(ids, [1, 2, 1, 2, 1, 40, 41]);
    let classes = Classes::default();
    let one = table.get(1).unwrap();
    assert_eq!(
        (one.version, one.class(&classes), one.ref_count()),
        (2, 5, 1)
    );
    assert_eq!(table.get(2).unwrap().class(&classes), 3);
    assert_eq!(table.get(40).unwrap().class(&classes), 0);

    let mut replay = ChunkTable::default();
    for entry in &entries {
        replay.apply(entry).unwrap();
    }
    assert_eq!(replay, table);
}

#[test]
fn table_refuses_inconsistent_entries_without_changing() {
    let mut table = ChunkTable::default();
    table
        .apply(&ChunkEntry::Create {
            file: FILE,
            class: 2,
        })
        .unwrap();
    let before = table.clone();
    for bad in [
        ChunkEntry::IncreaseVersion { chunk: 9 },
        ChunkEntry::DropRef { chunk: 1, class: 3 },
        ChunkEntry::ChangeClass {
            chunk: 1,
            from: 1,
            to: 2,
        },
        ChunkEntry::Remove { chunk: 1 },
        ChunkEntry::Adopt {
            chunk: 1,
            version: 1,
        },
    ] {
        assert!(table.apply(&bad).is_err(), "{bad:?} was accepted");
        assert_eq!(table, before);
    }
    table
        .apply(&ChunkEntry::DropRef { chunk: 1, class: 2 })
        .unwrap();
    table.apply(&ChunkEntry::Remove { chunk: 1 }).unwrap();
    assert!(table.is_empty());
}

#[test]
fn registration_refuses_loopback_and_double_connections_and_keeps_ids() {
    let mut state = ChunkState::default();
    let loopback = SocketAddrV4::new(Ipv4Addr::LOCALHOST, 9422);
    let refused = state.register(loopback, Version::MOOSEFS_3_0_117, 0, Usage::default());
    assert_eq!(refused, Err(Refusal::Loopback));

    let a = join(&mut state, 1, 10, &[]);
    let again = state.register(addr(1), Version::MOOSEFS_3_0_117, 0, Usage::default());
    assert_eq!(again, Err(Refusal::AlreadyConnected));
    let hinted = state
        .register(addr(2), Version::MOOSEFS_3_0_117, 7, Usage::default())
        .unwrap();
    assert_eq!(hinted, ServerId(7));
    state.disconnected(a);
    let back = state
        .register(addr(1), Version::MOOSEFS_3_0_117, 0, Usage::default())
        .unwrap();
    assert_eq!(back, a);
}

#[test]
fn unknown_chunks_are_adopted_for_deletion_and_absurd_ids_ignored() {
    let mut state = ChunkState::default();
    let id = join(&mut state, 1, 10, &[(5, 3), (u64::MAX, 1), (0, 1)]);
    assert_eq!(state.table().len(), 1);
    assert_eq!(
        state.journal,
        [ChunkEntry::Adopt {
            chunk: 5,
            version: 3
        }]
    );
    assert_eq!(state.table().next_id(), 6);

    maintain(&mut state);
    assert_eq!(
        state.orders,
        [(
            id,
            Order::Delete {
                chunk: 5,
                version: 3
            }
        )]
    );
    answer_all(&mut state, Status::OK);
    maintain(&mut state);
    assert!(state.table().is_empty());
    assert_eq!(state.journal.last(), Some(&ChunkEntry::Remove { chunk: 5 }));
}

#[test]
fn a_write_into_a_hole_creates_the_chunk_on_the_emptiest_servers() {
    let mut state = ChunkState::default();
    assert_eq!(
        state.begin_write(FILE, 0, 2, 0, 120),
        Err(Status::NOCHUNKSERVERS)
    );
    let small = join(&mut state, 1, 5, &[]);
    let big = join(&mut state, 2, 50, &[]);
    let medium = join(&mut state, 3, 20, &[]);
    let start = state.begin_write(FILE, 0, 2, 0, 120).unwrap();
    assert_eq!(start.chunk, 1);
    assert!(start.wait);
    let mut sent: Vec<_> = state.orders.clone();
    sent.sort_by_key(|(s, _)| *s);
    let create = Order::Create {
        chunk: 1,
        version: 1,
    };
    assert_eq!(sent, [(big, create), (medium, create)]);
    assert!(holders(&state, 1).is_empty());

    answer_all(&mut state, Status::OK);
    assert_eq!(state.finished, [(1, Ok(()))]);
    assert_eq!(state.locate(1).unwrap().0, 1);
    let holding = holders(&state, 1);
    assert_eq!(holding.len(), 2);
    assert!(!holding.contains(&addr(1)));
    assert_eq!(state.begin_write(FILE, 1, 2, 5, 120), Err(Status::LOCKED));
    state.end_write(1).unwrap();
    let _ = small;
}

#[test]
fn a_failed_create_everywhere_reports_not_done_and_frees_the_lease() {
    let mut state = ChunkState::default();
    join(&mut state, 1, 5, &[]);
    let start = state.begin_write(FILE, 0, 1, 0, 120).unwrap();
    answer_all(&mut state, Status::IO);
    assert_eq!(state.finished, [(start.chunk, Err(Status::NOTDONE))]);
    assert!(state.copies(start.chunk).is_empty());
}

#[test]
fn writing_a_chunk_whose_copies_changed_steps_its_version_first() {
    let mut state = ChunkState::default();
    state
        .commit(ChunkEntry::Create {
            file: FILE,
            class: 2,
        })
        .unwrap();
    let a = join(&mut state, 1, 5, &[(1, 1)]);
    let b = join(&mut state, 2, 5, &[(1, 1)]);
    let c = join(&mut state, 3, 5, &[(1, 7)]);
    state.journal.clear();

    let start = state.begin_write(FILE, 1, 2, 0, 120).unwrap();
    assert!(start.wait);
    assert_eq!(state.journal, [ChunkEntry::IncreaseVersion { chunk: 1 }]);
    let step = Order::SetVersion {
        chunk: 1,
        version: 2,
        old: 1,
    };
    let mut sent = state.orders.clone();
    sent.sort_by_key(|(s, _)| *s);
    assert_eq!(sent, [(a, step), (b, step)]);
    assert_eq!(
        state.begin_write(FILE, 1, 2, 0, 120),
        Err(Status::CHUNKBUSY)
    );

    state.orders.clear();
    state.answer(
        a,
        OpAnswer::SetVersion {
            chunk: 1,
            status: Status::OK,
        },
    );
    assert!(state.finished.is_empty());
    state.answer(
        b,
        OpAnswer::SetVersion {
            chunk: 1,
            status: Status::IO,
        },
    );
    assert_eq!(state.finished, [(1, Ok(()))]);
    assert_eq!(state.locate(1).unwrap().0, 2);
    assert_eq!(holders(&state, 1), [addr(1)]);
    assert_eq!(
        state
            .copies(1)
            .iter()
            .find(|x| x.server == c)
            .unwrap()
            .state,
        CopyState::WrongVersion
    );

    // The next write after the lease ends needs no step: nothing changed.
    state.end_write(1).unwrap();
    let again = state.begin_write(FILE, 1, 2, 0, 120).unwrap();
    assert!(!again.wait);
    assert!(state.orders.is_empty());
}

/// Chunk 1 (goal 2) in version 3, valid on servers 1 and 2, stale on 3.
fn truncatable() -> (ChunkState, [ServerId; 3]) {
    let mut state = ChunkState::default();
    state
        .commit(ChunkEntry::Create {
            file: FILE,
            class: 2,
        })
        .unwrap();
    state
        .commit(ChunkEntry::IncreaseVersion { chunk: 1 })
        .unwrap();
    state
        .commit(ChunkEntry::IncreaseVersion { chunk: 1 })
        .unwrap();
    let a = join(&mut state, 1, 5, &[(1, 3)]);
    let b = join(&mut state, 2, 5, &[(1, 3)]);
    let c = join(&mut state, 3, 5, &[(1, 2)]);
    state.journal.clear();
    (state, [a, b, c])
}

#[test]
fn truncating_steps_the_version_and_cuts_every_valid_copy() {
    let (mut state, [a, b, _]) = truncatable();
    assert_eq!(
        state.begin_truncate(FILE, 1, 100_000, 2, 0, 120),
        Ok(Cutting {
            chunk: 1,
            version: 4
        })
    );
    assert_eq!(state.journal, [ChunkEntry::IncreaseVersion { chunk: 1 }]);
    let cut = Order::Truncate {
        chunk: 1,
        length: 100_000,
        version: 4,
        old: 3,
    };
    let mut sent = state.orders.clone();
    sent.sort_by_key(|(s, _)| *s);
    assert_eq!(sent, [(a, cut), (b, cut)], "the stale copy is not cut");
    assert_eq!(
        state.begin_write(FILE, 1, 2, 0, 120),
        Err(Status::CHUNKBUSY)
    );
    assert_eq!(
        state.begin_truncate(FILE, 1, 5, 2, 0, 120),
        Err(Status::CHUNKBUSY)
    );

    answer_all(&mut state, Status::OK);
    assert_eq!(state.finished, [(1, Ok(()))]);
    assert_eq!(state.locate(1).unwrap().0, 4);
    assert_eq!(holders(&state, 1), [addr(1), addr(2)]);
    // Locked until the namespace recorded the length.
    assert_eq!(state.begin_write(FILE, 1, 2, 5, 120), Err(Status::LOCKED));
    state.end_write(1).unwrap();
    let write = state.begin_write(FILE, 1, 2, 5, 120).unwrap();
    assert!(!write.wait, "the cut was the version step a write needs");
}

#[test]
fn a_copy_failing_the_cut_is_dropped_and_all_failing_is_not_done() {
    let (mut state, [a, b, _]) = truncatable();
    state.begin_truncate(FILE, 1, 1, 2, 0, 120).unwrap();
    state.orders.clear();
    state.answer(
        a,
        OpAnswer::Truncate {
            chunk: 1,
            status: Status::IO,
        },
    );
    state.disconnected(b);
    assert_eq!(state.finished, [(1, Err(Status::NOTDONE))]);
    assert!(holders(&state, 1).is_empty());
    assert_eq!(
        state.begin_write(FILE, 1, 2, 0, 120),
        Err(Status::CHUNKLOST)
    );

    let (mut state, [a, b, _]) = truncatable();
    state.begin_truncate(FILE, 1, 1, 2, 0, 120).unwrap();
    state.orders.clear();
    state.answer(
        a,
        OpAnswer::Truncate {
            chunk: 1,
            status: Status::OK,
        },
    );
    state.answer(
        b,
        OpAnswer::Truncate {
            chunk: 1,
            status: Status::NOCHUNK,
        },
    );
    assert_eq!(state.finished, [(1, Ok(()))]);
    assert_eq!(holders(&state, 1), [addr(1)]);
}

#[test]
fn writing_a_shared_chunk_duplicates_it_where_its_valid_copies_are() {
    let (mut state, [a, b, _]) = truncatable();
    state
        .commit(ChunkEntry::AddRef { chunk: 1, class: 2 })
        .unwrap();
    state.journal.clear();
    let start = state.begin_write(FILE, 1, 2, 0, 120).unwrap();
    assert_eq!((start.chunk, start.wait), (2, true));
    assert_eq!(
        state.journal,
        [ChunkEntry::Create {
            file: FILE,
            class: 2
        }]
    );
    let copy = Order::Duplicate {
        chunk: 2,
        version: 1,
        from: 1,
        from_version: 3,
    };
    let mut sent = state.orders.clone();
    sent.sort_by_key(|(s, _)| *s);
    assert_eq!(sent, [(a, copy), (b, copy)], "the stale copy is no source");
    assert_eq!(state.table().get(1).unwrap().ref_count(), 2);
    assert_eq!(
        state.table().get(1).unwrap().version,
        3,
        "the original stays"
    );

    answer_all(&mut state, Status::OK);
    assert_eq!(state.finished, [(2, Ok(()))]);
    assert_eq!(state.locate(2).unwrap().0, 1);
    assert_eq!(holders(&state, 2), [addr(1), addr(2)]);
    assert_eq!(state.begin_write(FILE, 2, 2, 5, 120), Err(Status::LOCKED));
}

#[test]
fn truncating_a_shared_chunk_cuts_a_duplicate() {
    let (mut state, [a, b, _]) = truncatable();
    state
        .commit(ChunkEntry::AddRef { chunk: 1, class: 2 })
        .unwrap();
    state.journal.clear();
    let cutting = state.begin_truncate(FILE, 1, 5000, 2, 0, 120).unwrap();
    assert_eq!(
        cutting,
        Cutting {
            chunk: 2,
            version: 1
        }
    );
    let cut = Order::Duptrunc {
        chunk: 2,
        version: 1,
        from: 1,
        from_version: 3,
        length: 5000,
    };
    let mut sent = state.orders.clone();
    sent.sort_by_key(|(s, _)| *s);
    assert_eq!(sent, [(a, cut), (b, cut)]);
    assert_eq!(
        state.journal,
        [ChunkEntry::Create {
            file: FILE,
            class: 2
        }],
        "the shared chunk keeps its version"
    );
    answer_all(&mut state, Status::OK);
    assert_eq!(state.finished, [(2, Ok(()))]);
    assert_eq!(holders(&state, 2), [addr(1), addr(2)]);
    assert_eq!(state.table().get(1).unwrap().version, 3);
}

#[test]
fn a_duplicate_failing_everywhere_is_not_done() {
    let (mut state, _) = truncatable();
    state
        .commit(ChunkEntry::AddRef { chunk: 1, class: 2 })
        .unwrap();
    let start = state.begin_write(FILE, 1, 2, 0, 120).unwrap();
    answer_all(&mut state, Status::NOSPACE);
    assert_eq!(state.finished, [(start.chunk, Err(Status::NOTDONE))]);
    assert!(holders(&state, start.chunk).is_empty());
}

#[test]
fn truncation_refuses_leased_and_lost_chunks() {
    let (mut state, _) = truncatable();
    state.begin_write(FILE, 1, 2, 0, 120).unwrap();
    answer_all(&mut state, Status::OK);
    assert_eq!(
        state.begin_truncate(FILE, 1, 1, 2, 10, 120),
        Err(Status::LOCKED)
    );
    state.end_write(1).unwrap();
    assert_eq!(
        state.begin_truncate(FILE, 9, 1, 2, 10, 120),
        Err(Status::NOCHUNK)
    );

    let mut lost = ChunkState::default();
    lost.commit(ChunkEntry::Create {
        file: FILE,
        class: 1,
    })
    .unwrap();
    join(&mut lost, 1, 5, &[(1, 7)]);
    lost.journal.clear();
    assert_eq!(
        lost.begin_truncate(FILE, 1, 1, 2, 0, 120),
        Err(Status::CHUNKLOST)
    );
    assert!(lost.journal.is_empty(), "a refused cut logs nothing");
}

#[test]
fn a_disconnect_drops_copies_and_fails_pending_answers() {
    let mut state = ChunkState::default();
    let a = join(&mut state, 1, 5, &[]);
    let b = join(&mut state, 2, 5, &[]);
    let start = state.begin_write(FILE, 0, 2, 0, 120).unwrap();
    state.orders.clear();
    state.answer(
        a,
        OpAnswer::Create {
            chunk: start.chunk,
            status: Status::OK,
        },
    );
    state.disconnected(b);
    assert_eq!(state.finished, [(start.chunk, Ok(()))]);
    assert_eq!(holders(&state, start.chunk), [addr(1)]);
    state.end_write(start.chunk).unwrap();
    let matrix = HealthMatrix::of(&state);
    assert_eq!(matrix.count(2, 1), 1);
    state.disconnected(a);
    assert_eq!(HealthMatrix::of(&state).count(2, 0), 1);
}

#[test]
fn the_planner_replicates_under_goal_chunks_and_trims_surplus() {
    let mut state = ChunkState::default();
    state
        .commit(ChunkEntry::Create {
            file: FILE,
            class: 2,
        })
        .unwrap();
    state
        .commit(ChunkEntry::Create {
            file: FILE,
            class: 1,
        })
        .unwrap();
    let a = join(&mut state, 1, 5, &[(1, 1), (2, 1)]);
    let b = join(&mut state, 2, 50, &[(2, 1)]);
    let c = join(&mut state, 3, 20, &[(2, 1)]);
    assert_eq!(HealthMatrix::of(&state).count(1, 3), 1);

    let jobs = plan(&state, &Limits::default(), 0).jobs;
    assert!(jobs.contains(&Job::Replicate {
        chunk: 1,
        version: 1,
        to: b,
        from: a
    }));
    // Chunk 2 wants one copy: the two on the fullest servers go.
    let deletes: BTreeSet<_> = jobs
        .iter()
        .filter_map(|j| match j {
            Job::Delete { chunk: 2, on, .. } => Some(*on),
            _ => None,
        })
        .collect();
    assert_eq!(deletes, BTreeSet::from([a, c]));
    for job in jobs {
        state.start(job).unwrap();
    }
    assert!(plan(&state, &Limits::default(), 0).jobs.is_empty());
    let during = state.begin_write(FILE, 1, 2, 0, 120).unwrap();
    assert!(
        during.wait,
        "a write during a replication steps the version"
    );
    answer_all(&mut state, Status::OK);
    state.end_write(1).unwrap();
    let copy_on_b = state.copies(1).iter().find(|c| c.server == b).unwrap();
    assert_eq!(copy_on_b.state, CopyState::WrongVersion);
    maintain(&mut state);
    answer_all(&mut state, Status::OK);
    assert_eq!(holders(&state, 1).len(), 2);
    assert_eq!(holders(&state, 2), [addr(2)]);
    assert_eq!(HealthMatrix::of(&state).count(2, 2), 1);
    assert_eq!(HealthMatrix::of(&state).count(1, 1), 1);
}

#[test]
fn copies_on_disks_marked_for_removal_are_replaced_then_deleted() {
    let mut state = ChunkState::default();
    state
        .commit(ChunkEntry::Create {
            file: FILE,
            class: 1,
        })
        .unwrap();
    let a = join(&mut state, 1, 5, &[(1, 1 | TODEL_FLAG)]);
    let b = join(&mut state, 2, 5, &[]);
    maintain(&mut state);
    let replicate = Order::Replicate {
        chunk: 1,
        version: 1,
        from: addr(1),
    };
    assert_eq!(state.orders, [(b, replicate)]);
    answer_all(&mut state, Status::OK);
    maintain(&mut state);
    assert_eq!(
        state.orders,
        [(
            a,
            Order::Delete {
                chunk: 1,
                version: 1
            }
        )]
    );
}

/// One step of a random history of the cluster.
#[derive(Debug, Clone)]
enum Event {
    Join { server: u8, chunks: Vec<(u8, bool)> },
    Leave { server: u8 },
    Goal { chunk: u8, goal: u8 },
    Plan,
    Answer { ok: bool },
}

const CHUNKS: u8 = 6;
const SERVERS: u8 = 5;

fn event() -> impl Strategy<Value = Event> {
    prop_oneof![
        (
            0..SERVERS,
            proptest::collection::vec((0..CHUNKS, any::<bool>()), 0..6)
        )
            .prop_map(|(server, chunks)| Event::Join { server, chunks }),
        (0..SERVERS).prop_map(|server| Event::Leave { server }),
        (0..CHUNKS, 0u8..5).prop_map(|(chunk, goal)| Event::Goal { chunk, goal }),
        Just(Event::Plan),
        Just(Event::Plan),
        any::<bool>().prop_map(|ok| Event::Answer { ok }),
    ]
}

/// Checks what a planner pass must never do, then starts its jobs.
fn plan_and_check(state: &mut ChunkState) {
    let limits = Limits::default();
    let Plan { jobs, tally } = plan(state, &limits, 0);
    if tally.copy_rebalance > 0 {
        assert_eq!(tally.copy_undergoal.done, 0, "moved before repair");
    }
    let servers = state.servers().count();
    for job in &jobs {
        match *job {
            Job::Replicate {
                chunk,
                version,
                to,
                from,
            } => {
                let copies = state.copies(chunk);
                assert!(
                    copies.iter().all(|c| c.server != to),
                    "{job:?} onto a holder"
                );
                let source = copies.iter().find(|c| c.server == from).unwrap();
                assert_eq!((source.state, source.version), (CopyState::Valid, version));
                assert_eq!(state.table().get(chunk).unwrap().version, version);
            }
            Job::Delete { chunk, on, .. } => {
                assert!(state.copies(chunk).iter().any(|c| c.server == on));
            }
            Job::Forget { chunk } => {
                assert!(state.copies(chunk).is_empty());
                assert_eq!(state.table().get(chunk).unwrap().ref_count(), 0);
            }
        }
    }
    let before: Vec<(ChunkId, usize)> = state
        .table()
        .iter()
        .map(|(id, _)| {
            (
                id,
                state.copies(id).iter().filter(|c| c.is_regular()).count(),
            )
        })
        .collect();
    let replicated: BTreeSet<ChunkId> = jobs
        .iter()
        .filter_map(|j| match j {
            Job::Replicate { chunk, .. } => Some(*chunk),
            _ => None,
        })
        .collect();
    for job in jobs {
        state.start(job).unwrap();
    }
    let mut moves = 0;
    for (chunk, regular_before) in before {
        let Some(record) = state.table().get(chunk) else {
            continue;
        };
        let goal = state.placement(record).goal();
        let copies = state.copies(chunk);
        let holders: BTreeSet<_> = copies.iter().map(|c| c.server).collect();
        assert_eq!(holders.len(), copies.len(), "two copies on one server");
        assert!(copies.len() <= servers, "more copies than servers");
        let planned = copies
            .iter()
            .filter(|c| c.is_regular() || c.state == CopyState::Replicating)
            .count();
        if replicated.contains(&chunk) && planned == goal + 1 && regular_before == goal {
            moves += 1;
        } else if replicated.contains(&chunk) {
            assert!(planned <= goal, "over-replicated");
        }
        if goal > 0 {
            let kept = copies.iter().filter(|c| c.is_regular()).count();
            assert!(kept >= goal.min(regular_before), "deleted below the goal");
        }
    }
    assert_eq!(moves, tally.copy_rebalance, "a chunk over its goal copied");
    assert!(moves <= limits.rebalance_per_pass);
}

proptest! {
    #[test]
    fn random_histories_keep_the_planner_within_bounds(
        events in proptest::collection::vec(event(), 1..60)
    ) {
        let mut state = ChunkState::default();
        for _ in 0..CHUNKS {
            state.commit(ChunkEntry::Create { file: FILE, class: 2 }).unwrap();
        }
        let mut goals = vec![2u8; usize::from(CHUNKS)];
        let mut ids: Vec<Option<ServerId>> = vec![None; usize::from(SERVERS)];
        for event in events {
            match event {
                Event::Join { server, chunks } => {
                    if ids[usize::from(server)].is_some() {
                        continue;
                    }
                    let list: Vec<(ChunkId, u32)> = chunks
                        .iter()
                        .map(|(c, stale)| (ChunkId::from(*c) + 1, if *stale { 9 } else { 1 }))
                        .collect();
                    ids[usize::from(server)] = Some(join(&mut state, server + 1, 10 + u64::from(server), &list));
                }
                Event::Leave { server } => {
                    if let Some(id) = ids[usize::from(server)].take() {
                        state.orders.retain(|(s, _)| *s != id);
                        state.disconnected(id);
                    }
                }
                Event::Goal { chunk, goal } => {
                    let from = goals[usize::from(chunk)];
                    let entry = ChunkEntry::ChangeClass { chunk: ChunkId::from(chunk) + 1, from, to: goal };
                    if state.commit(entry).is_ok() {
                        goals[usize::from(chunk)] = goal;
                    }
                }
                Event::Plan => plan_and_check(&mut state),
                Event::Answer { ok } => {
                    answer_all(&mut state, if ok { Status::OK } else { Status::IO });
                }
            }
        }
    }
}
