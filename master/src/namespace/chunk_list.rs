//! A file's chunk ids, one per 64 MiB slot, 0 for a hole.
//!
//! Most files hold at most one chunk, so the list keeps one inline and
//! only allocates past 64 MiB: a `Vec` would cost every file 24 bytes in
//! its node, and each file with data a heap block of 32 more.

use std::ops::{Deref, DerefMut};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Always in its smallest form: no chunk is `Empty`, one is `One`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[allow(clippy::box_collection)] // a thin pointer keeps the list at 16 bytes
pub enum ChunkList {
    #[default]
    Empty,
    One(u64),
    Many(Box<Vec<u64>>),
}

impl ChunkList {
    /// Puts `chunk` in `slot`, growing the list with holes to reach it.
    pub fn set(&mut self, slot: usize, chunk: u64) {
        if slot < self.len() {
            self[slot] = chunk;
            return;
        }
        let mut all = std::mem::take(self).into_vec();
        all.resize(slot, 0);
        all.push(chunk);
        *self = ChunkList::from(all);
    }

    /// Keeps the first `len` slots.
    pub fn truncate(&mut self, len: usize) {
        if len < self.len() {
            let mut all = std::mem::take(self).into_vec();
            all.truncate(len);
            *self = ChunkList::from(all);
        }
    }

    fn into_vec(self) -> Vec<u64> {
        match self {
            ChunkList::Empty => Vec::new(),
            ChunkList::One(chunk) => vec![chunk],
            ChunkList::Many(all) => *all,
        }
    }
}

impl Deref for ChunkList {
    type Target = [u64];

    fn deref(&self) -> &[u64] {
        match self {
            ChunkList::Empty => &[],
            ChunkList::One(chunk) => std::slice::from_ref(chunk),
            ChunkList::Many(all) => all,
        }
    }
}

impl DerefMut for ChunkList {
    fn deref_mut(&mut self) -> &mut [u64] {
        match self {
            ChunkList::Empty => &mut [],
            ChunkList::One(chunk) => std::slice::from_mut(chunk),
            ChunkList::Many(all) => all,
        }
    }
}

impl<'a> IntoIterator for &'a ChunkList {
    type Item = &'a u64;
    type IntoIter = std::slice::Iter<'a, u64>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl From<Vec<u64>> for ChunkList {
    fn from(mut all: Vec<u64>) -> Self {
        match all[..] {
            [] => ChunkList::Empty,
            [chunk] => ChunkList::One(chunk),
            _ => {
                all.shrink_to_fit();
                ChunkList::Many(Box::new(all))
            }
        }
    }
}

/// Written as the list of chunk ids snapshots have always held.
impl Serialize for ChunkList {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self[..].serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for ChunkList {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Vec::<u64>::deserialize(deserializer).map(ChunkList::from)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[derive(Debug, Clone)]
    enum Step {
        Set(usize, u64),
        Truncate(usize),
    }

    fn step() -> impl Strategy<Value = Step> {
        prop_oneof![
            (0..5usize, any::<u64>()).prop_map(|(slot, chunk)| Step::Set(slot, chunk)),
            (0..5usize).prop_map(Step::Truncate),
        ]
    }

    proptest! {
        /// The list holds what a `Vec` grown with holes would hold, in its
        /// smallest form.
        #[test]
        fn holds_what_a_vec_holds(steps in proptest::collection::vec(step(), 0..12)) {
            let mut list = ChunkList::default();
            let mut reference: Vec<u64> = Vec::new();
            for step in steps {
                match step {
                    Step::Set(slot, chunk) => {
                        list.set(slot, chunk);
                        if reference.len() <= slot {
                            reference.resize(slot + 1, 0);
                        }
                        reference[slot] = chunk;
                    }
                    Step::Truncate(len) => {
                        list.truncate(len);
                        reference.truncate(len);
                    }
                }
                prop_assert_eq!(&list[..], &reference[..]);
                prop_assert_eq!(&list, &ChunkList::from(reference.clone()));
            }
        }
    }

    #[test]
    fn encodes_as_a_vec() {
        for list in [vec![], vec![0], vec![7], vec![7, 0, 9]] {
            let bytes = postcard::to_stdvec(&ChunkList::from(list.clone())).unwrap();
            assert_eq!(bytes, postcard::to_stdvec(&list).unwrap());
            let back: ChunkList = postcard::from_bytes(&bytes).unwrap();
            assert_eq!(back[..], list[..]);
        }
    }

    #[test]
    fn takes_sixteen_bytes() {
        assert_eq!(std::mem::size_of::<ChunkList>(), 16);
    }
}
