//! The client channel (port 9421): what mounts and tools ask, and the
//! answers. One function per request family; [`route`] sends a decoded
//! message to the connection ([`connection_request`]) or to its
//! registered session ([`SessionRequest`]), as MooseFS sorts them.
//!
//! Requests about chunk data go to [`chunk`], which also holds the one
//! path for namespace changes that may release chunks ([`Request::change`]).
//! Status queries of `mfscli` go to [`admin`], [`loops`] and [`paths`], in
//! any registration state.

mod admin;
mod append;
mod archive;
mod archive_loop;
mod chart_loop;
mod check;
mod chunk;
mod create;
mod eattr;
mod locks;
mod loops;
mod meta;
mod mounts;
mod nearest;
mod node;
mod notices;
mod op_stats;
mod paths;
mod quota;
mod readdir;
mod register;
mod remove;
mod repair;
mod reply;
mod resend;
mod sclass;
mod sclass_info;
mod session_expiry;
mod setattr;
mod snapshot;
mod trash;
mod truncate;
mod xattr;

use std::net::Ipv4Addr;
use std::sync::Arc;

use mooseng_wire::direction::ClientToMaster;
use mooseng_wire::{Frame, Version};
use tokio::sync::mpsc;

use crate::chunks::ChunkService;
use crate::exports::Exports;
use crate::locks::LateReplies;
use crate::session::{Attachment, Session, Sessions};
use crate::store::MetadataStore;

pub use admin::Space;
pub use archive_loop::{archive_due, archive_due_forever};
pub use chart_loop::record_charts_forever;
pub use reply::generic_status;
use reply::reply;
pub use resend::Origin;
use resend::SeenIds;
pub use session_expiry::expire_sessions_forever;
pub use trash::empty_trash_forever;

/// `DISABLE_BIT_*`: operations an export's `disable=` option refuses.
pub(crate) mod disable {
    pub const CHOWN: u32 = 0;
    pub const CHMOD: u32 = 1;
    pub const SYMLINK: u32 = 2;
    pub const MKFIFO: u32 = 3;
    pub const MKDEV: u32 = 4;
    pub const MKSOCK: u32 = 5;
    pub const MKDIR: u32 = 6;
    pub const UNLINK: u32 = 7;
    pub const RMDIR: u32 = 8;
    pub const RENAME: u32 = 9;
    pub const MOVE: u32 = 10;
    pub const LINK: u32 = 11;
    pub const CREATE: u32 = 12;
    pub const READDIR: u32 = 13;
    pub const READ: u32 = 14;
    pub const WRITE: u32 = 15;
    pub const TRUNCATE: u32 = 16;
    pub const SETLENGTH: u32 = 17;
    pub const APPENDCHUNKS: u32 = 18;
    pub const SNAPSHOT: u32 = 19;
    pub const SETTRASH: u32 = 20;
    pub const SETSCLASS: u32 = 21;
    pub const SETEATTR: u32 = 22;
    pub const SETXATTR: u32 = 23;
    pub const SETFACL: u32 = 24;
}

/// The version this master announces; `mfsmount` picks reply layouts by it.
pub const MASTER_VERSION: Version = Version::MOOSEFS_3_0_117;

/// Everything the handlers of every connection share.
#[derive(Debug)]
pub struct Master {
    pub store: MetadataStore,
    pub sessions: Sessions,
    pub exports: Exports,
    /// Chunks, their copies and the chunkservers holding them.
    pub chunks: Arc<ChunkService>,
    /// Identifies this metadata set; a session from another one is refused.
    pub metaid: u64,
    pub metrics: crate::metrics::Metrics,
    /// What `mfscli -SMC` shows.
    pub charts: crate::charts::Charts,
    /// Racks, for the order of a chunk's copies.
    pub topology: crate::topology::Topology,
}

