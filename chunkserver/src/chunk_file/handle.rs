//! An open chunk file: creating, opening, syncing and deleting it, and the
//! low-level accessors the other operations share.

use std::fs::{self, File, OpenOptions};
use std::io::{self, IoSliceMut};
use std::os::unix::fs::FileExt;
use std::path::Path;

use memmap2::Mmap;
use rustix::io::{preadv2, Errno, ReadWriteFlags};

use super::crc::{crc, empty_table, table_entry};
use super::error::{io_at, ChunkFileError, Result};
use super::header::{Format, Header};
use super::layout::{Geometry, BLOCK_SIZE, CRC_TABLE_SIZE, HEADER_SIZE};
use super::mapping::map_head;
use super::name::{ChunkName, ChunkPath};

/// An open chunk file.
///
/// The header and CRC table are read through a shared read-only memory map
/// of the file's head; block data is read with `pread`, and everything is
/// written with `pwrite` on the descriptor, which the map sees at once.
#[derive(Debug)]
pub struct ChunkFile {
    pub(super) path: ChunkPath,
    pub(super) file: File,
    pub(super) map: Mmap,
    pub(super) geometry: Geometry,
    pub(super) format: Format,
    /// The directory entry changed (create, rename) since the last
    /// [`ChunkFile::sync`], so the subfolder must be synced too.
    pub(super) entry_unsynced: bool,
}

impl ChunkFile {
    /// Creates an empty chunk (no blocks) at `path`, creating its subfolder
    /// if needed; fails if the file already exists.
    ///
    /// The file gets a `MFSC 1.0` header, as MooseFS writes, and a CRC
    /// table holding the empty-block CRC in every entry, which satisfies
    /// even the strict check MooseFS applies to `MFSC 1.1` files.
    pub fn create(path: ChunkPath) -> Result<Self> {
        let subfolder = path.subfolder_dir();
        fs::create_dir_all(&subfolder).map_err(io_at(&subfolder))?;
        let file_path = path.path();
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(&file_path)
            .map_err(io_at(&file_path))?;
        let header = Header {
            format: Format::V1_0,
            name: path.name(),
        };
        let used = header.encode();
        let mut head = vec![0u8; (HEADER_SIZE + CRC_TABLE_SIZE) as usize];
        head[..used.len()].copy_from_slice(&used);
        head[HEADER_SIZE as usize..].copy_from_slice(&empty_table());
        if let Err(err) = file.write_all_at(&head, 0) {
            discard(&file_path);
            return Err(io_at(&file_path)(err));
        }
        let map = map_head(&file, HEADER_SIZE + CRC_TABLE_SIZE).map_err(io_at(&file_path))?;
        Ok(Self {
            path,
            file,
            map,
            geometry: Geometry {
                header_size: HEADER_SIZE,
                blocks: 0,
            },
            format: Format::V1_0,
            entry_unsynced: true,
        })
    }

    /// Opens an existing chunk file for reading and writing, checking what
    /// MooseFS checks on open: a regular file of a possible size whose
    /// header has a known signature and the id and version of its name.
    pub fn open(path: ChunkPath) -> Result<Self> {
        let file_path = path.path();
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .open(&file_path)
            .map_err(io_at(&file_path))?;
        let meta = file.metadata().map_err(io_at(&file_path))?;
        if !meta.is_file() {
            return Err(ChunkFileError::NotRegularFile { path: file_path });
        }
        let geometry =
            Geometry::from_file_len(meta.len()).ok_or_else(|| ChunkFileError::BadSize {
                path: file_path.clone(),
                size: meta.len(),
            })?;
        let map =
            map_head(&file, geometry.header_size + CRC_TABLE_SIZE).map_err(io_at(&file_path))?;
        let header = Header::decode(&map).map_err(|source| ChunkFileError::BadHeader {
            path: file_path.clone(),
            source,
        })?;
        if header.name != path.name() {
            return Err(ChunkFileError::WrongIdentity {
                path: file_path,
                expected: path.name(),
                found: header.name,
            });
        }
        Ok(Self {
            path,
            file,
            map,
            geometry,
            format: header.format,
            entry_unsynced: false,
        })
    }

    /// Where the file is.
    pub fn path(&self) -> &ChunkPath {
        &self.path
    }

    /// Chunk id and version.
    pub fn name(&self) -> ChunkName {
        self.path.name()
    }

    /// Blocks stored in the file.
    pub fn blocks(&self) -> u16 {
        self.geometry.blocks
    }

    /// Header size and block count.
    pub fn geometry(&self) -> Geometry {
        self.geometry
    }

    /// Format revision from the header signature.
    pub fn format(&self) -> Format {
        self.format
    }

