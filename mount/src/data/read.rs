//! Reading: locate each chunk with the master (locations are cached for a
//! moment), fetch from one of its copies (another one on failure), and keep
//! a per-file window. Random reads fetch only what was asked; once reads
//! are sequential the window grows and the next one is fetched in the
//! background, itself as several chunkserver reads in flight at once.

use std::collections::HashMap;
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
            let window = lock(&file.window);
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
            let next = window.next.as_ref().filter(|p| p.covers(at)).cloned();
            (next, ahead)
        };
        self.master
            .stats()
            .cache(Cache::ReadWindow, prefetched.is_some());
        let in_chunk = at % CHUNK_SIZE;
        let want = u64::from(len).max(ahead).min(CHUNK_SIZE - in_chunk);
        let shared = match prefetched {
            Some(prefetch) => Some(prefetch),
            // The kernel reads ahead several requests at once: the others
            // of this sequential run find this fetch and wait for it too.
            None if ahead > 0 => {
                let prefetch = self.prefetch(inode, at, want);
                lock(&file.window).next = Some(prefetch.clone());
                Some(prefetch)
            }
            None => None,
        };
        let (offset, asked, data) = match &shared {
            Some(prefetch) => (prefetch.offset, prefetch.len, prefetch.wait().await?),
            None => (at, want, self.fetch_range(inode, at, want).await?),
        };
        let mut window = lock(&file.window);
        // Another read that waited for the same fetch may have made it the
        // window, and sequential readers may have moved past it already.
        if let Some(hit) = window_slice(&window, at, len) {
            return Ok(hit);
        }
        if shared.is_some() && offset < window.offset {
            return Ok(slice_at(offset, &data, at, len).unwrap_or_default());
        }
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
            window.next = Some(self.prefetch(inode, next_at, next_len));
        }
        Ok(window_slice(&window, at, len).unwrap_or_default())
    }

    /// Starts fetching `len` bytes at `at` in the background.
    fn prefetch(self: &Arc<Self>, inode: u32, at: u64, len: u64) -> Prefetch {
        let path = self.clone();
        Prefetch::start(
            at,
            len,
            async move { path.fetch_range(inode, at, len).await },
        )
    }

    /// Fetches `len` bytes at file offset `at` (inside one chunk), cut at
    /// the end of the file, as parts of at most [`PART`] fetched at once,
    /// each into its own piece of one buffer.
    async fn fetch_range(self: &Arc<Self>, inode: u32, at: u64, len: u64) -> FsResult<Bytes> {
        let index = (at / CHUNK_SIZE) as u32;
        let in_chunk = at % CHUNK_SIZE;
        if len <= PART {
            let out = BytesMut::with_capacity(len as usize);
            let data = self.fetch(inode, index, in_chunk as u32, len as u32, out);
            return Ok(data.await?.freeze());
        }
        let mut rest = BytesMut::with_capacity(len as usize);
        let parts: Vec<_> = (0..len)
            .step_by(PART as usize)
            .map(|from| {
                let path = self.clone();
                let part_len = PART.min(len - from);
                let offset = (in_chunk + from) as u32;
                // The buffer is empty: split by capacity, not length.
                let tail = rest.split_off(part_len as usize);
                let piece = std::mem::replace(&mut rest, tail);
                tokio::spawn(async move {
                    path.fetch(inode, index, offset, part_len as u32, piece)
                        .await
                })
            })
            .collect();
        let mut out = BytesMut::new();
        for part in parts {
            let data = part.await.map_err(|_| Errno::EIO)??;
            let short = (data.len() as u64) < PART;
            // Pieces of one buffer, filled in place: joined without a copy.
            out.unsplit(data);
            if short {
                break;
            }
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

    /// Fetches `len` bytes at `offset` of chunk `index` into `out` (empty,
    /// with room for them), cut at the end of the file; tries the copies in
    /// turn, at most `retries` times.
    async fn fetch(
        &self,
        inode: u32,
        index: u32,
        offset: u32,
        len: u32,
        mut out: BytesMut,
    ) -> FsResult<BytesMut> {
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
                return Ok(out);
            }
            if location.chunkid == 0 {
                // A hole: never written, reads as zeros.
                out.resize(available as usize, 0);
                return Ok(out);
            }
            // The copy with the fewest of our reads under way; among equals
            // different blocks start at different copies, so random reads
            // spread too, and retries move on.
            let copies = location.servers.addresses();
            let first = attempt as usize + (u64::from(offset) / BLOCK_SIZE) as usize;
            let Some(addr) = self.pool.least_busy(&copies, first) else {
                last = Errno(libc::ENXIO);
                continue;
            };
            let chunk = ChunkRef {
                chunkid: location.chunkid,
                version: location.version,
            };
            match self
                .pool
                .read(addr, chunk, offset, available, &mut out)
                .await
            {
                Ok(()) => {
                    self.master.stats().cs_read_bytes.inc_by(out.len() as u64);
                    return Ok(out);
                }
                Err(e) => {
                    out.clear();
                    tracing::warn!("read of inode {inode} chunk {index} from {addr} failed: {e}");
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
    slice_at(window.offset, &window.data, at, len)
}

/// The bytes from file offset `at` on of `data` (which starts at file
/// offset `offset`), at most `len`; `None` when `data` does not hold `at`.
fn slice_at(offset: u64, data: &Bytes, at: u64, len: u32) -> Option<Bytes> {
    let from = at.checked_sub(offset)? as usize;
    if from >= data.len() {
        return None;
    }
    let to = (from + len as usize).min(data.len());
    Some(data.slice(from..to))
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
