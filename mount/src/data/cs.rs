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
use mooseng_wire::cstocl::{ReadData, ReadDataHead, ReadStatus, WriteStatus};
use mooseng_wire::frame::{peek_header, HEADER_LEN};
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
        let piece = match within(next_read_arrival(stream)).await? {
            ReadArrival::Data(piece) => piece,
            ReadArrival::Other(frame) => {
                let status: ReadStatus = frame_io::decode(&frame, Ctx::default())?;
                if !status.status.is_ok() {
                    return Err(CsError::Status(status.status));
                }
                if received != size as usize {
                    return Err(CsError::Range);
                }
                return Ok(out.freeze());
            }
        };
        if piece.chunkid != chunk.chunkid {
            return Err(CsError::Range);
        }
        let at = u64::from(piece.blocknum) * BLOCK_SIZE + u64::from(piece.offset);
        let start = at.checked_sub(u64::from(offset)).ok_or(CsError::Range)? as usize;
        let end = start + piece.size as usize;
        let target = out.get_mut(start..end).ok_or(CsError::Range)?;
        within(async { Ok(stream.read_exact(target).await?) }).await?;
        if crc32fast::hash(target) != piece.crc {
            return Err(CsError::Crc {
                block: piece.blocknum,
            });
        }
        received += piece.size as usize;
    }
}

/// What a read connection delivers next.
enum ReadArrival {
    /// The head of a `READ_DATA`, its data still on the connection: it is
    /// read straight into the caller's buffer, not through a frame.
    Data(ReadDataHead),
    /// Any other frame but a NOP (a `READ_STATUS`, or something wrong).
    Other(mooseng_wire::Frame),
}

async fn next_read_arrival(stream: &mut ReadConn) -> Result<ReadArrival, CsError> {
    loop {
        let mut header = [0u8; HEADER_LEN];
        stream.read_exact(&mut header).await?;
        let (kind, len) = peek_header(&header, Direction::FromChunkserver.max_payload())
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e.to_string()))?
            .ok_or(CsError::Range)?;
        if kind == ReadData::CODE {
            let mut head = [0u8; ReadDataHead::LEN];
            let size = (len as usize)
                .checked_sub(ReadDataHead::LEN)
                .ok_or(CsError::Range)?;
            stream.read_exact(&mut head).await?;
            let head = ReadDataHead::decode(&head);
            if head.size as usize != size {
                return Err(CsError::Range);
            }
            return Ok(ReadArrival::Data(head));
        }
        let mut payload = vec![0u8; len as usize];
        stream.read_exact(&mut payload).await?;
        if kind != Nop::CODE {
            return Ok(ReadArrival::Other(mooseng_wire::Frame::new(kind, payload)));
        }
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
