//! The "chunk loop", "check loop" and "missing files" parts of
//! `mfscli -SIN`: CHUNKSTEST_INFO, FSTEST_INFO and MISSING_CHUNKS,
//! answered in any registration state as MooseFS does.

use mooseng_wire::cltoma_info::{FstestInfo, MissingChunks};
use mooseng_wire::codec::Bytes32;
use mooseng_wire::info_master::{FstestReport, MissingChunk, MissingChunkList, TypedMissingChunk};
use mooseng_wire::matocl_info;
use mooseng_wire::variants::OrRaw;

use super::reply::reply;
use super::{Action, Master};
use crate::fscheck::{check_files, FileCheck};
use crate::store::now;

/// The counters of the planner's last pass.
pub(super) fn chunkstest_info(master: &Master) -> Action {
    reply(matocl_info::ChunkstestInfo {
        operations: OrRaw::Typed(master.chunks.chunk_loop().to_message()),
    })
}

/// The file check, done now: it starts and ends at the current time.
/// With the request's byte the answer also counts missing trash and
/// sustained files.
pub(super) async fn fstest_info(master: &Master, m: FstestInfo) -> Action {
    let check = file_check(master).await;
    let at = now();
    reply(matocl_info::FstestInfo {
        report: FstestReport {
            loopstart: at,
            loopend: at,
            files: check.files,
            ugfiles: check.undergoal_files,
            mfiles: check.missing_files,
            missing_trash_sustained: m
                .version
                .map(|_| (check.missing_trash_files, check.missing_sustained_files)),
            chunks: check.chunks,
            ugchunks: check.undergoal_chunks,
            mchunks: check.missing_chunks,
            message: Bytes32::new(check.message),
        },
    })
}

/// The missing chunks with their file and index; mode 1 (what mfscli
/// 3.0.117 sends) adds why each one is missing.
pub(super) async fn missing_chunks(master: &Master, m: MissingChunks) -> Action {
    let missing = file_check(master).await.missing;
    let chunks = if m.mode.unwrap_or(0) == 0 {
        MissingChunkList::Plain(
            missing
                .iter()
                .map(|c| MissingChunk {
                    chunkid: c.chunk,
                    inode: c.inode,
                    indx: c.index,
                })
                .collect(),
        )
    } else {
        MissingChunkList::Typed(
            missing
                .iter()
                .map(|c| TypedMissingChunk {
                    chunkid: c.chunk,
                    inode: c.inode,
                    indx: c.index,
                    kind: c.kind as u8,
                })
                .collect(),
        )
    };
    reply(matocl_info::MissingChunks { chunks })
}

/// Reads the chunks' health while holding the namespace, so every chunk a
/// file refers to has been created in the table already.
async fn file_check(master: &Master) -> FileCheck {
    let ns = master.store.read().await;
    let health = master.chunks.health();
    check_files(&ns, &health)
}
