//! Placement by storage-class labels: where the planner keeps copies and
//! where new chunks go.

use std::collections::BTreeSet;
use std::net::SocketAddrV4;

use mooseng_wire::Status;

use super::tests::{addr, answer_all, holders, join, maintain, FILE};
use super::*;
use crate::namespace::{
    sclass_change, Caller, ClassDef, Entry, LabelExpr, Mutation, Namespace, MODE_STRICT,
};

pub(super) const A: u32 = 1;
pub(super) const B: u32 = 1 << 1;
pub(super) const C: u32 = 1 << 2;
/// A label no server has.
const D: u32 = 1 << 3;
pub(super) const ANY: LabelExpr = [0; 4];
/// `SCLASS_MODE_STD`.
pub(super) const STD: u8 = 1;

/// The expression "a server with all of `mask`".
pub(super) fn has(mask: u32) -> LabelExpr {
    [mask, 0, 0, 0]
}

fn def(create: &[LabelExpr], keep: &[LabelExpr], mode: u8) -> ClassDef {
    ClassDef {
        admin_only: false,
        mode,
        arch_delay: 0,
        create: create.to_vec(),
        keep: keep.to_vec(),
        arch: keep.to_vec(),
    }
}

pub(super) fn apply(ns: &mut Namespace, mutation: Mutation) {
    let entry = Entry {
        ts: 1,
        caller: Caller::root(),
        mutation,
    };
    ns.apply(&entry).unwrap();
}

/// Creates class `name` in `ns` and returns its id.
pub(super) fn define(ns: &mut Namespace, name: &str, def: ClassDef) -> u8 {
    let name: Box<[u8]> = name.as_bytes().into();
    apply(
        ns,
        Mutation::SclassCreate {
            name: name.clone(),
            def,
        },
    );
    ns.classes().find(&name).unwrap()
}

/// Registers a server at `10.0.0.n` with `labels`, holding `chunks` in
/// version 1.
pub(super) fn labelled(
    state: &mut ChunkState,
    n: u8,
    free_gib: u64,
    labels: u32,
    chunks: &[ChunkId],
) -> ServerId {
    let held: Vec<(ChunkId, u32)> = chunks.iter().map(|c| (*c, 1)).collect();
    let id = join(state, n, free_gib, &held);
    state.server_mut(id).unwrap().labels = labels;
    id
}

pub(super) fn chunk_of(state: &mut ChunkState, class: u8) -> ChunkId {
    state
        .commit(ChunkEntry::Create { file: FILE, class })
        .unwrap()
}

/// Plans, starts and answers passes until nothing is left to do.
pub(super) fn settle(state: &mut ChunkState) {
    for _ in 0..10 {
        maintain(state);
        if state.orders.is_empty() {
            return;
        }
        answer_all(state, Status::OK);
    }
    panic!("the planner never settles: {:?}", state.orders);
}

/// What mfscli shows of a pass.
fn shown(tally: PassTally) -> mooseng_wire::matocl_info::ChunkOperations {
    let mut record = ChunkLoop::default();
    record.finish(1, tally);
    record.to_message()
}

pub(super) fn holder_set(state: &ChunkState, chunk: ChunkId) -> BTreeSet<SocketAddrV4> {
    holders(state, chunk).into_iter().collect()
}

/// Servers labelled A, B and C, with C the emptiest: without labels every
/// new copy would go there.
fn abc(state: &mut ChunkState, on_a: &[ChunkId], on_c: &[ChunkId]) -> [ServerId; 3] {
    [
        labelled(state, 1, 5, A, on_a),
        labelled(state, 2, 10, B, &[]),
        labelled(state, 3, 50, C, on_c),
    ]
}

#[test]
fn copies_go_to_the_servers_the_keep_labels_name() {
    let mut ns = Namespace::new(1);
    let ab = define(&mut ns, "ab", def(&[ANY], &[has(A), has(B)], STD));
    let mut state = ChunkState::default();
    state.set_classes(ns.classes().clone());
    let chunk = chunk_of(&mut state, ab);
    abc(&mut state, &[chunk], &[]);
    settle(&mut state);
    assert_eq!(
        holder_set(&state, chunk),
        BTreeSet::from([addr(1), addr(2)])
    );
}

