//! `CLTOCS_WRITE` sessions and write chains.
//!
//! The session opens with `CLTOCS_WRITE` naming the chunk and the servers
//! after us. With a chain we first connect to the next server and pass
//! the WRITE on minus its own address; its `writeid` 0 status (the whole
//! rest of the chain is ready) is what the client gets from us. The last
//! server answers `writeid` 0 itself. Each `CLTOCS_WRITE_DATA` is
//! forwarded before we write it, so the chain works in parallel, and is
//! acknowledged as [`AckQueue`] decides. `CLTOCS_WRITE_FINISH` is passed
//! on and gets no answer; the session then ends and the connection can
//! carry further requests.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::BytesMut;
use mooseng_wire::direction::{Direction, FromChunkserver, ToChunkserver};
use mooseng_wire::{antoan, cltocs, cstocl, Ctx, DecodeError, Frame, Rest, Status};
use tokio::sync::watch;
use tracing::{debug, warn};

use super::acks::AckQueue;
use crate::net::{self, FrameReader, FrameWriter};
use crate::storage::{IoHandle, Store};

/// Connection attempts to the next server of a chain, and how long each
/// may take.
const CHAIN_CONNECT_ATTEMPTS: u32 = 3;
const CHAIN_CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
/// How long we wait for the rest of the chain to confirm the last writes
/// after `WRITE_FINISH`.
const FINISH_TIMEOUT: Duration = Duration::from_secs(30);

/// How a session left the client connection.
#[derive(Debug, PartialEq, Eq)]
pub enum After {
    /// Ready for the next request.
    KeepOpen,
    /// The connection is broken or misbehaved; close it.
    Close,
}

/// The next server of the chain.
struct Next {
    reader: FrameReader,
    writer: FrameWriter,
}

/// One write session on one chunk.
struct Session<'a> {
    store: &'a Arc<Store>,
    client: &'a mut FrameWriter,
    chunkid: u64,
    version: u32,
    next: Option<Next>,
    /// The open chunk; lent to each blocking write and given back.
    handle: Option<IoHandle>,
    acks: AckQueue,
    wrote: bool,
}

/// Runs a session to its end.
pub async fn serve(
    store: &Arc<Store>,
    reader: &mut FrameReader,
    client: &mut FrameWriter,
    req: cltocs::Write,
    shutdown: &mut watch::Receiver<bool>,
) -> io::Result<After> {
    let (chunkid, version) = (req.chunkid, req.version);
    let next = match req.chain.0.split_first() {
        Some((first, rest)) => {
            let forward = cltocs::Write {
                protocolid: req.protocolid,
                chunkid,
                version,
                chain: Rest(rest.to_vec()),
            };
            match connect_next(SocketAddr::from((first.ip, first.port)), &forward).await {
                Some(next) => Some(next),
                None => {
                    send_status(client, chunkid, 0, Status::CANTCONNECT).await?;
                    return Ok(After::KeepOpen);
                }
            }
        }
        None => None,
    };
    let handle = match open(store, chunkid, version).await {
        Ok(handle) => handle,
        Err(status) => {
            send_status(client, chunkid, 0, status).await?;
            return Ok(After::KeepOpen);
        }
    };
    if next.is_none() {
        send_status(client, chunkid, 0, Status::OK).await?;
    }
    let mut session = Session {
        store,
        client,
        chunkid,
        version,
        next,
        handle: Some(handle),
        acks: AckQueue::default(),
        wrote: false,
    };
    let result = session.run(reader, shutdown).await;
    let sync = session.wrote;
    if let Some(handle) = session.handle.take() {
        if let Err(status) = close(store, handle, sync).await {
            warn!(
                chunk = format_args!("{chunkid:016X}"),
                ?status,
                "closing chunk after write failed"
            );
        }
    }
    result
}

/// Opens the chunk for the session: at once if its file is open already,
/// otherwise on a blocking thread. A session of a few small writes spends
/// as much time in hand-offs to blocking threads as in writing.
async fn open(store: &Arc<Store>, chunkid: u64, version: u32) -> Result<IoHandle, Status> {
    match store.open_io_cached(chunkid, version) {
        Some(handle) => Ok(handle),
        None => store.run(move |s| s.open_io(chunkid, version)).await,
    }
}

