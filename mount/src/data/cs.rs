//! Talking to chunkservers: reading a range of one chunk, with a checksum
//! on every block, over pooled connections; the steps a write chain shares
//! (connecting, statuses) are here too, the chain itself in `chain.rs`.

use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Mutex;
use std::time::Duration;

use bytes::BytesMut;
use mooseng_wire::antoan::Nop;
use mooseng_wire::cltocs::{ProtocolId, Read};
use mooseng_wire::cstocl::{ReadData, ReadDataHead, ReadStatus, WriteStatus};
use mooseng_wire::{Ctx, Direction, Status};
use tokio::io::{AsyncRead, AsyncReadExt, BufReader};
use tokio::net::TcpStream;

use crate::frame_io;
use crate::geometry::BLOCK_SIZE;

/// How long a chunkserver may stay silent before we give up on it.
const IO_TIMEOUT: Duration = Duration::from_secs(10);
/// Idle connections kept per chunkserver for the next read: enough for a
/// queue of parallel reads (AIO, read-ahead parts) not to reconnect.
const POOL_PER_SERVER: usize = 32;

#[derive(Debug, thiserror::Error)]
pub enum CsError {
    #[error("chunkserver connection: {0}")]
    Io(#[from] std::io::Error),
    #[error("chunkserver answered {0:?}")]
    Status(Status),
    #[error("block {block} arrived with a wrong checksum")]
    Crc { block: u16 },
    #[error("chunkserver sent data outside the requested range")]
    Range,
    #[error("chunkserver timed out")]
    Timeout,
}

/// One chunk in one version, as the master named it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChunkRef {
    pub chunkid: u64,
    pub version: u32,
}

/// A read connection, buffered so that a small read's data and status
/// frames arrive in one system call rather than two per frame.
type ReadConn = BufReader<TcpStream>;

/// Idle chunkserver connections, so sequential reads skip the handshake,
/// and the reads under way per chunkserver, so the next goes to the copy
/// with the fewest.
#[derive(Debug, Default)]
pub struct Pool {
    idle: Mutex<HashMap<SocketAddr, Vec<ReadConn>>>,
    busy: Mutex<HashMap<SocketAddr, usize>>,
}

/// Counts one read under way on a chunkserver while it lives.
struct Busy<'a> {
    pool: &'a Pool,
    addr: SocketAddr,
}

impl Drop for Busy<'_> {
    fn drop(&mut self) {
        if let Ok(mut busy) = self.pool.busy.lock() {
            if let Some(count) = busy.get_mut(&self.addr) {
                *count -= 1;
                if *count == 0 {
                    busy.remove(&self.addr);
                }
            }
        }
    }
}

pub(super) async fn within<T>(
    f: impl std::future::Future<Output = Result<T, CsError>>,
) -> Result<T, CsError> {
    tokio::time::timeout(IO_TIMEOUT, f)
        .await
        .map_err(|_| CsError::Timeout)?
}

pub(super) async fn connect(addr: SocketAddr) -> Result<TcpStream, CsError> {
    let stream = within(async { Ok(TcpStream::connect(addr).await?) }).await?;
    stream.set_nodelay(true)?;
    Ok(stream)
}

/// The next frame that is not a keep-alive NOP (chunkservers send them
/// while a long read or write is under way).
async fn next<R: AsyncRead + Unpin>(stream: &mut R) -> Result<mooseng_wire::Frame, CsError> {
    loop {
        let frame = within(async {
            Ok(frame_io::read_frame(stream, Direction::FromChunkserver.max_payload()).await?)
        })
        .await?;
        if frame.kind != Nop::CODE {
            return Ok(frame);
        }
    }
}

impl Pool {
    /// Of `copies`, the one with the fewest reads under way; among equals
    /// the first from position `first` on, so that callers spread their
    /// reads by choosing different starting points.
    pub fn least_busy(&self, copies: &[(Ipv4Addr, u16)], first: usize) -> Option<SocketAddr> {
        let busy = self.busy.lock().ok()?;
        let count = |addr: &SocketAddr| busy.get(addr).copied().unwrap_or(0);
        (0..copies.len())
            .map(|i| copies[(first + i) % copies.len()])
            .map(|(ip, port)| SocketAddr::new(ip.into(), port))
            .min_by_key(count)
    }

