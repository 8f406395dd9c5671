//! Reading: locate each chunk with the master (locations are cached for a
//! moment), fetch from one of its copies (another one on failure), and keep
//! a per-file window. Random reads fetch only what was asked; once reads
//! are sequential the window grows and the next one is fetched in the
//! background, itself as several chunkserver reads in flight at once.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use mooseng_wire::cltoma::chunk::FuseReadChunk;
use mooseng_wire::matocl::chunk::FuseReadChunkReply;
use mooseng_wire::types::ChunkLocation;

use super::cs::ChunkRef;
use super::files::{lock, DataPath, FileState, Prefetch, Window};
use super::write::backoff;
use crate::error::{Errno, FsResult};
use crate::geometry::{BLOCK_SIZE, CHUNK_SIZE};
use crate::stats::{Cache, Retry};

/// First read-ahead once reads are sequential, and the most it grows to.
const AHEAD_MIN: u64 = 1 << 20;
const AHEAD_MAX: u64 = 32 << 20;
/// The most one chunkserver read asks for; bigger ranges are cut into
/// parts fetched side by side.
const PART: u64 = 4 << 20;
/// How long a chunk location from the master is used without asking again.
/// Writes, truncation and open drop it sooner (close-to-open consistency).
const LOCATION_TTL: Duration = Duration::from_secs(1);

/// Recently located chunks, by (inode, chunk index).
#[derive(Debug, Default)]
pub struct Locations {
    map: Mutex<HashMap<(u32, u32), (Instant, ChunkLocation)>>,
}

impl Locations {
    fn get(&self, inode: u32, index: u32) -> Option<ChunkLocation> {
        let map = lock(&self.map);
        let (at, location) = map.get(&(inode, index))?;
        (at.elapsed() < LOCATION_TTL).then(|| location.clone())
    }

    fn put(&self, inode: u32, index: u32, location: ChunkLocation) {
        let mut map = lock(&self.map);
        map.retain(|_, (at, _)| at.elapsed() < LOCATION_TTL);
        map.insert((inode, index), (Instant::now(), location));
    }

    /// Forgets every chunk of `inode`.
    pub fn forget(&self, inode: u64) {
        lock(&self.map).retain(|(node, _), _| u64::from(*node) != inode);
    }
}

impl DataPath {
    /// Reads up to `size` bytes at `offset`; short only at the end of file.
    pub async fn read(
        self: &Arc<Self>,
        inode: u64,
        file: &FileState,
        offset: u64,
        size: u32,
    ) -> FsResult<Bytes> {
        if size == 0 {
            return Ok(Bytes::new());
        }
        let end = offset + u64::from(size);
        let first = self.read_step(inode as u32, file, offset, size).await?;
        if first.len() == size as usize || first.is_empty() {
            // One step held it all (the usual case): no copy to join parts.
            return Ok(first);
        }
        let mut out = BytesMut::with_capacity(size as usize);
        out.extend_from_slice(&first);
        let mut at = offset + first.len() as u64;
        while at < end {
            let got = self
                .read_step(inode as u32, file, at, (end - at) as u32)
                .await?;
            if got.is_empty() {
                break;
            }
            at += got.len() as u64;
            out.extend_from_slice(&got);
        }
        Ok(out.freeze())
    }

    /// Bytes from `at` on (at most `len`, empty at the end of the file),
    /// from the window, the read-ahead under way, or a fresh fetch.
    async fn read_step(
        self: &Arc<Self>,
        inode: u32,
        file: &FileState,
        at: u64,
        len: u32,
    ) -> FsResult<Bytes> {
        let (prefetched, ahead) = {
            let mut window = lock(&file.window);
            if let Some(hit) = window_slice(&window, at, len) {
                self.master.stats().cache(Cache::ReadWindow, true);
                return Ok(hit);
            }
            let window_end = window.offset + window.data.len() as u64;
            let sequential =
                !window.data.is_empty() && at >= window.offset && at <= window_end + window.ahead;
            let ahead = if sequential {
                (window.ahead * 2).clamp(AHEAD_MIN, AHEAD_MAX)
            } else {
                0
            };
            let next = window.next.take();
            (next.filter(|p| p.covers(at)), ahead)
        };
        self.master
            .stats()
            .cache(Cache::ReadWindow, prefetched.is_some());
        let (offset, asked, data) = match prefetched {
            Some(prefetch) => {
                let (offset, asked) = (prefetch.offset, prefetch.len);
                (offset, asked, prefetch.wait().await?)
            }
            None => {
                let in_chunk = at % CHUNK_SIZE;
                let want = u64::from(len).max(ahead).min(CHUNK_SIZE - in_chunk);
                (at, want, self.fetch_range(inode, at, want).await?)
            }
        };
        let mut window = lock(&file.window);
        *window = Window {
            offset,
            data,
            ahead,
            next: None,
        };
        let complete = window.data.len() as u64 == asked;
        if ahead > 0 && complete {
            let next_at = offset + asked;
            let next_len = ahead.min(CHUNK_SIZE - next_at % CHUNK_SIZE);
            let path = self.clone();
            window.next = Some(Prefetch::start(next_at, next_len, async move {
                path.fetch_range(inode, next_at, next_len).await
            }));
        }
        Ok(window_slice(&window, at, len).unwrap_or_default())
    }

