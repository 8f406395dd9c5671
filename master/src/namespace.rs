//! The file-system tree as a deterministic state machine.
//!
//! Reads borrow the tree; every change goes through [`Namespace::apply`]
//! with a log [`Entry`], which checks permissions and validity against the
//! current state and either changes it or returns the MooseFS status the
//! client will see. Applying the same entries in the same order always
//! gives the same tree and the same answers.

mod access;
mod acl;
mod amtime;
mod answers;
mod append;
mod archive;
mod check;
mod create;
mod data;
mod eattr;
mod entry_name;
mod extras;
mod inline_list;
mod mutation;
mod node;
mod node_table;
mod open_files;
mod paths;
mod policy;
mod query;
mod quota;
mod remove;
mod rename;
mod repair;
mod sclass;
mod sclass_usage;
mod sessions;
mod setattr;
mod snapshot;
mod snapshot_remove;
mod trash;
mod truncate;
mod xattr;

use std::collections::BTreeMap;

use mooseng_wire::{Attr, Status};
use serde::{Deserialize, Serialize};

use access::EATTR_SNAPSHOT;
pub use access::{
    Caller, EATTR_APPENDONLY, EATTR_IMMUTABLE, EATTR_NOOWNER, EATTR_UNDELETABLE, MAY_EXEC,
    MAY_READ, MAY_WRITE,
};
pub use acl::{Acl, AclEntry, AclKind, NodeAcls};
use answers::Answers;
pub use answers::{RequestKey, KEPT_PER_SESSION};
pub use append::{append_flag, Slice};
pub use check::Inconsistency;
pub use data::{CHUNK_SIZE, MAX_INDEX};
pub use eattr::{smode, EattrTally};
pub use entry_name::EntryName;
pub use extras::Extras;
pub use inline_list::InlineList;
pub use mutation::{
    AttrChange, ChunkRef, ClassChange, Counts, Entry, Mutation, NewNode, Outcome, SugidClear,
    TimeChange,
};
pub use node::{ChunkList, Directory, FileData, Inode, NameBytes, Node, NodeData, Parents, ROOT};
use node_table::NodeTable;
pub use paths::Whereabouts;
pub use policy::{PolicyTarget, SetKind, SetMode, Tally};
pub use query::{Census, DirStats, TreeStats};
pub use quota::{quota_flag, Quota, QuotaChange, Usage};
pub use sclass::{
    change as sclass_change, ClassDef, Classes, LabelExpr, StorageClass, FIRST_CUSTOM_CLASS,
    MODE_STRICT,
};
pub use sclass_usage::ClassMembers;
pub use sessions::SessionRecord;
use sessions::SessionTable;
pub use snapshot::snapshot_mode;
pub use trash::{Detached, DetachedKind, TRASH_BUCKETS};
pub use truncate::{Cut, TruncatePlan};
pub use xattr::{xattr_mode, Xattrs};

/// Longest name MooseFS accepts (`MFS_NAME_MAX`).
pub const NAME_MAX: usize = 255;
/// Storage class of a new root (goal 2), as in MooseFS.
pub const DEFAULT_SCLASS: u8 = 2;
/// Trash time of a new root, in hours (one day), as in MooseFS.
pub const DEFAULT_TRASHTIME_HOURS: u32 = 24;

/// Serialized whole into snapshots; a loaded tree is only trusted after
/// [`Namespace::check`] finds nothing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Namespace {
    nodes: NodeTable,
    next_inode: Inode,
    classes: Classes,
    /// Trash and sustained files, by inode.
    detached: BTreeMap<Inode, trash::Detached>,
    /// Arrivals counted for the order of trash listings.
    detached_seq: u64,
    /// Sessions holding each open file.
    open: open_files::OpenFiles,
    /// The sessions mounts registered.
    sessions: SessionTable,
    /// The answers to changes mounts may resend. Not in snapshots: a
    /// resend follows a failover within seconds, and a master that loads
    /// a snapshot taken since only cannot recognise it.
    #[serde(skip)]
    answers: Answers,
}

