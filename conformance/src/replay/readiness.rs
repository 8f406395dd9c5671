//! Waiting until a fresh master can place chunks.
//!
//! A master accepts a chunkserver for new chunks only once it has reported
//! its disk space, a moment after it registered; a replay started before
//! that gets `NOCHUNKSERVERS` where the capture got a chunk. So the replay
//! asks the master's chunkserver list (`CLTOMA_CSERV_LIST`, as `mfscli
//! -SCS` does) until enough servers report space.

use std::net::SocketAddr;
use std::thread::sleep;
use std::time::{Duration, Instant};

use mooseng_wire::cltoma_info::CservList;
use mooseng_wire::direction::MasterToClient;
use mooseng_wire::{Ctx, Message};

use super::connection::{Connection, ConnectionError};

#[derive(Debug, thiserror::Error)]
pub enum NotReady {
    #[error("{ready} of {wanted} chunkservers reported space within {timeout:?}")]
    Timeout {
        ready: usize,
        wanted: usize,
        timeout: Duration,
    },
    #[error(transparent)]
    Connection(#[from] ConnectionError),
}

/// Returns once the master at `target` lists at least `wanted`
/// chunkservers with non-zero total space.
pub fn wait_for_chunkservers(
    target: SocketAddr,
    wanted: usize,
    timeout: Duration,
) -> Result<(), NotReady> {
    let deadline = Instant::now() + timeout;
    loop {
        let ready = chunkservers_with_space(target, timeout)?;
        if ready >= wanted {
            return Ok(());
        }
        if Instant::now() >= deadline {
            return Err(NotReady::Timeout {
                ready,
                wanted,
                timeout,
            });
        }
        sleep(Duration::from_millis(200));
    }
}

fn chunkservers_with_space(target: SocketAddr, timeout: Duration) -> Result<usize, NotReady> {
    let mut connection = Connection::open(target, timeout)?;
    let request = CservList {}.to_frame();
    connection.send(request.kind, &request.payload)?;
    let answer = connection.await_answer(request.kind + 1, None, timeout)?;
    Ok(
        match MasterToClient::decode(answer.code, &answer.payload, Ctx::default()) {
            Ok(MasterToClient::CservList(list)) => list
                .servers
                .typed()
                .map_or(0, |table| table.0 .0.iter().filter(|s| s.total > 0).count()),
            _ => 0,
        },
    )
}