    /// Fetches `len` bytes at file offset `at` (inside one chunk), cut at
    /// the end of the file, as parts of at most [`PART`] fetched at once.
    async fn fetch_range(self: &Arc<Self>, inode: u32, at: u64, len: u64) -> FsResult<Bytes> {
        let index = (at / CHUNK_SIZE) as u32;
        let in_chunk = at % CHUNK_SIZE;
        if len <= PART {
            return self.fetch(inode, index, in_chunk as u32, len as u32).await;
        }
        let parts: Vec<_> = (0..len)
            .step_by(PART as usize)
            .map(|from| {
                let path = self.clone();
                let part_len = PART.min(len - from);
                let offset = (in_chunk + from) as u32;
                tokio::spawn(async move { path.fetch(inode, index, offset, part_len as u32).await })
            })
            .collect();
        let mut out = BytesMut::with_capacity(len as usize);
        let mut short = false;
        for part in parts {
            let data = part.await.map_err(|_| Errno::EIO)??;
            if !short {
                out.extend_from_slice(&data);
            }
            short |= (data.len() as u64) < PART;
        }
        Ok(out.freeze())
    }

    /// Where chunk `index` of `inode` is, from the cache or the master.
    async fn locate(&self, inode: u32, index: u32, fresh: bool) -> FsResult<ChunkLocation> {
        if !fresh {
            let cached = self.locations.get(inode, index);
            self.master.stats().cache(Cache::Location, cached.is_some());
            if let Some(location) = cached {
                return Ok(location);
            }
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
        let location = reply.reply.ok().map_err(Errno::from)?;
        self.locations.put(inode, index, location.clone());
        Ok(location)
    }

    /// Fetches `len` bytes at `offset` of chunk `index`, cut at the end of
    /// the file; tries the copies in turn, at most `retries` times.
    async fn fetch(&self, inode: u32, index: u32, offset: u32, len: u32) -> FsResult<Bytes> {
        let mut last = Errno::EIO;
        for attempt in 0..self.retries {
            if attempt > 0 {
                self.master.stats().retry(Retry::ChunkRead);
                tokio::time::sleep(backoff(attempt)).await;
            }
            let location = match self.locate(inode, index, attempt > 0).await {
                Ok(location) => location,
                Err(e) => {
                    last = e;
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
            // Different blocks start at different copies, so parallel and
            // random reads spread over the chunkservers; retries move on.
            let copies = location.servers.addresses();
            let pick = attempt as usize + (u64::from(offset) / BLOCK_SIZE) as usize;
            let Some(&(ip, port)) = copies.get(pick % copies.len().max(1)) else {
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
                Ok(data) => {
                    self.master.stats().cs_read_bytes.inc_by(data.len() as u64);
                    return Ok(data);
                }
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

/// The bytes from `at` on that the window holds, at most `len`; `None`
/// when it does not hold `at` (or holds nothing).
fn window_slice(window: &Window, at: u64, len: u32) -> Option<Bytes> {
    let from = at.checked_sub(window.offset)? as usize;
    if from >= window.data.len() {
        return None;
    }
    let to = (from + len as usize).min(window.data.len());
    Some(window.data.slice(from..to))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_serves_what_it_holds_from_the_asked_offset() {
        let window = Window {
            offset: 100,
            data: Bytes::from_static(b"0123456789"),
            ahead: AHEAD_MIN,
            next: None,
        };
        assert_eq!(window_slice(&window, 102, 3).as_deref(), Some(&b"234"[..]));
        assert_eq!(window_slice(&window, 108, 3).as_deref(), Some(&b"89"[..]));
        assert_eq!(window_slice(&window, 110, 1), None);
        assert_eq!(window_slice(&window, 99, 1), None);
    }

    #[test]
    fn cached_locations_expire_and_can_be_dropped() {
        let locations = Locations::default();
        locations.put(
            7,
            0,
            ChunkLocation {
                file_length: 1,
                chunkid: 2,
                version: 3,
                servers: mooseng_wire::types::Servers::V0(Vec::new()),
            },
        );
        assert!(locations.get(7, 0).is_some());
        locations.forget(7);
        assert!(locations.get(7, 0).is_none());
    }
}
