//! Writing: buffer in memory, then per chunk take a write lease from the
//! master and send the blocks through the chunkserver chain; the lease and
//! the chain stay open while the file is written, and the new file length
//! goes to the master when the lease is given back (on close, fsync, a
//! read or truncation, or after a short idle time).

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use mooseng_wire::cltoma::chunk::{FuseWriteChunk, FuseWriteChunkEnd};
use mooseng_wire::matocl::chunk::{FuseWriteChunkEndReply, FuseWriteChunkReply};
use mooseng_wire::Status;

use super::buffers::WRITE_BUFFERS;
use super::chain::Chain;
use super::chunk_writer::ChunkWriter;
use super::cs::ChunkRef;
use super::files::{lock, DataPath, FileState, Pending, Window, BUFFER_LIMIT, FLUSH_THRESHOLD};
use super::session::Session;
use crate::error::{Errno, FsResult};
use crate::geometry::chunk_pieces;

/// What a write leaves to do after its bytes are buffered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterWrite {
    Nothing,
    /// Start sending in the background.
    FlushInBackground,
    /// Buffered and unacknowledged bytes reach the limit: answer only once
    /// another flush's worth fits, then send the buffer.
    WaitForFlush,
}

impl DataPath {
    /// Buffers `data` at `offset`. Runs on the thread that read the request,
    /// before it is answered, so a writer's next write enters the buffer
    /// after this one.
    pub fn buffer_write(&self, file: &FileState, offset: u64, data: &[u8]) -> AfterWrite {
        let mut pending = lock(&file.pending);
        pending.extents.insert(offset, data);
        let end = offset + data.len() as u64;
        pending.written_end = Some(pending.written_end.map_or(end, |e| e.max(end)));
        *lock(&file.window) = Window::default();
        let buffered = pending.extents.bytes();
        if buffered < FLUSH_THRESHOLD {
            AfterWrite::Nothing
        } else if buffered + file.in_flight.load(Ordering::SeqCst) >= BUFFER_LIMIT {
            AfterWrite::WaitForFlush
        } else {
            AfterWrite::FlushInBackground
        }
    }

    /// Sends what is buffered now, behind what earlier flushes gave the
    /// same chunks' writers, and returns the first error since the last
    /// flush that reported one. The chunks touched are written side by
    /// side, and flushes overlap. With [`Leases::Keep`] each chunk's lease
    /// and chain stay open for the next flush; with [`Leases::Return`]
    /// (close, fsync, a read or truncation) every lease of the file is
    /// given back once written, so when this returns the data is on the
    /// chunkservers and the master has the new length.
    pub async fn flush_file(
        self: &Arc<Self>,
        inode: u64,
        file: &Arc<FileState>,
        leases: Leases,
    ) -> FsResult<()> {
        // The turn is held only while the buffer is taken and its pieces
        // queued, so that per chunk, flushes write in the order they took
        // their data.
        let turn = file.flushing.lock().await;
        let extents = {
            let mut pending = lock(&file.pending);
            if leases == Leases::Return && nothing_sent_or_open(&pending, file) {
                // The common case of a read: no write to wait for.
                pending.written_end = None;
                return pending.error.take().map_or(Ok(()), Err);
            }
            let extents = pending.extents.take();
            let bytes: usize = extents.iter().map(|(_, data)| data.len()).sum();
            // Counted under the lock, so a read never finds the buffer
            // empty while its bytes are on their way but not yet counted.
            file.in_flight.fetch_add(bytes, Ordering::SeqCst);
            extents
        };
        let mut answers = Vec::new();
        for (index, pieces) in by_chunk(extents) {
            let sent: usize = pieces.iter().map(|(_, data)| data.len()).sum();
            let writer = file.writers.get(index, || {
                ChunkWriter::start(self.clone(), Arc::downgrade(file), inode as u32, index)
            });
            answers.push((sent, writer.write(pieces)));
        }
        if leases == Leases::Return {
            for writer in file.writers.all() {
                answers.push((0, writer.end()));
            }
        }
        drop(turn);
        let answers = answers.into_iter().map(|(sent, answer)| async move {
            let result = answer.await.unwrap_or(Err(Errno::EIO));
            // Recorded before the progress is told, so a writer woken by it
            // finds the error.
            if let Err(e) = result {
                lock(&file.pending).error.get_or_insert(e);
            }
            file.in_flight.fetch_sub(sent, Ordering::SeqCst);
            file.progress.notify_waiters();
        });
        futures_util::future::join_all(answers).await;
        // Under the turn, so no flush is between finding a writer and
        // queueing with it.
        let _turn = file.flushing.lock().await;
        if leases == Leases::Return {
            file.writers.forget_idle();
        }
        let mut pending = lock(&file.pending);
        if pending.extents.is_empty() && file.writers.is_idle() {
            pending.written_end = None;
        }
        match pending.error.take() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// Waits, when buffered and unacknowledged bytes reach the limit, until
    /// another flush's worth fits in it, and returns the error of an earlier
    /// flush if one failed. The caller then starts the next flush: the
    /// writer refills the buffer while it is sent, instead of waiting for it
    /// too.
    pub async fn wait_for_room(&self, file: &FileState) -> FsResult<()> {
        loop {
            let progress = file.progress.notified();
            tokio::pin!(progress);
            progress.as_mut().enable();
            if file.in_flight.load(Ordering::SeqCst) + FLUSH_THRESHOLD <= BUFFER_LIMIT {
                break;
            }
            progress.await;
        }
        lock(&file.pending).error.take().map_or(Ok(()), Err)
    }

    /// Sends buffered data in the background, keeping the leases; errors
    /// wait for the next flush.
    pub async fn flush_in_background(self: &Arc<Self>, inode: u64, file: &Arc<FileState>) {
        if let Err(e) = self.flush_file(inode, file, Leases::Keep).await {
            lock(&file.pending).error.get_or_insert(e);
        }
    }

    /// Takes the write lease of a chunk and opens its chain. The outer error
    /// ends the write; the inner one is worth another try.
    pub(super) async fn open_session(
        &self,
        inode: u32,
        index: u32,
    ) -> FsResult<Result<Session, Errno>> {
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
            Err(status) => {
                return match final_refusal(status) {
                    Some(errno) => {
                        tracing::warn!("write lease for inode {inode} chunk {index}: {status:?}");
                        Err(errno)
                    }
                    None => Ok(Err(out_of_retries(status))),
                }
            }
        };
        self.locations.forget(u64::from(inode));
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
        match Chain::open(&chain, chunk).await {
            Ok(opened) => Ok(Ok(Session::new(chunk, location.file_length, opened))),
            Err(e) => {
                tracing::warn!("opening the write of inode {inode} chunk {index}: {e}");
                let _ = self.return_lease(inode, index, chunk.chunkid, 0).await;
                Ok(Err(Errno::EIO))
            }
        }
    }

