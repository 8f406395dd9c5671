use mooseng_wire::Status;

use super::*;

pub(super) const T0: u32 = 1_700_000_000;

pub(super) fn user(uid: u32) -> Caller {
    Caller {
        uid,
        gids: vec![uid],
    }
}

pub(super) fn run(
    ns: &mut Namespace,
    caller: &Caller,
    mutation: Mutation,
) -> Result<Outcome, Status> {
    ns.apply(&Entry {
        ts: T0 + 10,
        caller: caller.clone(),
        mutation,
    })
}

pub(super) fn make(
    ns: &mut Namespace,
    caller: &Caller,
    parent: Inode,
    name: &str,
    node: NewNode,
) -> Inode {
    let mutation = Mutation::plain_create(parent, name, node);
    match run(ns, caller, mutation) {
        Ok(Outcome::Node(inode)) => inode,
        other => panic!("create {name} failed: {other:?}"),
    }
}

pub(super) fn with_data(ns: &mut Namespace, file: Inode, chunks: &[u64], length: u64) {
    match &mut ns.nodes.get_mut(file).unwrap().data {
        NodeData::File(data) => {
            data.chunks = chunks.to_vec().into();
            data.length = length;
        }
        other => panic!("not a file: {other:?}"),
    }
}

pub(super) fn snapshot(
    ns: &mut Namespace,
    caller: &Caller,
    src: Inode,
    dst_parent: Inode,
    name: &str,
    smode: u8,
) -> Result<Outcome, Status> {
    let mutation = Mutation::Snapshot {
        src,
        dst_parent,
        name: name.as_bytes().into(),
        smode,
        umask: 0o022,
    };
    run(ns, caller, mutation)
}

pub(super) fn lookup(ns: &Namespace, parent: Inode, name: &str) -> Inode {
    ns.lookup(&Caller::root(), parent, name.as_bytes()).unwrap()
}

pub(super) fn refs(chunks: &[u64]) -> Vec<ChunkRef> {
    chunks
        .iter()
        .map(|&chunk| ChunkRef { chunk, class: 2 })
        .collect()
}

/// A tree `/src` with a file of two chunks and a hole, a subdirectory
/// with a second file, and a symlink.
pub(super) fn tree(ns: &mut Namespace) -> (Inode, Inode, Inode) {
    let root = Caller::root();
    let src = make(ns, &root, ROOT, "src", NewNode::Directory);
    let big = make(ns, &root, src, "big", NewNode::File);
    with_data(ns, big, &[7, 0, 9], 3 * CHUNK_SIZE);
    let sub = make(ns, &root, src, "sub", NewNode::Directory);
    let small = make(ns, &root, sub, "small", NewNode::File);
    with_data(ns, small, &[11], 100);
    make(ns, &root, src, "link", NewNode::Symlink((*b"big").into()));
    (src, big, small)
}

#[test]
fn a_tree_snapshot_copies_every_node_and_shares_the_chunks() {
    let mut ns = Namespace::new(T0);
    let (src, big, _) = tree(&mut ns);
    let outcome = snapshot(&mut ns, &Caller::root(), src, ROOT, "copy", 0).unwrap();
    let copy = lookup(&ns, ROOT, "copy");
    assert_eq!(outcome.inode(), copy);
    assert_eq!(outcome.added(), &refs(&[7, 9, 11])[..]);
    assert!(outcome.released().is_empty());
    let big_copy = lookup(&ns, copy, "big");
    assert_ne!(big_copy, big);
    assert_eq!(ns.file(big_copy).unwrap(), ns.file(big).unwrap());
    let small_copy = lookup(&ns, lookup(&ns, copy, "sub"), "small");
    assert_eq!(ns.file(small_copy).unwrap().chunks[..], [11]);
    let link = ns.get(lookup(&ns, copy, "link")).unwrap();
    assert_eq!(link.data, NodeData::Symlink((*b"big").into()));
    assert_ne!(ns.get(big_copy).unwrap().eattr & 0x10, 0, "EATTR_SNAPSHOT");
    assert_eq!(ns.get(big_copy).unwrap().mtime, ns.get(big).unwrap().mtime);
    assert!(ns.check().is_empty());
}

#[test]
fn replaying_a_snapshot_gives_the_same_tree() {
    let mut first = Namespace::new(T0);
    tree(&mut first);
    let mut second = first.clone();
    let src = lookup(&first, ROOT, "src");
    snapshot(&mut first, &Caller::root(), src, ROOT, "copy", 0).unwrap();
    snapshot(&mut second, &Caller::root(), src, ROOT, "copy", 0).unwrap();
    assert_eq!(first, second);
}

