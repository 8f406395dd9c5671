//! Chunkservers that leave the master and come back during a capture, and
//! the same done to the target's chunkservers.
//!
//! The replay speaks only the client protocol, but mfscli asks the master
//! about its chunkservers: the corpus kills one with SIGKILL, removes it
//! from the master's list while it is away (`CSSERV_COMMAND`) and starts
//! it again, and mfscli's answers in between show it disconnected, then
//! gone, then back. The capture holds those moments as the chunkserver's
//! connection to the master (port 9420) closing and a new one opening.
//! When the target's chunkservers belong to a `mooseng-cluster` cluster,
//! the replayer does the same to the target's chunkserver bound to the
//! captured one, at the same point of the request order, and waits until
//! the master has taken the change in before the next request goes out:
//! it lists the chunkserver as disconnected, or connected again, and its
//! chunk counters are no longer being rebuilt (a few seconds after a
//! chunkserver reported its chunks), as the capture's were by the time
//! mfscli next looked at them.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::thread::sleep;
use std::time::{Duration, Instant};

use mooseng_tools::{member, Layout};
use mooseng_wire::Direction;

use super::connection::ConnectionError;
use super::readiness::{chunk_counters_in_progress, chunkserver_list};
use crate::classify::Classifier;
use crate::reassembly::Stream;

/// Bit of a `MATOCL_CSERV_LIST` entry's flags: the server is known but not
/// connected.
const DISCONNECTED: u8 = 1;

/// How long a chunkserver gets to be seen gone, or to start and register.
const SETTLE_LIMIT: Duration = Duration::from_secs(30);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// Its connection to the master closed: it died or was stopped.
    Lost,
    /// It connected to the master again.
    Back,
}

/// A chunkserver leaving or rejoining the master during the capture.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChunkserverEvent {
    /// The packet that closed or opened its connection.
    pub packet: u64,
    /// Its captured address.
    pub address: Ipv4Addr,
    pub change: Change,
}

/// The chunkserver connections that closed or opened after packet `start`
/// (those opened before are the capture's starting state), in capture
/// order.
pub fn events(streams: &[Stream], classifier: &Classifier, start: u64) -> Vec<ChunkserverEvent> {
    let mut events: Vec<ChunkserverEvent> = streams
        .iter()
        .filter(|s| classifier.classify(&s.key) == Some(Direction::ChunkserverToMaster))
        .filter_map(|s| match s.key.src.ip() {
            IpAddr::V4(address) => Some((s, address)),
            IpAddr::V6(_) => None,
        })
        .flat_map(|(s, address)| {
            let back = (s.syn_seen && s.first_packet > start).then_some(ChunkserverEvent {
                packet: s.first_packet,
                address,
                change: Change::Back,
            });
            let lost = s
                .closed_at
                .filter(|&p| p > start)
                .map(|packet| ChunkserverEvent {
                    packet,
                    address,
                    change: Change::Lost,
                });
            back.into_iter().chain(lost)
        })
        .collect();
    events.sort_by_key(|e| e.packet);
    events
}

#[derive(Debug, thiserror::Error)]
pub enum EventError {
    #[error(transparent)]
    Cluster(#[from] mooseng_tools::Error),
    #[error("asking the master for its chunkservers: {0}")]
    Connection(#[from] ConnectionError),
    #[error("the master did not list chunkserver {address} as {state} within {limit:?}")]
    Unsettled {
        address: Ipv4Addr,
        state: &'static str,
        limit: Duration,
    },
}

/// Kills (for [`Change::Lost`]) or restarts (for [`Change::Back`]) the
/// chunkserver at `address` of the cluster recorded in `cluster`, and
/// returns once the master at `master` lists it so and has settled its
/// chunk counters. `meanwhile` runs between two looks at the master; the
/// replay keeps its idle connections alive with it.
pub fn reproduce(
    change: Change,
    address: Ipv4Addr,
    cluster: &Layout,
    master: SocketAddr,
    answer_timeout: Duration,
    mut meanwhile: impl FnMut() -> Result<(), ConnectionError>,
) -> Result<(), EventError> {
    match change {
        Change::Lost => member::kill(cluster, address)?,
        Change::Back => member::restart(cluster, address)?,
    };
    let wanted_connected = change == Change::Back;
    let deadline = Instant::now() + SETTLE_LIMIT;
    loop {
        let connected = chunkserver_list(master, answer_timeout)?
            .iter()
            .any(|s| s.ip == address && s.flags & DISCONNECTED == 0);
        if connected == wanted_connected && !chunk_counters_in_progress(master, answer_timeout)? {
            return Ok(());
        }
        if Instant::now() >= deadline {
            return Err(EventError::Unsettled {
                address,
                state: if wanted_connected {
                    "connected with its chunks counted"
                } else {
                    "disconnected with its chunks counted"
                },
                limit: SETTLE_LIMIT,
            });
        }
        meanwhile()?;
        sleep(Duration::from_millis(100));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reassembly::StreamKey;

    fn stream(src: [u8; 4], dst_port: u16, first_packet: u64, closed_at: Option<u64>) -> Stream {
        Stream {
            key: StreamKey {
                src: (src, 40000).into(),
                dst: ([10, 0, 0, 1], dst_port).into(),
            },
            first_packet,
            syn_seen: true,
            closed_at,
            chunks: Vec::new(),
            retransmitted_bytes: 0,
            segment_starts: Vec::new(),
        }
    }

    #[test]
    fn a_chunkserver_connection_closing_then_a_new_one_is_lost_then_back() {
        let cs = [10, 0, 0, 13];
        let streams = [
            // Registered before the first request: the starting state.
            stream([10, 0, 0, 11], 9420, 1, None),
            stream(cs, 9420, 2, Some(70)),
            stream(cs, 9420, 90, None),
            // A client connection closing is no chunkserver event.
            stream([10, 0, 0, 100], 9421, 20, Some(80)),
        ];
        let found = events(&streams, &Classifier::default(), 10);
        let address = Ipv4Addr::from(cs);
        assert_eq!(
            found,
            vec![
                ChunkserverEvent {
                    packet: 70,
                    address,
                    change: Change::Lost
                },
                ChunkserverEvent {
                    packet: 90,
                    address,
                    change: Change::Back
                },
            ]
        );
        // Replaying from after the loss, the loss is part of the start.
        assert_eq!(events(&streams, &Classifier::default(), 75).len(), 1);
    }
}
