//! Port 9422: clients reading and writing, other chunkservers forwarding
//! writes or replicating, and tools asking questions.
//!
//! Each connection carries one request at a time, as with mfschunkserver.
//! A malformed or unexpected packet closes that connection with a log
//! line; nothing a peer sends can stop the server.

mod acks;
mod info;
pub mod read;
mod trip_buffers;
mod write;

use std::net::SocketAddr;
use std::sync::Arc;

use mooseng_wire::direction::{Direction, ToChunkserver};
use mooseng_wire::Ctx;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, Semaphore};
use tokio::task::JoinSet;
use tracing::{debug, info, warn};

pub use acks::{AckQueue, OutOfOrder};

use crate::charts::series;
use crate::master::commands;
use crate::net::{self, FrameWriter};
use crate::storage::Store;
use trip_buffers::TripBuffers;

/// The client service.
#[derive(Debug)]
pub struct Service {
    store: Arc<Store>,
    buffers: Arc<TripBuffers>,
    listener: TcpListener,
    limit: Arc<Semaphore>,
    shutdown: watch::Receiver<bool>,
}

impl Service {
    pub fn new(
        store: Arc<Store>,
        listener: TcpListener,
        max_connections: usize,
        shutdown: watch::Receiver<bool>,
    ) -> Self {
        Service {
            store,
            buffers: Arc::new(TripBuffers::new(read::TRIP_BYTES)),
            listener,
            limit: Arc::new(Semaphore::new(max_connections.max(1))),
            shutdown,
        }
    }

    /// Accepts connections until shutdown, then waits for the open ones to
    /// wind down (each write session syncs and closes its chunk).
    pub async fn run(mut self) {
        let mut connections = JoinSet::new();
        loop {
            tokio::select! {
                _ = self.shutdown.changed() => break,
                accepted = self.listener.accept() => match accepted {
                    Ok((stream, peer)) => self.admit(&mut connections, stream, peer),
                    Err(err) => warn!(%err, "accept failed"),
                },
                Some(_) = connections.join_next(), if !connections.is_empty() => {}
            }
        }
        info!(open = connections.len(), "client service stopping");
        while connections.join_next().await.is_some() {}
    }

    fn admit(&self, connections: &mut JoinSet<()>, stream: TcpStream, peer: SocketAddr) {
        let Ok(permit) = Arc::clone(&self.limit).try_acquire_owned() else {
            warn!(%peer, "too many connections; refusing");
            return;
        };
        let store = Arc::clone(&self.store);
        let buffers = Arc::clone(&self.buffers);
        let shutdown = self.shutdown.clone();
        connections.spawn(async move {
            serve_connection(store, buffers, stream, peer, shutdown).await;
            drop(permit);
        });
    }
}

/// Serves requests on one connection until it closes.
async fn serve_connection(
    store: Arc<Store>,
    buffers: Arc<TripBuffers>,
    stream: TcpStream,
    peer: SocketAddr,
    mut shutdown: watch::Receiver<bool>,
) {
    let (reader, writer) = net::split(stream, Direction::ToChunkserver.max_payload());
    let charts = &store.metrics().charts;
    let mut reader = reader.counting(charts.counter(series::SERVICE_IN));
    let mut writer = writer.counting(charts.counter(series::SERVICE_OUT));
    loop {
        let frame = tokio::select! {
            _ = shutdown.changed() => break,
            frame = reader.next() => match frame {
                Ok(Some(frame)) => frame,
                Ok(None) => break,
                Err(err) => {
                    warn!(%peer, %err, "bad frame; closing connection");
                    break;
                }
            },
        };
        let message = match ToChunkserver::decode_frame(&frame, Ctx::default()) {
            Ok(message) => message,
            Err(err) => {
                warn!(%peer, %err, "malformed packet; closing connection");
                break;
            }
        };
        let result = match message {
            ToChunkserver::Read(req) => {
                charts.add(series::CLIENT_READS, 1);
                read::serve(&store, &buffers, &mut writer, req).await
            }
            ToChunkserver::Write(req) => {
                charts.add(series::CLIENT_WRITES, 1);
                match write::serve(&store, &mut reader, &mut writer, req, &mut shutdown).await {
                    Ok(write::After::KeepOpen) => Ok(()),
                    Ok(write::After::Close) => break,
                    Err(err) => Err(err),
                }
            }
            ToChunkserver::GetChunkBlocks(ask) => {
                writer
                    .send(&commands::chunk_blocks(&store, ask).await)
                    .await
            }
            ToChunkserver::GetChunkChecksum(ask) => {
                writer
                    .send(&commands::chunk_checksum(&store, ask).await)
                    .await
            }
            ToChunkserver::GetChunkChecksumTab(ask) => {
                writer
                    .send(&commands::chunk_checksum_tab(&store, ask).await)
                    .await
            }
            ToChunkserver::HddList(_) => writer.send(&info::hdd_list(&store)).await,
            ToChunkserver::GetVersion(ask) => writer.send(&info::version(&ask)).await,
            ToChunkserver::ChartData(ask) => {
                writer
                    .send(&charts.answer(ask.chartid, ask.maxentries))
                    .await
            }
            ToChunkserver::Nop(_) => Ok(()),
            other => {
                warn!(%peer, message = other.name(), "unsupported request; closing connection");
                break;
            }
        };
        if let Err(err) = result {
            debug!(%peer, %err, "connection lost");
            break;
        }
    }
    close(&mut writer).await;
}

async fn close(writer: &mut FrameWriter) {
    writer.shutdown().await;
}
