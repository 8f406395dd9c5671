//! Trash, sustained files, storage classes and the recursive setters.

use mooseng_wire::Status;

use super::*;

const T0: u32 = 1_700_000_000;

fn at(ns: &mut Namespace, ts: u32, caller: &Caller, mutation: Mutation) -> Result<Outcome, Status> {
    ns.apply(&Entry {
        ts,
        caller: caller.clone(),
        mutation,
    })
}

fn run(ns: &mut Namespace, mutation: Mutation) -> Result<Outcome, Status> {
    at(ns, T0, &Caller::root(), mutation)
}

fn make(ns: &mut Namespace, parent: Inode, name: &str, node: NewNode) -> Inode {
    let mutation = Mutation::plain_create(parent, name, node);
    match run(ns, mutation) {
        Ok(Outcome::Node(inode)) => inode,
        other => panic!("create {name}: {other:?}"),
    }
}

fn file_with_chunks(ns: &mut Namespace, parent: Inode, name: &str, chunks: &[u64]) -> Inode {
    let file = make(ns, parent, name, NewNode::File);
    if let NodeData::File(data) = &mut ns.nodes.get_mut(file).unwrap().data {
        data.chunks = chunks.to_vec().into();
    }
    file
}

fn unlink(ns: &mut Namespace, parent: Inode, name: &str) -> Outcome {
    let mutation = Mutation::Unlink {
        parent,
        name: name.as_bytes().into(),
    };
    run(ns, mutation).unwrap()
}

fn mode(smode: u8) -> SetMode {
    SetMode::from_wire(smode).unwrap()
}

fn set_class(ns: &mut Namespace, inode: Inode, uid: u32, smode: u8, class: u8) -> Outcome {
    let target = PolicyTarget {
        inode,
        uid,
        mode: mode(smode),
    };
    let mutation = Mutation::SetSclass {
        target,
        class,
        exchanged: class,
        admin: false,
    };
    run(ns, mutation).unwrap()
}

#[test]
fn unlinked_file_waits_in_the_trash_with_its_path_then_expires() {
    let mut ns = Namespace::new(T0);
    let dir = make(&mut ns, ROOT, "d", NewNode::Directory);
    let file = file_with_chunks(&mut ns, dir, "f", &[5, 0, 6]);
    let removed = unlink(&mut ns, dir, "f");
    assert_eq!(
        removed,
        Outcome::Removed {
            inode: file,
            freed: false,
            released: vec![],
        }
    );
    assert_eq!(ns.trash_list(None), vec![(b"d|f".to_vec(), file)]);
    assert_eq!(ns.trash_list(Some(file % TRASH_BUCKETS)).len(), 1);
    assert!(ns.trash_list(Some((file + 1) % TRASH_BUCKETS)).is_empty());
    assert!(ns.check().is_empty());

    // 24 hours after the unlink is not yet past the trash time.
    let day = T0 + 24 * 3600;
    assert!(!ns.trash_due(day));
    let kept = at(&mut ns, day, &Caller::root(), Mutation::EmptyTrash).unwrap();
    assert_eq!(kept, Outcome::Node(0));
    assert!(ns.get(file).is_some());

    assert!(ns.trash_due(day + 1));
    let purged = at(&mut ns, day + 1, &Caller::root(), Mutation::EmptyTrash).unwrap();
    assert_eq!(
        purged.released(),
        [
            ChunkRef { chunk: 5, class: 2 },
            ChunkRef { chunk: 6, class: 2 }
        ]
    );
    assert!(ns.get(file).is_none());
    assert!(ns.trash_list(None).is_empty());
}

#[test]
fn undelete_restores_the_path_making_missing_directories() {
    let mut ns = Namespace::new(T0);
    let a = make(&mut ns, ROOT, "a", NewNode::Directory);
    let b = make(&mut ns, a, "b", NewNode::Directory);
    let file = file_with_chunks(&mut ns, b, "f", &[3]);
    unlink(&mut ns, b, "f");
    let rmdir = |parent, name: &str| Mutation::Rmdir {
        parent,
        name: name.as_bytes().into(),
    };
    run(&mut ns, rmdir(a, "b")).unwrap();
    run(&mut ns, rmdir(ROOT, "a")).unwrap();

    assert_eq!(
        run(&mut ns, Mutation::Undel { inode: file }),
        Ok(Outcome::Node(file))
    );
    let root = Caller::root();
    let a = ns.lookup(&root, ROOT, b"a").unwrap();
    let b = ns.lookup(&root, a, b"b").unwrap();
    assert_eq!(ns.lookup(&root, b, b"f"), Ok(file));
    assert_eq!(ns.get(b).unwrap().mode, 0o755);
    assert!(ns.trash_list(None).is_empty());
    assert!(ns.check().is_empty());
    // Gone from the trash: a second undelete finds nothing.
    assert_eq!(
        run(&mut ns, Mutation::Undel { inode: file }),
        Err(Status::ENOENT)
    );
}

