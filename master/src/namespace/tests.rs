use mooseng_wire::Status;

use super::*;

const T0: u32 = 1_700_000_000;

fn user(uid: u32, gids: &[u32]) -> Caller {
    Caller {
        uid,
        gids: gids.to_vec(),
    }
}

fn run(ns: &mut Namespace, caller: &Caller, mutation: Mutation) -> Result<Outcome, Status> {
    ns.apply(&Entry {
        ts: T0 + 10,
        caller: caller.clone(),
        mutation,
    })
}

fn make(
    ns: &mut Namespace,
    caller: &Caller,
    parent: Inode,
    name: &str,
    node: NewNode,
    mode: u16,
) -> Inode {
    make_with_umask(ns, caller, parent, name, node, mode, 0)
}

fn make_with_umask(
    ns: &mut Namespace,
    caller: &Caller,
    parent: Inode,
    name: &str,
    node: NewNode,
    mode: u16,
    umask: u16,
) -> Inode {
    let outcome = run(
        ns,
        caller,
        Mutation::Create {
            parent,
            name: name.as_bytes().into(),
            node,
            mode,
            umask,
            copy_sgid: true,
        },
    );
    match outcome {
        Ok(Outcome::Node(inode)) => inode,
        other => panic!("create {name} failed: {other:?}"),
    }
}

/// A tree whose root (and so every new file) has trash time 0: unlinked
/// files are freed at once.
fn without_trash(mut ns: Namespace) -> Namespace {
    ns.nodes.get_mut(ROOT).unwrap().trashtime = 0;
    ns
}

fn set_chunks(ns: &mut Namespace, file: Inode, chunks: &[u64]) {
    match &mut ns.nodes.get_mut(file).unwrap().data {
        NodeData::File(data) => data.chunks = chunks.to_vec().into(),
        other => panic!("not a file: {other:?}"),
    }
}

fn unlink(
    ns: &mut Namespace,
    caller: &Caller,
    parent: Inode,
    name: &str,
) -> Result<Outcome, Status> {
    run(
        ns,
        caller,
        Mutation::Unlink {
            parent,
            name: name.as_bytes().into(),
        },
    )
}

#[test]
fn mkdir_applies_umask_owner_and_link_counts() {
    let mut ns = Namespace::new(T0);
    let alice = user(1000, &[100, 200]);
    let dir = make_with_umask(&mut ns, &alice, ROOT, "d", NewNode::Directory, 0o777, 0o022);
    make(&mut ns, &alice, dir, "sub", NewNode::Directory, 0o777);
    let attr = ns.attr(dir).unwrap();
    assert_eq!(
        (attr.mode, attr.uid, attr.gid, attr.nlink),
        (0o755, 1000, 100, 3)
    );
    assert_eq!(ns.attr(ROOT).unwrap().nlink, 3);
    assert_eq!(ns.attr(ROOT).unwrap().mtime, T0 + 10);
    assert_eq!(ns.lookup(&alice, ROOT, b"d"), Ok(dir));
    assert_eq!(ns.lookup(&alice, dir, b".."), Ok(ROOT));
    assert!(ns.check().is_empty());
}

#[test]
fn setgid_directory_passes_its_group_and_the_bit_to_subdirectories() {
    let mut ns = Namespace::new(T0);
    let root = Caller::root();
    let shared = make(&mut ns, &root, ROOT, "shared", NewNode::Directory, 0o2777);
    run(
        &mut ns,
        &root,
        Mutation::SetAttr {
            inode: shared,
            change: AttrChange {
                gid: Some(500),
                ..AttrChange::default()
            },
        },
    )
    .unwrap();
    let bob = user(1001, &[1001]);
    let file = make(&mut ns, &bob, shared, "f", NewNode::File, 0o666);
    let sub = make(&mut ns, &bob, shared, "s", NewNode::Directory, 0o777);
    assert_eq!(ns.attr(file).unwrap().gid, 500);
    assert_eq!(ns.attr(sub).unwrap().gid, 500);
    assert_eq!(ns.attr(sub).unwrap().mode & 0o2000, 0o2000);
}

