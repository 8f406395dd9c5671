//! Writing: buffer in memory, then per chunk take a write lease from the
//! master, send the blocks through the chunkserver chain, and report the new
//! file length when the lease is given back.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use mooseng_wire::cltoma::chunk::{FuseWriteChunk, FuseWriteChunkEnd};
use mooseng_wire::matocl::chunk::{FuseWriteChunkEndReply, FuseWriteChunkReply};
use mooseng_wire::Status;

use super::cs::{self, ChunkRef};
use super::files::{lock, DataPath, FileState, Window, BUFFER_LIMIT, FLUSH_THRESHOLD};
use crate::error::{Errno, FsResult};
use crate::geometry::{chunk_pieces, CHUNK_SIZE};

/// What a write leaves to do after its bytes are buffered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterWrite {
    Nothing,
    /// Start sending in the background.
    FlushInBackground,
    /// The buffer is full: answer only once it has drained.
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
    /// the first error since the last flush that reported one.
    pub async fn flush_file(&self, inode: u64, file: &Arc<FileState>) -> FsResult<()> {
        let _turn = file.flushing.lock().await;
        let extents = lock(&file.pending).extents.take();
        let mut result = Ok(());
        for (offset, data) in extents {
            if let Err(e) = self.write_range(inode, offset, &data).await {
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

    /// Sends buffered data in the background; errors wait for the next flush.
    pub async fn flush_in_background(&self, inode: u64, file: &Arc<FileState>) {
        if let Err(e) = self.flush_file(inode, file).await {
            lock(&file.pending).error.get_or_insert(e);
        }
    }

    async fn write_range(&self, inode: u64, offset: u64, data: &[u8]) -> FsResult<()> {
        for piece in chunk_pieces(offset, data.len() as u64) {
            let bytes = &data[piece.pos..piece.pos + piece.len as usize];
            self.write_chunk(inode as u32, piece.index, piece.offset, bytes)
                .await?;
        }
        Ok(())
    }

    /// Writes one piece of one chunk, retrying with a fresh lease when a
    /// chunkserver fails, at most `retries` times.
    async fn write_chunk(&self, inode: u32, index: u32, offset: u32, data: &[u8]) -> FsResult<()> {
        let mut last = Errno::EIO;
        for attempt in 0..self.retries {
            if attempt > 0 {
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
                Err(status) if retryable(status) => {
                    last = status.into();
                    continue;
                }
                Err(status) => return Err(status.into()),
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
            let written = cs::write(&chain, chunk, offset, data).await;
            let end = u64::from(index) * CHUNK_SIZE + u64::from(offset) + data.len() as u64;
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

/// Statuses after which the same request may succeed a moment later.
fn retryable(status: Status) -> bool {
    [
        Status::LOCKED,
        Status::EAGAIN,
        Status::CHUNKBUSY,
        Status::NOCHUNKSERVERS,
        Status::CSNOTPRESENT,
    ]
    .contains(&status)
}

/// Wait before attempt `n`: grows to a second, so retries of a short
/// outage are quick and a long one does not spin.
pub fn backoff(attempt: u32) -> Duration {
    Duration::from_millis((100 * u64::from(attempt)).min(1000))
}
