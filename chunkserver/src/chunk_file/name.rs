//! Where a chunk file lives: `<data folder>/XX/chunk_<id>_<version>.mfs`.
//!
//! MooseFS 3.0.117 spreads chunks over 256 subfolders `00`..`FF` of each
//! data folder. It does not derive the subfolder from the chunk id: new
//! chunks go to whichever subfolder currently holds the fewest, and at start
//! it scans all 256 and accepts a chunk file in any of them. Only its
//! one-time migration from the older one-hex-digit layout places chunks by
//! id, in the subfolder named by the low byte of the id. We use that same
//! rule as our default placement (deterministic, evenly spread for
//! sequential ids), and accept any subfolder when reading.

use std::fmt;
use std::path::{Path, PathBuf};

/// Identity of one chunk copy: chunk id and version.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ChunkName {
    /// Chunk id, unique in the file system.
    pub id: u64,
    /// Chunk version, bumped by the master on every modification.
    pub version: u32,
}

const PREFIX: &str = "chunk_";
const SUFFIX: &str = ".mfs";
const ID_DIGITS: usize = 16;
const VERSION_DIGITS: usize = 8;
/// Length of every chunk file name: `chunk_` 16 hex `_` 8 hex `.mfs`.
const NAME_LEN: usize = PREFIX.len() + ID_DIGITS + 1 + VERSION_DIGITS + SUFFIX.len();

impl ChunkName {
    /// A chunk identity.
    pub const fn new(id: u64, version: u32) -> Self {
        Self { id, version }
    }

    /// The same chunk at another version.
    pub const fn with_version(self, version: u32) -> Self {
        Self { version, ..self }
    }

    /// File name, upper-case hex zero-padded: `chunk_%016X_%08X.mfs`.
    pub fn file_name(&self) -> String {
        format!("{PREFIX}{self}{SUFFIX}")
    }

    /// Parses a file name the way MooseFS does: exactly 35 characters,
    /// digits `0-9A-F` only (MooseFS skips names with lower-case hex).
    pub fn parse(file_name: &str) -> Option<Self> {
        // ASCII first, so the byte-offset split below is on a char boundary.
        if file_name.len() != NAME_LEN || !file_name.is_ascii() {
            return None;
        }
        let rest = file_name.strip_prefix(PREFIX)?.strip_suffix(SUFFIX)?;
        let (id, version) = rest.split_at(ID_DIGITS);
        let version = version.strip_prefix('_')?;
        Some(Self {
            id: parse_upper_hex(id)?,
            version: u32::try_from(parse_upper_hex(version)?).ok()?,
        })
    }

    /// Subfolder used when we place this chunk: the low byte of its id.
    pub fn default_subfolder(&self) -> u8 {
        self.id.to_le_bytes()[0]
    }
}

/// Parses upper-case hex digits only (`u64::from_str_radix` would also take
/// lower case and a sign).
fn parse_upper_hex(digits: &str) -> Option<u64> {
    digits.bytes().try_fold(0u64, |acc, digit| {
        let value = match digit {
            b'0'..=b'9' => digit - b'0',
            b'A'..=b'F' => digit - b'A' + 10,
            _ => return None,
        };
        acc.checked_mul(16)?.checked_add(u64::from(value))
    })
}

/// `%016X_%08X`, the id and version as they appear in file names.
impl fmt::Display for ChunkName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016X}_{:08X}", self.id, self.version)
    }
}

/// Full location of a chunk file.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ChunkPath {
    folder: PathBuf,
    subfolder: u8,
    name: ChunkName,
}

impl ChunkPath {
    /// The chunk `name` in subfolder `subfolder` of data folder `folder`.
    pub fn new(folder: impl Into<PathBuf>, subfolder: u8, name: ChunkName) -> Self {
        Self {
            folder: folder.into(),
            subfolder,
            name,
        }
    }

    /// The chunk `name` in data folder `folder`, in its default subfolder.
    pub fn placed(folder: impl Into<PathBuf>, name: ChunkName) -> Self {
        Self::new(folder, name.default_subfolder(), name)
    }

