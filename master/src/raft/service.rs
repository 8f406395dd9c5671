//! The gRPC service through which the other masters reach this one's
//! Raft node.

use std::net::SocketAddr;

use serde::de::DeserializeOwned;
use serde::Serialize;
use tonic::{Request, Response, Status};

use super::proto::raft_server::{Raft as RaftRpc, RaftServer};
use super::proto::Blob;
use super::Raft;
use crate::meta::format;

struct Service {
    raft: Raft,
}

// tonic's handlers answer `Result<_, Status>`; these helpers build exactly
// that, so Status is not ours to shrink.
#[allow(clippy::result_large_err)]
fn decode<T: DeserializeOwned>(request: Request<Blob>) -> Result<T, Status> {
    format::decode(&request.into_inner().data).map_err(Status::invalid_argument)
}

#[allow(clippy::result_large_err)]
fn encode<T: Serialize>(answer: &T) -> Result<Response<Blob>, Status> {
    format::encode(answer)
        .map(|data| Response::new(Blob { data }))
        .map_err(|e| Status::internal(e.to_string()))
}

#[tonic::async_trait]
impl RaftRpc for Service {
    async fn append_entries(&self, request: Request<Blob>) -> Result<Response<Blob>, Status> {
        encode(&self.raft.append_entries(decode(request)?).await)
    }

    async fn vote(&self, request: Request<Blob>) -> Result<Response<Blob>, Status> {
        encode(&self.raft.vote(decode(request)?).await)
    }

    async fn install_snapshot(&self, request: Request<Blob>) -> Result<Response<Blob>, Status> {
        encode(&self.raft.install_snapshot(decode(request)?).await)
    }
}

/// Serves the other masters on `addr` until `stop` resolves.
pub async fn serve(
    raft: Raft,
    addr: SocketAddr,
    stop: impl std::future::Future<Output = ()> + Send,
) -> Result<(), tonic::transport::Error> {
    tonic::transport::Server::builder()
        .add_service(RaftServer::new(Service { raft }))
        .serve_with_shutdown(addr, stop)
        .await
}