#[test]
fn hard_links_keep_a_node_until_the_last_name_goes() {
    let mut ns = without_trash(Namespace::new(T0));
    let root = Caller::root();
    let file = make(&mut ns, &root, ROOT, "a", NewNode::File, 0o644);
    let linked = run(
        &mut ns,
        &root,
        Mutation::Link {
            inode: file,
            parent: ROOT,
            name: b"b"[..].into(),
        },
    );
    assert_eq!(linked, Ok(Outcome::Node(file)));
    assert_eq!(ns.attr(file).unwrap().nlink, 2);
    set_chunks(&mut ns, file, &[7, 0, 9]);
    assert_eq!(
        unlink(&mut ns, &root, ROOT, "a"),
        Ok(Outcome::Removed {
            inode: file,
            freed: false,
            released: vec![],
        })
    );
    // The last name takes the file's chunk references with it (holes none).
    assert_eq!(
        unlink(&mut ns, &root, ROOT, "b"),
        Ok(Outcome::Removed {
            inode: file,
            freed: true,
            released: vec![
                ChunkRef { chunk: 7, class: 2 },
                ChunkRef { chunk: 9, class: 2 }
            ],
        })
    );
    assert!(ns.get(file).is_none());
    assert!(ns.check().is_empty());
}

#[test]
fn removal_rules_follow_moosefs() {
    let mut ns = Namespace::new(T0);
    let root = Caller::root();
    let dir = make(&mut ns, &root, ROOT, "d", NewNode::Directory, 0o777);
    make(&mut ns, &root, dir, "f", NewNode::File, 0o644);
    let rmdir = |ns: &mut Namespace, name: &str| {
        run(
            ns,
            &root,
            Mutation::Rmdir {
                parent: ROOT,
                name: name.as_bytes().into(),
            },
        )
    };
    assert_eq!(rmdir(&mut ns, "d"), Err(Status::ENOTEMPTY));
    assert_eq!(unlink(&mut ns, &root, ROOT, "d"), Err(Status::EPERM));
    assert_eq!(unlink(&mut ns, &root, ROOT, "nope"), Err(Status::ENOENT));
    assert_eq!(unlink(&mut ns, &root, ROOT, ".."), Err(Status::EINVAL));
    assert_eq!(
        run(
            &mut ns,
            &root,
            Mutation::Rmdir {
                parent: dir,
                name: b"f"[..].into()
            }
        ),
        Err(Status::ENOTDIR)
    );
}

#[test]
fn sticky_directory_protects_other_users_entries() {
    let mut ns = Namespace::new(T0);
    let tmp = make(
        &mut ns,
        &Caller::root(),
        ROOT,
        "tmp",
        NewNode::Directory,
        0o1777,
    );
    let (alice, bob) = (user(1000, &[1000]), user(1001, &[1001]));
    make(&mut ns, &alice, tmp, "mine", NewNode::File, 0o666);
    assert_eq!(unlink(&mut ns, &bob, tmp, "mine"), Err(Status::EPERM));
    assert!(unlink(&mut ns, &alice, tmp, "mine").is_ok());
}

#[test]
fn rename_moves_directories_but_never_below_themselves() {
    let mut ns = Namespace::new(T0);
    let root = Caller::root();
    let a = make(&mut ns, &root, ROOT, "a", NewNode::Directory, 0o755);
    let b = make(&mut ns, &root, a, "b", NewNode::Directory, 0o755);
    let rename = |ns: &mut Namespace, sp: Inode, sn: &str, dp: Inode, dn: &str| {
        run(
            ns,
            &root,
            Mutation::Rename {
                src_parent: sp,
                src_name: sn.as_bytes().into(),
                dst_parent: dp,
                dst_name: dn.as_bytes().into(),
            },
        )
    };
    assert_eq!(rename(&mut ns, ROOT, "a", b, "x"), Err(Status::EINVAL));
    assert_eq!(rename(&mut ns, a, "b", ROOT, "b"), Ok(Outcome::Node(b)));
    assert_eq!(ns.attr(a).unwrap().nlink, 2);
    assert_eq!(ns.attr(ROOT).unwrap().nlink, 4);
    make(&mut ns, &root, b, "inner", NewNode::File, 0o644);
    assert_eq!(
        rename(&mut ns, ROOT, "a", ROOT, "b"),
        Err(Status::ENOTEMPTY)
    );
    assert!(ns.check().is_empty());
}

