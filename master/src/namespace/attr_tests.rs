//! Extended attributes, ACLs, extra attributes and quotas.

use mooseng_wire::Status;

use super::*;

const T0: u32 = 1_700_000_000;

fn user(uid: u32, gids: &[u32]) -> Caller {
    Caller {
        uid,
        gids: gids.to_vec(),
    }
}

pub(super) fn run_at(
    ns: &mut Namespace,
    ts: u32,
    caller: &Caller,
    mutation: Mutation,
) -> Result<Outcome, Status> {
    ns.apply(&Entry {
        ts,
        caller: caller.clone(),
        mutation,
    })
}

fn run(ns: &mut Namespace, caller: &Caller, mutation: Mutation) -> Result<Outcome, Status> {
    run_at(ns, T0 + 10, caller, mutation)
}

fn create(
    ns: &mut Namespace,
    caller: &Caller,
    parent: Inode,
    name: &str,
    node: NewNode,
    mode: u16,
) -> Result<Inode, Status> {
    let mutation = Mutation::Create {
        parent,
        name: name.as_bytes().into(),
        node,
        mode,
        umask: 0o022,
        copy_sgid: false,
    };
    run(ns, caller, mutation).map(|o| o.inode())
}

fn setxattr(
    ns: &mut Namespace,
    caller: &Caller,
    inode: Inode,
    name: &str,
    value: &str,
    mode: u8,
) -> Result<Outcome, Status> {
    let mutation = Mutation::SetXattr {
        inode,
        name: name.as_bytes().into(),
        value: value.as_bytes().into(),
        mode,
        opened: false,
    };
    run(ns, caller, mutation)
}

#[test]
fn xattrs_create_replace_remove_and_list_newest_first() {
    let mut ns = Namespace::new(T0);
    let root = Caller::root();
    let file = create(&mut ns, &root, ROOT, "f", NewNode::File, 0o644).unwrap();
    setxattr(&mut ns, &root, file, "user.a", "1", xattr_mode::CREATE_ONLY).unwrap();
    setxattr(
        &mut ns,
        &root,
        file,
        "user.b",
        "2",
        xattr_mode::CREATE_OR_REPLACE,
    )
    .unwrap();
    assert_eq!(
        setxattr(&mut ns, &root, file, "user.a", "x", xattr_mode::CREATE_ONLY),
        Err(Status::EEXIST)
    );
    assert_eq!(
        setxattr(
            &mut ns,
            &root,
            file,
            "user.c",
            "x",
            xattr_mode::REPLACE_ONLY
        ),
        Err(Status::ENOATTR)
    );
    setxattr(
        &mut ns,
        &root,
        file,
        "user.a",
        "3",
        xattr_mode::REPLACE_ONLY,
    )
    .unwrap();
    assert_eq!(ns.get_xattr(&root, file, b"user.a", false), Ok(&b"3"[..]));
    assert_eq!(
        ns.list_xattrs(&root, file, false).unwrap().list(),
        b"user.b\0user.a\0"
    );
    setxattr(&mut ns, &root, file, "user.b", "", xattr_mode::REMOVE).unwrap();
    assert_eq!(
        ns.get_xattr(&root, file, b"user.b", false),
        Err(Status::ENOATTR)
    );
    assert_eq!(ns.attr(file).map(|a| a.ctime), Some(T0 + 10));
}

#[test]
fn xattr_permissions_and_limits_follow_moosefs() {
    let mut ns = Namespace::new(T0);
    let root = Caller::root();
    let alice = user(1000, &[1000]);
    let bob = user(1001, &[1001]);
    let file = create(&mut ns, &alice, ROOT, "f", NewNode::File, 0o644).unwrap();
    assert_eq!(
        setxattr(&mut ns, &alice, file, "trusted.x", "1", 0),
        Err(Status::EPERM)
    );
    assert_eq!(
        setxattr(&mut ns, &bob, file, "system.x", "1", 0),
        Err(Status::EPERM)
    );
    assert_eq!(
        setxattr(&mut ns, &bob, file, "user.x", "1", 0),
        Err(Status::EACCES)
    );
    assert_eq!(
        setxattr(&mut ns, &alice, file, "user.x", "1", 7),
        Err(Status::EINVAL)
    );
    let long = "v".repeat(xattr::XATTR_SIZE_MAX + 1);
    assert_eq!(
        setxattr(&mut ns, &alice, file, "user.x", &long, 0),
        Err(Status::ERANGE)
    );
    setxattr(&mut ns, &root, file, "trusted.x", "1", 0).unwrap();
    assert_eq!(
        ns.get_xattr(&alice, file, b"trusted.x", false),
        Err(Status::EPERM)
    );
    let secret = create(&mut ns, &alice, ROOT, "s", NewNode::File, 0o600).unwrap();
    assert_eq!(
        ns.list_xattrs(&bob, secret, false).err(),
        Some(Status::EACCES)
    );
    assert!(ns.list_xattrs(&bob, secret, true).is_ok());
}

