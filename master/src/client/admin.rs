//! The status queries `mfscli` sends (and `mooseng-cluster` relies on to
//! see chunkservers registered): MATOCL_INFO, CSERV_LIST, CHUNKS_MATRIX,
//! MEMORY_INFO. MooseFS answers them in any registration state, without a
//! session.

use std::net::Ipv4Addr;

use mooseng_wire::cltoma_info::ChunksMatrix;
use mooseng_wire::codec::Rest;
use mooseng_wire::info_lists::MemoryUsage;
use mooseng_wire::info_master::{ChunkMatrices, CservEntry, CservTable, InfoClock, MasterInfo};
use mooseng_wire::matocl_info;
use mooseng_wire::variants::OrRaw;

use super::reply::reply;
use super::{Action, Master, MASTER_VERSION};
use crate::chunks::{HealthMatrix, Server};
use crate::store::now;

/// `state nstate stable sync` of a master without leader election, as the
/// open-source MooseFS reports it.
const NO_HA_STATE: [u8; 4] = [0xFF; 4];
/// MooseFS Pro's `state` of a group's leader and of a follower (mfscli's
/// `STATE_LEADER`, `STATE_FOLLOWER`).
const LEADER: u8 = 1;
const FOLLOWER: u8 = 3;

/// Memory pools `mfscli -SIN` expects in a 3.0.117 answer.
const MEMORY_POOLS: usize = 11;

/// The space of the cluster: MooseFS's sums over connected chunkservers
/// reporting any space. MooseNG keeps no reserve, so all free space is
/// available.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Space {
    pub total: u64,
    pub free: u64,
}

impl Space {
    pub fn of(master: &Master) -> Space {
        master
            .chunks
            .servers()
            .iter()
            .filter(|(_, s)| s.registered && s.usage.total > 0)
            .fold(Space::default(), |acc, (_, s)| Space {
                total: acc.total + s.usage.total,
                free: acc.free + s.usage.free(),
            })
    }
}

pub(super) async fn info(master: &Master) -> Action {
    let space = Space::of(master);
    let census = master.store.read().await.census();
    let matrix = master.chunks.matrix();
    let (chunks, copies, regular) = totals(&matrix);
    let (state, leaderip) = group_state(master);
    reply(matocl_info::Info {
        info: OrRaw::Typed(MasterInfo {
            version: MASTER_VERSION,
            memusage: 0,
            syscpu: 0,
            usercpu: 0,
            totalspace: space.total,
            availspace: space.free,
            freespace: Some(space.free),
            trashspace: census.trash_length,
            trashnodes: census.trash_files,
            sustainedspace: census.sustained_length,
            sustainednodes: census.sustained_files,
            allnodes: census.nodes,
            dirnodes: census.dirs,
            filenodes: census.files,
            chunks,
            chunkcopies: copies,
            // Named for copies on disks marked for removal, but 3.0.117
            // sends the regular copies here and mfscli shows them so.
            tdcopies: regular,
            laststore_ts: 0,
            laststore_duration: 0,
            laststore_status: 0,
            state,
            leaderip,
            state_chg_time: 0,
            meta_version: 0,
            exports_checksum: Some(0),
            clock: Some(InfoClock {
                usec_local_time: u64::from(now()) * 1_000_000,
                last_changelog_time: 0,
            }),
        }),
    })
}

/// This master's place in its group as a MooseFS Pro master reports it
/// (state, next state, stable, in sync; the leader's address): mfscli
/// asks every address a master name resolves to and shows the leader's
/// answers. A master alone reports no group, as the open-source MooseFS
/// does, so mfscli shows what it shows for mfsmaster.
fn group_state(master: &Master) -> ([u8; 4], Ipv4Addr) {
    let voters = master
        .store
        .group_view()
        .borrow()
        .membership_config
        .membership()
        .voter_ids()
        .count();
    if voters <= 1 {
        return (NO_HA_STATE, Ipv4Addr::UNSPECIFIED);
    }
    match master.store.redirect() {
        None => ([LEADER, LEADER, 1, 1], Ipv4Addr::UNSPECIFIED),
        Some(leader) => ([FOLLOWER, FOLLOWER, 1, 1], leader),
    }
}

/// Chunks, valid copies and regular copies counted from the health
/// matrix (a chunk with 10 or more copies counts as 10).
fn totals(matrix: &HealthMatrix) -> (u32, u32, u32) {
    let mut chunks = 0;
    let mut copies = 0;
    let mut regular = 0;
    for (goal, row) in matrix.all.0.iter().enumerate() {
        for (n, count) in row.iter().enumerate() {
            chunks += count;
            copies += count * n as u32;
            regular += matrix.regular.0[goal][n] * n as u32;
        }
    }
    (chunks, copies, regular)
}

pub(super) fn cserv_list(master: &Master) -> Action {
    let entries = master
        .chunks
        .servers()
        .into_iter()
        .map(|(id, server)| cserv_entry(id.0, &server))
        .collect();
    reply(matocl_info::CservList {
        servers: OrRaw::Typed(CservTable(Rest(entries))),
    })
}

/// The 69-byte record of one connected chunkserver.
fn cserv_entry(csid: u16, s: &Server) -> CservEntry {
    let [_, major, mid, minor] = s.version.0.to_be_bytes();
    CservEntry {
        flags: 0,
        major,
        mid,
        minor,
        ip: *s.addr.ip(),
        port: s.addr.port(),
        csid,
        used: s.usage.used,
        total: s.usage.total,
        chunks: s.usage.chunks,
        tdused: s.usage.todel_used,
        tdtotal: s.usage.todel_total,
        tdchunks: s.usage.todel_chunks,
        errorcount: s.errors,
        load: s.load,
        gracetime: 0,
        labelmask: s.labels,
        mfrstatus: 0,
    }
}

/// Both matrices without a matrix id (what mfscli 3.0.117 asks), else the
/// one asked for: 0 counts every valid copy, anything else regular ones.
pub(super) fn chunks_matrix(master: &Master, m: ChunksMatrix) -> Action {
    let matrix = master.chunks.matrix();
    let matrices = match m.matrix_id {
        None => matrix.to_message(),
        Some(0) => ChunkMatrices::One(matrix.all),
        Some(_) => ChunkMatrices::One(matrix.regular),
    };
    reply(matocl_info::ChunksMatrix { matrices })
}

/// MooseFS's per-structure memory pools do not exist here: every pool
/// reads as empty, which `mfscli` shows as zero usage.
pub(super) fn memory_info() -> Action {
    let pools = vec![
        MemoryUsage {
            allocated: 0,
            used: 0,
        };
        MEMORY_POOLS
    ];
    reply(matocl_info::MemoryInfo { pools: Rest(pools) })
}
