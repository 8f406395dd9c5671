//! The network of a group without peers: a one-voter group never sends a
//! Raft message, and a message it would send has nowhere to go.

use std::io;

use openraft::error::{InstallSnapshotError, RPCError, RaftError, Unreachable};
use openraft::network::{RPCOption, RaftNetwork, RaftNetworkFactory};
use openraft::raft::{
    AppendEntriesRequest, AppendEntriesResponse, InstallSnapshotRequest, InstallSnapshotResponse,
    VoteRequest, VoteResponse,
};

use super::{Node, NodeId, TypeConfig};

/// Connects to no one: every message fails as unreachable.
#[derive(Debug, Clone, Copy, Default)]
pub struct Peerless;

type Failed<E = openraft::error::Infallible> = RPCError<NodeId, Node, RaftError<NodeId, E>>;

fn unreachable<E: std::error::Error>() -> RPCError<NodeId, Node, E> {
    RPCError::Unreachable(Unreachable::new(&io::Error::new(
        io::ErrorKind::NotConnected,
        "this master has no peers",
    )))
}

impl RaftNetworkFactory<TypeConfig> for Peerless {
    type Network = Peerless;

    async fn new_client(&mut self, _target: NodeId, _node: &Node) -> Peerless {
        Peerless
    }
}

impl RaftNetwork<TypeConfig> for Peerless {
    async fn append_entries(
        &mut self,
        _rpc: AppendEntriesRequest<TypeConfig>,
        _option: RPCOption,
    ) -> Result<AppendEntriesResponse<NodeId>, Failed> {
        Err(unreachable())
    }

    async fn install_snapshot(
        &mut self,
        _rpc: InstallSnapshotRequest<TypeConfig>,
        _option: RPCOption,
    ) -> Result<InstallSnapshotResponse<NodeId>, Failed<InstallSnapshotError>> {
        Err(unreachable())
    }

    async fn vote(
        &mut self,
        _rpc: VoteRequest<NodeId>,
        _option: RPCOption,
    ) -> Result<VoteResponse<NodeId>, Failed> {
        Err(unreachable())
    }
}
