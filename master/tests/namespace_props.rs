//! Random operation sequences against the namespace: the tree stays
//! consistent after every step, a refused operation changes nothing, and
//! replaying the same log gives the same tree.

use mooseng_master::namespace::{
    AttrChange, Caller, Entry, Mutation, Namespace, NewNode, SugidClear, TimeChange,
};
use proptest::prelude::*;

const NAMES: [&[u8]; 4] = [b"a", b"b", b"c", b"d"];

fn caller() -> impl Strategy<Value = Caller> {
    prop_oneof![
        Just(Caller::root()),
        Just(Caller {
            uid: 1000,
            gids: vec![1000]
        }),
        Just(Caller {
            uid: 1001,
            gids: vec![1001, 1000]
        }),
    ]
}

fn inode() -> impl Strategy<Value = u32> {
    1u32..24
}

fn name() -> impl Strategy<Value = Box<[u8]>> {
    prop::sample::select(&NAMES[..]).prop_map(Box::from)
}

fn mode() -> impl Strategy<Value = u16> {
    prop::sample::select(&[0o777u16, 0o755, 0o700, 0o1777, 0o2775, 0o6755, 0o644][..])
}

fn new_node() -> impl Strategy<Value = NewNode> {
    prop_oneof![
        3 => Just(NewNode::File),
        3 => Just(NewNode::Directory),
        1 => Just(NewNode::Symlink(Box::from(&b"target"[..]))),
        1 => Just(NewNode::Fifo),
        1 => Just(NewNode::CharDev(0x0103)),
    ]
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        4 => (inode(), name(), new_node(), mode(), any::<bool>()).prop_map(
            |(parent, name, node, mode, copy_sgid)| Mutation::Create {
                parent, name, node, mode, umask: 0o022, copy_sgid,
            }
        ),
        1 => (inode(), inode(), name()).prop_map(|(inode, parent, name)| Mutation::Link { inode, parent, name }),
        2 => (inode(), name()).prop_map(|(parent, name)| Mutation::Unlink { parent, name }),
        2 => (inode(), name()).prop_map(|(parent, name)| Mutation::Rmdir { parent, name }),
        3 => (inode(), name(), inode(), name()).prop_map(|(src_parent, src_name, dst_parent, dst_name)| {
            Mutation::Rename { src_parent, src_name, dst_parent, dst_name }
        }),
        2 => (inode(), prop::option::of(mode()), prop::option::of(1000u32..1002), prop::option::of(1000u32..1002), any::<bool>())
            .prop_map(|(inode, mode, uid, gid, now)| Mutation::SetAttr {
                inode,
                change: AttrChange {
                    mode,
                    uid,
                    gid,
                    mtime: Some(if now { TimeChange::Now } else { TimeChange::At(5) }),
                    sugid_clear: SugidClear::Ext,
                    ..AttrChange::default()
                },
            }),
        1 => (inode(), 0u64..(200 << 20)).prop_map(|(inode, length)| Mutation::SetLength { inode, length }),
    ]
}

fn entries() -> impl Strategy<Value = Vec<Entry>> {
    prop::collection::vec((caller(), mutation()), 1..120).prop_map(|steps| {
        steps
            .into_iter()
            .enumerate()
            .map(|(i, (caller, mutation))| Entry {
                ts: 1_000 + i as u32,
                caller,
                mutation,
            })
            .collect()
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn tree_stays_consistent_and_refusals_change_nothing(log in entries()) {
        let mut ns = Namespace::new(1);
        for entry in &log {
            let before = ns.clone();
            if ns.apply(entry).is_err() {
                prop_assert_eq!(&ns, &before, "refused {:?} changed the tree", entry);
            }
            let problems = ns.check();
            prop_assert!(problems.is_empty(), "after {:?}: {:?}", entry, problems);
        }
    }

    #[test]
    fn replaying_the_log_gives_the_same_tree_and_answers(log in entries()) {
        let mut first = Namespace::new(1);
        let mut second = Namespace::new(1);
        for entry in &log {
            prop_assert_eq!(first.apply(entry), second.apply(entry));
        }
        prop_assert_eq!(first, second);
    }
}