#[test]
fn setattr_permissions_follow_moosefs() {
    let mut ns = Namespace::new(T0);
    let alice = user(1000, &[1000, 50]);
    let bob = user(1001, &[1001]);
    let file = make(&mut ns, &alice, ROOT, "f", NewNode::File, 0o666);
    let set = |ns: &mut Namespace, who: &Caller, change: AttrChange| {
        run(
            ns,
            who,
            Mutation::SetAttr {
                inode: file,
                change,
            },
        )
    };
    let chmod = AttrChange {
        mode: Some(0o600),
        ..AttrChange::default()
    };
    assert_eq!(set(&mut ns, &bob, chmod.clone()), Err(Status::EPERM));
    let touch_now = AttrChange {
        mtime: Some(TimeChange::Now),
        ..AttrChange::default()
    };
    assert!(set(&mut ns, &bob, touch_now).is_ok());
    let give_away = AttrChange {
        uid: Some(1001),
        ..AttrChange::default()
    };
    assert_eq!(set(&mut ns, &alice, give_away), Err(Status::EPERM));
    let foreign_group = AttrChange {
        gid: Some(1001),
        ..AttrChange::default()
    };
    assert_eq!(set(&mut ns, &alice, foreign_group), Err(Status::EPERM));
    let own_group = AttrChange {
        gid: Some(50),
        ..AttrChange::default()
    };
    assert!(set(&mut ns, &alice, own_group).is_ok());
    assert!(set(&mut ns, &alice, chmod).is_ok());
    let attr = ns.attr(file).unwrap();
    assert_eq!((attr.mode, attr.gid, attr.ctime), (0o600, 50, T0 + 10));
    let touch_now = AttrChange {
        mtime: Some(TimeChange::Now),
        ..AttrChange::default()
    };
    assert_eq!(set(&mut ns, &bob, touch_now), Err(Status::EACCES));
}

#[test]
fn chown_clears_setuid_as_linux_ext_does() {
    let mut ns = Namespace::new(T0);
    let root = Caller::root();
    let file = make(&mut ns, &root, ROOT, "suid", NewNode::File, 0o6755);
    assert_eq!(ns.attr(file).unwrap().mode, 0o6755);
    let chown = AttrChange {
        uid: Some(7),
        ..AttrChange::default()
    };
    run(
        &mut ns,
        &root,
        Mutation::SetAttr {
            inode: file,
            change: chown,
        },
    )
    .unwrap();
    // group-executable: both bits go
    assert_eq!(ns.attr(file).unwrap().mode, 0o0755);
}

#[test]
fn truncate_drops_chunk_slots_past_the_end() {
    let mut ns = Namespace::new(T0);
    let root = Caller::root();
    let file = make(&mut ns, &root, ROOT, "f", NewNode::File, 0o644);
    set_chunks(&mut ns, file, &[11, 12, 13]);
    let outcome = run(
        &mut ns,
        &root,
        Mutation::SetLength {
            inode: file,
            length: (64 << 20) + 1,
        },
    );
    assert_eq!(
        outcome,
        Ok(Outcome::Released {
            inode: file,
            released: vec![ChunkRef {
                chunk: 13,
                class: 2
            }],
        })
    );
    let Some(NodeData::File(data)) = ns.get(file).map(|n| &n.data) else {
        panic!("not a file");
    };
    assert_eq!(data.chunks[..], [11, 12]);
    assert_eq!(ns.attr(file).unwrap().length, (64 << 20) + 1);
}

/// A file of 64 MiB + 3 MiB in chunks 11 and 12, owned by root, mode 0644.
fn two_chunk_file(ns: &mut Namespace) -> Inode {
    let file = make(ns, &Caller::root(), ROOT, "f", NewNode::File, 0o644);
    set_chunks(ns, file, &[11, 12]);
    run(
        ns,
        &Caller::root(),
        Mutation::GrowLength {
            inode: file,
            length: 67 << 20,
        },
    )
    .unwrap();
    file
}

