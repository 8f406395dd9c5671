//! `CLTOCS_READ`: the requested range goes out as one `CSTOCL_READ_DATA`
//! per block piece, each carrying the CRC of exactly its bytes, then a
//! `CSTOCL_READ_STATUS`. Every block is checked against its stored CRC
//! before any of its bytes leave; a mismatch ends the read with
//! `MFS_ERROR_CRC` (and a damage report to the master), never with data.

use std::future::Future;
use std::io;
use std::sync::Arc;

use bytes::BytesMut;
use mooseng_wire::{cltocs, cstocl, Status};

use crate::chunk_file::{BLOCK_SIZE, CHUNK_SIZE};
use crate::net::{self, FrameWriter};
use crate::storage::{IoHandle, Store};

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
    match precheck(req.offset, req.size) {
        Some(status) => writer.send(&cstocl::ReadStatus { chunkid, status }).await,
        None => send_data(store, writer, &req).await,
    }
}

/// Most blocks read in one trip to a blocking thread and sent in one
/// write: a 1 MiB client read takes a few trips instead of sixteen, and
/// the frames of a trip hold at most this many blocks in memory.
const BLOCKS_PER_TRIP: usize = 16;

/// Cuts a read's pieces into trips of 1, 2, 4, ... up to
/// [`BLOCKS_PER_TRIP`] pieces: the first block leaves as soon as it is
/// read, as with mfschunkserver's block-by-block reads, so the client is
/// not kept waiting for a long first trip, and longer reads still end up
/// in long trips.
fn trips(pieces: Vec<Piece>) -> Vec<Vec<Piece>> {
    let mut out = Vec::new();
    let mut rest = pieces.into_iter().peekable();
    let mut size = 1;
    while rest.peek().is_some() {
        out.push(rest.by_ref().take(size).collect());
        size = (size * 2).min(BLOCKS_PER_TRIP);
    }
    out
}

/// Sends the data packets and the status that ends the read.
///
/// The pieces go in [`trips`]: a blocking thread opens
/// the chunk (on the first trip), reads each piece straight into its
/// `READ_DATA` frame and checks it; while those frames are being sent, the
/// next trip is already reading. A trip stops at the first piece that
/// fails; the pieces before it, all checked, still go out, then the
/// failure ends the read, and no trip is started after it. The status
/// goes out in the same write as the last trip's frames, so a one-block
/// read is one trip and one write.
async fn send_data(
    store: &Arc<Store>,
    writer: &mut FrameWriter,
    req: &cltocs::Read,
) -> io::Result<()> {
    let (chunkid, version) = (req.chunkid, req.version);
    let mut trips = trips(pieces(req.offset, req.size)).into_iter();
    // `precheck` let through only reads of at least one byte.
    let first = trips.next().unwrap_or_default();
    let mut reading = Trip::start(store, None, chunkid, version, first, BytesMut::new());
    // The buffer of the trip before the one reading, for the next trip.
    let mut spare = BytesMut::new();
    loop {
        let mut trip = match reading.await {
            Ok(trip) => trip,
            Err(status) => {
                return writer.send(&cstocl::ReadStatus { chunkid, status }).await;
            }
        };
        let pieces = match trip.failure {
            None => trips.next(),
            Some(_) => None,
        };
        let Some(pieces) = pieces else {
            let status = trip.failure.unwrap_or(Status::OK);
            net::encode_frame(&cstocl::ReadStatus { chunkid, status }, &mut trip.frames);
            return writer.send_encoded(&trip.frames).await;
        };
        reading = Trip::start(store, Some(trip.handle), chunkid, version, pieces, spare);
        writer.send_encoded(&trip.frames).await?;
        spare = trip.frames;
        spare.clear();
    }
}

/// What one trip read: the encoded frames of the pieces that passed, and
/// the status of the piece that did not, if one did not.
struct Trip {
    handle: IoHandle,
    frames: BytesMut,
    failure: Option<Status>,
}

impl Trip {
    /// Starts reading `pieces` into `frames` on a blocking thread, opening
    /// the chunk first unless `open` is the handle of an earlier trip.
    fn start(
        store: &Arc<Store>,
        open: Option<IoHandle>,
        chunkid: u64,
        version: u32,
        pieces: Vec<Piece>,
        frames: BytesMut,
    ) -> impl Future<Output = Result<Trip, Status>> {
        store.spawn(move |s| {
            let handle = match open {
                Some(handle) => handle,
                None => s.open_io(chunkid, version)?,
            };
            Ok(Trip::read(s, handle, chunkid, &pieces, frames))
        })
    }

    /// Reads and checks `pieces` in order, each into its own `READ_DATA`
    /// frame, stopping at the first that fails. Runs on a blocking thread.
    fn read(
        store: &Store,
        handle: IoHandle,
        chunkid: u64,
        pieces: &[Piece],
        mut frames: BytesMut,
    ) -> Trip {
        let total: usize = pieces
            .iter()
            .map(|p| p.size as usize + FRAME_OVERHEAD)
            .sum();
        frames.reserve(total + STATUS_FRAME);
        let mut failure = None;
        for piece in pieces {
            let read = cstocl::ReadData::encode_frame_in_place(
                chunkid,
                piece.block,
                // Below 65536: it is an offset inside a block.
                piece.offset as u16,
                piece.size,
                &mut frames,
                |data| store.read_piece(&handle, piece.block, piece.offset, data),
            );
            if let Err(status) = read {
                failure = Some(status);
                break;
            }
        }
        Trip {
            handle,
            frames,
            failure,
        }
    }
}

/// Bytes a `READ_DATA` frame adds to its data: the frame header and
/// `chunkid:64 blocknum:16 offset:16 size:32 crc:32`.
const FRAME_OVERHEAD: usize = 8 + 20;

/// Bytes of the `READ_STATUS` frame that follows the last trip's frames.
const STATUS_FRAME: usize = 8 + 9;

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
    fn trips_start_with_one_block_and_double_up_to_the_limit() {
        let sizes: Vec<usize> = trips(pieces(0, CHUNK_SIZE)).iter().map(Vec::len).collect();
        assert_eq!(&sizes[..6], [1, 2, 4, 8, 16, 16]);
        assert_eq!(sizes.iter().sum::<usize>(), 1024);
        let short: Vec<usize> = trips(pieces(100, 4 * BLOCK_SIZE))
            .iter()
            .map(Vec::len)
            .collect();
        assert_eq!(
            short,
            [1, 2, 2],
            "five pieces: the range starts inside a block"
        );
        assert_eq!(trips(pieces(5, 10)).len(), 1);
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
