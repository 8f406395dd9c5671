//! The chunk operations the master orders (`MATOCS_CREATE`, `_DELETE`,
//! `_SET_VERSION`, `_DUPLICATE`, `_TRUNCATE`, `_DUPTRUNC`, `_CHUNKOP`),
//! with the statuses mfschunkserver 3.0.117 answers. Blocking; run them
//! through [`Store::run`].

use std::sync::Arc;

use mooseng_wire::Status;
use tracing::warn;

use super::{Slot, SlotState, Store};
use crate::chunk_file::{ChunkFile, ChunkFileError, ChunkName, CHUNK_SIZE};

/// `length` of a `MATOCS_CHUNKOP` that means "no truncation".
pub const NO_LENGTH: u32 = 0xFFFF_FFFF;

impl Store {
    /// Runs `work` on the chunk's file, opening it for the occasion if no
    /// session has it open, and keeps the slot's path in step with the
    /// file (a version change renames it).
    pub(super) fn with_file<T>(
        &self,
        state: &mut SlotState,
        work: impl FnOnce(&mut ChunkFile) -> Result<T, ChunkFileError>,
    ) -> Result<T, Status> {
        let chunkid = state.path.name().id;
        let result = state.file().and_then(work);
        if let Some(file) = &state.file {
            state.path = file.path().clone();
        }
        if state.users == 0 && !state.idle {
            state.file = None;
        }
        result.map_err(|err| self.failed(chunkid, state.folder, &err))
    }

    /// A live slot of `chunkid`, locked, after checking its version.
    pub(super) fn locked(&self, chunkid: u64, version: u32) -> Result<Arc<Slot>, Status> {
        let slot = self.existing(chunkid)?;
        let state = slot.lock();
        if state.gone {
            return Err(Status::NOCHUNK);
        }
        state.check_version(version)?;
        drop(state);
        Ok(slot)
    }

    /// Creates an empty chunk in the folder with the most free space.
    pub fn create(&self, chunkid: u64, version: u32) -> Result<(), Status> {
        if self.slot(chunkid).is_some() {
            return Err(Status::CHUNKEXIST);
        }
        let folder = self.place().ok_or(Status::NOSPACE)?;
        let path = self.new_path(
            folder,
            ChunkName {
                id: chunkid,
                version,
            },
        );
        ChunkFile::create(path.clone()).map_err(|err| self.failed(chunkid, folder, &err))?;
        self.insert_new(path, folder)
    }

    /// Removes a chunk. A file already gone from the disk is only logged,
    /// as mfschunkserver does: the master wanted it gone anyway.
    pub fn delete(&self, chunkid: u64, version: u32) -> Result<(), Status> {
        let slot = self.locked(chunkid, version)?;
        let mut state = slot.lock();
        let file_path = state.path.path();
        state.close(&self.idle);
        if let Err(err) = std::fs::remove_file(&file_path) {
            if err.kind() != std::io::ErrorKind::NotFound {
                let err = ChunkFileError::Io {
                    path: file_path,
                    source: err,
                };
                return Err(self.failed(chunkid, state.folder, &err));
            }
            warn!(file = %file_path.display(), "chunk file was already deleted");
        }
        state.gone = true;
        drop(state);
        self.index().remove(&chunkid);
        Ok(())
    }

    /// Renames the chunk to `newversion` and rewrites its header.
    pub fn set_version(&self, chunkid: u64, version: u32, newversion: u32) -> Result<(), Status> {
        let slot = self.locked(chunkid, version)?;
        let mut state = slot.lock();
        self.with_file(&mut state, |file| file.set_version(newversion))
    }

    /// Sets a new version, then cuts or extends the chunk to `length`.
    pub fn truncate(
        &self,
        chunkid: u64,
        version: u32,
        newversion: u32,
        length: u32,
    ) -> Result<(), Status> {
        if length > CHUNK_SIZE {
            return Err(Status::EINVAL);
        }
        let slot = self.locked(chunkid, version)?;
        let mut state = slot.lock();
        self.with_file(&mut state, |file| {
            file.set_version(newversion)?;
            file.truncate(length)
        })
    }

    /// Copies chunk `chunkid` (first moved to `newversion`) into a new
    /// chunk `copyid` in `copyversion` (0: `newversion`), truncated to
    /// `length` if given.
    pub fn duplicate(
        &self,
        chunkid: u64,
        version: u32,
        newversion: u32,
        copy: ChunkName,
        length: Option<u32>,
    ) -> Result<(), Status> {
        if length.is_some_and(|length| length > CHUNK_SIZE) {
            return Err(Status::EINVAL);
        }
        let copy = ChunkName {
            id: copy.id,
            version: if copy.version == 0 {
                newversion
            } else {
                copy.version
            },
        };
        if self.slot(copy.id).is_some() {
            return Err(Status::CHUNKEXIST);
        }
        let slot = self.locked(chunkid, version)?;
        let folder = self.place().ok_or(Status::NOSPACE)?;
        let target = self.new_path(folder, copy);
        let mut state = slot.lock();
        let copied = self.with_file(&mut state, |file| {
            if newversion != file.name().version {
                file.set_version(newversion)?;
            }
            file.duplicate(target.clone())
        })?;
        drop(state);
        if let Some(length) = length {
            let mut copied = copied;
            if let Err(err) = copied.truncate(length) {
                let status = self.failed(copy.id, folder, &err);
                let _ = copied.delete();
                return Err(status);
            }
        }
        self.insert_new(target, folder)
    }

    /// Checks every block of the chunk against its CRC.
    pub fn test(&self, chunkid: u64, version: u32) -> Result<(), Status> {
        let slot = self.locked(chunkid, version)?;
        let mut state = slot.lock();
        let report = self.with_file(&mut state, |file| Ok(file.verify()))?;
        if report.is_ok() {
            return Ok(());
        }
        warn!(chunk = format_args!("{chunkid:016X}"), bad = ?report.bad_blocks, "chunk test found damaged blocks");
        self.reports.damaged(chunkid);
        Err(Status::CRC)
    }

    /// `MATOCS_CHUNKOP`: every operation above, chosen by which arguments
    /// are zero or `0xFFFFFFFF` (see the wire crate's `Chunkop`).
    pub fn chunkop(
        &self,
        chunkid: u64,
        version: u32,
        newversion: u32,
        copy: ChunkName,
        length: u32,
    ) -> Result<(), Status> {
        match (newversion, length, copy.id) {
            (0, 0, _) => self.delete(chunkid, version),
            (0, 1, _) => self.create(chunkid, version),
            (0, 2, _) => self.test(chunkid, version),
            (0, _, _) => Err(Status::EINVAL),
            (_, NO_LENGTH, 0) => self.set_version(chunkid, version, newversion),
            (_, NO_LENGTH, _) => self.duplicate(chunkid, version, newversion, copy, None),
            (_, length, _) if length > CHUNK_SIZE => Err(Status::EINVAL),
            (_, length, 0) => self.truncate(chunkid, version, newversion, length),
            (_, length, _) => self.duplicate(chunkid, version, newversion, copy, Some(length)),
        }
    }
}
