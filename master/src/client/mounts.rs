//! Who may mount and who is mounted, as `mfscli` asks: SESSION_LIST
//! (`-SMS`, `-SMO`), LIST_OPEN_FILES (`-SOF`), LIST_ACQUIRED_LOCKS
//! (`-SAL`), EXPORTS_INFO (`-SEX`) and MLOG_LIST (`-SMB`). Answered in
//! any registration state as MooseFS does.

use bytes::BytesMut;
use mooseng_wire::cltoma_info::{ExportsInfo, ListAcquiredLocks, ListOpenFiles, SessionList};
use mooseng_wire::codec::{Bytes32, Rest, Tail, Wire};
use mooseng_wire::info_lists::{InodeLock, OpenFile};
use mooseng_wire::info_sessions::{
    ExportEntry, ExportLimits, ExportsTable, Session as Listed, SessionConnection, SessionTable,
    EXPORTS_VMODE_CURRENT, SESSION_VMODE_CURRENT,
};
use mooseng_wire::matocl_info;
use mooseng_wire::variants::OrRaw;

use super::reply::reply;
use super::{Action, Master};
use crate::exports::ExportRule;
use crate::namespace::Namespace;
use crate::session::{Session, OP_KINDS};

/// Per-session operation counters listed (MooseFS's `SESSION_STATS`).
const SESSION_STATS: u16 = OP_KINDS as u16;

/// `expire` of a session with a connection: it does not expire.
const NEVER_EXPIRES: u32 = u32::MAX;

/// The path MooseFS lists for the MFSMETA export and meta sessions.
const META_PATH: &[u8] = b".";

/// Every session (connected ones only below vmode 2), with the fields
/// the request's vmode asks for.
pub(super) async fn session_list(master: &Master, m: SessionList) -> Action {
    let vmode = m.vmode.unwrap_or(0).min(SESSION_VMODE_CURRENT);
    let ns = master.store.read().await;
    let open: Vec<u32> = ns.open_files().map(|(session, _)| session).collect();
    let sessions = master
        .sessions
        .all()
        .iter()
        .filter(|s| vmode >= 2 || s.connections() > 0)
        .map(|s| {
            let openfiles = open.iter().filter(|id| **id == s.id).count() as u32;
            listed(&ns, s, vmode, openfiles)
        })
        .collect();
    reply(matocl_info::SessionList {
        sessions: OrRaw::Typed(SessionTable {
            stats: SESSION_STATS,
            sessions,
        }),
    })
}

fn listed(ns: &Namespace, s: &Session, vmode: u8, openfiles: u32) -> Listed {
    let grant = &s.grant;
    let path = if grant.meta {
        META_PATH.to_vec()
    } else {
        ns.dir_path(grant.root)
    };
    let (current, last_hour) = s.ops.counts();
    Listed {
        sessionid: s.id,
        ip: s.peer,
        version: s.version,
        connection: (vmode >= 2).then(|| SessionConnection {
            openfiles,
            nsocks: s.connections().min(u32::from(u8::MAX)) as u8,
            // A session without a connection stays until it closes.
            expire: if s.connections() > 0 {
                NEVER_EXPIRES
            } else {
                0
            },
        }),
        info: Bytes32::new(s.info.clone()),
        path: Bytes32::new(path),
        sesflags: grant.sesflags,
        umask: (vmode >= 3).then_some(grant.umask),
        rootuid: grant.root_uid,
        rootgid: grant.root_gid,
        mapalluid: grant.mapall_uid,
        mapallgid: grant.mapall_gid,
        limits: (vmode >= 1).then_some(ExportLimits {
            mingoal: grant.min_goal,
            maxgoal: grant.max_goal,
            mintrashtime: grant.min_trashtime,
            maxtrashtime: grant.max_trashtime,
        }),
        disables: (vmode >= 4).then_some(grant.disables),
        current_stats: current.to_vec(),
        last_hour_stats: last_hour.to_vec(),
    }
}

