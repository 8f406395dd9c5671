//! What each storage class holds, for `mfscli -SSC`: its files and
//! directories, and the chunks its files refer to.

use std::collections::{BTreeMap, HashMap};

use super::node::NodeData;
use super::Namespace;

/// Files and directories of one class (`sclasstab[].files`,
/// `.directories`); trash and sustained files count as files.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ClassMembers {
    pub files: u32,
    pub dirs: u32,
}

impl Namespace {
    /// Members of every class that has any, by class id.
    pub fn class_members(&self) -> BTreeMap<u8, ClassMembers> {
        let mut members: BTreeMap<u8, ClassMembers> = BTreeMap::new();
        for node in self.nodes.values() {
            match node.data {
                NodeData::File(_) => members.entry(node.sclass).or_default().files += 1,
                NodeData::Directory(_) => members.entry(node.sclass).or_default().dirs += 1,
                _ => {}
            }
        }
        members
    }

    /// The class each chunk is counted under: that of the lowest-numbered
    /// file referring to it (a chunk shared by snapshots counts once).
    pub fn chunk_classes(&self) -> HashMap<u64, u8> {
        let mut classes = HashMap::new();
        for (_, node, file) in self.files() {
            for chunk in file.chunks.iter().filter(|c| **c != 0) {
                classes.entry(*chunk).or_insert(node.sclass);
            }
        }
        classes
    }
}
