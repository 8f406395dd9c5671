//! One open CLTOCS_WRITE connection to a chunk's replication chain. It
//! stays open across sends, as mfsmount's write worker keeps it while a
//! file is written, so a flush costs only its data: no connection, chain
//! set-up or chunk version step of its own.

use std::net::SocketAddr;

use bytes::{Bytes, BytesMut};
use mooseng_wire::cltocs::{ChainLink, ProtocolId, Write, WriteData, WriteFinish};
use mooseng_wire::{Rest, Status};
use tokio::net::TcpStream;

use super::cs::{connect, expect_status, within, ChunkRef, CsError};
use crate::frame_io;
use crate::geometry::block_pieces;

/// Bytes of WRITE_DATA data gathered before one vectored socket write.
const SEND_BATCH: usize = 1 << 20;

/// A chain connection on which the chunkservers accepted CLTOCS_WRITE.
#[derive(Debug)]
pub struct Chain {
    stream: TcpStream,
    chunk: ChunkRef,
    /// The id of the last WRITE_DATA sent; each send continues from it.
    last_writeid: u32,
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
        Ok(Chain {
            stream,
            chunk,
            last_writeid: 0,
        })
    }

    /// Writes `pieces` (offset in the chunk, bytes) and returns once the
    /// chain acknowledged every one: every block piece leaves at once, one
    /// WRITE_DATA each with its CRC, its data sent from the write buffer
    /// itself rather than copied into frames, while the statuses are read
    /// as they come, so the chain streams instead of waiting per block.
    /// After an error the connection is in an unknown state and must be
    /// dropped.
    pub async fn send(&mut self, pieces: &[(u32, Bytes)]) -> Result<(), CsError> {
        let chunk = self.chunk;
        let first = self.last_writeid + 1;
        let (mut reader, mut writer) = self.stream.split();
        let send = async {
            let mut heads = BytesMut::new();
            let mut parts: Vec<Bytes> = Vec::new();
            let mut batched = 0;
            let mut writeid = first - 1;
            for (offset, data) in pieces {
                for piece in block_pieces(*offset, data.len() as u32) {
                    writeid += 1;
                    let bytes = data.slice(piece.pos..piece.pos + piece.len as usize);
                    WriteData::encode_frame_head(
                        chunk.chunkid,
                        writeid,
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
                        within(async { Ok(frame_io::write_parts(&mut writer, &parts).await?) })
                            .await?;
                        parts.clear();
                        batched = 0;
                    }
                }
            }
            within(async { Ok(frame_io::write_parts(&mut writer, &parts).await?) }).await?;
            Ok::<u32, CsError>(writeid)
        };
        let count: u32 = pieces
            .iter()
            .map(|(offset, data)| block_pieces(*offset, data.len() as u32).count() as u32)
            .sum();
        // Statuses are read while blocks are still being sent, so neither
        // side's socket buffer fills up and stalls the other.
        let receive = async {
            for id in first..first + count {
                expect_status(&mut reader, chunk, id).await?;
            }
            Ok::<(), CsError>(())
        };
        let (sent, received) = tokio::join!(send, receive);
        self.last_writeid = sent?;
        received
    }

    /// Ends the write with WRITE_FINISH; the chunkservers close the chunk.
    pub async fn finish(mut self) -> Result<(), CsError> {
        let finish = WriteFinish {
            chunkid: self.chunk.chunkid,
            version: self.chunk.version,
        };
        within(async { Ok(frame_io::send(&mut self.stream, &finish).await?) }).await
    }
}
