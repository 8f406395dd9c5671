//! The log entries of the namespace state machine.
//!
//! An entry carries everything that is not a function of the state: the
//! time and the caller. New inode numbers are not in the entry because the
//! state allocates them itself, deterministically, in log order (as
//! MooseFS's own changelog replay does).

use serde::{Deserialize, Serialize};

use crate::chunks::ChunkId;

use super::access::Caller;
use super::acl::{Acl, AclKind};
use super::answers::RequestKey;
use super::append::Slice;
use super::node::{Inode, NameBytes};
use super::policy::PolicyTarget;
use super::quota::QuotaChange;
use super::sclass::ClassDef;
use super::sessions::SessionRecord;

/// One replicated change, as the leader decided it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// Seconds since the epoch on the leader when it accepted the request.
    pub ts: u32,
    pub caller: Caller,
    pub mutation: Mutation,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Mutation {
    /// mknod, mkdir, create and symlink.
    Create {
        parent: Inode,
        name: NameBytes,
        node: NewNode,
        mode: u16,
        umask: u16,
        /// mkdir in a setgid directory makes a setgid directory.
        copy_sgid: bool,
    },
    Link {
        inode: Inode,
        parent: Inode,
        name: NameBytes,
    },
    Unlink {
        parent: Inode,
        name: NameBytes,
    },
    Rmdir {
        parent: Inode,
        name: NameBytes,
    },
    Rename {
        src_parent: Inode,
        src_name: NameBytes,
        dst_parent: Inode,
        dst_name: NameBytes,
    },
    SetAttr {
        inode: Inode,
        change: AttrChange,
    },
    /// `O_TRUNC`: the length, checked as by a truncation without flags.
    SetLength {
        inode: Inode,
        length: u64,
    },
    /// A write lease was granted for slot `index` of a file: the slot now
    /// holds `chunk` (a new one, or `expect` itself after a version step).
    /// A new chunk in place of `expect` (the private duplicate of a chunk
    /// shared with a snapshot) releases the file's reference to `expect`.
    /// Refused with `EAGAIN` when the slot no longer holds `expect`, so two
    /// writers racing for one hole cannot both fill it. As MooseFS's
    /// `WRITE` changelog line, a slot past the last chunk extends the
    /// length to the slot's start.
    SetChunk {
        inode: Inode,
        index: u32,
        expect: u64,
        chunk: u64,
    },
    /// WRITE_CHUNK_END: the file is at least `length` bytes long now. Never
    /// shrinks a file (that is `SetLength`'s job) and, as MooseFS does for
    /// clients since 3.0.74, leaves the times alone.
    GrowLength {
        inode: Inode,
        length: u64,
    },
    /// SETSCLASS (`mfssetgoal`, `mfssetsclass`): `class` for the node (and
    /// its subtree when recursive); an exchange replaces only `exchanged`.
    /// `admin` is whether the session may use admin-only classes.
    SetSclass {
        target: PolicyTarget,
        class: u8,
        exchanged: u8,
        admin: bool,
    },
    /// SETTRASHTIME, in seconds as requested (kept in whole hours).
    SetTrashtime {
        target: PolicyTarget,
        seconds: u32,
    },
    SclassCreate {
        name: NameBytes,
        def: ClassDef,
    },
    /// Changes the parts of a class `chgmask` (`SCLASS_CHG_*`) names.
    SclassChange {
        name: NameBytes,
        chgmask: u16,
        def: ClassDef,
    },
    SclassDelete {
        name: NameBytes,
    },
    SclassDuplicate {
        old: NameBytes,
        new: NameBytes,
    },
    SclassRename {
        old: NameBytes,
        new: NameBytes,
    },
    /// Session `session` opened `inode`: unlinked, it becomes sustained.
    Acquire {
        inode: Inode,
        session: u32,
    },
    /// Session `session` no longer holds `inode` open.
    Release {
        inode: Inode,
        session: u32,
    },
    /// Frees (or sustains) the trash entries expired at the entry's time.
    EmptyTrash,
    /// Removes a trash entry now (meta mount).
    Purge {
        inode: Inode,
    },
    /// Links a trash entry back at its path (meta mount).
    Undel {
        inode: Inode,
    },
    /// Changes the path a trash entry will be undeleted to.
    SetTrashPath {
        inode: Inode,
        path: Box<[u8]>,
    },
    /// SETXATTR: `mode` is `MFS_XATTR_*` (create or replace, create only,
    /// replace only, remove); `opened` waives the write permission check.
    SetXattr {
        inode: Inode,
        name: NameBytes,
        value: Box<[u8]>,
        mode: u8,
        opened: bool,
    },
    /// SETFACL of the access or default ACL.
    SetAcl {
        inode: Inode,
        kind: AclKind,
        acl: Acl,
    },
    /// SETEATTR: `smode` is `SMODE_*`, recursive with bit 2.
    SetEattr {
        inode: Inode,
        eattr: u8,
        smode: u8,
    },
    /// QUOTACONTROL with limits to set or clear.
    SetQuota {
        inode: Inode,
        change: QuotaChange,
    },
    /// TRUNCATE, once the chunk the new end falls inside of has been cut
    /// (see [`super::Namespace::plan_truncate`]). `opened`
    /// (`TRUNCATE_FLAG_OPENED`: ftruncate on an open file) waives the
    /// write permission check; `keep_times` (`TRUNCATE_FLAG_TIMEFIX`)
    /// leaves the times alone when the length does not change.
    Truncate {
        inode: Inode,
        length: u64,
        opened: bool,
        keep_times: bool,
    },
    /// SNAPSHOT (`mfsmakesnapshot`): `src` copied to `dst_parent/name`,
    /// sharing its chunks; `smode` is `SNAPSHOT_MODE_*`, `umask` the
    /// request's together with the export's.
    Snapshot {
        src: Inode,
        dst_parent: Inode,
        name: NameBytes,
        smode: u8,
        umask: u16,
    },
    /// AMTIME_INODES: the atime and mtime a mount keeps for `inode`.
    AmTime {
        inode: Inode,
        atime: u32,
        mtime: u32,
    },
    /// CREATE: a regular file made as `Create` makes it and held open by
    /// `session` at once, as `Acquire` would. One entry, so one commit,
    /// where a `Create` and then an `Acquire` waited for two.
    CreateOpen {
        parent: Inode,
        name: NameBytes,
        mode: u16,
        umask: u16,
        session: u32,
    },
    /// A mount registered: it takes over session `previous` when that is
    /// known, otherwise it gets a new id ([`Outcome::Session`]).
    OpenSession {
        previous: Option<u32>,
        record: Box<SessionRecord>,
    },
    /// A mount closed its session.
    CloseSession {
        session: u32,
    },
    /// ARCHCTL SET (`archived`) or CLR on the files at or below `inode`:
    /// the chunk table flags their chunks ([`Outcome::Archive`]).
    ArchiveControl {
        inode: Inode,
        archived: bool,
    },
    /// REPAIR (`mfsfilerepair`) after the chunk service repaired what it
    /// could: the slots `(index, chunk)` of chunks nothing is left of are
    /// emptied; the times change when anything did.
    Repair {
        inode: Inode,
        erase: Vec<(u32, ChunkId)>,
        changed: bool,
    },
    /// APPEND_SLICE (`mfsappendchunks`): `slice` of `source`'s chunks
    /// appended to `inode` by reference.
    AppendSlice {
        inode: Inode,
        source: Inode,
        slice: Slice,
    },
    /// `change`, asked for by the mount request `key`: its answer is kept
    /// for a resend of that request ([`super::answers`]).
    Remembered {
        key: RequestKey,
        change: Box<Mutation>,
    },
}