/// Ends the session: at once unless the chunk is to be synced.
async fn close(store: &Arc<Store>, handle: IoHandle, sync: bool) -> Result<(), Status> {
    if store.close_syncs(sync) {
        store.run(move |s| s.close(handle, sync)).await
    } else {
        store.close(handle, sync)
    }
}

/// Connects to the next server and starts its session, retrying a little
/// as mfschunkserver does.
async fn connect_next(addr: SocketAddr, forward: &cltocs::Write) -> Option<Next> {
    let max = Direction::FromChunkserver.max_payload();
    for attempt in 1..=CHAIN_CONNECT_ATTEMPTS {
        match net::connect(addr, CHAIN_CONNECT_TIMEOUT, max).await {
            Ok((reader, mut writer)) => {
                if writer.send(forward).await.is_ok() {
                    return Some(Next { reader, writer });
                }
            }
            Err(err) => debug!(%addr, attempt, %err, "cannot reach next chunkserver"),
        }
    }
    warn!(%addr, "cannot reach next chunkserver of the write chain");
    None
}

async fn send_status(
    client: &mut FrameWriter,
    chunkid: u64,
    writeid: u32,
    status: Status,
) -> io::Result<()> {
    client
        .send(&cstocl::WriteStatus {
            chunkid,
            writeid,
            status,
        })
        .await
}

/// What ended the data phase.
enum Flow {
    Continue,
    End(After),
}

