//! SNAPSHOT (`mfsmakesnapshot`): a copy of a file or a whole tree whose
//! files share their chunks with the originals, as MooseFS 3.0.117's
//! `fs_snapshot` makes it.
//!
//! Everything is decided by the tree itself: new inodes come from the
//! namespace's counter in the walk's (name) order, so a replica applying
//! the same entry makes the same copy. The chunks are not copied; the
//! outcome lists one new reference per chunk slot of every copied file,
//! and a later write to a shared chunk gets a private duplicate first
//! (see `chunks::write`).

use std::collections::HashMap;

use mooseng_wire::Status;

use super::access::EATTR_UNDELETABLE;
use super::access::{Caller, EATTR_APPENDONLY, EATTR_IMMUTABLE, EATTR_SNAPSHOT};
use super::access::{MAY_EXEC, MAY_READ, MAY_WRITE};
use super::create::new_node;
use super::mutation::{ChunkRef, NewNode, Outcome};
use super::node::{Inode, Node, NodeData};
use super::quota::{node_usage, Usage};
use super::remove::chunk_refs;
use super::{check_name, Namespace};

/// `SNAPSHOT_MODE_*`: the `smode` bits of a SNAPSHOT request.
pub mod snapshot_mode {
    /// `-o`: an existing file of the same name is replaced.
    pub const CAN_OVERWRITE: u8 = 0x01;
    /// `-c`: owner, group and mode as `cp` gives them, not the original's.
    pub const CPLIKE_ATTR: u8 = 0x02;
    /// `-f` of `mfsrmsnapshot`.
    pub const FORCE_REMOVAL: u8 = 0x04;
    /// `-l`: files hard-linked to each other stay so in the copy.
    pub const PRESERVE_HARDLINKS: u8 = 0x08;
    /// `mfsrmsnapshot`: remove a snapshot instead of making one.
    pub const DELETE: u8 = 0x80;
}

/// Setuid and setgid stay only for root or the original's owner.
const WITHOUT_SUGID: u16 = 0o1777;

/// One snapshot in progress: who asks, how, and what it did to chunks.
struct Copying<'a> {
    ts: u32,
    caller: &'a Caller,
    smode: u8,
    umask: u16,
    /// Original inode to copy, for hard links kept as hard links.
    linked: HashMap<Inode, Inode>,
    added: Vec<ChunkRef>,
    released: Vec<ChunkRef>,
}

impl Copying<'_> {
    fn has(&self, bit: u8) -> bool {
        self.smode & bit != 0
    }

    /// Root and the original's owner keep the original's identity.
    fn keeps_owner(&self, src: &Node) -> bool {
        self.caller.is_root() || self.caller.uid == src.uid
    }
}

impl Namespace {
    #[allow(clippy::too_many_arguments)]
    pub(super) fn snapshot(
        &mut self,
        ts: u32,
        caller: &Caller,
        src: Inode,
        dst_parent: Inode,
        name: &[u8],
        smode: u8,
        umask: u16,
    ) -> Result<Outcome, Status> {
        if smode & snapshot_mode::DELETE != 0 {
            return self.remove_snapshot(ts, caller, src, dst_parent, name, smode);
        }
        let src_node = self.get(src).ok_or(Status::ENOENT)?;
        let dir = self.get(dst_parent).ok_or(Status::ENOENT)?;
        if dir.eattr & EATTR_IMMUTABLE != 0 {
            return Err(Status::EPERM);
        }
        if !caller.may(src_node, MAY_READ) {
            return Err(Status::EACCES);
        }
        if !dir.is_dir() {
            return Err(Status::EPERM);
        }
        if src_node.is_dir() && self.is_ancestor_or_self(src, dst_parent) {
            return Err(Status::EINVAL);
        }
        if !caller.may(dir, MAY_WRITE | MAY_EXEC) {
            return Err(Status::EACCES);
        }
        check_name(name)?;
        let can_overwrite = smode & snapshot_mode::CAN_OVERWRITE != 0;
        self.snapshot_test(src, src, dst_parent, name, can_overwrite)?;
        self.check_quota(ts, dst_parent, &self.snapshot_growth(src, dst_parent, name))?;
        let mut copying = Copying {
            ts,
            caller,
            smode,
            umask,
            linked: HashMap::new(),
            added: Vec::new(),
            released: Vec::new(),
        };
        self.copy(&mut copying, src, dst_parent, name, false);
        self.note_quota_usage(ts, dst_parent);
        let inode = self.entry(dst_parent, name).unwrap_or(src);
        Ok(Outcome::Snapshot {
            inode,
            added: copying.added,
            released: copying.released,
        })
    }

