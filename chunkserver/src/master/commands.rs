//! Carrying out the master's chunk orders and answering them.

use std::sync::Arc;

use mooseng_wire::cstoan::{ChecksumTable, BLOCKS_IN_CHUNK};
use mooseng_wire::direction::MasterToChunkserver as In;
use mooseng_wire::types::Reply;
use mooseng_wire::{antocs, cstoan, cstoma, matocs, Frame, Message, Status};

use crate::charts::series;
use crate::chunk_file::ChunkName;
use crate::storage::Store;

fn status_of(result: Result<(), Status>) -> Status {
    result.err().unwrap_or(Status::OK)
}

/// Runs one chunk order and builds its answer. Returns `None` for
/// messages that are not chunk orders.
pub async fn execute(store: &Arc<Store>, message: In) -> Option<Frame> {
    count(store, &message);
    Some(match message {
        In::Create(matocs::Create { chunkid, version }) => {
            let status = status_of(store.run(move |s| s.create(chunkid, version)).await);
            cstoma::Create { chunkid, status }.to_frame()
        }
        In::Delete(matocs::Delete { chunkid, version }) => {
            let status = status_of(store.run(move |s| s.delete(chunkid, version)).await);
            cstoma::Delete { chunkid, status }.to_frame()
        }
        In::SetVersion(order) => {
            let matocs::SetVersion {
                chunkid,
                version,
                oldversion,
            } = order;
            let status = status_of(
                store
                    .run(move |s| s.set_version(chunkid, oldversion, version))
                    .await,
            );
            cstoma::SetVersion { chunkid, status }.to_frame()
        }
        In::Truncate(order) => {
            let matocs::Truncate {
                chunkid,
                length,
                version,
                oldversion,
            } = order;
            let status = status_of(
                store
                    .run(move |s| s.truncate(chunkid, oldversion, version, length))
                    .await,
            );
            cstoma::Truncate { chunkid, status }.to_frame()
        }
        In::Duplicate(order) => {
            let copy = ChunkName {
                id: order.chunkid,
                version: order.version,
            };
            let (source, version) = (order.oldchunkid, order.oldversion);
            let status = status_of(
                store
                    .run(move |s| s.duplicate(source, version, version, copy, None))
                    .await,
            );
            cstoma::Duplicate {
                chunkid: copy.id,
                status,
            }
            .to_frame()
        }
        In::Duptrunc(order) => {
            let copy = ChunkName {
                id: order.chunkid,
                version: order.version,
            };
            let (source, version, length) = (order.oldchunkid, order.oldversion, order.length);
            let status = status_of(
                store
                    .run(move |s| s.duplicate(source, version, version, copy, Some(length)))
                    .await,
            );
            cstoma::Duptrunc {
                chunkid: copy.id,
                status,
            }
            .to_frame()
        }
        In::Chunkop(op) => {
            let copy = ChunkName {
                id: op.copychunkid,
                version: op.copyversion,
            };
            let (chunkid, version, newversion, length) =
                (op.chunkid, op.version, op.newversion, op.length);
            let status = status_of(
                store
                    .run(move |s| s.chunkop(chunkid, version, newversion, copy, length))
                    .await,
            );
            cstoma::Chunkop {
                chunkid,
                version,
                newversion,
                copychunkid: copy.id,
                copyversion: op.copyversion,
                length,
                status,
            }
            .to_frame()
        }
        In::GetChunkBlocks(ask) => chunk_blocks(store, ask).await.to_frame(),
        In::GetChunkChecksum(ask) => chunk_checksum(store, ask).await.to_frame(),
        In::GetChunkChecksumTab(ask) => chunk_checksum_tab(store, ask).await.to_frame(),
        _ => return None,
    })
}

/// Counts a chunk order for the charts; a CHUNKOP, which changes a
/// version and may duplicate or cut in one step, counts as a version
/// change.
fn count(store: &Store, message: &In) {
    let series = match message {
        In::Create(_) => series::CREATE,
        In::Delete(_) => series::DELETE,
        In::SetVersion(_) | In::Chunkop(_) => series::VERSION,
        In::Truncate(_) => series::TRUNCATE,
        In::Duplicate(_) => series::DUPLICATE,
        In::Duptrunc(_) => series::DUPTRUNC,
        _ => return,
    };
    store.metrics().charts.add(series, 1);
}

/// `ANTOCS_GET_CHUNK_BLOCKS`, asked on either port.
pub async fn chunk_blocks(store: &Arc<Store>, ask: antocs::GetChunkBlocks) -> cstoan::ChunkBlocks {
    let antocs::GetChunkBlocks { chunkid, version } = ask;
    let (blocks, status) = match store.run(move |s| s.blocks(chunkid, version)).await {
        Ok(blocks) => (blocks, Status::OK),
        Err(status) => (0, status),
    };
    cstoan::ChunkBlocks {
        chunkid,
        version,
        blocks,
        status,
    }
}

/// `ANTOCS_GET_CHUNK_CHECKSUM`, asked on either port.
pub async fn chunk_checksum(
    store: &Arc<Store>,
    ask: antocs::GetChunkChecksum,
) -> cstoan::ChunkChecksum {
    let antocs::GetChunkChecksum { chunkid, version } = ask;
    let checksum = match store.run(move |s| s.checksum(chunkid, version)).await {
        Ok(sum) => Reply::Ok(sum),
        Err(status) => Reply::Status(status),
    };
    cstoan::ChunkChecksum {
        chunkid,
        version,
        checksum,
    }
}

/// `ANTOCS_GET_CHUNK_CHECKSUM_TAB`, asked on either port.
pub async fn chunk_checksum_tab(
    store: &Arc<Store>,
    ask: antocs::GetChunkChecksumTab,
) -> cstoan::ChunkChecksumTab {
    let antocs::GetChunkChecksumTab { chunkid, version } = ask;
    let checksums = match store.run(move |s| s.checksum_table(chunkid, version)).await {
        Ok(crcs) => {
            let mut table = ChecksumTable::default();
            for (entry, crc) in table
                .0
                .iter_mut()
                .zip(crcs.into_iter().take(BLOCKS_IN_CHUNK))
            {
                *entry = crc;
            }
            Reply::Ok(table)
        }
        Err(status) => Reply::Status(status),
    };
    cstoan::ChunkChecksumTab {
        chunkid,
        version,
        checksums,
    }
}
