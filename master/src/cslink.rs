//! Port 9420: the link between the master and its chunkservers.
//!
//! Accepts stock MooseFS 3.0.117 chunkservers as well as MooseNG's: each
//! connection registers (one packet, or BEGIN / CHUNKS... / END), then
//! reports space, load, labels and lost or damaged chunks, and answers the
//! orders the [`ChunkService`] sends it. A connection that sends something
//! malformed or out of place is closed with a log line; the chunkserver
//! reconnects and registers again, as it would with MooseFS.

mod conn;
mod register;

use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::Semaphore;

use crate::chunks::ChunkService;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinkConfig {
    /// Connections served at once; more are closed on arrival.
    pub max_connections: usize,
}

impl Default for LinkConfig {
    fn default() -> Self {
        LinkConfig {
            max_connections: 1000,
        }
    }
}

/// Serves chunkservers connecting to `listener` until the task is dropped.
pub async fn serve(listener: TcpListener, service: Arc<ChunkService>, config: LinkConfig) {
    let slots = Arc::new(Semaphore::new(config.max_connections));
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(err) => {
                // Usually out of file descriptors: wait for some to free up.
                tracing::warn!(%err, "accepting a chunkserver connection failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let Ok(slot) = Arc::clone(&slots).try_acquire_owned() else {
            tracing::warn!(%peer, "too many chunkserver connections; closing this one");
            continue;
        };
        let service = Arc::clone(&service);
        tokio::spawn(async move {
            conn::run(stream, peer, service).await;
            drop(slot);
        });
    }
}

#[cfg(test)]
mod tests;
