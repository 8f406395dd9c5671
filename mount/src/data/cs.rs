//! Talking to chunkservers: reading a range of one chunk, with a checksum
//! on every block, over pooled connections; the steps a write chain shares
//! (connecting, statuses) are here too, the chain itself in `chain.rs`.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Mutex;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use mooseng_wire::antoan::Nop;
use mooseng_wire::cltocs::{ProtocolId, Read};
use mooseng_wire::cstocl::{ReadData, ReadStatus, WriteStatus};
use mooseng_wire::{Ctx, Direction, Status};
use tokio::io::{AsyncRead, BufReader};
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

/// Idle chunkserver connections, so sequential reads skip the handshake.
#[derive(Debug, Default)]
pub struct Pool {
    idle: Mutex<HashMap<SocketAddr, Vec<ReadConn>>>,
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

    /// Reads `size` bytes at `offset` of a chunk from one chunkserver,
    /// checking the CRC of every piece received.
    pub async fn read(
        &self,
        addr: SocketAddr,
        chunk: ChunkRef,
        offset: u32,
        size: u32,
    ) -> Result<Bytes, CsError> {
        if let Some(mut stream) = self.take(addr) {
            match read_on(&mut stream, chunk, offset, size).await {
                Ok(data) => {
                    self.give_back(addr, stream);
                    return Ok(data);
                }
                // The chunkserver closes connections idle too long: that
                // one was stale, so try a fresh one before giving up.
                Err(CsError::Io(_)) => {}
                Err(e) => return Err(e),
            }
        }
        let mut stream = BufReader::new(connect(addr).await?);
        let data = read_on(&mut stream, chunk, offset, size).await?;
        self.give_back(addr, stream);
        Ok(data)
    }
}

async fn read_on(
    stream: &mut ReadConn,
    chunk: ChunkRef,
    offset: u32,
    size: u32,
) -> Result<Bytes, CsError> {
    let request = Read {
        protocolid: ProtocolId::CURRENT,
        chunkid: chunk.chunkid,
        version: chunk.version,
        offset,
        size,
    };
    within(async { Ok(frame_io::send(stream, &request).await?) }).await?;
    let mut out = BytesMut::zeroed(size as usize);
    let mut received = 0usize;
    loop {
        let frame = next(stream).await?;
        if frame.kind == ReadStatus::CODE {
            let status: ReadStatus = frame_io::decode(&frame, Ctx::default())?;
            if !status.status.is_ok() {
                return Err(CsError::Status(status.status));
            }
            if received != size as usize {
                return Err(CsError::Range);
            }
            return Ok(out.freeze());
        }
        let piece: ReadData = frame_io::decode(&frame, Ctx::default())?;
        if piece.chunkid != chunk.chunkid {
            return Err(CsError::Range);
        }
        if crc32fast::hash(&piece.block.data) != piece.block.crc {
            return Err(CsError::Crc {
                block: piece.blocknum,
            });
        }
        let at = u64::from(piece.blocknum) * BLOCK_SIZE + u64::from(piece.offset);
        let start = at.checked_sub(u64::from(offset)).ok_or(CsError::Range)? as usize;
        let end = start + piece.block.data.len();
        let target = out.get_mut(start..end).ok_or(CsError::Range)?;
        target.copy_from_slice(&piece.block.data);
        received += piece.block.data.len();
    }
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