#[test]
fn undelete_refuses_a_taken_name_and_a_bad_path() {
    let mut ns = Namespace::new(T0);
    let file = file_with_chunks(&mut ns, ROOT, "f", &[]);
    unlink(&mut ns, ROOT, "f");
    make(&mut ns, ROOT, "f", NewNode::File);
    assert_eq!(
        run(&mut ns, Mutation::Undel { inode: file }),
        Err(Status::EEXIST)
    );

    let set_path = |path: &[u8]| Mutation::SetTrashPath {
        inode: file,
        path: path.into(),
    };
    run(&mut ns, set_path(b"x/../g")).unwrap();
    assert_eq!(
        run(&mut ns, Mutation::Undel { inode: file }),
        Err(Status::CANTCREATEPATH)
    );
    assert_eq!(run(&mut ns, set_path(b"")), Err(Status::EINVAL));
    run(&mut ns, set_path(b"/g")).unwrap();
    assert_eq!(ns.trash_list(None), vec![(b"|g".to_vec(), file)]);
    run(&mut ns, Mutation::Undel { inode: file }).unwrap();
    assert_eq!(ns.lookup(&Caller::root(), ROOT, b"g"), Ok(file));
}

/// A namespace whose root gives unlinked files no trash time.
fn without_trash() -> Namespace {
    let mut ns = Namespace::new(T0);
    let target = PolicyTarget {
        inode: ROOT,
        uid: 0,
        mode: mode(0),
    };
    run(&mut ns, Mutation::SetTrashtime { target, seconds: 0 }).unwrap();
    ns
}

#[test]
fn open_files_without_trash_time_stay_sustained_until_released() {
    let mut ns = without_trash();
    let file = file_with_chunks(&mut ns, ROOT, "f", &[8]);
    run(
        &mut ns,
        Mutation::Acquire {
            inode: file,
            session: 1,
        },
    )
    .unwrap();
    run(
        &mut ns,
        Mutation::Acquire {
            inode: file,
            session: 2,
        },
    )
    .unwrap();

    let removed = unlink(&mut ns, ROOT, "f");
    assert!(removed.released().is_empty());
    assert_eq!(ns.sustained_list(), vec![(b"f".to_vec(), file)]);
    assert!(ns.trash_list(None).is_empty());

    let one = run(
        &mut ns,
        Mutation::Release {
            inode: file,
            session: 1,
        },
    )
    .unwrap();
    assert!(one.released().is_empty());
    let last = run(
        &mut ns,
        Mutation::Release {
            inode: file,
            session: 2,
        },
    )
    .unwrap();
    assert_eq!(last.released(), [ChunkRef { chunk: 8, class: 2 }]);
    assert!(ns.get(file).is_none());
    assert!(ns.sustained_list().is_empty());
}

#[test]
fn a_file_created_open_is_held_by_its_session() {
    let mut ns = without_trash();
    let create = Mutation::CreateOpen {
        parent: ROOT,
        name: b"f"[..].into(),
        mode: 0o666,
        umask: 0o022,
        session: 3,
    };
    let file = run(&mut ns, create.clone()).unwrap().inode();
    assert_eq!(ns.get(file).map(|node| node.mode), Some(0o644));
    assert_eq!(run(&mut ns, create), Err(Status::EEXIST));

    unlink(&mut ns, ROOT, "f");
    assert_eq!(ns.sustained_list(), vec![(b"f".to_vec(), file)]);
    run(
        &mut ns,
        Mutation::Release {
            inode: file,
            session: 3,
        },
    )
    .unwrap();
    assert!(ns.get(file).is_none());
}

#[test]
fn purging_an_open_trash_file_sustains_it() {
    let mut ns = Namespace::new(T0);
    let file = file_with_chunks(&mut ns, ROOT, "f", &[4]);
    run(
        &mut ns,
        Mutation::Acquire {
            inode: file,
            session: 7,
        },
    )
    .unwrap();
    unlink(&mut ns, ROOT, "f");
    let purged = run(&mut ns, Mutation::Purge { inode: file }).unwrap();
    assert!(purged.released().is_empty());
    assert_eq!(ns.sustained_list().len(), 1);
    // Sustained files are not trash: PURGE no longer finds it.
    assert_eq!(
        run(&mut ns, Mutation::Purge { inode: file }),
        Err(Status::ENOENT)
    );
    let closed = run(
        &mut ns,
        Mutation::Release {
            inode: file,
            session: 7,
        },
    )
    .unwrap();
    assert_eq!(closed.released(), [ChunkRef { chunk: 4, class: 2 }]);
}