#[test]
fn an_existing_file_needs_the_overwrite_flag_and_is_replaced_with_it() {
    let mut ns = without_trash(Namespace::new(T0));
    let root = Caller::root();
    let file = make(&mut ns, &root, ROOT, "f", NewNode::File);
    with_data(&mut ns, file, &[5], 10);
    let old = make(&mut ns, &root, ROOT, "g", NewNode::File);
    with_data(&mut ns, old, &[6], 10);
    assert_eq!(
        snapshot(&mut ns, &root, file, ROOT, "g", 0),
        Err(Status::EEXIST)
    );
    let outcome = snapshot(
        &mut ns,
        &root,
        file,
        ROOT,
        "g",
        snapshot_mode::CAN_OVERWRITE,
    )
    .unwrap();
    assert_eq!(outcome.added(), &refs(&[5])[..]);
    assert_eq!(outcome.released(), &refs(&[6])[..]);
    assert_eq!(ns.file(lookup(&ns, ROOT, "g")).unwrap().chunks[..], [5]);
    assert!(ns.get(old).is_none());
    let again = snapshot(
        &mut ns,
        &root,
        file,
        ROOT,
        "g",
        snapshot_mode::CAN_OVERWRITE,
    )
    .unwrap();
    assert!(
        again.added().is_empty(),
        "same chunks: nothing to share again"
    );
}

#[test]
fn refusals_follow_mfsmaster() {
    let mut ns = Namespace::new(T0);
    let root = Caller::root();
    let (src, big, _) = tree(&mut ns);
    let sub = lookup(&ns, src, "sub");
    assert_eq!(
        snapshot(&mut ns, &root, src, sub, "loop", 0),
        Err(Status::EINVAL)
    );
    assert_eq!(
        snapshot(&mut ns, &root, src, ROOT, "src", 0),
        Err(Status::EINVAL)
    );
    assert_eq!(
        snapshot(&mut ns, &root, big, big, "x", 0),
        Err(Status::EPERM)
    );
    assert_eq!(
        snapshot(&mut ns, &root, src, ROOT, "a/b", 0),
        Err(Status::EINVAL)
    );
    make(&mut ns, &root, ROOT, "dir", NewNode::Directory);
    assert_eq!(
        snapshot(&mut ns, &root, big, ROOT, "dir", 0),
        Err(Status::EPERM)
    );
    let private = make(&mut ns, &root, ROOT, "private", NewNode::Directory);
    ns.nodes.get_mut(private).unwrap().mode = 0o700;
    assert_eq!(
        snapshot(&mut ns, &user(1000), big, private, "x", 0),
        Err(Status::EACCES)
    );
}

#[test]
fn a_user_copying_someone_elses_file_owns_the_copy_without_setuid() {
    let mut ns = Namespace::new(T0);
    let root = Caller::root();
    let file = make(&mut ns, &root, ROOT, "f", NewNode::File);
    ns.nodes.get_mut(file).unwrap().mode = 0o4755;
    let home = make(&mut ns, &root, ROOT, "home", NewNode::Directory);
    ns.nodes.get_mut(home).unwrap().mode = 0o777;
    snapshot(&mut ns, &user(1000), file, home, "mine", 0).unwrap();
    let copy = ns.get(lookup(&ns, home, "mine")).unwrap();
    assert_eq!((copy.uid, copy.gid, copy.mode), (1000, 1000, 0o755));
}

#[test]
fn preserved_hard_links_stay_links() {
    let mut ns = Namespace::new(T0);
    let root = Caller::root();
    let src = make(&mut ns, &root, ROOT, "src", NewNode::Directory);
    let file = make(&mut ns, &root, src, "a", NewNode::File);
    with_data(&mut ns, file, &[3], 10);
    let link = Mutation::Link {
        inode: file,
        parent: src,
        name: (*b"b").into(),
    };
    run(&mut ns, &root, link).unwrap();
    let kept = snapshot(
        &mut ns,
        &root,
        src,
        ROOT,
        "kept",
        snapshot_mode::PRESERVE_HARDLINKS,
    );
    assert_eq!(kept.unwrap().added(), &refs(&[3])[..]);
    let kept = lookup(&ns, ROOT, "kept");
    assert_eq!(lookup(&ns, kept, "a"), lookup(&ns, kept, "b"));
    let split = snapshot(&mut ns, &root, src, ROOT, "split", 0).unwrap();
    assert_eq!(split.added(), &refs(&[3, 3])[..]);
    let split = lookup(&ns, ROOT, "split");
    assert_ne!(lookup(&ns, split, "a"), lookup(&ns, split, "b"));
}

pub(super) fn without_trash(mut ns: Namespace) -> Namespace {
    ns.nodes.get_mut(ROOT).unwrap().trashtime = 0;
    ns
}
