//! Write buffers kept for reuse. A sequential writer fills one extent of
//! a flush's size after another; in fresh memory each 4 KiB page of it
//! costs a page fault in which the kernel zeroes the page, which was a
//! fifth of the mount's time per written byte (mfsmount, reusing its
//! block buffers, takes almost none). An extent that starts with a big
//! write therefore gets a spare buffer with room for a whole flush, and
//! the buffer comes back once the chain acknowledged the last of its
//! bytes.

use std::sync::Mutex;

use bytes::Bytes;

use super::files::{lock, FLUSH_THRESHOLD};

/// Room of a spare: a flush's worth plus one more write of the largest
/// size FUSE sends, so the extent that reaches the threshold still fits.
const SPARE_CAPACITY: usize = FLUSH_THRESHOLD + (1 << 20);
/// A write this big starting an extent is taken for the start of a stream.
const BIG_WRITE: usize = 128 << 10;
/// Spares kept after a writer stops (72 MiB). While it writes, buffers
/// come back one by one as the chain acknowledges them and are taken
/// again as the writer fills new extents, so a few cover the cycle.
const SPARES_KEPT: usize = 8;

/// The process's spare write buffers.
pub static WRITE_BUFFERS: Spares = Spares::new();

#[derive(Debug)]
pub struct Spares {
    list: Mutex<Vec<Vec<u8>>>,
}

impl Spares {
    const fn new() -> Self {
        Spares {
            list: Mutex::new(Vec::new()),
        }
    }

    /// An empty buffer for an extent whose first write has `len` bytes.
    pub fn for_extent(&self, len: usize) -> Vec<u8> {
        if len < BIG_WRITE {
            return Vec::with_capacity(len);
        }
        lock(&self.list)
            .pop()
            .unwrap_or_else(|| Vec::with_capacity(SPARE_CAPACITY))
    }

    /// `buffer` as shared bytes; a buffer big enough to be a spare becomes
    /// one again when the last slice of it is dropped.
    pub fn share(&'static self, buffer: Vec<u8>) -> Bytes {
        if buffer.capacity() < SPARE_CAPACITY {
            return Bytes::from(buffer);
        }
        Bytes::from_owner(Recycled {
            buffer,
            spares: self,
        })
    }

    fn give_back(&self, mut buffer: Vec<u8>) {
        buffer.clear();
        let mut list = lock(&self.list);
        if list.len() < SPARES_KEPT {
            list.push(buffer);
        }
    }
}

/// The owner of a spare while its bytes are in flight.
struct Recycled {
    buffer: Vec<u8>,
    spares: &'static Spares,
}

impl AsRef<[u8]> for Recycled {
    fn as_ref(&self) -> &[u8] {
        &self.buffer
    }
}

impl Drop for Recycled {
    fn drop(&mut self) {
        self.spares.give_back(std::mem::take(&mut self.buffer));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spares() -> &'static Spares {
        Box::leak(Box::new(Spares::new()))
    }

    #[test]
    fn a_big_extent_gets_its_buffer_back_after_the_last_slice() {
        let spares = spares();
        let mut buffer = spares.for_extent(1 << 20);
        assert!(buffer.capacity() >= SPARE_CAPACITY);
        buffer.extend_from_slice(&[7; 1 << 20]);
        let address = buffer.as_ptr();
        let bytes = spares.share(buffer);
        let slice = bytes.slice(10..20);
        drop(bytes);
        assert!(lock(&spares.list).is_empty(), "a slice still uses it");
        assert_eq!(&slice[..], &[7; 10]);
        drop(slice);
        let again = spares.for_extent(BIG_WRITE);
        assert_eq!(again.as_ptr(), address, "the same memory, already mapped");
        assert!(again.is_empty());
    }

    #[test]
    fn small_extents_neither_take_nor_give_spares() {
        let spares = spares();
        spares.give_back(Vec::with_capacity(SPARE_CAPACITY));
        let small = spares.for_extent(4096);
        assert!(small.capacity() < SPARE_CAPACITY);
        assert_eq!(lock(&spares.list).len(), 1);
        drop(spares.share(small));
        assert_eq!(lock(&spares.list).len(), 1);
    }

    #[test]
    fn at_most_a_few_spares_are_kept() {
        let spares = spares();
        let shared: Vec<Bytes> = (0..SPARES_KEPT + 3)
            .map(|_| spares.share(spares.for_extent(BIG_WRITE)))
            .collect();
        drop(shared);
        assert_eq!(lock(&spares.list).len(), SPARES_KEPT);
    }
}
