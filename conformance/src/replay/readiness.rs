//! Waiting until a fresh master is in the capture's starting state, and
//! reading the lists that tell.
//!
//! A master accepts a chunkserver for new chunks only once it has reported
//! its disk space, a moment after it registered; a replay started before
//! that gets `NOCHUNKSERVERS` where the capture got a chunk. A metalogger
//! connects a moment after it starts, and mfscli's list of them is
//! compared. So the replay asks the master's lists (`CLTOMA_CSERV_LIST`
//! and `CLTOMA_MLOG_LIST`, as `mfscli -SCS` and `-SML` do) until enough
//! servers are there.

use std::net::SocketAddr;
use std::thread::sleep;
use std::time::{Duration, Instant};

use mooseng_wire::cltoma_info::{ChunksMatrix, CservList, MlogList};
use mooseng_wire::direction::MasterToClient;
use mooseng_wire::info_master::{ChunkMatrices, CservEntry};
use mooseng_wire::{Ctx, Message};

use super::connection::{Connection, ConnectionError, Received};

#[derive(Debug, thiserror::Error)]
pub enum NotReady {
    #[error("{ready} of {wanted} {what} within {timeout:?}")]
    Timeout {
        ready: usize,
        wanted: usize,
        what: &'static str,
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
    wait_for("chunkservers reported space", wanted, timeout, || {
        let servers = chunkserver_list(target, timeout)?;
        Ok(servers.iter().filter(|s| s.total > 0).count())
    })
}

/// Returns once the master at `target` lists at least `wanted` connected
/// metaloggers.
pub fn wait_for_metaloggers(
    target: SocketAddr,
    wanted: usize,
    timeout: Duration,
) -> Result<(), NotReady> {
    wait_for("metaloggers connected", wanted, timeout, || {
        let answer = ask(target, MlogList {}.to_frame(), timeout)?;
        Ok(
            match MasterToClient::decode(answer.code, &answer.payload, Ctx::default()) {
                Ok(MasterToClient::MlogList(list)) => list.metaloggers.0.len(),
                _ => 0,
            },
        )
    })
}

/// The chunkservers the master at `target` knows, connected or not; empty
/// when its answer is not the 3.0.117 layout.
pub fn chunkserver_list(
    target: SocketAddr,
    timeout: Duration,
) -> Result<Vec<CservEntry>, ConnectionError> {
    let answer = ask(target, CservList {}.to_frame(), timeout)?;
    Ok(
        match MasterToClient::decode(answer.code, &answer.payload, Ctx::default()) {
            Ok(MasterToClient::CservList(list)) => list
                .servers
                .typed()
                .map_or_else(Vec::new, |table| table.0 .0.clone()),
            _ => Vec::new(),
        },
    )
}

/// Whether the master at `target` is still rebuilding its chunk counters
/// after a chunkserver (dis)connected: the progress byte of mfscli's chunk
/// matrix, nonzero while the master takes in a registration, a lost
/// server's chunks, or (for a few seconds after) chunks a server reported.
pub fn chunk_counters_in_progress(
    target: SocketAddr,
    timeout: Duration,
) -> Result<bool, ConnectionError> {
    let request = ChunksMatrix { matrix_id: None }.to_frame();
    let answer = ask(target, request, timeout)?;
    Ok(matches!(
        MasterToClient::decode(answer.code, &answer.payload, Ctx::default()),
        Ok(MasterToClient::ChunksMatrix(m))
            if matches!(m.matrices, ChunkMatrices::Both { progress, .. } if progress != 0)
    ))
}

/// Sends `request` on a connection of its own and returns the answer.
fn ask(
    target: SocketAddr,
    request: mooseng_wire::Frame,
    timeout: Duration,
) -> Result<Received, ConnectionError> {
    let mut connection = Connection::open(target, timeout)?;
    connection.send(request.kind, &request.payload)?;
    connection.await_answer(request.kind + 1, None, timeout)
}

/// Polls `count` until it reaches `wanted` or `timeout` passes.
fn wait_for(
    what: &'static str,
    wanted: usize,
    timeout: Duration,
    mut count: impl FnMut() -> Result<usize, ConnectionError>,
) -> Result<(), NotReady> {
    let deadline = Instant::now() + timeout;
    loop {
        let ready = count()?;
        if ready >= wanted {
            return Ok(());
        }
        if Instant::now() >= deadline {
            return Err(NotReady::Timeout {
                ready,
                wanted,
                what,
                timeout,
            });
        }
        sleep(Duration::from_millis(200));
    }
}
