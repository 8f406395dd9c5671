//! Requests about file data (READ_CHUNK, WRITE_CHUNK, WRITE_CHUNK_END).
//!
//! The chunk registry and the chunkserver channel do not exist yet, so
//! every request is refused with `MFS_ERROR_IO`: `mfsmount` turns that into
//! EIO at once instead of retrying. This module is where the chunk module
//! plugs in; the dispatcher already routes these requests here.

use mooseng_wire::cltoma::{FuseReadChunk, FuseWriteChunk, FuseWriteChunkEnd};
use mooseng_wire::matocl::{FuseReadChunkReply, FuseWriteChunkEndReply, FuseWriteChunkReply};
use mooseng_wire::{Reply, Status};

use super::reply::reply;
use super::Action;

const NO_DATA_YET: Status = Status::IO;

pub(super) fn read(m: FuseReadChunk) -> Action {
    tracing::debug!(inode = m.inode, index = m.index, "no chunk data yet");
    reply(FuseReadChunkReply {
        msgid: m.msgid,
        reply: Reply::Status(NO_DATA_YET),
    })
}

pub(super) fn write(m: FuseWriteChunk) -> Action {
    tracing::debug!(inode = m.inode, index = m.index, "no chunk data yet");
    reply(FuseWriteChunkReply {
        msgid: m.msgid,
        reply: Reply::Status(NO_DATA_YET),
    })
}

pub(super) fn write_end(m: FuseWriteChunkEnd) -> Action {
    reply(FuseWriteChunkEndReply {
        msgid: m.msgid,
        status: NO_DATA_YET,
    })
}
