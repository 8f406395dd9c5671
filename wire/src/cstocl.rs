//! Chunkserver to client (or to the previous chunkserver of a write chain),
//! port 9422 (`CSTOCL_*`): read data and the status of reads and writes.

use crate::messages;
use crate::types::{CrcData, Status};

messages! {
    /// `chunkid:64 status:8` — ends a read, successful or not.
    ReadStatus = 201 CSTOCL_READ_STATUS { chunkid: u64, status: Status }

    /// `chunkid:64 blocknum:16 offset:16 size:32 crc:32 size*[ databyte:8 ]`
    ReadData = 202 CSTOCL_READ_DATA {
        chunkid: u64,
        blocknum: u16,
        /// Offset inside the 64 KiB block.
        offset: u16,
        block: CrcData,
    }

    /// `chunkid:64 writeid:32 status:8` — writeid 0 acknowledges the WRITE
    /// itself (the chain is connected), others a `CLTOCS_WRITE_DATA`.
    WriteStatus = 211 CSTOCL_WRITE_STATUS { chunkid: u64, writeid: u32, status: Status }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::decode_exact;

    #[test]
    fn read_data_keeps_its_crc_unchecked() {
        let mut bytes = vec![0, 0, 0, 0, 0, 0, 0, 0x07]; // chunkid
        bytes.extend_from_slice(&[0, 1, 0, 0]); // block 1, offset 0
        bytes.extend_from_slice(&[0, 0, 0, 3]); // size 3
        bytes.extend_from_slice(&[0, 0, 0, 0]); // crc 0, which "abc" does not have
        bytes.extend_from_slice(b"abc");
        let read = decode_exact::<ReadData>(&bytes);
        assert_eq!((read.chunkid, read.blocknum, read.offset), (7, 1, 0));
        assert_eq!(read.block, CrcData::new(0, &b"abc"[..]));
    }

    #[test]
    fn write_status_names_the_write() {
        let bytes = [0, 0, 0, 0, 0, 0, 0, 0x07, 0, 0, 0, 2, 0];
        let status = decode_exact::<WriteStatus>(&bytes);
        assert_eq!((status.writeid, status.status), (2, Status::OK));
    }
}
