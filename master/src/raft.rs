//! The masters' Raft group (openraft). The metadata log is the Raft log
//! and the namespace with the chunk table is the state machine, so a
//! single master is a one-voter group and runs the same code as three.
//!
//! This module fixes the types openraft is instantiated with, its
//! configuration, the group's members and the gRPC transport between
//! masters; the storage is in [`crate::meta`].

mod grpc;
mod service;

/// The code generated from proto/raft.proto.
#[allow(missing_debug_implementations, clippy::all)]
mod proto {
    tonic::include_proto!("mooseng.raft");
}

use std::collections::BTreeMap;
use std::io::Cursor;

use serde::{Deserialize, Serialize};

use crate::meta::LogEntry;
use crate::namespace::Outcome;

pub use grpc::GrpcNetwork;
pub use service::serve;

openraft::declare_raft_types!(
    /// The openraft instantiation of the MooseNG master: a Raft entry
    /// carries every change that waited for the same group commit.
    pub TypeConfig:
        D = Vec<LogEntry>,
        R = Vec<Applied>,
);

pub type NodeId = u64;
pub type Node = openraft::BasicNode;
pub type Entry = openraft::Entry<TypeConfig>;
pub type LogId = openraft::LogId<NodeId>;
pub type Vote = openraft::Vote<NodeId>;
pub type SnapshotMeta = openraft::SnapshotMeta<NodeId, Node>;
pub type StoredMembership = openraft::StoredMembership<NodeId, Node>;
pub type Snapshot = openraft::Snapshot<TypeConfig>;
pub type StorageError = openraft::StorageError<NodeId>;
pub type Raft = openraft::Raft<TypeConfig>;
pub type ServerMetrics = openraft::metrics::RaftServerMetrics<NodeId, Node>;

/// The node id of a master that is its group's only voter.
pub const SOLE_VOTER: NodeId = 1;

/// The masters of one group, as this master knows them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    /// This master.
    pub id: NodeId,
    /// Every voter, this master included, with the address its Raft
    /// service listens on.
    pub voters: BTreeMap<NodeId, Node>,
    /// Where this master serves the others; `None` for a group of one.
    pub listen: Option<std::net::SocketAddr>,
}

impl Group {
    /// A group whose only voter is this master.
    pub fn alone() -> Group {
        Group {
            id: SOLE_VOTER,
            voters: sole_voter(),
            listen: None,
        }
    }
}

impl Group {
    /// The metadata id every master of a group starts a new directory
    /// with, so that chunkservers and mounts see one id from any of them:
    /// a hash of the voters, which every master initialises the group
    /// with (it is the group's first log entry). `None` for a group of
    /// one, whose id is drawn at random. Never 0, which MooseFS reads as
    /// "no id".
    pub fn meta_id(&self) -> Option<u64> {
        self.listen?;
        let mut hash = FNV_OFFSET;
        for (id, node) in &self.voters {
            let voter = format!("{id}={};", node.addr);
            for byte in voter.bytes() {
                hash = (hash ^ u64::from(byte)).wrapping_mul(FNV_PRIME);
            }
        }
        Some(hash.max(1))
    }
}

/// FNV-1a, 64 bits: stable across builds and platforms, unlike std's
/// hasher.
const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

/// What applying one [`LogEntry`] answered: a namespace entry's outcome
/// or its MooseFS status code; nothing for a chunk entry. A Raft entry
/// answers one of these per change it carries (none for blank and
/// membership entries).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Applied(pub Option<Result<Outcome, u8>>);

/// The voters of a group that is only this master.
fn sole_voter() -> BTreeMap<NodeId, Node> {
    BTreeMap::from([(SOLE_VOTER, Node::default())])
}

/// openraft's settings, or why openraft refuses them. openraft never
/// snapshots on its own: its policy counts Raft entries, and one entry
/// holds a whole group commit, so the state machine counts changes and
/// asks for snapshots itself (see `StateMachine::snapshots_every`).
pub fn config() -> Result<openraft::Config, String> {
    openraft::Config {
        cluster_name: "mooseng".into(),
        snapshot_policy: openraft::SnapshotPolicy::Never,
        // A snapshot covers everything before it; a follower that lags
        // further than the snapshot gets the snapshot.
        max_in_snapshot_log_to_keep: 0,
        ..openraft::Config::default()
    }
    .validate()
    .map_err(|e| e.to_string())
}
