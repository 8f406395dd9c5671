//! Client sessions: what a mount was granted at register time, the inodes
//! it holds open, and the uid/gid mapping applied to its requests.
//!
//! A session outlives its TCP connection, so a mount that reconnects (or a
//! tool borrowing the mount's session) finds it again by id.

mod data_cache;
mod notices;
mod op_counters;

use std::collections::{BTreeSet, HashMap};
use std::net::Ipv4Addr;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use mooseng_wire::Version;
use serde::{Deserialize, Serialize};

use crate::exports::{sesflag, ExportRule};
use crate::locks::{LateReplies, Locks};
use crate::namespace::{Caller, Inode};

pub use data_cache::DataCaches;
pub use op_counters::{Counts, Op, OpCounters, OP_KINDS};

/// Inode number a mount uses for its own root, whatever it maps to.
pub const CLIENT_ROOT: Inode = 1;

/// The rights one session was granted, fixed at register time and kept
/// in the metadata with the session ([`crate::namespace::SessionRecord`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    /// Internal inode of the exported directory this session sees as `/`.
    pub root: Inode,
    /// An MFSMETA session (trash and sustained files), not a file system.
    pub meta: bool,
    pub sesflags: u8,
    pub umask: u16,
    pub root_uid: u32,
    pub root_gid: u32,
    pub mapall_uid: u32,
    pub mapall_gid: u32,
    pub min_goal: u8,
    pub max_goal: u8,
    pub min_trashtime: u32,
    pub max_trashtime: u32,
    pub disables: u32,
}

impl Grant {
    /// The grant an exports rule gives a mount of `root`.
    pub fn from_rule(rule: &ExportRule, root: Inode) -> Self {
        Grant {
            root,
            meta: rule.meta,
            sesflags: rule.sesflags,
            umask: rule.umask,
            root_uid: rule.root_uid,
            root_gid: rule.root_gid,
            mapall_uid: rule.mapall_uid,
            mapall_gid: rule.mapall_gid,
            min_goal: rule.min_goal,
            max_goal: rule.max_goal,
            min_trashtime: rule.min_trashtime,
            max_trashtime: rule.max_trashtime,
            disables: rule.disables,
        }
    }

    pub fn read_only(&self) -> bool {
        self.sesflags & sesflag::READONLY != 0
    }

    pub fn mapall(&self) -> bool {
        self.sesflags & sesflag::MAPALL != 0
    }

    /// True when the export's `disable=` list names operation `bit`
    /// (a `DISABLE_BIT_*` index, see [`crate::exports::DISABLE_NAMES`]).
    pub fn disabled(&self, bit: u32) -> bool {
        self.disables & (1 << bit) != 0
    }
}

/// Who a request runs as: the caller the namespace sees after mapping, and
/// the ids the client sent, which attribute records need to undo `mapall`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub caller: Caller,
    pub client_uid: u32,
    pub client_gid: u32,
}

#[derive(Debug)]
pub struct Session {
    pub id: u32,
    pub grant: Grant,
    pub peer: Ipv4Addr,
    /// The mount's MooseFS version, as `mfscli -SMS` lists it.
    pub version: Version,
    /// What the mount said about itself (its mount point).
    pub info: Vec<u8>,
    /// What the mount asked, per hour, for `mfscli -SMO`.
    pub ops: OpCounters,
    open_files: Mutex<BTreeSet<Inode>>,
    connections: AtomicU32,
    /// Where notices about files it holds open go: the connection the
    /// mount attached last.
    notices: Mutex<Option<LateReplies>>,
}

/// A mount connection's hold on its session, counted in
/// [`Session::connections`] for as long as the connection keeps it.
#[derive(Debug)]
pub struct Attachment(Arc<Session>);

impl Attachment {
    pub fn new(session: Arc<Session>) -> Self {
        session.connections.fetch_add(1, Ordering::Relaxed);
        Attachment(session)
    }

    pub fn session(&self) -> &Arc<Session> {
        &self.0
    }
}

impl Clone for Attachment {
    fn clone(&self) -> Self {
        Attachment::new(Arc::clone(&self.0))
    }
}

