//! Reading chunk data and checking a whole chunk.

use std::num::NonZeroU64;

use rustix::fs::Advice;

use super::crc::{crc, EMPTY_BLOCK_CRC};
use super::error::{ChunkFileError, Result};
use super::handle::ChunkFile;
use super::header::Format;
use super::layout::{in_chunk, pieces, BLOCKS_PER_CHUNK, BLOCK_SIZE};

/// Outcome of [`ChunkFile::verify`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifyReport {
    /// Blocks stored in the file.
    pub blocks: u16,
    /// Blocks whose stored CRC does not match their data, ascending. For an
    /// `MFSC 1.1` file this also lists blocks past the end whose CRC entry
    /// is neither zero nor the empty-block CRC, as `mfschunktool` does.
    pub bad_blocks: Vec<u16>,
}

impl VerifyReport {
    /// True if no block is damaged.
    pub fn is_ok(&self) -> bool {
        self.bad_blocks.is_empty()
    }
}

/// Where [`ChunkFile::fetch_blocks`] may take stored blocks from.
#[derive(Clone, Copy)]
enum Fetch {
    /// The disk if need be.
    Wait,
    /// Only the page cache.
    CachedOnly,
}

/// What [`ChunkFile::fetch_blocks`] did when it did not fail.
enum Fetched {
    /// Read and checked every block.
    All,
    /// Nothing: a block was not in the page cache.
    NotCached,
}

impl ChunkFile {
    /// Fills `out` with the chunk bytes at `offset`. Bytes past the last
    /// stored block read as zeros, as a chunk is logically 64 MiB long.
    ///
    /// Every stored block the range touches is checked against its CRC
    /// first, whole, and `out` is left untouched unless all of them match.
    pub fn read_into(&self, offset: u32, out: &mut [u8]) -> Result<()> {
        if !in_chunk(offset, out.len()) {
            return Err(ChunkFileError::OutOfRange {
                offset: offset.into(),
                len: out.len() as u64,
            });
        }
        // Every block is checked before a byte lands in `out`, so a failed
        // read leaves it as it was.
        let blocks = pieces(offset, out.len())
            .map(|piece| match piece.block < self.geometry.blocks {
                true => self.checked_block(piece.block).map(Some),
                false => Ok(None),
            })
            .collect::<Result<Vec<_>>>()?;
        for (piece, block) in pieces(offset, out.len()).zip(blocks) {
            let target = &mut out[piece.buf_range()];
            match block {
                Some(bytes) => target.copy_from_slice(&bytes[piece.start..piece.end()]),
                None => target.fill(0),
            }
        }
        Ok(())
    }

    /// Reads `len` chunk bytes at `offset`; see [`ChunkFile::read_into`].
    pub fn read(&self, offset: u32, len: u32) -> Result<Vec<u8>> {
        let mut out = vec![0u8; len as usize];
        self.read_into(offset, &mut out)?;
        Ok(out)
    }

    /// Checks up to `count` stored blocks from `first` on against their
    /// CRCs, stopping at the first mismatch; returns how many were checked
    /// (fewer than `count`, down to 0, where the chunk ends). The scrubber
    /// goes through a chunk this way a slice at a time, so other users of
    /// the chunk are never held up for long.
    pub fn verify_blocks(&self, first: u16, count: u16) -> Result<u16> {
        let end = first.saturating_add(count).min(self.geometry.blocks);
        for block in first..end {
            self.checked_block(block)?;
        }
        Ok(end.saturating_sub(first))
    }

    /// Checks every stored block against its CRC and reports the bad ones.
    pub fn verify(&self) -> VerifyReport {
        let blocks = self.geometry.blocks;
        let mut bad_blocks: Vec<u16> = (0..blocks)
            .filter(|&block| {
                // A block that cannot be read is as bad as a damaged one.
                self.raw_block(block)
                    .map_or(true, |bytes| crc(&bytes) != self.stored_crc(block))
            })
            .collect();
        if self.format == Format::V1_1 {
            bad_blocks.extend((blocks..BLOCKS_PER_CHUNK).filter(|&block| {
                let entry = self.stored_crc(block);
                entry != 0 && entry != EMPTY_BLOCK_CRC
            }));
        }
        VerifyReport { blocks, bad_blocks }
    }
}