/// What a connection has registered as.
#[derive(Debug, Clone)]
pub enum Role {
    Unregistered,
    /// A mount working on its session.
    Mount(Attachment),
    /// A tool borrowing a mount's session (REGISTER_TOOLS).
    Tools(Arc<Session>),
}

/// Per-connection state the handlers read and change.
#[derive(Debug)]
pub struct Connection {
    pub peer: Ipv4Addr,
    /// The client's version, known after it registers.
    pub version: Version,
    /// The challenge sent for REGISTER_GETRANDOM, if any.
    pub random: Option<[u8; 32]>,
    pub role: Role,
    /// Answers sent after the request's turn (granted locks); the server
    /// loop writes what arrives on `late_rx`.
    pub late: LateReplies,
    pub late_rx: mpsc::UnboundedReceiver<Frame>,
    /// Set when a RECONNECT resumed a mount's session here: the message
    /// ids seen since, to tell which requests may be resends.
    pub resumed: Option<SeenIds>,
}

impl Connection {
    pub fn new(peer: Ipv4Addr) -> Self {
        let (late, late_rx) = mpsc::unbounded_channel();
        Connection {
            peer,
            version: Version::MOOSEFS_3_0_117,
            random: None,
            role: Role::Unregistered,
            late,
            late_rx,
            resumed: None,
        }
    }

    pub fn session(&self) -> Option<&Arc<Session>> {
        match &self.role {
            Role::Unregistered => None,
            Role::Mount(attachment) => Some(attachment.session()),
            Role::Tools(session) => Some(session),
        }
    }

    /// Mounts get keep-alive NOPs; tools and unregistered peers do not.
    pub fn wants_keepalive(&self) -> bool {
        matches!(self.role, Role::Mount(_))
    }
}

/// What the connection does after a request.
#[derive(Debug, PartialEq, Eq)]
pub enum Action {
    Reply(Frame),
    /// Requests without an answer (keep-alives, notices).
    Nothing,
    /// Answer, then end the connection (REGISTER_CLOSESESSION).
    ReplyAndClose(Frame),
    /// A request MooseFS would kill the connection for.
    Close(String),
}

/// Where one decoded request is handled.
#[derive(Debug)]
pub enum Route {
    /// With the connection itself: registration, the admin queries, and
    /// anything sent before registering. Such a request goes alone, after
    /// every earlier request of the connection was answered.
    Connection(ClientToMaster),
    /// By the registered session: it may run beside the connection's other
    /// session requests, so that one mount's many threads are not served
    /// one at a time, and their changes share a log sync.
    Session(SessionRequest),
}

/// Sorts `message`, which came as `origin`, to the connection or to its
/// session.
pub fn route(conn: &mut Connection, message: ClientToMaster, origin: Origin) -> Route {
    let session = conn.session().filter(|_| !is_connection_request(&message));
    match session {
        Some(session) => {
            let session = Arc::clone(session);
            let may_be_resend = conn
                .resumed
                .as_mut()
                .is_some_and(|seen| seen.first(origin.msgid));
            Route::Session(SessionRequest {
                session,
                version: conn.version,
                late: conn.late.clone(),
                message,
                origin,
                may_be_resend,
            })
        }
        None => Route::Connection(message),
    }
}

/// The requests [`connection_request`] answers, registered or not.
fn is_connection_request(message: &ClientToMaster) -> bool {
    use ClientToMaster as M;
    matches!(
        message,
        M::Nop(_)
            | M::UnknownCommand(_)
            | M::BadCommandSize(_)
            | M::GetVersion(_)
            | M::FuseRegister(_)
            | M::Info(_)
            | M::CservList(_)
            | M::ChunksMatrix(_)
            | M::MemoryInfo(_)
            | M::ChunkstestInfo(_)
            | M::FstestInfo(_)
            | M::MissingChunks(_)
            | M::MassResolvePaths(_)
            | M::SessionList(_)
            | M::ListOpenFiles(_)
            | M::ListAcquiredLocks(_)
            | M::ExportsInfo(_)
            | M::MlogList(_)
            | M::QuotaInfo(_)
            | M::SclassInfo(_)
            | M::ChartData(_)
    )
}

