//! CLTOMA_FUSE_REGISTER: password challenge, new sessions (file system and
//! meta), reconnects, tools borrowing a session, and closing one.

use std::collections::BTreeSet;
use std::sync::Arc;

use mooseng_wire::cltoma::{NewSession, RegisterRequest};
use mooseng_wire::matocl::{FuseRegisterReply, MetaSession, RegisterReply, Session as Granted};
use mooseng_wire::message::Message;
use mooseng_wire::{Status, Version};

use super::{Action, Connection, Master, Role, SeenIds, MASTER_VERSION};
use crate::exports::{sesflag, MountRequest};
use crate::namespace::{Caller, Inode, Mutation, Outcome, SessionRecord, ROOT};
use crate::session::{Attachment, Grant, Session};

/// First client version that expects `version:32 status:8` after RECONNECT.
const RECONNECT_WITH_VERSION: Version = Version::new(3, 0, 95);

pub(super) async fn handle(
    master: &Master,
    conn: &mut Connection,
    request: RegisterRequest,
) -> Action {
    let registered = !matches!(conn.role, Role::Unregistered);
    let closing = matches!(request, RegisterRequest::CloseSession { .. });
    if registered != closing {
        return Action::Close(format!(
            "register request {request:?} in the wrong state (registered: {registered})"
        ));
    }
    if let RegisterRequest::NewSession(_) | RegisterRequest::Reconnect { .. } = request {
        // A follower sends mounts to the leader, as a MooseFS follower
        // does; mfsmount retries on 0.0.0.0 (an election).
        if let Some(leader) = master.store.redirect() {
            return answer(RegisterReply::Redirect(leader));
        }
    }
    match request {
        RegisterRequest::GetRandom => {
            let mut random = [0u8; 32];
            if getrandom::getrandom(&mut random).is_err() {
                return Action::Close("no randomness for the password challenge".into());
            }
            conn.random = Some(random);
            answer(RegisterReply::Random(random))
        }
        RegisterRequest::NewSession(request) => new_session(master, conn, request).await,
        RegisterRequest::Reconnect {
            sessionid,
            version,
            metaid,
        } => {
            conn.version = version;
            let status = reconnect(master, conn, sessionid, metaid, false).await;
            if version >= RECONNECT_WITH_VERSION {
                answer(RegisterReply::Reconnected {
                    version: MASTER_VERSION,
                    status,
                })
            } else {
                answer(RegisterReply::Status(status))
            }
        }
        RegisterRequest::Tools {
            sessionid,
            version,
            metaid,
        } => {
            conn.version = version;
            let status = reconnect(master, conn, sessionid, metaid, true).await;
            answer(RegisterReply::Status(status))
        }
        RegisterRequest::CloseSession { sessionid, metaid } => {
            let status = if metaid.is_some_and(|id| id != master.metaid) {
                Status::BADSESSIONID
            } else {
                end_session(master, sessionid, "closed").await;
                Status::OK
            };
            let reply = FuseRegisterReply {
                reply: RegisterReply::Status(status),
            };
            Action::ReplyAndClose(reply.to_frame())
        }
        RegisterRequest::LegacyMount { .. } | RegisterRequest::LegacyTools => {
            Action::Close("register blob of a client older than 1.6".into())
        }
    }
}

fn answer(reply: RegisterReply) -> Action {
    Action::Reply(FuseRegisterReply { reply }.to_frame())
}

async fn new_session(master: &Master, conn: &mut Connection, request: NewSession) -> Action {
    conn.version = request.version;
    let path = request
        .path
        .as_ref()
        .map(|p| String::from_utf8_lossy(trim_nul(p.as_bytes())).into_owned());
    let random = conn.random.unwrap_or([0; 32]);
    let mount = MountRequest {
        ip: conn.peer,
        version: request.version,
        path: path.as_deref(),
        challenge: request.passcode.as_ref().map(|answer| (&random, answer)),
    };
    let rule = match master.exports.authorize(&mount) {
        Ok(rule) => rule.clone(),
        Err(status) => {
            tracing::info!(peer = %conn.peer, ?path, %status, "mount refused by exports");
            return answer(RegisterReply::Status(status));
        }
    };
    let root = match &path {
        Some(path) => match master.store.read().await.resolve_dir(path) {
            Ok(root) => root,
            Err(status) => return answer(RegisterReply::Status(status)),
        },
        None => ROOT,
    };
    let previous = request
        .previous
        .filter(|p| p.metaid.is_none_or(|id| id == master.metaid))
        .map(|p| p.sessionid);
    let grant = Grant::from_rule(&rule, root);
    let info = trim_nul(request.info.as_bytes()).to_vec();
    let record = SessionRecord {
        grant: grant.clone(),
        peer: conn.peer,
        version: request.version.0,
        info: info.clone().into_boxed_slice(),
    };
    let register = Mutation::OpenSession {
        previous,
        record: Box::new(record),
    };
    let id = match master.store.change(&Caller::root(), register).await {
        Ok(Outcome::Session(id)) => id,
        Ok(_) => return answer(RegisterReply::Status(Status::IO)),
        Err(status) => return answer(RegisterReply::Status(status)),
    };
    let session = master
        .sessions
        .open(id, grant, conn.peer, request.version, info);
    tracing::info!(
        sessionid = session.id,
        peer = %conn.peer,
        path = path.as_deref().unwrap_or("(meta)"),
        root,
        "session registered"
    );
    let reply = if session.grant.meta {
        RegisterReply::MetaSession(meta_grant(master, &session, request.version))
    } else {
        RegisterReply::Session(grant_reply(master, &session, request.version))
    };
    session.listen(conn.late.clone());
    conn.role = Role::Mount(Attachment::new(session));
    answer(reply)
}