impl ChunkFile {
    /// The stored CRC table, all 1024 entries, as `ANTOCS_GET_CHUNK_CHECKSUM_TAB`
    /// reports it. Entries past the last block are whatever the file holds.
    pub fn stored_crcs(&self) -> Vec<u32> {
        (0..BLOCKS_PER_CHUNK)
            .map(|block| self.stored_crc(block))
            .collect()
    }
}

impl ChunkFile {
    /// Fills `out`, a whole number of blocks, with the blocks from `first`
    /// on, then checks them in order against their stored CRCs and pushes
    /// the CRC of each that passed onto `crcs`. Stops at the first that
    /// does not pass, with its error: the blocks before it may be sent, it
    /// and those after it must not. Blocks past the end read as zeros.
    ///
    /// The stored blocks come in one `pread`, not one per block: a
    /// sequential read spends its time in the kernel, and fewer, longer
    /// reads are what make it cheaper.
    pub fn read_blocks(&self, first: u16, out: &mut [u8], crcs: &mut Vec<u32>) -> Result<()> {
        self.fetch_blocks(Fetch::Wait, first, out, crcs).map(|_| ())
    }

    /// [`ChunkFile::read_blocks`] for a thread that must not wait for the
    /// disk: `true` when every stored block was in the page cache and
    /// passed its check; otherwise `false`, with `crcs` as it was, and the
    /// caller does the read with [`ChunkFile::read_blocks`]. The stored
    /// CRCs come through the file's mapping of its head, which every read
    /// of the file touches, so it stays in memory.
    pub fn read_cached_blocks(&self, first: u16, out: &mut [u8], crcs: &mut Vec<u32>) -> bool {
        let before = crcs.len();
        let done = matches!(
            self.fetch_blocks(Fetch::CachedOnly, first, out, crcs),
            Ok(Fetched::All)
        );
        if !done {
            crcs.truncate(before);
        }
        done
    }

    fn fetch_blocks(
        &self,
        fetch: Fetch,
        first: u16,
        out: &mut [u8],
        crcs: &mut Vec<u32>,
    ) -> Result<Fetched> {
        let block = BLOCK_SIZE as usize;
        let count = out.len() / block;
        if !out.len().is_multiple_of(block)
            || usize::from(first) + count > usize::from(BLOCKS_PER_CHUNK)
        {
            return Err(ChunkFileError::OutOfRange {
                offset: u64::from(first) * u64::from(BLOCK_SIZE),
                len: out.len() as u64,
            });
        }
        let stored = usize::from(self.geometry.blocks.saturating_sub(first)).min(count);
        let (on_disk, past_end) = out.split_at_mut(stored * block);
        if stored > 0 {
            match fetch {
                Fetch::Wait => self.read_raw_blocks(first, on_disk)?,
                Fetch::CachedOnly => {
                    if !self.read_raw_cached_blocks(first, on_disk)? {
                        return Ok(Fetched::NotCached);
                    }
                }
            }
        }
        past_end.fill(0);
        for (number, bytes) in (first..).zip(on_disk.chunks(block)) {
            crcs.push(self.check_block(number, bytes)?);
        }
        crcs.extend(std::iter::repeat_n(EMPTY_BLOCK_CRC, count - stored));
        Ok(Fetched::All)
    }

    /// Tells the kernel that blocks `first..first + count` are about to be
    /// read in order, as mfschunkserver does when a read starts: their
    /// disk reads begin at once, ahead of the `pread`s that want them, and
    /// the readahead window of the file widens.
    pub fn will_read(&self, first: u16, count: u16) {
        let offset = self.geometry.block_offset(first);
        let len = NonZeroU64::new(u64::from(count) * u64::from(BLOCK_SIZE));
        // Advice only: a kernel that ignores it serves the reads all the same.
        for advice in [Advice::Sequential, Advice::WillNeed] {
            let _ = rustix::fs::fadvise(&self.file, offset, len, advice);
        }
    }
}
