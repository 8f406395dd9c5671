use mooseng_wire::Status;

use super::snapshot_tests::{lookup, make, refs, run, snapshot, tree, user, T0};
use super::*;

fn remove(
    ns: &mut Namespace,
    caller: &Caller,
    parent: Inode,
    name: &str,
    force: bool,
) -> Result<Outcome, Status> {
    let force = if force {
        snapshot_mode::FORCE_REMOVAL
    } else {
        0
    };
    snapshot(ns, caller, 0, parent, name, snapshot_mode::DELETE | force)
}

fn marked(ns: &Namespace, inode: Inode) -> bool {
    ns.get(inode).unwrap().eattr & EATTR_SNAPSHOT != 0
}

/// The test tree and its snapshot `/copy`, with the copy's subdirectory.
fn copied_tree() -> (Namespace, Inode, Inode) {
    let mut ns = Namespace::new(T0);
    let (src, ..) = tree(&mut ns);
    snapshot(&mut ns, &Caller::root(), src, ROOT, "copy", 0).unwrap();
    let copy = lookup(&ns, ROOT, "copy");
    let sub = lookup(&ns, copy, "sub");
    (ns, copy, sub)
}

/// The chunk references `outcome` ended, in chunk order.
fn released_sorted(outcome: &Outcome) -> Vec<ChunkRef> {
    let mut released = outcome.released().to_vec();
    released.sort_by_key(|r| r.chunk);
    released
}

fn gone(ns: &Namespace, parent: Inode, name: &str) -> bool {
    ns.lookup(&Caller::root(), parent, name.as_bytes()) == Err(Status::ENOENT)
}

#[test]
fn a_snapshot_goes_whole_past_the_trash_and_ends_its_chunk_references() {
    let (mut ns, copy, sub) = copied_tree();
    let root = Caller::root();
    let big = lookup(&ns, lookup(&ns, ROOT, "src"), "big");
    let made = [
        copy,
        sub,
        lookup(&ns, copy, "big"),
        lookup(&ns, copy, "link"),
        lookup(&ns, sub, "small"),
    ];
    let outcome = remove(&mut ns, &root, ROOT, "copy", false).unwrap();
    assert_eq!(outcome.inode(), copy);
    assert_eq!(released_sorted(&outcome), refs(&[7, 9, 11]));
    assert!(gone(&ns, ROOT, "copy"));
    for inode in made {
        assert!(ns.get(inode).is_none(), "inode {inode} is still there");
        assert!(
            ns.detached(inode).is_none(),
            "inode {inode} went to the trash"
        );
    }
    assert_eq!(ns.file(big).unwrap().chunks[..], [7, 0, 9]);
    assert!(ns.check().is_empty());
}

#[test]
fn a_changed_copy_is_refused_unless_forced_and_then_what_changed_stays() {
    let (mut ns, copy, sub) = copied_tree();
    let root = Caller::root();
    let added = make(&mut ns, &root, sub, "new", NewNode::File);
    assert!(!marked(&ns, sub), "a new entry unmarks its directory");
    let before = ns.clone();
    assert_eq!(
        remove(&mut ns, &root, ROOT, "copy", false),
        Err(Status::EPERM)
    );
    assert_eq!(ns, before);

    let outcome = remove(&mut ns, &root, ROOT, "copy", true).unwrap();
    assert_eq!(released_sorted(&outcome), refs(&[7, 9, 11]));
    assert!(gone(&ns, copy, "big") && gone(&ns, copy, "link") && gone(&ns, sub, "small"));
    assert_eq!(lookup(&ns, sub, "new"), added);
    assert_eq!(lookup(&ns, copy, "sub"), sub);
    assert_eq!(lookup(&ns, ROOT, "copy"), copy);
    assert!(ns.check().is_empty());
}

#[test]
fn writes_truncations_and_removed_entries_unmark_a_copy() {
    let (mut ns, copy, sub) = copied_tree();
    let root = Caller::root();
    let (big, small) = (lookup(&ns, copy, "big"), lookup(&ns, sub, "small"));
    assert!([copy, sub, big, small].iter().all(|&n| marked(&ns, n)));

    let shorter = Mutation::GrowLength {
        inode: big,
        length: 1,
    };
    run(&mut ns, &root, shorter).unwrap();
    assert!(marked(&ns, big), "a length it already has changes nothing");
    let write = Mutation::SetChunk {
        inode: big,
        index: 0,
        expect: 7,
        chunk: 70,
    };
    run(&mut ns, &root, write).unwrap();
    assert!(!marked(&ns, big));
    let cut = Mutation::SetLength {
        inode: small,
        length: 0,
    };
    run(&mut ns, &root, cut).unwrap();
    assert!(!marked(&ns, small));
    assert!(marked(&ns, sub), "its entries did not change");
    let unlink = Mutation::Unlink {
        parent: sub,
        name: (*b"small").into(),
    };
    run(&mut ns, &root, unlink).unwrap();
    assert!(!marked(&ns, sub));
    assert!(marked(&ns, copy));
}

#[test]
fn removal_refusals_follow_mfsmaster() {
    let mut ns = Namespace::new(T0);
    let (src, big, _) = tree(&mut ns);
    let root = Caller::root();
    snapshot(&mut ns, &root, src, ROOT, "copy", 0).unwrap();
    let before = ns.clone();
    let named_original = snapshot(&mut ns, &root, src, ROOT, "copy", snapshot_mode::DELETE);
    assert_eq!(named_original, Err(Status::EINVAL));
    assert_eq!(remove(&mut ns, &root, big, "x", false), Err(Status::EPERM));
    assert_eq!(
        remove(&mut ns, &root, ROOT, "a/b", false),
        Err(Status::EINVAL)
    );
    assert_eq!(
        remove(&mut ns, &root, ROOT, "none", false),
        Err(Status::ENOENT)
    );
    assert_eq!(
        remove(&mut ns, &root, ROOT, "src", false),
        Err(Status::EPERM)
    );
    assert_eq!(ns, before);

    let theirs = make(&mut ns, &root, ROOT, "theirs", NewNode::Directory);
    ns.nodes.get_mut(theirs).unwrap().mode = 0o755;
    snapshot(&mut ns, &root, src, theirs, "copy", 0).unwrap();
    let before = ns.clone();
    assert_eq!(
        remove(&mut ns, &user(1000), theirs, "copy", true),
        Err(Status::EACCES)
    );
    assert_eq!(ns, before);
}