fn grant_reply(master: &Master, session: &Session, client: Version) -> Granted {
    let grant = &session.grant;
    Granted {
        version: MASTER_VERSION,
        sessionid: session.id,
        metaid: Some(master.metaid),
        sesflags: grant.sesflags,
        umask: Some(grant.umask),
        rootuid: grant.root_uid,
        rootgid: grant.root_gid,
        mapalluid: grant.mapall_uid,
        mapallgid: grant.mapall_gid,
        mingoal: grant.min_goal,
        maxgoal: grant.max_goal,
        mintrashtime: grant.min_trashtime,
        maxtrashtime: grant.max_trashtime,
        disables: Some(grant.disables),
    }
    .for_client(client)
}

fn meta_grant(master: &Master, session: &Session, client: Version) -> MetaSession {
    let grant = &session.grant;
    MetaSession {
        version: MASTER_VERSION,
        sessionid: session.id,
        metaid: (client >= Version::new(3, 0, 11)).then_some(master.metaid),
        sesflags: grant.sesflags,
        mingoal: grant.min_goal,
        maxgoal: grant.max_goal,
        mintrashtime: grant.min_trashtime,
        maxtrashtime: grant.max_trashtime,
    }
}

/// Attaches the connection to an existing session. EPERM (not EACCES)
/// tells the mount it may register anew with the same session id.
///
/// Sessions are kept in the metadata, so one registered with another
/// master of the group, or before a restart, is served here as it was.
/// A session the metadata does not hold either answers EPERM, for the
/// mount's sake, where `mfsmaster` answers BADSESSIONID for a session it
/// never had. mfsmount 3.0.117 takes BADSESSIONID as a lost session:
/// until it has registered a new one (at least 2 s later) every request
/// waiting to be sent again fails with EIO, and so does a write in
/// flight. On EPERM it keeps them waiting, registers a new session naming
/// the old one, and sends them again.
async fn reconnect(
    master: &Master,
    conn: &mut Connection,
    sessionid: u32,
    metaid: Option<u64>,
    tools: bool,
) -> Status {
    if metaid.is_some_and(|id| id != master.metaid) {
        return Status::BADSESSIONID;
    }
    let Some(session) = known_session(master, sessionid).await else {
        return if tools {
            Status::BADSESSIONID
        } else {
            Status::EPERM
        };
    };
    if session.grant.sesflags & sesflag::DYNAMICIP == 0 && session.peer != conn.peer {
        return Status::EPERM;
    }
    conn.role = if tools {
        Role::Tools(session)
    } else {
        conn.resumed = Some(SeenIds::default());
        session.listen(conn.late.clone());
        Role::Mount(Attachment::new(session))
    };
    tracing::info!(sessionid, tools, "session resumed");
    Status::OK
}

/// Session `id` as this master serves it, taken from the metadata when
/// this master has not served it yet, with the files the metadata says it
/// holds open: the mount's next SUSTAINED_INODES report releases those it
/// no longer holds.
async fn known_session(master: &Master, id: u32) -> Option<Arc<Session>> {
    if let Some(session) = master.sessions.find(id) {
        return Some(session);
    }
    let (record, held) = {
        let namespace = master.store.read().await;
        let record = namespace.session(id)?.clone();
        let held: BTreeSet<Inode> = namespace.held_by(id).into_iter().collect();
        (record, held)
    };
    let version = Version(record.version);
    let info = record.info.into_vec();
    let session = master
        .sessions
        .open(id, record.grant, record.peer, version, info);
    session.replace_open(held);
    Some(session)
}

/// Ends session `id` everywhere: releases the files the metadata says it
/// holds, forgets its locks and logs `CloseSession`, so every master
/// drops it. `how` says why in the log line ("closed", "expired").
pub(super) async fn end_session(master: &Master, id: u32, how: &str) {
    let held = master.store.read().await.held_by(id);
    super::trash::release_session(master, id, held).await;
    master.sessions.close(id);
    let close = Mutation::CloseSession { session: id };
    match master.store.change(&Caller::root(), close).await {
        Ok(_) => tracing::info!(sessionid = id, how, "session ended"),
        Err(status) => tracing::info!(sessionid = id, how, %status, "ending a session"),
    }
}

/// MooseFS strings on this channel carry their terminating NUL.
fn trim_nul(bytes: &[u8]) -> &[u8] {
    bytes.strip_suffix(&[0]).unwrap_or(bytes)
}