impl Session<'_> {
    async fn run(
        &mut self,
        reader: &mut FrameReader,
        shutdown: &mut watch::Receiver<bool>,
    ) -> io::Result<After> {
        loop {
            let flow = tokio::select! {
                _ = shutdown.changed() => {
                    debug!(chunk = format_args!("{:016X}", self.chunkid), "write session aborted by shutdown");
                    Flow::End(After::Close)
                }
                frame = reader.next() => match frame {
                    Ok(Some(frame)) => self.on_client_packet(reader, frame).await?,
                    Ok(None) | Err(_) => Flow::End(After::Close),
                },
                frame = next_frame(&mut self.next) => self.on_next_packet(frame).await?,
            };
            if let Flow::End(after) = flow {
                return Ok(after);
            }
        }
    }

    async fn on_client_packet(
        &mut self,
        reader: &mut FrameReader,
        frame: Frame,
    ) -> io::Result<Flow> {
        let message = match decode_in_session(&frame) {
            Ok(message) => message,
            Err(err) => {
                warn!(%err, "malformed packet in a write session; closing");
                return Ok(Flow::End(After::Close));
            }
        };
        match message {
            ToChunkserver::WriteData(data) => self.write_data(reader, frame, data).await,
            ToChunkserver::WriteFinish(finish) => self.finish(frame, finish).await,
            ToChunkserver::Nop(_) => {
                if let Some(next) = self.next.as_mut() {
                    if next.writer.send_frame(&frame).await.is_err() {
                        send_status(self.client, self.chunkid, 0, Status::DISCONNECTED).await?;
                        return Ok(Flow::End(After::KeepOpen));
                    }
                }
                self.client.send(&antoan::Nop { msgid: None }).await?;
                Ok(Flow::Continue)
            }
            other => {
                warn!(
                    message = other.name(),
                    "unexpected packet in a write session; closing"
                );
                Ok(Flow::End(After::Close))
            }
        }
    }

    /// Serves a `WRITE_DATA` together with those already queued behind it
    /// (up to [`WRITES_PER_TRIP`]): one forward write, one trip to a
    /// blocking thread and one write of statuses for all of them. They are
    /// written in order and the first failure stops the rest, as if they
    /// had come one by one.
    async fn write_data(
        &mut self,
        reader: &mut FrameReader,
        frame: Frame,
        data: cltocs::WriteData,
    ) -> io::Result<Flow> {
        let batch = Batch::gather(reader, self.chunkid, frame, data);
        if batch.writes.is_empty() {
            return self.after_batch(batch.stop).await;
        }
        let Some(handle) = self.handle.take() else {
            return Ok(Flow::End(After::Close));
        };
        if let Some(next) = self.next.as_mut() {
            if next.writer.send_frames(&batch.frames).await.is_err() {
                self.handle = Some(handle);
                send_status(self.client, self.chunkid, 0, Status::DISCONNECTED).await?;
                return Ok(Flow::End(After::KeepOpen));
            }
            for write in &batch.writes {
                self.acks.expect(write.writeid);
            }
        }
        let first = batch.writes[0].writeid;
        let writes = batch.writes;
        let result = self
            .store
            .run(move |s| {
                let mut statuses = Vec::with_capacity(writes.len());
                for write in &writes {
                    let (block, offset) = (write.blocknum, u32::from(write.offset));
                    let payload = &write.block;
                    let status = s
                        .write_piece(&handle, block, offset, payload.crc, &payload.data)
                        .err()
                        .unwrap_or(Status::OK);
                    statuses.push((write.writeid, status));
                    if !status.is_ok() {
                        break;
                    }
                }
                Ok((handle, statuses))
            })
            .await;
        let statuses = match result {
            Ok((handle, statuses)) => {
                self.handle = Some(handle);
                statuses
            }
            Err(status) => vec![(first, status)],
        };
        self.wrote = true;
        if self.next.is_none() {
            let failed = statuses.iter().any(|(_, status)| !status.is_ok());
            self.send_statuses(&statuses).await?;
            if failed {
                return Ok(Flow::End(After::KeepOpen));
            }
            return self.after_batch(batch.stop).await;
        }
        for (writeid, status) in statuses {
            self.acks.local(writeid, status);
        }
        match self.flush().await? {
            Flow::Continue => self.after_batch(batch.stop).await,
            end => Ok(end),
        }
    }

    /// Ends the session if gathering a batch met a packet that ends it.
    async fn after_batch(&mut self, stop: Option<BatchStop>) -> io::Result<Flow> {
        match stop {
            None => Ok(Flow::Continue),
            Some(BatchStop::WrongChunk) => {
                send_status(self.client, self.chunkid, 0, Status::WRONGCHUNKID).await?;
                Ok(Flow::End(After::KeepOpen))
            }
            Some(BatchStop::Malformed) => {
                warn!("malformed packet in a write session; closing");
                Ok(Flow::End(After::Close))
            }
        }
    }

    /// Sends statuses to the client in one write.
    async fn send_statuses(&mut self, statuses: &[(u32, Status)]) -> io::Result<()> {
        let mut out = BytesMut::new();
        for &(writeid, status) in statuses {
            let packet = cstocl::WriteStatus {
                chunkid: self.chunkid,
                writeid,
                status,
            };
            net::encode_frame(&packet, &mut out);
        }
        self.client.send_encoded(&out).await
    }

    /// Sends every status that is ready; a failure ends the session.
    async fn flush(&mut self) -> io::Result<Flow> {
        let ready = self.acks.ready();
        self.send_statuses(&ready).await?;
        if ready.iter().any(|(_, status)| !status.is_ok()) {
            return Ok(Flow::End(After::KeepOpen));
        }
        Ok(Flow::Continue)
    }

    async fn finish(&mut self, frame: Frame, finish: cltocs::WriteFinish) -> io::Result<Flow> {
        if finish.chunkid != self.chunkid || finish.version != self.version {
            send_status(self.client, self.chunkid, 0, Status::WRONGCHUNKID).await?;
            return Ok(Flow::End(After::KeepOpen));
        }
        let Some(next) = self.next.as_mut() else {
            return Ok(Flow::End(After::KeepOpen));
        };
        if next.writer.send_frame(&frame).await.is_err() {
            return Ok(Flow::End(After::Close));
        }
        let deadline = tokio::time::Instant::now() + FINISH_TIMEOUT;
        while !self.acks.is_empty() {
            let frame = match tokio::time::timeout_at(deadline, next_frame(&mut self.next)).await {
                Ok(frame) => frame,
                Err(_) => return Ok(Flow::End(After::Close)),
            };
            if let Flow::End(after) = self.on_next_packet(frame).await? {
                return Ok(Flow::End(after));
            }
        }
        Ok(Flow::End(After::KeepOpen))
    }

    /// A packet from the next server: a status to pass back.
    async fn on_next_packet(&mut self, frame: Option<FromChunkserver>) -> io::Result<Flow> {
        match frame {
            Some(FromChunkserver::WriteStatus(status)) if status.writeid == 0 => {
                send_status(self.client, self.chunkid, 0, status.status).await?;
                Ok(if status.status.is_ok() {
                    Flow::Continue
                } else {
                    Flow::End(After::KeepOpen)
                })
            }
            Some(FromChunkserver::WriteStatus(status)) => {
                if status.chunkid != self.chunkid
                    || self.acks.next(status.writeid, status.status).is_err()
                {
                    warn!(
                        writeid = status.writeid,
                        "next chunkserver answered out of order; closing"
                    );
                    return Ok(Flow::End(After::Close));
                }
                self.flush().await
            }
            Some(FromChunkserver::Nop(_)) => Ok(Flow::Continue),
            _ => {
                send_status(self.client, self.chunkid, 0, Status::DISCONNECTED).await?;
                Ok(Flow::End(After::KeepOpen))
            }
        }
    }
}