impl Mutation {
    /// Whether the mutation changes the storage class table, which the
    /// chunk service places copies by.
    pub fn changes_classes(&self) -> bool {
        match self {
            Mutation::Remembered { change, .. } => change.changes_classes(),
            other => matches!(
                other,
                Mutation::SclassCreate { .. }
                    | Mutation::SclassChange { .. }
                    | Mutation::SclassDelete { .. }
                    | Mutation::SclassDuplicate { .. }
                    | Mutation::SclassRename { .. }
            ),
        }
    }
}

#[cfg(test)]
impl Mutation {
    /// The create the unit tests make their trees with: mode 0755, no
    /// umask, no setgid inheritance.
    pub(crate) fn plain_create(parent: Inode, name: &str, node: NewNode) -> Mutation {
        Mutation::Create {
            parent,
            name: name.as_bytes().into(),
            node,
            mode: 0o755,
            umask: 0,
            copy_sgid: false,
        }
    }
}

/// What kind of node a `Create` makes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum NewNode {
    File,
    Directory,
    Symlink(Box<[u8]>),
    Fifo,
    Socket,
    BlockDev(u32),
    CharDev(u32),
}

/// The fields of a setattr request; `None` leaves a field alone.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttrChange {
    pub mode: Option<u16>,
    pub uid: Option<u32>,
    pub gid: Option<u32>,
    pub atime: Option<TimeChange>,
    pub mtime: Option<TimeChange>,
    pub winattr: Option<u8>,
    /// How a chown clears setuid/setgid, chosen by the client's platform.
    pub sugid_clear: SugidClear,
}

