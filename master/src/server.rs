//! The TCP side of the client channel: accepting within a connection
//! limit, framing, keep-alives, one tracing span per request, and shutdown.
//!
//! One mount sends every thread's requests over one connection, so the
//! requests of a registered session are handled side by side and answered
//! as each finishes: a change waiting for its log sync holds up neither a
//! lookup nor another change, which joins the same group commit.
//!
//! A connection that sends a frame larger than the channel allows, or a
//! payload that does not decode, is closed with a log line; nothing a
//! peer sends can stop the listener or another connection.

use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use futures_util::stream::FuturesUnordered;
use futures_util::{SinkExt, StreamExt};
use mooseng_wire::antoan::Nop;
use mooseng_wire::direction::{ClientToMaster, Direction};
use mooseng_wire::message::Message;
use mooseng_wire::{Ctx, Frame, FrameCodec, FrameError};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, Semaphore};
use tokio::task::JoinSet;
use tokio::time::{interval, Instant, MissedTickBehavior};
use tokio_util::codec::Framed;
use tracing::{field, Instrument};

use crate::client::{self, Action, Connection, Master, Route};

/// How long shutdown waits for connections to finish their current request.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_connections: usize,
    /// Silence after which a mount gets a NOP.
    pub keepalive: Duration,
}

/// Serves clients on `listener` until `shutdown` completes, then closes
/// every connection.
pub async fn serve(
    listener: TcpListener,
    master: Arc<Master>,
    limits: Limits,
    shutdown: impl Future<Output = ()>,
) {
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut connections = JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            permit = Arc::clone(&slots).acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break,
            },
            () = &mut shutdown => break,
        };
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = &mut shutdown => break,
        };
        match accepted {
            Ok((stream, peer)) => {
                let master = Arc::clone(&master);
                let stop = stop_rx.clone();
                connections.spawn(async move {
                    let span = tracing::info_span!("conn", %peer);
                    run(stream, peer, &master, limits.keepalive, stop)
                        .instrument(span)
                        .await;
                    drop(permit);
                });
            }
            Err(error) => tracing::warn!(%error, "accept failed"),
        }
        while connections.try_join_next().is_some() {}
    }
    tracing::info!(
        open = connections.len(),
        "shutting down the client listener"
    );
    let _ = stop_tx.send(true);
    let drained = tokio::time::timeout(DRAIN_TIMEOUT, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        connections.abort_all();
    }
}

/// The IPv4 address exports rules are matched against.
fn peer_ip(peer: SocketAddr) -> Ipv4Addr {
    match peer.ip() {
        IpAddr::V4(ip) => ip,
        IpAddr::V6(ip) => ip.to_ipv4_mapped().unwrap_or(Ipv4Addr::UNSPECIFIED),
    }
}

/// Bytes of a frame's header: type and length.
const FRAME_HEADER: u64 = 8;

/// Most requests of one connection under way at once; past it the
/// connection is not read until one is answered.
const MAX_IN_FLIGHT: usize = 256;

async fn run(
    stream: TcpStream,
    peer: SocketAddr,
    master: &Master,
    keepalive: Duration,
    mut stop: watch::Receiver<bool>,
) {
    if let Err(error) = stream.set_nodelay(true) {
        tracing::debug!(%error, "cannot set TCP_NODELAY");
    }
    let codec = FrameCodec::new(Direction::ClientToMaster.max_payload());
    let mut framed = Framed::new(stream, codec);
    let mut conn = Connection::new(peer_ip(peer));
    let mut ticks = interval(keepalive);
    ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut last_write = Instant::now();
    // The session's requests under way, answered in the order they finish
    // (mfsmount matches answers to requests by msgid).
    let mut in_flight = FuturesUnordered::new();
    tracing::debug!("connected");
    loop {
        let action = tokio::select! {
            frame = framed.next(), if in_flight.len() < MAX_IN_FLIGHT => {
                let Some(request) = read_request(master, &conn, frame) else {
                    break;
                };
                match client::route(&mut conn, request.message, request.origin) {
                    Route::Session(work) => {
                        in_flight.push(timed(master, work.handle(master), request.timing));
                        continue;
                    }
                    Route::Connection(message) => {
                        // It may change the connection: the session's
                        // requests before it finish first.
                        if !finish(master, &mut in_flight, &mut framed, &mut last_write).await {
                            break;
                        }
                        let dispatched = client::connection_request(master, &mut conn, message);
                        timed(master, dispatched, request.timing).await
                    }
                }
            }
            Some(action) = in_flight.next(), if !in_flight.is_empty() => action,
            _ = ticks.tick() => {
                if conn.wants_keepalive() && last_write.elapsed() >= keepalive {
                    let nop = Nop { msgid: Some(0) }.to_frame();
                    master.charts.sent(FRAME_HEADER + nop.payload.len() as u64);
                    if framed.send(nop).await.is_err() {
                        break;
                    }
                    last_write = Instant::now();
                }
                continue;
            }
            _ = stop.changed() => {
                finish(master, &mut in_flight, &mut framed, &mut last_write).await;
                break;
            }
            Some(late) = conn.late_rx.recv() => Action::Reply(late),
        };
        if !deliver(master, &mut framed, action, &mut last_write).await {
            break;
        }
    }
    tracing::debug!("disconnected");
}