#[test]
fn a_truncation_cuts_the_chunk_its_new_end_falls_inside_of() {
    let mut ns = Namespace::new(T0);
    let file = two_chunk_file(&mut ns);
    let root = Caller::root();
    let plan = |ns: &Namespace, length| ns.plan_truncate(T0, &root, file, length, false);
    let cut = |chunk, offset| {
        Ok(TruncatePlan {
            previous: 67 << 20,
            cut: Some(Cut {
                chunk,
                index: if chunk == 11 { 0 } else { 1 },
                offset,
            }),
        })
    };
    let no_cut = Ok(TruncatePlan {
        previous: 67 << 20,
        cut: None,
    });
    assert_eq!(plan(&ns, 100_000), cut(11, 100_000));
    assert_eq!(plan(&ns, (64 << 20) + 5), cut(12, 5));
    // Growing inside the last chunk cuts it too, as MooseFS does.
    assert_eq!(plan(&ns, 70 << 20), cut(12, 6 << 20));
    assert_eq!(plan(&ns, 64 << 20), no_cut, "a chunk boundary");
    assert_eq!(plan(&ns, 67 << 20), no_cut, "the same length");
    assert_eq!(plan(&ns, (200 << 20) + 1), no_cut, "past the last chunk");
    set_chunks(&mut ns, file, &[0, 12]);
    assert_eq!(plan(&ns, 100), no_cut, "a hole");
}

#[test]
fn truncation_checks_rights_unless_opened_and_refuses_append_only_files() {
    let mut ns = Namespace::new(T0);
    let file = two_chunk_file(&mut ns);
    let bob = user(1000, &[1000]);
    assert_eq!(
        ns.plan_truncate(T0, &bob, file, 5, false)
            .map(|p| p.previous),
        Err(Status::EACCES)
    );
    assert!(ns.plan_truncate(T0, &bob, file, 5, true).is_ok());
    let opened = Mutation::Truncate {
        inode: file,
        length: 5,
        opened: true,
        keep_times: false,
    };
    let outcome = run(&mut ns, &bob, opened).unwrap();
    assert_eq!(
        outcome.released(),
        [ChunkRef {
            chunk: 12,
            class: 2
        }]
    );
    assert_eq!(ns.attr(file).unwrap().length, 5);

    ns.nodes.get_mut(file).unwrap().eattr = EATTR_APPENDONLY;
    assert_eq!(
        ns.plan_truncate(T0, &Caller::root(), file, 1, true),
        Err(Status::EPERM)
    );
    let dir = make(
        &mut ns,
        &Caller::root(),
        ROOT,
        "d",
        NewNode::Directory,
        0o755,
    );
    assert_eq!(
        ns.plan_truncate(T0, &Caller::root(), dir, 1, false),
        Err(Status::EPERM)
    );
}

#[test]
fn timefix_keeps_the_times_of_a_truncation_to_the_same_length() {
    let mut ns = Namespace::new(T0);
    let file = two_chunk_file(&mut ns);
    let later = T0 + 100;
    let mut truncate = |length, keep_times| {
        let mutation = Mutation::Truncate {
            inode: file,
            length,
            opened: false,
            keep_times,
        };
        let caller = Caller::root();
        ns.apply(&Entry {
            ts: later,
            caller,
            mutation,
        })
        .unwrap();
        let attr = ns.attr(file).unwrap();
        (attr.mtime, attr.ctime)
    };
    assert_eq!(truncate(67 << 20, true), (T0 + 10, T0 + 10));
    assert_eq!(truncate(67 << 20, false), (later, later));
    assert_eq!(truncate(66 << 20, true), (later, later));
}

