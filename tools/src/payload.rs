//! Data the cluster tests write and read back.

/// `len` deterministic bytes from a xorshift64 sequence started at `seed`:
/// they do not repeat within a chunk, so a block read from the wrong place
/// never matches by accident, and the same seed gives the same bytes to
/// check against.
pub fn payload(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}