fn acl(user: u16, group: u16, other: u16, mask: u16, named_users: &[(u32, u16)]) -> Acl {
    Acl {
        user,
        group,
        other,
        mask,
        named_users: named_users
            .iter()
            .map(|&(id, perm)| AclEntry { id, perm })
            .collect(),
        named_groups: Vec::new(),
    }
}

#[test]
fn named_user_entry_grants_access_through_the_mask() {
    let mut ns = Namespace::new(T0);
    let alice = user(1000, &[1000]);
    let bob = user(1001, &[1001]);
    let file = create(&mut ns, &alice, ROOT, "f", NewNode::File, 0o600).unwrap();
    assert!(!bob.may(ns.get(file).unwrap(), MAY_READ));
    let set = Mutation::SetAcl {
        inode: file,
        kind: AclKind::Access,
        acl: acl(6, 0, 0, 4, &[(1001, 6)]),
    };
    assert_eq!(run(&mut ns, &bob, set.clone()), Err(Status::EPERM));
    run(&mut ns, &alice, set).unwrap();
    let node = ns.get(file).unwrap();
    assert!(bob.may(node, MAY_READ));
    assert!(!bob.may(node, MAY_WRITE), "the mask keeps only read");
    // The record shows the mask in the group bits; chmod moves it.
    assert_eq!(ns.attr(file).unwrap().mode, 0o640);
    let chmod = Mutation::SetAttr {
        inode: file,
        change: AttrChange {
            mode: Some(0o660),
            ..AttrChange::default()
        },
    };
    run(&mut ns, &alice, chmod).unwrap();
    assert!(bob.may(ns.get(file).unwrap(), MAY_WRITE));
    assert_eq!(ns.get_acl(file, AclKind::Access).unwrap().mask, 6);
    assert_eq!(
        ns.get(file).unwrap().mode & 0o070,
        0,
        "the mode keeps the group entry"
    );
}

#[test]
fn default_acl_is_inherited_instead_of_the_umask() {
    let mut ns = Namespace::new(T0);
    let root = Caller::root();
    let dir = create(&mut ns, &root, ROOT, "d", NewNode::Directory, 0o755).unwrap();
    let set = Mutation::SetAcl {
        inode: dir,
        kind: AclKind::Default,
        acl: acl(7, 5, 0, 7, &[(1001, 7)]),
    };
    run(&mut ns, &root, set).unwrap();
    let file = create(&mut ns, &root, dir, "f", NewNode::File, 0o666).unwrap();
    let access = ns.get_acl(file, AclKind::Access).unwrap();
    assert_eq!(
        (access.user, access.group, access.other, access.mask),
        (6, 5, 0, 6)
    );
    assert_eq!(access.named_users, vec![AclEntry { id: 1001, perm: 7 }]);
    assert_eq!(ns.attr(file).unwrap().mode, 0o660);
    assert_eq!(ns.get_acl(file, AclKind::Default), Err(Status::ENOATTR));
    let sub = create(&mut ns, &root, dir, "s", NewNode::Directory, 0o777).unwrap();
    assert!(ns.get_acl(sub, AclKind::Default).is_ok());
    assert_eq!(ns.attr(sub).unwrap().flags, 0, "flags are the view's job");
    let removal = Mutation::SetAcl {
        inode: dir,
        kind: AclKind::Default,
        acl: acl(0xFFFF, 0xFFFF, 0xFFFF, 0xFFFF, &[]),
    };
    run(&mut ns, &root, removal).unwrap();
    assert!(ns.get(dir).unwrap().extras.acls().is_empty());
}