/// The `SUGID_CLEAR_MODE_*` policies of MooseFS.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum SugidClear {
    Never,
    Always,
    /// Any change by a non-root user clears both bits.
    Osx,
    /// A non-root user changing the group clears both bits.
    Bsd,
    /// Files only: both bits if group-executable, else only setuid.
    #[default]
    Ext,
    /// As `Ext`, and non-root users also clear them on directories.
    Xfs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TimeChange {
    /// The entry's own timestamp (`touch` without a time).
    Now,
    At(u32),
}

/// One file's reference to a chunk, as the chunk table counts it: the
/// chunk and the storage class of the file that referred to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChunkRef {
    pub chunk: u64,
    pub class: u8,
}

/// Nodes a recursive SET request changed, left alone, or was refused on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    pub changed: u32,
    pub not_changed: u32,
    pub not_permitted: u32,
}

/// A file's reference to `chunk` moved from one storage class to another.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClassChange {
    pub chunk: u64,
    pub from: u8,
    pub to: u8,
}

/// What a successfully applied entry produced.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Outcome {
    /// The node created, linked, renamed or changed.
    Node(Inode),
    /// The node whose link was removed; `freed` when it is gone for good,
    /// and then `released` lists the chunks its data referred to.
    Removed {
        inode: Inode,
        freed: bool,
        released: Vec<ChunkRef>,
    },
    /// A change to `inode` (a truncation, a rename over a file) that ended
    /// file references to chunks: the chunk table must drop them.
    Released {
        inode: Inode,
        released: Vec<ChunkRef>,
    },
    /// A snapshot made `inode`: its files add references to the chunks
    /// in `added`; files it replaced released theirs.
    Snapshot {
        inode: Inode,
        added: Vec<ChunkRef>,
        released: Vec<ChunkRef>,
    },
    /// A SET request's counts, and the chunk references whose class it
    /// moved.
    Changed {
        inode: Inode,
        counts: Counts,
        classes: Vec<ClassChange>,
    },
    /// The session a mount registered or closed.
    Session(u32),
    /// The chunks of the files an ARCHCTL change may touch, to be flagged
    /// in the chunk table, and how many files the caller may not change.
    Archive {
        inode: Inode,
        chunks: Vec<ChunkId>,
        not_permitted: u32,
    },
    /// APPEND_SLICE made `inode` refer to the chunks in `added`; the
    /// slots it dropped past the old end released theirs.
    Appended {
        inode: Inode,
        added: Vec<ChunkRef>,
        released: Vec<ChunkRef>,
    },
}

impl Outcome {
    /// The node the change was about.
    pub fn inode(&self) -> Inode {
        match self {
            Outcome::Node(inode)
            | Outcome::Removed { inode, .. }
            | Outcome::Released { inode, .. }
            | Outcome::Snapshot { inode, .. }
            | Outcome::Changed { inode, .. }
            | Outcome::Archive { inode, .. }
            | Outcome::Appended { inode, .. } => *inode,
            // A session change is about no node.
            Outcome::Session(_) => 0,
        }
    }

    /// Chunk references the change ended.
    pub fn released(&self) -> &[ChunkRef] {
        match self {
            Outcome::Node(_)
            | Outcome::Changed { .. }
            | Outcome::Session(_)
            | Outcome::Archive { .. } => &[],
            Outcome::Removed { released, .. }
            | Outcome::Released { released, .. }
            | Outcome::Snapshot { released, .. }
            | Outcome::Appended { released, .. } => released,
        }
    }

    /// Chunk references the change started (a snapshot's shared chunks).
    pub fn added(&self) -> &[ChunkRef] {
        match self {
            Outcome::Snapshot { added, .. } | Outcome::Appended { added, .. } => added,
            _ => &[],
        }
    }

    /// Chunk references whose storage class the change moved.
    pub fn class_changes(&self) -> &[ClassChange] {
        match self {
            Outcome::Changed { classes, .. } => classes,
            _ => &[],
        }
    }

    /// `Node`, or `Released` when references were dropped.
    pub(super) fn with_released(inode: Inode, released: Vec<ChunkRef>) -> Outcome {
        if released.is_empty() {
            Outcome::Node(inode)
        } else {
            Outcome::Released { inode, released }
        }
    }
}
