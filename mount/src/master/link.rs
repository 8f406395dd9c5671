//! One TCP connection to the master shared by every FUSE request: requests
//! carry a msgid, the asking task writes its request to the socket itself
//! (behind a lock, so no writer task has to be woken for it), a reader task
//! hands each answer to whoever waits for that msgid, and a supervisor
//! resumes the session when the connection drops.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::BytesMut;
use mooseng_wire::antoan::Nop;
use mooseng_wire::cltoma::register::{FuseRegister, RegisterRequest};
use mooseng_wire::{Ctx, Direction, Frame, Message};
use tokio::io::AsyncWriteExt;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::sync::{mpsc, oneshot, watch, Notify};

use super::notices::Notice;
use super::register::{register, Registered, SessionConfig};
use crate::error::{Errno, FsResult};
use crate::frame_io;
use crate::stats::{Retry, Stats};

/// How often an idle connection sends a NOP so the master keeps the session.
const KEEPALIVE: Duration = Duration::from_secs(2);
/// How long one attempt waits for an answer before asking again.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(20);
/// Longest silence of a master before its connection is given up, as
/// mfsmount's: masters send a NOP every second, so silence this long is
/// a dead or cut-off master, which TCP alone would notice only after
/// many minutes of retransmissions.
const RECEIVE_TIMEOUT: Duration = Duration::from_secs(10);
/// How long an unmounting mount waits for the master to end its session.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(3);
/// Bytes before a frame's payload: type and length.
const FRAME_HEADER: u64 = 8;

type Waiters = Arc<Mutex<HashMap<u32, oneshot::Sender<Frame>>>>;

/// The live connection, replaced on every reconnect.
#[derive(Clone)]
struct Link {
    out: Arc<Outgoing>,
    waiters: Waiters,
    ctx: Ctx,
}

/// The sending half of the connection, written by whichever task asks.
struct Outgoing {
    socket: tokio::sync::Mutex<OwnedWriteHalf>,
    /// Set by every write; the keepalive sends a NOP only when it is clear.
    busy: AtomicBool,
    /// Woken when a write fails, so the supervisor reconnects.
    failed: Notify,
    stats: Stats,
}

impl Outgoing {
    /// Writes one whole frame. A write that fails, or that is abandoned
    /// half done (its task cancelled), leaves the stream unusable, so
    /// either ends the connection.
    async fn send(&self, frame: &Frame) -> std::io::Result<()> {
        let mut buf = BytesMut::with_capacity(FRAME_HEADER as usize + frame.payload.len());
        frame.write_to(&mut buf);
        let mut socket = self.socket.lock().await;
        let mut write = WriteInProgress {
            failed: &self.failed,
            done: false,
        };
        socket.write_all(&buf).await?;
        write.done = true;
        drop(socket);
        self.busy.store(true, Ordering::Relaxed);
        self.stats.master_packets_sent.inc();
        self.stats.master_bytes_sent.inc_by(buf.len() as u64);
        Ok(())
    }
}

/// Ends the connection when dropped before its write is done.
struct WriteInProgress<'a> {
    failed: &'a Notify,
    done: bool,
}

impl Drop for WriteInProgress<'_> {
    fn drop(&mut self) {
        if !self.done {
            self.failed.notify_one();
        }
    }
}

/// Client side of a master session.
#[derive(Clone)]
pub struct Master {
    link: watch::Receiver<Option<Link>>,
    msgid: Arc<AtomicU32>,
    /// The session as last registered: its id and the master's version
    /// change when a reconnect lands on a new session or another master.
    session: Arc<Mutex<Registered>>,
    retries: u32,
    /// Set once the session is being closed: the connection the master
    /// then drops is not to be resumed.
    closing: Arc<AtomicBool>,
    /// The mount's counters, kept here because every part of the mount
    /// holds the session.
    stats: Stats,
    /// What the master tells about files this mount holds open, until
    /// someone takes it to act on it.
    notices: Arc<Mutex<Option<mpsc::UnboundedReceiver<Notice>>>>,
}

impl std::fmt::Debug for Master {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Master")
            .field("session", &self.session())
            .finish()
    }
}

impl Master {
    /// Registers with a master and keeps the session alive from then on.
    /// Fails only if the first registration fails, so a mount with a wrong
    /// password or path reports it at once.
    pub async fn connect(config: SessionConfig, retries: u32) -> anyhow::Result<Master> {
        let (stream, registered) = register(&config, None).await?;
        let (tx, rx) = watch::channel(None);
        let session = Arc::new(Mutex::new(registered));
        let closing = Arc::new(AtomicBool::new(false));
        let stats = Stats::default();
        let (notify, notices) = mpsc::unbounded_channel();
        let reader = Reader {
            stats: stats.clone(),
            notify,
        };
        tokio::spawn(supervise(
            config,
            stream,
            session.clone(),
            tx,
            closing.clone(),
            reader,
        ));
        Ok(Master {
            link: rx,
            msgid: Arc::new(AtomicU32::new(1)),
            session,
            retries: retries.max(1),
            closing,
            stats,
            notices: Arc::new(Mutex::new(Some(notices))),
        })
    }

