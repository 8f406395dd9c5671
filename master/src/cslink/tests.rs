//! The link against a scripted chunkserver on the loopback interface
//! (the address a chunkserver announces is what the master checks, not
//! the one it connects from).

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use mooseng_wire::cstoma::{self, ChunkVersion, DiskUsage, RegisterBegin6, RegisterForm};
use mooseng_wire::direction::MasterToChunkserver;
use mooseng_wire::matocs::{AckKind, MasterAck};
use mooseng_wire::message::Message;
use mooseng_wire::{Ctx, Frame, FrameCodec, Rest, Version};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::codec::Framed;

use super::{serve, LinkConfig};
use crate::chunks::{ChunkConfig, ChunkEntry, ChunkService, ChunkTable, FileRef};
use crate::namespace::Classes;

const META_ID: u64 = 0x1234;

async fn start(max_connections: usize) -> (Arc<ChunkService>, SocketAddr) {
    let mut table = ChunkTable::default();
    let file = FileRef { inode: 5, index: 0 };
    table.apply(&ChunkEntry::Create { file, class: 2 }).unwrap();
    let config = ChunkConfig {
        meta_id: META_ID,
        ..ChunkConfig::default()
    };
    let (service, _journal) = ChunkService::new(table, config);
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await.unwrap();
    let addr = listener.local_addr().unwrap();
    let config = LinkConfig { max_connections };
    tokio::spawn(serve(listener, Arc::clone(&service), config));
    (service, addr)
}

type Client = Framed<TcpStream, FrameCodec>;

async fn connect(addr: SocketAddr) -> Client {
    let stream = TcpStream::connect(addr).await.unwrap();
    Framed::new(stream, FrameCodec::new(1 << 20))
}

fn begin(ip: Ipv4Addr) -> cstoma::Register {
    let info = RegisterBegin6 {
        version: Version::MOOSEFS_3_0_117,
        ip,
        port: 9422,
        timeout: 0,
        csid: 0,
        usage: DiskUsage {
            used: 10,
            total: 1000,
            chunks: 1,
            todel_used: 0,
            todel_total: 0,
            todel_chunks: 0,
        },
    };
    cstoma::Register {
        form: RegisterForm::Begin6 {
            passcode: None,
            info,
        },
    }
}

async fn next_ack(client: &mut Client) -> AckKind {
    let frame = client.next().await.unwrap().unwrap();
    match MasterToChunkserver::decode_frame(&frame, Ctx::default()).unwrap() {
        MasterToChunkserver::MasterAck(MasterAck { ack }) => ack,
        other => panic!("expected an ack, got {other:?}"),
    }
}

/// True when the master closed the connection (NOPs aside).
async fn closed(client: &mut Client) -> bool {
    let wait = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            match client.next().await {
                None | Some(Err(_)) => return true,
                Some(Ok(frame)) if frame.kind == 0 => continue,
                Some(Ok(_)) => return false,
            }
        }
    });
    wait.await.unwrap_or(false)
}