    /// Makes everything written so far durable: the file's data, CRC table
    /// and size, and, after a create or version change, its directory
    /// entry. Until this returns, a power loss may tear any write; the CRC
    /// check then detects the torn block.
    pub fn sync(&mut self) -> Result<()> {
        let file_path = self.path.path();
        self.file.sync_data().map_err(io_at(&file_path))?;
        if self.entry_unsynced {
            let dir = self.path.subfolder_dir();
            File::open(&dir)
                .and_then(|d| d.sync_all())
                .map_err(io_at(&dir))?;
            self.entry_unsynced = false;
        }
        Ok(())
    }

    /// Removes the chunk file.
    pub fn delete(self) -> Result<()> {
        let file_path = self.path.path();
        drop(self.map);
        fs::remove_file(&file_path).map_err(io_at(&file_path))
    }

    /// The stored CRC of `block`, read from the file.
    pub(super) fn stored_crc(&self, block: u16) -> u32 {
        let table = self.geometry.crc_offset(0) as usize;
        table_entry(&self.map[table..table + CRC_TABLE_SIZE as usize], block)
    }

    /// The bytes of stored block `block` (which must be below `blocks()`),
    /// unchecked. Read with `pread`, not through the map: a block read
    /// through the map stays counted in the process's resident memory for
    /// as long as the file is open (open files are kept for the next
    /// session), and faulting its pages in costs more than the copy.
    pub(super) fn raw_block(&self, block: u16) -> Result<Vec<u8>> {
        let mut bytes = vec![0u8; BLOCK_SIZE as usize];
        self.read_raw_blocks(block, &mut bytes)?;
        Ok(bytes)
    }

    /// Fills `out` (whole blocks, all stored) with the blocks from `first`
    /// on, unchecked, in one `pread`.
    pub(super) fn read_raw_blocks(&self, first: u16, out: &mut [u8]) -> Result<()> {
        self.file
            .read_exact_at(out, self.geometry.block_offset(first))
            .map_err(io_at(&self.path.path()))
    }

    /// [`ChunkFile::read_raw_blocks`] from the page cache only
    /// (`preadv2` with `RWF_NOWAIT`): `false` as soon as a byte is not
    /// there, or the file system cannot tell.
    pub(super) fn read_raw_cached_blocks(&self, first: u16, out: &mut [u8]) -> Result<bool> {
        let mut offset = self.geometry.block_offset(first);
        let mut rest = out;
        while !rest.is_empty() {
            let read = preadv2(
                &self.file,
                &mut [IoSliceMut::new(rest)],
                offset,
                ReadWriteFlags::NOWAIT,
            );
            match read {
                Ok(0) => {
                    let eof = io::Error::from(io::ErrorKind::UnexpectedEof);
                    return Err(io_at(&self.path.path())(eof));
                }
                Ok(n) => {
                    rest = &mut std::mem::take(&mut rest)[n..];
                    offset += n as u64;
                }
                Err(Errno::AGAIN | Errno::OPNOTSUPP) => return Ok(false),
                Err(Errno::INTR) => {}
                Err(err) => return Err(io_at(&self.path.path())(err.into())),
            }
        }
        Ok(true)
    }

    /// The bytes of stored block `block` after checking them against the
    /// stored CRC.
    pub(super) fn checked_block(&self, block: u16) -> Result<Vec<u8>> {
        let bytes = self.raw_block(block)?;
        self.check_block(block, &bytes)?;
        Ok(bytes)
    }

    /// Checks the bytes of block `block` against its stored CRC and
    /// returns that CRC.
    pub(super) fn check_block(&self, block: u16, bytes: &[u8]) -> Result<u32> {
        let stored = self.stored_crc(block);
        let computed = crc(bytes);
        if stored == computed {
            Ok(stored)
        } else {
            Err(ChunkFileError::Crc {
                path: self.path.path(),
                block,
                stored,
                computed,
            })
        }
    }

    /// Writes `bytes` at file offset `offset`.
    pub(super) fn write_at(&self, bytes: &[u8], offset: u64) -> Result<()> {
        self.file
            .write_all_at(bytes, offset)
            .map_err(io_at(&self.path.path()))
    }

    /// Writes consecutive CRC table entries starting at `first`.
    pub(super) fn write_crcs(&self, first: u16, encoded: &[u8]) -> Result<()> {
        self.write_at(encoded, self.geometry.crc_offset(first))
    }

    /// Sets the file length to `len` bytes, never less than the header and
    /// CRC table (which the map covers). `len` may cut into a block; the
    /// caller restores whole blocks afterwards.
    pub(super) fn set_len(&mut self, len: u64) -> Result<()> {
        let len = len.max(self.geometry.block_offset(0));
        self.file.set_len(len).map_err(io_at(&self.path.path()))
    }

    /// Sets the number of stored blocks; new blocks read as zeros.
    pub(super) fn resize(&mut self, blocks: u16) -> Result<()> {
        let geometry = self.geometry.with_blocks(blocks);
        self.set_len(geometry.file_len())?;
        self.geometry = geometry;
        Ok(())
    }
}

/// Removes a file left half-made by a failed operation. Best effort: the
/// caller is already returning the error that caused the failure.
pub(super) fn discard(path: &Path) {
    let _ = fs::remove_file(path);
}
