//! Answers for tools: the disk list `mfscli -SHD` asks for, and our version.

use bytes::{BufMut, BytesMut};
use mooseng_wire::cs_info::{DiskInfo, DiskState, HddListAnswer, HddStats};
use mooseng_wire::variants::Sized16;
use mooseng_wire::{antoan, Name, Rest, Tail, Version};

use crate::storage::Store;

/// `flags` bits of a disk record.
const FLAG_MARKED_FOR_REMOVAL: u8 = 1;
const FLAG_DAMAGED: u8 = 2;

/// The version string we announce beside the number.
const VERSION_TEXT: &str = "3.0.117 (MooseNG)";

fn no_stats() -> HddStats {
    HddStats {
        bytesread: 0,
        byteswritten: 0,
        usecread: 0,
        usecwrite: 0,
        usecfsync: 0,
        readops: 0,
        writeops: 0,
        fsyncops: 0,
        usecreadmax: 0,
        usecwritemax: 0,
        usecfsyncmax: 0,
    }
}

/// One record per data folder. We keep no I/O statistics, so those
/// blocks are zero.
pub fn hdd_list(store: &Store) -> HddListAnswer {
    let counts = store.chunks_per_folder();
    let disks = store
        .folders()
        .iter()
        .zip(counts)
        .map(|(folder, chunkscount)| {
            let mut flags = 0;
            if folder.marked_for_removal {
                flags |= FLAG_MARKED_FOR_REMOVAL;
            }
            if folder.is_failed() {
                flags |= FLAG_DAMAGED;
            }
            let (errchunkid, errtime) = folder.last_error();
            let space = folder.space();
            let mut path = folder.path.display().to_string().into_bytes();
            path.truncate(255);
            Sized16(DiskInfo {
                state: DiskState {
                    path: Name::new(path),
                    flags,
                    errchunkid,
                    errtime,
                    used: space.used,
                    total: space.total,
                    chunkscount,
                },
                minute: no_stats(),
                hour: no_stats(),
                day: no_stats(),
            })
        })
        .collect();
    HddListAnswer { disks: Rest(disks) }
}

/// `ANTOAN_VERSION`: `[ msgid:32 ] version:32 strversion`, the msgid
/// echoed when the question had one.
pub fn version(ask: &antoan::GetVersion) -> antoan::VersionAnswer {
    let mut body = BytesMut::new();
    if let Some(msgid) = ask.msgid {
        body.put_u32(msgid);
    }
    body.put_u32(Version::MOOSEFS_3_0_117.0);
    body.put_slice(VERSION_TEXT.as_bytes());
    antoan::VersionAnswer {
        body: Tail(body.freeze()),
    }
}