#[test]
fn a_copy_on_a_server_no_label_wants_is_replaced_then_deleted() {
    let mut ns = Namespace::new(1);
    let ab = define(&mut ns, "ab", def(&[ANY], &[has(A), has(B)], STD));
    let mut state = ChunkState::default();
    state.set_classes(ns.classes().clone());
    let chunk = chunk_of(&mut state, ab);
    let [a, b, c] = abc(&mut state, &[chunk], &[chunk]);

    // The chunk has its two copies, one where no label wants it: copied to
    // B first, nothing deleted yet.
    let first = plan(&state, &Limits::default(), 0);
    assert!(
        matches!(first.jobs[..], [Job::Replicate { to, .. }] if to == b),
        "{:?}",
        first.jobs
    );
    assert_eq!(
        first.tally.copy_wronglabels,
        Work {
            done: 1,
            not_done: 0
        }
    );
    assert_eq!(shown(first.tally).copy_wronglabels, 1);
    assert_eq!(first.tally.copy_undergoal, Work::default());
    for job in first.jobs {
        state.start(job).unwrap();
    }
    answer_all(&mut state, Status::OK);

    // Then the copy on C is surplus and goes.
    let second = plan(&state, &Limits::default(), 0);
    let delete = Job::Delete {
        chunk,
        version: 1,
        on: c,
    };
    assert_eq!(second.jobs, [delete]);
    assert_eq!(
        second.tally.del_overgoal,
        Work {
            done: 1,
            not_done: 0
        }
    );
    settle(&mut state);
    assert_eq!(
        holder_set(&state, chunk),
        BTreeSet::from([addr(1), addr(2)])
    );

    // A matching server that may take no replication now: not done.
    let again = chunk_of(&mut state, ab);
    state.has_chunk(a, again, 1);
    state.has_chunk(c, again, 1);
    let busy = Limits {
        incoming_per_server: 0,
        ..Limits::default()
    };
    let blocked = plan(&state, &busy, 0);
    assert!(blocked.jobs.is_empty());
    assert_eq!(
        blocked.tally.copy_wronglabels,
        Work {
            done: 0,
            not_done: 1
        }
    );
    assert_eq!(blocked.tally.labels_dont_match, 0);
}

#[test]
fn labels_no_server_has_keep_the_copies_and_count_as_not_doable() {
    let mut ns = Namespace::new(1);
    let ad = define(&mut ns, "ad", def(&[ANY], &[has(A), has(D)], STD));
    let strict = define(&mut ns, "ad!", def(&[ANY], &[has(A), has(D)], MODE_STRICT));
    let mut state = ChunkState::default();
    state.set_classes(ns.classes().clone());
    let full = chunk_of(&mut state, ad);
    let short = chunk_of(&mut state, ad);
    let short_strict = chunk_of(&mut state, strict);
    let [_, _, c] = abc(&mut state, &[full, short, short_strict], &[full]);

    let pass = plan(&state, &Limits::default(), 0);
    // `full` has its count, on A and C: nothing deletes below it.
    assert_eq!(pass.tally.labels_dont_match, 1);
    assert_eq!(shown(pass.tally).labels_dont_match, 1);
    assert!(!pass.jobs.iter().any(|j| match j {
        Job::Delete { .. } => true,
        Job::Replicate { chunk, .. } => *chunk == full,
        Job::Forget { .. } => false,
    }));
    // `short` lacks a copy no server can hold as labelled: in the standard
    // mode it goes to the emptiest other server; the strict class waits.
    let to: Vec<ServerId> = pass
        .jobs
        .iter()
        .filter_map(|j| match j {
            Job::Replicate { chunk, to, .. } if *chunk == short => Some(*to),
            _ => None,
        })
        .collect();
    assert_eq!(to, [c], "C has the most free space");
    assert!(!pass
        .jobs
        .iter()
        .any(|j| matches!(j, Job::Replicate { chunk, .. } if *chunk == short_strict)));
    assert_eq!(
        pass.tally.copy_undergoal,
        Work {
            done: 1,
            not_done: 1
        }
    );

    settle(&mut state);
    assert_eq!(holder_set(&state, full), BTreeSet::from([addr(1), addr(3)]));
    assert_eq!(holder_set(&state, short).len(), 2);
    assert_eq!(holders(&state, short_strict), [addr(1)]);
}

#[test]
fn the_create_list_steers_new_chunks() {
    let mut ns = Namespace::new(1);
    let on_b = define(&mut ns, "b", def(&[has(B)], &[has(B)], STD));
    let on_d = define(&mut ns, "d", def(&[has(D)], &[has(D)], STD));
    let on_d_only = define(&mut ns, "d!", def(&[has(D)], &[has(D)], MODE_STRICT));
    let two = define(&mut ns, "a+any", def(&[has(A), ANY], &[has(A), ANY], STD));
    let mut state = ChunkState::default();
    state.set_classes(ns.classes().clone());
    let [a, b, c] = abc(&mut state, &[], &[]);

    let created_on = |state: &mut ChunkState, class: u8| -> Result<BTreeSet<ServerId>, Status> {
        state.orders.clear();
        let start = state.begin_write(FILE, 0, class, 0, 120)?;
        let servers = state.copies(start.chunk).iter().map(|c| c.server).collect();
        answer_all(state, Status::OK);
        state.end_write(start.chunk).unwrap();
        Ok(servers)
    };
    assert_eq!(created_on(&mut state, on_b), Ok(BTreeSet::from([b])));
    assert_eq!(created_on(&mut state, two), Ok(BTreeSet::from([a, c])));
    // No server has D: the standard mode takes the emptiest, strict none.
    assert_eq!(created_on(&mut state, on_d), Ok(BTreeSet::from([c])));
    assert_eq!(created_on(&mut state, on_d_only), Err(Status::NOSPACE));
    // A fixed goal class has no labels: the emptiest servers.
    assert_eq!(created_on(&mut state, 2), Ok(BTreeSet::from([b, c])));
}

