//! The namespace side of MooseFS's file tools: ARCHCTL (and the archive
//! delay), REPAIR and APPEND_SLICE.

use mooseng_wire::Status;

use super::attr_tests::run_at as run;
use super::snapshot_tests::user;
use super::*;

const T0: u32 = 1_700_000_000;
const DAY: u32 = 86_400;

/// A file `name` in `parent` made by `caller`, holding `chunks` in its
/// first slots.
fn file(ns: &mut Namespace, caller: &Caller, parent: Inode, name: &str, chunks: &[u64]) -> Inode {
    let inode = run(
        ns,
        T0,
        caller,
        Mutation::plain_create(parent, name, NewNode::File),
    )
    .unwrap()
    .inode();
    for (index, chunk) in chunks.iter().enumerate() {
        let slot = Mutation::SetChunk {
            inode,
            index: index as u32,
            expect: 0,
            chunk: *chunk,
        };
        run(ns, T0, &Caller::root(), slot).unwrap();
    }
    inode
}

fn control(
    ns: &mut Namespace,
    ts: u32,
    caller: &Caller,
    inode: Inode,
    archived: bool,
) -> Result<(Vec<u64>, u32), Status> {
    match run(ns, ts, caller, Mutation::ArchiveControl { inode, archived })? {
        Outcome::Archive {
            mut chunks,
            not_permitted,
            ..
        } => {
            chunks.sort_unstable();
            Ok((chunks, not_permitted))
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_directory_stands_for_the_files_its_caller_may_change() {
    let mut ns = Namespace::new(T0);
    let (alice, bob) = (user(1000), user(1001));
    let dir = run(
        &mut ns,
        T0,
        &Caller::root(),
        Mutation::plain_create(ROOT, "d", NewNode::Directory),
    )
    .unwrap()
    .inode();
    let chmod = Mutation::SetAttr {
        inode: dir,
        change: AttrChange {
            mode: Some(0o777),
            ..AttrChange::default()
        },
    };
    run(&mut ns, T0, &Caller::root(), chmod).unwrap();
    let own = file(&mut ns, &alice, dir, "own", &[1, 2]);
    let bobs = file(&mut ns, &bob, dir, "bobs", &[3]);
    file(&mut ns, &alice, dir, "empty", &[]);

    assert_eq!(
        control(&mut ns, T0 + 5, &alice, dir, true),
        Ok((vec![1, 2], 1))
    );
    assert_eq!(
        control(&mut ns, T0 + 5, &Caller::root(), dir, true),
        Ok((vec![1, 2, 3], 0))
    );
    assert_eq!(
        ns.archive_files(dir).map(|mut f| {
            f.sort();
            f
        }),
        Ok(vec![vec![], vec![1, 2], vec![3]])
    );
    // Clearing stamps the ctime of the files it may change, not others'.
    control(&mut ns, T0 + 50, &alice, dir, false).unwrap();
    assert_eq!(ns.get(own).unwrap().ctime, T0 + 50);
    assert_eq!(ns.get(bobs).unwrap().ctime, T0);
    // Setting leaves times alone.
    control(&mut ns, T0 + 90, &alice, own, true).unwrap();
    assert_eq!(ns.get(own).unwrap().ctime, T0 + 50);
}

#[test]
fn a_single_file_the_caller_may_not_change_is_eperm() {
    let mut ns = Namespace::new(T0);
    let theirs = file(&mut ns, &Caller::root(), ROOT, "f", &[1]);
    assert_eq!(
        control(&mut ns, T0, &user(1000), theirs, true),
        Err(Status::EPERM)
    );
    let noowner = Mutation::SetEattr {
        inode: theirs,
        eattr: EATTR_NOOWNER,
        smode: smode::SET,
    };
    run(&mut ns, T0, &Caller::root(), noowner).unwrap();
    assert_eq!(
        control(&mut ns, T0, &user(1000), theirs, true),
        Ok((vec![1], 0))
    );
    let immutable = Mutation::SetEattr {
        inode: theirs,
        eattr: EATTR_IMMUTABLE,
        smode: smode::SET,
    };
    run(&mut ns, T0, &Caller::root(), immutable).unwrap();
    assert_eq!(
        control(&mut ns, T0, &Caller::root(), theirs, true),
        Err(Status::EPERM)
    );
    let link = Mutation::plain_create(ROOT, "s", NewNode::Symlink(b"f".as_slice().into()));
    let link = run(&mut ns, T0, &Caller::root(), link).unwrap().inode();
    assert_eq!(
        control(&mut ns, T0, &Caller::root(), link, true),
        Err(Status::EPERM)
    );
    assert_eq!(ns.archive_files(link), Err(Status::EPERM));
    assert_eq!(ns.archive_files(9999), Err(Status::ENOENT));
}

#[test]
fn files_unchanged_for_their_class_delay_are_due() {
    let mut ns = Namespace::new(T0);
    let def = ClassDef {
        arch_delay: 2,
        create: vec![[0; 4]],
        keep: vec![[0; 4]; 2],
        arch: vec![[0; 4]],
        ..ClassDef::default()
    };
    let create = Mutation::SclassCreate {
        name: b"cold".as_slice().into(),
        def,
    };
    run(&mut ns, T0, &Caller::root(), create).unwrap();
    let cold = ns.classes().find(b"cold").unwrap();
    let old = file(&mut ns, &Caller::root(), ROOT, "old", &[1, 0, 2]);
    file(&mut ns, &Caller::root(), ROOT, "plain", &[3]);
    let set = Mutation::SetSclass {
        target: PolicyTarget {
            inode: old,
            uid: 0,
            mode: SetMode::from_wire(smode::SET).unwrap(),
        },
        class: cold,
        exchanged: cold,
        admin: true,
    };
    run(&mut ns, T0, &Caller::root(), set).unwrap();
    let ctime = ns.get(old).unwrap().ctime;
    assert!(ns.due_for_archive(ctime + 2 * DAY).is_empty());
    let mut due = ns.due_for_archive(ctime + 2 * DAY + 1);
    due.sort_unstable();
    assert_eq!(due, [1, 2]);
}

#[test]
fn a_repair_empties_only_the_slots_still_holding_their_chunk() {
    let mut ns = Namespace::new(T0);
    let alice = user(1000);
    let f = file(&mut ns, &alice, ROOT, "f", &[1, 2, 3]);
    assert_eq!(ns.repair_slots(&user(1001), f), Err(Status::EACCES));
    assert_eq!(ns.repair_slots(&alice, f), Ok(vec![1, 2, 3]));
    let repair = Mutation::Repair {
        inode: f,
        erase: vec![(0, 1), (1, 9)],
        changed: true,
    };
    let outcome = run(&mut ns, T0 + 7, &alice, repair).unwrap();
    let released: Vec<u64> = outcome.released().iter().map(|r| r.chunk).collect();
    assert_eq!(released, [1]);
    assert_eq!(ns.repair_slots(&alice, f), Ok(vec![0, 2, 3]));
    assert_eq!(ns.get(f).unwrap().mtime, T0 + 7);
    let immutable = Mutation::SetEattr {
        inode: f,
        eattr: EATTR_IMMUTABLE,
        smode: smode::SET,
    };
    run(&mut ns, T0, &Caller::root(), immutable).unwrap();
    assert_eq!(ns.repair_slots(&Caller::root(), f), Err(Status::EPERM));
    assert_eq!(ns.repair_slots(&alice, ROOT), Err(Status::EPERM));
}

fn append(
    ns: &mut Namespace,
    caller: &Caller,
    inode: Inode,
    source: Inode,
    slice: Slice,
) -> Result<Outcome, Status> {
    run(
        ns,
        T0 + 3,
        caller,
        Mutation::AppendSlice {
            inode,
            source,
            slice,
        },
    )
}

fn set_length(ns: &mut Namespace, inode: Inode, length: u64) {
    run(
        ns,
        T0,
        &Caller::root(),
        Mutation::SetLength { inode, length },
    )
    .unwrap();
}

const WHOLE: Slice = Slice {
    flags: 0,
    from: 0,
    to: 0x8000_0000,
};

#[test]
fn appending_starts_at_the_next_chunk_and_shares_the_chunks() {
    let mut ns = Namespace::new(T0);
    let root = Caller::root();
    let dst = file(&mut ns, &root, ROOT, "dst", &[1]);
    set_length(&mut ns, dst, 100);
    let src = file(&mut ns, &root, ROOT, "src", &[2, 3, 4]);
    set_length(&mut ns, src, 2 * CHUNK_SIZE + 10);

    let outcome = append(&mut ns, &root, dst, src, WHOLE).unwrap();
    let chunks = |refs: &[ChunkRef]| refs.iter().map(|r| r.chunk).collect::<Vec<_>>();
    assert_eq!(chunks(outcome.added()), [2, 3, 4]);
    assert!(outcome.released().is_empty());
    assert_eq!(ns.file(dst).unwrap().chunks.to_vec(), [1, 2, 3, 4]);
    assert_eq!(ns.file(dst).unwrap().length, 3 * CHUNK_SIZE + 10);
    assert_eq!(ns.get(dst).unwrap().mtime, T0 + 3);

    // The last two chunks, counted back from the end: [-2, end).
    let tail = file(&mut ns, &root, ROOT, "tail", &[]);
    let back = Slice {
        flags: append_flag::FROM_NEG,
        from: 2,
        to: 0x8000_0000,
    };
    append(&mut ns, &root, tail, src, back).unwrap();
    assert_eq!(ns.file(tail).unwrap().chunks.to_vec(), [3, 4]);
    assert_eq!(ns.file(tail).unwrap().length, CHUNK_SIZE + 10);
    // The first chunk only: a whole chunk's length.
    let head = file(&mut ns, &root, ROOT, "head", &[]);
    let first = Slice {
        flags: 0,
        from: 0,
        to: 1,
    };
    append(&mut ns, &root, head, src, first).unwrap();
    assert_eq!(ns.file(head).unwrap().chunks.to_vec(), [2]);
    assert_eq!(ns.file(head).unwrap().length, CHUNK_SIZE);
}

#[test]
fn appending_refuses_what_mfsmaster_refuses() {
    let mut ns = Namespace::new(T0);
    let root = Caller::root();
    let src = file(&mut ns, &root, ROOT, "src", &[2]);
    set_length(&mut ns, src, 10);
    let dst = file(&mut ns, &root, ROOT, "dst", &[]);
    assert_eq!(append(&mut ns, &root, dst, dst, WHOLE), Err(Status::EINVAL));
    assert_eq!(
        append(&mut ns, &user(1000), dst, src, WHOLE),
        Err(Status::EACCES)
    );
    let dir = run(
        &mut ns,
        T0,
        &root,
        Mutation::plain_create(ROOT, "d", NewNode::Directory),
    )
    .unwrap()
    .inode();
    assert_eq!(append(&mut ns, &root, dir, src, WHOLE), Err(Status::EPERM));
    // An empty slice and an empty source append nothing.
    let nothing = Slice {
        flags: 0,
        from: 1,
        to: 1,
    };
    assert_eq!(
        append(&mut ns, &root, dst, src, nothing),
        Ok(Outcome::Node(dst))
    );
    let empty = file(&mut ns, &root, ROOT, "empty", &[]);
    assert_eq!(
        append(&mut ns, &root, dst, empty, WHOLE),
        Ok(Outcome::Node(dst))
    );
    assert_eq!(ns.file(dst).unwrap().length, 0);
}

#[test]
fn real_size_counts_the_copies_a_custom_class_keeps_not_its_id() {
    let mut ns = Namespace::new(T0);
    let root = Caller::root();
    let def = ClassDef {
        create: vec![[0; 4]],
        keep: vec![[0; 4]; 2],
        arch: vec![[0; 4]; 2],
        ..ClassDef::default()
    };
    let create = Mutation::SclassCreate {
        name: b"two".as_slice().into(),
        def,
    };
    run(&mut ns, T0, &root, create).unwrap();
    let two = ns.classes().find(b"two").unwrap();
    assert!(two >= 10, "a custom class id: {two}");
    let f = file(&mut ns, &root, ROOT, "f", &[1]);
    set_length(&mut ns, f, 10);
    let set = Mutation::SetSclass {
        target: PolicyTarget {
            inode: f,
            uid: 0,
            mode: SetMode::from_wire(smode::SET).unwrap(),
        },
        class: two,
        exchanged: two,
        admin: true,
    };
    run(&mut ns, T0, &root, set).unwrap();
    let stats = ns.dir_stats(f).unwrap();
    assert_eq!(stats.real_size, 2 * stats.size);
    assert_eq!(ns.usage(ROOT).real_size, 2 * stats.size);
}