/// Handles one decoded request, whichever way it is routed, waiting for
/// it: what the server loop does for one request at a time.
#[cfg(test)]
pub(crate) async fn dispatch(
    master: &Master,
    conn: &mut Connection,
    message: ClientToMaster,
    origin: Origin,
) -> Action {
    match route(conn, message, origin) {
        Route::Connection(message) => connection_request(master, conn, message).await,
        Route::Session(request) => request.handle(master).await,
    }
}

/// Handles a request routed to the connection.
pub async fn connection_request(
    master: &Master,
    conn: &mut Connection,
    message: ClientToMaster,
) -> Action {
    use ClientToMaster as M;
    match message {
        M::Nop(_) | M::UnknownCommand(_) | M::BadCommandSize(_) => Action::Nothing,
        M::GetVersion(m) => reply::version(m.msgid),
        M::FuseRegister(m) => register::handle(master, conn, m.request).await,
        M::Info(_) => admin::info(master).await,
        M::CservList(_) => admin::cserv_list(master),
        M::ChunksMatrix(m) => admin::chunks_matrix(master, m),
        M::MemoryInfo(_) => admin::memory_info(),
        M::ChunkstestInfo(_) => loops::chunkstest_info(master),
        M::FstestInfo(m) => loops::fstest_info(master, m).await,
        M::MissingChunks(m) => loops::missing_chunks(master, m).await,
        M::MassResolvePaths(m) => paths::mass_resolve_paths(master, m).await,
        M::SessionList(m) => mounts::session_list(master, m).await,
        M::ListOpenFiles(m) => mounts::list_open_files(master, m).await,
        M::ListAcquiredLocks(m) => mounts::list_acquired_locks(master, m),
        M::ExportsInfo(m) => mounts::exports_info(master, m),
        M::MlogList(_) => mounts::mlog_list(),
        M::QuotaInfo(_) => quota::quota_info(master).await,
        M::SclassInfo(_) => sclass_info::sclass_info(master).await,
        M::ChartData(m) => reply(master.charts.answer(m.chartid, m.maxentries)),
        other => Action::Close(format!("{} before registering", other.name())),
    }
}

/// A request of a registered session, with what it needs of the
/// connection copied, so it borrows nothing the connection changes.
#[derive(Debug)]
pub struct SessionRequest {
    session: Arc<Session>,
    version: Version,
    late: LateReplies,
    message: ClientToMaster,
    origin: Origin,
    may_be_resend: bool,
}

impl SessionRequest {
    pub async fn handle(self, master: &Master) -> Action {
        let request = Request {
            master,
            session: &self.session,
            version: self.version,
            late: &self.late,
            origin: self.origin,
            may_be_resend: self.may_be_resend,
        };
        request.handle(self.message).await
    }
}

/// One request of a registered connection.
#[derive(Debug, Clone, Copy)]
struct Request<'a> {
    master: &'a Master,
    session: &'a Session,
    version: Version,
    late: &'a LateReplies,
    origin: Origin,
    /// The first request under its message id since a RECONNECT.
    may_be_resend: bool,
}