    /// Recognises an existing chunk file path `<folder>/XX/<name>`.
    pub fn parse(path: &Path) -> Option<Self> {
        let name = ChunkName::parse(path.file_name()?.to_str()?)?;
        let subfolder_dir = path.parent()?;
        let subfolder = parse_subfolder(subfolder_dir.file_name()?.to_str()?)?;
        let folder = subfolder_dir.parent()?;
        Some(Self::new(folder, subfolder, name))
    }

    /// The data folder.
    pub fn folder(&self) -> &Path {
        &self.folder
    }

    /// The subfolder number, `00`..`FF`.
    pub fn subfolder(&self) -> u8 {
        self.subfolder
    }

    /// The chunk identity the file name carries.
    pub fn name(&self) -> ChunkName {
        self.name
    }

    /// The same place for the chunk at another version.
    pub fn with_version(&self, version: u32) -> Self {
        Self {
            name: self.name.with_version(version),
            ..self.clone()
        }
    }

    /// The subfolder directory, `<folder>/XX`.
    pub fn subfolder_dir(&self) -> PathBuf {
        self.folder.join(format!("{:02X}", self.subfolder))
    }

    /// The file path.
    pub fn path(&self) -> PathBuf {
        self.subfolder_dir().join(self.name.file_name())
    }
}

/// Subfolder names are exactly two upper-case hex digits.
fn parse_subfolder(dir_name: &str) -> Option<u8> {
    if dir_name.len() != 2 {
        return None;
    }
    u8::try_from(parse_upper_hex(dir_name)?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_name_is_zero_padded_upper_hex() {
        let name = ChunkName::new(0xAB_CDEF, 0x1A);
        assert_eq!(name.file_name(), "chunk_0000000000ABCDEF_0000001A.mfs");
        assert_eq!(name.file_name().len(), NAME_LEN);
    }

    #[test]
    fn parse_inverts_file_name() {
        for name in [
            ChunkName::new(0, 0),
            ChunkName::new(u64::MAX, u32::MAX),
            ChunkName::new(0x0123_4567_89AB_CDEF, 0xFEDC_BA98),
        ] {
            assert_eq!(ChunkName::parse(&name.file_name()), Some(name));
        }
    }

    #[test]
    fn parse_rejects_what_moosefs_skips() {
        for bad in [
            "chunk_0000000000abcdef_00000001.mfs",
            "chunk_0000000000ABCDEF_00000001.mfs.tmp",
            "chunk_000000000ABCDEF_000000001.mfs",
            "chunk_0000000000ABCDEF-00000001.mfs",
            "chunk_+000000000ABCDEF_00000001.mfs",
            "chonk_0000000000ABCDEF_00000001.mfs",
            "chunk_0000000000ABCDEF_00000001.mfz",
            "chunk_000000000000000\u{e9}_0000001.mfs",
        ] {
            assert_eq!(ChunkName::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn placement_uses_low_byte_of_id() {
        let path = ChunkPath::placed("/data", ChunkName::new(0x0012_3456_789A, 7));
        assert_eq!(path.subfolder(), 0x9A);
        assert_eq!(
            path.path(),
            Path::new("/data/9A/chunk_000000123456789A_00000007.mfs")
        );
    }

    #[test]
    fn path_parse_round_trip() {
        let path = ChunkPath::new("/srv/mfs", 0x0F, ChunkName::new(5, 1));
        assert_eq!(
            path.path(),
            Path::new("/srv/mfs/0F/chunk_0000000000000005_00000001.mfs")
        );
        assert_eq!(ChunkPath::parse(&path.path()), Some(path));
        assert_eq!(
            ChunkPath::parse(Path::new("/srv/mfs/0f/chunk_0000000000000005_00000001.mfs")),
            None
        );
    }

    #[test]
    fn version_change_keeps_place() {
        let path = ChunkPath::new("/d", 3, ChunkName::new(9, 1));
        let next = path.with_version(2);
        assert_eq!(next.subfolder(), 3);
        assert_eq!(next.name(), ChunkName::new(9, 2));
    }
}
