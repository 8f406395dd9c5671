//! Giving free memory back, alone in its own process: the resident size
//! read here would move with other tests' allocations.

use std::fs;

/// This process's resident bytes (`VmRSS`).
fn resident_bytes() -> u64 {
    let status = fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    let kib: u64 = status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS in /proc/self/status");
    kib * 1024
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[test]
fn free_pages_between_live_blocks_go_back_to_the_system() {
    const BLOCKS: usize = 1 << 20;
    // A million 64-byte blocks in the heap, the way tree nodes are, and
    // one in a thousand kept: the rest is free memory between live
    // blocks, which the heap's top cannot hand back by shrinking.
    let blocks: Vec<Box<[u8; 64]>> = (0..BLOCKS).map(|i| Box::new([i as u8; 64])).collect();
    let kept: Vec<Box<[u8; 64]>> = blocks.into_iter().step_by(1000).collect();
    let before = resident_bytes();
    assert!(mooseng_master::allocator::give_back_free_memory());
    let after = resident_bytes();
    assert!(
        before - after > 32 << 20,
        "resident {before} bytes before trimming, {after} after"
    );
    assert_eq!(kept.len(), BLOCKS.div_ceil(1000));
    assert!(kept
        .iter()
        .enumerate()
        .all(|(i, b)| b[0] == (i * 1000) as u8));
}