impl Request<'_> {
    async fn handle(self, message: ClientToMaster) -> Action {
        use ClientToMaster as M;
        for op in op_stats::counted_as(&message) {
            self.session.ops.count(*op);
            self.master.charts.count(*op);
        }
        if self.session.grant.meta {
            return self.meta(message).await;
        }
        match message {
            M::FuseStatfs(m) => self.statfs(m).await,
            M::FuseAccess(m) => self.access(m).await,
            M::FuseLookup(m) => self.lookup(m).await,
            M::FuseGetattr(m) => self.getattr(m).await,
            M::FuseSetattr(m) => self.setattr(m).await,
            M::FuseReadlink(m) => self.readlink(m).await,
            M::FuseSymlink(m) => self.symlink(m).await,
            M::FuseMknod(m) => self.mknod(m).await,
            M::FuseMkdir(m) => self.mkdir(m).await,
            M::FuseCreate(m) => self.create(m).await,
            M::FuseLink(m) => self.link(m).await,
            M::FuseUnlink(m) => self.unlink(m).await,
            M::FuseRmdir(m) => self.rmdir(m).await,
            M::FuseRename(m) => self.rename(m).await,
            M::FuseReaddir(m) => self.readdir(m).await,
            M::FuseOpen(m) => self.open(m).await,
            M::FuseTruncate(m) => self.truncate(m).await,
            M::FuseFsync(m) => reply::fsync(m.msgid),
            M::FuseGetdirstats(m) => self.dirstats(m).await,
            M::FuseTimeSync(m) => reply::time_sync(m.msgid),
            M::FuseSustainedInodes(m) => self.sync_open(m.inodes.0).await,
            M::FuseSustainedInodesDeprecated(m) => self.sync_open(m.inodes.0).await,
            M::FuseAmtimeInodes(m) => self.amtime(m.inodes.0).await,
            M::FuseReadChunk(m) => self.read_chunk(m).await,
            M::FuseWriteChunk(m) => self.write_chunk(m).await,
            M::FuseWriteChunkEnd(m) => self.write_chunk_end(m).await,
            M::FuseCheck(m) => self.check(m).await,
            M::FuseAppendSlice(m) => self.append_slice(m).await,
            M::FusePaths(m) => self.paths(m).await,
            M::FuseParents(m) => self.parents(m).await,
            M::FuseRepair(m) => self.repair(m).await,
            M::FuseSnapshot(m) => self.snapshot(m).await,
            M::FuseGetxattr(m) => self.getxattr(m).await,
            M::FuseSetxattr(m) => self.setxattr(m).await,
            M::FuseGetfacl(m) => self.getfacl(m).await,
            M::FuseSetfacl(m) => self.setfacl(m).await,
            M::FuseGeteattr(m) => self.geteattr(m).await,
            M::FuseArchctl(m) => self.archctl(m).await,
            M::FuseSeteattr(m) => self.seteattr(m).await,
            M::FuseQuotacontrol(m) => self.quotacontrol(m).await,
            M::FuseFlock(m) => self.flock(m),
            M::FusePosixLock(m) => self.posix_lock(m),
            M::FuseGetsclass(m) => self.get_sclass(m).await,
            M::FuseSetsclass(m) => self.set_sclass(m).await,
            M::FuseGettrashtime(m) => self.get_trashtime(m).await,
            M::FuseSettrashtime(m) => self.set_trashtime(m).await,
            M::SclassCreate(m) => self.sclass_create(m).await,
            M::SclassChange(m) => self.sclass_change(m).await,
            M::SclassDelete(m) => self.sclass_delete(m).await,
            M::SclassDuplicate(m) => self.sclass_duplicate(m).await,
            M::SclassRename(m) => self.sclass_rename(m).await,
            M::SclassList(m) => self.sclass_list(m).await,
            other @ (M::FuseGettrash(_)
            | M::FuseGetsustained(_)
            | M::FuseGetdetachedattr(_)
            | M::FuseGettrashpath(_)
            | M::FuseSettrashpath(_)
            | M::FuseUndel(_)
            | M::FusePurge(_)) => Self::meta_only(&other),
            other => reply::unsupported(&other),
        }
    }

    /// Read-only sessions answer EROFS to every change.
    fn read_only(&self) -> bool {
        self.session.grant.read_only()
    }

    fn disabled(&self, bit: u32) -> bool {
        self.session.grant.disabled(bit)
    }
}

#[cfg(test)]
mod archive_tests;
#[cfg(test)]
mod info_tests;
#[cfg(test)]
mod readdir_tests;
#[cfg(test)]
mod resend_tests;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod trash_tests;
#[cfg(test)]
mod truncate_tests;
