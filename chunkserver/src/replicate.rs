//! Replication pulls: `MATOCS_REPLICATE` asks us to copy a chunk from
//! another chunkserver (ours or MooseFS's). As mfschunkserver's replicator
//! does, we create the chunk in version 0, ask the source how many blocks
//! it has (`ANTOCS_GET_CHUNK_BLOCKS`), read them all with one
//! `CLTOCS_READ`, check and write every block, sync, and only then give
//! the chunk its real version; any failure deletes the partial copy.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use mooseng_wire::cltocs::{self, ProtocolId};
use mooseng_wire::direction::{Direction, FromChunkserver};
use mooseng_wire::{antocs, Ctx, Frame, Status};
use tracing::{debug, warn};

use crate::charts::series;
use crate::chunk_file::{BLOCK_SIZE, CHUNK_SIZE};
use crate::net::{self, FrameReader};
use crate::storage::{IoHandle, Store};

/// How long we wait for a source to connect or answer.
const SOURCE_TIMEOUT: Duration = Duration::from_secs(10);

/// Copies chunk `chunkid` in `version` from the chunkserver at
/// `ip:port` and answers the status for `CSTOMA_REPLICATE`.
pub async fn replicate(
    store: &Arc<Store>,
    chunkid: u64,
    version: u32,
    ip: Ipv4Addr,
    port: u16,
) -> Status {
    if let Err(status) = store.run(move |s| s.create(chunkid, 0)).await {
        store.metrics().replication_done(false);
        return status;
    }
    let result = pull(store, chunkid, version, SocketAddr::from((ip, port))).await;
    let result = match result {
        Ok(()) => store.run(move |s| s.set_version(chunkid, 0, version)).await,
        Err(status) => Err(status),
    };
    store.metrics().replication_done(result.is_ok());
    match result {
        Ok(()) => Status::OK,
        Err(status) => {
            warn!(chunk = format_args!("{chunkid:016X}"), %ip, port, ?status, "replication failed");
            let _ = store.run(move |s| s.delete(chunkid, 0)).await;
            status
        }
    }
}

async fn pull(
    store: &Arc<Store>,
    chunkid: u64,
    version: u32,
    source: SocketAddr,
) -> Result<(), Status> {
    let max = Direction::FromChunkserver.max_payload();
    let (reader, writer) = net::connect(source, SOURCE_TIMEOUT, max)
        .await
        .map_err(|_| Status::CANTCONNECT)?;
    let charts = &store.metrics().charts;
    let mut reader = reader.counting(charts.counter(series::REPLICATION_IN));
    let mut writer = writer.counting(charts.counter(series::REPLICATION_OUT));
    let ask = antocs::GetChunkBlocks { chunkid, version };
    writer.send(&ask).await.map_err(|_| Status::DISCONNECTED)?;
    let blocks = match answer(&mut reader).await? {
        FromChunkserver::ChunkBlocks(answer) => {
            if answer.chunkid != chunkid {
                return Err(Status::WRONGCHUNKID);
            }
            if answer.version != version {
                return Err(Status::WRONGVERSION);
            }
            if !answer.status.is_ok() {
                return Err(answer.status);
            }
            answer.blocks
        }
        _ => return Err(Status::DISCONNECTED),
    };
    debug!(chunk = format_args!("{chunkid:016X}"), blocks, %source, "replicating");
    let mut handle = store.run(move |s| s.open_io(chunkid, 0)).await?;
    if blocks > 0 {
        let size = (u32::from(blocks) * BLOCK_SIZE).min(CHUNK_SIZE);
        let read = cltocs::Read {
            protocolid: ProtocolId(None),
            chunkid,
            version,
            offset: 0,
            size,
        };
        writer.send(&read).await.map_err(|_| Status::DISCONNECTED)?;
        handle = receive_blocks(store, handle, &mut reader, chunkid, blocks).await?;
    }
    store.run(move |s| s.close_synced(handle)).await
}

/// Takes `READ_DATA` packets of whole blocks in order, then the final
/// `READ_STATUS`.
async fn receive_blocks(
    store: &Arc<Store>,
    mut handle: IoHandle,
    reader: &mut FrameReader,
    chunkid: u64,
    blocks: u16,
) -> Result<IoHandle, Status> {
    let mut next = 0u16;
    loop {
        match answer(reader).await? {
            FromChunkserver::ReadData(data) => {
                if data.chunkid != chunkid {
                    return Err(Status::WRONGCHUNKID);
                }
                if data.blocknum != next || data.offset != 0 || next >= blocks {
                    return Err(Status::WRONGOFFSET);
                }
                if data.block.data.len() != BLOCK_SIZE as usize {
                    return Err(Status::WRONGSIZE);
                }
                let block = data.block;
                handle = store
                    .run(move |s| {
                        s.write_piece(&handle, next, 0, block.crc, &block.data)
                            .map(|()| handle)
                    })
                    .await?;
                next += 1;
            }
            FromChunkserver::ReadStatus(status) => {
                if status.chunkid != chunkid {
                    return Err(Status::WRONGCHUNKID);
                }
                if !status.status.is_ok() {
                    return Err(status.status);
                }
                if next != blocks {
                    return Err(Status::WRONGSIZE);
                }
                return Ok(handle);
            }
            FromChunkserver::Nop(_) => {}
            _ => return Err(Status::DISCONNECTED),
        }
    }
}

/// The next message from the source, within the timeout.
async fn answer(reader: &mut FrameReader) -> Result<FromChunkserver, Status> {
    let frame: Frame = match reader.next_within(SOURCE_TIMEOUT).await {
        Ok(Some(frame)) => frame,
        _ => return Err(Status::DISCONNECTED),
    };
    FromChunkserver::decode_frame(&frame, Ctx::default()).map_err(|err| {
        warn!(%err, "malformed answer from replication source");
        Status::DISCONNECTED
    })
}