impl Namespace {
    /// A tree holding only the root directory, created at `ts`.
    pub fn new(ts: u32) -> Self {
        let root = Node {
            mode: 0o777,
            uid: 0,
            gid: 0,
            atime: ts,
            mtime: ts,
            ctime: ts,
            eattr: 0,
            winattr: 0,
            trashtime: DEFAULT_TRASHTIME_HOURS,
            sclass: DEFAULT_SCLASS,
            parents: Parents::None,
            data: NodeData::Directory(Box::default()),
            extras: Extras::default(),
        };
        let mut nodes = NodeTable::default();
        nodes.insert(ROOT, root);
        Namespace {
            nodes,
            next_inode: ROOT + 1,
            classes: Classes::default(),
            detached: BTreeMap::new(),
            detached_seq: 0,
            open: open_files::OpenFiles::default(),
            sessions: SessionTable::default(),
            answers: Answers::default(),
        }
    }

    /// Breaks the tree on purpose, for tests of what refuses a broken tree.
    #[cfg(test)]
    pub(crate) fn drop_node_for_test(&mut self, inode: Inode) {
        self.nodes.remove(inode);
    }

    pub fn get(&self, inode: Inode) -> Option<&Node> {
        self.nodes.get(inode)
    }

    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// Resolves `name` in directory `parent`, including `.` and `..`.
    pub fn lookup(&self, caller: &Caller, parent: Inode, name: &[u8]) -> Result<Inode, Status> {
        let dir_node = self.get(parent).ok_or(Status::ENOENT)?;
        let dir = dir_node.dir().ok_or(Status::ENOTDIR)?;
        if !caller.may(dir_node, MAY_EXEC) {
            return Err(Status::EACCES);
        }
        match name {
            b"." => Ok(parent),
            b".." => Ok(dir_node.parents.first().copied().unwrap_or(ROOT)),
            _ => dir.entries.get(name).copied().ok_or(Status::ENOENT),
        }
    }

    /// The attribute record MooseFS sends for `inode`.
    pub fn attr(&self, inode: Inode) -> Option<Attr> {
        self.get(inode).map(Node::attr)
    }

    /// Entries of a directory the caller may read, in name order.
    pub fn read_dir(
        &self,
        caller: &Caller,
        inode: Inode,
    ) -> Result<impl Iterator<Item = (&[u8], Inode)>, Status> {
        let node = self.get(inode).ok_or(Status::ENOENT)?;
        let dir = node.dir().ok_or(Status::ENOTDIR)?;
        if !caller.may(node, access::MAY_READ) {
            return Err(Status::EACCES);
        }
        Ok(dir.entries.iter().map(|(name, inode)| (&name[..], *inode)))
    }

    /// Applies one log entry. An error leaves the tree untouched.
    pub fn apply(&mut self, entry: &Entry) -> Result<Outcome, Status> {
        self.apply_change(entry.ts, &entry.caller, &entry.mutation)
    }

