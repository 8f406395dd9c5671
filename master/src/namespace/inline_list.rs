//! A short list kept inside the node: almost every node has one parent
//! and almost every file at most one chunk, so one element is kept inline
//! and only longer lists allocate. A `Vec` would cost every node 24 bytes
//! and a heap block of 32 more for its first element.

use std::ops::{Deref, DerefMut};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Always in its smallest form: no element is `None`, one is `One`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[allow(clippy::box_collection)] // a thin pointer keeps the list at 16 bytes
pub enum InlineList<T> {
    #[default]
    None,
    One(T),
    Many(Box<Vec<T>>),
}

impl<T> InlineList<T> {
    pub fn push(&mut self, value: T) {
        let mut all = std::mem::take(self).into_vec();
        all.push(value);
        *self = InlineList::from(all);
    }

    /// Drops the first element equal to `value`, the last one taking its
    /// place (the order a `Vec`'s `swap_remove` leaves).
    pub fn remove_one(&mut self, value: &T)
    where
        T: PartialEq,
    {
        if let Some(at) = self.iter().position(|v| v == value) {
            let mut all = std::mem::take(self).into_vec();
            all.swap_remove(at);
            *self = InlineList::from(all);
        }
    }

    /// Puts `value` at `slot`, growing the list with default values (holes)
    /// to reach it.
    pub fn set(&mut self, slot: usize, value: T)
    where
        T: Default,
    {
        if let Some(place) = self.get_mut(slot) {
            *place = value;
            return;
        }
        let mut all = std::mem::take(self).into_vec();
        all.resize_with(slot, T::default);
        all.push(value);
        *self = InlineList::from(all);
    }

    /// Keeps the first `len` elements.
    pub fn truncate(&mut self, len: usize) {
        if len < self.len() {
            let mut all = std::mem::take(self).into_vec();
            all.truncate(len);
            *self = InlineList::from(all);
        }
    }

    fn into_vec(self) -> Vec<T> {
        match self {
            InlineList::None => Vec::new(),
            InlineList::One(value) => vec![value],
            InlineList::Many(all) => *all,
        }
    }
}

impl<T> Deref for InlineList<T> {
    type Target = [T];

    fn deref(&self) -> &[T] {
        match self {
            InlineList::None => &[],
            InlineList::One(value) => std::slice::from_ref(value),
            InlineList::Many(all) => all,
        }
    }
}

impl<T> DerefMut for InlineList<T> {
    fn deref_mut(&mut self) -> &mut [T] {
        match self {
            InlineList::None => &mut [],
            InlineList::One(value) => std::slice::from_mut(value),
            InlineList::Many(all) => all,
        }
    }
}

impl<'a, T> IntoIterator for &'a InlineList<T> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl<T> From<Vec<T>> for InlineList<T> {
    fn from(mut all: Vec<T>) -> Self {
        match all.len() {
            0 => InlineList::None,
            1 => InlineList::One(all.remove(0)),
            _ => {
                all.shrink_to_fit();
                InlineList::Many(Box::new(all))
            }
        }
    }
}

/// Written as the plain list snapshots have always held.
impl<T: Serialize> Serialize for InlineList<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self[..].serialize(serializer)
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for InlineList<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Vec::<T>::deserialize(deserializer).map(InlineList::from)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[derive(Debug, Clone)]
    enum Step {
        Push(u64),
        RemoveOne(u64),
        Set(usize, u64),
        Truncate(usize),
    }

    fn step() -> impl Strategy<Value = Step> {
        prop_oneof![
            (0..4u64).prop_map(Step::Push),
            (0..4u64).prop_map(Step::RemoveOne),
            (0..5usize, 0..4u64).prop_map(|(slot, value)| Step::Set(slot, value)),
            (0..5usize).prop_map(Step::Truncate),
        ]
    }

    proptest! {
        /// The list holds what a `Vec` changed the same way would hold,
        /// in its smallest form.
        #[test]
        fn holds_what_a_vec_holds(steps in proptest::collection::vec(step(), 0..16)) {
            let mut list = InlineList::default();
            let mut reference: Vec<u64> = Vec::new();
            for step in steps {
                match step {
                    Step::Push(value) => {
                        list.push(value);
                        reference.push(value);
                    }
                    Step::RemoveOne(value) => {
                        list.remove_one(&value);
                        if let Some(at) = reference.iter().position(|v| *v == value) {
                            reference.swap_remove(at);
                        }
                    }
                    Step::Set(slot, value) => {
                        list.set(slot, value);
                        if reference.len() <= slot {
                            reference.resize(slot + 1, 0);
                        }
                        reference[slot] = value;
                    }
                    Step::Truncate(len) => {
                        list.truncate(len);
                        reference.truncate(len);
                    }
                }
                prop_assert_eq!(&list[..], &reference[..]);
                prop_assert_eq!(&list, &InlineList::from(reference.clone()));
            }
        }
    }

    #[test]
    fn encodes_as_a_vec() {
        for list in [vec![], vec![0u64], vec![7], vec![7, 0, 9]] {
            let bytes = postcard::to_stdvec(&InlineList::from(list.clone())).unwrap();
            assert_eq!(bytes, postcard::to_stdvec(&list).unwrap());
            let back: InlineList<u64> = postcard::from_bytes(&bytes).unwrap();
            assert_eq!(back[..], list[..]);
        }
    }

    #[test]
    fn takes_sixteen_bytes_in_the_node() {
        assert_eq!(std::mem::size_of::<InlineList<u32>>(), 16);
        assert_eq!(std::mem::size_of::<InlineList<u64>>(), 16);
    }
}
