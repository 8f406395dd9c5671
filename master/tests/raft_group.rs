//! Three masters in one process, each a `MetadataStore` with its own data
//! directory, talking Raft over gRPC on 127.0.0.1: a change made on the
//! leader reaches the others; when the leader stops, the two left elect a
//! new one that takes changes; the stopped master comes back from its
//! directory and catches up.

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::path::Path;
use std::time::{Duration, Instant};

use mooseng_master::meta::SnapshotPolicy;
use mooseng_master::namespace::{Caller, Mutation, NewNode};
use mooseng_master::raft::{Group, Node, NodeId};
use mooseng_master::store::MetadataStore;

const TIMEOUT: Duration = Duration::from_secs(30);

/// A free port on 127.0.0.`host`: each master has an address of its own,
/// as the redirects need.
fn free_addr(host: u8) -> SocketAddr {
    let listener = TcpListener::bind((Ipv4Addr::new(127, 0, 0, host), 0)).expect("a free port");
    listener.local_addr().expect("its address")
}

fn group(id: NodeId, addrs: &BTreeMap<NodeId, SocketAddr>) -> Group {
    Group {
        id,
        voters: addrs
            .iter()
            .map(|(&id, addr)| (id, Node::new(addr.to_string())))
            .collect(),
        listen: Some(addrs[&id]),
    }
}

async fn open(dir: &Path, id: NodeId, addrs: &BTreeMap<NodeId, SocketAddr>) -> MetadataStore {
    let policy = SnapshotPolicy { every_entries: 20 };
    match MetadataStore::open_in(dir, policy, id, &group(id, addrs)).await {
        Ok(opened) => opened.store,
        Err(error) => panic!("master {id} did not start: {error}"),
    }
}

async fn mkdir(store: &MetadataStore, name: &str) -> Result<(), mooseng_wire::Status> {
    let mutation = Mutation::Create {
        parent: 1,
        name: name.as_bytes().into(),
        node: NewNode::Directory,
        mode: 0o755,
        umask: 0,
        copy_sgid: false,
    };
    store.change(&Caller::root(), mutation).await.map(|_| ())
}

/// Waits until `store` holds `nodes` nodes (the root included).
async fn until_nodes(store: &MetadataStore, nodes: usize) {
    let started = Instant::now();
    while store.read().await.node_count() != nodes {
        assert!(started.elapsed() < TIMEOUT, "never reached {nodes} nodes");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn until_leader(stores: &[&MetadataStore]) -> usize {
    let started = Instant::now();
    loop {
        if let Some(n) = stores.iter().position(|store| store.is_leader()) {
            return n;
        }
        assert!(started.elapsed() < TIMEOUT, "no leader elected");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_leader_takes_over_and_the_old_one_catches_up() {
    let dirs: Vec<_> = (0..3).map(|_| tempfile::tempdir().unwrap()).collect();
    let addrs: BTreeMap<NodeId, SocketAddr> = (1..=3).map(|id| (id, free_addr(id as u8))).collect();
    let (a, b, c) = tokio::join!(
        open(dirs[0].path(), 1, &addrs),
        open(dirs[1].path(), 2, &addrs),
        open(dirs[2].path(), 3, &addrs),
    );
    let mut stores = [Some(a), Some(b), Some(c)];
    let all: Vec<&MetadataStore> = stores.iter().flatten().collect();
    let leader = until_leader(&all).await;
    for n in 0..30 {
        mkdir(all[leader], &format!("before{n}")).await.unwrap();
    }
    for store in &all {
        until_nodes(store, 31).await;
    }
    let follower = (leader + 1) % 3;
    assert!(!all[follower].is_leader());
    assert_eq!(all[leader].redirect(), None, "the leader serves");
    assert_eq!(
        all[follower].redirect(),
        Some(Ipv4Addr::new(127, 0, 0, leader as u8 + 1)),
        "a follower names the leader's address"
    );
    assert!(
        mkdir(all[follower], "refused").await.is_err(),
        "a follower does not take changes itself"
    );

    let stopped = stores[leader].take().unwrap();
    stopped.shutdown().await;
    drop(stopped);
    let left: Vec<&MetadataStore> = stores.iter().flatten().collect();
    let new_leader = until_leader(&left).await;
    for n in 0..30 {
        mkdir(left[new_leader], &format!("after{n}")).await.unwrap();
    }
    for store in &left {
        until_nodes(store, 61).await;
    }

    let back = open(dirs[leader].path(), leader as NodeId + 1, &addrs).await;
    until_nodes(&back, 61).await;
    assert!(!back.is_leader() || left.iter().all(|store| !store.is_leader()));
    back.shutdown().await;
    for store in stores.iter().flatten() {
        store.shutdown().await;
    }
}