/// A decoded request with what its answer's log line and timing need.
struct Decoded {
    message: ClientToMaster,
    origin: client::Origin,
    timing: Timing,
}

struct Timing {
    name: &'static str,
    arrived: Instant,
    span: tracing::Span,
}

/// Decodes the next frame; `None` ends the connection (closed by the peer,
/// or a frame too large or undecodable, which is logged and counted).
fn read_request(
    master: &Master,
    conn: &Connection,
    frame: Option<Result<Frame, FrameError>>,
) -> Option<Decoded> {
    let frame = match frame? {
        Ok(frame) => frame,
        Err(error) => {
            tracing::warn!(%error, "closing connection: bad frame");
            master.metrics.bad_connection();
            return None;
        }
    };
    let arrived = Instant::now();
    master
        .charts
        .received(FRAME_HEADER + frame.payload.len() as u64);
    let ctx = Ctx {
        peer_version: conn.version,
    };
    match ClientToMaster::decode_frame(&frame, ctx) {
        Ok(message) => {
            let name = message.name();
            let span = request_span(&frame, name, conn);
            let timing = Timing {
                name,
                arrived,
                span,
            };
            let origin = client::Origin::of(&frame);
            Some(Decoded {
                message,
                origin,
                timing,
            })
        }
        Err(error) => {
            tracing::warn!(%error, kind = frame.kind, len = frame.payload.len(), "closing connection: undecodable request");
            master.metrics.bad_connection();
            None
        }
    }
}

/// Runs a request's handler in its span, logs the answer and counts the
/// request's time.
async fn timed(master: &Master, handler: impl Future<Output = Action>, timing: Timing) -> Action {
    let action = handler.instrument(timing.span.clone()).await;
    timing.span.in_scope(|| match &action {
        Action::Reply(reply) | Action::ReplyAndClose(reply) => {
            tracing::debug!(code = reply.kind, len = reply.payload.len(), "answered");
        }
        Action::Nothing => tracing::debug!("no answer"),
        Action::Close(_) => {}
    });
    master
        .metrics
        .request_done(timing.name, timing.arrived.elapsed());
    action
}

/// Answers every request under way as it finishes; false when the
/// connection must end.
async fn finish(
    master: &Master,
    in_flight: &mut FuturesUnordered<impl Future<Output = Action>>,
    framed: &mut Framed<TcpStream, FrameCodec>,
    last_write: &mut Instant,
) -> bool {
    while let Some(action) = in_flight.next().await {
        if !deliver(master, framed, action, last_write).await {
            return false;
        }
    }
    true
}

/// Sends what `action` answers; false when the connection must end.
async fn deliver(
    master: &Master,
    framed: &mut Framed<TcpStream, FrameCodec>,
    action: Action,
    last_write: &mut Instant,
) -> bool {
    let (reply, close) = match action {
        Action::Reply(reply) => (Some(reply), false),
        Action::Nothing => (None, false),
        Action::ReplyAndClose(reply) => (Some(reply), true),
        Action::Close(reason) => {
            tracing::warn!(%reason, "closing connection");
            (None, true)
        }
    };
    if let Some(reply) = reply {
        master
            .charts
            .sent(FRAME_HEADER + reply.payload.len() as u64);
        if let Err(error) = framed.send(reply).await {
            tracing::debug!(%error, "cannot answer");
            return false;
        }
        *last_write = Instant::now();
    }
    !close
}

/// `cmd`, `msgid`, `inode` and `session` of one request. Every
/// `CLTOMA_FUSE_*` request from 402 to 498 starts with `msgid:32 inode:32`
/// except WRITE_CHUNK_END and APPEND_SLICE, whose second field is other.
fn request_span(frame: &Frame, name: &'static str, conn: &Connection) -> tracing::Span {
    let span = tracing::info_span!(
        "request",
        cmd = name,
        msgid = field::Empty,
        inode = field::Empty,
        session = field::Empty
    );
    let word = |at: usize| {
        frame
            .payload
            .get(at..at + 4)
            .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    };
    if (402..=498).contains(&frame.kind) {
        if let Some(msgid) = word(0) {
            span.record("msgid", msgid);
        }
        if !matches!(frame.kind, 436 | 438) {
            if let Some(inode) = word(4) {
                span.record("inode", inode);
            }
        }
    }
    if let Some(session) = conn.session() {
        span.record("session", session.id);
    }
    span
}