    /// Ends a session: WRITE_FINISH to the chain, then the lease back to the
    /// master with the length the written data reaches.
    pub(super) async fn end_session(
        &self,
        inode: u32,
        index: u32,
        session: Option<Session>,
    ) -> FsResult<()> {
        let Some(session) = session else {
            return Ok(());
        };
        let length = session.length();
        let chunkid = session.chunk.chunkid;
        // The data is acknowledged already; a chain that cannot take the
        // finish closes the chunk when the connection drops.
        if let Err(e) = session.chain.finish().await {
            tracing::debug!("finishing the write of inode {inode} chunk {index}: {e}");
        }
        self.return_lease(inode, index, chunkid, length).await
    }

    async fn return_lease(
        &self,
        inode: u32,
        index: u32,
        chunkid: u64,
        length: u64,
    ) -> FsResult<()> {
        self.locations.forget(u64::from(inode));
        let done: FuseWriteChunkEndReply = self
            .master
            .call(|msgid| FuseWriteChunkEnd {
                msgid,
                chunkid,
                inode,
                index,
                length,
                flags: 0,
            })
            .await?;
        match done.status {
            status if status.is_ok() => Ok(()),
            status => Err(status.into()),
        }
    }
}

/// Whether nothing is buffered, being sent, or held under a lease.
fn nothing_sent_or_open(pending: &Pending, file: &FileState) -> bool {
    pending.extents.is_empty()
        && file.in_flight.load(Ordering::SeqCst) == 0
        && file.writers.is_empty()
}

/// Whether a flush leaves the chunks' leases open for the next one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Leases {
    Keep,
    Return,
}

/// Buffered extents cut at chunk boundaries and grouped by chunk index,
/// each chunk's ranges in file order. The bytes are shared, not copied.
pub(super) fn by_chunk(extents: Vec<(u64, Vec<u8>)>) -> BTreeMap<u32, Vec<(u32, Bytes)>> {
    let mut chunks: BTreeMap<u32, Vec<(u32, Bytes)>> = BTreeMap::new();
    for (offset, data) in extents {
        let data = WRITE_BUFFERS.share(data);
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
