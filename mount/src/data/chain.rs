//! One open CLTOCS_WRITE connection to a chunk's replication chain. It
//! stays open across sends, as mfsmount's write worker keeps it while a
//! file is written, so a flush costs only its data: no connection, chain
//! set-up or chunk version step of its own. Sending and acknowledging are
//! apart: a task reads the chain's statuses as they come, so the next
//! send can leave while earlier blocks are still on their way down the
//! chain.

use std::net::SocketAddr;

use bytes::{Bytes, BytesMut};
use mooseng_wire::cltocs::{ChainLink, ProtocolId, Write, WriteData, WriteFinish};
use mooseng_wire::{Rest, Status};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::sync::mpsc;

use super::cs::{connect, expect_status, within, ChunkRef, CsError};
use super::files::AbortOnDrop;
use crate::frame_io;
use crate::geometry::block_pieces;

/// Bytes of WRITE_DATA data gathered before one vectored socket write.
const SEND_BATCH: usize = 1 << 20;

/// A chain connection on which the chunkservers accepted CLTOCS_WRITE.
#[derive(Debug)]
pub struct Chain {
    writer: OwnedWriteHalf,
    chunk: ChunkRef,
    /// The id of the last WRITE_DATA sent; each send continues from it.
    last_writeid: u32,
    /// Write ids the chain acknowledged, in order, or the error that
    /// ended the reading.
    acks: mpsc::UnboundedReceiver<Result<u32, CsError>>,
    _reader: AbortOnDrop,
}

impl Chain {
    /// Connects to the first server of `chain` and opens the write of
    /// `chunk`, the first server forwarding to the others.
    pub async fn open(chain: &[SocketAddr], chunk: ChunkRef) -> Result<Chain, CsError> {
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
        let (reader, writer) = stream.into_split();
        let (sender, acks) = mpsc::unbounded_channel();
        let task = tokio::spawn(read_acks(reader, chunk, sender));
        Ok(Chain {
            writer,
            chunk,
            last_writeid: 0,
            acks,
            _reader: AbortOnDrop(task.abort_handle()),
        })
    }

    /// Sends `pieces` (offset in the chunk, bytes) without waiting for
    /// their acknowledgement and returns the last write id they took:
    /// one WRITE_DATA per block piece with its CRC, its data sent from the
    /// write buffer itself rather than copied into frames. After an error
    /// the connection is in an unknown state and must be dropped.
    pub async fn send(&mut self, pieces: &[(u32, Bytes)]) -> Result<u32, CsError> {
        let mut heads = BytesMut::new();
        let mut parts: Vec<Bytes> = Vec::new();
        let mut batched = 0;
        for (offset, data) in pieces {
            for piece in block_pieces(*offset, data.len() as u32) {
                self.last_writeid += 1;
                let bytes = data.slice(piece.pos..piece.pos + piece.len as usize);
                WriteData::encode_frame_head(
                    self.chunk.chunkid,
                    self.last_writeid,
                    piece.block,
                    piece.offset,
                    piece.len,
                    crc32fast::hash(&bytes),
                    &mut heads,
                );
                parts.push(heads.split().freeze());
                batched += bytes.len();
                parts.push(bytes);
                if batched >= SEND_BATCH {
                    self.write(&parts).await?;
                    parts.clear();
                    batched = 0;
                }
            }
        }
        self.write(&parts).await?;
        Ok(self.last_writeid)
    }

    async fn write(&mut self, parts: &[Bytes]) -> Result<(), CsError> {
        let writer = &mut self.writer;
        within(async { Ok(frame_io::write_parts(writer, parts).await?) }).await
    }

    /// The next write id the chain acknowledged. Safe to cancel: nothing
    /// is lost when another event is taken first.
    pub async fn next_ack(&mut self) -> Result<u32, CsError> {
        self.acks.recv().await.unwrap_or(Err(CsError::Timeout))
    }

    /// Ends the write with WRITE_FINISH; the chunkservers close the chunk.
    pub async fn finish(mut self) -> Result<(), CsError> {
        let finish = WriteFinish {
            chunkid: self.chunk.chunkid,
            version: self.chunk.version,
        };
        within(async { Ok(frame_io::send(&mut self.writer, &finish).await?) }).await
    }
}

/// Reads the chain's statuses, which come in write-id order, until one is
/// not OK or the connection fails; the chunkservers send keep-alives while
/// a write is slow, so silence past the timeout is a failure.
async fn read_acks(
    mut reader: OwnedReadHalf,
    chunk: ChunkRef,
    acks: mpsc::UnboundedSender<Result<u32, CsError>>,
) {
    for writeid in 1.. {
        let status = expect_status(&mut reader, chunk, writeid).await;
        let failed = status.is_err();
        if acks.send(status.map(|()| writeid)).is_err() || failed {
            return;
        }
    }
}
