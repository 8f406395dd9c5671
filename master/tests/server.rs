//! The listener stays up when one peer sends garbage: a bad frame closes
//! that connection only. A mount's requests sent at once on its one
//! connection are all answered and their changes share group commits.

use mooseng_master::chunks::{ChunkConfig, ChunkService, ChunkTable};
use std::sync::Arc;
use std::time::Duration;

use mooseng_master::client::Master;
use mooseng_master::exports::Exports;
use mooseng_master::metrics::RequestLabels;
use mooseng_master::server::{serve, Limits};
use mooseng_master::session::Sessions;
use mooseng_master::store::MetadataStore;
use mooseng_wire::cltoma::{FuseMkdir, FuseRegister, NewSession, RegisterRequest};
use mooseng_wire::types::Groups;
use mooseng_wire::version::Version;
use mooseng_wire::{Bytes32, Frame, Message, Name};
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
        charts: Default::default(),
        topology: Default::default(),
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

/// The frame's bytes on the wire: `kind:32 length:32 payload`.
fn wire_bytes(frame: &Frame) -> Vec<u8> {
    let mut bytes = frame.kind.to_be_bytes().to_vec();
    bytes.extend_from_slice(&(frame.payload.len() as u32).to_be_bytes());
    bytes.extend_from_slice(&frame.payload);
    bytes
}

async fn read_frame(stream: &mut TcpStream) -> Frame {
    let mut header = [0u8; 8];
    stream
        .read_exact(&mut header)
        .await
        .expect("a frame header");
    let kind = u32::from_be_bytes([header[0], header[1], header[2], header[3]]);
    let len = u32::from_be_bytes([header[4], header[5], header[6], header[7]]);
    let mut payload = vec![0u8; len as usize];
    stream
        .read_exact(&mut payload)
        .await
        .expect("a frame payload");
    Frame::new(kind, payload)
}

#[tokio::test]
async fn a_sessions_requests_sent_at_once_share_group_commits() {
    let (addr, master, stop, server) = start().await;
    let mut mount = TcpStream::connect(addr).await.unwrap();
    let register = FuseRegister {
        request: RegisterRequest::NewSession(NewSession {
            version: Version::MOOSEFS_3_0_117,
            info: Bytes32::new(b"test\0".to_vec()),
            path: Some(Bytes32::new(b"/\0".to_vec())),
            previous: None,
            passcode: None,
        }),
    };
    mount
        .write_all(&wire_bytes(&register.to_frame()))
        .await
        .unwrap();
    assert_eq!(
        read_frame(&mut mount).await.kind,
        401,
        "MATOCL_FUSE_REGISTER"
    );

    const DIRS: u32 = 64;
    let before = master.store.log_stats().last_index();
    let mut burst = Vec::new();
    for msgid in 0..DIRS {
        let mkdir = FuseMkdir {
            msgid,
            parent: 1,
            name: Name::new(format!("d{msgid}").into_bytes()),
            mode: 0o755,
            umask: 0,
            uid: 0,
            gids: Groups::List(vec![0]),
            copy_sgid: 0,
        };
        burst.extend(wire_bytes(&mkdir.to_frame()));
    }
    mount.write_all(&burst).await.unwrap();
    let mut answered = Vec::new();
    for _ in 0..DIRS {
        let reply = read_frame(&mut mount).await;
        assert_eq!(reply.kind, 419, "MATOCL_FUSE_MKDIR");
        assert!(
            reply.payload.len() > 5,
            "an attribute, not a status: {reply:?}"
        );
        answered.push(u32::from_be_bytes([
            reply.payload[0],
            reply.payload[1],
            reply.payload[2],
            reply.payload[3],
        ]));
    }
    answered.sort_unstable();
    assert_eq!(answered, (0..DIRS).collect::<Vec<_>>());
    let commits = master.store.log_stats().last_index() - before;
    assert!(
        commits < u64::from(DIRS) / 2,
        "{commits} group commits for {DIRS} changes sent at once"
    );
    assert_eq!(
        master
            .store
            .read()
            .await
            .get(1)
            .unwrap()
            .dir()
            .unwrap()
            .entries
            .len(),
        DIRS as usize
    );

    stop.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(10), server)
        .await
        .unwrap()
        .unwrap();
}
