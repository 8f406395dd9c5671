//! The masters' Raft messages over gRPC: each openraft request and its
//! answer travel postcard-encoded in a `Blob` (proto/raft.proto), so
//! openraft's types are the only definition of what is exchanged.

use std::error::Error;
use std::time::Duration;

use openraft::error::{
    InstallSnapshotError, NetworkError, RPCError, RaftError, RemoteError, Unreachable,
};
use openraft::network::{RPCOption, RaftNetwork, RaftNetworkFactory};
use openraft::raft::{
    AppendEntriesRequest, AppendEntriesResponse, InstallSnapshotRequest, InstallSnapshotResponse,
    VoteRequest, VoteResponse,
};
use serde::de::DeserializeOwned;
use serde::Serialize;
use tonic::transport::{Channel, Endpoint};

use super::proto::raft_client::RaftClient;
use super::proto::Blob;
use super::{Node, NodeId, TypeConfig};
use crate::meta::format;

/// How long connecting to a peer may take before the message counts as
/// undeliverable.
const CONNECT_TIMEOUT: Duration = Duration::from_millis(500);

/// Opens a [`GrpcPeer`] to each master openraft talks to; a group of one
/// never asks for any.
#[derive(Debug, Clone, Copy, Default)]
pub struct GrpcNetwork;

impl RaftNetworkFactory<TypeConfig> for GrpcNetwork {
    type Network = GrpcPeer;

    async fn new_client(&mut self, target: NodeId, node: &Node) -> GrpcPeer {
        let client = Endpoint::from_shared(format!("http://{}", node.addr))
            .map(|endpoint| {
                RaftClient::new(endpoint.connect_timeout(CONNECT_TIMEOUT).connect_lazy())
            })
            .map_err(|e| e.to_string());
        GrpcPeer { target, client }
    }
}

/// The connection to one other master.
#[derive(Debug)]
pub struct GrpcPeer {
    target: NodeId,
    /// Why there is none when the peer's address is not a valid URI.
    client: Result<RaftClient<Channel>, String>,
}

#[derive(Debug, Clone, Copy)]
enum Rpc {
    AppendEntries,
    Vote,
    InstallSnapshot,
}

type Failed<E = openraft::error::Infallible> = RPCError<NodeId, Node, RaftError<NodeId, E>>;

fn network_error<E: Error>(reason: impl ToString) -> RPCError<NodeId, Node, E> {
    RPCError::Network(NetworkError::new(&std::io::Error::other(
        reason.to_string(),
    )))
}

impl GrpcPeer {
    async fn call<Req, Resp, E>(
        &mut self,
        rpc: Rpc,
        request: &Req,
        option: &RPCOption,
    ) -> Result<Resp, Failed<E>>
    where
        Req: Serialize,
        Resp: DeserializeOwned,
        E: Error + DeserializeOwned,
    {
        let mut client = match &self.client {
            Ok(client) => client.clone(),
            Err(reason) => {
                return Err(RPCError::Unreachable(Unreachable::new(
                    &std::io::Error::other(reason.clone()),
                )))
            }
        };
        let data = format::encode(request).map_err(network_error)?;
        let request = tonic::Request::new(Blob { data });
        let sent = async move {
            match rpc {
                Rpc::AppendEntries => client.append_entries(request).await,
                Rpc::Vote => client.vote(request).await,
                Rpc::InstallSnapshot => client.install_snapshot(request).await,
            }
        };
        let reply = tokio::time::timeout(option.hard_ttl(), sent)
            .await
            .map_err(|_| network_error(format!("{rpc:?} timed out")))?
            .map_err(|status| RPCError::Unreachable(Unreachable::new(&status)))?;
        let answer: Result<Resp, RaftError<NodeId, E>> =
            format::decode(&reply.into_inner().data).map_err(network_error)?;
        answer.map_err(|error| RPCError::RemoteError(RemoteError::new(self.target, error)))
    }
}

impl RaftNetwork<TypeConfig> for GrpcPeer {
    async fn append_entries(
        &mut self,
        rpc: AppendEntriesRequest<TypeConfig>,
        option: RPCOption,
    ) -> Result<AppendEntriesResponse<NodeId>, Failed> {
        self.call(Rpc::AppendEntries, &rpc, &option).await
    }

    async fn install_snapshot(
        &mut self,
        rpc: InstallSnapshotRequest<TypeConfig>,
        option: RPCOption,
    ) -> Result<InstallSnapshotResponse<NodeId>, Failed<InstallSnapshotError>> {
        self.call(Rpc::InstallSnapshot, &rpc, &option).await
    }

    async fn vote(
        &mut self,
        rpc: VoteRequest<NodeId>,
        option: RPCOption,
    ) -> Result<VoteResponse<NodeId>, Failed> {
        self.call(Rpc::Vote, &rpc, &option).await
    }
}