impl Drop for Attachment {
    fn drop(&mut self) {
        self.0.connections.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Session {
    /// MooseFS's mapping: uid 0 becomes `maproot`, everyone else becomes
    /// `mapall` when the export has one; only the first gid is replaced.
    pub fn identity(&self, client_uid: u32, gids: &[u32]) -> Identity {
        let client_gid = gids.first().copied().unwrap_or(u32::MAX);
        let mut mapped = gids.to_vec();
        if mapped.is_empty() {
            mapped.push(client_gid);
        }
        let grant = &self.grant;
        let uid = if client_uid == 0 {
            mapped[0] = grant.root_gid;
            grant.root_uid
        } else if grant.mapall() {
            mapped[0] = grant.mapall_gid;
            grant.mapall_uid
        } else {
            client_uid
        };
        Identity {
            caller: Caller { uid, gids: mapped },
            client_uid,
            client_gid,
        }
    }

    /// The internal inode a client inode number stands for.
    pub fn to_internal(&self, inode: Inode) -> Inode {
        if inode == CLIENT_ROOT {
            self.grant.root
        } else {
            inode
        }
    }

    /// The inode number the client knows an internal inode by.
    pub fn to_client(&self, inode: Inode) -> Inode {
        if inode == self.grant.root {
            CLIENT_ROOT
        } else {
            inode
        }
    }

    /// Adds an open file; false when the session held it already.
    pub fn open(&self, inode: Inode) -> bool {
        self.open_files().insert(inode)
    }

    /// Replaces the open set with what the mount reports holding open;
    /// returns the inodes added and those dropped.
    pub fn replace_open(&self, inodes: BTreeSet<Inode>) -> (Vec<Inode>, Vec<Inode>) {
        let mut open = self.open_files();
        let added = inodes.difference(&open).copied().collect();
        let dropped = open.difference(&inodes).copied().collect();
        *open = inodes;
        (added, dropped)
    }

    pub fn open_inodes(&self) -> Vec<Inode> {
        self.open_files().iter().copied().collect()
    }

    /// Whether the session holds `inode` open.
    pub fn holds(&self, inode: Inode) -> bool {
        self.open_files().contains(&inode)
    }

    /// Mount connections attached to this session now (`nsocks`).
    pub fn connections(&self) -> u32 {
        self.connections.load(Ordering::Relaxed)
    }

    fn open_files(&self) -> MutexGuard<'_, BTreeSet<Inode>> {
        self.open_files
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

/// Every session the master knows, by id.
#[derive(Debug, Default)]
pub struct Sessions {
    inner: Mutex<Registry>,
    /// flock and POSIX locks the sessions hold or wait for.
    pub locks: Locks,
    /// Whose cached file data is still good.
    pub data_caches: DataCaches,
}

#[derive(Debug, Default)]
struct Registry {
    by_id: HashMap<u32, Arc<Session>>,
}

impl Sessions {
    /// Serves session `id`, which the metadata gave (a new one, or one
    /// taken over: its open files and counters carry over when this
    /// master served it already).
    pub fn open(
        &self,
        id: u32,
        grant: Grant,
        peer: Ipv4Addr,
        version: Version,
        info: Vec<u8>,
    ) -> Arc<Session> {
        let mut registry = self.registry();
        let previous = registry.by_id.get(&id);
        let open_files = previous.map(|old| old.open_inodes()).unwrap_or_default();
        let ops = previous.map_or_else(OpCounters::default, |old| old.ops.carried_over());
        let session = Arc::new(Session {
            id,
            grant,
            peer,
            version,
            info,
            ops,
            open_files: Mutex::new(open_files.into_iter().collect()),
            connections: AtomicU32::new(0),
            notices: Mutex::new(None),
        });
        registry.by_id.insert(id, Arc::clone(&session));
        session
    }

    pub fn find(&self, id: u32) -> Option<Arc<Session>> {
        self.registry().by_id.get(&id).cloned()
    }

    /// Ends a session; its locks go with it.
    pub fn close(&self, id: u32) -> bool {
        self.locks.session_closed(id);
        self.registry().by_id.remove(&id).is_some()
    }

    /// Every session, by id.
    pub fn all(&self) -> Vec<Arc<Session>> {
        let mut sessions: Vec<_> = self.registry().by_id.values().cloned().collect();
        sessions.sort_by_key(|s| s.id);
        sessions
    }

    /// How many sessions are open.
    pub fn count(&self) -> usize {
        self.registry().by_id.len()
    }

    fn registry(&self) -> MutexGuard<'_, Registry> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