/// Files held open: `(session, inode)` pairs for session 0, else the
/// inodes of that session; after the msgid when the request had one.
pub(super) async fn list_open_files(master: &Master, m: ListOpenFiles) -> Action {
    let ns = master.store.read().await;
    let open = ns.open_files();
    let files = match (m.msgid.0, m.sessionid) {
        (None, 0) => OrRaw::Typed(Rest(
            open.map(|(sessionid, inode)| OpenFile { sessionid, inode })
                .collect(),
        )),
        (msgid, wanted) => {
            let mut bytes = Vec::new();
            if let Some(msgid) = msgid {
                bytes.extend(msgid.to_be_bytes());
            }
            for (sessionid, inode) in open.filter(|(s, _)| wanted == 0 || *s == wanted) {
                if wanted == 0 {
                    bytes.extend(sessionid.to_be_bytes());
                }
                bytes.extend(inode.to_be_bytes());
            }
            OrRaw::Raw(Tail(bytes.into()))
        }
    };
    reply(matocl_info::ListOpenFiles { files })
}

/// Locks held: with their inodes for inode 0, else those of that inode;
/// after the msgid when the request had one.
pub(super) fn list_acquired_locks(master: &Master, m: ListAcquiredLocks) -> Action {
    let wanted = (m.inode != 0).then_some(m.inode);
    let held = master.sessions.locks.acquired(wanted);
    let locks = match (m.msgid.0, wanted) {
        (None, None) => OrRaw::Typed(Rest(
            held.into_iter()
                .map(|(inode, lock)| InodeLock { inode, lock })
                .collect(),
        )),
        (msgid, _) => {
            let mut bytes = BytesMut::new();
            if let Some(msgid) = msgid {
                bytes.extend_from_slice(&msgid.to_be_bytes());
            }
            for (inode, lock) in held {
                if wanted.is_none() {
                    bytes.extend_from_slice(&inode.to_be_bytes());
                }
                lock.encode(&mut bytes);
            }
            OrRaw::Raw(Tail(bytes.freeze()))
        }
    };
    reply(matocl_info::ListAcquiredLocks { locks })
}

/// The exports rules in file order, with the fields the vmode asks for.
pub(super) fn exports_info(master: &Master, m: ExportsInfo) -> Action {
    let vmode = m.vmode.unwrap_or(0).min(EXPORTS_VMODE_CURRENT);
    let entries = master
        .exports
        .rules()
        .iter()
        .map(|rule| export_entry(rule, vmode))
        .collect();
    reply(matocl_info::ExportsInfo {
        exports: OrRaw::Typed(ExportsTable(entries)),
    })
}

/// `extraflags` bits of an exports line.
const EXTRA_ALLDIRS: u8 = 1;
const EXTRA_PASSWORD: u8 = 2;

fn export_entry(rule: &ExportRule, vmode: u8) -> ExportEntry {
    let path = if rule.meta {
        META_PATH.to_vec()
    } else {
        format!("/{}", rule.path).into_bytes()
    };
    let mut extraflags = 0;
    if rule.alldirs {
        extraflags |= EXTRA_ALLDIRS;
    }
    if rule.password.is_some() {
        extraflags |= EXTRA_PASSWORD;
    }
    ExportEntry {
        fromip: rule.addresses.from,
        toip: rule.addresses.to,
        path: Bytes32::new(path),
        minversion: rule.min_version,
        extraflags,
        sesflags: rule.sesflags,
        umask: (vmode >= 2).then_some(rule.umask),
        rootuid: rule.root_uid,
        rootgid: rule.root_gid,
        mapalluid: rule.mapall_uid,
        mapallgid: rule.mapall_gid,
        limits: (vmode >= 1).then_some(ExportLimits {
            mingoal: rule.min_goal,
            maxgoal: rule.max_goal,
            mintrashtime: rule.min_trashtime,
            maxtrashtime: rule.max_trashtime,
        }),
        disables: (vmode >= 3).then_some(rule.disables),
    }
}

/// No metalogger connects to this master: the list is empty.
pub(super) fn mlog_list() -> Action {
    reply(matocl_info::MlogList {
        metaloggers: Rest(Vec::new()),
    })
}
