//! One data folder: its space, its health, and the scan that finds the
//! chunk files already in it.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use rustix::fs::StatVfsMountFlags;
use tracing::warn;

use crate::chunk_file::{ChunkName, ChunkPath};

/// Space of a folder's file system, in bytes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Space {
    pub used: u64,
    pub total: u64,
}

/// A data folder.
#[derive(Debug)]
pub struct Folder {
    pub path: PathBuf,
    /// Marked with `*`: its chunks are reported for removal and it gets no
    /// new chunks.
    pub marked_for_removal: bool,
    health: Mutex<Health>,
}

#[derive(Debug, Default)]
struct Health {
    io_errors: u32,
    /// Taken out of service after too many I/O errors.
    failed: bool,
    /// The chunk that caused the last error and when (Unix seconds), for
    /// `mfscli -SHD`.
    last_error: Option<(u64, u32)>,
}

impl Folder {
    pub fn new(path: PathBuf, marked_for_removal: bool) -> Self {
        Folder {
            path,
            marked_for_removal,
            health: Mutex::new(Health::default()),
        }
    }

    /// Asks the file system for the folder's space. A folder we cannot ask
    /// counts as holding nothing.
    pub fn space(&self) -> Space {
        match rustix::fs::statvfs(&self.path) {
            Ok(st) => {
                let total = st.f_blocks.saturating_mul(st.f_frsize);
                let avail = st.f_bavail.saturating_mul(st.f_frsize);
                Space {
                    used: total.saturating_sub(avail),
                    total,
                }
            }
            Err(err) => {
                warn!(folder = %self.path.display(), %err, "statvfs failed");
                Space::default()
            }
        }
    }

    /// Free bytes, for placing new chunks.
    pub fn available(&self) -> u64 {
        let space = self.space();
        space.total - space.used
    }

    pub fn is_failed(&self) -> bool {
        self.lock().failed
    }

    /// Can take new chunks.
    pub fn accepts_new_chunks(&self) -> bool {
        !self.marked_for_removal && !self.is_failed()
    }

    /// Why the folder cannot take a new chunk now, or `None` when it can:
    /// what the health check reports.
    pub fn unwritable(&self) -> Option<&'static str> {
        if self.is_failed() {
            return Some("taken out of service after I/O errors");
        }
        if self.marked_for_removal {
            return Some("marked for removal");
        }
        match rustix::fs::statvfs(&self.path) {
            Err(_) => Some("statvfs failed"),
            Ok(st) if st.f_flag.contains(StatVfsMountFlags::RDONLY) => {
                Some("on a read-only file system")
            }
            Ok(st) if st.f_bavail == 0 => Some("full"),
            Ok(_) => None,
        }
    }

    /// Counts an I/O error on `chunkid`; returns true when this error takes
    /// the folder out of service (exactly once).
    pub fn record_error(&self, chunkid: u64, limit: u32) -> bool {
        let mut health = self.lock();
        health.io_errors += 1;
        health.last_error = Some((chunkid, unix_now()));
        if !health.failed && health.io_errors >= limit {
            health.failed = true;
            return true;
        }
        false
    }

    /// The chunk of the last error and its time, or zeros.
    pub fn last_error(&self) -> (u64, u32) {
        self.lock().last_error.unwrap_or((0, 0))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Health> {
        self.health
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Finds every chunk file in the 256 subfolders `00`..`FF`, which is
    /// where mfschunkserver 3.0.117 and we put them. Files with other names
    /// are left alone. The headers are not read here (as mfschunkserver
    /// does not at start either); a bad file is found when first used.
    pub fn scan(&self) -> std::io::Result<Vec<ChunkPath>> {
        std::fs::create_dir_all(&self.path)?;
        let mut found = Vec::new();
        for subfolder in 0..=255u8 {
            let dir = self.path.join(format!("{subfolder:02X}"));
            let entries = match std::fs::read_dir(&dir) {
                Ok(entries) => entries,
                Err(err) if err.kind() == std::io::ErrorKind::NotFound => continue,
                Err(err) => return Err(err),
            };
            for entry in entries {
                let entry = entry?;
                let Some(name) = entry.file_name().to_str().and_then(ChunkName::parse) else {
                    continue;
                };
                if entry.file_type()?.is_file() {
                    found.push(ChunkPath::new(self.path.clone(), subfolder, name));
                }
            }
        }
        Ok(found)
    }

    /// The folder as `mfshdd.cfg` would name it.
    pub fn display_path(&self) -> String {
        let mark = if self.marked_for_removal { "*" } else { "" };
        format!("{mark}{}", display(&self.path))
    }
}

fn display(path: &Path) -> String {
    path.display().to_string()
}

fn unix_now() -> u32 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| u32::try_from(d.as_secs()).unwrap_or(u32::MAX))
        .unwrap_or(0)
}