async fn wait_until(mut done: impl FnMut() -> bool) {
    for _ in 0..50 {
        if done() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("condition never held");
}

#[tokio::test]
async fn version_6_registration_is_acknowledged_as_mfsmaster_does() {
    let (service, addr) = start(10).await;
    let mut client = connect(addr).await;
    let ip = Ipv4Addr::new(10, 9, 9, 1);
    client.send(begin(ip).to_frame()).await.unwrap();
    let AckKind::Registered { info, metaid } = next_ack(&mut client).await else {
        panic!("BEGIN not accepted");
    };
    assert_eq!(info.master_version, Version::MOOSEFS_3_0_117);
    assert_eq!((info.timeout, info.csid, metaid), (60, 1, Some(META_ID)));

    let chunks = RegisterForm::Chunks6(Rest(vec![ChunkVersion {
        chunkid: 1,
        version: 1,
    }]));
    let packet = cstoma::Register { form: chunks };
    client.send(packet.to_frame()).await.unwrap();
    assert_eq!(next_ack(&mut client).await, AckKind::Continue);
    let end = cstoma::Register {
        form: RegisterForm::End6,
    };
    client.send(end.to_frame()).await.unwrap();
    wait_until(|| service.servers().iter().any(|(_, s)| s.registered)).await;
    let servers = service.servers();
    assert_eq!(servers[0].1.addr.ip(), &ip);
    assert_eq!(servers[0].1.usage.total, 1000);
    assert_eq!(service.matrix().count(2, 1), 1);

    // A space report of a length no version uses: the link closes and
    // the server's copies go with it.
    client
        .send(Frame::new(cstoma::Space::CODE, vec![0; 7]))
        .await
        .unwrap();
    assert!(closed(&mut client).await);
    wait_until(|| service.servers().is_empty()).await;
    assert_eq!(service.matrix().count(2, 0), 1);
}

#[tokio::test]
async fn reports_before_registration_and_loopback_servers_are_refused() {
    let (service, addr) = start(10).await;
    let mut early = connect(addr).await;
    let labels = cstoma::Labels { labelmask: 1 };
    early.send(labels.to_frame()).await.unwrap();
    assert!(closed(&mut early).await);

    let mut loopback = connect(addr).await;
    loopback
        .send(begin(Ipv4Addr::LOCALHOST).to_frame())
        .await
        .unwrap();
    assert!(closed(&mut loopback).await);
    assert!(service.servers().is_empty());
}

#[tokio::test]
async fn unknown_types_and_oversized_frames_close_the_link() {
    let (_service, addr) = start(10).await;
    let mut unknown = connect(addr).await;
    unknown
        .send(Frame::new(0xDEAD, vec![1, 2, 3]))
        .await
        .unwrap();
    assert!(closed(&mut unknown).await);

    let mut huge = connect(addr).await;
    let header = [0, 0, 0, 101, 0xFF, 0xFF, 0xFF, 0xFF];
    tokio::io::AsyncWriteExt::write_all(huge.get_mut(), &header)
        .await
        .unwrap();
    assert!(closed(&mut huge).await);
}

#[tokio::test]
async fn connections_beyond_the_limit_are_closed() {
    let (_service, addr) = start(1).await;
    let mut first = connect(addr).await;
    let mut second = connect(addr).await;
    assert!(closed(&mut second).await);
    first
        .send(begin(Ipv4Addr::new(10, 9, 9, 2)).to_frame())
        .await
        .unwrap();
    assert!(matches!(
        next_ack(&mut first).await,
        AckKind::Registered { .. }
    ));
}

#[tokio::test]
async fn a_follower_sends_chunkservers_to_the_leader_as_masterconn_expects() {
    let (service, addr) = start(10).await;
    let leader = Ipv4Addr::new(10, 9, 9, 100);
    service.follow(leader);
    let mut client = connect(addr).await;
    client
        .send(begin(Ipv4Addr::new(10, 9, 9, 3)).to_frame())
        .await
        .unwrap();
    assert_eq!(next_ack(&mut client).await, AckKind::Redirect(leader));
    assert!(closed(&mut client).await);

    service.follow(Ipv4Addr::UNSPECIFIED);
    let mut during_election = connect(addr).await;
    during_election
        .send(begin(Ipv4Addr::new(10, 9, 9, 3)).to_frame())
        .await
        .unwrap();
    assert_eq!(next_ack(&mut during_election).await, AckKind::LeaderUnknown);
    assert!(closed(&mut during_election).await);
    assert!(service.servers().is_empty());
}

#[tokio::test]
async fn losing_the_lead_ends_registrations_and_a_new_lead_takes_the_table() {
    let (service, addr) = start(10).await;
    let mut client = connect(addr).await;
    client
        .send(begin(Ipv4Addr::new(10, 9, 9, 4)).to_frame())
        .await
        .unwrap();
    assert!(matches!(
        next_ack(&mut client).await,
        AckKind::Registered { .. }
    ));
    wait_until(|| !service.servers().is_empty()).await;

    service.follow(Ipv4Addr::new(10, 9, 9, 100));
    assert!(closed(&mut client).await);
    assert!(service.servers().is_empty());
    assert_eq!(service.matrix().count(2, 0), 0, "a follower holds no table");

    let mut table = ChunkTable::default();
    for index in 0..3 {
        let file = FileRef { inode: 6, index };
        table.apply(&ChunkEntry::Create { file, class: 2 }).unwrap();
    }
    service.lead(table, Classes::default());
    assert_eq!(service.redirect(), None);
    assert_eq!(service.matrix().count(2, 0), 3);
    let mut again = connect(addr).await;
    again
        .send(begin(Ipv4Addr::new(10, 9, 9, 4)).to_frame())
        .await
        .unwrap();
    assert!(matches!(
        next_ack(&mut again).await,
        AckKind::Registered { .. }
    ));
}