#[test]
fn reported_times_move_mtime_and_ctime_forward_and_atime_by_relatime() {
    let mut ns = Namespace::new(T0);
    let file = make(&mut ns, &Caller::root(), ROOT, "f", NewNode::File, 0o644);
    let created = T0 + 10;
    let mut report = |atime, mtime| {
        let changes = ns.amtime_changes(file, atime, mtime);
        let mutation = Mutation::AmTime {
            inode: file,
            atime,
            mtime,
        };
        run(&mut ns, &Caller::root(), mutation).unwrap();
        let attr = ns.attr(file).unwrap();
        (changes, attr.atime, attr.mtime, attr.ctime)
    };
    assert_eq!(
        report(0, created + 5),
        (true, created, created + 5, created + 5)
    );
    assert_eq!(
        report(0, created + 1),
        (false, created, created + 5, created + 5),
        "an older mtime"
    );
    // The atime is not after the new mtime: it follows.
    assert_eq!(
        report(created + 6, 0),
        (true, created + 6, created + 5, created + 5)
    );
    // Now it is after both: a later read within a day changes nothing.
    assert_eq!(
        report(created + 60, 0),
        (false, created + 6, created + 5, created + 5)
    );
    assert_eq!(
        report(created + 6 + 86_401, 0),
        (true, created + 6 + 86_401, created + 5, created + 5)
    );
    assert!(!ns.amtime_changes(999, 1, 1), "no such inode");
}

#[test]
fn checker_reports_a_broken_parent_pointer() {
    let mut ns = Namespace::new(T0);
    let root = Caller::root();
    let file = make(&mut ns, &root, ROOT, "f", NewNode::File, 0o644);
    ns.nodes.get_mut(file).unwrap().parents.push(ROOT);
    assert_eq!(
        ns.check(),
        vec![Inconsistency::ParentMismatch {
            inode: file,
            listed: 2,
            entries: 1
        }]
    );
}

#[test]
fn access_checks_immutable_then_mode_bits() {
    let mut ns = Namespace::new(T0);
    let root = Caller::root();
    let dir = make(&mut ns, &root, ROOT, "d", NewNode::Directory, 0o750);
    let other = user(1000, &[1000]);
    assert_eq!(ns.access(&other, dir, MAY_READ), Err(Status::EACCES));
    assert_eq!(ns.access(&root, dir, MAY_READ | MAY_WRITE), Ok(()));
    assert_eq!(ns.access(&other, 99, MAY_READ), Err(Status::ENOENT));
    ns.nodes.get_mut(dir).unwrap().eattr = EATTR_IMMUTABLE;
    assert_eq!(ns.access(&root, dir, MAY_WRITE), Err(Status::EPERM));
    assert_eq!(ns.access(&root, dir, MAY_READ), Ok(()));
}

#[test]
fn subtrees_paths_and_totals() {
    let mut ns = Namespace::new(T0);
    let root = Caller::root();
    let a = make(&mut ns, &root, ROOT, "a", NewNode::Directory, 0o755);
    let b = make(&mut ns, &root, a, "b", NewNode::Directory, 0o755);
    let f = make(&mut ns, &root, b, "f", NewNode::File, 0o644);
    let elsewhere = make(&mut ns, &root, ROOT, "e", NewNode::Directory, 0o755);
    run(
        &mut ns,
        &root,
        Mutation::Link {
            inode: f,
            parent: elsewhere,
            name: b"g"[..].into(),
        },
    )
    .unwrap();
    run(
        &mut ns,
        &root,
        Mutation::SetLength {
            inode: f,
            length: 10,
        },
    )
    .unwrap();

    assert!(ns.is_within(f, a));
    assert!(ns.is_within(f, elsewhere));
    assert!(!ns.is_within(a, elsewhere));
    assert!(ns.is_within(elsewhere, ROOT));
    assert_eq!(ns.resolve_dir("/a/b/"), Ok(b));
    assert_eq!(ns.resolve_dir(""), Ok(ROOT));
    assert_eq!(ns.resolve_dir("a/b/f"), Err(Status::ENOTDIR));
    assert_eq!(ns.resolve_dir("a/x"), Err(Status::ENOENT));
    assert_eq!(ns.parent_of(b), a);
    assert_eq!(ns.parent_of(ROOT), ROOT);
    let stats = ns.tree_stats(ROOT);
    assert_eq!(
        (stats.inodes, stats.dirs, stats.files, stats.length),
        (5, 4, 1, 10)
    );
    assert_eq!(ns.tree_stats(a).inodes, 3);
}

