//! Writing: buffer in memory, then per chunk take a write lease from the
//! master, send the blocks through the chunkserver chain, and report the new
//! file length when the lease is given back.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures_util::future::join_all;
use mooseng_wire::cltoma::chunk::{FuseWriteChunk, FuseWriteChunkEnd};
use mooseng_wire::matocl::chunk::{FuseWriteChunkEndReply, FuseWriteChunkReply};
use mooseng_wire::Status;

use super::cs::{self, ChunkRef};
use super::files::{lock, DataPath, FileState, Window, BUFFER_LIMIT, FLUSH_THRESHOLD};
use crate::error::{Errno, FsResult};
use crate::geometry::{chunk_pieces, CHUNK_SIZE};
use crate::stats::Retry;

/// Chunks of one flush written at the same time.
const CHUNKS_IN_FLIGHT: usize = 8;

/// What a write leaves to do after its bytes are buffered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterWrite {
    Nothing,
    /// Start sending in the background.
    FlushInBackground,
    /// The buffer is full: answer only once the flush under way has ended,
    /// then send the buffer.
    WaitForFlush,
}

impl DataPath {
    /// Buffers `data` at `offset`. Runs on the FUSE thread, so writes enter
    /// the buffer in the order the kernel sent them.
    pub fn buffer_write(&self, file: &FileState, offset: u64, data: &[u8]) -> AfterWrite {
        let mut pending = lock(&file.pending);
        pending.extents.insert(offset, data);
        let end = offset + data.len() as u64;
        pending.written_end = Some(pending.written_end.map_or(end, |e| e.max(end)));
        *lock(&file.window) = Window::default();
        match pending.extents.bytes() {
            n if n >= BUFFER_LIMIT => AfterWrite::WaitForFlush,
            n if n >= FLUSH_THRESHOLD => AfterWrite::FlushInBackground,
            _ => AfterWrite::Nothing,
        }
    }