    /// The inode of `dir/name`, without any permission check.
    pub(super) fn entry(&self, dir: Inode, name: &[u8]) -> Option<Inode> {
        self.get(dir)?.dir()?.entries.get(name).copied()
    }

    /// MooseFS's `fsnodes_snapshot_test`: what already exists where the
    /// copy goes must be of the same kind, deletable, not the original,
    /// and (files) replaceable only with `CAN_OVERWRITE`.
    fn snapshot_test(
        &self,
        orig: Inode,
        src: Inode,
        parent: Inode,
        name: &[u8],
        can_overwrite: bool,
    ) -> Result<(), Status> {
        let Some(dst) = self.entry(parent, name) else {
            return Ok(());
        };
        if dst == orig {
            return Err(Status::EINVAL);
        }
        let (Some(src_node), Some(dst_node)) = (self.get(src), self.get(dst)) else {
            return Err(Status::ENOENT);
        };
        if dst_node.eattr & (EATTR_UNDELETABLE | EATTR_IMMUTABLE | EATTR_APPENDONLY) != 0 {
            return Err(Status::EPERM);
        }
        if dst_node.kind() != src_node.kind() {
            return Err(Status::EPERM);
        }
        match src_node.dir() {
            Some(entries) => {
                for (child_name, child) in &entries.entries {
                    self.snapshot_test(orig, *child, dst, child_name, can_overwrite)?;
                }
                Ok(())
            }
            None if can_overwrite => Ok(()),
            None => Err(Status::EEXIST),
        }
    }

    /// What the copy adds to the quotas above `parent`: the original's
    /// subtree less what already exists at the destination.
    fn snapshot_growth(&self, src: Inode, parent: Inode, name: &[u8]) -> Usage {
        let subtree = |inode: Inode| {
            let mut usage = self
                .get(inode)
                .map(|node| node_usage(node, self.classes()))
                .unwrap_or_default();
            if self.get(inode).is_some_and(Node::is_dir) {
                usage.add(&self.usage(inode));
            }
            usage
        };
        let mut growth = subtree(src);
        if let Some(existing) = self.entry(parent, name) {
            growth.subtract(&subtree(existing));
        }
        growth
    }

    /// MooseFS's `fsnodes_snapshot`: copies `src` to `parent/name`,
    /// refreshing what exists there unless `fresh` says the parent was
    /// just made. Nodes the caller may not read are left out.
    fn copy(&mut self, cp: &mut Copying, src: Inode, parent: Inode, name: &[u8], fresh: bool) {
        let Some(src_node) = self.get(src).cloned() else {
            return;
        };
        let (readable, recurse) = match &src_node.data {
            NodeData::Directory(_) => (true, cp.caller.may(&src_node, MAY_READ | MAY_EXEC)),
            NodeData::File(_) => (cp.caller.may(&src_node, MAY_READ), false),
            _ => (true, false),
        };
        if !readable {
            return;
        }
        let existing = if fresh {
            None
        } else {
            self.entry(parent, name)
        };
        match existing {
            Some(dst) => self.refresh(cp, &src_node, dst, parent, name, recurse),
            None => self.copy_new(cp, src, &src_node, parent, name, recurse),
        }
    }

    /// The destination exists (and is of the same kind): directories are
    /// walked, a file with other chunks is replaced, a symlink or device
    /// takes the original's target; then the attributes follow.
    fn refresh(
        &mut self,
        cp: &mut Copying,
        src_node: &Node,
        mut dst: Inode,
        parent: Inode,
        name: &[u8],
        recurse: bool,
    ) {
        match &src_node.data {
            NodeData::Directory(entries) if recurse => {
                for (child_name, child) in &entries.entries {
                    self.copy(cp, *child, dst, child_name, false);
                }
            }
            NodeData::File(file) => {
                let same = self.get(dst).is_some_and(|n| match &n.data {
                    NodeData::File(old) => old == file,
                    _ => false,
                });
                if !same {
                    let path = self.path_of(parent, name);
                    self.detach(cp.ts, parent, name);
                    let released = self.free_if_unlinked(cp.ts, dst, path);
                    cp.released.extend(released.unwrap_or_default());
                    dst = self.make_copy(cp, src_node, parent, name, false);
                    self.share_chunks(cp, src_node, dst);
                }
            }
            NodeData::Symlink(target) => {
                self.node_mut(dst).data = NodeData::Symlink(target.clone());
            }
            NodeData::BlockDev(_) | NodeData::CharDev(_) => {
                self.node_mut(dst).data = src_node.data.clone();
            }
            _ => {}
        }
        let cplike = cp.has(snapshot_mode::CPLIKE_ATTR);
        let (ts, keeps_owner) = (cp.ts, cp.keeps_owner(src_node));
        let (uid, gid, umask) = (cp.caller.uid, cp.caller.primary_gid(), cp.umask);
        let node = self.node_mut(dst);
        if cplike {
            node.uid = uid;
            node.gid = gid;
            node.mode = src_node.mode & !umask;
            node.ctime = ts;
        } else {
            if keeps_owner {
                node.mode = src_node.mode;
                node.uid = src_node.uid;
                node.gid = src_node.gid;
                node.ctime = src_node.ctime;
            } else {
                node.mode = src_node.mode & WITHOUT_SUGID;
                node.uid = uid;
                node.gid = gid;
                node.ctime = ts;
            }
            node.atime = src_node.atime;
            node.mtime = src_node.mtime;
        }
        node.eattr |= EATTR_SNAPSHOT;
    }

