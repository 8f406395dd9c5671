//! Requests about chunks and the background synchronisation a mount keeps
//! with the master (`CLTOMA_FUSE_*` 432-440, 466, 468 and 499, 700-704).

use crate::codec::{Gids, Name, Rest};
use crate::messages;
use crate::records;
use crate::types::Groups;

/// Bits of APPEND_SLICE's `flags` (`APPEND_SLICE_*`).
pub mod append_flag {
    pub const FROM_NEG: u8 = 0x01;
    pub const TO_NEG: u8 = 0x02;
}

records! {
    /// `inode:32 atime:32 mtime:32`
    AmTime { inode: u32, atime: u32, mtime: u32 }
}

messages! {
    /// `msgid:32 inode:32 chunkindx:32 chunkopflags:8`
    /// `msgid:32 inode:32 chunkindx:32` (version < 3.0.4)
    FuseReadChunk = 432 CLTOMA_FUSE_READ_CHUNK { msgid: u32, inode: u32, index: u32, flags: Option<u8> }

    /// `msgid:32 inode:32 chunkindx:32 chunkopflags:8`
    /// `msgid:32 inode:32 chunkindx:32` (version < 3.0.4)
    FuseWriteChunk = 434 CLTOMA_FUSE_WRITE_CHUNK { msgid: u32, inode: u32, index: u32, flags: Option<u8> }

    /// `msgid:32 chunkid:64 inode:32 chunkindx:32 length:64 chunkopflags:8` (version >= 3.0.74)
    FuseWriteChunkEnd = 436 CLTOMA_FUSE_WRITE_CHUNK_END {
        msgid: u32, chunkid: u64, inode: u32, index: u32, length: u64, flags: u8,
    }

    /// `msgid:32 flags:8 inode:32 srcinode:32 slice_from:32 slice_to:32 uid:32 gcnt:32 gcnt * [ gid:32 ]` (version >= 3.0.91)
    FuseAppendSlice = 438 CLTOMA_FUSE_APPEND_SLICE {
        msgid: u32, flags: u8, inode: u32, src_inode: u32, slice_from: u32, slice_to: u32, uid: u32, gids: Gids,
    }

    /// `msgid:32 inode:32` — copy counts of the whole file
    /// `msgid:32 inode:32 chunkindx:32` (version >= 3.0.26) — the copies of one chunk
    FuseCheck = 440 CLTOMA_FUSE_CHECK { msgid: u32, inode: u32, index: Option<u32> }

    /// `msgid:32 inode:32 uid:32 gcnt:32 gcnt * [ gid:32 ]`
    /// `msgid:32 inode:32 uid:32 gid:32` (single gid)
    FuseRepair = 466 CLTOMA_FUSE_REPAIR { msgid: u32, inode: u32, uid: u32, gids: Groups<0> }

    /// `msgid:32 inode:32 inode_dst:32 name_dst:NAME uid:32 gcnt:32 gcnt * [ gid:32 ] smode:8 umask:16`
    /// `msgid:32 inode:32 inode_dst:32 name_dst:NAME uid:32 gid:32 smode:8 umask:16` (single gid)
    FuseSnapshot = 468 CLTOMA_FUSE_SNAPSHOT {
        msgid: u32, inode: u32, parent_dst: u32, name_dst: Name, uid: u32, gids: Groups<3>, smode: u8, umask: u16,
    }

    /// `N*[ inode:32 ]` — open files, sent by mounts before 3.0.74
    FuseSustainedInodesDeprecated = 499 CLTOMA_FUSE_SUSTAINED_INODES_DEPRECATED { inodes: Rest<u32> }

    /// `N*[ inode:32 ]` — inodes the mount holds open, so the master keeps them
    FuseSustainedInodes = 700 CLTOMA_FUSE_SUSTAINED_INODES { inodes: Rest<u32> }

    /// `N*[ inode:32 atime:32 mtime:32 ]` — times the mount changed locally
    FuseAmtimeInodes = 701 CLTOMA_FUSE_AMTIME_INODES { inodes: Rest<AmTime> }

    /// `[ msgid:32 ]`
    FuseTimeSync = 704 CLTOMA_FUSE_TIME_SYNC { msgid: Option<u32> }
}