#[test]
fn set_chunk_fills_a_slot_once_and_extends_the_length_to_it() {
    let mut ns = Namespace::new(T0);
    let root = Caller::root();
    let file = make(&mut ns, &root, ROOT, "f", NewNode::File, 0o644);
    let set = |ns: &mut Namespace, index, expect, chunk| {
        run(
            ns,
            &root,
            Mutation::SetChunk {
                inode: file,
                index,
                expect,
                chunk,
            },
        )
    };
    // Slot 0 of an empty file: the length stays 0 until WRITE_CHUNK_END.
    assert_eq!(set(&mut ns, 0, 0, 5), Ok(Outcome::Node(file)));
    assert_eq!(ns.chunk_at(file, 0), Ok((5, 0)));
    // A second writer that saw the hole loses the race.
    assert_eq!(set(&mut ns, 0, 0, 6), Err(Status::EAGAIN));
    assert_eq!(ns.chunk_at(file, 0), Ok((5, 0)));
    // Slot 2: the file now reaches the start of that chunk, slot 1 a hole.
    assert_eq!(set(&mut ns, 2, 0, 8), Ok(Outcome::Node(file)));
    assert_eq!(ns.chunk_at(file, 2), Ok((8, 2 * CHUNK_SIZE)));
    assert_eq!(ns.chunk_at(file, 1), Ok((0, 2 * CHUNK_SIZE)));
    assert_eq!(ns.chunk_at(file, 9), Ok((0, 2 * CHUNK_SIZE)));
    assert_eq!(ns.chunk_at(file, MAX_INDEX + 1), Err(Status::INDEXTOOBIG));
    assert_eq!(ns.chunk_at(ROOT, 0), Err(Status::EPERM));
    assert_eq!(ns.chunk_at(999, 0), Err(Status::ENOENT));
    assert!(ns.check().is_empty());
}

#[test]
fn grow_length_never_shrinks() {
    let mut ns = Namespace::new(T0);
    let root = Caller::root();
    let file = make(&mut ns, &root, ROOT, "f", NewNode::File, 0o644);
    let grow = |ns: &mut Namespace, length| {
        run(
            ns,
            &root,
            Mutation::GrowLength {
                inode: file,
                length,
            },
        )
    };
    assert_eq!(grow(&mut ns, 1000), Ok(Outcome::Node(file)));
    assert_eq!(grow(&mut ns, 10), Ok(Outcome::Node(file)));
    assert_eq!(ns.attr(file).unwrap().length, 1000);
    assert_eq!(
        run(
            &mut ns,
            &root,
            Mutation::GrowLength {
                inode: ROOT,
                length: 1
            }
        ),
        Err(Status::EPERM)
    );
}

#[test]
fn rename_over_a_file_releases_its_chunks() {
    let mut ns = without_trash(Namespace::new(T0));
    let root = Caller::root();
    let a = make(&mut ns, &root, ROOT, "a", NewNode::File, 0o644);
    let b = make(&mut ns, &root, ROOT, "b", NewNode::File, 0o644);
    set_chunks(&mut ns, b, &[21]);
    let outcome = run(
        &mut ns,
        &root,
        Mutation::Rename {
            src_parent: ROOT,
            src_name: b"a"[..].into(),
            dst_parent: ROOT,
            dst_name: b"b"[..].into(),
        },
    );
    assert_eq!(
        outcome,
        Ok(Outcome::Released {
            inode: a,
            released: vec![ChunkRef {
                chunk: 21,
                class: 2
            }],
        })
    );
    assert!(ns.get(b).is_none());
}

/// Sets a file's length, chunk slots and goal as writes would have.
fn fill(ns: &mut Namespace, inode: Inode, length: u64, chunks: &[u64], goal: u8) {
    let node = ns.nodes.get_mut(inode).unwrap();
    node.sclass = goal;
    if let NodeData::File(file) = &mut node.data {
        file.length = length;
        file.chunks = chunks.to_vec().into();
    }
}

