//! The listener stays up when one peer sends garbage: a bad frame closes
//! that connection only.

use mooseng_master::chunks::{ChunkConfig, ChunkService, ChunkTable};
use std::sync::Arc;
use std::time::Duration;

use mooseng_master::client::Master;
use mooseng_master::exports::Exports;
use mooseng_master::metrics::RequestLabels;
use mooseng_master::server::{serve, Limits};
use mooseng_master::session::Sessions;
use mooseng_master::store::MetadataStore;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;

/// `ANTOAN_GET_VERSION` with msgid 7.
const GET_VERSION: [u8; 12] = [0, 0, 0, 10, 0, 0, 0, 4, 0, 0, 0, 7];

async fn start() -> (
    std::net::SocketAddr,
    Arc<Master>,
    oneshot::Sender<()>,
    tokio::task::JoinHandle<()>,
) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("a free port");
    let addr = listener.local_addr().expect("its address");
    let master = Arc::new(Master {
        store: MetadataStore::empty().await,
        sessions: Sessions::default(),
        exports: Exports::moosefs_default(),
        chunks: ChunkService::new(ChunkTable::default(), ChunkConfig::default()).0,
        metaid: 1,
        metrics: Default::default(),
    });
    let limits = Limits {
        max_connections: 4,
        keepalive: Duration::from_secs(1),
    };
    let (stop, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(serve(listener, Arc::clone(&master), limits, async {
        let _ = stopped.await;
    }));
    (addr, master, stop, server)
}

async fn closed_by_peer(stream: &mut TcpStream) -> bool {
    let mut buf = [0u8; 64];
    matches!(
        tokio::time::timeout(Duration::from_secs(5), stream.read(&mut buf)).await,
        Ok(Ok(0)) | Ok(Err(_))
    )
}

#[tokio::test]
async fn bad_frames_close_only_their_connection() {
    let (addr, master, stop, server) = start().await;

    let mut oversized = TcpStream::connect(addr).await.unwrap();
    oversized
        .write_all(&[0, 0, 1, 0x96, 0xff, 0xff, 0xff, 0xff])
        .await
        .unwrap();
    assert!(closed_by_peer(&mut oversized).await);

    let mut malformed = TcpStream::connect(addr).await.unwrap();
    // CLTOMA_FUSE_REGISTER with a 3-byte payload: no blob.
    malformed
        .write_all(&[0, 0, 1, 0x90, 0, 0, 0, 3, 1, 2, 3])
        .await
        .unwrap();
    assert!(closed_by_peer(&mut malformed).await);

    let mut good = TcpStream::connect(addr).await.unwrap();
    good.write_all(&GET_VERSION).await.unwrap();
    let mut header = [0u8; 8];
    good.read_exact(&mut header).await.unwrap();
    assert_eq!(&header[..4], &[0, 0, 0, 11], "ANTOAN_VERSION");
    let mut body =
        vec![0u8; u32::from_be_bytes([header[4], header[5], header[6], header[7]]) as usize];
    good.read_exact(&mut body).await.unwrap();
    assert_eq!(&body[..8], &[0, 0, 0, 7, 0, 3, 0, 0xea]);
    assert_eq!(&body[8..], b"3.0.117");
    assert_eq!(master.metrics.bad_connections.get(), 2);
    let version = RequestLabels {
        request: "ANTOAN_GET_VERSION",
    };
    assert_eq!(master.metrics.requests.get_or_create(&version).get(), 1);

    stop.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(10), server)
        .await
        .unwrap()
        .unwrap();
    assert!(closed_by_peer(&mut good).await);
}
