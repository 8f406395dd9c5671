//! The directories that link to a node.
//!
//! Almost every node has exactly one parent, so the list keeps one inline
//! and only allocates for hard links: a `Vec` would cost 24 bytes in the
//! node and a heap block of 32 more for every file.

use std::ops::Deref;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::node::Inode;

/// One entry per link, in the order a `Vec` with `push` and `swap_remove`
/// would keep them (paths are listed in that order).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Parents {
    /// The root, or a node in the trash or sustained.
    #[default]
    None,
    One(Inode),
    Many(Box<Vec<Inode>>),
}

impl Parents {
    pub fn push(&mut self, parent: Inode) {
        *self = match std::mem::take(self) {
            Parents::None => Parents::One(parent),
            Parents::One(first) => Parents::Many(Box::new(vec![first, parent])),
            Parents::Many(mut all) => {
                all.push(parent);
                Parents::Many(all)
            }
        };
    }

    /// Drops one link from `parent`, the last link taking its place.
    pub fn remove_one(&mut self, parent: Inode) {
        let Some(at) = self.iter().position(|p| *p == parent) else {
            return;
        };
        *self = match std::mem::take(self) {
            Parents::None | Parents::One(_) => Parents::None,
            Parents::Many(mut all) => {
                all.swap_remove(at);
                Parents::from(*all)
            }
        };
    }
}

impl Deref for Parents {
    type Target = [Inode];

    fn deref(&self) -> &[Inode] {
        match self {
            Parents::None => &[],
            Parents::One(parent) => std::slice::from_ref(parent),
            Parents::Many(all) => all,
        }
    }
}

impl From<Vec<Inode>> for Parents {
    fn from(all: Vec<Inode>) -> Self {
        match all[..] {
            [] => Parents::None,
            [parent] => Parents::One(parent),
            _ => Parents::Many(Box::new(all)),
        }
    }
}

/// Written as the list of inode numbers snapshots have always held.
impl Serialize for Parents {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self[..].serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Parents {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Vec::<Inode>::deserialize(deserializer).map(Parents::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_order_a_vec_keeps() {
        let mut parents = Parents::default();
        let mut reference = Vec::new();
        for p in [4, 7, 4, 9] {
            parents.push(p);
            reference.push(p);
        }
        for p in [4, 9, 3, 7, 4] {
            parents.remove_one(p);
            if let Some(at) = reference.iter().position(|x| *x == p) {
                reference.swap_remove(at);
            }
            assert_eq!(parents[..], reference[..]);
        }
        assert_eq!(parents, Parents::None);
    }

    #[test]
    fn encodes_as_a_vec() {
        for list in [vec![], vec![3], vec![3, 5, 3]] {
            let bytes = postcard::to_stdvec(&Parents::from(list.clone())).unwrap();
            assert_eq!(bytes, postcard::to_stdvec(&list).unwrap());
            let back: Parents = postcard::from_bytes(&bytes).unwrap();
            assert_eq!(back[..], list[..]);
        }
    }
}
