//! How the kernel caches a file's pages from one open to the next, as
//! mfsmount decides it from `mfscachemode` and the master's answer to
//! OPEN or CREATE: a master clears its `KEEPCACHE` flag when another
//! mount changed the file since this one read it.

use fuser::FopenFlags;

use crate::options::CacheMode;

/// `OPEN_*` flags of the master's answer.
const OPEN_KEEPCACHE: u8 = 0x01;
const OPEN_DIRECTMODE: u8 = 0x02;
const OPEN_APPENDONLY: u8 = 0x04;

/// The FUSE open flags for a file the master answered `answer` for. A
/// file the master wants uncached (`nodatacache` eattr) or append-only
/// bypasses the page cache whatever the mode.
pub fn fopen_flags(mode: CacheMode, answer: u8) -> FopenFlags {
    if answer & (OPEN_DIRECTMODE | OPEN_APPENDONLY) != 0 {
        return FopenFlags::FOPEN_DIRECT_IO;
    }
    match mode {
        CacheMode::Always => FopenFlags::FOPEN_KEEP_CACHE,
        CacheMode::Auto if answer & OPEN_KEEPCACHE != 0 => FopenFlags::FOPEN_KEEP_CACHE,
        CacheMode::Auto | CacheMode::Never => FopenFlags::empty(),
        CacheMode::Direct => FopenFlags::FOPEN_DIRECT_IO,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auto_follows_the_master_and_the_others_the_mode() {
        let keep = FopenFlags::FOPEN_KEEP_CACHE;
        let direct = FopenFlags::FOPEN_DIRECT_IO;
        assert_eq!(fopen_flags(CacheMode::Auto, OPEN_KEEPCACHE), keep);
        assert_eq!(fopen_flags(CacheMode::Auto, 0), FopenFlags::empty());
        assert_eq!(fopen_flags(CacheMode::Always, 0), keep);
        assert_eq!(
            fopen_flags(CacheMode::Never, OPEN_KEEPCACHE),
            FopenFlags::empty()
        );
        assert_eq!(fopen_flags(CacheMode::Direct, OPEN_KEEPCACHE), direct);
        assert_eq!(fopen_flags(CacheMode::Always, OPEN_DIRECTMODE), direct);
        assert_eq!(
            fopen_flags(CacheMode::Auto, OPEN_APPENDONLY | OPEN_KEEPCACHE),
            direct
        );
    }
}