    /// The master's notices about files this mount holds open, for the
    /// one part of the mount that acts on them; `None` once taken.
    pub fn take_notices(&self) -> Option<mpsc::UnboundedReceiver<Notice>> {
        lock(&self.notices).take()
    }

    /// The mount's counters.
    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    /// Whether the connection to the master is up right now.
    pub fn connected(&self) -> bool {
        self.link.borrow().is_some()
    }

    /// Ends the session, as mfsmount does when it is unmounted, so the
    /// master releases what the session held open (an unlinked file kept
    /// for it is freed at once instead of when the session times out).
    /// mfsmaster accepts REGISTER_CLOSESESSION only on the session's own
    /// connection; it answers and drops the connection, which is then not
    /// resumed. Returns whether the master dropped it within
    /// [`CLOSE_TIMEOUT`].
    pub async fn close_session(&self) -> bool {
        let Some(link) = self.current_link().await else {
            return false;
        };
        self.closing.store(true, Ordering::SeqCst);
        let close = FuseRegister {
            request: RegisterRequest::CloseSession {
                sessionid: self.session().sessionid,
                metaid: None,
            },
        };
        if link.out.send(&close.to_frame()).await.is_err() {
            return false;
        }
        let mut rx = self.link.clone();
        tokio::time::timeout(CLOSE_TIMEOUT, rx.wait_for(|link| link.is_none()))
            .await
            .is_ok_and(|dropped| dropped.is_ok())
    }

    /// Sends `frame`, which has no answer, on the connection there is now;
    /// false when there is none or the send failed.
    pub async fn tell(&self, frame: &Frame) -> bool {
        let link = self.link.borrow().clone();
        match link {
            Some(link) => link.out.send(frame).await.is_ok(),
            None => false,
        }
    }

    /// The current session: id, master version, flags.
    pub fn session(&self) -> Registered {
        *lock(&self.session)
    }

    /// Sends the request `build` makes for a fresh msgid and waits for its
    /// answer, asking again across reconnects, at most `retries` times.
    pub async fn call<Q: Message, A: Message>(&self, build: impl Fn(u32) -> Q) -> FsResult<A> {
        self.call_within(build, Some(ANSWER_TIMEOUT)).await
    }

    /// Like [`Master::call`] but waits for the answer as long as the
    /// connection lives: a blocking lock is answered only once granted.
    pub async fn call_waiting<Q: Message, A: Message>(
        &self,
        build: impl Fn(u32) -> Q,
    ) -> FsResult<A> {
        self.call_within(build, None).await
    }

    /// Sends a request of type `kind` whose payload is a msgid followed by
    /// `body`, as it comes from a MooseFS tool, and returns the answer
    /// frame whatever its type; its payload starts with our msgid.
    pub async fn forward(&self, kind: u32, body: &[u8]) -> FsResult<Frame> {
        let frame = |msgid: u32| {
            let mut payload = Vec::with_capacity(4 + body.len());
            payload.extend_from_slice(&msgid.to_be_bytes());
            payload.extend_from_slice(body);
            Frame::new(kind, payload)
        };
        let (answer, _) = self.exchange(frame, Some(ANSWER_TIMEOUT)).await?;
        Ok(answer)
    }

    async fn call_within<Q: Message, A: Message>(
        &self,
        build: impl Fn(u32) -> Q,
        patience: Option<Duration>,
    ) -> FsResult<A> {
        let (frame, ctx) = self
            .exchange(|msgid| build(msgid).to_frame(), patience)
            .await?;
        frame_io::decode(&frame, ctx).map_err(|e| {
            tracing::warn!("bad answer from master: {e}");
            Errno::EIO
        })
    }

    /// Sends the frame `build` makes for a fresh msgid and returns the
    /// answer with the context to decode it in, asking again across
    /// reconnects at most `retries` times. A request asked again keeps its
    /// msgid, so its bytes are the same: a master that already made the
    /// change answers the resend as it answered the first time, where a
    /// new request would find the file it created.
    async fn exchange(
        &self,
        build: impl Fn(u32) -> Frame,
        patience: Option<Duration>,
    ) -> FsResult<(Frame, Ctx)> {
        let msgid = self.next_msgid();
        for attempt in 0..self.retries {
            if attempt > 0 {
                self.stats.retry(Retry::Master);
            }
            let Some(link) = self.current_link().await else {
                continue;
            };
            let (tx, rx) = oneshot::channel();
            lock(&link.waiters).insert(msgid, tx);
            if link.out.send(&build(msgid)).await.is_err() {
                lock(&link.waiters).remove(&msgid);
                continue;
            }
            let answer = match patience {
                Some(limit) => tokio::time::timeout(limit, rx).await,
                None => Ok(rx.await),
            };
            match answer {
                Ok(Ok(frame)) => return Ok((frame, link.ctx)),
                Ok(Err(_)) => {}
                Err(_) => {
                    lock(&link.waiters).remove(&msgid);
                }
            }
        }
        Err(Errno::EIO)
    }

