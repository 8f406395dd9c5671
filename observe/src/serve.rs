//! The accept loop and one connection's life.

use std::future::Future;
use std::io;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tracing::{debug, warn};

use crate::endpoint::Endpoint;
use crate::http::{read_head, Head, Request, Response};

/// Pause after a failed accept (out of descriptors, say), so the loop
/// does not spin.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// Answers `/health` and `/metrics` on `listener` until `shutdown`
/// completes; connections still open then are dropped.
pub async fn serve(
    listener: TcpListener,
    endpoint: Arc<Endpoint>,
    shutdown: impl Future<Output = ()>,
) {
    let limits = endpoint.limits();
    let permits = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let mut connections = JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    let Ok(permit) = Arc::clone(&permits).try_acquire_owned() else {
                        debug!(%peer, "too many metrics connections; closing");
                        continue;
                    };
                    let endpoint = Arc::clone(&endpoint);
                    connections.spawn(async move {
                        match tokio::time::timeout(limits.timeout, answer(stream, endpoint)).await {
                            Ok(Ok(())) => {}
                            Ok(Err(err)) => debug!(%peer, %err, "metrics connection failed"),
                            Err(_) => debug!(%peer, "metrics connection timed out"),
                        }
                        drop(permit);
                    });
                }
                Err(err) => {
                    warn!(%err, "metrics endpoint cannot accept");
                    tokio::time::sleep(ACCEPT_BACKOFF).await;
                }
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}

/// Reads one request, answers it and closes the connection.
async fn answer(mut stream: TcpStream, endpoint: Arc<Endpoint>) -> io::Result<()> {
    let response = match read_head(&mut stream, endpoint.limits().max_head).await? {
        Head::Closed => return Ok(()),
        Head::TooLarge => Response::text(
            431,
            "Request Header Fields Too Large",
            "request head too large\n",
        ),
        Head::Complete(head) => match Request::parse(&head) {
            None => Response::text(400, "Bad Request", "bad request\n"),
            Some(request) => {
                match tokio::task::spawn_blocking(move || endpoint.answer(&request)).await {
                    Ok(response) => response,
                    Err(_) => Response::text(500, "Internal Server Error", "failed\n"),
                }
            }
        },
    };
    stream.write_all(&response.encode()).await?;
    stream.shutdown().await
}
