//! Reading: locate each chunk with the master, fetch from one of its
//! copies (another one on failure), and keep a read-ahead window that grows
//! while reads stay sequential.

use std::net::SocketAddr;

use bytes::{Bytes, BytesMut};
use mooseng_wire::cltoma::chunk::FuseReadChunk;
use mooseng_wire::matocl::chunk::FuseReadChunkReply;

use super::cs::ChunkRef;
use super::files::{lock, DataPath, FileState, Window};
use super::write::backoff;
use crate::error::{Errno, FsResult};
use crate::geometry::{chunk_pieces, CHUNK_SIZE};

/// First read-ahead after a random read, and the most it grows to.
const AHEAD_MIN: u64 = 1 << 20;
const AHEAD_MAX: u64 = 16 << 20;

impl DataPath {
    /// Reads up to `size` bytes at `offset`; short only at the end of file.
    pub async fn read(
        &self,
        inode: u64,
        file: &FileState,
        offset: u64,
        size: u32,
    ) -> FsResult<Bytes> {
        let mut out = BytesMut::with_capacity(size as usize);
        for piece in chunk_pieces(offset, u64::from(size)) {
            let at = offset + piece.pos as u64;
            let got = self
                .read_in_chunk(inode as u32, file, at, piece.len)
                .await?;
            let short = got.len() < piece.len as usize;
            out.extend_from_slice(&got);
            if short {
                break;
            }
        }
        Ok(out.freeze())
    }

    /// A read inside one chunk, served from the window when it can be.
    async fn read_in_chunk(
        &self,
        inode: u32,
        file: &FileState,
        at: u64,
        len: u32,
    ) -> FsResult<Bytes> {
        let ahead = {
            let window = lock(&file.window);
            if let Some(hit) = window_slice(&window, at, len) {
                return Ok(hit);
            }
            let window_end = window.offset + window.data.len() as u64;
            let sequential =
                !window.data.is_empty() && at >= window.offset && at <= window_end + window.ahead;
            if sequential {
                (window.ahead * 2).clamp(AHEAD_MIN, AHEAD_MAX)
            } else {
                AHEAD_MIN
            }
        };
        let in_chunk = at % CHUNK_SIZE;
        let want = u64::from(len).max(ahead).min(CHUNK_SIZE - in_chunk);
        let fetched = self
            .fetch(
                inode,
                (at / CHUNK_SIZE) as u32,
                in_chunk as u32,
                want as u32,
            )
            .await?;
        let mut window = lock(&file.window);
        *window = Window {
            offset: at,
            data: fetched,
            ahead,
        };
        // Fewer bytes than asked means the file ends inside this range.
        Ok(window_slice(&window, at, len).unwrap_or_else(|| window.data.clone()))
    }

    /// Fetches `len` bytes at `offset` of chunk `index`, cut at the end of
    /// the file; tries the copies in turn, at most `retries` times.
    async fn fetch(&self, inode: u32, index: u32, offset: u32, len: u32) -> FsResult<Bytes> {
        let mut last = Errno::EIO;
        for attempt in 0..self.retries {
            if attempt > 0 {
                tokio::time::sleep(backoff(attempt)).await;
            }
            let reply: FuseReadChunkReply = self
                .master
                .call(|msgid| FuseReadChunk {
                    msgid,
                    inode,
                    index,
                    flags: Some(0),
                })
                .await?;
            let location = match reply.reply.ok() {
                Ok(location) => location,
                Err(status) => {
                    last = status.into();
                    continue;
                }
            };
            let start = u64::from(index) * CHUNK_SIZE + u64::from(offset);
            let available = location
                .file_length
                .saturating_sub(start)
                .min(u64::from(len)) as u32;
            if available == 0 {
                return Ok(Bytes::new());
            }
            if location.chunkid == 0 {
                // A hole: never written, reads as zeros.
                return Ok(Bytes::from(vec![0u8; available as usize]));
            }
            let copies = location.servers.addresses();
            let Some(&(ip, port)) = copies.get(attempt as usize % copies.len().max(1)) else {
                last = Errno(libc::ENXIO);
                continue;
            };
            let chunk = ChunkRef {
                chunkid: location.chunkid,
                version: location.version,
            };
            match self
                .pool
                .read(SocketAddr::new(ip.into(), port), chunk, offset, available)
                .await
            {
                Ok(data) => return Ok(data),
                Err(e) => {
                    tracing::warn!(
                        "read of inode {inode} chunk {index} from {ip}:{port} failed: {e}"
                    );
                    last = Errno::EIO;
                }
            }
        }
        Err(last)
    }
}

/// The bytes `[at, at+len)` if the window holds all of them.
fn window_slice(window: &Window, at: u64, len: u32) -> Option<Bytes> {
    let from = at.checked_sub(window.offset)? as usize;
    let to = from + len as usize;
    (to <= window.data.len()).then(|| window.data.slice(from..to))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_serves_only_ranges_it_holds_whole() {
        let window = Window {
            offset: 100,
            data: Bytes::from_static(b"0123456789"),
            ahead: AHEAD_MIN,
        };
        assert_eq!(window_slice(&window, 102, 3).as_deref(), Some(&b"234"[..]));
        assert_eq!(window_slice(&window, 108, 3), None);
        assert_eq!(window_slice(&window, 99, 1), None);
        assert_eq!(window_slice(&window, 110, 0).as_deref(), Some(&b""[..]));
    }
}
