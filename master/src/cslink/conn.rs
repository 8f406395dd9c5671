//! One chunkserver connection: a reader that decodes and dispatches, and a
//! writer that sends orders and keeps the link alive with NOPs.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use mooseng_wire::antoan::Nop;
use mooseng_wire::direction::ChunkserverToMaster as Msg;
use mooseng_wire::message::Message;
use mooseng_wire::{Ctx, Direction, Frame, FrameCodec, Version};
use tokio::net::tcp::OwnedWriteHalf;
use tokio::net::TcpStream;
use tokio::sync::{mpsc, watch};
use tokio_util::codec::{FramedRead, FramedWrite};

use crate::chunks::{ChunkService, OpAnswer, ServerId};

/// How long a closing connection's queued packets may take to go out.
const FLUSH_TIMEOUT: Duration = Duration::from_secs(1);

/// What a handler decided about the connection.
pub(super) type Verdict = Result<(), String>;

/// The connection's state as the reader sees it.
pub(super) struct Link {
    pub peer: SocketAddr,
    pub service: Arc<ChunkService>,
    pub orders: mpsc::UnboundedSender<Frame>,
    /// Set by the BEGIN (or single-packet) registration.
    pub id: Option<ServerId>,
    /// The chunkserver's version, once it told us.
    pub version: Version,
    /// Set once registration ended.
    pub registered: bool,
    /// Seconds of silence after which the connection is dropped; the
    /// writer sends a NOP after a third of it.
    pub timeout: watch::Sender<u16>,
}

pub(super) async fn run(stream: TcpStream, peer: SocketAddr, service: Arc<ChunkService>) {
    let (read, write) = stream.into_split();
    let max = Direction::ChunkserverToMaster.max_payload();
    let mut frames = FramedRead::new(read, FrameCodec::new(max));
    let (orders, queue) = mpsc::unbounded_channel();
    let (timeout, timeout_rx) = watch::channel(service.config().default_timeout);
    let mut writer = tokio::spawn(write_loop(write, queue, timeout_rx));
    let mut terms = service.terms();
    let term = *terms.borrow_and_update();
    let mut link = Link {
        peer,
        service,
        orders,
        id: None,
        version: Version::default(),
        registered: false,
        timeout,
    };
    let reason = loop {
        let limit = Duration::from_secs(u64::from(*link.timeout.borrow()));
        let next = tokio::select! {
            next = tokio::time::timeout(limit, frames.next()) => next,
            _ = terms.changed() => break "this master no longer leads".to_owned(),
        };
        let frame = match next {
            Err(_) => break "timed out".to_owned(),
            Ok(None) => break "closed by the chunkserver".to_owned(),
            Ok(Some(Err(err))) => break format!("bad frame: {err}"),
            Ok(Some(Ok(frame))) => frame,
        };
        let ctx = Ctx {
            peer_version: if link.version == Version::default() {
                Version::MOOSEFS_3_0_117
            } else {
                link.version
            },
        };
        let outcome = match Msg::decode_frame(&frame, ctx) {
            Ok(message) => link.handle(message),
            Err(err) => Err(format!("malformed packet: {err}")),
        };
        if let Err(reason) = outcome {
            break reason;
        }
    };
    tracing::info!(%peer, %reason, "chunkserver connection ends");
    if let Some(id) = link.id {
        link.service.disconnected(id, term);
    }
    // The writer sends what is queued (a redirect, say) before the
    // connection closes, unless the chunkserver stopped reading.
    drop(link);
    if tokio::time::timeout(FLUSH_TIMEOUT, &mut writer)
        .await
        .is_err()
    {
        writer.abort();
    }
}

/// Sends queued orders; after a third of the timeout without any, a NOP.
async fn write_loop(
    write: OwnedWriteHalf,
    mut queue: mpsc::UnboundedReceiver<Frame>,
    timeout: watch::Receiver<u16>,
) {
    let mut sink = FramedWrite::new(write, FrameCodec::new(u32::MAX));
    loop {
        let idle = Duration::from_secs(u64::from(*timeout.borrow()).max(3)) / 3;
        let frame = match tokio::time::timeout(idle, queue.recv()).await {
            Ok(Some(frame)) => frame,
            Ok(None) => return,
            Err(_) => Nop { msgid: None }.to_frame(),
        };
        if let Err(err) = sink.send(frame).await {
            tracing::info!(%err, "writing to a chunkserver failed");
            return;
        }
    }
}

impl Link {
    /// The registered server's id, or the reason to close when a report
    /// arrives before registration.
    pub(super) fn server(&self, what: &str) -> Result<ServerId, String> {
        self.id
            .ok_or_else(|| format!("{what} from a chunkserver that did not register"))
    }

    fn handle(&mut self, message: Msg) -> Verdict {
        match message {
            Msg::Nop(_) | Msg::UnknownCommand(_) | Msg::BadCommandSize(_) => Ok(()),
            Msg::Register(register) => self.register(register.form),
            Msg::GetVersion(_) | Msg::GetConfig(_) => {
                tracing::debug!(peer = %self.peer, "version or config query on 9420 ignored");
                Ok(())
            }
            other => self.report(other),
        }
    }

    /// Everything a registered chunkserver may send besides registration.
    fn report(&mut self, message: Msg) -> Verdict {
        let id = self.server(message.name())?;
        let service = &self.service;
        match message {
            Msg::Space(space) => service.update_server(id, |s| s.usage = space.report.into()),
            Msg::CurrentLoad(load) => service.update_server(id, |s| {
                s.load = load.load;
                s.hlstatus = load.hlstatus.unwrap_or(0);
            }),
            Msg::Labels(labels) => service.update_server(id, |s| s.labels = labels.labelmask),
            Msg::ErrorOccurred(_) => service.update_server(id, |s| s.errors += 1),
            Msg::ChunkDamaged(damaged) => service.copies_gone(id, &damaged.chunkids.0),
            Msg::ChunkLost(lost) => service.copies_gone(id, &lost.chunkids.0),
            Msg::ChunkNew(new) => service.has_chunks(id, &new.chunks.0),
            Msg::Create(a) => service.answer(
                id,
                OpAnswer::Create {
                    chunk: a.chunkid,
                    status: a.status,
                },
            ),
            Msg::SetVersion(a) => service.answer(
                id,
                OpAnswer::SetVersion {
                    chunk: a.chunkid,
                    status: a.status,
                },
            ),
            Msg::Truncate(a) => service.answer(
                id,
                OpAnswer::Truncate {
                    chunk: a.chunkid,
                    status: a.status,
                },
            ),
            Msg::Delete(a) => service.answer(
                id,
                OpAnswer::Delete {
                    chunk: a.chunkid,
                    status: a.status,
                },
            ),
            Msg::Replicate(a) => service.answer(
                id,
                OpAnswer::Replicate {
                    chunk: a.chunkid,
                    version: a.version,
                    status: a.status,
                },
            ),
            Msg::Duplicate(a) => service.answer(
                id,
                OpAnswer::Duplicate {
                    chunk: a.chunkid,
                    status: a.status,
                },
            ),
            Msg::Duptrunc(a) => service.answer(
                id,
                OpAnswer::Duplicate {
                    chunk: a.chunkid,
                    status: a.status,
                },
            ),
            unasked => {
                // Answers to orders MooseNG never sends (checksums, the
                // all-in-one CHUNKOP): harmless, so only noted.
                tracing::debug!(peer = %self.peer, message = unasked.name(), "unasked answer ignored");
            }
        }
        Ok(())
    }
}
