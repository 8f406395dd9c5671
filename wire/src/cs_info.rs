//! The disk report `mfscli` asks chunkservers for on port 9422
//! (`CLTOCS_HDD_LIST`), and the disk records it shares with the
//! chunkserver's `ANTOCL_MONOTONIC_DATA`.
//!
//! Every disk record is framed by `entrysize:16`; 3.0.117 chunkservers send
//! the 64-byte statistics blocks (with fsync counters) and only those are
//! decoded (mfscli also reads the 48-byte blocks of chunkservers < 2.0).

use crate::codec::{Name, Rest};
use crate::variants::Sized16;
use crate::{messages, records};

records! {
    /// `bytesread:64 byteswritten:64 usecread:64 usecwrite:64 usecfsync:64
    /// readops:32 writeops:32 fsyncops:32 usecreadmax:32 usecwritemax:32
    /// usecfsyncmax:32` — I/O statistics of one disk over one period.
    HddStats {
        bytesread: u64,
        byteswritten: u64,
        usecread: u64,
        usecwrite: u64,
        usecfsync: u64,
        readops: u32,
        writeops: u32,
        fsyncops: u32,
        usecreadmax: u32,
        usecwritemax: u32,
        usecfsyncmax: u32,
    }

    /// `path:NAME flags:8 errchunkid:64 errtime:32 used:64 total:64
    /// chunkscount:32` — a disk's identity and state; while a disk is being
    /// scanned, `used` carries the scan progress and `total` is 0.
    DiskState {
        path: Name,
        /// Bit 0: marked for removal, bit 1: damaged, bit 2: scan in progress.
        flags: u8,
        errchunkid: u64,
        errtime: u32,
        used: u64,
        total: u64,
        chunkscount: u32,
    }

    /// A disk with its statistics of the last minute, hour and day.
    DiskInfo { state: DiskState, minute: HddStats, hour: HddStats, day: HddStats }

    /// A disk with its statistics since the chunkserver started.
    DiskCounters { state: DiskState, totals: HddStats }
}

messages! {
    /// `-`
    HddList = 600 CLTOCS_HDD_LIST {}

    /// `N * [ entrysize:16 path:NAME flags:8 errchunkid:64 errtime:32 used:64 total:64 chunkscount:32 3 * [ bytesread:64 byteswritten:64 usecread:64 usecwrite:64 usecfsync:64 readops:32 writeops:32 fsyncops:32 usecreadmax:32 usecwritemax:32 usecfsyncmax:32 ] ]`
    HddListAnswer = 601 CSTOCL_HDD_LIST { disks: Rest<Sized16<DiskInfo>> }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::Ctx;
    use crate::message::decode_payload;

    #[test]
    fn a_disk_record_is_framed_by_its_size() {
        let mut bytes = vec![0, 34 + 192 + 2, 2, b'/', b'd']; // entrysize, path "/d"
        bytes.push(2); // flags: damaged
        bytes.extend_from_slice(&[0; 8 + 4 + 8 + 8]); // errchunkid errtime used total
        bytes.extend_from_slice(&[0, 0, 0, 7]); // chunkscount
        bytes.extend_from_slice(&[0; 192]); // three statistics blocks
        let answer: HddListAnswer = decode_payload(&bytes, Ctx::default()).unwrap();
        let disk = &answer.disks.0[0].0;
        assert_eq!(disk.state.path.as_bytes(), b"/d");
        assert_eq!((disk.state.flags, disk.state.chunkscount), (2, 7));
        // A record of the older 48-byte statistics does not fit the frame.
        let mut old = bytes.clone();
        old[1] -= 48;
        old.truncate(old.len() - 48);
        assert!(decode_payload::<HddListAnswer>(&old, Ctx::default()).is_err());
    }
}