#[test]
fn seteattr_counts_changes_and_refuses_strangers() {
    let mut ns = Namespace::new(T0);
    let root = Caller::root();
    let alice = user(1000, &[1000]);
    let dir = create(&mut ns, &alice, ROOT, "d", NewNode::Directory, 0o777).unwrap();
    create(&mut ns, &alice, dir, "a", NewNode::File, 0o644).unwrap();
    create(&mut ns, &root, dir, "b", NewNode::File, 0o644).unwrap();
    let noowner_all = Mutation::SetEattr {
        inode: dir,
        eattr: EATTR_NOOWNER,
        smode: smode::INCREASE | smode::RECURSIVE,
    };
    let counts = match run(&mut ns, &alice, noowner_all) {
        Ok(Outcome::Changed { counts, .. }) => counts,
        other => panic!("{other:?}"),
    };
    assert_eq!(
        (counts.changed, counts.not_changed, counts.not_permitted),
        (2, 0, 1)
    );
    let tally = ns.eattr_tally(dir, 1).unwrap();
    assert_eq!(tally.files.get(&EATTR_NOOWNER), Some(&1));
    assert_eq!(tally.files.get(&0), Some(&1));
    assert_eq!(tally.dirs.get(&EATTR_NOOWNER), Some(&1));
    let single = Mutation::SetEattr {
        inode: dir,
        eattr: 0,
        smode: smode::SET,
    };
    assert!(
        run(&mut ns, &user(5, &[5]), single).is_ok(),
        "noowner makes everyone the owner"
    );
}

#[test]
fn quota_hard_inode_limit_refuses_the_next_create() {
    let mut ns = Namespace::new(T0);
    let root = Caller::root();
    let dir = create(&mut ns, &root, ROOT, "q", NewNode::Directory, 0o777).unwrap();
    create(&mut ns, &root, dir, "a", NewNode::File, 0o644).unwrap();
    let change = QuotaChange {
        delete: false,
        flags: quota_flag::HINODES,
        grace_period: 0,
        soft: Usage::default(),
        hard: Usage {
            inodes: 2,
            ..Usage::default()
        },
    };
    run(&mut ns, &root, Mutation::SetQuota { inode: dir, change }).unwrap();
    create(&mut ns, &root, dir, "b", NewNode::File, 0o644).unwrap();
    assert_eq!(
        create(&mut ns, &root, dir, "c", NewNode::File, 0o644),
        Err(Status::QUOTA)
    );
    let (quota, usage) = ns.quota_state(dir).unwrap();
    assert_eq!(
        (quota.flags, quota.hard.inodes, usage.inodes),
        (quota_flag::HINODES, 2, 2)
    );
    let delete = QuotaChange {
        delete: true,
        flags: quota_flag::HINODES,
        grace_period: 0,
        soft: Usage::default(),
        hard: Usage::default(),
    };
    run(
        &mut ns,
        &root,
        Mutation::SetQuota {
            inode: dir,
            change: delete,
        },
    )
    .unwrap();
    assert!(ns.quota(dir).is_none());
    create(&mut ns, &root, dir, "c", NewNode::File, 0o644).unwrap();
}

#[test]
fn soft_quota_refuses_only_after_the_grace_period() {
    let mut ns = Namespace::new(T0);
    let root = Caller::root();
    let dir = create(&mut ns, &root, ROOT, "q", NewNode::Directory, 0o777).unwrap();
    let change = QuotaChange {
        delete: false,
        flags: quota_flag::SINODES,
        grace_period: 100,
        soft: Usage {
            inodes: 1,
            ..Usage::default()
        },
        hard: Usage::default(),
    };
    run(&mut ns, &root, Mutation::SetQuota { inode: dir, change }).unwrap();
    let mk = |ns: &mut Namespace, ts: u32, name: &str| {
        let mutation = Mutation::Create {
            parent: dir,
            name: name.as_bytes().into(),
            node: NewNode::File,
            mode: 0o644,
            umask: 0,
            copy_sgid: false,
        };
        run_at(ns, ts, &root, mutation).map(|_| ())
    };
    mk(&mut ns, T0 + 20, "a").unwrap();
    mk(&mut ns, T0 + 30, "b").unwrap();
    assert_eq!(ns.quota(dir).unwrap().soft_since, T0 + 30);
    mk(&mut ns, T0 + 100, "c").unwrap();
    assert_eq!(mk(&mut ns, T0 + 131, "d"), Err(Status::QUOTA));
}

#[test]
fn file_size_counts_blocks_and_headers() {
    assert_eq!(quota::file_size(0, &[]), 0);
    assert_eq!(quota::file_size(1, &[5]), 0x10000 + 0x2000);
    assert_eq!(
        quota::file_size(CHUNK_SIZE + 1, &[5, 6]),
        CHUNK_SIZE + 0x2000 + 0x10000 + 0x2000
    );
    assert_eq!(quota::file_size(CHUNK_SIZE + 1, &[0, 6]), 0x10000 + 0x2000);
}