/// `WRITE_DATA` packets served together, at most this many: enough that
/// the blocking-thread trip and the socket writes are shared by a good
/// part of what a client keeps in flight.
const WRITES_PER_TRIP: usize = 16;

/// `WRITE_DATA` packets served together, with the frames they came in
/// (forwarded as they are).
struct Batch {
    frames: Vec<Frame>,
    writes: Vec<cltocs::WriteData>,
    /// A queued packet that ends the session once the batch is served.
    stop: Option<BatchStop>,
}

/// Why gathering a batch stopped early.
#[derive(Clone, Copy)]
enum BatchStop {
    /// A `WRITE_DATA` for another chunk: `MFS_ERROR_WRONGCHUNKID`.
    WrongChunk,
    /// A packet that does not decode: the connection closes.
    Malformed,
}

impl Batch {
    /// The write just received and those wholly received behind it.
    fn gather(
        reader: &mut FrameReader,
        chunkid: u64,
        frame: Frame,
        data: cltocs::WriteData,
    ) -> Batch {
        let mut batch = Batch {
            frames: Vec::new(),
            writes: Vec::new(),
            stop: None,
        };
        let (mut frame, mut data) = (frame, data);
        loop {
            if data.chunkid != chunkid {
                batch.stop = Some(BatchStop::WrongChunk);
                break;
            }
            batch.frames.push(frame);
            batch.writes.push(data);
            if batch.writes.len() == WRITES_PER_TRIP {
                break;
            }
            // A frame too large to take is left for the session's next
            // read, which reports it.
            let Ok(Some(queued)) = reader.next_buffered(cltocs::WriteData::CODE) else {
                break;
            };
            match decode_in_session(&queued) {
                Ok(ToChunkserver::WriteData(queued_data)) => (frame, data) = (queued, queued_data),
                _ => {
                    batch.stop = Some(BatchStop::Malformed);
                    break;
                }
            }
        }
        batch
    }
}

/// Decodes a packet from the client of a session, a `WRITE_DATA`'s block
/// as a slice of the frame rather than a copy of it.
fn decode_in_session(frame: &Frame) -> Result<ToChunkserver, DecodeError> {
    if frame.kind == cltocs::WriteData::CODE {
        return cltocs::WriteData::decode_shared(&frame.payload).map(ToChunkserver::WriteData);
    }
    ToChunkserver::decode_frame(frame, Ctx::default())
}

/// The next decoded packet from the next server; `None` when it is gone
/// or sent garbage. Never resolves when there is no next server.
async fn next_frame(next: &mut Option<Next>) -> Option<FromChunkserver> {
    let Some(next) = next.as_mut() else {
        return std::future::pending().await;
    };
    let frame = next.reader.next().await.ok()??;
    FromChunkserver::decode_frame(&frame, Ctx::default()).ok()
}