    fn apply_change(
        &mut self,
        ts: u32,
        caller: &Caller,
        change: &Mutation,
    ) -> Result<Outcome, Status> {
        match change {
            Mutation::Create {
                parent,
                name,
                node,
                mode,
                umask,
                copy_sgid,
            } => self.create(ts, caller, *parent, name, node, *mode, *umask, *copy_sgid),
            Mutation::Link {
                inode,
                parent,
                name,
            } => self.link(ts, caller, *inode, *parent, name),
            Mutation::Unlink { parent, name } => self.remove(ts, caller, *parent, name, false),
            Mutation::Rmdir { parent, name } => self.remove(ts, caller, *parent, name, true),
            Mutation::Rename {
                src_parent,
                src_name,
                dst_parent,
                dst_name,
            } => self.rename(ts, caller, *src_parent, src_name, *dst_parent, dst_name),
            Mutation::SetAttr { inode, change } => self.set_attr(ts, caller, *inode, change),
            Mutation::SetLength { inode, length } => {
                self.set_length(ts, caller, *inode, *length, false, false)
            }
            Mutation::SetChunk {
                inode,
                index,
                expect,
                chunk,
            } => self.set_chunk(ts, *inode, *index, *expect, *chunk),
            Mutation::GrowLength { inode, length } => self.grow_length(*inode, *length),
            Mutation::SetSclass {
                target,
                class,
                exchanged,
                admin,
            } => self.set_sclass(ts, *target, *class, *exchanged, *admin),
            Mutation::SetTrashtime { target, seconds } => self.set_trashtime(ts, *target, *seconds),
            Mutation::SclassCreate { name, def } => self.sclass_create(name, def),
            Mutation::SclassChange { name, chgmask, def } => {
                self.sclass_change(name, *chgmask, def)
            }
            Mutation::SclassDelete { name } => self.sclass_delete(name),
            Mutation::SclassDuplicate { old, new } => self.sclass_duplicate(old, new),
            Mutation::SclassRename { old, new } => self.sclass_rename(old, new),
            Mutation::Acquire { inode, session } => self.acquire(*inode, *session),
            Mutation::Release { inode, session } => self.release(*inode, *session),
            Mutation::EmptyTrash => Ok(self.empty_trash(ts)),
            Mutation::Purge { inode } => self.purge(*inode),
            Mutation::Undel { inode } => self.undel(ts, *inode),
            Mutation::SetTrashPath { inode, path } => self.set_trash_path(*inode, path),
            Mutation::SetXattr {
                inode,
                name,
                value,
                mode,
                opened,
            } => self.set_xattr(ts, caller, *inode, name, value, *mode, *opened),
            Mutation::SetAcl { inode, kind, acl } => self.set_acl(ts, caller, *inode, *kind, acl),
            Mutation::SetEattr {
                inode,
                eattr,
                smode,
            } => self.set_eattr(ts, caller, *inode, *eattr, *smode),
            Mutation::SetQuota { inode, change } => self.set_quota(ts, *inode, change),
            Mutation::Truncate {
                inode,
                length,
                opened,
                keep_times,
            } => self.set_length(ts, caller, *inode, *length, *opened, *keep_times),
            Mutation::Snapshot {
                src,
                dst_parent,
                name,
                smode,
                umask,
            } => self.snapshot(ts, caller, *src, *dst_parent, name, *smode, *umask),
            Mutation::AmTime {
                inode,
                atime,
                mtime,
            } => self.set_amtime(*inode, *atime, *mtime),
            Mutation::CreateOpen {
                parent,
                name,
                mode,
                umask,
                session,
            } => {
                let file = NewNode::File;
                let made = self.create(ts, caller, *parent, name, &file, *mode, *umask, false)?;
                // The file exists now, so holding it open cannot fail.
                self.acquire(made.inode(), *session)?;
                Ok(made)
            }
            Mutation::OpenSession { previous, record } => Ok(Outcome::Session(
                self.sessions.open(*previous, (**record).clone()),
            )),
            Mutation::CloseSession { session } => match self.sessions.close(*session) {
                true => {
                    self.answers.forget(*session);
                    Ok(Outcome::Session(*session))
                }
                false => Err(Status::BADSESSIONID),
            },
            Mutation::ArchiveControl { inode, archived } => {
                self.archive_control(ts, caller, *inode, *archived)
            }
            Mutation::Repair {
                inode,
                erase,
                changed,
            } => self.repair(ts, caller, *inode, erase, *changed),
            Mutation::AppendSlice {
                inode,
                source,
                slice,
            } => self.append_slice(ts, caller, *inode, *source, *slice),
            Mutation::Remembered { key, change } => {
                let result = self.apply_change(ts, caller, change);
                self.answers.record(*key, result.clone());
                result
            }
        }
    }

    /// The answer already given to the request `key` names, when it was
    /// the session's last change under its message id.
    pub fn answer(&self, key: RequestKey) -> Option<Result<Outcome, Status>> {
        self.answers.find(key).cloned()
    }