    /// Sends what is buffered now, after any flush already under way; returns
    /// the first error since the last flush that reported one. The chunks
    /// touched are written side by side, each under one lease and one
    /// connection however many ranges it holds.
    pub async fn flush_file(&self, inode: u64, file: &Arc<FileState>) -> FsResult<()> {
        let _turn = file.flushing.lock().await;
        let extents = lock(&file.pending).extents.take();
        let mut result = Ok(());
        let mut chunks = by_chunk(extents).into_iter().peekable();
        while chunks.peek().is_some() {
            let batch = chunks
                .by_ref()
                .take(CHUNKS_IN_FLIGHT)
                .map(|(index, pieces)| async move {
                    self.write_chunk(inode as u32, index, &pieces).await
                });
            if let Some(e) = join_all(batch).await.into_iter().find_map(Result::err) {
                result = Err(e);
                break;
            }
        }
        let mut pending = lock(&file.pending);
        if let Err(e) = result {
            pending.error.get_or_insert(e);
        }
        if pending.extents.is_empty() {
            pending.written_end = None;
        }
        match pending.error.take() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// Waits, when the buffer is full, for the flush under way to end, and
    /// returns the error of an earlier flush if one failed. The caller then
    /// starts the next flush: the writer refills the buffer while it is
    /// sent, instead of waiting for it too.
    pub async fn wait_for_room(&self, file: &FileState) -> FsResult<()> {
        let _turn = file.flushing.lock().await;
        lock(&file.pending).error.take().map_or(Ok(()), Err)
    }

    /// Sends buffered data in the background; errors wait for the next flush.
    pub async fn flush_in_background(&self, inode: u64, file: &Arc<FileState>) {
        if let Err(e) = self.flush_file(inode, file).await {
            lock(&file.pending).error.get_or_insert(e);
        }
    }

    /// Writes ranges of one chunk, retrying with a fresh lease when a
    /// chunkserver fails, at most `retries` times.
    async fn write_chunk(&self, inode: u32, index: u32, pieces: &[(u32, Bytes)]) -> FsResult<()> {
        let mut last = Errno::EIO;
        for attempt in 0..self.retries {
            if attempt > 0 {
                self.master.stats().retry(Retry::ChunkWrite);
                tokio::time::sleep(backoff(attempt)).await;
            }
            let reply: FuseWriteChunkReply = self
                .master
                .call(|msgid| FuseWriteChunk {
                    msgid,
                    inode,
                    index,
                    flags: Some(0),
                })
                .await?;
            let location = match reply.reply.ok() {
                Ok(location) => location,
                Err(status) => match final_refusal(status) {
                    Some(errno) => {
                        tracing::warn!("write lease for inode {inode} chunk {index}: {status:?}");
                        return Err(errno);
                    }
                    None => {
                        last = out_of_retries(status);
                        continue;
                    }
                },
            };
            let chunk = ChunkRef {
                chunkid: location.chunkid,
                version: location.version,
            };
            let chain: Vec<SocketAddr> = location
                .servers
                .addresses()
                .into_iter()
                .map(|(ip, port)| SocketAddr::new(ip.into(), port))
                .collect();
            let written = cs::write(&chain, chunk, pieces).await;
            if written.is_ok() {
                let sent: usize = pieces.iter().map(|(_, data)| data.len()).sum();
                self.master.stats().cs_written_bytes.inc_by(sent as u64);
            }
            self.locations.forget(u64::from(inode));
            let end = pieces
                .iter()
                .map(|(offset, data)| u64::from(*offset) + data.len() as u64)
                .max()
                .map_or(0, |end| u64::from(index) * CHUNK_SIZE + end);
            let length = match &written {
                Ok(()) => location.file_length.max(end),
                // A failed write gives the lease back without changing the length.
                Err(_) => 0,
            };
            let done: FuseWriteChunkEndReply = self
                .master
                .call(|msgid| FuseWriteChunkEnd {
                    msgid,
                    chunkid: chunk.chunkid,
                    inode,
                    index,
                    length,
                    flags: 0,
                })
                .await?;
            match written {
                Ok(()) if done.status.is_ok() => return Ok(()),
                Ok(()) => return Err(done.status.into()),
                Err(e) => {
                    tracing::warn!("write of inode {inode} chunk {index} failed: {e}");
                    last = Errno::EIO;
                }
            }
        }
        Err(last)
    }
}

/// Buffered extents cut at chunk boundaries and grouped by chunk index,
/// each chunk's ranges in file order. The bytes are shared, not copied.
pub(super) fn by_chunk(extents: Vec<(u64, Vec<u8>)>) -> BTreeMap<u32, Vec<(u32, Bytes)>> {
    let mut chunks: BTreeMap<u32, Vec<(u32, Bytes)>> = BTreeMap::new();
    for (offset, data) in extents {
        let data = Bytes::from(data);
        for piece in chunk_pieces(offset, data.len() as u64) {
            let bytes = data.slice(piece.pos..piece.pos + piece.len as usize);
            chunks
                .entry(piece.index)
                .or_default()
                .push((piece.offset, bytes));
        }
    }
    chunks
}

/// The error a refused write lease ends the write with at once, or `None`
/// when the lease is asked for again (a master that just restarted and has
/// no chunkservers yet says NOSPACE or NOCHUNKSERVERS; a chunk another
/// client writes is LOCKED). The same split as mfsmount 3.0.117's with its
/// default `mfserroronnospace=0` and `mfserroronlostchunk=0`.
fn final_refusal(status: Status) -> Option<Errno> {
    let errno = match status {
        Status::ENOENT | Status::EPERM | Status::NOCHUNK => libc::EBADF,
        Status::INDEXTOOBIG => libc::EINVAL,
        Status::QUOTA => libc::EDQUOT,
        Status::IO => libc::EIO,
        Status::EROFS => libc::EROFS,
        _ => return None,
    };
    Some(Errno(errno))
}

/// The error a write ends with when the lease was refused with `status`
/// on every try, as mfsmount reports it.
fn out_of_retries(status: Status) -> Errno {
    Errno(match status {
        Status::NOCHUNKSERVERS | Status::NOSPACE => libc::ENOSPC,
        Status::CSNOTPRESENT | Status::CHUNKLOST => libc::ENXIO,
        _ => libc::EIO,
    })
}

/// Wait before retry `n` (from 1): mfsmount's schedule, 1 ms, then 0.3 s
/// more each time, 10 s from the 30th on. The first retry of a short
/// hiccup is immediate; the default 30 tries wait about two minutes in
/// all, long enough for a master restart and its chunkservers' return.
pub fn backoff(attempt: u32) -> Duration {
    if attempt >= 30 {
        return Duration::from_secs(10);
    }
    Duration::from_millis(1 + 300 * u64::from(attempt.saturating_sub(1)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The errnos of mfsclient/writedata.c in MooseFS 3.0.117.
    #[test]
    fn refusals_end_or_retry_as_mfsmount_decides() {
        assert_eq!(final_refusal(Status::ENOENT), Some(Errno(libc::EBADF)));
        assert_eq!(final_refusal(Status::QUOTA), Some(Errno(libc::EDQUOT)));
        for again in [
            Status::NOSPACE,
            Status::NOCHUNKSERVERS,
            Status::LOCKED,
            Status::CHUNKLOST,
        ] {
            assert_eq!(final_refusal(again), None, "{again:?}");
        }
        assert_eq!(out_of_retries(Status::NOSPACE), Errno(libc::ENOSPC));
        assert_eq!(out_of_retries(Status::CHUNKLOST), Errno(libc::ENXIO));
        assert_eq!(out_of_retries(Status::LOCKED), Errno(libc::EIO));
    }

    #[test]
    fn backoff_grows_by_steps_of_0_3_s_to_10_s() {
        assert_eq!(backoff(1), Duration::from_millis(1));
        assert_eq!(backoff(2), Duration::from_millis(301));
        assert_eq!(backoff(29), Duration::from_millis(8401));
        assert_eq!(backoff(30), Duration::from_secs(10));
    }
}
