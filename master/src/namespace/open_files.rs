//! The sessions holding each file open, as one ordered set of
//! `(inode, session)` pairs.
//!
//! A mount releases the files it closed only in its SUSTAINED_INODES
//! report, once a minute, so while files are being created every file of
//! the last minute is open: tens of thousands. A map from each inode to a
//! set of sessions cost about 120 bytes a file (its share of a map node,
//! plus a 64-byte heap block for each one-session set); a pair in one set
//! costs about 20 (the share of a node of eleven 8-byte pairs; ascending
//! inserts leave std's B-tree nodes about half full).
//!
//! Snapshots hold the map it replaced, inode to sessions: encoded and
//! decoded as that map, the format is unchanged.

use std::collections::{BTreeMap, BTreeSet};

use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::Inode;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OpenFiles(BTreeSet<(Inode, u32)>);

impl OpenFiles {
    /// Whether some session holds `inode` open.
    pub fn is_open(&self, inode: Inode) -> bool {
        self.holders(inode).next().is_some()
    }

    /// The sessions holding `inode` open, in order.
    pub fn holders(&self, inode: Inode) -> impl Iterator<Item = u32> + '_ {
        self.0
            .range((inode, 0)..=(inode, u32::MAX))
            .map(|&(_, session)| session)
    }

    pub fn insert(&mut self, inode: Inode, session: u32) {
        self.0.insert((inode, session));
    }

    pub fn remove(&mut self, inode: Inode, session: u32) {
        self.0.remove(&(inode, session));
    }

    /// `(session, inode)` of every open file, by inode.
    pub fn iter(&self) -> impl Iterator<Item = (u32, Inode)> + '_ {
        self.0.iter().map(|&(inode, session)| (session, inode))
    }

    /// Every open inode once, in order.
    fn inodes(&self) -> impl Iterator<Item = Inode> + '_ {
        let mut last = None;
        self.0.iter().filter_map(move |&(inode, _)| {
            let first = last != Some(inode);
            last = Some(inode);
            first.then_some(inode)
        })
    }
}

/// The sessions of one inode, encoded as the set they once were.
struct Holders<'a>(&'a OpenFiles, Inode);

impl Serialize for Holders<'_> {
    /// Collected first: postcard writes a sequence's length before it,
    /// and a range of a B-tree does not know its own.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let sessions: Vec<u32> = self.0.holders(self.1).collect();
        sessions.serialize(serializer)
    }
}

impl Serialize for OpenFiles {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.inodes().count()))?;
        for inode in self.inodes() {
            map.serialize_entry(&inode, &Holders(self, inode))?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for OpenFiles {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let map = BTreeMap::<Inode, BTreeSet<u32>>::deserialize(deserializer)?;
        Ok(OpenFiles(
            map.into_iter()
                .flat_map(|(inode, sessions)| sessions.into_iter().map(move |s| (inode, s)))
                .collect(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> (OpenFiles, BTreeMap<Inode, BTreeSet<u32>>) {
        let pairs = [(2, 7), (2, 9), (5, 7), (40_000, 1), (u32::MAX, 2)];
        let mut open = OpenFiles::default();
        let mut old: BTreeMap<Inode, BTreeSet<u32>> = BTreeMap::new();
        for (inode, session) in pairs {
            open.insert(inode, session);
            old.entry(inode).or_default().insert(session);
        }
        (open, old)
    }

    #[test]
    fn encodes_as_the_map_of_sets_it_replaced() {
        let (open, old) = sample();
        let bytes = postcard::to_allocvec(&open).unwrap();
        assert_eq!(bytes, postcard::to_allocvec(&old).unwrap());
        assert_eq!(postcard::from_bytes::<OpenFiles>(&bytes).unwrap(), open);
        let empty = postcard::to_allocvec(&OpenFiles::default()).unwrap();
        assert_eq!(
            empty,
            postcard::to_allocvec(&BTreeMap::<Inode, BTreeSet<u32>>::new()).unwrap()
        );
    }

    #[test]
    fn holders_are_those_of_one_inode_only() {
        let (mut open, _) = sample();
        assert_eq!(open.holders(2).collect::<Vec<_>>(), [7, 9]);
        assert!(open.is_open(5));
        assert!(!open.is_open(3));
        open.remove(5, 7);
        assert!(!open.is_open(5));
        open.remove(2, 8);
        assert_eq!(open.holders(2).collect::<Vec<_>>(), [7, 9]);
        assert_eq!(
            open.iter().collect::<Vec<_>>(),
            [(7, 2), (9, 2), (1, 40_000), (2, u32::MAX)]
        );
    }
}
