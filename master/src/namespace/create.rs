//! Making nodes and hard links.

use mooseng_wire::Status;

use super::access::{Caller, EATTR_APPENDONLY, EATTR_IMMUTABLE, EATTR_UNDELETABLE};
use super::access::{EATTR_NOECACHE, EATTR_SNAPSHOT};
use super::acl::{self, AclKind, NodeAcls};
use super::extras::Extras;
use super::mutation::{NewNode, Outcome};
use super::node::{FileData, Inode, Node, NodeData, Parents};
use super::quota::new_usage;
use super::{check_name, Namespace, DEFAULT_TRASHTIME_HOURS};

const SETGID: u16 = 0o2000;
/// Hard links one node may have (MooseFS's default `MaxAllowedHardLinks`).
const MAX_HARD_LINKS: usize = 32767;

impl Namespace {
    #[allow(clippy::too_many_arguments)]
    pub(super) fn create(
        &mut self,
        ts: u32,
        caller: &Caller,
        parent: Inode,
        name: &[u8],
        spec: &NewNode,
        mode: u16,
        umask: u16,
        copy_sgid: bool,
    ) -> Result<Outcome, Status> {
        let dir = self.writable_dir(caller, parent)?;
        check_name(name)?;
        if dir.dir().is_some_and(|d| d.entries.contains_key(name)) {
            return Err(Status::EEXIST);
        }
        self.check_quota(ts, parent, &new_usage(spec))?;
        let is_dir = matches!(spec, NewNode::Directory);
        let (mode, acl) = match dir.extras.acls().get(AclKind::Default) {
            Some(default) => acl::inherit(default, mode, is_dir),
            None => (mode & !umask, NodeAcls::default()),
        };
        let mut node = new_node(ts, caller, dir, spec, mode & 0o7777, copy_sgid);
        node.extras.change_acls(|acls| *acls = acl);
        let inode = self.next_inode;
        self.next_inode += 1;
        self.nodes.insert(inode, node);
        self.attach(ts, parent, name, inode);
        self.note_quota_usage(ts, parent);
        Ok(Outcome::Node(inode))
    }

    pub(super) fn link(
        &mut self,
        ts: u32,
        caller: &Caller,
        inode: Inode,
        parent: Inode,
        name: &[u8],
    ) -> Result<Outcome, Status> {
        let node = self.get(inode).ok_or(Status::ENOENT)?;
        self.get(parent).ok_or(Status::ENOENT)?;
        if node.eattr & EATTR_IMMUTABLE != 0 || node.is_dir() {
            return Err(Status::EPERM);
        }
        if node.parents.len() >= MAX_HARD_LINKS {
            return Err(Status::NOSPACE);
        }
        let dir = self.writable_dir(caller, parent)?;
        check_name(name)?;
        if dir.dir().is_some_and(|d| d.entries.contains_key(name)) {
            return Err(Status::EEXIST);
        }
        self.attach(ts, parent, name, inode);
        self.node_mut(inode).ctime = ts;
        Ok(Outcome::Node(inode))
    }
}

/// A node as MooseFS makes it: owner from the caller, group from the caller
/// or from a setgid parent, storage class and trash time inherited by files
/// and directories, extra attributes inherited except the per-node ones.
pub(super) fn new_node(
    ts: u32,
    caller: &Caller,
    parent: &Node,
    spec: &NewNode,
    mut mode: u16,
    copy_sgid: bool,
) -> Node {
    let is_dir = matches!(spec, NewNode::Directory);
    let inherits = matches!(spec, NewNode::File | NewNode::Directory);
    let gid = if parent.mode & SETGID != 0 {
        if is_dir && copy_sgid {
            mode |= SETGID;
        }
        parent.gid
    } else {
        caller.primary_gid()
    };
    let not_inherited = EATTR_SNAPSHOT | EATTR_UNDELETABLE | EATTR_APPENDONLY | EATTR_IMMUTABLE;
    let eattr = if is_dir {
        parent.eattr & !not_inherited
    } else {
        parent.eattr & !(not_inherited | EATTR_NOECACHE)
    };
    Node {
        mode,
        uid: caller.uid,
        gid,
        atime: ts,
        mtime: ts,
        ctime: ts,
        eattr,
        winattr: 0,
        trashtime: if inherits {
            parent.trashtime
        } else {
            DEFAULT_TRASHTIME_HOURS
        },
        sclass: if inherits { parent.sclass } else { 0 },
        parents: Parents::None,
        data: match spec {
            NewNode::File => NodeData::File(FileData::default()),
            NewNode::Directory => NodeData::Directory(Box::default()),
            NewNode::Symlink(target) => NodeData::Symlink(target.clone()),
            NewNode::Fifo => NodeData::Fifo,
            NewNode::Socket => NodeData::Socket,
            NewNode::BlockDev(rdev) => NodeData::BlockDev(*rdev),
            NewNode::CharDev(rdev) => NodeData::CharDev(*rdev),
        },
        extras: Extras::default(),
    }
}