    fn next_msgid(&self) -> u32 {
        loop {
            // msgid 0 marks the master's own notices, so never use it.
            let id = self.msgid.fetch_add(1, Ordering::Relaxed);
            if id != 0 {
                return id;
            }
        }
    }

    /// The connection to use, waiting up to a few seconds for a reconnect.
    async fn current_link(&self) -> Option<Link> {
        let mut rx = self.link.clone();
        let wait = async {
            rx.wait_for(|link| link.is_some())
                .await
                .ok()
                .and_then(|link| link.clone())
        };
        tokio::time::timeout(Duration::from_secs(5), wait)
            .await
            .ok()
            .flatten()
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Runs one connection after another for the life of the mount.
async fn supervise(
    config: SessionConfig,
    first: tokio::net::TcpStream,
    session: Arc<Mutex<Registered>>,
    link: watch::Sender<Option<Link>>,
    closing: Arc<AtomicBool>,
    reader: Reader,
) {
    let stats = &reader.stats;
    let mut stream = first;
    loop {
        let ctx = Ctx {
            peer_version: lock(&session).master_version,
        };
        let (read, write) = stream.into_split();
        let out = Arc::new(Outgoing {
            socket: tokio::sync::Mutex::new(write),
            busy: AtomicBool::new(false),
            failed: Notify::new(),
            stats: stats.clone(),
        });
        let waiters = Waiters::default();
        link.send_replace(Some(Link {
            out: out.clone(),
            waiters: waiters.clone(),
            ctx,
        }));
        stats.master_connected.set(1);
        let reason = tokio::select! {
            e = reader.read_answers(read, waiters.clone(), ctx) => e,
            e = keep_alive(&out) => e,
            () = out.failed.notified() => std::io::Error::other("a request could not be sent"),
        };
        link.send_replace(None);
        stats.master_connected.set(0);
        // Dropping the senders wakes every waiter, which then asks again.
        lock(&waiters).clear();
        if closing.load(Ordering::SeqCst) {
            return;
        }
        tracing::warn!("connection to master lost ({reason}); reconnecting");
        stream = loop {
            if link.is_closed() {
                return;
            }
            let previous = *lock(&session);
            match register(&config, Some(previous.sessionid)).await {
                Ok((stream, again)) => {
                    *lock(&session) = if again.sessionid == previous.sessionid {
                        // A resumed session keeps its flags; RECONNECT does not repeat them.
                        Registered {
                            sesflags: previous.sesflags,
                            ..again
                        }
                    } else {
                        tracing::warn!(
                            "master forgot session {}; now session {}",
                            previous.sessionid,
                            again.sessionid
                        );
                        again
                    };
                    stats.master_reconnects.inc();
                    break stream;
                }
                Err(e) => {
                    tracing::warn!("reconnect failed: {e}");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        };
    }
}

/// What the reading half of each connection reports to.
struct Reader {
    stats: Stats,
    notify: mpsc::UnboundedSender<Notice>,
}

impl Reader {
    /// Hands each answer to its waiter and each notice to whoever follows
    /// them, until the connection fails or falls silent.
    async fn read_answers(
        &self,
        mut read: OwnedReadHalf,
        waiters: Waiters,
        ctx: Ctx,
    ) -> std::io::Error {
        let stats = &self.stats;
        loop {
            let next = frame_io::read_frame(&mut read, Direction::MasterToClient.max_payload());
            let frame = match tokio::time::timeout(RECEIVE_TIMEOUT, next).await {
                Ok(Ok(frame)) => frame,
                Ok(Err(e)) => return e,
                Err(_) => {
                    return std::io::Error::new(
                        std::io::ErrorKind::TimedOut,
                        "the master fell silent",
                    )
                }
            };
            stats.master_packets_received.inc();
            stats
                .master_bytes_received
                .inc_by(FRAME_HEADER + frame.payload.len() as u64);
            let Some(msgid) = frame.payload.get(..4) else {
                continue;
            };
            let msgid = u32::from_be_bytes([msgid[0], msgid[1], msgid[2], msgid[3]]);
            if frame.kind == Nop::CODE {
                continue;
            }
            if msgid == 0 {
                if let Some(notice) = Notice::decode(&frame, ctx) {
                    // Nobody following notices (a meta mount) has no cache.
                    let _ = self.notify.send(notice);
                }
                continue;
            }
            if let Some(waiter) = lock(&waiters).remove(&msgid) {
                // The asker may have given up; then nobody needs the answer.
                let _ = waiter.send(frame);
            }
        }
    }
}

/// Sends a NOP whenever a [`KEEPALIVE`] passes without a request, so the
/// master keeps the session of an idle mount.
async fn keep_alive(out: &Outgoing) -> std::io::Error {
    loop {
        tokio::time::sleep(KEEPALIVE).await;
        if !out.busy.swap(false, Ordering::Relaxed) {
            if let Err(e) = out.send(&Nop { msgid: None }.to_frame()).await {
                return e;
            }
            // The NOP itself is no sign of life from the mount.
            out.busy.store(false, Ordering::Relaxed);
        }
    }
}
