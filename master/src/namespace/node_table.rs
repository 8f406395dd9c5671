//! The nodes of the tree, found by inode number.
//!
//! A hash map of nodes costs about twice a node per file once it has
//! grown (it keeps at least an eighth of its buckets free and doubles, and
//! hashing touches every page of the table). Inode numbers are handed out
//! in sequence, so the table keeps the nodes packed in one vector and a
//! second vector, indexed by inode number, that says where each one is:
//! a node costs its own size plus 8 bytes, and an inode number that was
//! used and freed costs 4.

use std::fmt;

use serde::de::{MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::node::{Inode, Node};

/// Marks an inode number with no node in `slots`.
const NO_SLOT: u32 = u32::MAX;

#[derive(Clone, Default)]
pub struct NodeTable {
    /// Position in `nodes` of each inode number, or `NO_SLOT`.
    slots: Vec<u32>,
    nodes: Vec<Node>,
    /// Inode number of each entry of `nodes`.
    owners: Vec<Inode>,
}

impl NodeTable {
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    fn slot(&self, inode: Inode) -> Option<usize> {
        match self.slots.get(inode as usize) {
            Some(&slot) if slot != NO_SLOT => Some(slot as usize),
            _ => None,
        }
    }

    pub fn get(&self, inode: Inode) -> Option<&Node> {
        self.slot(inode).map(|slot| &self.nodes[slot])
    }

    pub fn get_mut(&mut self, inode: Inode) -> Option<&mut Node> {
        self.slot(inode).map(|slot| &mut self.nodes[slot])
    }

    /// Puts `node` at `inode`, returning the node it replaces.
    pub fn insert(&mut self, inode: Inode, node: Node) -> Option<Node> {
        if let Some(slot) = self.slot(inode) {
            return Some(std::mem::replace(&mut self.nodes[slot], node));
        }
        let at = inode as usize;
        if self.slots.len() <= at {
            self.slots.resize(at + 1, NO_SLOT);
        }
        self.slots[at] =
            u32::try_from(self.nodes.len()).unwrap_or_else(|_| panic!("more than {NO_SLOT} nodes"));
        self.nodes.push(node);
        self.owners.push(inode);
        None
    }

    /// Takes the node out; the last node moves into its place.
    pub fn remove(&mut self, inode: Inode) -> Option<Node> {
        let slot = self.slot(inode)?;
        self.slots[inode as usize] = NO_SLOT;
        let node = self.nodes.swap_remove(slot);
        self.owners.swap_remove(slot);
        if let Some(&moved) = self.owners.get(slot) {
            self.slots[moved as usize] = slot as u32;
        }
        Some(node)
    }

    /// Every node with its inode number, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (Inode, &Node)> {
        self.owners.iter().copied().zip(&self.nodes)
    }

    pub fn values(&self) -> impl Iterator<Item = &Node> {
        self.nodes.iter()
    }

    pub fn keys(&self) -> impl Iterator<Item = Inode> + '_ {
        self.owners.iter().copied()
    }
}

/// Equal when the same inodes hold equal nodes, wherever they are stored.
impl PartialEq for NodeTable {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len()
            && self
                .iter()
                .all(|(inode, node)| other.get(inode) == Some(node))
    }
}

impl Eq for NodeTable {}

impl fmt::Debug for NodeTable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

/// Written as the map of inode to node that snapshots have always held.
impl Serialize for NodeTable {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.iter())
    }
}

impl<'de> Deserialize<'de> for NodeTable {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(TableVisitor)
    }
}

struct TableVisitor;

impl<'de> Visitor<'de> for TableVisitor {
    type Value = NodeTable;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a map of inode numbers to nodes")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<NodeTable, A::Error> {
        let mut table = NodeTable::default();
        while let Some((inode, node)) = map.next_entry::<Inode, Node>()? {
            if table.insert(inode, node).is_some() {
                return Err(serde::de::Error::custom(format!("inode {inode} twice")));
            }
        }
        Ok(table)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::namespace::Namespace;

    fn node() -> Node {
        Namespace::new(0)
            .get(crate::namespace::ROOT)
            .cloned()
            .unwrap()
    }

    #[test]
    fn removal_keeps_every_other_node_reachable() {
        let mut table = NodeTable::default();
        for inode in [5, 2, 9, 3] {
            table.insert(
                inode,
                Node {
                    uid: inode,
                    ..node()
                },
            );
        }
        assert_eq!(table.remove(5).map(|n| n.uid), Some(5));
        assert_eq!(table.remove(5), None);
        for inode in [2, 9, 3] {
            assert_eq!(table.get(inode).map(|n| n.uid), Some(inode));
        }
        assert!(table.get(5).is_none() && table.get(100).is_none());
        assert_eq!(table.len(), 3);
    }

    #[test]
    fn encodes_as_the_map_it_replaced() {
        let mut table = NodeTable::default();
        let mut map = std::collections::BTreeMap::new();
        for inode in [1, 7] {
            table.insert(
                inode,
                Node {
                    uid: inode,
                    ..node()
                },
            );
            map.insert(
                inode,
                Node {
                    uid: inode,
                    ..node()
                },
            );
        }
        let bytes = postcard::to_stdvec(&table).unwrap();
        assert_eq!(bytes, postcard::to_stdvec(&map).unwrap());
        let back: NodeTable = postcard::from_bytes(&bytes).unwrap();
        assert_eq!(back, table);
    }
}