    fn busy(&self, addr: SocketAddr) -> Busy<'_> {
        if let Ok(mut busy) = self.busy.lock() {
            *busy.entry(addr).or_default() += 1;
        }
        Busy { pool: self, addr }
    }

    fn take(&self, addr: SocketAddr) -> Option<ReadConn> {
        self.idle.lock().ok()?.get_mut(&addr)?.pop()
    }

    fn give_back(&self, addr: SocketAddr, stream: ReadConn) {
        if let Ok(mut idle) = self.idle.lock() {
            let list = idle.entry(addr).or_default();
            if list.len() < POOL_PER_SERVER {
                list.push(stream);
            }
        }
    }

    /// Appends `size` bytes at `offset` of a chunk, read from one
    /// chunkserver, to `out`, checking the CRC of every piece received. On
    /// an error `out` may hold part of the range.
    pub async fn read(
        &self,
        addr: SocketAddr,
        chunk: ChunkRef,
        offset: u32,
        size: u32,
        out: &mut BytesMut,
    ) -> Result<(), CsError> {
        let start = out.len();
        let _busy = self.busy(addr);
        if let Some(mut stream) = self.take(addr) {
            match read_on(&mut stream, chunk, offset, size, out).await {
                Ok(()) => {
                    self.give_back(addr, stream);
                    return Ok(());
                }
                // The chunkserver closes connections idle too long: that
                // one was stale, so try a fresh one before giving up.
                Err(CsError::Io(_)) => out.truncate(start),
                Err(e) => return Err(e),
            }
        }
        let mut stream = BufReader::new(connect(addr).await?);
        read_on(&mut stream, chunk, offset, size, out).await?;
        self.give_back(addr, stream);
        Ok(())
    }
}

/// Reads a range of a chunk on `stream`. The data of each `READ_DATA` goes
/// from the socket straight into `out`: the pieces come in order, as
/// MooseFS chunkservers send them, and one out of order is refused.
async fn read_on(
    stream: &mut ReadConn,
    chunk: ChunkRef,
    offset: u32,
    size: u32,
    out: &mut BytesMut,
) -> Result<(), CsError> {
    let request = Read {
        protocolid: ProtocolId::CURRENT,
        chunkid: chunk.chunkid,
        version: chunk.version,
        offset,
        size,
    };
    within(async { Ok(frame_io::send(stream, &request).await?) }).await?;
    out.reserve(size as usize);
    let max_payload = Direction::FromChunkserver.max_payload();
    let mut received = 0u32;
    loop {
        let (kind, len) =
            within(async { Ok(frame_io::read_header(stream, max_payload).await?) }).await?;
        if kind != ReadData::CODE {
            let frame =
                within(async { Ok(frame_io::read_payload(stream, kind, len).await?) }).await?;
            if kind == Nop::CODE {
                continue;
            }
            let status: ReadStatus = frame_io::decode(&frame, Ctx::default())?;
            if !status.status.is_ok() {
                return Err(CsError::Status(status.status));
            }
            return if received == size {
                Ok(())
            } else {
                Err(CsError::Range)
            };
        }
        let mut head = [0u8; ReadDataHead::LEN];
        within(async { Ok(stream.read_exact(&mut head).await.map(drop)?) }).await?;
        let head = ReadDataHead::decode(&head);
        let at = u64::from(head.blocknum) * BLOCK_SIZE + u64::from(head.offset);
        let in_order = at == u64::from(offset) + u64::from(received);
        let fits = head.size <= size - received
            && u64::from(len) == ReadDataHead::LEN as u64 + u64::from(head.size);
        if head.chunkid != chunk.chunkid || !in_order || !fits {
            return Err(CsError::Range);
        }
        let from = out.len();
        within(async { Ok(read_into(stream, head.size, out).await?) }).await?;
        if crc32fast::hash(&out[from..]) != head.crc {
            return Err(CsError::Crc {
                block: head.blocknum,
            });
        }
        received += head.size;
    }
}

/// Appends exactly `len` bytes from `stream` to `out`, without zeroing
/// them first; a large read bypasses the stream's buffer.
async fn read_into(stream: &mut ReadConn, len: u32, out: &mut BytesMut) -> std::io::Result<()> {
    let mut limited = stream.take(u64::from(len));
    while limited.limit() > 0 {
        if limited.read_buf(out).await? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
    }
    Ok(())
}

pub(super) async fn expect_status<R: AsyncRead + Unpin>(
    stream: &mut R,
    chunk: ChunkRef,
    writeid: u32,
) -> Result<(), CsError> {
    let frame = next(stream).await?;
    let status: WriteStatus = frame_io::decode(&frame, Ctx::default())?;
    if !status.status.is_ok() {
        return Err(CsError::Status(status.status));
    }
    if status.chunkid != chunk.chunkid || status.writeid != writeid {
        return Err(CsError::Range);
    }
    Ok(())
}
