//! Data the cluster tests write and read back.

/// `len` deterministic bytes from a xorshift64 sequence started at `seed`:
/// they do not repeat within a chunk, so a block read from the wrong place
/// never matches by accident, and the same seed gives the same bytes to
/// check against. Each seed starts its own sequence (xorshift needs a
/// non-zero state, and `2 * seed + 1` keeps seeds apart).
pub fn payload(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_shl(1) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::payload;

    #[test]
    fn neighbouring_seeds_give_different_bytes() {
        for seed in 0..64 {
            assert_ne!(payload(64, seed), payload(64, seed + 1), "seed {seed}");
        }
        assert_eq!(payload(64, 5), payload(64, 5));
    }
}
