//! Talking to chunkservers: reading a range of one chunk and writing
//! blocks through a replication chain, with a checksum on every block.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Mutex;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use mooseng_wire::antoan::Nop;
use mooseng_wire::cltocs::{ChainLink, ProtocolId, Read, Write, WriteData, WriteFinish};
use mooseng_wire::cstocl::{ReadData, ReadStatus, WriteStatus};
use mooseng_wire::{CrcData, Ctx, Direction, Message, Rest, Status};
use tokio::io::{AsyncRead, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::frame_io;
use crate::geometry::{block_pieces, BLOCK_SIZE};

/// How long a chunkserver may stay silent before we give up on it.
const IO_TIMEOUT: Duration = Duration::from_secs(10);
/// Bytes of WRITE_DATA frames gathered before one socket write.
const SEND_BATCH: usize = 1 << 20;
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

/// Idle chunkserver connections, so sequential reads skip the handshake.
#[derive(Debug, Default)]
pub struct Pool {
    idle: Mutex<HashMap<SocketAddr, Vec<TcpStream>>>,
}

async fn within<T>(f: impl std::future::Future<Output = Result<T, CsError>>) -> Result<T, CsError> {
    tokio::time::timeout(IO_TIMEOUT, f)
        .await
        .map_err(|_| CsError::Timeout)?
}

async fn connect(addr: SocketAddr) -> Result<TcpStream, CsError> {
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
    fn take(&self, addr: SocketAddr) -> Option<TcpStream> {
        self.idle.lock().ok()?.get_mut(&addr)?.pop()
    }

    fn give_back(&self, addr: SocketAddr, stream: TcpStream) {
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
        let mut stream = connect(addr).await?;
        let data = read_on(&mut stream, chunk, offset, size).await?;
        self.give_back(addr, stream);
        Ok(data)
    }
}

async fn read_on(
    stream: &mut TcpStream,
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

/// Writes `pieces` (offset in the chunk, bytes) of a chunk through `chain`
/// (the first server forwards to the others): every block piece of every
/// range leaves at once, one WRITE_DATA each with its CRC, and only then are
/// the statuses collected, so the chain streams instead of waiting per block.
pub async fn write(
    chain: &[SocketAddr],
    chunk: ChunkRef,
    pieces: &[(u32, Bytes)],
) -> Result<(), CsError> {
    let (first, rest) = chain
        .split_first()
        .ok_or(CsError::Status(Status::NOCHUNKSERVERS))?;
    let mut stream = connect(*first).await?;
    let open = Write {
        protocolid: ProtocolId::CURRENT,
        chunkid: chunk.chunkid,
        version: chunk.version,
        chain: Rest(
            rest.iter()
                .filter_map(|addr| match addr {
                    SocketAddr::V4(v4) => Some(ChainLink {
                        ip: *v4.ip(),
                        port: v4.port(),
                    }),
                    SocketAddr::V6(_) => None,
                })
                .collect(),
        ),
    };
    within(async { Ok(frame_io::send(&mut stream, &open).await?) }).await?;
    expect_status(&mut stream, chunk, 0).await?;

    let (mut reader, mut writer) = stream.split();
    let send = async {
        let mut buf = BytesMut::new();
        let mut writeid = 0;
        for (offset, data) in pieces {
            for piece in block_pieces(*offset, data.len() as u32) {
                writeid += 1;
                let bytes = data.slice(piece.pos..piece.pos + piece.len as usize);
                let message = WriteData {
                    chunkid: chunk.chunkid,
                    writeid,
                    blocknum: piece.block,
                    offset: piece.offset,
                    block: CrcData::new(crc32fast::hash(&bytes), bytes),
                };
                message.to_frame().write_to(&mut buf);
                if buf.len() >= SEND_BATCH {
                    within(async { Ok(writer.write_all(&buf).await?) }).await?;
                    buf.clear();
                }
            }
        }
        within(async { Ok(writer.write_all(&buf).await?) }).await?;
        Ok::<(), CsError>(())
    };
    let expected: u32 = pieces
        .iter()
        .map(|(offset, data)| block_pieces(*offset, data.len() as u32).count() as u32)
        .sum();
    // Statuses are read while blocks are still being sent, so neither side's
    // socket buffer fills up and stalls the other.
    let receive = async {
        for id in 1..=expected {
            expect_status(&mut reader, chunk, id).await?;
        }
        Ok::<(), CsError>(())
    };
    let (sent, received) = tokio::join!(send, receive);
    sent?;
    received?;
    let finish = WriteFinish {
        chunkid: chunk.chunkid,
        version: chunk.version,
    };
    within(async { Ok(frame_io::send(&mut writer, &finish).await?) }).await?;
    Ok(())
}

async fn expect_status<R: AsyncRead + Unpin>(
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
