//! Archived chunks keep their copies where the class's archive labels
//! say, and go back to the keep labels when the flag is cleared.

use std::collections::BTreeSet;

use mooseng_wire::Status;

use super::label_tests::{chunk_of, define, has, holder_set, labelled, settle, A, ANY, B, C, STD};
use super::tests::addr;
use super::*;
use crate::namespace::{ClassDef, Namespace};

/// Two copies on A and B while kept, one on C once archived.
fn keep_ab_archive_c() -> ClassDef {
    ClassDef {
        admin_only: false,
        mode: STD,
        arch_delay: 0,
        create: vec![ANY],
        keep: vec![has(A), has(B)],
        arch: vec![has(C)],
    }
}

fn archive(state: &mut ChunkState, chunk: ChunkId, archived: bool) {
    let entry = ChunkEntry::Archive {
        chunks: vec![chunk],
        archived,
    };
    state.commit(entry).unwrap();
}

#[test]
fn archived_chunks_follow_the_archive_labels_and_come_back() {
    let mut ns = Namespace::new(1);
    let class = define(&mut ns, "arch", keep_ab_archive_c());
    let mut state = ChunkState::default();
    state.set_classes(ns.classes().clone());
    let chunk = chunk_of(&mut state, class);
    labelled(&mut state, 1, 5, A, &[chunk]);
    labelled(&mut state, 2, 10, B, &[]);
    labelled(&mut state, 3, 50, C, &[]);
    settle(&mut state);
    let kept = BTreeSet::from([addr(1), addr(2)]);
    assert_eq!(holder_set(&state, chunk), kept);

    archive(&mut state, chunk, true);
    assert_eq!(state.placement(state.table().get(chunk).unwrap()).goal(), 1);
    settle(&mut state);
    assert_eq!(holder_set(&state, chunk), BTreeSet::from([addr(3)]));

    archive(&mut state, chunk, false);
    settle(&mut state);
    assert_eq!(holder_set(&state, chunk), kept);
}

#[test]
fn an_archive_entry_naming_an_unknown_chunk_changes_nothing() {
    let mut table = ChunkTable::default();
    let chunk = table
        .apply(&ChunkEntry::Create {
            file: tests::FILE,
            class: 2,
        })
        .unwrap();
    let entry = ChunkEntry::Archive {
        chunks: vec![chunk, chunk + 1],
        archived: true,
    };
    assert_eq!(table.apply(&entry), Err(Status::NOCHUNK));
    assert!(!table.get(chunk).unwrap().archived);
    let known = ChunkEntry::Archive {
        chunks: vec![chunk],
        archived: true,
    };
    assert_eq!(table.apply(&known), Ok(chunk));
    assert!(table.get(chunk).unwrap().archived);
}