    /// A new node for the copy of `src`, hard-linked to an earlier copy
    /// when `PRESERVE_HARDLINKS` asks and the original has several links.
    fn copy_new(
        &mut self,
        cp: &mut Copying,
        src: Inode,
        src_node: &Node,
        parent: Inode,
        name: &[u8],
        recurse: bool,
    ) {
        let keep_links = cp.has(snapshot_mode::PRESERVE_HARDLINKS)
            && !src_node.is_dir()
            && src_node.parents.len() > 1;
        if keep_links {
            if let Some(&dst) = cp.linked.get(&src) {
                self.attach(cp.ts, parent, name, dst);
                self.node_mut(dst).ctime = cp.ts;
                return;
            }
        }
        let dst = self.make_copy(cp, src_node, parent, name, true);
        if keep_links {
            cp.linked.insert(src, dst);
        }
        match &src_node.data {
            NodeData::Directory(entries) if recurse => {
                for (child_name, child) in &entries.entries {
                    self.copy(cp, *child, dst, child_name, true);
                }
            }
            NodeData::File(_) => self.share_chunks(cp, src_node, dst),
            _ => {}
        }
        let node = self.node_mut(dst);
        if !cp.has(snapshot_mode::CPLIKE_ATTR) {
            node.atime = src_node.atime;
            node.mtime = src_node.mtime;
            node.ctime = src_node.ctime;
        }
        node.eattr |= EATTR_SNAPSHOT;
    }

    /// Creates and attaches the node the copy of `src_node` starts from,
    /// with the original's policies (and, for a whole new node, extra
    /// attributes, xattrs and ACLs) unless `CPLIKE_ATTR`.
    fn make_copy(
        &mut self,
        cp: &Copying,
        src_node: &Node,
        parent: Inode,
        name: &[u8],
        whole: bool,
    ) -> Inode {
        let cplike = cp.has(snapshot_mode::CPLIKE_ATTR);
        let owner = if cplike || !cp.keeps_owner(src_node) {
            cp.caller.clone()
        } else {
            Caller {
                uid: src_node.uid,
                gids: vec![src_node.gid],
            }
        };
        let mode = if cplike {
            src_node.mode & !cp.umask
        } else if cp.keeps_owner(src_node) {
            src_node.mode
        } else {
            src_node.mode & WITHOUT_SUGID
        };
        let spec = match &src_node.data {
            NodeData::File(_) => NewNode::File,
            NodeData::Directory(_) => NewNode::Directory,
            NodeData::Symlink(target) => NewNode::Symlink(target.clone()),
            NodeData::Fifo => NewNode::Fifo,
            NodeData::Socket => NewNode::Socket,
            NodeData::BlockDev(rdev) => NewNode::BlockDev(*rdev),
            NodeData::CharDev(rdev) => NewNode::CharDev(*rdev),
        };
        let parent_node = self.node(parent);
        let mut node = new_node(cp.ts, &owner, parent_node, &spec, mode, false);
        node.gid = owner.primary_gid();
        if !cplike || !whole {
            node.sclass = src_node.sclass;
            node.trashtime = src_node.trashtime;
        }
        if !cplike && whole {
            node.eattr = src_node.eattr;
            node.winattr = src_node.winattr;
            node.extras = src_node.extras.clone();
        }
        let inode = self.next_inode;
        self.next_inode += 1;
        self.nodes.insert(inode, node);
        self.attach(cp.ts, parent, name, inode);
        inode
    }

    /// Gives the copy `dst` the original's chunks and length; each chunk
    /// slot is one more reference for the chunk table.
    fn share_chunks(&mut self, cp: &mut Copying, src_node: &Node, dst: Inode) {
        let NodeData::File(file) = &src_node.data else {
            return;
        };
        let class = self.get(dst).map_or(src_node.sclass, |n| n.sclass);
        cp.added.extend(chunk_refs(&file.chunks, class));
        self.node_mut(dst).data = NodeData::File(file.clone());
    }
}
