//! The master's allocator setting, alone in its own process: glibc's
//! mmap threshold is per process, and other tests' allocations would
//! move the counts read here.

#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[test]
#[allow(unsafe_code)]
fn a_freed_mapping_no_longer_raises_the_mmap_threshold() {
    assert!(mooseng_master::allocator::fix_mmap_threshold());
    // Freeing a 1 MiB mapping would raise a moving threshold to 1 MiB.
    drop(std::hint::black_box(vec![1u8; 1 << 20]));
    // SAFETY: mallinfo2 only reads the allocator's counters.
    let mapped = || unsafe { libc::mallinfo2() }.hblks;
    let before = mapped();
    let buffer = std::hint::black_box(vec![1u8; 256 << 10]);
    assert_eq!(
        mapped(),
        before + 1,
        "a 256 KiB buffer was not given a mapping of its own"
    );
    drop(buffer);
}
