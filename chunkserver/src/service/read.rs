//! `CLTOCS_READ`: the requested range goes out as one `CSTOCL_READ_DATA`
//! per block piece, each carrying the CRC of exactly its bytes, then a
//! `CSTOCL_READ_STATUS`. Every block is checked against its stored CRC
//! before any of its bytes leave; a mismatch ends the read with
//! `MFS_ERROR_CRC` (and a damage report to the master), never with data.

use std::future::Future;
use std::io::{self, IoSlice};
use std::ops::Range;
use std::sync::Arc;

use bytes::BytesMut;
use mooseng_wire::{cltocs, cstocl, Status};

use crate::chunk_file::{BLOCK_SIZE, CHUNK_SIZE};
use crate::net::{self, FrameWriter};
use crate::storage::{IoHandle, Store};

use super::trip_buffers::TripBuffers;

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
    buffers: &Arc<TripBuffers>,
    writer: &mut FrameWriter,
    req: cltocs::Read,
) -> io::Result<()> {
    let chunkid = req.chunkid;
    match precheck(req.offset, req.size) {
        Some(status) => writer.send(&cstocl::ReadStatus { chunkid, status }).await,
        None => send_data(store, buffers, writer, &req).await,
    }
}

/// Most blocks read in one trip to a blocking thread (with one `pread`)
/// and sent in one vectored write: a 1 MiB client read takes a few trips
/// instead of sixteen, and a trip holds at most this many blocks in memory.
const BLOCKS_PER_TRIP: usize = 16;

/// Bytes of a trip's read buffer: [`BLOCKS_PER_TRIP`] whole blocks.
pub const TRIP_BYTES: usize = BLOCKS_PER_TRIP * BLOCK_SIZE as usize;

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
/// The pieces go in [`trips`]. A trip whose blocks are all in the page
/// cache of an already open chunk is read and checked right here, which
/// is quicker than any hand-off (see `storage/cached.rs`). Any other trip
/// goes to a blocking thread, which opens the chunk if need be, and the
/// first such trip of a read longer than a block also asks the kernel to
/// start reading the rest of the range; while its blocks are being sent,
/// the next trip is already reading into a second buffer. A trip stops at
/// the first block that fails; the pieces before it, all checked, still
/// go out, then the failure ends the read, and no trip is started after
/// it. The status goes out in the same write as the last trip's frames,
/// so a one-block read is one trip and one write.
async fn send_data(
    store: &Arc<Store>,
    buffers: &Arc<TripBuffers>,
    writer: &mut FrameWriter,
    req: &cltocs::Read,
) -> io::Result<()> {
    let chunkid = req.chunkid;
    let pieces = pieces(req.offset, req.size);
    // At most 1024 pieces, one per block of the chunk.
    let mut unadvised = (pieces.len() > 1).then_some(pieces.len() as u16);
    let mut trips = trips(pieces).into_iter();
    // `precheck` let through only reads of at least one byte.
    let first = trips.next().unwrap_or_default();
    let open = Open::Chunk {
        version: req.version,
    };
    let mut reading = Trip::start(store, open, chunkid, first, buffers.take(), &mut unadvised);
    // The buffer of the trip before the one reading, for the next trip.
    let mut spare = None;
    loop {
        let Trip {
            handle,
            mut frames,
            failure,
        } = match reading.finish().await {
            Ok(trip) => trip,
            Err(status) => {
                return writer.send(&cstocl::ReadStatus { chunkid, status }).await;
            }
        };
        let pieces = match failure {
            None => trips.next(),
            Some(_) => None,
        };
        let Some(pieces) = pieces else {
            let status = failure.unwrap_or(Status::OK);
            net::encode_frame(&cstocl::ReadStatus { chunkid, status }, &mut frames.heads);
            let sent = writer.send_slices(&mut frames.slices()).await;
            buffers.give_back(frames.data);
            if let Some(data) = spare {
                buffers.give_back(data);
            }
            return sent;
        };
        let data = spare.take().unwrap_or_else(|| buffers.take());
        let open = Open::Held(handle);
        reading = Trip::start(store, open, chunkid, pieces, data, &mut unadvised);
        writer.send_slices(&mut frames.slices()).await?;
        spare = Some(frames.data);
    }
}

/// What a trip reads from: the chunk, opened by the first trip of a read,
/// or the handle an earlier trip of the same read opened.
enum Open {
    Chunk { version: u32 },
    Held(IoHandle),
}

/// What one trip read: the frames of the pieces that passed, and the
/// status of the block that did not, if one did not.
struct Trip {
    handle: IoHandle,
    frames: Frames,
    failure: Option<Status>,
}

/// A trip already read on the service's thread, or still reading on a
/// blocking one.
enum Reading<F> {
    Done(Result<Trip, Status>),
    Blocking(F),
}

impl<F: Future<Output = Result<Trip, Status>>> Reading<F> {
    async fn finish(self) -> Result<Trip, Status> {
        match self {
            Reading::Done(trip) => trip,
            Reading::Blocking(trip) => trip.await,
        }
    }
}

/// `READ_DATA` frames kept in two parts: the read blocks in `data`, and
/// the encoded head of each frame, one after another, in `heads`;
/// `pieces` says where each frame's data lies in `data`.
struct Frames {
    data: Vec<u8>,
    heads: BytesMut,
    pieces: Vec<Range<usize>>,
}

