//! `CLTOCS_READ`: the requested range goes out as one `CSTOCL_READ_DATA`
//! per block piece, each carrying the CRC of exactly its bytes, then a
//! `CSTOCL_READ_STATUS`. Every block is checked against its stored CRC
//! before any of its bytes leave; a mismatch ends the read with
//! `MFS_ERROR_CRC` (and a damage report to the master), never with data.

use std::io;
use std::sync::Arc;

use mooseng_wire::{cltocs, cstocl, CrcData, Status};

use crate::chunk_file::{BLOCK_SIZE, CHUNK_SIZE};
use crate::net::FrameWriter;
use crate::storage::Store;

/// One `READ_DATA` packet's worth: `size` bytes at `offset` of `block`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Piece {
    pub block: u16,
    pub offset: u32,
    pub size: u32,
}

/// The status a read gets before touching the disk, as mfschunkserver
/// checks: nothing to read is an immediate success.
pub fn precheck(offset: u32, size: u32) -> Option<Status> {
    if size == 0 {
        Some(Status::OK)
    } else if size > CHUNK_SIZE {
        Some(Status::WRONGSIZE)
    } else if offset >= CHUNK_SIZE || offset + size > CHUNK_SIZE {
        Some(Status::WRONGOFFSET)
    } else {
        None
    }
}

/// Splits a range (already checked by [`precheck`]) at block boundaries.
pub fn pieces(mut offset: u32, mut size: u32) -> Vec<Piece> {
    let mut out = Vec::new();
    while size > 0 {
        let within = offset % BLOCK_SIZE;
        let take = size.min(BLOCK_SIZE - within);
        // offset < CHUNK_SIZE, so the block number is below 1024.
        let block = (offset / BLOCK_SIZE) as u16;
        out.push(Piece {
            block,
            offset: within,
            size: take,
        });
        offset += take;
        size -= take;
    }
    out
}

/// Serves one read; an error means the client connection is gone.
pub async fn serve(
    store: &Arc<Store>,
    writer: &mut FrameWriter,
    req: cltocs::Read,
) -> io::Result<()> {
    let chunkid = req.chunkid;
    let status = match precheck(req.offset, req.size) {
        Some(status) => status,
        None => send_data(store, writer, &req).await?,
    };
    writer.send(&cstocl::ReadStatus { chunkid, status }).await
}

/// Sends the data packets; returns the status that ends the read. The
/// chunk is opened together with the first piece's read, so a read of one
/// block (most random reads) costs one trip to a blocking thread.
async fn send_data(
    store: &Arc<Store>,
    writer: &mut FrameWriter,
    req: &cltocs::Read,
) -> io::Result<Status> {
    let (chunkid, version) = (req.chunkid, req.version);
    let mut handle = None;
    for piece in pieces(req.offset, req.size) {
        let open = handle.take();
        let read = store
            .run(move |s| {
                let handle = match open {
                    Some(handle) => handle,
                    None => s.open_io(chunkid, version)?,
                };
                s.read_piece(&handle, piece.block, piece.offset, piece.size)
                    .map(|data| (handle, data))
            })
            .await;
        let (crc, data) = match read {
            Ok((back, data)) => {
                handle = Some(back);
                data
            }
            Err(status) => return Ok(status),
        };
        let packet = cstocl::ReadData {
            chunkid,
            blocknum: piece.block,
            // Below 65536: it is an offset inside a block.
            offset: piece.offset as u16,
            block: CrcData::new(crc, data),
        };
        writer.send(&packet).await?;
    }
    Ok(Status::OK)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_are_cut_at_block_boundaries() {
        assert_eq!(
            pieces(10, 20),
            [Piece {
                block: 0,
                offset: 10,
                size: 20
            }]
        );
        assert_eq!(
            pieces(BLOCK_SIZE - 5, BLOCK_SIZE + 10),
            [
                Piece {
                    block: 0,
                    offset: BLOCK_SIZE - 5,
                    size: 5
                },
                Piece {
                    block: 1,
                    offset: 0,
                    size: BLOCK_SIZE
                },
                Piece {
                    block: 2,
                    offset: 0,
                    size: 5
                },
            ]
        );
        let whole = pieces(0, CHUNK_SIZE);
        assert_eq!(whole.len(), 1024);
        assert_eq!(
            whole[1023],
            Piece {
                block: 1023,
                offset: 0,
                size: BLOCK_SIZE
            }
        );
    }

    #[test]
    fn impossible_ranges_are_refused_before_any_io() {
        assert_eq!(precheck(5, 0), Some(Status::OK));
        assert_eq!(precheck(0, CHUNK_SIZE + 1), Some(Status::WRONGSIZE));
        assert_eq!(precheck(CHUNK_SIZE, 1), Some(Status::WRONGOFFSET));
        assert_eq!(precheck(CHUNK_SIZE - 1, 2), Some(Status::WRONGOFFSET));
        assert_eq!(precheck(CHUNK_SIZE - 1, 1), None);
    }
}
