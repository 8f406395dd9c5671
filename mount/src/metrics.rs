//! The mount's `/health` and `/metrics` endpoint (`mooseng-observe`), as
//! the master and the chunkserver serve it: the counters of
//! [`crate::stats`] under the `mooseng_mount_` prefix, and a health check
//! that passes while the session's connection to the master is up.

use std::net::SocketAddr;
use std::sync::Arc;

use mooseng_observe::{Endpoint, Registry};
use tokio::net::TcpListener;

use crate::master::Master;
use crate::stats::PREFIX;

/// Why `/health` fails while the master is unreachable.
const NOT_CONNECTED: &str = "not connected to the master (reconnecting)";

/// Listens on `addr` and serves the endpoint for the life of the process;
/// returns the address bound (the port may have been 0).
pub async fn serve(master: Master, addr: SocketAddr) -> std::io::Result<SocketAddr> {
    let listener = TcpListener::bind(addr).await?;
    let bound = listener.local_addr()?;
    let mut registry = Registry::with_prefix(PREFIX);
    master.stats().register(&mut registry);
    let endpoint = Endpoint::new(registry, move || {
        if master.connected() {
            Ok(())
        } else {
            Err(NOT_CONNECTED.to_owned())
        }
    });
    tokio::spawn(mooseng_observe::serve(
        listener,
        Arc::new(endpoint),
        std::future::pending(),
    ));
    tracing::info!(metrics = %bound, "serving /health and /metrics");
    Ok(bound)
}
