//! glibc's allocator, kept from hoarding what the master frees.
//!
//! glibc serves a request above its mmap threshold (128 KiB at start)
//! with a mapping of its own, which goes back to the system when freed.
//! But when such a mapping of up to 32 MiB is freed, glibc raises the
//! threshold to its size and its trim threshold (how much free memory the
//! top of a heap may keep) to twice that. The master frees buffers of
//! megabytes all the time (a minute's releases of open files, log
//! batches, snapshot images), so soon every buffer below 32 MiB came from
//! a heap, and each of its arenas (one per thread that allocated, up to
//! 16 on two cores) kept tens of megabytes of freed memory: at 1,000,000
//! files the daemon held about 400 bytes a file, of which 152 were in
//! use. Setting the threshold explicitly turns that adjustment off.
//!
//! Even so, the heaps keep the free memory between live blocks: at
//! 1,000,000 files about 24 MB free among 136 MB in use, which only
//! `malloc_trim` gives back. The master calls it once a minute.

use std::time::{Duration, Instant};

/// How often the master gives free memory back: trimming walks every
/// arena under its lock, so request threads that allocate meanwhile
/// wait (how long at a million files was not measured; the thread logs
/// each trim's time at debug level).
pub const TRIM_EVERY: Duration = Duration::from_secs(60);

/// glibc's own default mmap threshold, made fixed.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const MMAP_THRESHOLD: libc::c_int = 128 * 1024;

/// Fixes glibc's mmap threshold at its default, so that it no longer
/// grows; returns whether glibc took it. Call it once at startup. Does
/// nothing (and returns `false`) with another C library.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
pub fn fix_mmap_threshold() -> bool {
    // SAFETY: mallopt takes two integers and only changes allocator
    // parameters, under glibc's own lock; no memory is handed over.
    unsafe { libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD) == 1 }
}

/// Fixes glibc's mmap threshold at its default, so that it no longer
/// grows; returns whether glibc took it. Call it once at startup. Does
/// nothing (and returns `false`) with another C library.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn fix_mmap_threshold() -> bool {
    false
}

/// Gives the free pages of every arena back to the system; returns
/// whether any were. Does nothing (and returns `false`) with another C
/// library.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
pub fn give_back_free_memory() -> bool {
    // SAFETY: malloc_trim takes an integer and works under glibc's own
    // arena locks; no memory is handed over.
    unsafe { libc::malloc_trim(0) == 1 }
}

/// Gives the free pages of every arena back to the system; returns
/// whether any were. Does nothing (and returns `false`) with another C
/// library.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn give_back_free_memory() -> bool {
    false
}

/// Gives free memory back every `period`, on a thread of its own for the
/// life of the process.
pub fn trim_periodically(period: Duration) -> std::io::Result<()> {
    let trim = move || loop {
        std::thread::sleep(period);
        let started = Instant::now();
        let released = give_back_free_memory();
        tracing::debug!(
            released,
            took_us = started.elapsed().as_micros() as u64,
            "free memory given back"
        );
    };
    std::thread::Builder::new()
        .name("malloc-trim".into())
        .spawn(trim)
        .map(drop)
}