#[test]
fn dir_stats_are_what_mfsdirinfo_shows_from_mfsmaster() {
    // What Debian's mfsmaster 3.0.117 reported for this tree: a 70 MB
    // file in two chunks, a 100-byte file also linked as e/small-link, a
    // 200 kB goal-3 file, an empty file, a symlink to "/some/where" and a
    // 200 MiB file without chunks, all at goal 2 unless said otherwise.
    let root = Caller::root();
    let mut ns = Namespace::new(T0);
    let d = make(&mut ns, &root, ROOT, "d", NewNode::Directory, 0o755);
    let e = make(&mut ns, &root, d, "e", NewNode::Directory, 0o755);
    let big = make(&mut ns, &root, d, "big", NewNode::File, 0o644);
    fill(&mut ns, big, 70_000_000, &[1, 2], 2);
    let small = make(&mut ns, &root, d, "small", NewNode::File, 0o644);
    fill(&mut ns, small, 100, &[3], 2);
    let mid = make(&mut ns, &root, e, "mid", NewNode::File, 0o644);
    fill(&mut ns, mid, 200_000, &[4], 3);
    make(&mut ns, &root, d, "empty", NewNode::File, 0o644);
    let target = b"/some/where"[..].into();
    make(&mut ns, &root, d, "sym", NewNode::Symlink(target), 0o777);
    let link = Mutation::Link {
        inode: small,
        parent: e,
        name: b"small-link"[..].into(),
    };
    run(&mut ns, &root, link).unwrap();
    let sparse = make(&mut ns, &root, d, "sparse", NewNode::File, 0o644);
    fill(&mut ns, sparse, 200 << 20, &[], 2);

    let stats = |inode| ns.dir_stats(inode).unwrap();
    let expected = DirStats {
        inodes: 9,
        dirs: 2,
        files: 6,
        chunks: 5,
        length: 279_915_411,
        size: 70_492_160,
        real_size: 141_254_656,
    };
    assert_eq!(stats(d), expected, "the small file counts once per link");
    let expected = DirStats {
        inodes: 1,
        dirs: 0,
        files: 1,
        chunks: 2,
        length: 70_000_000,
        size: 70_074_368,
        real_size: 140_148_736,
    };
    assert_eq!(stats(big), expected);
    let expected = DirStats {
        inodes: 3,
        dirs: 1,
        files: 2,
        chunks: 2,
        length: 200_100,
        size: 344_064,
        real_size: 958_464,
    };
    assert_eq!(stats(e), expected);
    let symlink = ns.lookup(&root, d, b"sym").unwrap();
    assert_eq!(ns.dir_stats(symlink), None, "EPERM for a symlink");
}

#[test]
fn whereabouts_name_every_link_and_unlinked_files() {
    let root = Caller::root();
    let mut ns = without_trash(Namespace::new(T0));
    let d = make(&mut ns, &root, ROOT, "d", NewNode::Directory, 0o755);
    let f = make(&mut ns, &root, d, "f", NewNode::File, 0o644);
    for (parent, name) in [(ROOT, "top"), (d, "again")] {
        let link = Mutation::Link {
            inode: f,
            parent,
            name: name.as_bytes().into(),
        };
        run(&mut ns, &root, link).unwrap();
    }
    let paths = |ns: &Namespace, inode| match ns.whereabouts(inode) {
        Whereabouts::Linked(paths) => paths,
        other => panic!("not linked: {other:?}"),
    };
    // The newest link's directory first; names within one directory in
    // name order.
    let expected: Vec<Vec<u8>> = vec![b"d/again".to_vec(), b"d/f".to_vec(), b"top".to_vec()];
    assert_eq!(paths(&ns, f), expected);
    assert_eq!(paths(&ns, d), vec![b"d".to_vec()]);
    assert_eq!(ns.whereabouts(ROOT), Whereabouts::Root);
    assert_eq!(ns.whereabouts(999), Whereabouts::Unknown);

    // Held open and unlinked without trash time: sustained, with its path.
    let open = make(&mut ns, &root, d, "open", NewNode::File, 0o644);
    let session = 3;
    run(
        &mut ns,
        &root,
        Mutation::Acquire {
            inode: open,
            session,
        },
    )
    .unwrap();
    let name = b"open"[..].into();
    run(&mut ns, &root, Mutation::Unlink { parent: d, name }).unwrap();
    assert_eq!(ns.whereabouts(open), Whereabouts::Sustained(b"d/open"));
}