#[test]
fn recursive_setgoal_counts_and_moves_chunk_classes() {
    let mut ns = Namespace::new(T0);
    let dir = make(&mut ns, ROOT, "d", NewNode::Directory);
    file_with_chunks(&mut ns, dir, "a", &[11, 12]);
    let b = file_with_chunks(&mut ns, dir, "b", &[13]);
    make(&mut ns, dir, "link", NewNode::Symlink(b"a"[..].into()));
    let foreign = make(&mut ns, dir, "other", NewNode::File);
    ns.nodes.get_mut(foreign).unwrap().uid = 1000;
    ns.nodes.get_mut(dir).unwrap().uid = 1000;
    ns.nodes.get_mut(b).unwrap().uid = 1000;

    // As uid 1000, recursively: d, b and other change; a (root's) is refused;
    // the symlink is not counted at all.
    let outcome = set_class(&mut ns, dir, 1000, 0x04, 3);
    let Outcome::Changed {
        counts, classes, ..
    } = outcome
    else {
        panic!("{outcome:?}");
    };
    assert_eq!(
        counts,
        Counts {
            changed: 3,
            not_changed: 0,
            not_permitted: 1,
        }
    );
    assert_eq!(
        classes,
        [ClassChange {
            chunk: 13,
            from: 2,
            to: 3
        }]
    );

    // Increasing to 3 again changes nothing that has 3 already.
    let Outcome::Changed { counts, .. } = set_class(&mut ns, dir, 0, 0x05, 3) else {
        panic!();
    };
    assert_eq!((counts.changed, counts.not_changed), (1, 3));
    let tally = ns.sclass_tally(dir, true).unwrap();
    assert_eq!(tally.files.get(&3), Some(&3));
    assert_eq!(tally.dirs.get(&3), Some(&1));

    // A non-recursive change refused on its only node is EPERM.
    let target = PolicyTarget {
        inode: dir,
        uid: 5,
        mode: mode(0),
    };
    let refused = Mutation::SetSclass {
        target,
        class: 4,
        exchanged: 4,
        admin: false,
    };
    assert_eq!(run(&mut ns, refused), Err(Status::EPERM));
}

#[test]
fn trash_time_is_kept_in_hours() {
    let mut ns = Namespace::new(T0);
    let file = make(&mut ns, ROOT, "f", NewNode::File);
    let target = PolicyTarget {
        inode: file,
        uid: 0,
        mode: mode(0),
    };
    run(
        &mut ns,
        Mutation::SetTrashtime {
            target,
            seconds: 3601,
        },
    )
    .unwrap();
    let tally = ns.trashtime_tally(file, false).unwrap();
    assert_eq!(tally.files.into_iter().collect::<Vec<_>>(), [(7200, 1)]);
}

#[test]
fn classes_are_created_listed_and_deleted_as_mfsscadmin_expects() {
    let mut ns = Namespace::new(T0);
    let names: Vec<&[u8]> = ns.classes().iter().map(|(_, c)| &*c.name).collect();
    assert_eq!(
        names,
        [&b"1"[..], b"2", b"3", b"4", b"5", b"6", b"7", b"8", b"9"]
    );
    let def = ClassDef {
        admin_only: false,
        mode: 1,
        arch_delay: 0,
        create: vec![[1, 0, 0, 0]],
        keep: vec![[1, 0, 0, 0], [2, 0, 0, 0]],
        arch: vec![[0; 4]],
    };
    let create = |name: &str| Mutation::SclassCreate {
        name: name.as_bytes().into(),
        def: def.clone(),
    };
    run(&mut ns, create("fast")).unwrap();
    assert_eq!(run(&mut ns, create("fast")), Err(Status::CLASSEXISTS));
    let fast = ns.classes().find(b"fast").unwrap();
    assert_eq!(fast, FIRST_CUSTOM_CLASS);
    assert_eq!(ns.classes().copies(fast), 2);

    let file = file_with_chunks(&mut ns, ROOT, "f", &[9]);
    set_class(&mut ns, file, 0, 0, fast);
    let delete = |name: &str| Mutation::SclassDelete {
        name: name.as_bytes().into(),
    };
    assert_eq!(run(&mut ns, delete("fast")), Err(Status::CLASSINUSE));
    assert_eq!(run(&mut ns, delete("2")), Err(Status::EPERM));

    // One keep label more: the chunks still refer to the class by id, so
    // no reference moves; the chunk service follows the new definition.
    let wider = ClassDef {
        keep: vec![[0; 4]; 3],
        ..def.clone()
    };
    let changed = run(
        &mut ns,
        Mutation::SclassChange {
            name: b"fast"[..].into(),
            chgmask: sclass_change::KEEP,
            def: wider,
        },
    )
    .unwrap();
    assert_eq!(changed.class_changes(), []);
    assert_eq!(ns.classes().copies(fast), 3);

    set_class(&mut ns, file, 0, 0, 2);
    run(&mut ns, delete("fast")).unwrap();
    assert_eq!(ns.classes().find(b"fast"), None);
}