impl Trip {
    /// Reads `pieces` into `data` (a [`TRIP_BYTES`] buffer): at once from
    /// the page cache if it can, otherwise on a blocking thread. While
    /// `unadvised` holds the number of pieces the read has left from this
    /// trip's on, the first trip that goes to a blocking thread tells the
    /// kernel about them and clears it.
    fn start(
        store: &Arc<Store>,
        open: Open,
        chunkid: u64,
        pieces: Vec<Piece>,
        data: Vec<u8>,
        unadvised: &mut Option<u16>,
    ) -> Reading<impl Future<Output = Result<Trip, Status>>> {
        let (open, data) = match Trip::read_cached(store, open, chunkid, &pieces, data) {
            Ok(trip) => {
                *unadvised = unadvised.map(|left| left - pieces.len() as u16);
                return Reading::Done(Ok(trip));
            }
            Err(back) => back,
        };
        let ahead = unadvised
            .take()
            .filter(|&left| left > 1 && !pieces.is_empty())
            .map(|left| (pieces[0].block, left));
        Reading::Blocking(store.spawn(move |s| {
            let handle = match open {
                Open::Held(handle) => handle,
                Open::Chunk { version } => s.open_io(chunkid, version)?,
            };
            if let Some((first, count)) = ahead {
                s.will_read(&handle, first, count);
            }
            Ok(Trip::read(s, handle, chunkid, &pieces, data))
        }))
    }

    /// The trip read and checked from the page cache, without waiting for
    /// anything; otherwise what it was given, for the blocking way.
    fn read_cached(
        store: &Store,
        open: Open,
        chunkid: u64,
        pieces: &[Piece],
        mut data: Vec<u8>,
    ) -> Result<Trip, (Open, Vec<u8>)> {
        let handle = match open {
            Open::Held(handle) => handle,
            Open::Chunk { version } => match store.open_io_cached(chunkid, version) {
                Some(handle) => handle,
                None => return Err((open, data)),
            },
        };
        let Some(first) = pieces.first() else {
            return Ok(Trip::frames(
                handle,
                chunkid,
                pieces,
                data,
                Vec::new(),
                None,
            ));
        };
        let mut crcs = Vec::with_capacity(pieces.len());
        let bytes = &mut data[..pieces.len() * BLOCK_SIZE as usize];
        if !store.read_cached_blocks(&handle, first.block, bytes, &mut crcs) {
            return Err((Open::Held(handle), data));
        }
        Ok(Trip::frames(handle, chunkid, pieces, data, crcs, None))
    }

    /// Reads the blocks of `pieces` (consecutive, at most
    /// [`BLOCKS_PER_TRIP`]) in one go, checks them in order and encodes a
    /// frame head for each piece whose block passed. Runs on a blocking
    /// thread.
    fn read(
        store: &Store,
        handle: IoHandle,
        chunkid: u64,
        pieces: &[Piece],
        mut data: Vec<u8>,
    ) -> Trip {
        let mut crcs = Vec::with_capacity(pieces.len());
        let failure = match pieces.first() {
            Some(first) => store
                .read_blocks(
                    &handle,
                    first.block,
                    &mut data[..pieces.len() * BLOCK_SIZE as usize],
                    &mut crcs,
                )
                .err(),
            None => None,
        };
        Trip::frames(handle, chunkid, pieces, data, crcs, failure)
    }

    /// Encodes a frame head for each piece whose block passed, given the
    /// CRCs of those blocks (`crcs`, in order) and the status of the block
    /// that did not pass, if one did not.
    fn frames(
        handle: IoHandle,
        chunkid: u64,
        pieces: &[Piece],
        data: Vec<u8>,
        crcs: Vec<u32>,
        failure: Option<Status>,
    ) -> Trip {
        let block = BLOCK_SIZE as usize;
        let mut heads = BytesMut::with_capacity(pieces.len() * FRAME_HEAD + STATUS_FRAME);
        let mut ranges = Vec::with_capacity(crcs.len());
        for ((piece, block_crc), at) in pieces.iter().zip(crcs).zip((0..).step_by(block)) {
            let range = at + piece.offset as usize..at + (piece.offset + piece.size) as usize;
            let crc = match piece.size == BLOCK_SIZE {
                true => block_crc,
                false => crc32fast::hash(&data[range.clone()]),
            };
            // Below 65536: it is an offset inside a block.
            let offset = piece.offset as u16;
            cstocl::ReadData::encode_frame_head(
                chunkid,
                piece.block,
                offset,
                piece.size,
                crc,
                &mut heads,
            );
            ranges.push(range);
        }
        Trip {
            handle,
            frames: Frames {
                data,
                heads,
                pieces: ranges,
            },
            failure,
        }
    }
}

impl Frames {
    /// The frames as they go on the wire: each piece's head and
    /// data, then whatever follows the heads in `heads` (the status that
    /// ends the read, on the last trip).
    fn slices(&self) -> Vec<IoSlice<'_>> {
        let mut out = Vec::with_capacity(2 * self.pieces.len() + 1);
        for (head, range) in self.heads.chunks(FRAME_HEAD).zip(&self.pieces) {
            out.push(IoSlice::new(head));
            out.push(IoSlice::new(&self.data[range.clone()]));
        }
        let rest = &self.heads[self.pieces.len() * FRAME_HEAD..];
        if !rest.is_empty() {
            out.push(IoSlice::new(rest));
        }
        out
    }
}

/// Bytes of a `READ_DATA` frame before its data: the frame header and
/// `chunkid:64 blocknum:16 offset:16 size:32 crc:32`.
const FRAME_HEAD: usize = 8 + 20;

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