#[test]
fn a_chunk_of_several_classes_follows_the_one_keeping_most_copies() {
    let mut ns = Namespace::new(1);
    let on_a = define(&mut ns, "a", def(&[ANY], &[has(A)], STD));
    let on_bc = define(&mut ns, "bc", def(&[ANY], &[has(B), has(C)], STD));
    let on_b = define(&mut ns, "b", def(&[ANY], &[has(B)], STD));
    let on_ab = define(&mut ns, "ab", def(&[ANY], &[has(A), has(B)], STD));
    let mut state = ChunkState::default();
    state.set_classes(ns.classes().clone());
    let class_of = |state: &mut ChunkState, classes: &[u8]| {
        let chunk = chunk_of(state, classes[0]);
        for class in &classes[1..] {
            let add = ChunkEntry::AddRef {
                chunk,
                class: *class,
            };
            state.commit(add).unwrap();
        }
        let record = state.table().get(chunk).unwrap();
        (chunk, record.class(&state.classes))
    };
    let (shared, followed) = class_of(&mut state, &[on_a, on_bc]);
    assert_eq!(followed, on_bc, "two copies beat one");
    assert_eq!(
        class_of(&mut state, &[2, on_ab]).1,
        on_ab,
        "custom beats goal 2"
    );
    assert_eq!(class_of(&mut state, &[on_ab, 2]).1, on_ab);
    assert_eq!(
        class_of(&mut state, &[on_a, on_b]).1,
        1,
        "two custom classes of one copy: goal 1, anywhere"
    );

    abc(&mut state, &[shared], &[]);
    settle(&mut state);
    assert_eq!(
        holder_set(&state, shared),
        BTreeSet::from([addr(2), addr(3)])
    );

    // The file of class "bc" goes: the chunk follows "a" again.
    let drop = ChunkEntry::DropRef {
        chunk: shared,
        class: on_bc,
    };
    state.commit(drop).unwrap();
    settle(&mut state);
    assert_eq!(holders(&state, shared), [addr(1)]);
}

#[test]
fn a_changed_class_replans_its_chunks() {
    let mut ns = Namespace::new(1);
    let class = define(&mut ns, "moving", def(&[ANY], &[has(A)], STD));
    let mut state = ChunkState::default();
    state.set_classes(ns.classes().clone());
    let chunk = chunk_of(&mut state, class);
    abc(&mut state, &[chunk], &[]);
    settle(&mut state);
    assert_eq!(holders(&state, chunk), [addr(1)]);

    // mfsscadmin modify -K B,C moving
    apply(
        &mut ns,
        Mutation::SclassChange {
            name: b"moving"[..].into(),
            chgmask: sclass_change::KEEP,
            def: def(&[], &[has(B), has(C)], STD),
        },
    );
    settle(&mut state);
    assert_eq!(
        holders(&state, chunk),
        [addr(1)],
        "the old table still rules"
    );
    state.set_classes(ns.classes().clone());
    settle(&mut state);
    assert_eq!(
        holder_set(&state, chunk),
        BTreeSet::from([addr(2), addr(3)])
    );
}

#[test]
fn rebalancing_moves_a_copy_only_where_its_labels_allow() {
    let mut ns = Namespace::new(1);
    let on_a = define(&mut ns, "a", def(&[ANY], &[has(A)], STD));
    let mut state = ChunkState::default();
    state.set_classes(ns.classes().clone());
    let chunk = chunk_of(&mut state, on_a);
    // Half full, 1 % full and a quarter full.
    let full = labelled(&mut state, 1, 1, A, &[chunk]);
    labelled(&mut state, 2, 99, C, &[]);
    let moves = |state: &ChunkState| {
        let pass = plan(state, &Limits::default(), 0);
        assert_eq!(pass.tally.copy_rebalance as usize, pass.jobs.len());
        pass.jobs
    };
    assert!(moves(&state).is_empty(), "C is not A");
    let other_a = labelled(&mut state, 3, 3, A | B, &[]);
    assert_eq!(
        moves(&state),
        [Job::Replicate {
            chunk,
            version: 1,
            to: other_a,
            from: full
        }]
    );
}
