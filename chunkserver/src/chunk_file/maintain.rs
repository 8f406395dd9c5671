//! Operations on a chunk as a whole: truncate, version change, duplicate.

use std::fs;

use super::crc::{crc_of_parts, encode_entries, EMPTY_BLOCK_CRC, ZERO_BLOCK};
use super::error::{io_at, ChunkFileError, Result};
use super::handle::{discard, ChunkFile};
use super::header::VERSION_OFFSET;
use super::layout::{BLOCK_SIZE, CHUNK_SIZE};
use super::name::ChunkPath;

impl ChunkFile {
    /// Sets the chunk length to `length` bytes: the file keeps
    /// `ceil(length / 64 KiB)` blocks and the bytes of the last block past
    /// `length` become zeros, with its CRC recomputed.
    ///
    /// A block cut short is checked against its CRC before its new CRC is
    /// computed, so truncation never turns damaged data into data with a
    /// valid CRC. Blocks that disappear get the empty-block CRC, as MooseFS
    /// does.
    pub fn truncate(&mut self, length: u32) -> Result<()> {
        if length > CHUNK_SIZE {
            return Err(ChunkFileError::OutOfRange {
                offset: length.into(),
                len: 0,
            });
        }
        let old_blocks = self.geometry.blocks;
        // Lossless: length <= CHUNK_SIZE bounds the count to 1024.
        let new_blocks = length.div_ceil(BLOCK_SIZE) as u16;
        let tail = (length % BLOCK_SIZE) as usize;
        if new_blocks > old_blocks {
            self.resize(new_blocks)?;
            let entries = encode_entries((old_blocks..new_blocks).map(|_| EMPTY_BLOCK_CRC));
            return self.write_crcs(old_blocks, &entries);
        }
        let (first_entry, last_crc) = if tail == 0 {
            (new_blocks, None)
        } else {
            let last = new_blocks - 1;
            let kept = self.checked_block(last)?;
            let last_crc = crc_of_parts(&kept[..tail], &ZERO_BLOCK[tail..], &[]);
            // Cut the file inside the last block; the resize below grows it
            // back to whole blocks, so the cut-off bytes return as zeros
            // (as a hole where the file system supports that).
            self.set_len(self.geometry.block_offset(last) + tail as u64)?;
            (last, Some(last_crc))
        };
        self.resize(new_blocks)?;
        let gone = (new_blocks..old_blocks).map(|_| EMPTY_BLOCK_CRC);
        let entries = encode_entries(last_crc.into_iter().chain(gone));
        self.write_crcs(first_entry, &entries)
    }

    /// Changes the chunk version: renames the file to its new name, then
    /// rewrites the version in the header (MooseFS's order; a crash in
    /// between leaves name and header disagreeing, which opening reports as
    /// [`ChunkFileError::WrongIdentity`]). If the header write fails the
    /// rename is undone.
    pub fn set_version(&mut self, version: u32) -> Result<()> {
        let old_path = self.path.path();
        let new = self.path.with_version(version);
        let new_path = new.path();
        fs::rename(&old_path, &new_path).map_err(io_at(&old_path))?;
        let old = std::mem::replace(&mut self.path, new);
        self.entry_unsynced = true;
        if let Err(err) = self.write_at(&version.to_be_bytes(), VERSION_OFFSET) {
            if fs::rename(&new_path, &old_path).is_ok() {
                self.path = old;
            }
            return Err(err);
        }
        Ok(())
    }

    /// Copies this chunk into a new file at `target` (another id, version or
    /// folder) and returns it open. Every block is checked against its CRC
    /// while copying, so a damaged chunk is reported rather than copied;
    /// on any error the new file is removed.
    pub fn duplicate(&self, target: ChunkPath) -> Result<ChunkFile> {
        let target_path = target.path();
        let mut copy = ChunkFile::create(target)?;
        match self.copy_blocks_into(&mut copy) {
            Ok(()) => Ok(copy),
            Err(err) => {
                drop(copy);
                discard(&target_path);
                Err(err)
            }
        }
    }

    fn copy_blocks_into(&self, copy: &mut ChunkFile) -> Result<()> {
        let blocks = self.geometry.blocks;
        copy.resize(blocks)?;
        for block in 0..blocks {
            let bytes = self.checked_block(block)?;
            copy.write_at(&bytes, copy.geometry.block_offset(block))?;
        }
        let entries = encode_entries((0..blocks).map(|block| self.stored_crc(block)));
        copy.write_crcs(0, &entries)
    }
}
