//! The write-back buffer: bytes written but not yet sent, kept as sorted,
//! non-overlapping extents so that many small writes leave as few large ones.

use std::collections::BTreeMap;

use super::buffers::WRITE_BUFFERS;

/// Dirty byte ranges of one file, keyed by file offset.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Extents {
    map: BTreeMap<u64, Vec<u8>>,
    bytes: usize,
}

impl Extents {
    /// Records `data` at `offset`, replacing older bytes it covers and
    /// merging with every extent it overlaps or touches. The extent that
    /// `data` continues grows in place, so a stream of appends costs each
    /// byte one copy instead of copying the whole extent per write.
    pub fn insert(&mut self, offset: u64, data: &[u8]) {
        if data.is_empty() {
            return;
        }
        let end = offset + data.len() as u64;
        let before = self
            .map
            .range(..=offset)
            .next_back()
            .filter(|(&at, bytes)| at + bytes.len() as u64 >= offset)
            .map(|(&at, _)| at);
        let (start, mut buffer) = match before.and_then(|at| self.map.remove_entry(&at)) {
            Some(found) => found,
            None => (offset, WRITE_BUFFERS.for_extent(data.len())),
        };
        self.bytes -= buffer.len();
        // Overwrite what the extent already holds and append the rest, so
        // new room is written once instead of zero-filled first.
        let from = (offset - start) as usize;
        let overlap = (buffer.len() - from).min(data.len());
        buffer[from..from + overlap].copy_from_slice(&data[..overlap]);
        buffer.extend_from_slice(&data[overlap..]);
        // Extents starting inside the new range: only the part of the last
        // one that reaches past `end` survives, appended after `data`.
        let later: Vec<u64> = self.map.range(offset..=end).map(|(&at, _)| at).collect();
        for at in later {
            if let Some(bytes) = self.map.remove(&at) {
                self.bytes -= bytes.len();
                let covered = (end - at) as usize;
                if let Some(tail) = bytes.get(covered..) {
                    buffer.extend_from_slice(tail);
                }
            }
        }
        self.bytes += buffer.len();
        self.map.insert(start, buffer);
    }

    /// Total buffered bytes.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// Where the last buffered byte ends, if any.
    pub fn end(&self) -> Option<u64> {
        self.map
            .iter()
            .next_back()
            .map(|(at, bytes)| at + bytes.len() as u64)
    }

    /// Forgets everything at or beyond `length` (the file was truncated).
    pub fn truncate(&mut self, length: u64) {
        let tail = self.map.split_off(&length);
        self.bytes -= tail.values().map(Vec::len).sum::<usize>();
        if let Some((&at, bytes)) = self.map.iter_mut().next_back() {
            let keep = length.saturating_sub(at) as usize;
            if keep < bytes.len() {
                self.bytes -= bytes.len() - keep;
                bytes.truncate(keep);
            }
        }
    }

    /// Takes every extent out, in file order.
    pub fn take(&mut self) -> Vec<(u64, Vec<u8>)> {
        self.bytes = 0;
        std::mem::take(&mut self.map).into_iter().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn adjacent_writes_coalesce() {
        let mut extents = Extents::default();
        extents.insert(0, b"abc");
        extents.insert(3, b"def");
        extents.insert(10, b"x");
        assert_eq!(extents.bytes(), 7);
        assert_eq!(extents.end(), Some(11));
        assert_eq!(
            extents.take(),
            vec![(0, b"abcdef".to_vec()), (10, b"x".to_vec())]
        );
        assert!(extents.is_empty());
    }

    #[test]
    fn truncate_cuts_the_extent_that_crosses_the_length() {
        let mut extents = Extents::default();
        extents.insert(0, b"abcdef");
        extents.insert(10, b"xyz");
        extents.truncate(4);
        assert_eq!(extents.bytes(), 4);
        assert_eq!(extents.take(), vec![(0, b"abcd".to_vec())]);
    }

    proptest! {
        #[test]
        fn extents_read_back_like_a_flat_file(writes in proptest::collection::vec((0u64..200, proptest::collection::vec(any::<u8>(), 1..50)), 1..20)) {
            let mut flat = vec![None; 300];
            let mut extents = Extents::default();
            for (offset, data) in &writes {
                extents.insert(*offset, data);
                for (i, byte) in data.iter().enumerate() {
                    flat[*offset as usize + i] = Some(*byte);
                }
            }
            let expected_bytes = flat.iter().filter(|b| b.is_some()).count();
            prop_assert_eq!(extents.bytes(), expected_bytes);
            let mut last_end = None;
            for (at, bytes) in extents.take() {
                if let Some(end) = last_end {
                    prop_assert!(at > end, "extents must neither overlap nor touch");
                }
                for (i, byte) in bytes.iter().enumerate() {
                    prop_assert_eq!(flat[at as usize + i], Some(*byte));
                }
                last_end = Some(at + bytes.len() as u64);
            }
        }
    }
}