    /// A session a mount registered, on this master or another.
    pub fn session(&self, id: u32) -> Option<&SessionRecord> {
        self.sessions.get(id)
    }

    /// Every registered session's id, in order.
    pub fn session_ids(&self) -> impl Iterator<Item = u32> + '_ {
        self.sessions.ids()
    }

    /// The files session `id` holds open.
    pub fn held_by(&self, id: u32) -> Vec<Inode> {
        self.open
            .iter()
            .filter_map(|(session, inode)| (session == id).then_some(inode))
            .collect()
    }

    /// A directory the caller may add entries to or remove entries from.
    fn writable_dir(&self, caller: &Caller, inode: Inode) -> Result<&Node, Status> {
        let node = self.get(inode).ok_or(Status::ENOENT)?;
        if !node.is_dir() {
            return Err(Status::ENOTDIR);
        }
        if node.eattr & EATTR_IMMUTABLE != 0 {
            return Err(Status::EPERM);
        }
        if !caller.may(node, MAY_WRITE | MAY_EXEC) {
            return Err(Status::EACCES);
        }
        Ok(node)
    }

    fn node(&self, inode: Inode) -> &Node {
        self.get(inode)
            .unwrap_or_else(|| panic!("inode {inode} vanished while applying an entry"))
    }

    fn node_mut(&mut self, inode: Inode) -> &mut Node {
        self.nodes
            .get_mut(inode)
            .unwrap_or_else(|| panic!("inode {inode} vanished while applying an entry"))
    }

    fn dir_mut(&mut self, inode: Inode) -> &mut Directory {
        self.node_mut(inode)
            .dir_mut()
            .unwrap_or_else(|| panic!("inode {inode} is no longer a directory"))
    }

    /// Adds the edge `parent/name -> child` and stamps the parent, which
    /// is no longer as a snapshot made it.
    fn attach(&mut self, ts: u32, parent: Inode, name: &[u8], child: Inode) {
        let child_is_dir = self.node_mut(child).is_dir();
        self.node_mut(child).parents.push(parent);
        let dir = self.dir_mut(parent);
        dir.entries.insert(name.into(), child);
        if child_is_dir {
            dir.subdirs += 1;
        }
        let parent_node = self.node_mut(parent);
        parent_node.mtime = ts;
        parent_node.ctime = ts;
        parent_node.eattr &= !EATTR_SNAPSHOT;
    }

    /// Removes the edge `parent/name` and stamps both ends (the parent is
    /// no longer as a snapshot made it); returns the child.
    fn detach(&mut self, ts: u32, parent: Inode, name: &[u8]) -> Inode {
        let dir = self.dir_mut(parent);
        let child = dir
            .entries
            .remove(name)
            .unwrap_or_else(|| panic!("entry vanished from directory {parent}"));
        let child_node = self.node_mut(child);
        let child_is_dir = child_node.is_dir();
        child_node.parents.remove_one(&parent);
        child_node.ctime = ts;
        let parent_node = self.node_mut(parent);
        parent_node.mtime = ts;
        parent_node.ctime = ts;
        parent_node.eattr &= !EATTR_SNAPSHOT;
        if child_is_dir {
            self.dir_mut(parent).subdirs -= 1;
        }
        child
    }
}

/// MooseFS's name rule: 1 to 255 bytes, no NUL or slash, not `.` or `..`.
fn check_name(name: &[u8]) -> Result<(), Status> {
    let valid = !name.is_empty()
        && name.len() <= NAME_MAX
        && name != b"."
        && name != b".."
        && !name.iter().any(|b| *b == 0 || *b == b'/');
    if valid {
        Ok(())
    } else {
        Err(Status::EINVAL)
    }
}

#[cfg(test)]
mod attr_tests;
#[cfg(test)]
mod snapshot_remove_tests;
#[cfg(test)]
mod snapshot_tests;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tool_tests;
#[cfg(test)]
mod trash_tests;
